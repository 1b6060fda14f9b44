"""Section builders that analyse: frequencies, crosstabs, multiple response, models, segments."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import ReportError
from surveykit.report import charts
from surveykit.report.context import Ctx, pct, proportion_flag
from surveykit.report.document import Cell, CellValue, Section, Table
from surveykit.report.plan import SectionSpec
from surveykit.report.prepare import Prepared
from surveykit.report.sections import segments as seg_section

__all__ = ["frequencies", "crosstab", "multiple_response", "segments"]

_TERM = re.compile(r"^C\((?P<var>[A-Za-z_][A-Za-z0-9_]*)\)\[T\.(?P<code>[^\]]+)\]$")


def _flag(ctx: Ctx, n_cell: float, p: float, se: float, n_base: float) -> str | None:
    return proportion_flag(ctx.rule, n_cell, p, se, n_base)


def _pct_cell(ctx: Ctx, value: float, flag: str | None) -> Cell:
    return Cell(None if flag == "suppressed" else pct(value), flag)


def _label(prep: Prepared, var: str, code: object, lang: str, fallback: object = None) -> str:
    if fallback is not None and var not in prep.derived and isinstance(fallback, str) and fallback:
        return fallback
    return prep.label(var, code, lang)


def _not_free_text(prep: Prepared, var: str, where: str) -> None:
    """Free-text answers are never tabulated: each would print verbatim and identify its author."""
    try:
        kind = prep.instrument.question(var).type
    except (KeyError, ValueError):
        return
    if kind == "text":
        raise ReportError(
            f"{where} cannot tabulate {var!r}: it is a free-text question, and each answer "
            "would be printed verbatim. Code the answers into categories first."
        )


def _asked(prep: Prepared, var: str):
    """The survey restricted to those the questionnaire routes to *var*, and the rule's text."""
    try:
        rule = prep.instrument.question(var).ask_if
    except (KeyError, ValueError):
        rule = None
    if rule is None:
        return prep.survey, None
    return prep.survey.domain(prep.instrument.mask(rule, prep.survey.data)), rule.text


def _rule_text(prep: Prepared, rule: str, lang: str) -> str:
    """``"unemployed_3y == 1"`` -> ``"최근 3년 동안 실업을 경험한 적이 있습니까? = 예"``; other rules as written."""
    m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*==\s*(-?\d+)\s*", rule)
    if not m:
        return rule
    return f"{prep.text(m.group(1), lang)} = {prep.label(m.group(1), float(m.group(2)), lang)}"


def _freq_block(ctx: Ctx, prep: Prepared, var: str, chart: bool) -> list:
    _not_free_text(prep, var, "a frequencies section")
    svy, rule = _asked(prep, var)
    res = svy.frequency(var, lang=ctx.lang)
    frame = res.to_frame()
    rows, valid = [], frame[~frame["missing"]]
    base_n = float(valid["n"].sum())
    bars: list[tuple[str, float, float, float]] = []
    for r in frame.itertuples(index=False):
        label = _label(prep, var, r.level, ctx.lang, r.label)
        if pd.isna(r.level):
            label = "응답 누락" if ctx.lang == "ko" else "No answer (blank)"
        if r.missing:
            rows.append((f"{label} — {ctx.ui('missing_row')}", int(r.n), Cell(None), "", ""))
            continue
        flag = _flag(ctx, r.n, r.estimate, r.se, base_n)
        rows.append(
            (
                label,
                int(r.n),
                _pct_cell(ctx, r.estimate, flag),
                "" if flag == "suppressed" else pct(r.ci_low),
                "" if flag == "suppressed" else pct(r.ci_high),
            )
        )
        if flag != "suppressed":
            bars.append((label, 100 * r.estimate, 100 * r.ci_low, 100 * r.ci_high))
        ctx.record(
            key=f"{prep.name}.{var}.{_code(r.level)}",
            label=f"{prep.text(var, ctx.lang)}: {label}",
            estimate=float(r.estimate),
            se=float(r.se),
            ci_low=float(r.ci_low),
            ci_high=float(r.ci_high),
            n=int(r.n),
            flag=flag,
        )
    title = prep.text(var, ctx.lang)
    columns = (ctx.ui("level"), ctx.ui("n"), ctx.ui("percent"), ctx.ui("ci_low"), ctx.ui("ci_high"))
    note = f"n={int(base_n)}; " + (
        "비율은 모름/무응답을 제외한 값." if ctx.lang == "ko" else "Percentages exclude don't know / no answer."
    )
    if rule:
        asked = _rule_text(prep, rule, ctx.lang)
        note += f" 응답 대상: {asked}." if ctx.lang == "ko" else f" Asked only if: {asked}."
    table = Table(title, columns, tuple(rows), notes=(note,), col_align=("left", "right", "right", "right", "right"))
    ctx.sheet(f"{prep.name} {var}", frame)
    blocks: list = [table]
    if chart and bars:
        labels, values, low, high = zip(*bars)
        top = int(np.argmax(values))
        blocks.append(
            charts.bar_ci(labels, values, low, high, caption=f"{title} (%, 95% CI)", highlight=top, lang=ctx.lang)
        )
    return blocks


def _code(level: Any) -> str:  # any level value; float() failing is handled
    try:
        f = float(level)
        return str(int(f)) if f == int(f) else str(f)
    except (TypeError, ValueError):
        return str(level)


def frequencies(ctx: Ctx, spec: SectionSpec) -> Section:
    prep = ctx.surveys[spec.options["survey"]]
    blocks: list = []
    for var in spec.options["variables"]:
        blocks += _freq_block(ctx, prep, var, bool(spec.options.get("chart", False)))
    return Section(spec.id, ctx.title(spec), tuple(blocks))


def crosstab(ctx: Ctx, spec: SectionSpec) -> Section:
    prep = ctx.surveys[spec.options["survey"]]
    row, col = spec.options["row"], spec.options["col"]
    for var in (row, col):
        _not_free_text(prep, var, "a crosstab section")
    res = prep.analysis.crosstab(row, col, lang=ctx.lang)
    frame = res.to_frame()
    rows_lv = sorted(frame["row_level"].unique())
    cols_lv = sorted(frame["col_level"].unique())
    col_names = [prep.label(col, c, ctx.lang) for c in cols_lv]
    body: list[tuple[Cell | CellValue, ...]] = []
    for rl in rows_lv:
        part = frame[frame["row_level"] == rl].set_index("col_level")
        n_row = float(part["n"].sum())
        cells = []
        for cl in cols_lv:
            r = part.loc[cl]
            flag = _flag(ctx, r["n"], r["row"], r["row_se"], n_row)
            cells.append(_pct_cell(ctx, r["row"], flag))
            ctx.record(
                key=f"{prep.name}.{row}x{col}.{_code(rl)}.{_code(cl)}",
                label=f"{row}={_code(rl)}, {col}={_code(cl)} (row %)",
                estimate=float(r["row"]),
                se=float(r["row_se"]),
                ci_low=None,
                ci_high=None,
                n=int(r["n"]),
                flag=flag,
            )
        body.append((prep.label(row, rl, ctx.lang), *cells, int(n_row)))
    f = next(t for t in res.tests if t.name == "F")
    p_text = _p(f.p_value)
    test = f"Rao–Scott F = {f.statistic:.2f}, df = ({f.ndf:.2f}, {f.ddf:.1f}), p {'' if p_text.startswith('<') else '= '}{p_text}"
    ctx.record(
        key=f"{prep.name}.{row}x{col}.rao_scott_F",
        label="Rao-Scott F",
        estimate=float(f.statistic),
        se=None,
        ci_low=None,
        ci_high=None,
        n=int(res.n),
        ndf=float(f.ndf),
        ddf=float(f.ddf),
        p_value=float(f.p_value),
    )
    caption = f"{prep.text(row, ctx.lang)} × {prep.text(col, ctx.lang)} ({'행 %' if ctx.lang == 'ko' else 'row %'})"
    table = Table(
        caption,
        (prep.text(row, ctx.lang), *col_names, ctx.ui("n")),
        tuple(body),
        notes=(test,),
        col_align=("left", *["right"] * (len(col_names) + 1)),
    )
    ctx.sheet(f"{prep.name} {row} x {col}", frame)
    return Section(spec.id, ctx.title(spec), (table,))


def multiple_response(ctx: Ctx, spec: SectionSpec) -> Section:
    prep = ctx.surveys[spec.options["survey"]]
    res = prep.survey.multiple_response(spec.options["set"], lang=ctx.lang)
    frame = res.to_frame()
    rows, bars = [], []
    columns = list(prep.instrument.mr_sets().get(spec.options["set"], frame["item"]))
    answered = prep.survey.data[columns].notna().all(axis=1).to_numpy() & (prep.survey.weights > 0)
    base = float(answered.sum())
    for r in frame.itertuples(index=False):
        flag = _flag(ctx, r.n, r.estimate, r.se, base)
        rows.append(
            (r.label, int(r.n), _pct_cell(ctx, r.estimate, flag), pct(r.ci_low), pct(r.ci_high), pct(r.responses))
        )
        if flag != "suppressed":
            bars.append((r.label, 100 * r.estimate, 100 * r.ci_low, 100 * r.ci_high))
        ctx.record(
            key=f"{prep.name}.{r.item}",
            label=str(r.label),
            estimate=float(r.estimate),
            se=float(r.se),
            ci_low=float(r.ci_low),
            ci_high=float(r.ci_high),
            n=int(r.n),
            flag=flag,
        )
    cases = "응답자 대비 %" if ctx.lang == "ko" else "% of cases"
    resp = "응답 대비 %" if ctx.lang == "ko" else "% of responses"
    title = prep.text(spec.options["set"], ctx.lang)
    _svy, rule = _asked(prep, spec.options["set"])
    note = f"기준: 문항 응답자 {int(base)}명" if ctx.lang == "ko" else f"Base: {int(base)} respondents who answered"
    if rule:
        asked = _rule_text(prep, rule, ctx.lang)
        note += f" (응답 대상: {asked})" if ctx.lang == "ko" else f" (asked only if: {asked})"
    table = Table(
        title,
        (ctx.ui("level"), ctx.ui("n"), cases, ctx.ui("ci_low"), ctx.ui("ci_high"), resp),
        tuple(rows),
        notes=(note + ".",),
        col_align=("left", "right", "right", "right", "right", "right"),
    )
    ctx.sheet(f"{prep.name} {spec.options['set']}", frame)
    blocks: list = [table]
    if bars:
        labels, values, low, high = zip(*bars)
        blocks.append(charts.bar_ci(labels, values, low, high, caption=f"{title} ({cases}, 95% CI)"))
    return Section(spec.id, ctx.title(spec), tuple(blocks))


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def segments(ctx: Ctx, spec: SectionSpec) -> Section:
    """``sk.segments.fit`` as a section (built in :mod:`surveykit.report.sections.segments`)."""
    prep = ctx.surveys[spec.options["survey"]]
    for var in (*spec.options["variables"], *spec.options.get("profile", []), spec.options.get("outcome")):
        if var:
            _not_free_text(prep, var, "a segments section")
    return seg_section.build(ctx, spec)
