"""ex10: the notes' small CNN (CNNNet) and the size of its flattened features (flatten_size).

CNNNet is a class, so every check that builds or runs it goes through a *procedure*: a
module-level function below that receives the student's class inside the target (an isolated
worker in batch grading), builds it with a fixed seed, and returns plain data (a description
dict, logits, losses). The judge keeps the reference network and decides from that data.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

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
    Tolerance,
    Variant,
    _,
    checks,
    compare,
    describe_type,
    fit,
    forward,
    named,
    refuse,
    register,
    seeded,
)

PROCEDURES = "grader.catalog.ex10_cnnnet"
SEED = 20240610  # seeds the reference weights, the images and the student's initialisation
NUM_CLASSES = 10
MIN_SIDE = 12  # the smallest input side that leaves one pixel after pool2


class ReferenceCNNNet(nn.Module):
    """The contract's network, the judge's copy; its three stages are methods so that the
    stand-ins of classic mistakes below can replace one."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=5)
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(16, 36, kernel_size=3)
        self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(1296, 128)
        self.fc2 = nn.Linear(128, NUM_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 36, h, w): what reaches the flatten."""
        return self.pool2(F.relu(self.conv2(self.pool1(F.relu(self.conv1(x))))))

    def flatten(self, h: torch.Tensor) -> torch.Tensor:
        return h.flatten(1)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(h)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.flatten(self.features(x)))


def reference_flatten_size(input_hw: tuple[int, int] = (32, 32)) -> int:
    """The feature count, read off a forward pass of the reference's convolution stages (on the
    meta device: torch's own shape rules, no arithmetic)."""
    return shape_network().features(torch.zeros(1, 3, *input_hw, device="meta")).numel()


@lru_cache(maxsize=1)
def shape_network() -> ReferenceCNNNet:
    with torch.device("meta"):
        return ReferenceCNNNet()


@lru_cache(maxsize=1)
def _reference_weights() -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in seeded(ReferenceCNNNet, SEED).state_dict().items()}


def reference_state_dict() -> dict[str, torch.Tensor]:
    """The seeded reference's weights in float32 on the CPU (a fresh copy each time): what the
    student's model is loaded with."""
    return {k: v.clone() for k, v in _reference_weights().items()}


def run_with_reference_weights(cls: type, x: torch.Tensor) -> torch.Tensor:
    """The logits of ``cls`` (the reference or a mistake's stand-in) with the reference's
    weights, in float64 on the CPU."""
    net = seeded(cls, SEED)
    net.load_state_dict(reference_state_dict())
    with torch.no_grad():
        return net.double().eval()(x.double())


def images(n: int, seed: int = SEED) -> torch.Tensor:
    """(n, 3, 32, 32) float32 standard-normal images from a fixed seed."""
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed + n))


LOGIT_TOLERANCE = Tolerance(float32=(1e-4, 1e-4), float64=(1e-9, 1e-9))


# ----------------------------------------------------------------------------------------------
# Classic mistakes, each defined by a stand-in class that makes it.


class ReluOnLogits(ReferenceCNNNet):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(super().forward(x))


class SoftmaxOnLogits(ReferenceCNNNet):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.softmax(super().forward(x), dim=1)


class LogSoftmaxOnLogits(ReferenceCNNNet):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(super().forward(x), dim=1)


class NoReluAfterConv1(ReferenceCNNNet):
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool2(F.relu(self.conv2(self.pool1(self.conv1(x)))))


class NoReluAfterConv2(ReferenceCNNNet):
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool2(self.conv2(self.pool1(F.relu(self.conv1(x)))))


class NoReluAfterFc1(ReferenceCNNNet):
    def head(self, h: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(h))


class FlattenedChannelsLast(ReferenceCNNNet):
    def flatten(self, h: torch.Tensor) -> torch.Tensor:
        return h.permute(0, 2, 3, 1).flatten(1)


class BatchFlattenedAway(ReferenceCNNNet):
    def flatten(self, h: torch.Tensor) -> torch.Tensor:
        return h.view(-1)


class BatchHardCoded(ReferenceCNNNet):
    def flatten(self, h: torch.Tensor) -> torch.Tensor:
        return h.view(1, -1)


class WrongKernelSize(ReferenceCNNNet):
    def __init__(self) -> None:
        super().__init__()
        self.conv2 = nn.Conv2d(16, 36, kernel_size=5)
        self.fc1 = nn.Linear(36 * 5 * 5, 128)


RAW_LOGITS_HINT = N_("return self.fc2(...) as it is: nn.CrossEntropyLoss applies log-softmax itself, and a ReLU "
                      "clips every negative logit to 0")
KEEP_BATCH_HINT = N_("keep the batch: x.flatten(1) or x.view(x.size(0), -1)")
RELU_ON_LOGITS = Mistake(N_("a ReLU on the logits (fc2's output)"), RAW_LOGITS_HINT, ReluOnLogits)
SOFTMAX_ON_LOGITS = Mistake(N_("a softmax on the logits"), RAW_LOGITS_HINT, SoftmaxOnLogits)
LOG_SOFTMAX_ON_LOGITS = Mistake(N_("a log-softmax on the logits"), RAW_LOGITS_HINT, LogSoftmaxOnLogits)
BATCH_FLATTENED_AWAY = Mistake(N_("the batch dimension flattened away (x.view(-1) or torch.flatten(x))"),
                               KEEP_BATCH_HINT, BatchFlattenedAway)
BATCH_HARD_CODED = Mistake(N_("the batch size hard-coded (x.view(1, -1))"), KEEP_BATCH_HINT, BatchHardCoded)
WRONG_KERNEL_SIZE = Mistake(N_("a convolution with the wrong kernel size"),
                            N_("conv1 has a 5x5 kernel, conv2 a 3x3 one"), WrongKernelSize)
FORWARD_MISTAKES = (
    RELU_ON_LOGITS, SOFTMAX_ON_LOGITS, LOG_SOFTMAX_ON_LOGITS,
    Mistake(N_("no ReLU after conv1"), N_("forward: pool1(relu(conv1(x)))"), NoReluAfterConv1),
    Mistake(N_("no ReLU after conv2"), N_("forward: pool2(relu(conv2(x)))"), NoReluAfterConv2),
    Mistake(N_("no ReLU after fc1"), N_("forward: fc2(relu(fc1(x)))"), NoReluAfterFc1),
    Mistake(N_("features flattened channels-last"),
            N_("flatten the (N, 36, 6, 6) features as they are: x.flatten(1)"), FlattenedChannelsLast),
)
"""Mistakes recognised by their logits, computed with the reference's weights."""
MISTAKES = (*FORWARD_MISTAKES, BATCH_FLATTENED_AWAY, BATCH_HARD_CODED, WRONG_KERNEL_SIZE)


def recognised_mistake(got: torch.Tensor, x: torch.Tensor) -> Mistake | None:
    """The mistake whose stand-in, given the reference's weights, returns ``got`` on ``x``."""
    for mistake in FORWARD_MISTAKES:
        if compare(run_with_reference_weights(mistake.apply, x), got, dtype=None, device=None,
                   tolerance=LOGIT_TOLERANCE) is None:
            return mistake
    return None


# ----------------------------------------------------------------------------------------------
# Procedures: run inside the target with the student's class as first argument; plain data out.


def _layer(module: Any) -> dict[str, Any] | None:
    """A plain description of one attribute of the network (None when it is missing)."""
    if module is None:
        return None
    pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    kinds = (nn.Conv2d, nn.MaxPool2d, nn.Linear)
    info: dict[str, Any] = {"type": next((k.__name__ for k in kinds if isinstance(module, k)), describe_type(module))}
    if isinstance(module, nn.Conv2d):
        info.update(in_channels=module.in_channels, out_channels=module.out_channels,
                    kernel_size=pair(module.kernel_size), stride=pair(module.stride),
                    padding=module.padding if isinstance(module.padding, str) else pair(module.padding),
                    dilation=pair(module.dilation), groups=module.groups)
    elif isinstance(module, nn.MaxPool2d):
        info.update(kernel_size=pair(module.kernel_size), stride=pair(module.stride or module.kernel_size),
                    padding=pair(module.padding), dilation=pair(module.dilation), ceil_mode=module.ceil_mode)
    elif isinstance(module, nn.Linear):
        info.update(in_features=module.in_features, out_features=module.out_features)
    if isinstance(module, nn.Module):
        info["parameters"] = sum(p.numel() for p in module.parameters())
    return info


def describe(cls: type, seed: int) -> dict[str, Any]:
    """Procedure: the named layers of a freshly built network and its parameter count."""
    model = seeded(cls, seed)
    return {"layers": {name: _layer(getattr(model, name, None)) for name in EXPECTED_LAYERS},
            "parameters": sum(p.numel() for p in model.parameters())}


def logits(cls: type, x: torch.Tensor, device: str, seed: int,
           state_dict: dict[str, torch.Tensor] | None = None) -> dict[str, Any]:
    """Procedure: the network's output on ``x`` (eval mode, no grad), after loading
    ``state_dict`` when given. Returns {"logits": the output, on the CPU}, or {"raised": what
    forward raised}, or {"load_error": why the weights do not fit, as a list of ("missing", key),
    ("unexpected", key) and ("shape", key, its shape, the expected shape)}; the judge words it."""
    model = seeded(cls, seed)
    if state_dict is not None:
        own = model.state_dict(keep_vars=True)
        loaded = {own[k].data_ptr() for k in state_dict if k in own}  # a layer also reachable by another name is fine
        problems = [("missing", k) for k in state_dict if k not in own]
        problems += [("unexpected", k) for k, v in own.items() if k not in state_dict and v.data_ptr() not in loaded]
        problems += [("shape", k, str(tuple(own[k].shape)), str(tuple(v.shape)))
                     for k, v in state_dict.items() if k in own and own[k].shape != v.shape]
        if problems:
            return {"load_error": problems}
        model.load_state_dict(state_dict, strict=False)
    model = model.to(device).eval()
    with torch.no_grad():
        result = forward(model, x.to(device, copy=True))
    if "out" in result:
        out = result.pop("out")
        result["logits"] = out.detach().cpu() if type(out) is torch.Tensor else out
    return result


def overfit(cls: type, x: torch.Tensor, labels: torch.Tensor, device: str, seed: int, steps: int,
            lr: float) -> dict[str, Any]:
    """Procedure: train a freshly built network on one small batch with Adam and cross-entropy;
    return {"initial_loss", "final_loss", "accuracy"}, or {"untrainable": why} when its output
    cannot be trained against the labels: "raised" (with "raised": what forward raised), "shape"
    (with "shape": what it returned) or "detached"; the judge words it (:func:`untrainable`)."""
    model = seeded(cls, seed).to(device).train()
    x, labels = x.to(device, copy=True), labels.to(device, copy=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        result = forward(model, x)
        out = result.get("out")
        if "raised" in result:
            return {"untrainable": "raised", "raised": result["raised"]}
        if type(out) is not torch.Tensor or tuple(out.shape) != (len(labels), NUM_CLASSES):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else describe_type(out)
            return {"untrainable": "shape", "shape": str(shape)}
        if not out.requires_grad:
            return {"untrainable": "detached"}
        losses = fit(model, model.parameters(), x, labels, steps, lr)
        model.eval()
        with torch.no_grad():
            out = model(x)
    return {"initial_loss": losses[0], "final_loss": float(F.cross_entropy(out, labels)),
            "accuracy": float((out.argmax(1) == labels).float().mean())}


# ----------------------------------------------------------------------------------------------
# The judge side.


def _conv(i: int, o: int, k: int) -> dict[str, Any]:
    return {"type": "Conv2d", "in_channels": i, "out_channels": o, "kernel_size": (k, k), "stride": (1, 1),
            "padding": (0, 0), "dilation": (1, 1), "groups": 1, "parameters": o * (i * k * k + 1)}


_POOL = {"type": "MaxPool2d", "kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0), "dilation": (1, 1),
         "ceil_mode": False, "parameters": 0}
EXPECTED_LAYERS: dict[str, dict[str, Any]] = {
    "conv1": _conv(3, 16, 5), "pool1": _POOL, "conv2": _conv(16, 36, 3), "pool2": _POOL,
    "fc1": {"type": "Linear", "in_features": 1296, "out_features": 128, "parameters": 1296 * 128 + 128},
    "fc2": {"type": "Linear", "in_features": 128, "out_features": 10, "parameters": 128 * 10 + 10},
}
EXPECTED_PARAMETERS = sum(layer["parameters"] for layer in EXPECTED_LAYERS.values())  # 173,742
BATCH_LABELS = {1: N_("a batch of 1 image"), 2: N_("a batch of 2 images"), 5: N_("a batch of 5 images")}
BATCH_SIZES = tuple(BATCH_LABELS)  # (1, 2, 5)


def _run(task: Task, ctx: Context, procedure: str, *args: Any, shown: Call | None = None) -> Any:
    outcome = ctx.run_procedure(f"{PROCEDURES}:{procedure}", task, args)
    refuse(outcome, task, shown)
    return outcome.value


def check_architecture(task: Task, ctx: Context) -> None:
    layers = _run(task, ctx, "describe", SEED)["layers"]
    problems, kernel = [], False
    for name, expected in EXPECTED_LAYERS.items():
        got = layers[name]
        if got is None:
            problems.append(_("self.{name} is missing").format(name=name))
        elif got["type"] != expected["type"]:
            problems.append(_("self.{name} is a {got}, expected an nn.{expected}").format(
                name=name, got=got["type"], expected=expected["type"]))
        else:
            wrong = [key for key, value in expected.items()
                     if key not in ("type", "parameters") and got.get(key) != value]
            kernel = kernel or ("kernel_size" in wrong and "conv" in name)
            problems += [_("self.{name}.{key} is {got}, expected {expected}").format(
                name=name, key=key, got=repr(got.get(key)), expected=repr(expected[key])) for key in wrong]
    if problems:
        raise CheckFailed(named(Failure(
            "failed", _("{task}'s layers differ from the contract's: {problem}").format(
                task=task.name, problem=problems[0]), details=problems[1:],
            hint="conv1 = nn.Conv2d(3, 16, 5), pool1 = nn.MaxPool2d(2, 2), conv2 = nn.Conv2d(16, 36, 3), "
                 "pool2 = nn.MaxPool2d(2, 2), fc1 = nn.Linear(1296, 128), fc2 = nn.Linear(128, 10)"),
            WRONG_KERNEL_SIZE if kernel else None))


def check_parameter_count(task: Task, ctx: Context) -> None:
    described = _run(task, ctx, "describe", SEED)
    if described["parameters"] != EXPECTED_PARAMETERS:
        details, counted = [], 0
        for name, layer in described["layers"].items():
            got, expected = (layer or {}).get("parameters"), EXPECTED_LAYERS[name]["parameters"]
            counted += got or 0
            if got is None:
                details.append(_("self.{name}: missing (expected {expected})").format(
                    name=name, expected=f"{expected:,}"))
            elif got != expected:
                details.append(_("self.{name}: {got} (expected {expected})").format(
                    name=name, got=f"{got:,}", expected=f"{expected:,}"))
        if described["parameters"] != counted:
            details.append(_("parameters outside conv1 ... fc2: {extra} (expected 0)").format(
                extra=f"{described['parameters'] - counted:,}"))
        raise CheckFailed(Failure("failed", _("{task} has {got} parameters, expected {expected}").format(
                                      task=task.name, got=f"{described['parameters']:,}",
                                      expected=f"{EXPECTED_PARAMETERS:,}"), details=details,
                                  hint=_("every conv and linear layer keeps its bias; no extra layers")))


def load_problem(problem: tuple) -> str:
    """One of the ``load_error`` items of :func:`logits`, in words."""
    kind, key, *shapes = problem
    if kind == "missing":
        return _("missing {key}").format(key=key)
    if kind == "unexpected":
        return _("unexpected {key}").format(key=key)
    return _("{key} has shape {got}, expected {expected}").format(key=key, got=shapes[0], expected=shapes[1])


def untrainable(result: dict[str, Any]) -> str:
    """Why :func:`overfit` could not train the network, in words."""
    if result["untrainable"] == "raised":
        return _("its forward raised {raised}").format(raised=result["raised"])
    if result["untrainable"] == "shape":
        return _("its output for {n} images is {shape}, not ({n}, 10)").format(n=OVERFIT_BATCH,
                                                                               shape=result["shape"])
    return _("its output does not depend on its parameters (detached, .data or no_grad)")


def student_logits(task: Task, ctx: Context, x: torch.Tensor, label: str, weights: bool,
                   earlier_batch_passed: bool = False) -> torch.Tensor:
    """The student's logits on ``x`` (with the reference's weights when ``weights``), checked to
    be a plain tensor of shape (N, 10). ``label`` (an English message, translated where shown)
    names ``x``."""
    shown = Call((x,), label=label)
    result = _run(task, ctx, "logits", x, str(ctx.settings.device), SEED,
                  reference_state_dict() if weights else None, shown=shown)
    if "load_error" in result:
        raise CheckFailed(Failure("failed", _("the reference weights do not fit {task}: {problems}").format(
                                      task=task.name, problems="; ".join(map(load_problem, result["load_error"]))),
                                  hint=_("keep the contract's attribute names (conv1, pool1, conv2, pool2, fc1, "
                                         "fc2), layer sizes and biases")))
    if "raised" in result:
        raise CheckFailed(named(Failure("error", _("{task}'s forward raised {raised} on {label}").format(
                                            task=task.name, raised=result["raised"], label=_(label)),
                                        call=shown), BATCH_HARD_CODED if earlier_batch_passed else None))
    got = result["logits"]
    expected = torch.zeros(len(x), NUM_CLASSES, dtype=torch.float64)
    mismatch = compare(expected, got, dtype=None, device=None,
                       tolerance=Tolerance(float32=(0.0, float("inf")), float64=(0.0, float("inf"))))
    if mismatch and mismatch.kind != "nan":
        mistake = None
        if isinstance(got, torch.Tensor) and got.dim() == 1:
            mistake = BATCH_FLATTENED_AWAY
        elif isinstance(got, torch.Tensor) and got.shape[0] != len(x):
            mistake = BATCH_HARD_CODED
        raise CheckFailed(named(Failure("failed", _("{task}'s output for {label} {shape} {mismatch}").format(
                                            task=task.name, label=_(label), shape=tuple(x.shape),
                                            mismatch=mismatch.headline.removeprefix("result ")),
                                        call=shown, kind=mismatch.kind), mistake))
    return got


def check_batch_sizes(task: Task, ctx: Context) -> None:
    for i, n in enumerate(BATCH_SIZES):
        student_logits(task, ctx, images(n), BATCH_LABELS[n], weights=False, earlier_batch_passed=i > 0)


def check_raw_logits(task: Task, ctx: Context) -> None:
    x = images(4)
    got = student_logits(task, ctx, x, N_("a batch of 4 images"), weights=True)
    got64, expected = got.double(), run_with_reference_weights(ReferenceCNNNet, x)
    shown = Call((x,), label=N_("a batch of 4 images, the reference's weights loaded"))
    if bool((got64 >= 0).all()) and bool((expected < 0).any()):
        if torch.allclose(got64.sum(1), torch.ones(len(x), dtype=torch.float64), atol=1e-4):
            what = _("they are non-negative and each row sums to 1, as after a softmax")
        else:
            what = _("none is negative, while with the same weights {negative} of the reference's {total} logits "
                     "are").format(negative=int((expected < 0).sum()), total=expected.numel())
        raise CheckFailed(named(Failure(
            "failed", _("{task}'s logits must not go through a ReLU (or any activation) after fc2: {what}").format(
                task=task.name, what=what),
            call=shown, expected=expected, got=got, hint=_(RAW_LOGITS_HINT)), recognised_mistake(got, x)))
    if torch.allclose(torch.logsumexp(got64, 1), torch.zeros(len(x), dtype=torch.float64), atol=1e-4):
        raise CheckFailed(named(Failure(
            "failed", _("{task}'s logits went through a log-softmax (each row's logsumexp is 0): return "
                        "fc2's output as it is").format(task=task.name),
            call=shown, expected=expected, got=got, hint=_(RAW_LOGITS_HINT)), recognised_mistake(got, x)))


def check_matches_reference(task: Task, ctx: Context) -> None:
    x = images(3)
    got = student_logits(task, ctx, x, N_("a batch of 3 images"), weights=True)
    expected = run_with_reference_weights(ReferenceCNNNet, x)
    mismatch = compare(expected, got, dtype=None, device=None, tolerance=LOGIT_TOLERANCE)
    if mismatch:
        raise CheckFailed(named(Failure(
            "failed", _("{task} with the reference's weights loaded: {mismatch}").format(
                task=task.name, mismatch=mismatch.headline),
            call=Call((x,), label=N_("a batch of 3 images, the reference's weights loaded")),
            expected=expected, got=got, kind=mismatch.kind), recognised_mistake(got, x)))


OVERFIT_BATCH = 8
OVERFIT_STEPS = 40
OVERFIT_LR = 1e-3
OVERFIT_MAX_LOSS = 0.1
"""The reference reaches a loss near 0.001 in 40 Adam steps on 8 noise images with random labels;
a ReLU on the logits gets stuck near 0.9 (dead logits), a softmax on them near 1.5."""
OVERFIT_LABEL = N_("8 noise images with random labels")  # a fixed message (translated where shown)
assert OVERFIT_LABEL.startswith(f"{OVERFIT_BATCH} ")


def check_overfits_tiny_batch(task: Task, ctx: Context) -> None:
    x = images(OVERFIT_BATCH)
    labels = torch.randint(0, NUM_CLASSES, (OVERFIT_BATCH,), generator=torch.Generator().manual_seed(SEED))
    shown = Call((x, labels), label=OVERFIT_LABEL)
    result = _run(task, ctx, "overfit", x, labels, str(ctx.settings.device), SEED, OVERFIT_STEPS, OVERFIT_LR,
                  shown=shown)
    if "untrainable" in result:
        raise CheckFailed(Failure("failed", _("{task} cannot be trained with cross-entropy: {why}").format(
                                      task=task.name, why=untrainable(result)), call=shown))
    loss, accuracy = result["final_loss"], result["accuracy"]
    if not (loss <= OVERFIT_MAX_LOSS and accuracy == 1.0):
        raise CheckFailed(Failure(
            "failed", _("{task} does not learn a batch of {n} images by heart: after {steps} Adam steps (lr {lr}) "
                        "the cross-entropy went from {initial} to {final} (at most {max_loss} expected) and "
                        "{accuracy} of them are classified right").format(
                task=task.name, n=OVERFIT_BATCH, steps=OVERFIT_STEPS, lr=OVERFIT_LR,
                initial=f"{result['initial_loss']:.3g}", final=f"{loss:.3g}", max_loss=OVERFIT_MAX_LOSS,
                accuracy=f"{accuracy:.0%}"),
            call=shown, hint=_("the logits must stay connected to the parameters (no .data, .detach() or "
                               "torch.no_grad() in forward) and must not pass through an activation")))


@st.composite
def flatten_calls(draw: Any) -> Call:
    """(H, W) from the smallest size that survives both poolings to 80, drawn independently."""
    return Call(((draw(st.integers(MIN_SIDE, 80)), draw(st.integers(MIN_SIDE, 80))),))


def _side(n: int) -> int:
    return ((n - 4) // 2 - 2) // 2


FLATTEN_MISTAKES = (
    Mistake(N_("1296 whatever the input size"), N_("work the size out from input_hw: each side goes n -> n - 4 -> "
                                                   "// 2 -> - 2 -> // 2"), lambda input_hw=(32, 32): 1296),
    Mistake(N_("the height used for both sides"), N_("input_hw is (H, W): compute the two sides separately"),
            lambda input_hw=(32, 32): 36 * _side(input_hw[0]) ** 2),
    Mistake(N_("true division (/) instead of floor division (//)"), N_("pooling rounds down: use //"),
            lambda input_hw=(32, 32): 36 * (((input_hw[0] - 4) / 2 - 2) / 2) * (((input_hw[1] - 4) / 2 - 2) / 2)),
)


register(Exercise(
    module="ex10_cnnnet",
    title=N_("A small CNN"),
    notes=N_(r"""Each valid convolution with a $k \times k$ kernel takes $k - 1$ pixels off each side
length, each $2 \times 2$ max-pooling with stride 2 halves it (rounding down): for 32x32,
$32 \to 28 \to 14 \to 12 \to 6$, so fc1 sees $36 \cdot 6 \cdot 6 = 1296$ features. The network
returns raw logits: `nn.CrossEntropyLoss` applies the log-softmax itself, so nothing follows
fc2."""),
    tasks=(
        Task(
            name="flatten_size",
            summary=N_("the number of features entering fc1 for an input of size (H, W)"),
            calls=flatten_calls,
            reference=reference_flatten_size,
            forbidden=None,
            examples=(Call(label=N_("the default 32x32")), Call(((28, 36),), label=N_("a 28x36 input")),
                      Call(((64, 48),), label=N_("a 64x48 input")),
                      Call(((MIN_SIDE, MIN_SIDE + 1),), label=N_("the smallest inputs"))),
            mistakes=FLATTEN_MISTAKES,
            checks=(checks.property_check("matches_forward_pass", N_("equals the feature count of a real forward "
                                                             "pass, for several input sizes"),
                                          2, Variant(torch.float32)),),
            hint=N_("each side: n -> n - 4 (conv1) -> // 2 (pool1) -> - 2 (conv2) -> // 2 (pool2); "
                    "times 36 channels"),
        ),
        Task(
            name="CNNNet",
            summary=N_("the notes' CNN for 3x32x32 images, returning raw logits (N, 10)"),
            forbidden=None,
            mistakes=MISTAKES,
            checks=(
                Check("architecture", N_("conv1, pool1, conv2, pool2, fc1, fc2 with the contract's types and "
                                         "hyperparameters"), 2, check_architecture),
                Check("parameter_count", N_("173,742 parameters"), 1, check_parameter_count),
                Check("batch_sizes", N_("logits of shape (N, 10) for batches of 1, 2 and 5 images"), 2,
                      check_batch_sizes),
                Check("raw_logits", N_("no activation after fc2: negative logits stay negative"), 1,
                      check_raw_logits),
                Check("matches_reference", N_("with the reference's weights loaded, the same logits as the "
                                              "reference"), 2, check_matches_reference),
                Check("overfits_tiny_batch", N_("learns a batch of 8 images by heart in 40 Adam steps"), 1,
                      check_overfits_tiny_batch),
            ),
            hint=N_("forward: pool1(relu(conv1(x))), pool2(relu(conv2(x))), x.flatten(1), relu(fc1(x)), fc2(x)"),
        ),
    ),
))
