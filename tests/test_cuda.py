"""The device option: CUDA checks where a GPU exists (skipped, with the reason, where not), and
one clear line where CUDA is asked for and missing."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from grader.engine import registry
from grader.engine.judge import reference_result
from grader.engine.runner import Runner
from grader.engine.settings import Settings, full_float32_precision
from grader.run.target import InProcessTarget
from tests.conftest import ROOT, SOLUTIONS

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; this machine has none")
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message for a machine without CUDA")


@no_cuda
def test_grade_on_cuda_without_cuda_is_one_clear_line(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(tmp_path), "--device", "cuda"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no CUDA device" in done.stderr


@no_cuda
def test_pytest_on_cuda_without_cuda_is_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "exercises/", "--device", "cuda", "-q"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 4 and "no CUDA device" in done.stderr
    assert "Traceback" not in done.stderr


def test_references_are_float64_on_the_cpu_whatever_the_device() -> None:
    for exercise in registry.all_exercises():
        for task in exercise.tasks:
            for example in task.examples if task.reference else ():
                try:
                    expected = reference_result(task, example)
                except Exception:
                    continue
                tensors = expected if isinstance(expected, tuple) else (expected,)
                for t in tensors:
                    if isinstance(t, torch.Tensor) and t.is_floating_point():
                        assert (t.device.type, t.dtype) == ("cpu", torch.float64), (task.name, example.label)


def test_tf32_is_off_while_student_code_runs() -> None:
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cuda.matmul.allow_tf32 = True
    full_float32_precision()
    assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32


@needs_cuda
@pytest.mark.parametrize("module", [e.module for e in registry.all_exercises()])
def test_solutions_pass_on_cuda(module: str) -> None:
    runner = Runner(InProcessTarget(SOLUTIONS), Settings(profile="student", seed=3, device=torch.device("cuda")))
    failures = {f"{r.task}[{r.check}]": r.message for r in runner.run_exercise(registry.get(module)) if not r.passed}
    assert not failures, failures
