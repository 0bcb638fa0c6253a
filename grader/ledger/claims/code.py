"""The notes' code listings graded as submissions: each claim names the contract task the
listing implements and the checks that express what the notes claim of it; the registry's
checks run on the listing (:func:`grader.ledger.subjects.grade`), and the verdict is theirs.

Checks of the task outside the claim (a float64 input, say, which the notes never consider) are
run too and reported as remarks, without changing the verdict.
"""

from __future__ import annotations

from typing import Callable

from grader.engine.outcome import CheckResult
from grader.engine.settings import DEFAULT_SEED
from grader.ledger import subjects
from grader.ledger.record import Claim, Evidence, Verdict
from grader.outputs.feedback import summary


def _headline(result: CheckResult) -> str:
    return result.message.splitlines()[0] if result.message else result.status


def _input(result: CheckResult) -> str:
    call = result.failure.call if result.failure else None
    if call is None:
        return ""
    shown = [summary(a) if hasattr(a, "shape") else repr(a) for a in call.args]
    return f"; failing input ({', '.join(shown)})" + (f", {call.label}" if call.label else "")


def graded(module: str, task: str, about: tuple[str, ...]) -> Callable[[], Verdict]:
    """A verifier: the registry's checks of ``module.task`` on the notes' listing; the claim holds
    when every check named in ``about`` passes. Pending while the exercise, the task or one of
    those checks is not registered."""

    def verify() -> Verdict:
        outcome = subjects.grade(module, task)
        if isinstance(outcome, str):
            return Verdict("pending", (Evidence("grader", outcome),))
        missing = sorted(set(about) - {r.check for r in outcome.results})
        if missing:
            return Verdict("pending", (Evidence("grader", f"{module}.{task} has no check {', '.join(missing)} yet"),))
        claimed = [r for r in outcome.results if r.check in about]
        failed = [r for r in claimed if not r.passed]
        passed = [r.check for r in claimed if r.passed]
        where = f"{module}.{task} (registry checks, profile grading, seed {DEFAULT_SEED})"
        evidence = [Evidence("grader", f"{where}: passes {', '.join(passed)}" if passed else f"{where}: passes none "
                             "of the claim's checks")]
        evidence += [Evidence("grader", f"fails {r.check}: {_headline(r)}{_input(r)}", detail=r.message)
                     for r in failed]
        first = failed[0].failure.call if failed and failed[0].failure else None
        if first is not None and not first.label and outcome.examples:
            evidence.append(Evidence("grader", f"the pinned examples pass ({'; '.join(outcome.examples)}): the "
                                     "failure is on a drawn input"))
        evidence += [Evidence("grader", f"beyond the claim: {r.check} {r.status}: {_headline(r)}")
                     for r in outcome.results if r.check not in about and not r.passed]
        if failed:
            return Verdict("refuted", tuple(evidence), counterexample=f"{_headline(failed[0])}{_input(failed[0])}")
        return Verdict("verified", tuple(evidence))

    return verify


CROSS_CORRELATION = (
    Claim("listing-cust-conv2d", "2 卷积层",
          "Y[i, j] = (X[i:i+h, j:j+w]*K).sum()",
          "The notes' cust_conv2d computes the valid 2-D cross-correlation (graded as ex01's cust_conv2d: "
          "values against torch, non-contiguous inputs, inputs left unchanged).",
          graded("ex01_cross_correlation", "cust_conv2d",
                 ("matches_torch", "noncontiguous_inputs", "inputs_unmodified"))),
)

CHANNELS = (
    Claim("listing-conv2d-multi-in", "2.4 多通道上的卷积",
          "value = torch.zeros(X.shape[0]-h+1, X.shape[1]-w+1)",
          "The notes' conv2d_multi_in computes the multi-input convolution of X (C, H, W) with K (C, kh, kw) "
          "(graded as ex05's conv2d_multi_in, values against torch).",
          graded("ex05_channels", "conv2d_multi_in", ("matches_torch",))),
)

CNNNET = (
    Claim("listing-cnnnet-logits", "1 卷积神经网络",
          "x = F.relu(self.fc2(F.relu(self.fc1(x))))",
          "The notes' CNNNet returns the class scores (N, 10) as raw logits, ready for a cross-entropy loss "
          "(graded as ex10's CNNNet).",
          graded("ex10_cnnnet", "CNNNet", ("raw_logits",))),
)
