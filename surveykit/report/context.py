"""The build context shared by section builders: language, surveys, reliability rule, records.

Internal to :mod:`surveykit.report`. A builder appends what it computes to ``records`` (every
number of the brief, for ``results.json`` and the summary) and returns a document
:class:`~surveykit.report.document.Section`; ``tables.xlsx`` is written from the document's
tables. ``sheets`` still collects the raw result frames the model and segment sections pass to
:meth:`Ctx.sheet`; nothing writes them any more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from surveykit.report.plan import Plan, SectionSpec
from surveykit.report.prepare import Prepared

__all__ = [
    "Ctx",
    "UI",
    "pct",
    "num",
    "reliability_flag",
    "proportion_flag",
    "secondary_suppression",
    "HIDDEN",
    "assumes_srs",
]

#: flags whose cells are not shown (the small-cell rule and its secondary suppression)
HIDDEN = ("suppressed", "secondary")

UI: dict[str, dict[str, str]] = {
    "ko": {
        "overview": "설문조사 개요",
        "key_figures": "핵심 지표",
        "frequencies": "응답 분포",
        "crosstab": "교차분석",
        "multiple_response": "복수응답",
        "model": "모형",
        "segments": "응답자 유형",
        "reproduction": "공표 수치 재현",
        "quality": "데이터 품질",
        "methods": "분석 방법",
        "summary": "요약: 주요 결과",
        "level": "응답",
        "n": "사례 수",
        "percent": "비율(%)",
        "ci": "95% 신뢰구간",
        "se": "표준오차",
        "missing_row": "비율 계산에서 제외",
        "total": "전체",
        "estimate": "추정값",
        "published": "공표값",
        "computed": "재현값",
        "match": "일치",
        "yes": "예",
        "no": "아니오",
        "key": "항목",
        "survey": "조사",
        "or": "승산비",
        "p": "p값",
        "ci_low": "95% 하한",
        "ci_high": "95% 상한",
        "term": "변수",
        "segment": "유형",
        "share": "비중(%)",
    },
    "en": {
        "overview": "Survey overview",
        "key_figures": "Key figures",
        "frequencies": "Distributions",
        "crosstab": "Cross-tabulation",
        "multiple_response": "Multiple response",
        "model": "Model",
        "segments": "Respondent segments",
        "reproduction": "Reproduction of published figures",
        "quality": "Data quality",
        "methods": "Methods",
        "summary": "Summary: key findings",
        "level": "Answer",
        "n": "n",
        "percent": "Percent",
        "ci": "95% CI",
        "se": "SE",
        "missing_row": "excluded from percentages",
        "total": "Total",
        "estimate": "Estimate",
        "published": "Published",
        "computed": "Computed",
        "match": "Match",
        "yes": "Yes",
        "no": "No",
        "key": "Item",
        "survey": "Survey",
        "or": "Odds ratio",
        "p": "p-value",
        "ci_low": "95% CI low",
        "ci_high": "95% CI high",
        "term": "Variable",
        "segment": "Segment",
        "share": "Share (%)",
    },
}


def pct(value: float | None, digits: int = 1) -> str:
    """``0.3226 -> '32.3'``; missing -> ``''``."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{100 * value:.{digits}f}"


def num(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:,.{digits}f}"


def reliability_flag(n_cell: float, cv: float, n_eff: float, rule: dict[str, float]) -> str | None:
    """Flag key of a published estimate under the plan's rule.

    ``suppressed`` when fewer than ``min_n`` respondents stand behind the cell; ``high_cv`` when
    the coefficient of variation exceeds ``max_cv``; ``low_n`` when the effective sample size
    (n / deff) is below ``min_effective_n``.
    """
    if n_cell < rule["min_n"]:
        return "suppressed"
    if math.isfinite(cv) and cv > rule["max_cv"]:
        return "high_cv"
    if math.isfinite(n_eff) and n_eff < rule["min_effective_n"]:
        return "low_n"
    return None


def proportion_flag(rule: dict[str, float], n_cell: float, p: float, se: float, n_base: float) -> str | None:
    """:func:`reliability_flag` of a proportion ``p`` (SE ``se``) resting on ``n_cell`` of ``n_base``.

    The design effect is taken against simple random sampling with replacement,
    ``deff = se^2 / (p (1 - p) / n_base)``, so unweighted data give ``deff`` near 1 (R's
    ``deff=TRUE`` is infinite there: its SRS-without-replacement reference has no variance).
    """
    cv = se / p if p > 0 else float("inf")
    srs = p * (1 - p) / n_base if n_base > 0 else float("nan")
    deff = se * se / srs if srs > 0 else float("nan")
    n_eff = n_base / deff if math.isfinite(deff) and deff > 0 else n_base
    return reliability_flag(n_cell, cv, n_eff, rule)


def secondary_suppression(flags: list[str | None], counts: list[float], min_n: float) -> list[str | None]:
    """*flags* of cells that add up to a known total, with complementary cells hidden too.

    The one home of cell suppression in a brief (primary: :func:`reliability_flag`). When a
    cell is ``suppressed``, subtracting the shown cells from the total (a row's 100%, a printed
    base) would give it back; so the smallest other cells are flagged ``secondary`` until at least
    two are hidden and together they rest on at least *min_n* respondents. A group with nothing
    suppressed is returned unchanged.
    """
    out = list(flags)
    hidden = [i for i, f in enumerate(out) if f in HIDDEN]
    if not hidden:
        return out
    rest = sorted((i for i in range(len(out)) if out[i] not in HIDDEN), key=lambda i: (counts[i], i))
    while rest and (len(hidden) < 2 or sum(counts[i] for i in hidden) < min_n):
        i = rest.pop(0)
        out[i] = "secondary"
        hidden.append(i)
    return out


def assumes_srs(prep: Prepared) -> bool:
    """The survey has no strata, clusters, weights or weighting steps, so its intervals assume
    simple random sampling of the respondents (the one home of that test in a brief)."""
    return not prep.survey.design.columns and not prep.survey.history


@dataclass
class Ctx:
    """Mutable state of one brief's build (internal; never returned to users)."""

    plan: Plan
    lang: str
    surveys: dict[str, Prepared]
    records: list[dict[str, Any]] = field(default_factory=list)
    sheets: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    #: the section being built (its id and type go into every record it makes)
    current: SectionSpec | None = None

    @property
    def rule(self) -> dict[str, float]:
        return self.plan.reliability

    def ui(self, key: str) -> str:
        return UI[self.lang][key]

    def text(self, value: dict[str, str] | None, fallback: str = "") -> str:
        if not value:
            return fallback
        return value.get(self.lang) or next(iter(value.values()))

    def title(self, section: SectionSpec) -> str:
        return self.text(section.title, self.ui(section.type))

    def record(self, **fields: Any) -> None:
        """Record one number of the brief (for ``results.json`` and the summary), tagged with the
        id and type of the section being built."""
        if self.current is not None:
            fields = {"section": self.current.id, "section_type": self.current.type, **fields}
        self.records.append(fields)

    def sheet(self, name: str, frame: pd.DataFrame) -> None:
        self.sheets.append((name, frame))
