"""Pictures for the HTML pages: heatmaps of a wrong 2-D result (expected, got, difference) and
the class report's charts, as PNG bytes or ``data:`` URIs to embed in a self-contained page.

Figures are drawn on matplotlib's Agg canvas directly, never through pyplot, so no global
figure state is kept and nothing needs a display.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps, font_manager, ft2font
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from grader.engine.exercise import EXERCISE_STATUSES
from grader.i18n import N_, _

STATUS_COLOURS = {
    "passed": "#2e7d32", "failed": "#c62828", "error": "#ef6c00", "timeout": "#6a1b9a",
    "forbidden": "#283593", "crashed": "#4e342e", "not_submitted": "#9e9e9e", "partial": "#00838f",
}
"""One colour per check or exercise status (:data:`grader.engine.exercise.EXERCISE_STATUSES`), shared by
charts and pages."""

ANNOTATE_MAX = 10  # matrices with at most this many rows and columns get their values written in
NON_FINITE = "lightgrey"  # cells whose value is NaN or infinite (None in the results JSON)
DPI = 100
TICKS, TITLE, NOTE = 0.35, 0.3, 0.25  # inches beside a panel for tick labels, above it for its title, below for a note
BAR, BAR_PAD, BAR_LABELS = 0.12, 0.08, 0.5  # a colour bar's width, its gap to the panel, room for its labels

if set(STATUS_COLOURS) != set(EXERCISE_STATUSES):
    raise ValueError(f"STATUS_COLOURS must colour exactly the statuses {EXERCISE_STATUSES}")

LABELS = {
    "expected": N_("expected {rows}×{cols}"),
    "got": N_("got {rows}×{cols}"),
    "difference": N_("got − expected"),
    "empty": N_("no entries"),
    "shapes": N_("shapes differ:\nexpected {expected_rows}×{expected_cols}\ngot {got_rows}×{got_cols}"),
    "non_finite": N_("grey, n/f: not a finite number (NaN or infinite)"),
}
"""The words of a counterexample's heatmaps, which the student reads (English msgids)."""

PREFERRED_FALLBACKS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                       "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
                       "Hiragino Sans GB", "Heiti SC", "Droid Sans Fallback", "AR PL UMing CN")
"""Fonts tried first for characters matplotlib's default font lacks (Chinese labels); any other
installed font that has them comes next."""

PLACEHOLDER_FONTS = ("Last Resort",)
"""Fonts that "have" every character by drawing a box for it (matplotlib ships one): never a fallback."""


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    try:
        return frozenset(ft2font.FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


@functools.cache
def drawing_families(text: str) -> tuple[str, ...] | None:
    """The font families that draw every character of ``text``: () when matplotlib's default
    font does; else the default then an installed font with the characters it lacks (matplotlib
    falls back glyph by glyph); None when no installed font has them."""
    default = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    missing = {ord(c) for c in text if not c.isspace()} - _charmap(default)
    if not missing:
        return ()
    fonts = sorted(font_manager.fontManager.ttflist,
                   key=lambda f: PREFERRED_FALLBACKS.index(f.name) if f.name in PREFERRED_FALLBACKS
                   else len(PREFERRED_FALLBACKS))
    for font in fonts:
        if not font.name.startswith(PLACEHOLDER_FONTS) and missing <= _charmap(font.fname):
            return ("sans-serif", font.name)
    return None


def figure_labels() -> tuple[dict[str, str], dict[str, Any]]:
    """The heatmaps' :data:`LABELS` in the current language and the text properties that draw
    them; in English when no installed font can draw the translation (a picture of missing
    glyphs helps nobody)."""
    shown = {key: _(message) for key, message in LABELS.items()}
    families = drawing_families("".join(shown.values()))
    if families is None:
        return dict(LABELS), {}
    return shown, {"fontfamily": list(families)} if families else {}


def figure_png(figure: Figure) -> bytes:
    """The figure rendered as a PNG."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...``: a PNG to put in an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _matrix(rows: Sequence[Sequence[float | None]]) -> np.ndarray:
    """A 2-D float64 array from the JSON's rows; None (a non-finite entry) becomes NaN."""
    if not rows:
        return np.zeros((0, 0))
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)


def _limits(*arrays: np.ndarray, symmetric: bool = False) -> Normalize:
    """A colour scale spanning the finite values of ``arrays`` (centred on 0 when symmetric)."""
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays])
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if symmetric:
        bound = max(abs(low), abs(high)) or 1.0
        return Normalize(-bound, bound)
    if low == high:
        low, high = low - 1.0, high + 1.0
    return Normalize(low, high)


def _heatmap(ax: Axes, matrix: np.ndarray, cmap: Colormap, norm: Normalize, title: str, signed: bool = False,
             words: Mapping[str, str] = LABELS, font: Mapping[str, Any] | None = None):
    """Draw one matrix; small ones get their values written in each cell. Returns the image
    (for a colour bar), or None when the matrix has no entries. ``words`` and ``font``: see
    :func:`figure_labels`."""
    font = font or {}
    ax.set_title(title, fontsize=9, **font)
    if matrix.size == 0:
        ax.text(0.5, 0.5, words["empty"], ha="center", va="center", fontsize=9, transform=ax.transAxes, **font)
        ax.set_axis_off()
        return None
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm, interpolation="nearest", aspect="auto")
    rows, cols = matrix.shape
    ax.tick_params(labelsize=7, length=2)
    if rows <= ANNOTATE_MAX and cols <= ANNOTATE_MAX:
        ax.set_xticks(range(cols))
        ax.set_yticks(range(rows))
        for (r, c), value in np.ndenumerate(matrix):
            if not np.isfinite(value):
                ax.text(c, r, "n/f", ha="center", va="center", fontsize=7, color="black")
                continue
            red, green, blue, _alpha = cmap(norm(value))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            text = f"{value:+.3g}" if signed and value else f"{value:.3g}"
            ax.text(c, r, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(6, integer=True))
    return image


def counterexample_figure(counterexample: Mapping[str, Sequence[Sequence[float | None]]]) -> Figure:
    """Expected, got and got − expected side by side for a counterexample of the results JSON
    (``{"expected": [[...]], "got": [[...]]}``, None for a non-finite entry).

    Expected and got share one colour scale (viridis) so equal values look equal; the
    difference has its own diverging scale centred on 0 (blue: too small, red: too large).
    Non-finite entries are grey and marked ``n/f``; when the shapes differ the third panel
    says so instead of showing a difference.
    """
    expected, got = _matrix(counterexample["expected"]), _matrix(counterexample["got"])
    rows = max(expected.shape[0], got.shape[0], 1)
    cols = max(expected.shape[1], got.shape[1], 1)
    cell = 0.4 if rows <= ANNOTATE_MAX and cols <= ANNOTATE_MAX else 2.4 / max(rows, cols)
    panel_w, panel_h = max(1.4, cols * cell), max(1.0, rows * cell)
    all_finite = bool(np.isfinite(expected).all() and np.isfinite(got).all())
    # A fixed layout in inches (matplotlib's layout engines cost more than the drawing):
    # [ticks][expected][ticks][got][bar][labels][ticks][difference][bar][labels]
    x_got = TICKS + panel_w + TICKS
    x_bar = x_got + panel_w + BAR_PAD
    x_diff = x_bar + BAR + BAR_LABELS + TICKS
    x_diff_bar = x_diff + panel_w + BAR_PAD
    width, bottom = x_diff_bar + BAR + BAR_LABELS, TICKS + (0 if all_finite else NOTE)
    height = bottom + panel_h + TITLE
    figure = Figure(figsize=(width, height), dpi=DPI)

    def box(x: float, w: float) -> Axes:
        return figure.add_axes((x / width, bottom / height, w / width, panel_h / height))

    words, font = figure_labels()
    values = colormaps["viridis"].with_extremes(bad=NON_FINITE)
    norm = _limits(expected, got)
    shared = [_heatmap(box(TICKS, panel_w), expected, values, norm,
                       words["expected"].format(rows=expected.shape[0], cols=expected.shape[1]), words=words, font=font),
              _heatmap(box(x_got, panel_w), got, values, norm,
                       words["got"].format(rows=got.shape[0], cols=got.shape[1]), words=words, font=font)]
    if any(image is not None for image in shared):
        image = next(image for image in shared if image is not None)
        figure.colorbar(image, cax=box(x_bar, BAR)).ax.tick_params(labelsize=7)
    ax = box(x_diff, panel_w)
    if expected.shape == got.shape:
        difference = got - expected
        image = _heatmap(ax, difference, colormaps["RdBu_r"].with_extremes(bad=NON_FINITE),
                         _limits(difference, symmetric=True), words["difference"], signed=True, words=words, font=font)
        if image is not None:
            figure.colorbar(image, cax=box(x_diff_bar, BAR)).ax.tick_params(labelsize=7)
    else:
        ax.set_axis_off()
        shapes = words["shapes"].format(expected_rows=expected.shape[0], expected_cols=expected.shape[1],
                                        got_rows=got.shape[0], got_cols=got.shape[1])
        ax.text(0.5, 0.5, shapes, ha="center", va="center", fontsize=9, transform=ax.transAxes, **font)
    if not all_finite:
        figure.supxlabel(words["non_finite"], fontsize=8, **font)
    return figure


def counterexample_png(counterexample: Mapping[str, Sequence[Sequence[float | None]]]) -> bytes:
    """:func:`counterexample_figure` as PNG bytes."""
    return figure_png(counterexample_figure(counterexample))


def counterexample_data_uri(counterexample: Mapping[str, Sequence[Sequence[float | None]]]) -> str:
    """:func:`counterexample_figure` as a ``data:`` URI for an ``<img src>``."""
    return data_uri(counterexample_png(counterexample))


def status_bars(counts: Mapping[str, Mapping[str, int]]) -> Figure:
    """One horizontal bar per exercise (``counts``: exercise -> status -> submissions), split
    by status in :data:`STATUS_COLOURS`, first exercise on top."""
    labels = list(counts)
    figure = Figure(figsize=(7.5, 0.45 * len(labels) + 1.3), dpi=DPI, layout="constrained")
    ax = figure.subplots()
    left = np.zeros(len(labels))
    for status in EXERCISE_STATUSES:
        widths = np.array([counts[label].get(status, 0) for label in labels], dtype=float)
        if widths.any():
            ax.barh(labels, widths, left=left, color=STATUS_COLOURS[status], label=status.replace("_", " "))
            left += widths
    ax.invert_yaxis()
    ax.set_xlabel("submissions", fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)
    figure.legend(fontsize=8, ncols=4, loc="outside lower center", frameon=False)
    return figure


def score_histogram(percents: Sequence[float]) -> Figure:
    """How many submissions scored 0-10 %, 10-20 %, ..., 90-100 % of the points."""
    figure = Figure(figsize=(6, 2.8), dpi=DPI, layout="constrained")
    ax = figure.subplots()
    ax.hist(np.clip(np.asarray(percents, dtype=float), 0, 100), bins=np.linspace(0, 100, 11),
            color="#1565c0", edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 10))
    ax.set_xlabel("score (% of the points)", fontsize=9)
    ax.set_ylabel("submissions", fontsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)
    return figure
