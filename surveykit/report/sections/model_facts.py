"""What a model section states besides its estimates: the outcome's coding, events per
parameter, the collinearity check and, on the bundled synthetic data, which terms the generator
built in (:func:`surveykit.studies.safety_net_2018.effects.built_in`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from surveykit.report.context import Ctx, assumes_srs
from surveykit.report.prepare import Prepared
from surveykit.report.sections.analysis import _TERM

#: events per parameter below which a logistic model is fitted by Firth's penalised likelihood
#: (Peduzzi et al. 1996: 10 events of the rarer outcome per coefficient)
MIN_EPP = 10.0
#: GVIF^(1/(2 df)) above which a term is flagged as collinear (sqrt(5): VIF 5 for one column)
MAX_GVIF_ADJ = float(np.sqrt(5.0))
#: tag appended to the label of a term built into the synthetic generator (words, not a symbol:
#: the table flags already use the symbols)
BUILT_IN_TAG = {"ko": " [생성기 내장]", "en": " [built in]"}


def term_label(prep: Prepared, term: str, lang: str) -> str:
    m = _TERM.match(term)
    if m:
        var = m.group("var")
        return f"{prep.text(var, lang)}: {prep.label(var, float(m.group('code')), lang)}"
    if term.endswith(("|", "Intercept")) or "|" in term:
        return term
    return prep.text(term, lang)


# --------------------------------------------------------------------------- stated facts of a model


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _derive_specs(prep: Prepared) -> dict[str, dict]:
    return {str(d["name"]): d for d in prep.spec.derive}


def _sources(prep: Prepared, var: str, depth: int = 0) -> list[str]:
    """Data columns a (possibly derived) variable is computed from, in order of appearance."""
    spec = _derive_specs(prep).get(var)
    if depth > 10 or (spec is None and var in prep.survey.data.columns):
        return [var]
    if spec is None:  # an expression such as I((join_intent >= 3) * 1): the columns it names
        names = _NAME.findall(var)
    else:
        names = [spec["from"]] if "from" in spec else _NAME.findall(str(spec["expr"]))
    out: list[str] = []
    for name in names:
        if name in prep.survey.data.columns or name in prep.derived:
            out += [s for s in _sources(prep, name, depth + 1) if s not in out]
    return out


def _term_var(term: str) -> str | None:
    m = _TERM.match(term)
    if m:
        return m.group("var")
    return term if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", term) and term != "Intercept" else None


def _synthetic_demo(ctx: Ctx, prep: Prepared) -> bool:
    """The survey's data are the bundled synthetic demo, so the generator's dependencies are known."""
    return ctx.plan.data_status == "synthetic" and prep.spec.data == "demo"


def built_in_terms(ctx: Ctx, prep: Prepared, outcome: str, terms: list[str]) -> set[str]:
    """Terms whose variables the synthetic generator makes the outcome depend on directly."""
    if not _synthetic_demo(ctx, prep):
        return set()
    from surveykit.studies.safety_net_2018.effects import built_in

    sources = _sources(prep, outcome)
    if not sources:
        return set()
    inputs = built_in(str(prep.instrument.survey), sources[0])
    out = set()
    for term in terms:
        var = _term_var(term)
        if var is None:
            continue
        columns = _sources(prep, var)
        if set(columns) & set(inputs) or any(_linked_input(prep, sources[0], c) for c in columns):
            out.add(term)
    return out


def _linked_input(prep: Prepared, outcome: str, column: str) -> bool:
    """A column attached from another demo survey (``link``) on which the generator makes *outcome* depend."""
    from surveykit.studies.safety_net_2018.effects import built_in

    if column not in prep.linked:
        return False
    other, source = prep.linked[column]
    inputs = built_in(str(prep.instrument.survey), outcome, inputs_of=str(other.instrument.survey))
    return other.spec.data == "demo" and bool(set(_sources(other, source)) & set(inputs))


def synthetic_notes(ctx: Ctx, prep: Prepared, outcome: str, built: set[str], terms: list[str]) -> list[str]:
    if not _synthetic_demo(ctx, prep):
        return []
    ko = ctx.lang == "ko"
    names = sorted({term_label(prep, t, ctx.lang) for t in built})
    if names:
        return [
            f"{BUILT_IN_TAG['ko'].strip()}: 합성 자료 생성기에 내장된 관계: {', '.join(names)}. 이 표의 다른 연관은 p값과 관계없이 "
            "합성 자료의 우연한 잡음이다."
            if ko
            else f"{BUILT_IN_TAG['en'].strip()}: built into the synthetic-data generator: {', '.join(names)}. Every other "
            "association in this table is noise of the synthetic data, whatever its p-value."
        ]
    return [
        "이 표의 어떤 변수도 합성 자료 생성기에 내장되지 않았다: 모든 연관은 우연한 잡음이다."
        if ko
        else "None of these variables was built into the synthetic-data generator: every association is noise."
    ]


def _levels_text(prep: Prepared, var: str, lang: str) -> str:
    if var not in prep.analysis.data.columns:  # an I(...) response: the model states its own terms
        return var
    values = pd.to_numeric(prep.analysis.analysis_data()[var], errors="coerce").dropna().unique()
    return " < ".join(f"{v:g} {prep.label(var, v, lang)}" for v in sorted(values))


def _binary_groups(prep: Prepared, var: str, lang: str) -> dict[float, list[str]] | None:
    """Labels of the source answers coded 1 and 0 by a two-valued ``map`` (a linked variable's in its survey)."""
    if var in prep.linked:
        other, source = prep.linked[var]
        return _binary_groups(other, source, lang)
    spec = _derive_specs(prep).get(var)
    if spec is None or "map" not in spec or len(set(spec["map"].values())) != 2:
        return None
    source = str(spec["from"])
    groups: dict[float, list[str]] = {}
    for code, value in spec["map"].items():
        groups.setdefault(float(value), []).append(prep.label(source, code, lang))
    return groups


def coding(prep: Prepared, var: str, lang: str, reference: object = None) -> str:
    """How the outcome is coded: which answers count as 1 and 0 (a mapped variable), the order of
    an ordinal one, or the baseline of a nominal one."""
    ko = lang == "ko"
    head = f"결과변수: {prep.text(var, lang)}" if ko else f"Outcome: {prep.text(var, lang)}"
    spec = _derive_specs(prep).get(var)
    if reference is not None:
        base = prep.label(var, float(str(reference)), lang)
        return head + (f"; 기준 범주: {base}" if ko else f"; reference category: {base}")
    groups = _binary_groups(prep, var, lang) if var not in prep.linked else None
    if spec is not None and groups is not None:
        source = str(spec["from"])
        parts = [f"{v:g} = {', '.join(labels)}" for v, labels in sorted(groups.items(), reverse=True)]
        seen = pd.to_numeric(prep.analysis.analysis_data()[source], errors="coerce").dropna().unique()
        rest = sorted(set(map(float, seen)) - {float(k) for k in spec["map"]})
        if rest:
            names = ", ".join(prep.label(source, v, lang) for v in rest)
            parts.append(f"{names}: 분석에서 제외" if ko else f"{names}: left out")
        return f"{head} ({'; '.join(parts)})"
    return f"{head} ({_levels_text(prep, var, lang)})"


def events_per_parameter(prep: Prepared, formula: str) -> tuple[float, int, int]:
    """Events of the rarer outcome among the complete rows, coefficients besides the intercept, and their ratio."""
    data = prep.analysis.analysis_data()
    lhs, rhs = formula.split("~", 1)
    used = [v for v in dict.fromkeys(_NAME.findall(formula)) if v in data.columns]
    ok = (prep.analysis.weights > 0) & data[used].notna().all(axis=1).to_numpy()
    y = (
        pd.to_numeric(data[lhs.strip()], errors="coerce")[ok]
        if lhs.strip() in data.columns
        else pd.Series([], dtype=float)
    )
    events = int(min((y == 1).sum(), (y == 0).sum()))
    n_par = 0
    for term in (t.strip() for t in rhs.split("+") if t.strip()):
        m = re.fullmatch(r"C\((\w+)\)", term)
        known = m is not None and m.group(1) in data.columns
        n_par += max(int(data.loc[ok, m.group(1)].nunique()) - 1, 0) if m and known else 1
    return (events / n_par if n_par else float("inf")), events, n_par


def vif_notes(fit, prep: Prepared, lang: str) -> list[str]:
    from surveykit.errors import ModelError

    try:
        vif = fit.vif()
    except ModelError:
        return []
    ko = lang == "ko"
    top = vif.loc[vif["gvif_adj"].idxmax()]
    label = prep.text(str(top["term"]).removeprefix("C(").removesuffix(")"), lang)
    out = [
        f"다중공선성 점검(요인끼리 겹치는 정도): 가장 큰 값 {top['gvif_adj']:.2f}({label}); "
        f"{MAX_GVIF_ADJ:.2f}를 넘으면 그 요인들의 연관을 서로 구분하기 어렵다."
        if ko
        else f"Collinearity check (how much the factors overlap): largest {top['gvif_adj']:.2f} ({label}); "
        f"above {MAX_GVIF_ADJ:.2f} the factors' associations cannot be told apart."
    ]
    high = vif[vif["gvif_adj"] > MAX_GVIF_ADJ]
    if not high.empty:
        names = ", ".join(prep.text(str(t).removeprefix("C(").removesuffix(")"), lang) for t in high["term"])
        out.append(
            f"공선성 주의: {names}의 계수는 서로 구분하기 어렵다."
            if ko
            else f"Collinear terms: {names}; their coefficients are hard to tell apart."
        )
    return out


# --------------------------------------------------------------------------- plain words for the body


def rhs_terms(formula: str) -> list[str]:
    """The right-hand-side terms of a model formula, as written."""
    return [t.strip() for t in str(formula).split("~", 1)[1].split("+") if t.strip()]


def factors_sentence(prep: Prepared, formula: str, lang: str, scale: str) -> str:
    """What the model relates, by labels instead of the formula: outcome, factors, and how to read *scale*."""
    outcome = prep.text(str(formula).split("~", 1)[0].strip(), lang).rstrip(".")
    stop = "" if outcome.endswith("?") else "."
    names = []
    for term in rhs_terms(formula):
        m = re.fullmatch(r"C\((\w+)\)", term)
        names.append(prep.text(m.group(1) if m else term, lang))
    if lang == "ko":
        return (
            f"결과: {outcome}{stop} 함께 고려한 요인: {', '.join(names)}. 각 {scale}는 다른 요인을 같게 두었을 때의 "
            "연관이며 원인을 뜻하지 않는다."
        )
    return (
        f"Outcome: {outcome}{stop} Factors considered together: {', '.join(names)}. Each {scale.lower()} is an "
        "association with the other factors held equal, not a cause."
    )


def reference_notes(prep: Prepared, terms: list[str], lang: str) -> list[str]:
    """The reference category of every categorical term (the level without a row) and, for every 0/1
    term, what 1 and 0 stand for."""
    ko = lang == "ko"
    shown: dict[str, list[float]] = {}
    plain: list[str] = []
    for term in terms:
        m = _TERM.match(term)
        if m:
            shown.setdefault(m.group("var"), []).append(float(m.group("code")))
        elif _term_var(term) is not None:
            plain.append(term)
    refs = []
    data = prep.analysis.analysis_data()
    for var, codes in shown.items():
        ok = prep.analysis.weights > 0
        seen = sorted(set(map(float, pd.to_numeric(data[var], errors="coerce")[ok].dropna())) - set(codes))
        if seen:
            refs.append(f"{prep.text(var, lang)}: {', '.join(prep.label(var, v, lang) for v in seen)}")
    out = []
    if refs:
        out.append(
            f"기준 범주(승산비 1): {'; '.join(refs)}. 범주별 승산비는 이 범주와 비교한 값이다."
            if ko
            else f"Reference categories (ratio 1): {'; '.join(refs)}. Each category's ratio compares it with this one."
        )
    binary = []
    for term in plain:
        groups = _binary_groups(prep, term, lang)
        if groups is not None and set(groups) == {0.0, 1.0}:
            binary.append(f"{prep.text(term, lang)} (1 = {', '.join(groups[1.0])}; 0 = {', '.join(groups[0.0])})")
    if binary:
        out.append(
            f"0/1 변수는 1을 0과 비교한다(0이 기준): {'; '.join(binary)}."
            if ko
            else f"Yes/no factors compare 1 with 0 (0 is the reference): {'; '.join(binary)}."
        )
    return out


def _short(prep: Prepared, column: str, lang: str) -> str:
    """A design column's label without its parenthetical explanation."""
    return re.split(r"\s*\(", prep.text(column, lang), maxsplit=1)[0] or column


def interval_note(prep: Prepared, lang: str, p_values: bool = True) -> str:
    """How the intervals (and p-values) treat the sample: simple random sampling, or the design named by labels."""
    ko = lang == "ko"
    what = (
        ("신뢰구간과 p값은" if p_values else "신뢰구간은")
        if ko
        else ("Intervals and p-values" if p_values else "Intervals")
    )
    if assumes_srs(prep):
        return (
            f"{what} 응답자를 단순무작위표본으로 가정한다(가중치·표본 설계 정보 없음)."
            if ko
            else f"{what} assume simple random sampling of the respondents (no weights or design information)."
        )
    design = prep.survey.design
    strata: str | None = getattr(design, "strata", None)
    ids: list[str] = list(getattr(design, "ids", None) or ())
    weights: str | None = getattr(design, "weights", None)
    parts = []
    if strata:
        parts.append(("층화: " if ko else "strata: ") + _short(prep, strata, lang))
    if ids:
        parts.append(("집락: " if ko else "clusters: ") + " > ".join(_short(prep, c, lang) for c in ids))
    if weights:
        parts.append(("가중치: " if ko else "weights: ") + _short(prep, weights, lang))
    if prep.survey.history:
        parts.append("가중 조정" if ko else "calibrated weights")
    if not parts:  # replicate weights
        parts.append("반복 가중치" if ko else "replicate weights")
    return (
        f"{what} 표본 설계를 반영한다({', '.join(parts)})." if ko else f"{what} are design-based ({', '.join(parts)})."
    )


def separation_note(prep: Prepared, outcome: str, auc: float, lang: str) -> str:
    """The AUC in plain words (the term itself is printed in the methods appendix)."""
    label = prep.text(outcome, lang)
    if lang == "ko":
        return (
            f"모형이 ‘{label}’에 해당하는 응답자와 아닌 응답자를 가려내는 정도: {auc:.2f} (0.5 = 우연 수준, 1 = 완벽)."
        )
    return f"How well the model separates respondents with ‘{label}’ from the others: {auc:.2f} (0.5 = chance, 1 = perfect)."
