"""How a run grades: the hypothesis profile, the seed and the device.

Two profiles exist. ``student`` is fast and random (each local run explores new inputs).
``grading`` draws more examples, derandomized from a recorded seed, with no example
database, so the same submission gets the same score every time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from hypothesis import HealthCheck, Phase, Verbosity, settings

from grader.i18n import _

PROFILES = ("student", "grading")
DEFAULT_SEED = 20261128

def pinned(**choices: object) -> settings:
    """Hypothesis settings made of ``choices`` over hypothesis's built-in defaults, and of nothing
    else. Plain ``settings(...)`` inherits the profile hypothesis loaded by itself: where a CI
    variable is set that is its ``ci`` profile, which derandomizes, so the same seed draws other
    inputs, shrinks to other counterexamples and gives other feedback on a CI runner."""
    return settings(settings.get_profile("default"), **choices)


_COMMON = dict(
    derandomize=False,  # the seed decides (see grader.engine.checks.run_property)
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no "explain": slow
    print_blob=False,
    report_multiple_bugs=False,
    verbosity=Verbosity.quiet,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile("convgrade-student", pinned(max_examples=20, database=None, **_COMMON))
settings.register_profile("convgrade-grading", pinned(max_examples=40, database=None, **_COMMON))


def use_one_thread() -> None:
    """Grade with one intra-op thread: the tensors are tiny, and on a busy machine torch's
    thread pool makes each small operation orders of magnitude slower. Every grading process
    (pytest, judges, workers) calls this once."""
    torch.set_num_threads(1)


def full_float32_precision() -> None:
    """Switch TF32 off (cuDNN uses it for float32 convolutions by default, about 3e-4 relative
    error): the grader's references are float64 on the CPU, and before every call of student
    code this runs again, so a student's own model (CNNNet, FCN, learn_kernel) is judged in full
    float32 whatever its module set. The switches in force are recorded in the results."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


class DeviceUnavailable(RuntimeError):
    """``--device cuda`` on a machine without CUDA."""


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` or ``auto`` (cuda when available) as a torch.device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable(_("--device cuda: no CUDA device is available on this machine (torch {version}); "
                                  "use --device cpu or auto").format(version=torch.__version__))
    if name not in ("cpu", "cuda"):
        raise ValueError(_("unknown device {name}: use cpu, cuda or auto").format(name=repr(name)))
    return torch.device(name)


@dataclass(frozen=True)
class Settings:
    """The choices of one grading run, shared by all checks."""

    profile: str = "student"
    seed: int | None = None  # None: random (student profile); grading always has one
    device: torch.device = torch.device("cpu")
    replay: bool = True  # judge passing students on the inputs drawn once per run (grader.engine.replay); off: to compare

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(_("unknown profile {name}: use one of {profiles}").format(name=repr(self.profile),
                                                                                      profiles=", ".join(PROFILES)))

    @classmethod
    def make(cls, profile: str | None = None, seed: int | None = None, device: str | None = None) -> Settings:
        """Settings from explicit choices, else the environment (CONVGRADE_PROFILE,
        CONVGRADE_SEED, CONVGRADE_DEVICE), else the defaults."""
        profile = profile or os.environ.get("CONVGRADE_PROFILE") or "student"
        if seed is None and os.environ.get("CONVGRADE_SEED"):
            seed = int(os.environ["CONVGRADE_SEED"])
        if seed is None and profile == "grading":
            seed = DEFAULT_SEED
        dev = resolve_device(device or os.environ.get("CONVGRADE_DEVICE") or "cpu")
        return cls(profile=profile, seed=seed, device=dev)

    @property
    def hypothesis(self) -> settings:
        return settings.get_profile(f"convgrade-{self.profile}")
