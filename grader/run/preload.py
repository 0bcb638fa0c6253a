"""Imported once by the worker forkserver, so each forked worker (and judge) starts warm:
torch (with one intra-op thread), the whole catalog (whose procedures run inside workers), the
message catalogs of every language (a worker reports in its judge's language), what confinement
the kernel gives (probed once here, not in every worker), the guard's first use (torch's
dispatch modes import and initialise machinery worth seconds on first use) and the names of the
grader's modules (:func:`grader.run.sandbox.note_trusted_modules`). Then everything is frozen
for the garbage collector (``gc.freeze``): a forked judge's or worker's collections never go
through it, so they do not write to (and so copy) every page holding it."""

import gc
import multiprocessing.popen_forkserver  # noqa: F401  (else each forked process imports it before its work)

import torch

from grader.engine import registry
from grader.engine.settings import use_one_thread
from grader.i18n import LANGUAGES, translations
from grader.run import confine, sandbox
from grader.run.guard import Guard

use_one_thread()
confine.probe()
try:
    registry.all_exercises()
except registry.RegistryError:
    pass  # `convgrade grade` starts this server before it loads the exercises itself, and says what is wrong
for language in LANGUAGES:
    translations(language)
with Guard("by_hand"):
    torch.ones(2, 2).sum()
with Guard(None):
    torch.ones(2, 2).sum()
sandbox.note_trusted_modules(__name__)  # the last import of the server
gc.freeze()
