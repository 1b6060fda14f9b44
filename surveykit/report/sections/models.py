"""Model sections of a brief: coefficient (odds-ratio) tables and forest plots, predicted
probabilities for a typical respondent and average marginal effects; the multinomial section
(relative-risk ratios and predicted shares per category).

Every model section states how its outcome is coded, its events per parameter (a logistic model
below ``model_facts.MIN_EPP`` is fitted by Firth's penalised likelihood, and the section says why), the
largest generalised variance-inflation factor (terms above ``model_facts.MAX_GVIF_ADJ`` flagged), and,
on the bundled synthetic data, which of its terms were built into the generator
(:func:`surveykit.studies.safety_net_2018.effects.built_in`): every other association is noise.
Wording is "associated factors", never causes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from surveykit.errors import ReportError
from surveykit.estimate.intervals import crit as interval_crit
from surveykit.report import charts
from surveykit.report.context import Ctx, num, pct
from surveykit.report.document import Section, Table, Text
from surveykit.report.plan import SectionSpec
from surveykit.report.prepare import Prepared
from surveykit.report.sections.analysis import _p
from surveykit.report.sections.model_facts import (
    BUILT_IN_TAG,
    MIN_EPP,
    built_in_terms,
    coding,
    events_per_parameter,
    factors_sentence,
    interval_note,
    reference_notes,
    rhs_terms,
    separation_note,
    synthetic_notes,
    term_label,
    vif_notes,
)


def model(ctx: Ctx, spec: SectionSpec) -> Section:
    from surveykit import models

    prep = ctx.surveys[spec.options["survey"]]
    kind, formula = spec.options["kind"], spec.options["formula"]
    fit: models.LogisticResult | models.OrdinalResult
    ko = ctx.lang == "ko"
    if kind not in ("logistic", "ordinal"):
        raise ReportError(f"plan {ctx.plan.id}: section {spec.id}: kind must be 'logistic' or 'ordinal'; got {kind!r}.")
    # an I(...) response is not a column: its coding and events are the model's own business
    known = _outcome(spec) in prep.analysis.data.columns
    design_notes = [coding(prep, _outcome(spec), ctx.lang)] if known else []
    if kind == "logistic":
        firth = spec.options.get("firth", "auto")
        if known:
            epp, events, n_par = events_per_parameter(prep, formula)
            design_notes.append(
                f"모수당 사건 수 {epp:.1f} (드문 쪽 결과 {events}명 / 계수 {n_par}개)"
                if ko
                else f"Events per parameter {epp:.1f} ({events} with the rarer outcome / {n_par} coefficients)"
            )
            if epp < MIN_EPP and firth is not False:
                firth = True
                design_notes.append(
                    f"모수당 사건 수가 {MIN_EPP:g} 미만이므로 Firth 벌점 우도로 추정하였다(작은 표본의 편향 보정)."
                    if ko
                    else f"Fitted by Firth's penalised likelihood because events per parameter are below {MIN_EPP:g} "
                    "(it corrects the small-sample bias of the estimates)."
                )
        fit = models.logistic(prep.analysis, formula, firth=firth)
    else:
        fit = models.ordinal_logistic(prep.analysis, formula)
    forest = fit.forest_frame()
    built = built_in_terms(ctx, prep, _outcome(spec), list(forest["term"]))
    labels = [term_label(prep, t, ctx.lang) + (BUILT_IN_TAG[ctx.lang] if t in built else "") for t in forest["term"]]
    rows = []
    for lab, r in zip(labels, forest.to_dict("records")):
        rows.append((lab, num(r["or"]), num(r["ci_low"]), num(r["ci_high"]), _p(r["p_value"])))
        ctx.record(
            key=f"{prep.name}.{spec.id}.{r['term']}",
            label=lab,
            estimate=float(r["or"]),
            se=None,
            ci_low=float(r["ci_low"]),
            ci_high=float(r["ci_high"]),
            n=int(fit.n),
            p_value=float(r["p_value"]),
            scale="odds ratio",
        )
    notes = [_n_note(fit.n, ko), *design_notes, interval_note(prep, ctx.lang)]
    notes += reference_notes(prep, list(forest["term"]), ctx.lang)
    notes += vif_notes(fit, prep, ctx.lang)
    notes += synthetic_notes(ctx, prep, _outcome(spec), built, list(forest["term"]))
    details = [f"{'모형식' if ko else 'Formula'}: {formula}", _df_text(fit.df_resid, ko)]
    if isinstance(fit, models.LogisticResult):
        notes.append(separation_note(prep, _outcome(spec), fit.auc, ctx.lang))
        details.append(f"AUC = {fit.auc:.3f}, pseudo R² = {fit.pseudo_r2:.3f}")
    if isinstance(fit, models.OrdinalResult) and fit.po_test is not None:
        notes += _po_notes(fit, ko)
        t = fit.po_test
        details.append(
            ("비례승산 가정 검정(Wald)" if ko else "Proportional-odds test (Wald)")
            + f": F = {t.F:.2f}, df = ({t.df}, {t.ddf:g}), {_p_text(t.p_value)}"
        )
        if fit.recommendation:
            details.append(
                "기각: 임계값마다 기울기가 다르므로 임계값별 이분형 로지스틱 모형(po_slopes)이나 부분 비례승산·다항 모형을 권한다"
                if ko
                else "rejected: slopes differ between thresholds; binary logistic models at each threshold (po_slopes) "
                "or a partial proportional-odds / multinomial model are recommended"
            )
    if isinstance(fit, models.OrdinalResult) and fit.po_excluded is not None and len(fit.po_excluded):
        left, plain = [], []  # slopes with no finite estimate at a cut (separation): out of the test, said in words
        for e in fit.po_excluded.to_dict("records"):
            lab, low, cut = term_label(prep, e["term"], ctx.lang), fit.levels[e["cut"] - 1], e["threshold"]
            if e["reason"] != "empty cell":
                left.append(f"{lab}(절단점 {cut}에서 분리, 유한한 추정치 없음)" if ko else
                            f"{lab} (separated at cut {cut}, no finite estimate)")  # fmt: skip
                plain.append(f"{lab}(한쪽 단계에서 응답이 완전히 갈림)" if ko else
                             f"{lab} (answers split completely at one step)")  # fmt: skip
                continue
            where = ({"low": f"'{low}' 이하", "high": f"'{low}' 초과"} if ko else
                     {"low": f"at or below '{low}'", "high": f"above '{low}'"})[e["side"]]  # fmt: skip
            left.append(f"{lab}(= {e['value']:g}): {where} 응답자 없음(절단점 {cut}의 빈 칸)" if ko else
                        f"{lab} (= {e['value']:g}): no respondents {where} (empty cell at cut {cut})")  # fmt: skip
            plain.append(f"{lab}(= {e['value']:g}): 응답이 {where}인 응답자가 없음" if ko else
                         f"{lab} (= {e['value']:g}): no respondents answered {where}")  # fmt: skip
        computable = fit.po_test is not None
        head = (("비례승산 가정 검정에서 제외" if ko else "Left out of the proportional-odds test") if computable
                else ("비례승산 가정 검정은 계산할 수 없음" if ko else "Proportional-odds test not computable"))  # fmt: skip
        details.append(f"{head}: " + "; ".join(left))
        plain_head = (("이 가정의 검정에서 빠진 요인" if ko else "Left out of that test") if computable
                      else ("이 가정은 검정할 수 없음" if ko else "That assumption could not be tested"))  # fmt: skip
        notes.append(f"{plain_head}: " + "; ".join(plain) + ".")
    notes += [n for n in fit.notices if not n.startswith("reference category")]
    _record_fit(ctx, prep, spec, ctx.title(spec), fit.n, details)
    table = Table(
        ctx.title(spec),
        (ctx.ui("term"), ctx.ui("or"), ctx.ui("ci_low"), ctx.ui("ci_high"), ctx.ui("p")),
        tuple(rows),
        notes=tuple(notes),
        col_align=("left", "right", "right", "right", "right"),
    )
    ctx.sheet(f"{prep.name} {spec.id}", fit.to_frame())
    chart = charts.forest(
        labels,
        forest["or"],
        forest["ci_low"],
        forest["ci_high"],
        caption=f"{ctx.title(spec)} ({ctx.ui('or')}, 95% CI)",
        xlabel=ctx.ui("or"),
    )
    blocks: list = [Text((factors_sentence(prep, formula, ctx.lang, ctx.ui("or")),)), table, chart]
    if kind == "logistic":
        blocks.append(_ame_table(ctx, prep, fit, spec))
        prediction = _prediction_table(ctx, prep, fit, spec)
        if prediction is not None:
            blocks.append(prediction)
    return Section(spec.id, ctx.title(spec), tuple(blocks))


def _n_note(n: int, ko: bool) -> str:
    return (
        f"n = {n:,} (모형의 문항에 모두 응답한 사람)"
        if ko
        else f"n = {n:,} respondents who answered every item of the model"
    )


def _df_text(df: float, ko: bool) -> str:
    return f"잔차 설계 자유도 {df:.1f}" if ko else f"residual design df {df:.1f}"


def _p_text(p: float) -> str:
    text = _p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def _po_notes(fit, ko: bool) -> list[str]:
    """The proportional-odds check in plain words (its statistic is in the methods appendix)."""
    p = _p_text(fit.po_test.p_value)
    out = [
        f"요인의 연관이 척도의 모든 단계에서 같다는 가정의 검정: {p}."
        if ko
        else f"Test of the assumption that each factor's association is the same at every step of the scale: {p}."
    ]
    if fit.recommendation:  # the assumption is rejected
        out.append(
            "가정이 맞지 않으므로 위 승산비는 단계마다 다른 연관을 평균한 요약으로 읽는다. 단계별 결과는 이분형 "
            "로지스틱 모형이 더 정확하다."
            if ko
            else "The assumption does not hold, so these odds ratios summarise associations that differ between "
            "steps; a yes/no (logistic) model of one step is more exact."
        )
    return out


def _record_fit(ctx: Ctx, prep: Prepared, spec: SectionSpec, title: str, n: int, details: list[str]) -> None:
    """The model's formula and fit statistics, for the methods appendix and ``results.json``."""
    ctx.record(
        key=f"{prep.name}.{spec.id}.model",
        label=title,
        estimate=None,
        se=None,
        ci_low=None,
        ci_high=None,
        n=int(n),
        test="model_fit",
        details="; ".join(details),
    )


def _typical_profile(prep: Prepared, terms: list[str]) -> tuple[dict[str, float], str | None]:
    """Covariates of a typical respondent (weighted mean; modal level for ``C(x)``) and the first numeric term."""
    data, w = prep.analysis.analysis_data(), prep.analysis.weights
    profile: dict[str, float] = {}
    focus = None
    for term in terms:
        m = re.fullmatch(r"C\((\w+)\)", term)
        var = m.group(1) if m else term
        col = pd.to_numeric(data[var], errors="coerce")
        ok = col.notna().to_numpy() & (w > 0)
        if m:
            counts = pd.Series(w[ok]).groupby(col[ok].to_numpy()).sum()
            profile[var] = float(counts.idxmax())
        else:
            profile[var] = float(np.average(col[ok], weights=w[ok]))
            focus = focus or var
    return profile, focus


def _prediction_table(ctx: Ctx, prep: Prepared, fit, spec: SectionSpec) -> Table | None:
    """Predicted probability for a typical respondent at low/median/high values of the first numeric term."""
    from scipy.special import expit

    terms = rhs_terms(spec.options["formula"])
    if not all(re.fullmatch(r"C\(\w+\)|\w+", t) for t in terms):
        return None
    profile, focus = _typical_profile(prep, terms)
    if focus is None:
        return None
    col = pd.to_numeric(prep.analysis.analysis_data()[focus], errors="coerce").dropna()
    values = sorted({round(float(v), 1) for v in col.quantile([0.1, 0.5, 0.9])})
    new = pd.DataFrame([{**profile, focus: v} for v in values])
    link = fit.predict(new, type="link")
    crit = float(interval_crit(fit.alpha, fit.df_resid))  # the model's own alpha and residual df
    rows = []
    for v, est, se in zip(values, link["estimate"], link["se"]):
        p, lo, hi = expit(est), expit(est - crit * se), expit(est + crit * se)
        label = f"{prep.text(focus, ctx.lang)} = {v:g}"
        rows.append((label, pct(p), pct(lo), pct(hi)))
        ctx.record(
            key=f"{prep.name}.{spec.id}.predicted.{focus}={v:g}",
            label=label,
            estimate=float(p),
            se=None,
            ci_low=float(lo),
            ci_high=float(hi),
            n=int(fit.n),
            scale="probability",
            link_se=float(se),
        )
    ko = ctx.lang == "ko"
    outcome = prep.text(_outcome(spec), ctx.lang)
    caption = (
        f"전형적 응답자의 예측확률(%): {outcome}"
        if ko
        else f"Predicted probability for a typical respondent (%): {outcome}"
    )
    note = (
        "다른 요인은 평균값(범주는 가장 흔한 범주)에 둔 응답자의 예측확률."
        if ko
        else "Predicted for a respondent with the other factors at their average (categories at the most common one)."
    )
    return Table(
        caption,
        (ctx.ui("term"), ctx.ui("percent"), ctx.ui("ci_low"), ctx.ui("ci_high")),
        tuple(rows),
        notes=(note, interval_note(prep, ctx.lang, p_values=False)),
        col_align=("left", "right", "right", "right"),
    )


def _outcome(spec: SectionSpec) -> str:
    """The response variable of a model section's formula (its left-hand side)."""
    return str(spec.options["formula"]).split("~", 1)[0].strip()


def _ame_table(ctx: Ctx, prep: Prepared, fit, spec: SectionSpec) -> Table:
    ame = fit.marginal_effects().to_frame()
    rows = []
    for r in ame.itertuples(index=False):
        var = str(r.variable)
        if r.contrast == "dy/dx":
            term, lab = var, prep.text(var, ctx.lang)
        else:
            code = str(r.contrast).split(" - ")[0]
            term = f"{var}={code}"
            lab = f"{prep.text(var, ctx.lang)}: {prep.label(var, float(code), ctx.lang)}"
        rows.append(
            (lab, f"{100 * r.estimate:+.1f}", f"{100 * r.ci_low:+.1f}", f"{100 * r.ci_high:+.1f}", _p(r.p_value))
        )
        ctx.record(
            key=f"{prep.name}.{spec.id}.ame.{term}",
            label=lab,
            estimate=float(r.estimate),
            se=float(r.se),
            ci_low=float(r.ci_low),
            ci_high=float(r.ci_high),
            n=int(fit.n),
            scale="probability",
        )
    ko = ctx.lang == "ko"
    outcome = prep.text(_outcome(spec), ctx.lang)
    caption = (
        f"요인별 확률의 평균 변화(%p): {outcome}"
        if ko
        else f"Average change in the probability by factor (percentage points): {outcome}"
    )
    note = (
        "응답자마다 예측확률이 얼마나 달라지는지를 평균한 값: 숫자 변수는 한 단위 증가, 0/1 변수와 범주는 기준 "
        "대비(위 승산비 표의 기준과 같음)."
        if ko
        else "The change in each respondent's predicted probability, averaged: per one unit for numbers, against the "
        "reference (as in the odds-ratio table) for yes/no factors and categories."
    )
    return Table(
        caption,
        (
            ctx.ui("term"),
            "확률 변화(%p)" if ko else "Change (points)",
            ctx.ui("ci_low"),
            ctx.ui("ci_high"),
            ctx.ui("p"),
        ),
        tuple(rows),
        notes=(note, interval_note(prep, ctx.lang)),
        col_align=("left", "right", "right", "right", "right"),
    )


# --------------------------------------------------------------------------- multinomial section


def multinomial(ctx: Ctx, spec: SectionSpec) -> Section:
    """A nominal outcome: relative-risk ratios against the reference category and predicted shares."""
    from surveykit import models

    prep = ctx.surveys[spec.options["survey"]]
    formula, outcome = spec.options["formula"], _outcome(spec)
    ref = spec.options.get("reference")
    reference = None if ref is None else (ref if isinstance(ref, str) else f"{float(ref):g}")
    fit = models.multinomial(prep.analysis, formula, reference=reference)
    ko = ctx.lang == "ko"
    title = ctx.text(spec.title, "다항 로지스틱 모형" if ko else "Multinomial logistic model")
    coef = fit.coef[fit.coef["term"] != "Intercept"]
    terms = list(dict.fromkeys(coef["term"]))
    built = built_in_terms(ctx, prep, outcome, terms)
    base = prep.label(outcome, float(fit.reference), ctx.lang)
    rows, labels = [], []
    for r in coef.to_dict("records"):
        lab = f"{prep.label(outcome, float(r['outcome']), ctx.lang)}: "
        lab += term_label(prep, str(r["term"]), ctx.lang) + (BUILT_IN_TAG[ctx.lang] if r["term"] in built else "")
        labels.append(lab)
        rows.append((lab, num(r["rrr"]), num(r["rrr_ci_low"]), num(r["rrr_ci_high"]), _p(r["p_value"])))
        ctx.record(
            key=f"{prep.name}.{spec.id}.{r['outcome']}.{r['term']}",
            label=lab,
            estimate=float(r["rrr"]),
            se=None,
            ci_low=float(r["rrr_ci_low"]),
            ci_high=float(r["rrr_ci_high"]),
            n=int(fit.n),
            p_value=float(r["p_value"]),
            scale="relative-risk ratio",
        )
    rrr = "상대위험비" if ko else "Relative-risk ratio"
    notes = [
        _n_note(fit.n, ko),
        coding(prep, outcome, ctx.lang, reference=fit.reference),
        "상대위험비: 기준 범주 대비 해당 범주를 고를 상대적 가능성의 배수(다른 변수 고정)."
        if ko
        else "Relative-risk ratio: how many times more likely the category is chosen over the reference, other variables fixed.",
        interval_note(prep, ctx.lang),
        *reference_notes(prep, terms, ctx.lang),
        *vif_notes(fit, prep, ctx.lang),
        *synthetic_notes(ctx, prep, outcome, built, terms),
        *(n for n in fit.notices if not n.startswith("reference category")),
    ]
    _record_fit(
        ctx, prep, spec, title, fit.n, [f"{'모형식' if ko else 'Formula'}: {formula}", _df_text(fit.df_resid, ko)]
    )
    table = Table(
        f"{title}: {'기준 범주' if ko else 'reference'} {base}",
        (ctx.ui("term"), rrr, ctx.ui("ci_low"), ctx.ui("ci_high"), ctx.ui("p")),
        tuple(rows),
        notes=tuple(notes),
        col_align=("left", "right", "right", "right", "right"),
    )
    ctx.sheet(f"{prep.name} {spec.id}", fit.to_frame())
    chart = charts.forest(
        labels,
        coef["rrr"],
        coef["rrr_ci_low"],
        coef["rrr_ci_high"],
        caption=f"{title} ({rrr} {'대' if ko else 'vs'} {base}, 95% CI)",
        xlabel=rrr,
    )
    blocks: list = [Text((factors_sentence(prep, formula, ctx.lang, rrr),)), table, chart]
    shares = _multinomial_shares(ctx, prep, fit, spec)
    if shares is not None:
        blocks.append(shares)
    return Section(spec.id, title, tuple(blocks))


def _multinomial_shares(ctx: Ctx, prep: Prepared, fit, spec: SectionSpec) -> Table | None:
    """Predicted share of every category for a typical respondent (delta-method CIs)."""
    terms = rhs_terms(spec.options["formula"])
    if not all(re.fullmatch(r"C\(\w+\)|\w+", t) for t in terms):
        return None
    profile, _focus = _typical_profile(prep, terms)
    pred = fit.predict_se(pd.DataFrame([profile]))
    outcome = _outcome(spec)
    rows = []
    for r in pred.to_dict("records"):
        label = prep.label(outcome, float(r["outcome"]), ctx.lang)
        rows.append((label, pct(r["estimate"]), pct(r["ci_low"]), pct(r["ci_high"])))
        ctx.record(
            key=f"{prep.name}.{spec.id}.predicted.{r['outcome']}",
            label=label,
            estimate=float(r["estimate"]),
            se=float(r["se"]),
            ci_low=float(r["ci_low"]),
            ci_high=float(r["ci_high"]),
            n=int(fit.n),
            scale="probability",
        )
    ko = ctx.lang == "ko"
    caption = (
        f"전형적 응답자의 범주별 예측확률(%): {prep.text(outcome, ctx.lang)}"
        if ko
        else f"Predicted share of each category for a typical respondent (%): {prep.text(outcome, ctx.lang)}"
    )
    note = (
        "다른 요인은 평균값(범주는 가장 흔한 범주)에 둔 응답자의 범주별 예측확률."
        if ko
        else "Predicted for a respondent with the other factors at their average (categories at the most common one)."
    )
    return Table(
        caption,
        (ctx.ui("term"), ctx.ui("percent"), ctx.ui("ci_low"), ctx.ui("ci_high")),
        tuple(rows),
        notes=(note, interval_note(prep, ctx.lang, p_values=False)),
        col_align=("left", "right", "right", "right"),
    )
