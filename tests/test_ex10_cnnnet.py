"""ex10 flatten_size and CNNNet: the notes' listing and plausible wrong networks fail the checks
they should (with the mistake named), and unusual correct networks pass everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.catalog import ex10_cnnnet as catalog
from tests.conftest import failed, solution_source

MODULE = "ex10_cnnnet"
NOTES_LISTING = Path(__file__).parent.parent / "grader" / "ledger" / "listings" / "ex10_cnnnet.py"
NET_CHECKS = {f"CNNNet[{c}]" for c in ("architecture", "parameter_count", "batch_sizes", "raw_logits",
                                       "matches_reference", "overfits_tiny_batch")}
SOLUTION = solution_source(MODULE)


def mutant(old: str, new: str) -> str:
    assert old in SOLUTION, old
    return SOLUTION.replace(old, new)


def test_expected_layers_add_up_to_the_contract() -> None:
    assert catalog.EXPECTED_PARAMETERS == 173_742
    assert catalog.reference_flatten_size() == 1296
    assert sum(p.numel() for p in catalog.ReferenceCNNNet().parameters()) == 173_742


def test_the_notes_listing_fails_for_its_relu_on_the_logits(grade_source) -> None:
    results = grade_source(MODULE, NOTES_LISTING.read_text())
    assert results["flatten_size[matches_forward_pass]"].status == "not_submitted"
    assert failed(results) - {"flatten_size[matches_forward_pass]"} == {
        "CNNNet[raw_logits]", "CNNNet[matches_reference]", "CNNNet[overfits_tiny_batch]"}
    raw = results["CNNNet[raw_logits]"]
    assert "logits must not go through a ReLU" in raw.message
    assert raw.failure.mistake == catalog.RELU_ON_LOGITS.name
    assert results["CNNNet[matches_reference]"].failure.mistake == catalog.RELU_ON_LOGITS.name


def test_a_softmax_on_the_logits_fails(grade_source) -> None:
    results = grade_source(MODULE, mutant("return self.fc2(F.relu(self.fc1(x)))",
                                          "return F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)"))
    assert failed(results) == {"CNNNet[raw_logits]", "CNNNet[matches_reference]", "CNNNet[overfits_tiny_batch]"}
    assert "as after a softmax" in results["CNNNet[raw_logits]"].message
    assert results["CNNNet[matches_reference]"].failure.mistake == catalog.SOFTMAX_ON_LOGITS.name


def test_a_log_softmax_on_the_logits_fails_raw_logits(grade_source) -> None:
    results = grade_source(MODULE, mutant("return self.fc2(F.relu(self.fc1(x)))",
                                          "return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)"))
    assert {"CNNNet[raw_logits]", "CNNNet[matches_reference]"} <= failed(results)
    assert "log-softmax" in results["CNNNet[raw_logits]"].message


def test_a_missing_relu_after_conv2_is_named(grade_source) -> None:
    results = grade_source(MODULE, mutant("x = self.pool2(F.relu(self.conv2(x)))", "x = self.pool2(self.conv2(x))"))
    assert failed(results) == {"CNNNet[matches_reference]"}
    assert "recognised mistake: no ReLU after conv2" in results["CNNNet[matches_reference]"].message


@pytest.mark.parametrize("flatten", ["x.view(-1)", "torch.flatten(x)"])
def test_flattening_the_batch_away_fails_the_batch_sizes(grade_source, flatten: str) -> None:
    results = grade_source(MODULE, mutant("x = x.flatten(start_dim=1)", f"x = {flatten}"))
    assert {"CNNNet[batch_sizes]", "CNNNet[overfits_tiny_batch]"} <= failed(results)
    assert "CNNNet[architecture]" not in failed(results)
    message = results["CNNNet[batch_sizes]"].message
    assert "a batch of 1 image (1, 3, 32, 32) has shape (10,), expected (1, 10)" in message
    assert results["CNNNet[batch_sizes]"].failure.mistake == catalog.BATCH_FLATTENED_AWAY.name


def test_a_hard_coded_batch_of_one_fails_the_batch_sizes(grade_source) -> None:
    results = grade_source(MODULE, mutant("x = x.flatten(start_dim=1)", "x = x.view(1, -1)"))
    assert {"CNNNet[batch_sizes]", "CNNNet[raw_logits]", "CNNNet[overfits_tiny_batch]"} <= failed(results)
    batch = results["CNNNet[batch_sizes]"]
    assert batch.status == "error" and "a batch of 2 images" in batch.message
    assert batch.failure.mistake == catalog.BATCH_HARD_CODED.name


def test_a_wrong_kernel_size_fails_the_architecture(grade_source) -> None:
    source = mutant("nn.Conv2d(16, 36, kernel_size=3)", "nn.Conv2d(16, 36, kernel_size=5)")
    source = source.replace("nn.Linear(flatten_size(), 128)", "nn.Linear(36 * 5 * 5, 128)")
    results = grade_source(MODULE, source)
    assert failed(results) == {"CNNNet[architecture]", "CNNNet[parameter_count]", "CNNNet[raw_logits]",
                               "CNNNet[matches_reference]"}
    assert "self.conv2.kernel_size is (5, 5), expected (3, 3)" in results["CNNNet[architecture]"].message
    assert results["CNNNet[architecture]"].failure.mistake == catalog.WRONG_KERNEL_SIZE.name
    assert "fc1.weight has shape (128, 900), expected (128, 1296)" in results["CNNNet[raw_logits]"].message


def test_a_layer_without_bias_fails_the_parameter_count(grade_source) -> None:
    results = grade_source(MODULE, mutant("nn.Linear(128, 10)", "nn.Linear(128, 10, bias=False)"))
    assert {"CNNNet[parameter_count]"} <= failed(results) and "CNNNet[architecture]" not in failed(results)
    assert "173,732 parameters, expected 173,742" in results["CNNNet[parameter_count]"].message


def test_a_forward_without_gradients_cannot_be_trained(grade_source) -> None:
    results = grade_source(MODULE, mutant("    def forward(self, x: torch.Tensor) -> torch.Tensor:\n",
                                          "    @torch.no_grad()\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"))
    assert failed(results) == {"CNNNet[overfits_tiny_batch]"}
    assert "does not depend on its parameters" in results["CNNNet[overfits_tiny_batch]"].message


@pytest.mark.parametrize("body,mistake", [
    ("return 1296", "1296 whatever the input size"),
    ("h = input_hw[0]\n    return 36 * (((h - 4) // 2 - 2) // 2) ** 2", "the height used for both sides"),
    ("h, w = input_hw\n    return 36 * (((h - 4) / 2 - 2) / 2) * (((w - 4) / 2 - 2) / 2)",
     "true division (/) instead of floor division (//)"),
])
def test_wrong_flatten_sizes_fail_with_the_mistake_named(grade_source, body: str, mistake: str) -> None:
    start = SOLUTION.index("    ### BEGIN SOLUTION\n    def conv")
    end = SOLUTION.index("    ### END SOLUTION", start)
    results = grade_source(MODULE, SOLUTION[:start] + "    " + body + "\n" + SOLUTION[end:])
    check = results["flatten_size[matches_forward_pass]"]
    assert not check.passed and check.failure.mistake == mistake
    if "/ 2" not in body:  # CNNNet sizes fc1 with flatten_size(): fine while that is the int 1296
        assert not failed(results) & NET_CHECKS


def test_flatten_size_from_the_ex04_formulas_passes(grade_source) -> None:
    results = grade_source(MODULE, """
        from ex04_shapes import conv_output_size, pool_output_size

        def flatten_size(input_hw=(32, 32)):
            h, w = (pool_output_size(conv_output_size(pool_output_size(conv_output_size(n, 5), 2), 3), 2)
                    for n in input_hw)
            return 36 * h * w
        """, ex04_shapes="""
        def conv_output_size(n, k, stride=1, padding=0, dilation=1):
            return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1

        def pool_output_size(n, k, stride=None, padding=0, dilation=1, ceil_mode=False):
            return conv_output_size(n, k, stride or k, padding, dilation)
        """)
    assert results["flatten_size[matches_forward_pass]"].passed


def test_an_unusual_but_correct_network_passes(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch
        from torch import nn

        def flatten_size(input_hw=(32, 32)):
            size = torch.Size(input_hw)
            return int(36 * ((((size[0] - 4) // 2) - 2) // 2) * ((((size[1] - 4) // 2) - 2) // 2))

        class CNNNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc2 = nn.Linear(128, 10)
                self.fc1 = nn.Linear(36 * 6 * 6, 128)
                self.pool2 = nn.MaxPool2d(2)
                self.pool1 = nn.MaxPool2d((2, 2), stride=(2, 2))
                self.conv2 = nn.Conv2d(16, 36, (3, 3))
                self.conv1 = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=5, stride=1, padding=0)
                self.relu = nn.ReLU()
                self.flat = nn.Flatten()

            def forward(self, x):
                x = self.relu(self.pool1(self.conv1(x)))  # max-pooling and ReLU commute
                x = self.pool2(self.relu(self.conv2(x)))
                return self.fc2(self.relu(self.fc1(self.flat(x))))
        """)
    assert failed(results) == set()


def test_a_network_that_also_keeps_its_layers_in_a_sequential_passes(grade_source) -> None:
    results = grade_source(MODULE, """
        import torch
        from torch import nn

        class CNNNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.pool1 = nn.Conv2d(3, 16, 5), nn.MaxPool2d(2, 2)
                self.conv2, self.pool2 = nn.Conv2d(16, 36, 3), nn.MaxPool2d(2, 2)
                self.fc1, self.fc2 = nn.Linear(1296, 128), nn.Linear(128, 10)
                self.layers = nn.Sequential(self.conv1, nn.ReLU(), self.pool1, self.conv2, nn.ReLU(), self.pool2,
                                            nn.Flatten(), self.fc1, nn.ReLU(), self.fc2)

            def forward(self, x):
                return self.layers(x)
        """)
    assert results["flatten_size[matches_forward_pass]"].status == "not_submitted"
    assert failed(results) == {"flatten_size[matches_forward_pass]"}
