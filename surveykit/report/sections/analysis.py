"""Section builders that analyse: frequencies, crosstabs, multiple response, models, segments."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import ReportError
from surveykit.report import charts
from surveykit.report.context import HIDDEN, Ctx, pct, proportion_flag, secondary_suppression
from surveykit.report.document import Cell, CellValue, Section, Table
from surveykit.report.plan import SectionSpec
from surveykit.report.prepare import Prepared

__all__ = ["frequencies", "multiple_response"]

_TERM = re.compile(r"^C\((?P<var>[A-Za-z_][A-Za-z0-9_]*)\)\[T\.(?P<code>[^\]]+)\]$")


def _flag(ctx: Ctx, n_cell: float, p: float, se: float, n_base: float) -> str | None:
    return proportion_flag(ctx.rule, n_cell, p, se, n_base)


def _pct_cell(ctx: Ctx, value: float, flag: str | None) -> Cell:
    return Cell(None if flag in HIDDEN else pct(value), flag)


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
    valid = frame[~frame["missing"]]
    base_n = float(valid["n"].sum())
    primary = [None if r.missing else _flag(ctx, r.n, r.estimate, r.se, base_n) for r in frame.itertuples(index=False)]
    is_valid = [not bool(m) for m in frame["missing"]]
    flags_valid = secondary_suppression(
        [f for f, v in zip(primary, is_valid) if v],
        [float(n) for n, v in zip(frame["n"], is_valid) if v],
        ctx.rule["min_n"],
    )
    flags = iter(flags_valid)
    question = prep.text(var, ctx.lang)
    rows: list[tuple[Cell | CellValue, ...]] = []
    bars: list[tuple[str, float, float, float]] = []
    for r in frame.itertuples(index=False):
        label = _label(prep, var, r.level, ctx.lang, r.label)
        if pd.isna(r.level):
            label = "응답 누락" if ctx.lang == "ko" else "No answer (blank)"
        if r.missing:
            rows.append((f"{label} — {ctx.ui('missing_row')}", int(r.n), Cell(None), "", ""))
            continue
        flag = next(flags)
        hidden = flag in HIDDEN
        rows.append(
            (
                Cell(label),
                Cell(None, flag) if hidden else int(r.n),
                _pct_cell(ctx, r.estimate, flag),
                "" if hidden else pct(r.ci_low),
                "" if hidden else pct(r.ci_high),
            )
        )
        if not hidden:
            bars.append((label, 100 * r.estimate, 100 * r.ci_low, 100 * r.ci_high))
        ctx.record(
            key=f"{prep.name}.{var}.{_code(r.level)}",
            label=f"{question}: {label}",
            estimate=float(r.estimate),
            se=float(r.se),
            ci_low=float(r.ci_low),
            ci_high=float(r.ci_high),
            n=int(r.n),
            flag=flag,
            variable=var,
            survey=prep.name,
            question=question,
            answer=label,
            base_n=int(base_n),
            scale="proportion",
        )
    columns = (ctx.ui("level"), ctx.ui("n"), ctx.ui("percent"), ctx.ui("ci_low"), ctx.ui("ci_high"))
    table = Table(
        question,
        columns,
        tuple(rows),
        notes=(_base_note(ctx, prep, rule, int(base_n)),),
        col_align=("left", "right", "right", "right", "right"),
    )
    blocks: list = [table]
    if chart and bars:
        labels, values, low, high = zip(*bars)
        top = int(np.argmax(values))
        blocks.append(
            charts.bar_ci(
                labels,
                values,
                low,
                high,
                caption=f"{question} (%)",
                highlight=top,
                lang=ctx.lang,
                notes=(_bar_note(ctx),),
            )
        )
    return blocks


def _base_note(ctx: Ctx, prep: Prepared, rule: str | None, base_n: int) -> str:
    """Whom a percentage table counts: all respondents, or those the questionnaire asked."""
    ko = ctx.lang == "ko"
    if rule:
        asked = _rule_text(prep, rule, ctx.lang)
        who = (
            f"문항을 받은 응답자({asked}) 중 응답한 {base_n:,}명"
            if ko
            else f"{base_n:,} of those asked (if: {asked}) who answered"
        )
    else:
        who = f"전체 응답자 중 응답한 {base_n:,}명" if ko else f"{base_n:,} of all respondents who answered"
    return (
        f"비율의 기준: {who}(모름/무응답 제외)."
        if ko
        else f"Percentages are of {who} (don't know / no answer excluded)."
    )


def _bar_note(ctx: Ctx) -> str:
    return "막대 끝의 선은 95% 신뢰구간." if ctx.lang == "ko" else "Lines show 95% confidence intervals."


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


def multiple_response(ctx: Ctx, spec: SectionSpec) -> Section:
    prep = ctx.surveys[spec.options["survey"]]
    res = prep.survey.multiple_response(spec.options["set"], lang=ctx.lang)
    frame = res.to_frame()
    rows, bars = [], []
    columns = list(prep.instrument.mr_sets().get(spec.options["set"], frame["item"]))
    answered = prep.survey.data[columns].notna().all(axis=1).to_numpy() & (prep.survey.weights > 0)
    base = float(answered.sum())
    # "% of responses" adds up to 100%: a hidden item must not be recoverable from the others
    flags = secondary_suppression(
        [_flag(ctx, r.n, r.estimate, r.se, base) for r in frame.itertuples(index=False)],
        [float(n) for n in frame["n"]],
        ctx.rule["min_n"],
    )
    for r, flag in zip(frame.itertuples(index=False), flags):
        hidden = flag in HIDDEN
        rows.append(
            (
                r.label,
                Cell(None, flag) if hidden else int(r.n),
                _pct_cell(ctx, r.estimate, flag),
                "" if hidden else pct(r.ci_low),
                "" if hidden else pct(r.ci_high),
                Cell(None, flag) if hidden else pct(r.responses),
            )
        )
        if not hidden:
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
            scale="proportion",
            base_n=int(base),
        )
    ko = ctx.lang == "ko"
    cases = "응답자 대비 %" if ko else "% of cases"
    resp = "응답 대비 %" if ko else "% of responses"
    title = prep.text(spec.options["set"], ctx.lang)
    _svy, rule = _asked(prep, spec.options["set"])
    if rule:
        asked = _rule_text(prep, rule, ctx.lang)
        who = (
            f"문항을 받은 응답자({asked}) 중 응답한 {int(base):,}명"
            if ko
            else f"{int(base):,} of those asked (if: {asked}) who answered"
        )
    else:
        who = f"전체 응답자 중 응답한 {int(base):,}명" if ko else f"{int(base):,} of all respondents who answered"
    note = (
        f"비율의 기준: {who}. ‘응답자 대비 %’는 응답자 가운데 그 항목을 고른 비율(여러 개를 고를 수 있어 합이 100%를 "
        "넘을 수 있음), ‘응답 대비 %’는 모든 선택 가운데 그 항목이 차지하는 비율(합 100%)."
        if ko
        else f"Percentages are of {who}. ‘% of cases’ is the share of respondents who chose the item (several "
        "could be chosen, so they add to more than 100%); ‘% of responses’ is the item's share of all choices "
        "made (they add to 100%)."
    )
    table = Table(
        title,
        (ctx.ui("level"), ctx.ui("n"), cases, ctx.ui("ci_low"), ctx.ui("ci_high"), resp),
        tuple(rows),
        notes=(note,),
        col_align=("left", "right", "right", "right", "right", "right"),
    )
    blocks: list = [table]
    if bars:
        labels, values, low, high = zip(*bars)
        blocks.append(charts.bar_ci(labels, values, low, high, caption=f"{title} ({cases})", notes=(_bar_note(ctx),)))
    return Section(spec.id, ctx.title(spec), tuple(blocks))


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"
