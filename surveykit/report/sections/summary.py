"""The executive summary of a brief: key findings as sentences, and a "how to read" box.

Built after every other section (``report.build``) from the numbers they recorded, printed first.
Findings, in this order, at most ``max_findings`` (default 5):

* key figures: the share with its margin of error (half the width of its 95% interval, as
  Korean survey reports print 표본오차 ±x%p), for the first figures of each key-figures section;
* the first variable of each charted frequencies section: its most common answer, called
  "the most common" only when its interval does not overlap the runner-up's (otherwise both are
  named as "about as common");
* each cross-tabulation: "differs" only when the test of no difference has p < 0.05, always
  worded as an association, never as a cause.

Suppressed numbers are never summarised. Model coefficients are not summarised: an association
after adjustment needs the model's caveats (and on synthetic data it reflects the generator).
"""

from __future__ import annotations

from typing import Any

from surveykit.report import charts
from surveykit.report.context import Ctx, assumes_srs
from surveykit.report.document import DEFAULT_FLAGS, Box, Finding, Findings, Section, Text
from surveykit.report.plan import SectionSpec

__all__ = ["summary", "margin_of_error"]

_ALPHA = 0.05  # the level the summary calls a difference at (tests print p-values)
_SUPPRESSED = ("suppressed", "secondary")


def margin_of_error(rec: dict[str, Any]) -> float | None:
    """Half the width of the recorded interval, in percentage points (None without one)."""
    low, high = rec.get("ci_low"), rec.get("ci_high")
    if low is None or high is None:
        return None
    return 50.0 * (float(high) - float(low))


def _p1(x: float) -> str:
    return f"{100 * x:.1f}"


def _survey_label(ctx: Ctx, rec: dict[str, Any]) -> str:
    prep = ctx.surveys.get(str(rec.get("survey", "")))
    return ctx.text(prep.spec.label, prep.name) if prep is not None else ""


def _key_figure(ctx: Ctx, rec: dict[str, Any]) -> str | None:
    moe = margin_of_error(rec)
    if rec.get("flag") in _SUPPRESSED or rec.get("estimate") is None or moe is None:
        return None
    who, p, label = _survey_label(ctx, rec), _p1(rec["estimate"]), rec["label"]
    n = f"{int(rec['n']):,}"
    if ctx.lang == "ko":
        subject = f"{who} 응답 {n}건 중" if who else f"응답 {n}건 중"
        return f"{subject} {p}%가 ‘{label}’에 해당한다(표본오차 ±{moe:.1f}%p)."
    base = f"{n} {who.lower()} answering" if who else f"{n} respondents answering"
    return f"{label}: {p}% of the {base} (margin of error ±{moe:.1f} percentage points)."


def _most_common(ctx: Ctx, recs: list[dict[str, Any]]) -> str | None:
    shown = [r for r in recs if r.get("flag") not in _SUPPRESSED and r.get("ci_low") is not None]
    if len(shown) < 2:
        return None
    top, second = sorted(shown, key=lambda r: -float(r["estimate"]))[:2]
    q = top["question"]
    a, b = top["answer"], second["answer"]
    pa, pb, moe = _p1(top["estimate"]), _p1(second["estimate"]), margin_of_error(top) or 0.0
    # with several surveys in the plan, say whose answers these are
    who = f"{_survey_label(ctx, top)}: " if len(ctx.surveys) > 1 and _survey_label(ctx, top) else ""
    # the bar charts' one rule: the top interval clear of every other shown answer's
    est, low, high = ([float(r[k]) for r in shown] for k in ("estimate", "ci_low", "ci_high"))
    if charts.clear_leader(est, low, high, shown.index(top)):
        if ctx.lang == "ko":
            return f"{who}‘{q}’에는 ‘{a}’가 {pa}%(표본오차 ±{moe:.1f}%p)로 가장 많았고, 다음인 ‘{b}’({pb}%)보다 뚜렷이 많다."
        return (
            f"{who}The most common answer to ‘{q}’ was ‘{a}’ ({pa}%, margin of error ±{moe:.1f} points), "
            f"clearly ahead of ‘{b}’ ({pb}%)."
        )
    if ctx.lang == "ko":
        return f"{who}‘{q}’에는 ‘{a}’({pa}%)와 ‘{b}’({pb}%)가 가장 많았으며, 두 응답의 차이는 표본오차 범위 안에 있다."
    return (
        f"{who}The most common answers to ‘{q}’ were ‘{a}’ ({pa}%) and ‘{b}’ ({pb}%); "
        "the difference between them is within the margin of error."
    )


def _crosstab(ctx: Ctx, rec: dict[str, Any]) -> str | None:
    p = rec.get("p_value")
    if p is None:
        return None
    row, col = rec["row_text"], rec["col_text"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if p < _ALPHA:
        if ctx.lang == "ko":
            return f"‘{col}’의 응답 분포는 ‘{row}’에 따라 다르다({p_text}). 이는 함께 나타나는 관계(연관성)이며 원인을 뜻하지 않는다."
        return (
            f"Answers to ‘{col}’ differ by ‘{row}’ ({p_text}); this is an association between the two, "
            "not evidence that one causes the other."
        )
    if ctx.lang == "ko":
        return f"‘{row}’에 따른 ‘{col}’의 차이는 이 표본에서 뚜렷하지 않다({p_text})."
    return f"These data show no clear difference in ‘{col}’ by ‘{row}’ ({p_text})."


def findings(ctx: Ctx, limit: int = 5) -> list[Finding]:
    """The key findings of the sections built so far (see the module docstring)."""
    by_section: dict[str, list[dict[str, Any]]] = {}
    for rec in ctx.records:
        if "section" in rec:
            by_section.setdefault(rec["section"], []).append(rec)
    specs = [s for s in ctx.plan.sections if s.id in by_section]
    figure_secs = [s for s in specs if s.type == "key_figures"]
    other = [s for s in specs if s.type in ("frequencies", "crosstab")]
    per_figure_section = max(1, (limit - min(len(other), 2)) // max(1, len(figure_secs)))
    out: list[Finding] = []
    for spec in specs:
        recs = by_section[spec.id]
        texts: list[str | None] = []
        if spec.type == "key_figures":
            texts = [_key_figure(ctx, r) for r in recs if r.get("scale") == "proportion"][:per_figure_section]
        elif spec.type == "frequencies" and spec.options.get("chart"):
            first = spec.options["variables"][0]
            texts = [_most_common(ctx, [r for r in recs if r.get("variable") == first and "answer" in r])]
        elif spec.type == "crosstab":
            texts = [_crosstab(ctx, r) for r in recs if r.get("test") == "rao_scott"]
        out += [Finding(t, spec.id) for t in texts if t]
    return out[:limit]


def _how_to_read(ctx: Ctx) -> Box:
    ko = ctx.lang == "ko"
    flags = DEFAULT_FLAGS[ctx.lang]
    rule = ctx.rule
    pairs = [
        (
            ("95% 신뢰구간" if ko else "95% confidence interval"),
            "같은 방식으로 표본을 100번 뽑으면 그중 약 95번은 실제 값이 이 범위 안에 든다. 범위가 넓을수록 불확실하다."
            if ko
            else "The range that would contain the true value in about 95 of 100 samples drawn the same way; "
            "the wider it is, the less certain the number.",
        ),
        (
            ("표본오차(±%p)" if ko else "Margin of error (± points)"),
            "신뢰구간 폭의 절반. 40.0%(표본오차 ±7.0%p)는 실제 값이 대략 33~47% 사이라는 뜻이다."
            if ko
            else "Half the width of the 95% interval: 40.0% (±7.0 points) means the true value is roughly "
            "between 33% and 47%.",
        ),
        (
            ("비교" if ko else "Comparisons"),
            "‘더 많다/다르다’는 검정(p < 0.05)이나 겹치지 않는 신뢰구간이 뒷받침할 때만 쓴다. p값은 차이가 없는데도 "
            "이만큼의 차이가 우연히 나타날 확률이다."
            if ko
            else "‘More’ or ‘differs’ is said only when a test (p < 0.05) or non-overlapping intervals support "
            "it. A p-value is the chance of a difference this large if there were none.",
        ),
        (
            (f"표시 {flags['suppressed'].marker}, {flags['high_cv'].marker}, {flags['low_n'].marker}")
            if ko
            else f"Marks {flags['suppressed'].marker}, {flags['high_cv'].marker}, {flags['low_n'].marker}",
            (
                f"{flags['suppressed'].marker}: 응답자가 {int(rule['min_n'])}명 미만이라 값을 숨긴 칸(다른 칸에서 "
                f"거꾸로 계산되지 않도록 함께 숨긴 칸 포함). {flags['high_cv'].marker}: 값이 불안정함(변동계수 "
                f"{rule['max_cv']:.0%} 초과). {flags['low_n'].marker}: 실질 표본이 {int(rule['min_effective_n'])}명 "
                "미만. 표시된 값은 주의해서 읽는다."
            )
            if ko
            else (
                f"{flags['suppressed'].marker}: hidden because fewer than {int(rule['min_n'])} respondents stand "
                "behind it (with any cell hidden so it cannot be worked out from the others). "
                f"{flags['high_cv'].marker}: unstable (coefficient of variation above {rule['max_cv']:.0%}). "
                f"{flags['low_n'].marker}: effective sample below {int(rule['min_effective_n'])}. Read marked values "
                "with caution."
            ),
        ),
        (
            ("비율의 기준" if ko else "What a percentage is of"),
            "각 표 아래 주에 기준(전체 응답자 또는 해당 문항을 받은 응답자)을 적었다. 복수응답의 ‘응답자 대비 %’는 "
            "응답자 가운데 그 항목을 고른 비율(합이 100%를 넘을 수 있음), ‘응답 대비 %’는 모든 선택 가운데 그 항목의 비율이다."
            if ko
            else "The note under each table says whom it counts (all respondents, or those asked the question). "
            "In multiple-response tables, ‘% of cases’ is the share of respondents choosing an item (they can add "
            "to more than 100%); ‘% of responses’ is the item's share of all choices made.",
        ),
    ]
    if any(s.type == "model" for s in ctx.plan.sections):
        pairs.append(
            (
                ("승산비" if ko else "Odds ratio"),
                "어떤 응답(예: 가입 의향 있음)의 가능성이 기준 집단보다 몇 배인지. 1보다 크면 더 높고 1보다 작으면 더 낮다. "
                "범주형 변수는 기준 범주와, 숫자 변수는 한 단위 차이와 비교한다. 다른 변수를 함께 고려한 연관성이며 원인을 뜻하지 않는다."
                if ko
                else "How many times higher the odds of an answer (e.g. intending to join) are than in the "
                "reference group: above 1 higher, below 1 lower. Categories are compared with their reference "
                "category, numbers per one unit. It is an association with the other variables held equal, not a cause.",
            )
        )
    paragraphs = []
    if all(assumes_srs(p) for p in ctx.surveys.values()):
        paragraphs.append(
            "이 자료에는 가중치와 표본 설계 정보가 없어, 모든 신뢰구간은 응답자를 단순무작위표본으로 가정하고 계산했다."
            if ko
            else "These data carry no weights or sampling-design information, so every interval assumes simple "
            "random sampling of the respondents."
        )
    return Box("이 브리프를 읽는 법" if ko else "How to read this brief", tuple(pairs), tuple(paragraphs))


def summary(ctx: Ctx, spec: SectionSpec) -> Section:
    """Key findings (each linking to its section) and the how-to-read box."""
    ko = ctx.lang == "ko"
    items = findings(ctx, int(spec.options.get("max_findings", 5)))
    blocks: list = []
    if ctx.plan.data_status == "synthetic":
        blocks.append(
            Text(
                (
                    "아래 결과는 합성 자료로 계산한 시연용이며, 실제 조사 결과로 인용해서는 안 된다."
                    if ko
                    else "The findings below are computed on synthetic data for demonstration; do not cite them "
                    "as survey results.",
                )
            )
        )
    if items:
        blocks.append(Findings(tuple(items)))
    blocks.append(_how_to_read(ctx))
    return Section(spec.id, ctx.title(spec), tuple(blocks))
