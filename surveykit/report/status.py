"""The data status of a brief (the plan's ``study.data_status``): the one home of its wording.

For synthetic data every output says so: the cover (:func:`notice`), every page's footer
(:func:`footer`), the PDF metadata (:func:`keywords`, with the notice as subject),
``results.json`` and ``tables.xlsx`` (:func:`status_fields`). Real data (or no status) print nothing.
"""

from __future__ import annotations

from typing import Any

from surveykit.report.plan import Plan

__all__ = ["is_synthetic", "notice", "footer", "keywords", "status_fields"]

_FOOTER = {
    "ko": "합성 자료로 만든 시연용 브리프 — 실제 조사 결과가 아님",
    "en": "Demonstration brief on synthetic data — not real survey results",
}
_KEYWORDS = {
    "ko": ("합성 자료", "시연용", "synthetic data", "demonstration"),
    "en": ("synthetic data", "demonstration", "not real survey results"),
}


def is_synthetic(plan: Plan) -> bool:
    return plan.data_status == "synthetic"


def notice(plan: Plan, lang: str) -> str:
    """The cover notice: what the brief is, and what it is not (the original publication)."""
    if not is_synthetic(plan):
        return ""
    org = _text(plan.organisation, lang)
    date = plan.date
    if lang == "ko":
        source = f"{org}{'의 ' + date if date else ''} 공표 수치" if org else "공표된 수치"
        return (
            f"이 문서는 surveykit의 시연용 브리프이다. 모든 수치는 {source}에 맞춰 보정한 합성 자료로 계산했으며, "
            "실제 응답자의 답이 아니다. 원 발간물이 아니며, 공표 수치를 넘어서는 결과(교차분석·모형·유형 등)는 "
            "합성 자료 생성 방식에서 나온 것이다."
        )
    source = f"the figures {org} published{' in ' + date if date else ''}" if org else "the published figures"
    return (
        "This is a surveykit demonstration brief. Every number is computed on synthetic data calibrated to "
        f"{source}, not on real respondents' answers. It is not the original publication, and results beyond "
        "the published figures (cross-tabulations, models, segments) reflect how the synthetic data were generated."
    )


def footer(plan: Plan, lang: str) -> str:
    return _FOOTER[lang] if is_synthetic(plan) else ""


def keywords(plan: Plan, lang: str) -> tuple[str, ...]:
    return _KEYWORDS[lang] if is_synthetic(plan) else ()


def status_fields(plan: Plan, lang: str) -> dict[str, Any]:
    """``data_status`` (``synthetic``, ``real`` or ``None`` when the plan does not say) and the notice."""
    return {"data_status": plan.data_status, "data_notice": notice(plan, lang) or None}


def _text(value: dict[str, str], lang: str) -> str:
    return (value.get(lang) or next(iter(value.values()), "")) if value else ""
