"""Charts for briefs, drawn with matplotlib (Agg) as SVG and returned as :class:`Chart` blocks.

* :func:`bar_ci` - horizontal bars of percentages with confidence-interval whiskers; a bar is
  highlighted only under a stated rule (its interval overlaps no other bar's), said in a note;
* :func:`grouped_bars` - horizontal bars of several groups per category;
* :func:`forest` - odds ratios with confidence intervals on a log axis (ticks 0.5, 1, 2, 5, 10, ...
  printed in full), with a dashed reference line at 1 drawn above the grid;
* :func:`heatmap` - a profile table (rows x columns) as coloured cells with values and a colour key;
  a diverging palette around *center* (e.g. 0 for standardised scores), else a sequential one.

Text stays text (``svg.fonttype='none'``) in the bundled Korean font, so Hangul in a chart is
searchable in the PDF, and is drawn literally (``text.parse_math=False``): ``$``, ``^``, ``_``
and backslashes in a label are never read as mathtext. Output is deterministic: fixed
``svg.hashsalt``, no date or creator in the metadata, and tick labels written out with an ASCII
hyphen for negatives. matplotlib is imported inside the functions, so importing this module
costs nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeAlias, overload

import numpy as np

from surveykit.errors import ReportError
from surveykit.report.document import Chart
from surveykit.report.fonts import FAMILY, FONT_STACK, register_matplotlib
from surveykit.report.text import has_hangul

__all__ = ["PALETTE", "DIVERGING", "bar_ci", "grouped_bars", "forest", "heatmap", "clear_leader", "log_ticks"]

#: the brief's colours: navy, teal, ochre, slate, brick, sky
PALETTE = ("#1f3a5f", "#2a7f8e", "#c98b2b", "#7a8591", "#b4543a", "#8fb3d1")
INK, MUTED, GRID = "#1d2430", "#5b6573", "#e3e7ec"
#: the diverging palette (below centre, centre, above centre): ochre-brick to navy, colour-blind safe
DIVERGING = ("#b4543a", "#f4f6f8", "#1f3a5f")
#: SVG ids of the drawn elements tests and readers look for (the sanitiser prefixes them per chart)
REFERENCE_GID, HIGHLIGHT_GID, KEY_GID = "reference-line", "highlight", "colour-key"
WIDTH_IN = 6.69  # the A4 text block: 210 mm - 2 x 20 mm margins = 170 mm
_BAR_IN = 0.34  # height per bar row

#: one value per label: a sequence or a 1-d array
Values: TypeAlias = Sequence[float] | np.ndarray


class _Label(Protocol):
    """A number formatter: called as ``fmt(value)`` for labels, and by matplotlib as a tick
    formatter ``fmt(value, pos)``."""

    def __call__(self, value: float, pos: int | None = ..., /) -> str: ...


def _rc() -> dict[str, object]:
    family = register_matplotlib()
    return {
        "font.family": [family],
        "font.size": 8.5,
        "svg.fonttype": "none",
        "svg.hashsalt": "surveykit",
        "axes.unicode_minus": False,
        "axes.edgecolor": MUTED,
        "axes.labelcolor": INK,
        "xtick.color": MUTED,
        "ytick.color": INK,
        "text.color": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0,
        "axes.titlesize": 9,
        # labels come from data and plans: "$5 to $10" is text, never mathtext
        "text.parse_math": False,
    }


def _draw(width: float, height: float, paint: Callable[[object, object], None]) -> str:
    """Run *paint(fig, ax)* on a fresh figure under the brief's style; return SVG text."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt

    # the stub types rc keys as a Literal of every rcParams name; _rc() holds only valid names
    with matplotlib.rc_context(_rc()):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
        try:
            paint(fig, ax)
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
        finally:
            plt.close(fig)
    return _tidy(buf.getvalue())


_MPL_STYLE = '<style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>'


def _tidy(svg: str) -> str:
    """Font fallbacks for browsers; matplotlib's ``*{...}`` stroke rule as inherited attributes
    (a CSS rule would override the presentation attributes the sanitiser writes)."""
    svg = svg.replace(f"font-family: '{FAMILY}'", f"font-family: {FONT_STACK}")
    if _MPL_STYLE in svg:
        svg = svg.replace(_MPL_STYLE, "", 1).replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    return svg


def _fmt(decimals: int, suffix: str = "") -> _Label:
    def label(value: float, _pos: int | None = 0) -> str:
        text = f"{value:.{decimals}f}"
        return ("0" if text.strip("-0.") == "" else text) + suffix  # never "-0"

    return label


@overload
def _array(values: Values, n: int, what: str) -> np.ndarray: ...
@overload
def _array(values: Values | None, n: int, what: str) -> np.ndarray | None: ...


def _array(values: Values | None, n: int, what: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ReportError(f"chart {what} must have one value per label ({n}); got shape {arr.shape}.")
    return arr


_LABEL_WIDTH = 32  # characters per line of a category label (a Hangul syllable counts as two)


def _wrap(label: str) -> str:
    """A long category label on two lines of about equal length, broken at the space (or after
    the "/" or "·") nearest the middle, so the plot keeps its width."""
    width = _LABEL_WIDTH // 2 if has_hangul(label) else _LABEL_WIDTH
    # (where line 1 ends, where line 2 starts)
    cuts = [(i, i + 1) for i, ch in enumerate(label) if ch == " "]
    cuts += [(i + 1, i + 1) for i, ch in enumerate(label[:-1]) if ch in "/·" and label[i + 1] != " "]
    if len(label) <= width or not cuts:
        return label
    end, start = min(cuts, key=lambda c: max(c[0], len(label) - c[1]))
    return f"{label[:end]}\n{label[start:]}"


def _describe(labels: Sequence[str], values: np.ndarray, fmt: _Label) -> str:
    return "; ".join(f"{lab}: {fmt(v)}" for lab, v in zip(labels, values))


def _lang(lang: str | None, *texts: object) -> str:
    """The chart's language: *lang*, else Korean when any of *texts* holds Hangul."""
    if lang is not None:
        return lang
    return "ko" if any(has_hangul(str(t)) for t in texts) else "en"


def clear_leader(values: Values, low: Values, high: Values, index: int) -> bool:
    """Whether bar *index* is the highest and its interval lies above every other bar's interval.

    The one rule under which a bar chart highlights a bar: the highest value, and its lower bound
    above the upper bound of every other bar (non-overlapping intervals), so the highlight never
    marks a lead the data do not support. Missing values are ignored; with fewer than two bars
    there is nothing to lead.
    """
    vals, lo, hi = (np.asarray(v, dtype=float) for v in (values, low, high))
    ok = np.isfinite(vals) & np.isfinite(lo) & np.isfinite(hi)
    if not ok[index] or ok.sum() < 2:
        return False
    others = ok.copy()
    others[index] = False
    return bool(vals[index] >= vals[others].max() and lo[index] > hi[others].max())


_HIGHLIGHT_NOTE = {
    "ko": "주황색 막대: 가장 높은 값이며 95% 신뢰구간이 다른 모든 막대의 신뢰구간과 겹치지 않음.",
    "en": "Orange bar: the highest value, its 95% confidence interval overlapping no other bar's interval.",
}


def bar_ci(
    labels: Sequence[str],
    values: Values,
    low: Values | None = None,
    high: Values | None = None,
    *,
    caption: str,
    alt: str | None = None,
    xlabel: str = "%",
    decimals: int = 1,
    xmax: float | None = 100.0,
    highlight: int | None = None,
    lang: str | None = None,
    notes: Sequence[str] = (),
    source: str = "",
) -> Chart:
    """Horizontal bars (e.g. percentages) with CI whiskers, value printed at each bar end.

    Parameters
    ----------
    labels, values : sequences of equal length, drawn top to bottom.
    low, high : optional CI bounds (same length), drawn as whiskers.
    caption, alt : figure caption and text alternative (default: the values listed).
    xlabel, decimals, xmax : axis label, printed decimals, axis maximum (``None``: automatic).
    highlight : index of a bar to draw in the accent colour, honoured only when
        :func:`clear_leader` holds (needs *low* and *high*); the chart's notes then state the
        rule. Otherwise every bar has the same colour.
    lang : ``"ko"`` or ``"en"`` for that note (default: Korean when the caption or labels hold
        Hangul).

    Notes
    -----
    R equivalent: ``barplot(svymean(...), horiz = TRUE)`` with ``confint()`` whiskers.
    """
    labels = [str(s) for s in labels]
    vals = _array(values, len(labels), "values")
    lo, hi = _array(low, len(labels), "low"), _array(high, len(labels), "high")
    fmt = _fmt(decimals)
    y = np.arange(len(labels))[::-1]
    lead = (
        highlight
        if highlight is not None and lo is not None and hi is not None and clear_leader(vals, lo, hi, highlight)
        else None
    )
    if lead is not None:
        notes = (*notes, _HIGHLIGHT_NOTE[_lang(lang, caption, *labels)])

    def paint(fig, ax) -> None:
        colors = [PALETTE[2] if i == lead else PALETTE[0] for i in range(len(labels))]
        bars = ax.barh(y, vals, color=colors, height=0.62, zorder=2)
        if lead is not None:
            bars[lead].set_gid(HIGHLIGHT_GID)
        if lo is not None and hi is not None:
            ax.errorbar(
                vals,
                y,
                xerr=[vals - lo, hi - vals],
                fmt="none",
                ecolor=INK,
                elinewidth=0.8,
                capsize=2.5,
                capthick=0.8,
                zorder=3,
            )
        ends = hi if hi is not None else vals
        top = xmax if xmax is not None else float(np.nanmax(ends)) * 1.15
        for yi, v, e in zip(y, vals, ends):
            if np.isfinite(v):  # a missing value gets no bar and no label
                ax.text(e + top * 0.012, yi, fmt(v), va="center", ha="left", fontsize=8, color=INK)
        ax.set_yticks(y, [_wrap(lab) for lab in labels])
        ax.set_xlim(0, top * (1.08 if xmax is not None else 1.0))
        ax.xaxis.set_major_formatter(_fmt(0))
        ax.set_xlabel(xlabel)
        ax.set_axisbelow(True)
        ax.grid(axis="x", color=GRID, linewidth=0.6)

    svg = _draw(WIDTH_IN, 0.55 + _BAR_IN * len(labels), paint)
    return Chart(svg, caption, alt or _describe(labels, vals, fmt), tuple(notes), source)


def grouped_bars(
    categories: Sequence[str],
    groups: Mapping[str, Values],
    *,
    caption: str,
    alt: str | None = None,
    xlabel: str = "%",
    decimals: int = 1,
    xmax: float | None = 100.0,
    notes: Sequence[str] = (),
    source: str = "",
) -> Chart:
    """Horizontal grouped bars: one bar per group within each category, with a legend.

    Notes
    -----
    R equivalent: ``barplot(svyby(...), beside = TRUE, horiz = TRUE)``.
    """
    cats = [str(c) for c in categories]
    if not groups or len(groups) > len(PALETTE):
        raise ReportError(
            f"grouped_bars needs 1 to {len(PALETTE)} groups; got {len(groups)}. Split the chart or merge groups."
        )
    data = {str(g): _array(v, len(cats), f"group {g!r}") for g, v in groups.items()}
    k, fmt = len(data), _fmt(decimals)
    step = 0.8 / k
    base = np.arange(len(cats))[::-1].astype(float)

    def paint(fig, ax) -> None:
        for j, (name, vals) in enumerate(data.items()):
            pos = base + 0.4 - step * (j + 0.5)
            ax.barh(pos, vals, height=step * 0.9, color=PALETTE[j], label=name, zorder=2)
            for p, v in zip(pos[np.isfinite(vals)], vals[np.isfinite(vals)]):
                ax.annotate(
                    fmt(v),
                    (v, p),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    ha="left",
                    fontsize=7,
                    color=INK,
                )
        top = xmax if xmax is not None else max(float(np.nanmax(v)) for v in data.values()) * 1.15
        ax.set_xlim(0, top * 1.08)
        ax.set_yticks(base, [_wrap(c) for c in cats])
        ax.xaxis.set_major_formatter(_fmt(0))
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color=GRID, linewidth=0.6, zorder=0)
        ax.legend(loc="lower right", frameon=False, fontsize=7.5, reverse=False)

    svg = _draw(WIDTH_IN, 0.7 + _BAR_IN * 0.75 * k * len(cats), paint)
    text = "; ".join(f"{g}: {_describe(cats, v, fmt)}" for g, v in data.items())
    return Chart(svg, caption, alt or text, tuple(notes), source)


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks for a log axis from *lo* to *hi*: the 1-2-5 steps inside the range (thinned to
    1-10-100 steps and 0.5, 2, 5 when there are too many), always including 1."""
    steps = [m * 10.0**e for e in range(-4, 5) for m in (1, 2, 5)]
    ticks = [t for t in steps if lo <= t <= hi]
    if len(ticks) > 9:
        ticks = [t for t in ticks if round(np.log10(t), 9).is_integer() or t in (0.5, 2, 5)]
    return sorted({*(float(f"{t:.4g}") for t in ticks), 1.0})


def tick_label(value: float) -> str:
    """A log-axis tick as printed: ``0.05``, ``0.5``, ``1``, ``10``, ``100`` (shortest exact form,
    never an exponent and never trailing zeros stripped from an integer)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".") if value < 1 else f"{value:.0f}"
    return text


def forest(
    labels: Sequence[str],
    estimates: Values,
    low: Values,
    high: Values,
    *,
    caption: str,
    alt: str | None = None,
    xlabel: str = "Odds ratio",
    decimals: int = 2,
    notes: Sequence[str] = (),
    source: str = "",
) -> Chart:
    """Forest plot of odds ratios with CIs on a log axis and a reference line at 1.

    The reference line (SVG id ``...reference-line``) is drawn above the grid lines, so it shows
    in every renderer; tick labels come from :func:`log_ticks` and :func:`tick_label`.

    Notes
    -----
    R equivalent: ``exp(cbind(coef(fit), confint(fit)))`` of a ``svyglm`` fit, plotted.
    """
    labels = [str(s) for s in labels]
    est = _array(estimates, len(labels), "estimates")
    lo, hi = _array(low, len(labels), "low"), _array(high, len(labels), "high")
    if np.any(np.concatenate([est, lo, hi]) <= 0):
        raise ReportError(
            "forest plot values must be odds ratios (> 0); got a value <= 0. "
            "Pass exp(coefficient), not the coefficient."
        )
    from matplotlib.ticker import NullLocator

    fmt = _fmt(decimals)
    y = np.arange(len(labels))[::-1]
    finite = np.concatenate([lo, hi])[np.isfinite(np.concatenate([lo, hi]))]
    span = (min(finite.min(initial=1.0), 1.0) / 1.25, max(finite.max(initial=1.0), 1.0) * 1.25)

    def paint(fig, ax) -> None:
        ax.set_axisbelow(True)  # grid under everything, the reference line above it
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ref = ax.axvline(1.0, color=MUTED, linewidth=0.9, linestyle=(0, (3, 2)), zorder=2)
        ref.set_gid(REFERENCE_GID)
        ax.hlines(y, lo, hi, color=PALETTE[0], linewidth=1.2, zorder=3)
        ax.plot(est, y, "s", color=PALETTE[0], markersize=4.5, zorder=4)
        ax.set_xscale("log")
        ax.set_xlim(*span)
        ticks = log_ticks(*span)
        ax.set_xticks(ticks, [tick_label(t) for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_yticks(y, [_wrap(lab) for lab in labels])
        ax.set_ylim(-0.7, len(labels) - 0.3)
        ax.set_xlabel(xlabel)
        for yi, e, a, b in zip(y, est, lo, hi):
            ax.annotate(
                f"{fmt(e)} ({fmt(a)}, {fmt(b)})",
                (1.0, yi),
                xycoords=("axes fraction", "data"),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )

    svg = _draw(WIDTH_IN, 0.65 + _BAR_IN * len(labels), paint)
    text = "; ".join(f"{lab}: {fmt(e)} ({fmt(a)}-{fmt(b)})" for lab, e, a, b in zip(labels, est, lo, hi))
    return Chart(svg, caption, alt or text, tuple(notes), source)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float]] | np.ndarray,
    *,
    caption: str,
    alt: str | None = None,
    decimals: int = 0,
    center: float | None = None,
    key: str = "",
    notes: Sequence[str] = (),
    source: str = "",
) -> Chart:
    """A profile heat map: rows x columns of values, each cell coloured and labelled, with a
    colour key (SVG id ``...colour-key``) under the cells.

    Parameters
    ----------
    center : float, optional
        Values around a meaningful centre (e.g. ``0`` for standardised scores) get a diverging
        palette (:data:`DIVERGING`, symmetric around *center*); default: a sequential palette
        from the smallest to the largest value.
    key : str
        Label of the colour key (e.g. what the scores are).

    Notes
    -----
    R equivalent: ``heatmap(as.matrix(svyby(...)), Rowv = NA, Colv = NA)``.
    """
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.ticker import MaxNLocator

    rows, columns = [str(r) for r in rows], [str(c) for c in columns]
    grid = np.asarray(values, dtype=float)
    if grid.shape != (len(rows), len(columns)):
        raise ReportError(f"heatmap values must be {len(rows)} rows x {len(columns)} columns; got shape {grid.shape}.")
    fmt = _fmt(decimals)
    finite = grid[np.isfinite(grid)]
    if center is not None:
        cmap = LinearSegmentedColormap.from_list("sk-div", list(DIVERGING))
        reach = float(np.abs(finite - center).max()) if finite.size else 1.0
        vmin, vmax = center - (reach or 1.0), center + (reach or 1.0)
        # light text where the cell is far from the centre, either side
        dark = np.abs(grid - center) / (reach or 1.0) > 0.6
    else:
        cmap = LinearSegmentedColormap.from_list("sk", ["#f4f6f8", PALETTE[5], PALETTE[0]])
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        dark = (grid - vmin) / ((vmax - vmin) or 1.0) > 0.55

    def paint(fig, ax) -> None:
        masked = np.ma.masked_invalid(grid)
        mesh = ax.pcolormesh(masked, cmap=cmap, vmin=vmin, vmax=vmax, edgecolors="white", linewidth=1.5)
        ax.set_xlim(0, len(columns))
        ax.set_ylim(len(rows), 0)
        for (i, j), v in np.ndenumerate(grid):
            ax.text(
                j + 0.5,
                i + 0.5,
                "" if not np.isfinite(v) else fmt(v),
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if dark[i, j] else INK,
            )
        ax.set_xticks(np.arange(len(columns)) + 0.5, columns)
        ax.set_yticks(np.arange(len(rows)) + 0.5, [_wrap(r) for r in rows])
        ax.tick_params(axis="x", top=True, bottom=False, labeltop=True, labelbottom=False, length=0)
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        # a stepped key (12 steps): vector rectangles, where a smooth one would be a bitmap
        steps = np.linspace(vmin, vmax, 13)
        bar = fig.colorbar(mesh, ax=ax, location="bottom", shrink=0.45, aspect=32, pad=0.02, boundaries=steps)
        bar.solids.set_rasterized(False)
        bar.ax.set_gid(KEY_GID)
        bar.outline.set_visible(False)
        bar.ax.tick_params(labelsize=7, length=2, width=0.5, color=MUTED)
        bar.set_ticks(MaxNLocator(nbins=4, symmetric=center is not None).tick_values(vmin, vmax))
        bar.ax.set_xlim(vmin, vmax)
        bar.ax.xaxis.set_major_formatter(_fmt(decimals))
        if key:
            bar.set_label(key, fontsize=7.5, color=MUTED)

    svg = _draw(WIDTH_IN, 1.25 + 0.3 * len(rows), paint)
    text = "; ".join(
        f"{r}: " + ", ".join(f"{c} {fmt(v)}" for c, v in zip(columns, grid[i])) for i, r in enumerate(rows)
    )
    return Chart(svg, caption, alt or text, tuple(notes), source)
