"""The spec ledger: the committed page is current, the verdicts are the ones the notes deserve,
a verdict flips when a claimed formula changes, and the search machinery finds what it should.

The whole ledger runs once per session (module fixture); the other tests run single claims or
the search functions on hand-checkable cases.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
from pathlib import Path

import pytest
import torch
from hypothesis import strategies as st

from grader.commands import spec
from grader.ledger import render, subjects
from grader.ledger.claims import CLAIMS, code, networks, shapes, transposed
from grader.ledger.record import STATUSES, Claim, Evidence, Verdict
from grader.ledger.run import Entry, evaluate, run_claims
from grader.ledger.search import Feature, hunt, split
from tests.conftest import ROOT

LEDGER_PAGE = ROOT / "docs" / "spec-ledger.md"
NOTES = Path(os.environ.get("CONVGRADE_NOTES", ROOT.parent / "shared" / "notes"))  # the course notes, where present
BY_ID = {c.id: c for c in CLAIMS}


@pytest.fixture(scope="module")
def ledger() -> dict[str, Entry]:
    return {e.claim.id: e for e in run_claims(CLAIMS)}


# --- the committed page ------------------------------------------------------------------------

FLOAT = re.compile(r"(?<![\w.])(-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+e[-+]?\d+)(?![\w.])")


def first_difference(fresh: str, committed: str) -> str | None:
    """Where two renderings of the page differ beyond the last printed digit of a measured float
    (None when they agree): the text between the floats must be the same (runs of spaces, which
    align columns, aside), and each float within one unit of its third significant digit, so a
    CPU whose kernels round the last bits otherwise cannot fail the comparison."""
    fresh_parts, committed_parts = FLOAT.split(fresh), FLOAT.split(committed)
    if len(fresh_parts) != len(committed_parts):
        return f"{len(fresh_parts) // 2} numbers against {len(committed_parts) // 2}"
    for i, (a, b) in enumerate(zip(fresh_parts, committed_parts)):
        if i % 2 == 0 and re.sub(r" +", " ", a) != re.sub(r" +", " ", b):
            return f"text: {a.strip()[:120]!r} against {b.strip()[:120]!r}"
        if i % 2 == 1 and not math.isclose(float(a), float(b), rel_tol=0.011, abs_tol=1e-12):
            return f"number: {a} against {b}"
    return None


@pytest.mark.generated
def test_committed_page_is_current(ledger: dict[str, Entry]) -> None:
    fresh = render.markdown(list(ledger.values()))
    committed = LEDGER_PAGE.read_text(encoding="utf-8") if LEDGER_PAGE.exists() else ""
    difference = first_difference(fresh, committed)
    assert difference is None, f"docs/spec-ledger.md is stale ({difference}): run `{render.MARKDOWN_COMMAND}`"


def test_page_comparison_allows_the_last_digit_and_nothing_else() -> None:
    page = "loss 0.0278 after 40 steps\n[  0.104  -0.0433 ]"
    assert first_difference(page, page.replace("0.0278", "0.0277")) is None
    assert first_difference(page, page.replace("[  0.104", "[ 0.104")) is None
    assert first_difference(page, page.replace("0.0278", "0.0291")) == "number: 0.0278 against 0.0291"
    assert first_difference(page, page.replace("40 steps", "41 steps")).startswith("text:")
    assert first_difference(page, page + " 1.5") == "3 numbers against 4"


def test_page_prints_measured_numbers_to_three_significant_digits(ledger: dict[str, Entry]) -> None:
    page = render.markdown(list(ledger.values()))
    long_floats = [f for f in FLOAT.findall(page) if len(re.sub(r"[-.]|e.*|^0+", "", f.lstrip("-0."))) > 3]
    assert not long_floats, long_floats[:5]


def test_page_ignores_timings_and_has_every_claim(ledger: dict[str, Entry]) -> None:
    entries = list(ledger.values())
    slower = [dataclasses.replace(e, seconds=e.seconds * 7 + 1) for e in entries]
    page = render.markdown(entries)
    assert render.markdown(slower) == page
    assert render.document(slower) != render.document(entries)  # the JSON does report them
    for claim in CLAIMS:
        assert f'<a id="{claim.id}"></a>' in page


# --- the verdicts ----------------------------------------------------------------------------------

def test_no_verifier_fails_and_nothing_is_pending(ledger: dict[str, Entry]) -> None:
    broken = {i: e.verdict.evidence[0].text for i, e in ledger.items() if e.verdict.status in ("error", "pending")}
    assert not broken


CONDITIONS = {
    "same-padding": "f odd and s = 1",
    "conv-output-size": "s divides n+2p-f",
    "conv2d-h-out": "stride divides H_in+2p-d(k-1)-1",
    "receptive-field-grows": "k > 1",
    "fcn-restores-size": "s divides n+2p-d(k-1)-1",
}
REFUTED = ("listing-conv2d-multi-in", "listing-cnnnet-logits", "transposed-inverts")


def test_verdicts(ledger: dict[str, Entry]) -> None:
    for claim_id, condition in CONDITIONS.items():
        verdict = ledger[claim_id].verdict
        assert (verdict.status, verdict.condition) == ("conditional", condition), claim_id
    assert {i for i, e in ledger.items() if e.verdict.status == "refuted"} == set(REFUTED)
    assert ledger["learned-kernel-values"].verdict.status == "conditional"
    verified = {i for i, e in ledger.items() if e.verdict.status == "verified"}
    assert verified == set(BY_ID) - set(CONDITIONS) - set(REFUTED) - {"learned-kernel-values"}


def test_counterexamples_are_the_smallest(ledger: dict[str, Entry]) -> None:
    assert ledger["same-padding"].verdict.counterexample == "n=1, f=2, s=1: p = 1/2 is not a whole number of rows"
    assert (ledger["conv-output-size"].verdict.counterexample
            == "n=2, f=1, p=0, s=2: the formula gives 3/2, torch gives 1")
    assert ledger["transposed-inverts"].verdict.counterexample.startswith("X = [0.5 ], K = [0.5 ]")
    texts = [e.text for e in ledger["same-padding"].verdict.evidence]
    assert "f odd, s > 1: smallest counterexample n=2, f=1, s=2: the output has 1 row(s), not n = 2" in texts


def test_listings_graded_through_the_registry(ledger: dict[str, Entry]) -> None:
    multi_in = ledger["listing-conv2d-multi-in"].verdict
    assert "result has shape (2, 2), expected (2, 1)" in multi_in.counterexample
    assert any("the pinned examples pass (the notes' 3x5x5 example)" in e.text for e in multi_in.evidence)
    cust = ledger["listing-cust-conv2d"].verdict
    assert any(e.text.startswith("beyond the claim: keeps_float64 failed") for e in cust.evidence)
    logits = ledger["listing-cnnnet-logits"].verdict
    assert any(e.text.startswith("fails raw_logits") for e in logits.evidence)


def test_learned_kernel_against_the_exact_optimum(ledger: dict[str, Entry]) -> None:
    texts = " ".join(e.text for e in ledger["learned-kernel-loss"].verdict.evidence)
    assert "mean squared error 0 (exact)" in texts and "epoch 400, loss: 0.0000" in texts
    values = ledger["learned-kernel-values"].verdict
    assert "rank 3 (of 9)" in values.evidence[0].text and "exactly its column sums" in values.evidence[0].text


def test_json_document(ledger: dict[str, Entry]) -> None:
    document = json.loads(json.dumps(render.document(list(ledger.values())), ensure_ascii=False))
    assert [c["id"] for c in document["claims"]] == [c.id for c in CLAIMS]
    assert all(c["status"] in STATUSES and c["evidence"] for c in document["claims"])


# --- a verdict is computed: change the claimed formula, the verdict flips ---------------------------

def test_floor_added_to_the_notes_formula_flips_it_to_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shapes, "notes_conv_size", lambda n, f, p, s: (n + 2 * p - f) // s + 1)
    assert evaluate(BY_ID["conv-output-size"]).verdict.status == "verified"


def test_wrong_valid_size_formula_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shapes, "notes_valid_size", lambda x, k: x - k)
    verdict = evaluate(BY_ID["valid-output-size"]).verdict
    assert verdict.status == "refuted"
    assert verdict.counterexample == "X_h=1, X_w=1, K_h=1, K_w=1: the formula gives (0, 0), torch gives (1, 1)"


def test_backward_without_output_padding_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transposed, "needed_output_padding", lambda n, k, s=1, p=0, d=1: 0)
    verdict = evaluate(BY_ID["backward-is-transposed"]).verdict
    assert verdict.status == "refuted" and "stride=" in verdict.counterexample


def test_a_listing_whose_exercise_is_not_registered_is_pending() -> None:
    verdict = code.graded("ex99_missing", "f", ("values",))()
    assert verdict.status == "pending" and "not registered yet" in verdict.evidence[0].text
    verdict = code.graded("ex01_cross_correlation", "cust_conv2d", ("no_such_check",))()
    assert verdict.status == "pending" and "no check no_such_check" in verdict.evidence[0].text


def test_without_the_listings_their_claims_are_pending(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(subjects, "LISTINGS", tmp_path)  # as in a student release, which leaves listings/ out
    for claim_id in ("listing-cust-conv2d", "learned-kernel-loss", "cnnnet-features-1296", "conv2d-weight-shape"):
        verdict = evaluate(BY_ID[claim_id]).verdict
        assert verdict.status == "pending" and "is not part of this installation" in verdict.evidence[0].text, claim_id
    assert evaluate(BY_ID["conv-output-size"]).verdict.status == "conditional"


def test_a_verifier_that_raises_is_an_error_not_a_finding() -> None:
    def broken() -> Verdict:
        raise ZeroDivisionError("oops")

    entry = evaluate(Claim("broken", "0", "引用", "a claim whose verifier raises", broken))
    assert entry.verdict.status == "error" and "ZeroDivisionError: oops" in entry.verdict.evidence[0].text


def test_same_claim_same_verdict_twice() -> None:
    for claim_id in ("transposed-inverts", "listing-conv2d-multi-in"):
        assert evaluate(BY_ID[claim_id]).verdict == evaluate(BY_ID[claim_id]).verdict


# --- the search machinery on hand-checkable cases ------------------------------------------------

ODD = Feature("x odd", "x even", lambda c: c["x"] % 2 == 1)
ONE = Feature("y = 1", "y > 1", lambda c: c["y"] == 1)
SPACE = {"x": range(1, 6), "y": range(1, 4)}


def test_split_finds_the_condition_and_drops_features_that_do_not_matter() -> None:
    both = split(SPACE, lambda c: None if c["x"] % 2 and c["y"] == 1 else "no", (ODD, ONE))
    assert both.condition == "x odd and y = 1" and both.checked == 15
    assert [dict(c.counterexample) for c in both.failing] == [{"x": 1, "y": 2}, {"x": 2, "y": 1}, {"x": 2, "y": 2}]
    only_x = split(SPACE, lambda c: None if c["x"] % 2 else "even", (ODD, ONE))
    assert only_x.condition == "x odd"
    assert only_x.verdict("x").status == "conditional"


def test_split_prefers_the_shortest_condition() -> None:
    # y = 1 holds only where x is odd too (x = 1), so "x odd" alone covers every holding cell
    implied = split({"x": range(1, 6), "y": range(1, 4)}, lambda c: None if c["x"] % 2 else "even",
                    (ODD, Feature("y = x", "y != x", lambda c: c["y"] == c["x"])))
    assert implied.condition == "x odd"


def test_split_verdicts_at_the_extremes() -> None:
    assert split(SPACE, lambda c: None, (ODD,)).verdict("x").status == "verified"
    refuted = split(SPACE, lambda c: "never", (ODD,)).verdict("x")
    assert refuted.status == "refuted" and refuted.counterexample == "x=1, y=1: never"


def test_hunt_returns_the_minimal_counterexample() -> None:
    assert hunt(st.integers(0, 1000), lambda v: "too big" if v >= 17 else None).example == 17
    assert hunt(st.integers(0, 10), lambda v: None).example is None


def test_records_are_validated() -> None:
    evidence = (Evidence("sympy", "a proof"),)
    with pytest.raises(ValueError):
        Verdict("refuted", evidence)  # no counterexample
    with pytest.raises(ValueError):
        Verdict("conditional", evidence, counterexample="n=1")  # no condition
    with pytest.raises(ValueError):
        Evidence("guess", "it looks right")
    with pytest.raises(ValueError):
        Claim("Not Kebab", "2", "引用", "gloss", lambda: Verdict("verified", evidence))


def test_exact_optimum_on_a_hand_example() -> None:
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    optimum, rank = networks.exact_optimum(X, torch.tensor([[5.0]]), 2, 2)
    assert (optimum, rank) == (0, 1)
    assert networks.ranges([32, 33, 34, 35, 40]) == "32–35, 40"


# --- the CLI ---------------------------------------------------------------------------------------

def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="convgrade")
    spec.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["spec", *argv])
    return args.run(args)


def test_cli_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "ledger.md"
    assert run_cli("--claim", "conv-output-size", "--json", "--markdown", str(page)) == 0
    document = json.loads(capsys.readouterr().out)
    assert [c["verdict"] for c in document["claims"]] == ["holds only when s divides n+2p-f"]
    assert "## 1. conv-output-size: holds only when s divides n+2p-f" in page.read_text(encoding="utf-8")


def test_cli_table_and_unknown_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--claim", "transposed-inverts") == 0
    out = capsys.readouterr().out
    assert "transposed-inverts" in out and "refuted" in out and "1 claims: 1 refuted" in out
    assert run_cli("--claim", "no-such-claim") == 2
    assert "no claim 'no-such-claim'" in capsys.readouterr().err


# --- faithful to the notes (where the notes are present) ----------------------------------------

def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.skipif(not (NOTES / "notes-zh.txt").exists(), reason="the course notes are not present")
def test_quotes_are_the_notes_own_words() -> None:
    notes = squeeze((NOTES / "notes-zh.txt").read_text(encoding="utf-8"))
    for claim in CLAIMS:
        for fragment in claim.quote.split(" … "):
            assert squeeze(fragment) in notes, (claim.id, fragment)


@pytest.mark.skipif(not (NOTES / "notes-zh.txt").exists(), reason="the course notes are not present")
def test_the_notes_print_no_loss_value() -> None:
    notes = (NOTES / "notes-zh.txt").read_text(encoding="utf-8")
    assert networks.NOTES_PRINTED_LOSS is None and not re.search(r"loss: ?\d", notes)


@pytest.mark.skipif(not (NOTES / "listings").is_dir(), reason="the notes' listings are not present")
def test_listings_are_verbatim_copies() -> None:
    copies = sorted(subjects.LISTINGS.glob("*.py"))
    assert {p.name for p in copies} == {p.name for p in (NOTES / "listings").glob("*.py")}
    for copy in copies:
        text = copy.read_text(encoding="utf-8")
        header, _, body = text.partition("Everything below this header is the notes' text.\n")
        assert header.startswith("# THE NOTES' LISTING")
        assert body == (NOTES / "listings" / copy.name).read_text(encoding="utf-8"), copy.name
