"""ex11 FCN: plausible wrong networks fail the checks they should (with the mistake named), and
fully convolutional networks of other designs pass everything."""

from __future__ import annotations

import textwrap

import torch

from grader.catalog import ex11_fcn as catalog
from tests.conftest import failed, solution_source

MODULE = "ex11_fcn"
SOLUTION = solution_source(MODULE)
SHAPE, LINEAR, LEARNS = "FCN[output_shape]", "FCN[no_linear]", "FCN[learns_segmentation]"


def mutant(old: str, new: str) -> str:
    assert old in SOLUTION, old
    return SOLUTION.replace(old, new)


def network(init: str, forward: str) -> str:
    """A submission whose FCN has this __init__ body (after super().__init__()) and forward body."""
    indent = lambda body: textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8)
    return (f"import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n\n"
            f"class FCN(nn.Module):\n    def __init__(self, in_channels=3, num_classes=2):\n"
            f"        super().__init__()\n{indent(init)}\n\n    def forward(self, x):\n{indent(forward)}\n")


def test_the_task_data_are_what_the_judge_expects() -> None:
    assert catalog.TRAIN_IMAGES.shape == (6, 1, 28, 28) and catalog.TEST_MASKS.shape == (8, 28, 28)
    foreground = float(catalog.TEST_MASKS.float().mean())
    assert 0.1 < foreground < 0.4
    assert not torch.equal(catalog.TRAIN_MASKS, catalog.TEST_MASKS)


def test_background_everywhere_scores_zero_and_the_truth_one() -> None:
    assert catalog.foreground_iou(torch.zeros_like(catalog.TEST_MASKS), catalog.TEST_MASKS) == 0.0
    assert catalog.foreground_iou(catalog.TEST_MASKS.clone(), catalog.TEST_MASKS) == 1.0
    everything = catalog.foreground_iou(torch.ones_like(catalog.TEST_MASKS), catalog.TEST_MASKS)
    assert everything < catalog.MIN_IOU


def test_a_linear_head_fails_no_linear(grade_source) -> None:
    results = grade_source(MODULE, mutant(
        "self.classifier = nn.Conv2d(32, num_classes, kernel_size=1)", "self.classifier = nn.Linear(32, num_classes)"
    ).replace("scores = self.classifier(self.features(x))",
              "scores = self.classifier(self.features(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)"))
    assert failed(results) == {LINEAR}
    result = results[LINEAR]
    assert "classifier (Linear)" in result.message and result.failure.mistake == catalog.LINEAR_HEAD.name


def test_a_functional_linear_fails_no_linear(grade_source) -> None:
    results = grade_source(MODULE, mutant(
        "self.classifier = nn.Conv2d(32, num_classes, kernel_size=1)",
        "self.weight = nn.Parameter(torch.randn(num_classes, 32) / 6)"
    ).replace("scores = self.classifier(self.features(x))",
              "scores = F.linear(self.features(x).movedim(1, -1), self.weight).movedim(-1, 1)"
    ).replace("import torch\n", "import torch\nimport torch.nn.functional as F\n"))
    assert LINEAR in failed(results) and SHAPE not in failed(results)
    assert "torch.nn.functional.linear" in results[LINEAR].message


def test_upsampling_without_output_size_loses_odd_sides(grade_source) -> None:
    results = grade_source(MODULE, mutant("kernel_size=4, stride=2, padding=1)", "kernel_size=2, stride=2)").replace(
        "self.upsample(scores, output_size=x.shape[-2:])", "self.upsample(scores)"))
    assert failed(results) == {SHAPE}
    result = results[SHAPE]
    assert "to shape (1, 2, 8, 12); expected shape (1, 2, 9, 13)" in result.message  # the pinned odd example
    assert result.failure.mistake == catalog.ODD_SIDES_LOST.name


def test_two_poolings_and_two_doublings_fail_the_shapes(grade_source) -> None:
    results = grade_source(MODULE, network("""
        self.down = nn.Sequential(nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.score = nn.Conv2d(16, num_classes, 1)
        self.up1 = nn.ConvTranspose2d(num_classes, num_classes, 2, stride=2)
        self.up2 = nn.ConvTranspose2d(num_classes, num_classes, 2, stride=2)
        """, "return self.up2(self.up1(self.score(self.down(x))))"))
    assert SHAPE in failed(results) and LINEAR not in failed(results)


def test_ignoring_num_classes_fails_the_shapes(grade_source) -> None:
    results = grade_source(MODULE, mutant("    def __init__(self, in_channels: int = 3, num_classes: int = 2):\n"
                                          "        super().__init__()\n",
                                          "    def __init__(self, in_channels: int = 3, num_classes: int = 2):\n"
                                          "        super().__init__()\n        num_classes = 2\n"))
    assert failed(results) == {SHAPE}
    result = results[SHAPE]
    assert "expected shape (2, 3, 8, 63)" in result.message
    assert result.failure.mistake == catalog.NUM_CLASSES_IGNORED.name


def test_scores_that_ignore_the_input_do_not_learn(grade_source) -> None:
    results = grade_source(MODULE, mutant("scores = self.classifier(self.features(x))",
                                          "scores = self.classifier(self.features(torch.zeros_like(x)))"))
    assert failed(results) == {LEARNS}
    result = results[LEARNS]
    assert "foreground IoU on 8 new images is" in result.message
    assert result.failure.mistake == catalog.CONSTANT_OUTPUT.name


def test_a_net_predicting_background_everywhere_fails(grade_source) -> None:
    results = grade_source(MODULE, network("""
        self.score = nn.Conv2d(in_channels, num_classes, 1)
        """, """
        scores = torch.zeros(len(x), self.score.out_channels, *x.shape[-2:], device=x.device)
        scores[:, 0] = 1
        return scores + 0 * self.score(x)
        """))
    assert failed(results) == {LEARNS}
    assert "IoU on 8 new images is 0.00" in results[LEARNS].message


def test_an_output_without_gradients_cannot_be_trained(grade_source) -> None:
    results = grade_source(MODULE, mutant("    def forward(self, x: torch.Tensor) -> torch.Tensor:\n",
                                          "    @torch.no_grad()\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"))
    assert LEARNS in failed(results) and SHAPE not in failed(results)
    assert "cannot be trained" in results[LEARNS].message


def test_interpolation_after_two_poolings_passes(grade_source) -> None:
    results = grade_source(MODULE, network("""
        self.features = nn.Sequential(nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                                      nn.Conv2d(32, 32, 3, padding=1), nn.ReLU())
        self.score = nn.Conv2d(32, num_classes, 1)
        """, "return F.interpolate(self.score(self.features(x)), size=x.shape[-2:], mode='bilinear')"))
    assert failed(results) == set()


def test_padding_to_a_multiple_of_four_and_cropping_passes(grade_source) -> None:
    results = grade_source(MODULE, network("""
        self.encode = nn.Sequential(nn.Conv2d(in_channels, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                    nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                                    nn.MaxPool2d(2), nn.Dropout2d(0.1))
        self.score = nn.Conv2d(32, num_classes, kernel_size=1)
        self.decode = nn.Sequential(nn.ConvTranspose2d(num_classes, 16, 2, stride=2), nn.ReLU(),
                                    nn.ConvTranspose2d(16, num_classes, 2, stride=2))
        """, """
        h, w = x.shape[-2:]
        padded = F.pad(x, (0, -w % 4, 0, -h % 4), mode="replicate")
        return self.decode(self.score(self.encode(padded)))[..., :h, :w]
        """))
    assert failed(results) == set()


def test_a_net_without_pooling_passes(grade_source) -> None:
    results = grade_source(MODULE, network("""
        self.body = nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, padding=2, dilation=2), nn.ReLU())
        self.head = nn.Conv2d(8, num_classes, (1, 1))
        self.smooth = nn.ConvTranspose2d(num_classes, num_classes, 3, padding=1)
        """, "return self.smooth(self.head(self.body(x)))"))
    assert failed(results) == set()
