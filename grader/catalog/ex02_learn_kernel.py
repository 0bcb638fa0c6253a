"""ex02: learning a kernel by gradient descent on the mean squared error.

The student's ``learn_kernel`` returns a plain tensor, so it is called directly. It is judged by
what the kernel does, not by how it was found: the kernel must reproduce Y (the notes' example,
where many kernels do), and must be the true kernel where the data determine it (random inputs
with several times more output pixels than kernel entries, so the least-squares problem is
well-conditioned and plain gradient descent with the given learning rate converges in the given
number of steps).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

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
    as_received,
    compare,
    ngettext,
    prepare,
    refuse,
    register,
    run_property,
    strategies,
)


def cross_correlate(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Valid cross-correlation (H, W), (kh, kw) -> (H-kh+1, W-kw+1), float64 on the CPU: what
    the unknown kernel did to X, and what the judge applies to the returned kernel."""
    X, K = X.detach().to("cpu", torch.float64), K.detach().to("cpu", torch.float64)
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def descend(X: torch.Tensor, Y: torch.Tensor, kernel_size: int | tuple[int, int], lr: float = 0.001,
            steps: int = 400, reduce: str = "mean") -> torch.Tensor:
    """Plain gradient descent from the zero kernel on the squared error (``reduce``: "mean", as
    the contract says, or "sum", a classic mistake). The stand-in for the mistakes below."""
    K = torch.zeros(strategies.as_pair(kernel_size), dtype=X.dtype, requires_grad=True)
    for _step in range(steps):
        error = (F.conv2d(X[None, None], K[None, None])[0, 0] - Y) ** 2
        (grad,) = torch.autograd.grad(error.mean() if reduce == "mean" else error.sum(), K)
        with torch.no_grad():
            K -= lr * grad
    return K.detach()


WEIGHT_RETURNED = Mistake(
    N_("returned the layer's weight, shape (1, 1, kh, kw), instead of the (kh, kw) kernel"),
    N_("return conv.weight.detach()[0, 0] (or .reshape(kh, kw))"),
    lambda X, Y, kernel_size, lr=0.001, steps=400: descend(X, Y, kernel_size, lr, steps)[None, None])
DIVERGED = Mistake(
    N_("gradient descent diverged (a summed loss, or a step larger than lr)"),
    N_("minimise the mean of the squared errors (nn.MSELoss() or ((pred - Y) ** 2).mean()) with exactly the lr given"),
    lambda X, Y, kernel_size, lr=0.001, steps=400: descend(X, Y, kernel_size, lr, steps, reduce="sum"))
MISTAKES = (WEIGHT_RETURNED, DIVERGED)


def problem(X: torch.Tensor, K: torch.Tensor, kernel_size: int | tuple[int, int], lr: float, steps: int,
            label: str = "") -> Call:
    """The call learn_kernel(X, Y, kernel_size, lr=lr, steps=steps) with Y made by K from X."""
    return Call((X, cross_correlate(X, K), kernel_size), {"lr": lr, "steps": steps}, label)


@st.composite
def shape_calls(draw: Any) -> Call:
    """A small consistent problem (X (H, W), Y made by a (kh, kw) kernel) with kernel_size an int
    when the kernel is square and an (kh, kw) tuple otherwise, trained for a few steps only: the
    check that uses it judges the returned kernel's type and shape, not its values."""
    kh, kw = draw(strategies.pairs(strategies.kernel_sides()))
    X = draw(strategies.tensors((draw(st.integers(kh, kh + 4)), draw(st.integers(kw, kw + 4)))))
    K = draw(strategies.tensors((kh, kw)))
    kernel_size = kh if kh == kw and draw(st.booleans()) else (kh, kw)
    return problem(X, K, kernel_size, lr=0.001, steps=draw(st.integers(1, 3)))


RECOVERY_LR = 0.05
RECOVERY_STEPS = 100


def seeded_problem(seed: int, h: int, w: int, kernel_size: int | tuple[int, int],
                   label: str) -> tuple[Call, torch.Tensor]:
    """(call, true kernel): random half-integer X (h, w) and kernel from a fixed seed, shown as
    ``label``, a fixed message (so that it can be translated) which must describe the problem
    exactly as "random {h}x{w} input, {kh}x{kw} kernel, lr={lr}, steps={steps}". The output
    has at least 3 times as many pixels as the kernel has entries, so the data determine the
    kernel; for these seeds the Hessian of the loss has eigenvalues between about 4.5 and 29, so
    with lr 0.05 each step shrinks the error by a factor 0.8 or less and 100 steps converge far
    past float32's precision (tests/test_ex02_learn_kernel.py verifies this)."""
    g = torch.Generator().manual_seed(seed)
    kh, kw = strategies.as_pair(kernel_size)
    X = torch.randint(-8, 9, (h, w), generator=g, dtype=torch.float64) / 2
    K = torch.randint(-8, 9, (kh, kw), generator=g, dtype=torch.float64) / 2
    described = f"random {h}x{w} input, {kh}x{kw} kernel, lr={RECOVERY_LR}, steps={RECOVERY_STEPS}"
    if label != described:
        raise ValueError(f"seeded_problem({seed}, ...): label {label!r} should read {described!r}")
    return problem(X, K, kernel_size, lr=RECOVERY_LR, steps=RECOVERY_STEPS, label=label), K


RECOVERY_PROBLEMS = (
    seeded_problem(1, 7, 9, (2, 3), N_("random 7x9 input, 2x3 kernel, lr=0.05, steps=100")),
    seeded_problem(2, 9, 6, (3, 2), N_("random 9x6 input, 3x2 kernel, lr=0.05, steps=100")),
    seeded_problem(3, 6, 10, (1, 4), N_("random 6x10 input, 1x4 kernel, lr=0.05, steps=100")),
    seeded_problem(4, 8, 8, 3, N_("random 8x8 input, 3x3 kernel, lr=0.05, steps=100")),
)
"""(call, true kernel) pairs where the kernel is unique and gradient descent finds it."""

NOTES_X = torch.tensor([[10.0, 10.0, 10.0, 0.0, 0.0, 0.0]] * 6, dtype=torch.float64)
NOTES_Y = torch.tensor([[0.0, 30.0, 30.0, 0.0]] * 4, dtype=torch.float64)
NOTES_EXAMPLE = Call((NOTES_X, NOTES_Y, (3, 3)), {"lr": 0.001, "steps": 400},
                     label=N_("the notes' vertical-edge example"))
"""X: three columns of 10s then three of 0s; Y: 30s where the 3x3 window straddles the edge.
Many 3x3 kernels reproduce Y exactly (on this X only the kernel's column sums matter), so only
the reproduction of Y is judged; the notes' loop gets the loss below 1e-8 in 400 steps."""

SHAPE_EXAMPLES = (
    Call((NOTES_X, NOTES_Y, 3), {"lr": 0.001, "steps": 2}, label=N_("the notes' example, two steps")),
    problem(torch.arange(15, dtype=torch.float64).reshape(3, 5) / 2, torch.tensor([[1.0, -1.0, 0.5]]),
            (1, 3), lr=0.001, steps=2, label=N_("a 3x5 input and a 1x3 kernel")),
)

REPRODUCTION_TOLERANCE = 0.03
"""Largest ||X * K - Y|| / ||Y|| accepted on the notes' example. Plain gradient descent from any
initialisation ends near 1e-7; a bias left in an nn.Conv2d (initialised within +-1/3, barely
trained here) costs up to 4/3 / ||Y|| = 0.016; an untrained kernel scores about 1."""

RECOVERY_TOLERANCE = Tolerance(float32=(0.0, 1e-3), float64=(0.0, 1e-4))
"""Absolute error allowed on a recovered kernel (entries up to 4, scaled by the largest). The
float64 bound leaves room for a bias left in the conv, whose extra direction converges slower."""
STRUCTURE_ONLY = Tolerance(float32=(0.0, math.inf), float64=(0.0, math.inf))
"""Accepts any values: only type, shape, dtype and device are judged."""


def learned_kernel(task: Task, ctx: Context, call: Call, dtype: torch.dtype) -> tuple[Any, Call]:
    """Run learn_kernel on ``call`` (inputs in ``dtype``); fail unless it returned a plain
    (kh, kw) tensor of that dtype on the input's device. Returns (the kernel, the call as shown)."""
    variant = Variant(dtype)
    shown = as_received(call, variant)
    args, kwargs = prepare(call, variant, ctx.settings.device)
    outcome = ctx.call(task, args, kwargs)
    refuse(outcome, task, shown)
    got = outcome.value
    shape = strategies.as_pair(call.args[2])
    finite = got.detach().nan_to_num(0.0, 0.0, 0.0) if type(got) is torch.Tensor else got
    mismatch = compare(torch.zeros(shape, dtype=torch.float64), finite, dtype=dtype, device=ctx.settings.device,
                       tolerance=STRUCTURE_ONLY)
    if mismatch:
        weight = mismatch.kind == "shape" and tuple(got.shape) == (1, 1, *shape)
        raise CheckFailed(Failure("failed", _("{task}: {headline}").format(task=task.name, headline=mismatch.headline),
                                  call=shown, got=got,
                                  details=list(mismatch.details), kind=mismatch.kind,
                                  mistake=WEIGHT_RETURNED.name if weight else None,
                                  hint=WEIGHT_RETURNED.hint if weight else None))
    return got, shown


def diverged(K: torch.Tensor) -> bool:
    return not bool(torch.isfinite(K).all()) or float(K.abs().max()) > 1e6


def check_kernel_shape(task: Task, ctx: Context) -> None:
    run_property(task, ctx, lambda call: learned_kernel(task, ctx, call, torch.float32))


def check_reproduces_notes_example(task: Task, ctx: Context) -> None:
    X, Y, _kernel_size = NOTES_EXAMPLE.args
    K, shown = learned_kernel(task, ctx, NOTES_EXAMPLE, torch.float32)
    reproduced = cross_correlate(X, K)
    error = float((reproduced - Y).norm() / Y.norm())
    if not error <= REPRODUCTION_TOLERANCE:
        mistake = DIVERGED if diverged(K) else None
        raise CheckFailed(Failure(
            "failed", _("{task}: the returned kernel K reproduces Y with a relative error "
                        "||X * K - Y|| / ||Y|| = {error} (at most {tolerance} accepted)").format(
                task=task.name, error=f"{error:.3g}", tolerance=REPRODUCTION_TOLERANCE),
            call=shown, expected=Y, got=reproduced, kind="values",
            details=[_("expected: Y; got: the cross-correlation of X with the returned kernel"),
                     _("returned kernel: {kernel}").format(
                         kernel=[[round(v, 4) for v in row] for row in K.tolist()])],
            mistake=mistake and mistake.name,
            hint=mistake.hint if mistake else _("400 steps of K -= lr * (gradient of mean((conv(X, K) - Y) ** 2)) "
            "with lr=0.001 bring the loss near 0 here: check that the loop updates the kernel you return")))


def recover(task: Task, ctx: Context, call: Call, K: torch.Tensor, dtype: torch.dtype) -> None:
    got, shown = learned_kernel(task, ctx, call, dtype)
    mismatch = compare(K, got, dtype=dtype, device=ctx.settings.device, tolerance=RECOVERY_TOLERANCE)
    if mismatch:
        mistake = DIVERGED if diverged(got.detach().cpu()) else None
        raise CheckFailed(Failure(
            "failed", _("{task} did not find the kernel that made Y: {headline}").format(
                task=task.name, headline=mismatch.headline), call=shown,
            expected=K, got=got, kind=mismatch.kind, mistake=mistake and mistake.name,
            details=[ngettext("here the data determine the kernel, and {steps} step with lr {lr} converges "
                              "from any start",
                              "here the data determine the kernel, and {steps} steps with lr {lr} converge "
                              "from any start", call.kwargs["steps"]).format(
                steps=call.kwargs["steps"], lr=call.kwargs["lr"])],
            hint=mistake.hint if mistake else _("use the lr and steps you are given, the mean squared error, "
            "and plain gradient descent (K -= lr * K.grad, or torch.optim.SGD)")))


def check_recovers_true_kernel(task: Task, ctx: Context) -> None:
    for call, K in RECOVERY_PROBLEMS:
        recover(task, ctx, call, K, torch.float32)


def check_keeps_float64(task: Task, ctx: Context) -> None:
    call, K = RECOVERY_PROBLEMS[0]
    recover(task, ctx, call, K, torch.float64)


register(Exercise(
    module="ex02_learn_kernel",
    title=N_("Learning a kernel by gradient descent"),
    notes=N_(r"""Given $X$ and $Y = X \star K$ for an unknown kernel $K$, start from any kernel and
repeat $K \leftarrow K - \eta\, \nabla_K \operatorname{mean}\big((X \star K - Y)^2\big)$ for the
given number of steps. `nn.Conv2d(1, 1, kernel_size, bias=False)` on inputs reshaped to
$(1, 1, H, W)$ does the cross-correlation, autograd the gradient; return the kernel as a
$(k_h, k_w)$ tensor. Closed-form least squares (`torch.linalg.lstsq`, `solve`, `pinv`) is not
allowed: the point is the descent."""),
    tasks=(
        Task(
            name="learn_kernel",
            summary=N_("the (kh, kw) kernel that reproduces Y from X, found by gradient descent on the MSE"),
            calls=shape_calls,
            forbidden="no_closed_form",
            examples=SHAPE_EXAMPLES,
            mistakes=MISTAKES,
            tolerance=RECOVERY_TOLERANCE,
            checks=(
                Check("kernel_shape", N_("returns the kernel as a plain (kh, kw) tensor of the input's dtype "
                      "and device, for int and (kh, kw) kernel sizes"), 1, check_kernel_shape),
                Check("reproduces_notes_example", N_("on the notes' vertical-edge example (lr 0.001, 400 steps) "
                      "the kernel reproduces Y"), 2, check_reproduces_notes_example),
                Check("recovers_true_kernel", N_("on random well-conditioned data, with the given lr and steps, "
                      "the kernel is the one that made Y"), 2, check_recovers_true_kernel),
                Check("keeps_float64", N_("float64 inputs give a float64 kernel, which recovers the true kernel too"),
                      1, check_keeps_float64),
            ),
            hint=N_("nn.Conv2d(1, 1, kernel_size, bias=False).to(X.dtype) on X.reshape(1, 1, H, W); after the "
                    "loop return conv.weight.detach()[0, 0] (shape (kh, kw))"),
        ),
    ),
))
