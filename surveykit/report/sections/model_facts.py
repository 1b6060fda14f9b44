"""What a model section states besides its estimates: the outcome's coding, events per
parameter, the collinearity check and, on the bundled synthetic data, which terms the generator
built in (:func:`surveykit.studies.safety_net_2018.effects.built_in`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from surveykit.report.context import Ctx
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


def coding(prep: Prepared, var: str, lang: str, reference: object = None) -> str:
    """How the outcome is coded: which answers count as 1 and 0 (a mapped variable), the order of
    an ordinal one, or the baseline of a nominal one."""
    ko = lang == "ko"
    head = f"결과변수: {prep.text(var, lang)}" if ko else f"Outcome: {prep.text(var, lang)}"
    spec = _derive_specs(prep).get(var)
    if reference is not None:
        base = prep.label(var, float(str(reference)), lang)
        return head + (f"; 기준 범주: {base}" if ko else f"; reference category: {base}")
    if spec is not None and "map" in spec and len(set(spec["map"].values())) == 2:
        source = str(spec["from"])
        groups: dict[float, list[str]] = {}
        for code, value in spec["map"].items():
            groups.setdefault(float(value), []).append(prep.label(source, code, lang))
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
        f"다중공선성 점검: 최대 GVIF^(1/2df) = {top['gvif_adj']:.2f}({label}; 기준 {MAX_GVIF_ADJ:.2f})"
        if ko
        else f"Collinearity check: largest GVIF^(1/2df) = {top['gvif_adj']:.2f} ({label}; threshold {MAX_GVIF_ADJ:.2f})"
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
