"""The cross-tabulation section of a brief: row percentages with logit intervals (results.json),
secondary suppression along rows and columns, and the test of no difference in plain words (the
Rao-Scott statistics go to the methods appendix)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from surveykit.estimate.intervals import proportion_ci
from surveykit.report.context import Ctx, secondary_suppression
from surveykit.report.document import Cell, CellValue, Section, Table
from surveykit.report.plan import SectionSpec
from surveykit.report.sections.analysis import _code, _flag, _not_free_text, _p, _pct_cell

if TYPE_CHECKING:
    from surveykit.report.prepare import Prepared
    from surveykit.survey import Survey

__all__ = ["crosstab", "crosstab_table"]


def _grid_suppression(flags: np.ndarray, counts: np.ndarray, min_n: float) -> np.ndarray:
    """:func:`secondary_suppression` along every row and every column until nothing changes
    (row percentages sum to 100%; column counts sum to a total printed elsewhere in the brief)."""
    out = flags.copy()
    for _ in range(out.size):
        before = out.copy()
        for i in range(out.shape[0]):
            out[i, :] = secondary_suppression(list(out[i, :]), list(counts[i, :]), min_n)
        for j in range(out.shape[1]):
            out[:, j] = secondary_suppression(list(out[:, j]), list(counts[:, j]), min_n)
        if (out == before).all():
            break
    return out


def crosstab(ctx: Ctx, spec: SectionSpec) -> Section:
    prep = ctx.surveys[spec.options["survey"]]
    row, col = spec.options["row"], spec.options["col"]
    for var in (row, col):
        _not_free_text(prep, var, "a crosstab section")
    table = crosstab_table(ctx, prep, prep.analysis, row, col, key=f"{prep.name}.{row}x{col}")
    return Section(spec.id, ctx.title(spec), (table,))


def crosstab_table(
    ctx: Ctx,
    prep: Prepared,
    svy: Survey,
    row: str,
    col: str,
    *,
    key: str,
    row_text: str | None = None,
    row_labels: Mapping[Any, str] | None = None,
    caption: str | None = None,
    sheet: str | None = None,
) -> Table:
    """The one cross-tabulation table of a brief: row % of ``col`` by ``row`` in ``svy`` (the
    survey's analysis design, or one with a derived row column such as a segment), primary and
    secondary suppression, logit intervals, one record per cell under ``key`` and the Rao-Scott
    F test in plain words (its statistics recorded for the methods appendix and the summary);
    ``sheet`` names a tables.xlsx sheet for the full crosstab frame."""
    res = svy.crosstab(row, col, lang=ctx.lang)
    frame = res.to_frame()
    if sheet:
        ctx.sheet(sheet, frame)
    rows_lv = sorted(frame["row_level"].unique())
    cols_lv = sorted(frame["col_level"].unique())
    col_names = [prep.label(col, c, ctx.lang) for c in cols_lv]
    cell = frame.set_index(["row_level", "col_level"])
    counts = np.array([[float(cell.loc[(rl, cl), "n"]) for cl in cols_lv] for rl in rows_lv])
    n_rows = counts.sum(axis=1)
    primary = np.array(
        [
            [
                _flag(ctx, cell.loc[(rl, cl), "n"], cell.loc[(rl, cl), "row"], cell.loc[(rl, cl), "row_se"], n_rows[i])
                for cl in cols_lv
            ]
            for i, rl in enumerate(rows_lv)
        ],
        dtype=object,
    )
    flags = _grid_suppression(primary, counts, ctx.rule["min_n"])
    # logit intervals of the row shares (the one interval home), with the design df
    share = np.array([[float(cell.loc[(rl, cl), "row"]) for cl in cols_lv] for rl in rows_lv])
    share_se = np.array([[float(cell.loc[(rl, cl), "row_se"]) for cl in cols_lv] for rl in rows_lv])
    df = np.full(share.shape, float(svy.resolved.degf))  # the df of the survey tabulated
    low, high = proportion_ci("logit", share, share_se, 0.05, df, counts, counts, counts)
    body: list[tuple[Cell | CellValue, ...]] = []
    row_text = row_text or prep.text(row, ctx.lang)
    col_text = prep.text(col, ctx.lang)
    row_names = [row_labels[rl] if row_labels is not None else prep.label(row, rl, ctx.lang) for rl in rows_lv]
    for i, rl in enumerate(rows_lv):
        cells = []
        for j, cl in enumerate(cols_lv):
            flag = flags[i, j]
            cells.append(_pct_cell(ctx, share[i, j], flag))
            ctx.record(
                key=f"{key}.{_code(rl)}.{_code(cl)}",
                label=f"{row_text}: {row_names[i]}; {col_text}: {col_names[j]} (row %)",
                estimate=float(share[i, j]),
                se=float(share_se[i, j]),
                ci_low=float(low[i, j]),
                ci_high=float(high[i, j]),
                n=int(counts[i, j]),
                flag=flag,
                scale="proportion",
            )
        body.append((row_names[i], *cells, int(n_rows[i])))
    f = next(t for t in res.tests if t.name == "F")
    ctx.record(
        key=f"{key}.rao_scott_F",
        label="Rao-Scott F",
        estimate=float(f.statistic),
        se=None,
        ci_low=None,
        ci_high=None,
        n=int(res.n),
        ndf=float(f.ndf),
        ddf=float(f.ddf),
        p_value=float(f.p_value),
        test="rao_scott",
        scale="F statistic",
        row_text=row_text,
        col_text=col_text,
    )
    ko = ctx.lang == "ko"
    p_text = _p(f.p_value)
    p_text = f"p {'' if p_text.startswith('<') else '= '}{p_text}"
    verdict = (
        (f"{row_text}에 따라 분포가 다르다" if ko else f"the distribution differs by {row_text.lower()}")
        if f.p_value < 0.05
        else (f"{row_text}에 따른 차이가 뚜렷하지 않다" if ko else f"no clear difference by {row_text.lower()}")
    )
    test = (
        f"차이 검정: {verdict}({p_text}). 연관성을 보여 줄 뿐 원인을 뜻하지 않는다."
        if ko
        else f"Test of no difference: {verdict} ({p_text}); an association, not a cause."
    )
    base = (
        f"비율의 기준: 행마다 해당 집단의 응답자(n열). 합계 {int(res.n):,}명."
        if ko
        else f"Percentages are of the respondents in each row (column n); {int(res.n):,} in all."
    )
    caption = caption or f"{row_text} × {col_text} ({'행 %' if ko else 'row %'})"
    return Table(
        caption,
        (row_text, *col_names, ctx.ui("n")),
        tuple(body),
        notes=(base, test),
        col_align=("left", *["right"] * (len(col_names) + 1)),
    )
