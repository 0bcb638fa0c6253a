"""The by-hand policy outside torch: numpy's, scipy's and OpenCV's convolution, padding and
pooling refused at the call, named like torch's (``numpy.correlate (a library convolution)``).

General numpy stays allowed, as general torch ops do: arithmetic, indexing, ``einsum``,
``numpy.lib.stride_tricks.sliding_window_view`` and ``as_strided``. :data:`LIBRARY_CALLS` is
the whole list. Each listed function is replaced, in its public module and wherever else in its
library the same object is bound, by a wrapper that passes the call through unless a by-hand
guard is active (:func:`refusing`). :func:`install` wraps the libraries already imported and
those imported later (a submission's ``from scipy.signal import correlate2d`` then binds the
wrapper); the target calls it before loading a submission, in-process and in the worker alike.

Padding is refused only as the student's own call: ``numpy.pad`` called from inside numpy or
scipy is a step of an allowed function, as it is for torch (:mod:`grader.run.guard`).
"""

from __future__ import annotations

import functools
import importlib.abc
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from grader.i18n import N_, _

KINDS = {
    "convolution": N_("{call} (a library convolution)"),
    "padding": N_("{call} (a library padding)"),
    "pooling": N_("{call} (a library pooling)"),
}
"""How a refused library call is named, by what it computes."""

LIBRARY_CALLS: dict[str, dict[str, tuple[str, ...]]] = {
    "numpy": {"convolution": ("correlate", "convolve"), "padding": ("pad",)},
    "scipy.signal": {"convolution": ("convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve",
                                     "oaconvolve", "sepfir2d", "lfilter", "filtfilt"),
                     "pooling": ("medfilt", "medfilt2d", "order_filter")},
    "scipy.ndimage": {"convolution": ("convolve", "correlate", "convolve1d", "correlate1d", "uniform_filter",
                                      "uniform_filter1d", "gaussian_filter", "gaussian_filter1d", "sobel",
                                      "prewitt", "laplace"),
                      "pooling": ("maximum_filter", "maximum_filter1d", "minimum_filter", "minimum_filter1d",
                                  "median_filter", "rank_filter", "percentile_filter", "generic_filter")},
    "cv2": {"convolution": ("filter2D", "sepFilter2D", "blur", "boxFilter", "GaussianBlur"),
            "padding": ("copyMakeBorder",), "pooling": ("dilate", "erode")},
}
"""Public module -> kind -> the functions a by-hand function may not call."""

INTERNAL = ("numpy", "scipy", "cv2", "torch")
"""Packages whose own calls of a padding function are not the student's."""

_ACTIVE: list[tuple[list[str], type]] = []  # (record, exception) of each active by-hand guard, innermost last
_WRAPPED: dict[int, Callable] = {}  # id(original) -> its wrapper
_KEEP: list[Any] = []  # the originals, kept alive so that their ids stay theirs
_DONE: dict[str, int] = {}  # public module -> id of the module object patched already


def describe(call: str, kind: str) -> str:
    """``numpy.correlate (a library convolution)``, in the current language."""
    return _(KINDS[kind]).format(call=call)


def _students_call() -> bool:
    """Whether the frame that called the wrapper is outside the libraries (the student's code)."""
    caller = sys._getframe(2)
    return caller.f_globals.get("__name__", "").partition(".")[0] not in INTERNAL


def _wrap(original: Callable, call: str, kind: str) -> Callable:
    @functools.wraps(original)
    def by_hand_policy(*args: Any, **kwargs: Any) -> Any:
        if _ACTIVE and (kind != "padding" or _students_call()):
            record, error = _ACTIVE[-1]
            record.append(describe(call, kind))
            raise error(record[-1])
        return original(*args, **kwargs)

    by_hand_policy.__convgrade_original__ = original
    return by_hand_policy


def _patch(public: str) -> None:
    """Wrap the listed functions of the public module ``public`` (imported), there and wherever
    its library binds the same objects."""
    module = sys.modules.get(public)
    if module is None or _DONE.get(public) == id(module):
        return
    _DONE[public] = id(module)
    for kind, names in LIBRARY_CALLS[public].items():
        for name in names:
            original = getattr(module, name, None)
            if original is None or hasattr(original, "__convgrade_original__"):
                continue
            if id(original) not in _WRAPPED:
                _KEEP.append(original)
                _WRAPPED[id(original)] = _wrap(original, f"{public}.{name}", kind)
    root = public.partition(".")[0]
    for name, other in list(sys.modules.items()):
        if other is not None and name.partition(".")[0] == root:
            _rebind(other)


def _rebind(module: Any) -> None:
    """Replace, in one module's namespace, every listed original by its wrapper."""
    try:
        items = list(vars(module).items())
    except TypeError:
        return
    for name, value in items:
        wrapper = _WRAPPED.get(id(value))
        if wrapper is not None and wrapper.__convgrade_original__ is value:
            try:
                setattr(module, name, wrapper)
            except (AttributeError, TypeError):
                pass


class _PatchingLoader(importlib.abc.Loader):
    """A module's own loader, then :func:`_patch` on the fresh module."""

    def __init__(self, inner: Any, public: str):
        self.inner, self.public = inner, public

    def create_module(self, spec: Any) -> Any:
        return self.inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.inner.exec_module(module)
        sys.modules.setdefault(self.public, module)
        _patch(self.public)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds a listed public module with the other finders and patches it once it has run."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in LIBRARY_CALLS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchingLoader(spec.loader, fullname)
                return spec
        return None


def install() -> None:
    """Wrap the listed functions of the libraries imported so far, and of those imported later
    (idempotent)."""
    if not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
    for public in LIBRARY_CALLS:
        _patch(public)


@contextmanager
def refusing(record: list[str], error: type) -> Iterator[None]:
    """While inside, a call of a listed function appends its description to ``record`` and
    raises ``error`` with it."""
    install()
    _ACTIVE.append((record, error))
    try:
        yield
    finally:
        index = next(i for i in range(len(_ACTIVE) - 1, -1, -1) if _ACTIVE[i][0] is record)
        del _ACTIVE[index]
