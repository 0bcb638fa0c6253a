"""The batch grader on a Ray cluster (``--executor ray``) gives exactly the local executor's
results, also when a worker node dies mid-run, and records a submission whose task keeps
killing its Ray worker as crashed, with the reason.

The cluster is real: a Ray head (no CPUs, so nothing is graded there) and a worker node, started
on this machine by ``ray.cluster_utils.Cluster`` at Ray's own address for it; the submissions
reach the nodes only as task arguments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from grader import cli
from grader.batch import Plan, grade_class
from grader.engine.settings import Settings
from grader.ray_executor import INSTALL, RayExecutor, task_options, version_mismatch
from grader.run.limits import Limits
from grader.run.submissions import SubmissionSource, discover
from tests.conftest import ROOT, SOLUTIONS

EX01, EX04 = "ex01_cross_correlation", "ex04_shapes"
PLAN = Plan(Settings(profile="student", seed=7), Limits())  # what `--profile student --seed 7` grades with
OBJECT_STORE = 100 * 1024 * 1024
NAMES = ["amy", "ben", "cat", "dan", "eve"]


def solution(module: str) -> str:
    return (SOLUTIONS / f"{module}.py").read_text()


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory) -> Path:
    """Small submissions (one or two exercise files) with different results: full marks, a
    classic bug, two exercises, a segfault (contained by the worker sandbox), and no code."""
    root = tmp_path_factory.mktemp("ray") / "class"
    files = {
        "amy": {EX01: solution(EX01)},
        "ben": {EX01: solution(EX01).replace("K.flip(0, 1)", "K.flip(0)")},
        "cat": {EX01: solution(EX01), EX04: solution(EX04)},
        "dan": {EX01: "import ctypes\ncust_conv2d = true_conv2d = lambda X, K: ctypes.string_at(0)\n"},
        "eve": {},
    }
    for name, modules in files.items():
        (root / name).mkdir(parents=True)
        for module, text in modules.items():
            (root / name / f"{module}.py").write_text(text)
    return root


@pytest.fixture(scope="module")
def local_records(class_dir) -> list[dict]:
    return grade_class(discover([str(class_dir)]), PLAN, jobs=2)


@pytest.fixture(scope="module")
def cluster():
    """A head with no CPUs and a worker node with two CPUs, and this process connected to it
    (so the executor reuses the connection, and the cluster's warm workers, from test to test;
    the CLI connects on its own)."""
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # KillsItsJudge travels by value
    started = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "object_store_memory": OBJECT_STORE, "include_dashboard": False,
        "_system_config": {"health_check_period_ms": 1000, "health_check_failure_threshold": 3}})  # a dead node is seen in ~3 s
    try:
        started.add_node(num_cpus=2, object_store_memory=OBJECT_STORE)
        ray.init(address=started.address, log_to_driver=False, include_dashboard=False)
        yield started
    finally:
        ray.shutdown()
        started.shutdown()


def test_cli_on_a_cluster_gives_exactly_the_local_results(cluster, class_dir, local_records, tmp_path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(class_dir), "--executor", "ray",
                           "--ray-address", cluster.address, "--profile", "student", "--seed", "7",
                           "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # Ray's own logging stays out of the console
    assert json.loads(out.read_text())["submissions"] == local_records
    graded = {r["name"]: r for r in local_records}
    assert [graded[n]["exercises"][EX01]["status"] for n in NAMES] == ["passed", "failed", "passed", "crashed",
                                                                       "error"]
    assert graded["cat"]["exercises"][EX04]["status"] == "passed" and "grader_failed" not in graded["dan"]
    assert all(name in done.stdout for name in NAMES)


class KillsItsJudge(SubmissionSource):
    """A submission that takes down whichever process unpickles it (the Ray worker that is to
    grade it), every time: a stand-in for a submission that keeps killing its node."""

    def __setstate__(self, state: dict) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_task_that_keeps_killing_its_worker_is_recorded_crashed_after_bounded_tries(cluster) -> None:
    sources = [KillsItsJudge("zoe", {f"{EX01}.py": solution(EX01), f"{EX04}.py": solution(EX04)}),
               SubmissionSource("amy", {f"{EX01}.py": solution(EX01)})]
    zoe, amy = grade_class(sources, PLAN, executor=RayExecutor(cluster.address, max_retries=1))
    assert zoe["grader_failed"] is True and zoe["score"] == 0
    for module in (EX01, EX04):
        assert zoe["exercises"][module]["status"] == "crashed"
        for check in zoe["exercises"][module]["checks"]:
            assert check["message"].startswith("the grader failed on this exercise: WorkerCrashedError: ")
            assert check["message"].endswith("(tried 2 times)")
    assert amy["exercises"][EX01]["status"] == "passed" and "grader_failed" not in amy


def test_a_worker_node_dying_mid_run_loses_no_submission_and_grades_none_twice(cluster, class_dir,
                                                                                local_records) -> None:
    victim = next(iter(cluster.worker_nodes))
    reported: list[str] = []
    left_at_kill: list[int] = []

    def progress(record: dict) -> None:
        reported.append(record["name"])
        if not left_at_kill and record["name"] != "eve":  # the first result back from the cluster
            left_at_kill.append(len(NAMES) - len(reported))
            cluster.remove_node(victim, allow_graceful=False)  # mid-task: its CPUs are busy
            cluster.add_node(num_cpus=2, object_store_memory=OBJECT_STORE)

    records = grade_class(discover([str(class_dir)]), PLAN, executor=RayExecutor(cluster.address), progress=progress)
    assert left_at_kill and left_at_kill[0] >= 2, "the node must die with submissions still to grade"
    assert sorted(reported) == NAMES  # each submission reported once
    assert records == local_records


def test_cli_without_ray_says_how_to_install_it(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    code = cli.main(["grade", str(tmp_path), "--executor", "ray", "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert INSTALL in err and "Traceback" not in err
    assert not (tmp_path / "r.json").exists()


def test_ray_address_without_the_ray_executor_is_a_usage_error(capsys, tmp_path) -> None:
    code = cli.main(["grade", str(tmp_path), "--ray-address", "127.0.0.1:6379", "--out", str(tmp_path / "r.json")])
    assert code == 2 and "--executor ray" in capsys.readouterr().err


def test_results_from_a_node_with_other_versions_are_refused() -> None:
    ours = {"convgrade": "0.1.0", "torch": "2.13.0", "python": "3.11.7"}
    assert version_mismatch(dict(ours), ours) is None
    reason = version_mismatch({**ours, "torch": "2.12.1"}, ours)
    assert "torch 2.12.1" in reason and "torch 2.13.0" in reason and "python" not in reason


def test_a_cuda_plan_reserves_a_share_of_a_gpu_per_task() -> None:
    cuda = Plan(Settings(profile="student", seed=7, device=torch.device("cuda")), Limits())
    assert "num_gpus" not in task_options(PLAN, 3)
    assert 0 < task_options(cuda, 3)["num_gpus"] <= 1
    assert task_options(PLAN, 3)["max_retries"] == 3 and task_options(PLAN, 3)["num_cpus"] == 1
