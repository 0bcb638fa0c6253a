"""The notes' claims about networks: the CNNNet's 36*6*6 = 1296 features, the learned-kernel
example, receptive fields growing with depth, and fully convolutional networks (any input size,
upsampled back to the input's size).

The CNNNet and the learned-kernel loop are the notes' own listings (run from
:mod:`grader.ledger.subjects`); ``notes_fcn`` is a small network built as section 9 describes.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from pathlib import Path
from typing import Iterable

import sympy
import torch
import torch.nn.functional as F
from torch import nn

from grader.engine.outcome import Failure
from grader.ledger import subjects
from grader.ledger.claims.transposed import transposed_size
from grader.ledger.measure import conv_size
from grader.ledger.record import Claim, Evidence, Verdict
from grader.ledger.search import Config, Feature, split

# --- the CNNNet of section 1 --------------------------------------------------------------------

NOTES_FEATURES = 36 * 6 * 6  # x.view(-1, 36*6*6), and nn.Linear(1296, 128)


def ranges(values: Iterable[int]) -> str:
    """``[32, 33, 34, 35, 40]`` -> ``"32–35, 40"``."""
    runs: list[list[int]] = []
    for v in sorted(values):
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def cnnnet_features(net: nn.Module, h: int, w: int) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """(the shape pool2 gives one 3 x h x w image, the shape forward returns), on meta tensors;
    None where torch refuses the input at that stage."""
    seen: list[tuple[int, ...]] = []
    hook = net.pool2.register_forward_hook(lambda module, args, out: seen.append(tuple(out.shape)))
    try:
        out = tuple(net(torch.empty(1, 3, h, w, device="meta")).shape)
    except RuntimeError:
        out = None
    finally:
        hook.remove()
    return (seen[0] if seen else None), out


def verify_cnnnet_features() -> Verdict:
    module = subjects.load("ex10_cnnnet")
    if isinstance(module, Failure):
        return Verdict("refuted", (Evidence("run", f"the notes' CNNNet listing does not load: {module.headline}"),),
                       counterexample=module.headline)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = module.CNNNet().to("meta")
    pooled, out = cnnnet_features(net, 32, 32)
    count = math.prod(pooled[1:]) if pooled else None
    evidence = [Evidence("torch", f"the notes' CNNNet on one 3x32x32 image: pool2 gives {pooled}, "
                         f"{' * '.join(map(str, pooled[1:]))} = {count} features; fc1 takes "
                         f"{net.fc1.in_features}; forward returns {out}")]
    sides = range(8, 65)
    square = {n: cnnnet_features(net, n, n) for n in sides}
    six = [n for n in sides if square[n][0] and square[n][0][2:] == (6, 6)]
    evidence.append(Evidence("exhaustive", f"square inputs 3 x n x n, n {sides.start}–{sides.stop - 1}: pool2 gives "
                             f"36 x 6 x 6 exactly when n is {ranges(six)}"))
    side = {n: shape[0][2] for n, shape in square.items() if shape[0]}  # each axis shrinks on its own
    pairs = sorted(((h, w) for h in side for w in side if side[h] * side[w] * 36 == NOTES_FEATURES and side[h] != 6),
                   key=lambda hw: (sum(hw), hw))
    if pairs and (other := cnnnet_features(net, *pairs[0]))[1] == (1, 10):
        evidence.append(Evidence("torch", f"a 3x{pairs[0][0]}x{pairs[0][1]} image also gives {math.prod(other[0][1:])} "
                                 f"features (pool2 {other[0]}), which fc1 takes as if they were 36 maps of 6 x 6"))
    folded = next(((n, shape[1]) for n, shape in square.items() if shape[1] and shape[1][0] != 1), None)
    if folded:
        evidence.append(Evidence("torch", f"x.view(-1, 36*6*6) folds features into the batch: one "
                                 f"3x{folded[0]}x{folded[0]} image comes out as {folded[1][0]} rows of "
                                 f"logits {folded[1]}, with no error"))
    if count != NOTES_FEATURES or net.fc1.in_features != NOTES_FEATURES or out != (1, 10):
        return Verdict("refuted", tuple(evidence), counterexample=f"a 3x32x32 image gives {count} features")
    return Verdict("verified", tuple(evidence))


# --- the learned kernel of section 2.1 ------------------------------------------------------------

SEEDS = range(5)
NOTES_PRINTED_LOSS = None
"""The notes print the loop's code but not its output: no loss value to compare with, so the
loss reached is compared with the exact optimum instead."""

PRINTED = re.compile(r"epoch (\d+), loss: ([0-9.]+)")


def windows(X: torch.Tensor, kh: int, kw: int) -> sympy.Matrix:
    """The exact least-squares design matrix: one row per output pixel, the window of X it sees
    (flattened), so that Y.flatten() = A @ K.flatten()."""
    h, w = X.shape
    values = [[sympy.nsimplify(float(v)) for v in row] for row in X.tolist()]
    return sympy.Matrix([[values[i + a][j + b] for a in range(kh) for b in range(kw)]
                         for i in range(h - kh + 1) for j in range(w - kw + 1)])


def exact_optimum(X: torch.Tensor, Y: torch.Tensor, kh: int, kw: int) -> tuple[sympy.Rational, int]:
    """(the smallest mean squared error any (kh, kw) kernel reaches on (X, Y), rank of the windows)."""
    A = windows(X, kh, kw)
    y = sympy.Matrix([sympy.nsimplify(float(v)) for v in Y.flatten().tolist()])
    solution, params = (A.T * A).gauss_jordan_solve(A.T * y)
    best = solution.subs({t: 0 for t in params})
    residual = A * best - y
    return (residual.T * residual)[0] / len(y), A.rank()


def loss_bound(losses: Iterable[float]) -> str:
    """The smallest power of ten above every loss: a bound that reads the same on every machine."""
    top = max(losses)
    return "0" if top == 0 else f"1e{math.ceil(math.log10(top))}"


def learn_kernel_runs() -> tuple[subjects.Run, ...]:
    """The listing run once per seed (its loop is deterministic for a seed; both claims read it)."""
    return _runs(subjects.listing("learn_kernel_example"))


@functools.cache
def _runs(path: Path) -> tuple[subjects.Run, ...]:
    return tuple(subjects.run_script(path.stem, seed) for seed in SEEDS)


def verify_learned_kernel_loss() -> Verdict:
    runs = learn_kernel_runs()
    X, Y = runs[0].namespace["X"][0, 0], runs[0].namespace["Y"][0, 0]
    optimum, _ = exact_optimum(X, Y, 3, 3)
    shown = f"{float(optimum):.4f}"
    finals = [PRINTED.findall(run.printed)[-1] for run in runs]
    losses = [run.namespace["loss"].item() for run in runs]
    evidence = (
        Evidence("sympy", f"the least-squares optimum over all 3x3 kernels on the notes' X, Y: mean squared error "
                 f"{optimum} (exact), which the listing would print as {shown}"),
        Evidence("run", f"the listing run with torch seeds {SEEDS.start}–{SEEDS.stop - 1}: every run prints "
                 f"{', '.join(sorted({f'epoch {e}, loss: {v}' for e, v in finals}))} last; the loss reached is "
                 f"below {loss_bound(losses)}"),
        Evidence("run", "the notes print no loss value (only the loop's code), so the loss reached is compared "
                 "with the optimum" if NOTES_PRINTED_LOSS is None else f"the notes print {NOTES_PRINTED_LOSS}"),
    )
    target = shown if NOTES_PRINTED_LOSS is None else NOTES_PRINTED_LOSS
    misses = [(seed, value) for seed, (_, value) in zip(SEEDS, finals) if value != target]
    if misses:
        seed, value = misses[0]
        return Verdict("refuted", evidence, counterexample=f"seed {seed} ends at loss {value}, not {target}")
    return Verdict("verified", evidence)


def verify_learned_kernel_values() -> Verdict:
    runs = learn_kernel_runs()
    X = runs[0].namespace["X"][0, 0]
    A = windows(X, 3, 3)
    rank = A.rank()
    kernels = [run.namespace["conv2d"].weight.detach()[0, 0].double() for run in runs]
    column_sums = sympy.Matrix([[1 if i % 3 == b else 0 for i in range(9)] for b in range(3)])
    fixes_column_sums = sympy.Matrix.vstack(A, column_sums).rank() == rank == column_sums.rank()
    sums = sorted({tuple(round(float(s), 2) + 0.0 for s in k.sum(dim=0)) for k in kernels})
    evidence = [Evidence("sympy", f"the notes' X has 3x3 windows of rank {rank} (of 9): the data fix {rank} "
                         f"combinations of the kernel's entries"
                         + (", exactly its column sums" if fixes_column_sums else ""))]
    evidence.append(Evidence("run", f"the kernels learned with seeds {SEEDS.start}–{SEEDS.stop - 1} have column "
                             f"sums {', '.join(map(str, sums))}"))
    if rank == 9:
        return Verdict("verified", tuple(evidence))
    (a, ka), (b, kb) = max(itertools.combinations(zip(SEEDS, kernels), 2),
                           key=lambda pair: float((pair[0][1] - pair[1][1]).abs().max()))
    gap = float((ka - kb).abs().max())
    counterexample = (f"on the notes' X (rank {rank}), seeds {a} and {b} learn kernels {gap:.2f} apart (largest "
                      "entry difference), both reproducing Y")
    return Verdict("conditional", tuple(evidence), condition="the input's 3x3 windows have full rank (9)",
                   counterexample=counterexample)


# --- receptive fields, section 8 ----------------------------------------------------------------

def field_span(depth: int, k: int, s: int, d: int) -> int:
    """How many input pixels (first to last) one unit of the last of ``depth`` stacked (k, 1)
    convolutions (stride s, dilation d) depends on, read off autograd's gradient footprint."""
    n = 1 + depth * d * (k - 1) * s ** depth
    x = torch.zeros(1, 1, n, 1, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(depth):
        y = F.conv2d(y, torch.ones(1, 1, k, 1, dtype=torch.float64), stride=(s, 1), dilation=(d, 1))
    (grad,) = torch.autograd.grad(y[0, 0, 0, 0], x)
    touched = grad[0, 0, :, 0].nonzero()
    return int(touched[-1] - touched[0]) + 1


def verify_receptive_field() -> Verdict:
    def grows(c: Config) -> str | None:
        before, after = field_span(c["L"] - 1, c["k"], c["s"], c["d"]), field_span(c["L"], c["k"], c["s"], c["d"])
        return None if after > before else f"layer {c['L'] - 1} sees {before} input pixel(s), layer {c['L']} {after}"

    def recurrence(c: Config) -> str | None:
        claimed = 1 + sum(c["d"] * (c["k"] - 1) * c["s"] ** layer for layer in range(c["L"]))
        got = field_span(c["L"], c["k"], c["s"], c["d"])
        return None if claimed == got else f"the recurrence gives {claimed}, autograd {got}"

    space = {"L": range(2, 5), "k": range(1, 5), "s": range(1, 4), "d": range(1, 3)}
    found = split(space, grows, (Feature("k > 1", "k = 1", lambda c: c["k"] > 1),))
    widths = [field_span(depth, 3, 1, 1) for depth in range(1, 4)]
    return found.verdict("the receptive field of one unit, layer L against layer L-1 (autograd's footprint)", extra=(
        *split(space, recurrence).evidence("the field against r_L = r_(L-1) + d(k-1) s^(L-1)"),
        Evidence("torch", f"width-3 kernels, stride 1: layers 1, 2, 3 see {', '.join(map(str, widths))} inputs "
                 "(two layers up, a unit sees 5, as s_3 sees x_1..x_5)")))


# --- fully convolutional networks, section 9 --------------------------------------------------------

@functools.cache
def notes_fcn(classes: int = 2) -> nn.Sequential:
    """A fully convolutional network as section 9 describes it: convolutional features with one
    stride-2 stage, a 1x1 convolution to the class scores where the fully connected layers were,
    and a transposed convolution upsampling by 2. Built on the meta device (shapes only)."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, device="meta"), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1, device="meta"), nn.ReLU(),
        nn.Conv2d(16, classes, 1, device="meta"),
        nn.ConvTranspose2d(classes, classes, 2, stride=2, device="meta"),
    )


@functools.cache
def fcn_output(h: int, w: int) -> tuple[int, ...] | str:
    """The shape :func:`notes_fcn` gives a batch of two 3 x h x w images, or torch's refusal."""
    try:
        return tuple(notes_fcn()(torch.empty(2, 3, h, w, device="meta")).shape)
    except RuntimeError as exc:
        return str(exc).splitlines()[0]


def verify_fcn_any_size() -> Verdict:
    net = notes_fcn()
    has_linear = any(isinstance(m, nn.Linear) for m in net.modules())

    def accepts(c: Config) -> str | None:
        out = fcn_output(c["H"], c["W"])
        return f"torch refuses it: {out}" if isinstance(out, str) else None

    found = split({"H": range(1, 25), "W": range(1, 25)}, accepts)
    structure = Evidence("torch", "the network: " + ", ".join(type(m).__name__ for m in net)
                         + (" (no nn.Linear)" if not has_linear else " (with an nn.Linear!)"))
    return found.verdict("a batch of 2 images 3 x H x W through the FCN", extra=(structure,))


def verify_fcn_restores_size() -> Verdict:
    def restores(c: Config) -> str | None:
        shrunk = conv_size(c["n"], c["k"], c["s"], c["p"], c["d"])
        back = transposed_size(shrunk, c["k"], c["s"], c["p"], 0, c["d"])
        return None if back == c["n"] else f"the size comes back as {back}"

    def divides(c: Config) -> bool:
        return (c["n"] + 2 * c["p"] - c["d"] * (c["k"] - 1) - 1) % c["s"] == 0

    found = split({"n": range(1, 10), "k": range(1, 5), "s": range(1, 4), "p": range(3), "d": range(1, 4)},
                  restores, (Feature("s divides n+2p-d(k-1)-1", "s does not divide n+2p-d(k-1)-1", divides),),
                  domain=lambda c: conv_size(c["n"], c["k"], c["s"], c["p"], c["d"]) is not None)
    def same_size(c: Config) -> str | None:
        out = fcn_output(c["H"], c["W"])
        if isinstance(out, str):
            return f"torch refuses it: {out}"
        return None if out[2:] == (c["H"], c["W"]) else f"the scores are {out[2]} x {out[3]}"

    fcn = split({"H": range(1, 25), "W": range(1, 25)}, same_size,
                (Feature("H even", "H odd", lambda c: c["H"] % 2 == 0),
                 Feature("W even", "W odd", lambda c: c["W"] % 2 == 0)))
    return found.verdict("conv2d then conv_transpose2d with the same k, s, p, d (output_padding 0) against n",
                         extra=tuple(fcn.evidence("the FCN above: per-pixel scores H x W against the input")))


CLAIMS_CNNNET = (
    Claim("cnnnet-features-1296", "1 卷积神经网络",
          "x = x.view(-1, 36*6*6) … self.fc1 = nn.Linear(1296, 128)",
          "In the notes' CNNNet, a 3x32x32 image reaches fc1 as 36*6*6 = 1296 features.", verify_cnnnet_features),
)

CLAIMS_LEARNED_KERNEL = (
    Claim("learned-kernel-loss", "2.1 卷积核",
          "给定输入 X 及 输出 Y ,根据卷积运算,通过多次迭代",
          "The listing's 400 steps of gradient descent (lr 0.001, MSE) on the notes' X, Y drive the loss to its "
          "minimum.", verify_learned_kernel_loss),
    Claim("learned-kernel-values", "2.1 卷积核",
          "通过多次迭代,可以得到卷积核的近似值",
          "The kernel the loop learns approximates the kernel that made Y.", verify_learned_kernel_values),
)

CLAIMS_RECEPTIVE_FIELD = (
    Claim("receptive-field-grows", "2.8 特征图与感受野",
          "一个特征所表示的信息量变多,如 s_{3} 表示了 x_{1} 、x_{2} 、x_{3} 、x_{4} 、x_{5} 的信息",
          "The deeper the layer, the more input pixels one of its units depends on (its receptive field grows "
          "with depth).", verify_receptive_field),
)

CLAIMS_FCN = (
    Claim("fcn-any-input-size", "2.9 全卷积网络",
          "全卷积网络 Fully Convolutional Network 可以接收任意尺寸的输入图像",
          "A fully convolutional network (no fully connected layer) accepts inputs of any size.", verify_fcn_any_size),
    Claim("fcn-restores-size", "2.9 全卷积网络",
          "采用转置卷积运算对最后一个卷积层的特征图进行上采样,使其恢复到与输入图像相同的尺寸",
          "Upsampling with a transposed convolution (the convolution's own kernel, stride, padding, dilation) "
          "restores the input's size.", verify_fcn_restores_size),
)
