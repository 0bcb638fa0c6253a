"""ex11: a fully convolutional network (FCN) for per-pixel classification.

FCN is a class, so the checks run *procedures* (module-level functions below) inside the target:
each receives the student's class, builds it with a fixed seed and returns plain data (an
output shape, the fully connected layers it found, test predictions). The judge keeps the
expected shapes and the test labels and decides from that data.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn
from torch.overrides import TorchFunctionMode

from grader.api import (
    N_,
    Call,
    Check,
    CheckFailed,
    Context,
    Exercise,
    Failure,
    Mistake,
    Task,
    _,
    describe_type,
    fit,
    forward,
    named,
    refuse,
    register,
    run_property,
    seeded,
)

PROCEDURES = "grader.catalog.ex11_fcn"
SEED = 20240611
MIN_SIDE, MAX_SIDE = 8, 64  # the contract's range of input sides


class ReferenceFCN(nn.Module):
    """A small FCN of the contract's kind, the base of the stand-ins of classic mistakes below:
    features at half resolution, 1x1 scores, a transposed convolution back to H x W."""

    def __init__(self, in_channels: int = 3, num_classes: int = 2) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())
        self.classifier = nn.Conv2d(32, num_classes, kernel_size=1)
        self.upsample = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=4, stride=2, padding=1)

    def scores(self, h: torch.Tensor) -> torch.Tensor:
        return self.classifier(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.scores(self.features(x)), output_size=x.shape[-2:])


class LinearHead(ReferenceFCN):
    def __init__(self, in_channels: int = 3, num_classes: int = 2) -> None:
        super().__init__(in_channels, num_classes)
        self.classifier = nn.Linear(32, num_classes)

    def scores(self, h: torch.Tensor) -> torch.Tensor:
        return self.classifier(h.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class OddSidesLost(ReferenceFCN):
    def __init__(self, in_channels: int = 3, num_classes: int = 2) -> None:
        super().__init__(in_channels, num_classes)
        self.upsample = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.scores(self.features(x)))


class NumClassesIgnored(ReferenceFCN):
    def __init__(self, in_channels: int = 3, num_classes: int = 2) -> None:
        super().__init__(in_channels, 2)


class InputIgnored(ReferenceFCN):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(torch.zeros_like(x))


LINEAR_HEAD = Mistake(N_("a fully connected layer (nn.Linear) scoring the features"),
                      N_("score each pixel with a 1x1 convolution: nn.Conv2d(channels, num_classes, kernel_size=1)"),
                      LinearHead)
ODD_SIDES_LOST = Mistake(N_("odd sides lost: pooling rounds them down and the upsampling does not restore them"),
                         N_("call the transposed convolution with output_size=x.shape[-2:] (or crop or pad the "
                            "result to H x W)"), OddSidesLost)
NUM_CLASSES_IGNORED = Mistake(N_("num_classes ignored (always 2 output channels)"),
                              N_("the 1x1 convolution and the upsampling have num_classes output channels"),
                              NumClassesIgnored)
CONSTANT_OUTPUT = Mistake(N_("the same class predicted for every pixel (the scores do not depend on the input)"),
                          N_("the class scores must be computed from the input by the convolutions"), InputIgnored)
MISTAKES = (LINEAR_HEAD, ODD_SIDES_LOST, NUM_CLASSES_IGNORED, CONSTANT_OUTPUT)


# ----------------------------------------------------------------------------------------------
# Procedures: run inside the target with the student's class as first argument; plain data out.


def output_shape(cls: type, kwargs: dict[str, int], input_shape: tuple[int, ...], device: str,
                 seed: int) -> dict[str, Any]:
    """Procedure: {"shape": the shape of ``cls(**kwargs)``'s output on a random input of
    ``input_shape`` (eval mode)}, or {"type": what it returned instead of a tensor}, or
    {"raised": what the forward pass raised}."""
    model = seeded(cls, seed, **kwargs).to(device).eval()
    x = torch.randn(*input_shape, generator=torch.Generator().manual_seed(seed)).to(device)
    with torch.no_grad():
        result = forward(model, x)
    if "out" in result:
        out = result.pop("out")
        result.update({"shape": tuple(out.shape)} if type(out) is torch.Tensor else {"type": describe_type(out)})
    return result


LINEAR_FUNCTIONS = {F.linear: "torch.nn.functional.linear", F.bilinear: "torch.nn.functional.bilinear"}
"""The fully connected functions (nn.Linear and nn.Bilinear call them too), by their public names."""


class _LinearCalls(TorchFunctionMode):
    """Records the fully connected functions called while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        try:
            name = LINEAR_FUNCTIONS.get(func)
        except TypeError:  # an unhashable callable is neither of these
            name = None
        if name and name not in self.seen:
            self.seen.append(name)
        return func(*args, **(kwargs or {}))


def fully_connected(cls: type, device: str, seed: int) -> dict[str, list]:
    """Procedure: the fully connected parts of ``cls()``: {"modules": (name, class name) of its
    nn.Linear / nn.Bilinear submodules (name "" for the model itself), "functions": linear
    functions its forward calls on a 16x16 input}."""
    model = seeded(cls, seed).to(device).eval()
    modules = [(name, type(m).__name__) for name, m in model.named_modules()
               if isinstance(m, (nn.Linear, nn.Bilinear))]
    x = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(seed)).to(device)
    calls = _LinearCalls()
    with torch.no_grad(), calls:
        forward(model, x)
    return {"modules": modules, "functions": calls.seen}


def fit_and_predict(cls: type, kwargs: dict[str, int], train_images: torch.Tensor, train_masks: torch.Tensor,
                    test_images: torch.Tensor, steps: int, lr: float, device: str, seed: int) -> dict[str, Any]:
    """Procedure: train ``cls(**kwargs)`` on (train_images, train_masks) with Adam and per-pixel
    cross-entropy, full batch, for ``steps`` steps; return {"initial_loss", "final_loss",
    "predictions": the arg-max class of each test pixel, (N, H, W) on the CPU}, or
    {"untrainable": why} when the output cannot be trained against the masks: "raised" (with
    "raised": what forward raised), "shape" (with "shape": what it returned, "wanted": the shape
    expected), "no_parameters" or "detached"; the judge words it (:func:`untrainable`)."""
    model = seeded(cls, seed, **kwargs).to(device).train()
    x, y = train_images.to(device, copy=True), train_masks.to(device, copy=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        result = forward(model, x)
        out = result.get("out")
        wanted = (len(x), kwargs["num_classes"], *x.shape[-2:])
        if "raised" in result:
            return {"untrainable": "raised", "raised": result["raised"]}
        if type(out) is not torch.Tensor or tuple(out.shape) != wanted:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else describe_type(out)
            return {"untrainable": "shape", "shape": str(shape), "wanted": str(wanted)}
        parameters = [p for p in model.parameters() if p.requires_grad]
        if not parameters or not out.requires_grad:
            return {"untrainable": "detached" if parameters else "no_parameters"}
        losses = fit(model, parameters, x, y, steps, lr)
        model.eval()
        with torch.no_grad():
            predictions = model(test_images.to(device, copy=True)).argmax(1)
    return {"initial_loss": losses[0], "final_loss": losses[-1], "predictions": predictions.cpu()}


# ----------------------------------------------------------------------------------------------
# The judge side.


def untrainable(result: dict[str, Any]) -> str:
    """Why :func:`fit_and_predict` could not train the network, in words."""
    why = result["untrainable"]
    if why == "raised":
        return _("its forward raised {raised}").format(raised=result["raised"])
    if why == "shape":
        return _("it maps the training images {images} to {shape}, not {wanted}").format(
            images=tuple(TRAIN_IMAGES.shape), shape=result["shape"], wanted=result["wanted"])
    if why == "no_parameters":
        return _("it has no trainable parameters")
    return _("its output does not depend on its parameters (detached, .data or no_grad)")


def describe_model(kwargs: dict[str, int]) -> str:
    return f"FCN({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


def shape_call(kwargs: dict[str, int], input_shape: tuple[int, ...], label: str = "") -> Call:
    """Build ``FCN(**kwargs)`` and run it on a random input of ``input_shape``."""
    return Call((kwargs, input_shape), label=label)


@st.composite
def shape_calls(draw: Any) -> Call:
    """Channel and class counts from 1 to 5, a batch of 1 or 2, H and W from 8 to 64 drawn
    independently (odd and non-square sizes included)."""
    in_channels, num_classes = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    n, h, w = draw(st.integers(1, 2)), draw(st.integers(MIN_SIDE, MAX_SIDE)), draw(st.integers(MIN_SIDE, MAX_SIDE))
    return shape_call({"in_channels": in_channels, "num_classes": num_classes}, (n, in_channels, h, w))


SHAPE_EXAMPLES = (
    shape_call({}, (2, 3, 32, 32), label=N_("the defaults, FCN()")),
    shape_call({"in_channels": 3, "num_classes": 2}, (1, 3, 9, 13), label=N_("odd sides")),
    shape_call({"in_channels": 1, "num_classes": 3}, (2, 1, 8, 63), label=N_("the smallest and a large odd side")),
    shape_call({"in_channels": 4, "num_classes": 5}, (1, 4, 64, 37), label=N_("the largest side")),
    shape_call({"in_channels": 2, "num_classes": 1}, (1, 2, 30, 11), label=N_("one class")),
)


def _judge_shape(task: Task, ctx: Context, call: Call) -> None:
    kwargs, input_shape = call.args
    outcome = ctx.run_procedure(f"{PROCEDURES}:output_shape", task,
                                (kwargs, input_shape, str(ctx.settings.device), SEED))
    refuse(outcome, task, call)
    model, result = describe_model(kwargs), outcome.value
    if "raised" in result:
        raise CheckFailed(Failure("error", _("{model} raised {raised} on an input of shape {shape}").format(
                                      model=model, raised=result["raised"], shape=input_shape), call=call))
    n, _channels, h, w = input_shape
    expected = (n, kwargs.get("num_classes", 2), h, w)
    got = result.get("shape")
    if got != expected:
        mistake = None
        if got is not None and len(got) == 4 and got[1] != expected[1]:
            mistake = NUM_CLASSES_IGNORED if got[1] == 2 else None
        elif got is not None and len(got) == 4 and got[2] <= h and got[3] <= w:
            mistake = ODD_SIDES_LOST
        if got is not None:
            headline = _("{model} maps an input of shape {shape} to shape {got}; expected shape {expected}")
        else:
            headline = _("{model} maps an input of shape {shape} to a {got}, not a tensor; expected shape "
                         "{expected}")
        headline = headline.format(model=model, shape=input_shape, got=got if got is not None else result["type"],
                                   expected=expected)
        raise CheckFailed(named(Failure("failed", headline, call=call, kind="shape"), mistake))


def check_output_shape(task: Task, ctx: Context) -> None:
    run_property(task, ctx, lambda call: _judge_shape(task, ctx, call))


def check_no_linear(task: Task, ctx: Context) -> None:
    outcome = ctx.run_procedure(f"{PROCEDURES}:fully_connected", task, (str(ctx.settings.device), SEED))
    refuse(outcome, task, None)
    model = _("the model")
    modules = [f"{name or model} ({kind})" for name, kind in outcome.value["modules"]]
    found = modules + outcome.value["functions"]
    if found:
        raise CheckFailed(named(Failure("failed", _("{task}() is not fully convolutional: it uses {found}").format(
                                            task=task.name, found=", ".join(found))), LINEAR_HEAD))


SIDE = 28  # of the training and test images
SQUARE_SIDES = (9, 14)  # smallest and largest square


def squares(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n one-channel SIDE x SIDE images: Gaussian noise (sd 0.5) with two bright squares (+2,
    sides 9 to 14, possibly overlapping) each; and their (n, SIDE, SIDE) masks, 1 inside a square."""
    g = torch.Generator().manual_seed(seed)
    masks = torch.zeros(n, SIDE, SIDE, dtype=torch.int64)
    for mask in masks:
        for _square in range(2):
            s = int(torch.randint(SQUARE_SIDES[0], SQUARE_SIDES[1] + 1, (), generator=g))
            r, c = (int(v) for v in torch.randint(0, SIDE - s + 1, (2,), generator=g))
            mask[r:r + s, c:c + s] = 1
    noise = 0.5 * torch.randn(n, 1, SIDE, SIDE, generator=g)
    return noise + 2.0 * masks[:, None].float(), masks


TRAIN_IMAGES, TRAIN_MASKS = squares(6, SEED)
TEST_IMAGES, TEST_MASKS = squares(8, SEED + 1)
FIT_KWARGS = {"in_channels": 1, "num_classes": 2}
FIT_STEPS = 100
FIT_LR = 3e-3
MIN_IOU = 0.7
"""Full-batch Adam for 100 steps: the model answer reaches a test IoU near 0.96 (0.95 without
pooling); nets that pool twice and upsample by 4 (transposed convolution or bilinear
interpolation, with batch norm and dropout or without) reach 0.79 to 0.89. Predicting
background everywhere scores 0, foreground everywhere 0.29."""
# Fixed messages (marked for translation) that name the constants above; the asserts keep them in step.
FIT_LABEL = N_("6 28x28 noise images with bright squares, and their masks")
LEARNS_DESCRIPTION = N_("trained briefly, it segments bright squares on noise in new images (foreground IoU >= 0.7)")
assert FIT_LABEL.startswith(f"{len(TRAIN_IMAGES)} {SIDE}x{SIDE} ")
assert LEARNS_DESCRIPTION.endswith(f">= {MIN_IOU})")


def foreground_iou(predictions: torch.Tensor, masks: torch.Tensor) -> float:
    """|predicted foreground & true foreground| / |predicted foreground | true foreground|."""
    predicted, true = predictions == 1, masks == 1
    return float((predicted & true).sum()) / max(1, int((predicted | true).sum()))


def check_learns_segmentation(task: Task, ctx: Context) -> None:
    shown = Call((TRAIN_IMAGES, TRAIN_MASKS), label=FIT_LABEL)
    outcome = ctx.run_procedure(f"{PROCEDURES}:fit_and_predict", task,
                                (FIT_KWARGS, TRAIN_IMAGES, TRAIN_MASKS, TEST_IMAGES, FIT_STEPS, FIT_LR,
                                 str(ctx.settings.device), SEED))
    refuse(outcome, task, shown)
    result, model = outcome.value, describe_model(FIT_KWARGS)
    if "untrainable" in result:
        raise CheckFailed(Failure("failed", _("{model} cannot be trained: {why}").format(
                                      model=model, why=untrainable(result)), call=shown))
    predictions = result["predictions"]
    iou = foreground_iou(predictions, TEST_MASKS)
    if not iou >= MIN_IOU:
        constant = bool((predictions == predictions.flatten()[0]).all())
        raise CheckFailed(named(Failure(
            "failed", _("{model} does not learn to segment bright squares: after {steps} Adam steps (lr {lr}) the "
                        "foreground IoU on {n} new images is {iou} (at least {min_iou} needed)").format(
                model=model, steps=FIT_STEPS, lr=FIT_LR, n=len(TEST_IMAGES), iou=f"{iou:.2f}", min_iou=MIN_IOU),
            call=shown,
            details=[_("the training loss went from {initial} to {final}").format(
                         initial=f"{result['initial_loss']:.3g}", final=f"{result['final_loss']:.3g}"),
                     _("it predicts foreground on {predicted} of the test pixels ({true} are)").format(
                         predicted=f"{float((predictions == 1).float().mean()):.0%}",
                         true=f"{float(TEST_MASKS.float().mean()):.0%}")],
            hint=_("the class scores must come from learned convolutions of the input, with a nonlinearity "
                   "between them, and reach every pixel")), CONSTANT_OUTPUT if constant else None))


register(Exercise(
    module="ex11_fcn",
    title=N_("A fully convolutional network"),
    notes=N_(r"""A fully convolutional network has no layer whose size depends on the image size:
convolutions (and pooling) compute features, a $1 \times 1$ convolution turns each feature
vector into `num_classes` scores, and a transposed convolution upsamples the scores back to the
input's $H \times W$. It therefore accepts any input size and scores every pixel. Pooling
rounds odd sizes down; pass `output_size=x.shape[-2:]` to the transposed convolution (or crop)
to get exactly $H \times W$ back."""),
    tasks=(
        Task(
            name="FCN",
            summary=N_("FCN(in_channels=3, num_classes=2): (N, in_channels, H, W) -> scores (N, num_classes, H, W)"),
            calls=shape_calls,
            forbidden=None,
            examples=SHAPE_EXAMPLES,
            mistakes=MISTAKES,
            checks=(
                Check("output_shape", N_("(N, in_channels, H, W) -> (N, num_classes, H, W) for H, W from 8 to 64, "
                                         "odd and non-square, several channel and class counts"), 3,
                      check_output_shape),
                Check("no_linear", N_("fully convolutional: no nn.Linear layer, no F.linear call"), 1,
                      check_no_linear),
                Check("learns_segmentation", LEARNS_DESCRIPTION, 3, check_learns_segmentation),
            ),
            hint=N_("convolutions with padding, a pooling, a 1x1 convolution to num_classes, then "
                    "nn.ConvTranspose2d(..., stride=2) called with output_size=x.shape[-2:]"),
        ),
    ),
))
