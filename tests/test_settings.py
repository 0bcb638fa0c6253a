"""Hypothesis settings that no environment changes: the same seed draws the same inputs on a
laptop and on a CI runner (where hypothesis loads its own ``ci`` profile by itself)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

SHOW = ("from grader.engine.settings import Settings; from grader.ledger.search import HUNT; "
        "print(Settings.make('student').hypothesis, Settings.make('grading').hypothesis, HUNT, sep='\\n')")


def settings_in(env: dict[str, str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SHOW], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120, check=True)
    return done.stdout.splitlines()


def test_profiles_and_ledger_search_are_the_same_on_ci() -> None:
    plain = {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER", "TF_BUILD")}
    here, on_ci = settings_in(plain), settings_in(plain | {"CI": "true"})
    assert len(here) == 3 and here == on_ci
    assert all("derandomize=False" in line for line in here[:2]) and "derandomize=True" in here[2]
