"""Section builders that describe the survey: overview, key figures, reproduction, quality, methods."""

from __future__ import annotations

import platform
import re
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

from surveykit.errors import ReportError
from surveykit.instrument import load_published_figures
from surveykit.report.context import Ctx, pct, proportion_flag
from surveykit.report.document import Callout, Callouts, Cell, KeyValue, Section, Table, Text
from surveykit.report.plan import SectionSpec
from surveykit.report.text import quantity

__all__ = ["overview", "key_figures", "reproduction", "quality", "methods"]

_SYNTHETIC = {
    "ko": "이 브리프의 수치는 실제 응답이 아닌 합성 자료로 계산하였다.",
    "en": "The figures in this brief are computed on synthetic data, not on real responses.",
}
_SEVERITY = {
    "error": {"ko": "오류", "en": "Error"},
    "warning": {"ko": "경고", "en": "Warning"},
    "info": {"ko": "참고", "en": "Note"},
}
_FACTS = (
    ("name", "조사명", "Survey"),
    ("fieldwork", "조사 기간", "Fieldwork"),
    ("population", "조사 대상", "Population"),
    ("sampling", "표본 추출", "Sampling"),
    ("response", "응답", "Response"),
)


def design_line(design, lang: str) -> str:
    """The design in one line, in *lang*: ``stratified by stype_c, weights pw, fpc fpc`` /
    ``층화: stype_c, 가중치: pw, 유한모집단 보정: fpc`` (what R's ``print(svydesign)`` says)."""
    if lang != "ko":
        return design.describe()
    parts = [f"층화: {design.strata}" if design.strata else "층화 없음"]
    parts.append(f"집락: {' > '.join(design.ids)}" if design.ids else "집락 없음")
    parts.append(f"가중치: {design.weights}" if design.weights else "동일 가중치")
    if design.fpc:
        parts.append(f"유한모집단 보정: {' > '.join(design.fpc)}")
    return ", ".join(parts)


def _design_text(ctx: Ctx, name: str) -> str:
    prep = ctx.surveys[name]
    design = prep.survey.design
    if prep.survey.history:
        steps = "; ".join(prep.survey.history)
        base = (
            design_line(design, ctx.lang)
            if design.columns
            else ("단순무작위표본" if ctx.lang == "ko" else "simple random sample")
        )
        return (
            f"{base}; 가중 조정: {steps} (보정을 반영한 표준오차)"
            if ctx.lang == "ko"
            else f"{base}; weighting: {steps} (calibration-aware standard errors)"
        )
    note = ctx.text(prep.spec.design_note) if prep.spec.design_note else ""
    if not design.columns:
        text = (
            "가중치·표본 설계 정보 없음: 표준오차와 신뢰구간은 응답자를 단순무작위표본으로 가정하고 계산함"
            if ctx.lang == "ko"
            else "No weights or design information: standard errors and intervals assume simple random sampling"
        )
    else:
        text = design_line(design, ctx.lang)
    return f"{text}({note})" if note and ctx.lang == "ko" else (f"{text} ({note})" if note else text)


def overview(ctx: Ctx, spec: SectionSpec) -> Section:
    """Study facts the plan gives (each printed only when given), then n, questions and design per survey.

    The synthetic-data notice (the plan's ``study.data_note``, or a generic sentence) is printed
    only when the plan says ``study: {data_status: synthetic}``.
    """
    plan = ctx.plan
    ko = ctx.lang == "ko"
    pairs: list[tuple[str, str]] = []
    for key, label_ko, label_en in _FACTS:
        if key in plan.study:
            pairs.append((label_ko if ko else label_en, ctx.text(plan.study[key])))
    for name, prep in ctx.surveys.items():
        label = ctx.text(prep.spec.label, name)
        pairs.append((f"{label}: {'유효 응답' if ko else 'valid responses'}", f"{prep.survey.n:,}"))
        pairs.append((f"{label}: {'설문 문항' if ko else 'questions'}", str(len(prep.instrument.variables()))))
        pairs.append((f"{label}: {'가중 및 설계' if ko else 'weighting and design'}", _design_text(ctx, name)))
        ctx.record(
            key=f"{name}.n", label="n", estimate=prep.survey.n, se=None, ci_low=None, ci_high=None, n=prep.survey.n
        )
    text = [ctx.text(plan.study["intro"])] if "intro" in plan.study else []
    if plan.data_status == "synthetic":
        text.append(ctx.text(plan.study["data_note"]) if "data_note" in plan.study else _SYNTHETIC[ctx.lang])
    blocks = ((Text((" ".join(text),)),) if text else ()) + (KeyValue(tuple(pairs)),)
    return Section(spec.id, ctx.title(spec), blocks)


def _published_key(inst) -> str:
    """The key of *inst*'s survey in the study's published figures (the 2018 study's own mapping)."""
    from surveykit.studies.safety_net_2018.reproduce import SURVEYS

    return {v: k for k, v in SURVEYS.items()}.get(inst.name, inst.survey)


def _figure_label(ctx: Ctx, item: str | dict, published: dict) -> tuple[str, str]:
    if isinstance(item, dict):
        return str(item["key"]), ctx.text({k: v for k, v in item.items() if k in ("ko", "en")}, str(item["key"]))
    text = re.sub(r"[\s(]*\d[\d.,]*\s*%.*$", "", published.get("ko", item)).strip()
    return item, text if ctx.lang == "ko" else item.replace("_", " ").capitalize()


def key_figures(ctx: Ctx, spec: SectionSpec) -> Section:
    prep = ctx.surveys[spec.options["survey"]]
    inst = prep.instrument
    survey_key = _published_key(inst)
    published = {f["key"]: f for f in load_published_figures()["figures"][survey_key]}
    data = prep.survey.data
    items, rows = [], []
    for item in spec.options["figures"]:
        key, label = _figure_label(ctx, item, published.get(item if isinstance(item, str) else item["key"], {}))
        fig = inst.figure(key)
        col = fig.question
        if col is None:
            raise ReportError(
                f"key figure {key!r} must be computed from a question of instrument {inst.name!r}; "
                f"it is an external figure (it names none). Remove it from the section's figures."
            )
        x = pd.to_numeric(data[col], errors="coerce").to_numpy(float)
        valid = ~np.isnan(x) & ~prep.survey.user_missing(col)
        base = inst.mask(fig.base, data) & (valid if fig.na == "exclude" else True)
        hit = np.isin(x, np.asarray(fig.codes or (1,), float)) & base
        est = prep.survey.assign(_hit=hit.astype(float)).domain(base).proportion("_hit")
        row = est.to_frame().iloc[-1]
        flag = proportion_flag(ctx.rule, int(hit.sum()), float(row["estimate"]), float(row["se"]), float(row["n"]))
        hidden = flag == "suppressed"
        moe = 50 * (float(row["ci_high"]) - float(row["ci_low"]))
        value = "—" if hidden else f"{pct(row['estimate'])}%"
        note = f"n={int(row['n']):,}" if hidden else f"{_moe_text(ctx, moe)} · n={int(row['n']):,}"
        items.append(Callout(label, value, note))
        pub = published.get(key, {}).get("pct")
        rows.append(
            (
                label,
                Cell(pct(row["estimate"]), flag),
                "" if hidden else pct(row["ci_low"]),
                "" if hidden else pct(row["ci_high"]),
                int(row["n"]),
                "" if pub is None else f"{pub}",
            )
        )
        ctx.record(
            key=f"{prep.name}.{key}",
            label=label,
            estimate=float(row["estimate"]),
            se=float(row["se"]),
            ci_low=float(row["ci_low"]),
            ci_high=float(row["ci_high"]),
            n=int(row["n"]),
            published_pct=pub,
            flag=flag,
            survey=prep.name,
            scale="proportion",
        )
    columns = (ctx.ui("key"), ctx.ui("percent"), ctx.ui("ci_low"), ctx.ui("ci_high"), ctx.ui("n"), ctx.ui("published"))
    table = Table(
        f"{ctx.title(spec)}",
        columns,
        tuple(rows),
        notes=(_base_note(ctx), _ci_note(ctx)),
        col_align=("left", "right", "right", "right", "right", "right"),
    )
    # one block: the template lays the cards out in balanced rows (7 -> 4 + 3)
    return Section(spec.id, ctx.title(spec), (Callouts(tuple(items)), table))


def _moe_text(ctx: Ctx, moe: float) -> str:
    return f"표본오차 ±{moe:.1f}%p" if ctx.lang == "ko" else f"margin of error ±{moe:.1f} pts"


def _base_note(ctx: Ctx) -> str:
    return (
        "기준: 각 지표의 n은 비율의 분모(모름/무응답 제외; 해당 문항을 받은 응답자만 묻는 지표는 그 응답자)."
        if ctx.lang == "ko"
        else "Base: n is the denominator of each share (don't know / no answer excluded; for a question asked "
        "of some respondents only, those asked)."
    )


def _ci_note(ctx: Ctx) -> str:
    # plain words in the body; the method (logit interval, R svyciprop) is named in the methods appendix
    return (
        "95% 신뢰구간은 0~100% 밖으로 나가지 않는 방식(로짓 변환)으로 계산했다."
        if ctx.lang == "ko"
        else "95% confidence intervals are computed so that they stay within 0–100% (on the logit scale)."
    )


def reproduction(ctx: Ctx, spec: SectionSpec) -> Section:
    from surveykit.studies.safety_net_2018.reproduce import reproduce

    frames, labels, insts = {}, {}, {}
    for prep in ctx.surveys.values():
        key = _published_key(prep.instrument)
        frames[key] = prep.survey.data
        labels[key] = ctx.text(prep.spec.label, key)
        insts[key] = prep.instrument
    result = reproduce(frames.get("organisation"), frames.get("worker"))
    published_all = load_published_figures()["figures"]
    rows = []
    for check in result.figures:
        if check.survey not in frames:
            continue
        inst = insts[check.survey]
        pub: dict = next((f for f in published_all.get(check.survey, ()) if f["key"] == check.key), {})
        match = {True: ctx.ui("yes"), False: ctx.ui("no"), None: "—"}[check.match]
        published, computed = check.published, check.computed
        if check.kind == "mode" and ctx.lang != "ko":
            published, computed = (_label_in(inst, check.key, v, ctx.lang) for v in (published, computed))
        unit = "%" if check.kind == "pct" or (check.kind == "external" and "pct" in pub) else pub.get("unit")
        label = _figure_text(inst, check.key, pub, ctx.lang)
        rows.append(
            (
                labels[check.survey],
                label,
                quantity(published, unit, ctx.lang),
                quantity(computed, unit, ctx.lang),
                match,
            )
        )
        ctx.record(
            key=f"reproduction.{check.survey}.{check.key}",
            label=label,
            estimate=check.exact,
            se=None,
            ci_low=None,
            ci_high=None,
            n=check.base,
            published=check.published,
            match=check.match,
            unit=unit,
        )
    n_ok = sum(1 for r in rows if r[4] == ctx.ui("yes"))
    n_checked = sum(1 for r in rows if r[4] != "—")
    n_external = len(rows) - n_checked
    if ctx.lang == "ko":
        intro = f"공표 수치 {len(rows)}개 중 자료로 계산할 수 있는 {n_checked}개를 다시 계산했고, {n_ok}개가 인쇄된 자릿수까지 같다."
        if n_external:
            intro += f" 나머지 {n_external}개(—)는 조사 밖의 자료를 인용한 수치라 비교하지 않았다."
    else:
        intro = (
            f"Of the {len(rows)} published figures, the {n_checked} that can be computed from the data were "
            f"recomputed; {n_ok} match to the printed precision."
        )
        if n_external:
            intro += (
                " The other one (—) quotes a source outside the survey and is not compared."
                if n_external == 1
                else f" The other {n_external} (—) quote sources outside the survey and are not compared."
            )
    columns = (ctx.ui("survey"), ctx.ui("key"), ctx.ui("published"), ctx.ui("computed"), ctx.ui("match"))
    note = (
        "공표값은 원 발간물이 쓴 기준(예: 전체 응답자)의 비율이라, 같은 항목이라도 본문 표(예: 해당 문항을 받은 응답자 기준)와 "
        "다를 수 있다. 각 본문 표의 기준은 표 아래 주에 있다."
        if ctx.lang == "ko"
        else "Published shares use the base of the original publication (e.g. all respondents), so the same item "
        "can differ from a table in the body (e.g. of those asked); each body table states its base in its note."
    )
    table = Table(
        f"{ctx.title(spec)}",
        columns,
        tuple(rows),
        notes=(note,),
        col_align=("left", "left", "right", "right", "center"),
    )
    return Section(spec.id, ctx.title(spec), (Text((intro,)), table), appendix=True)


def _label_in(inst, key: str, value_ko: object, lang: str) -> object:
    """The *lang* label of the option of figure *key*'s question whose Korean label is *value_ko*."""
    question = inst.question(inst.figure(key).question)
    for option in question.options:
        if option.ko == value_ko:
            return option.label(lang)
    return value_ko


def _figure_text(inst, key: str, pub: dict, lang: str) -> str:
    """A published figure as a reader names it: its question and answer in *lang* (an external
    figure, which has no question, by its printed wording)."""
    try:
        fig = inst.figure(key)
    except (KeyError, ValueError):
        fig = None
    if fig is None or fig.question is None:
        if lang == "ko" and pub.get("ko"):  # the printed wording, without its English aside and number
            text = re.sub(r"\s*\([^)]*[A-Za-z][^)]*\)", "", str(pub["ko"]))
            return re.sub(r"\s*\d[\d.,]*\s*%", "", text).strip() + " (외부 인용)"
        if lang != "ko" and fig is not None and fig.note:
            return fig.note.split(";")[0].strip()
        return "외부 인용 수치" if lang == "ko" else "Figure quoted from another source"
    text = inst.text(fig.question, lang)
    if fig.kind == "mean":
        return f"{text} ({'평균' if lang == 'ko' else 'mean'})"
    if fig.kind == "mode":
        return f"{text} ({'가장 많은 응답' if lang == 'ko' else 'most common answer'})"
    if inst.question(fig.question).var != fig.question:  # a multiple-response column names its option
        return text
    codes = fig.codes or ((fig.code,) if fig.code is not None else ())
    answers = ", ".join(inst.label(fig.question, float(c), lang) for c in codes)
    return f"{text}: {answers}" if answers else text


def quality(ctx: Ctx, spec: SectionSpec) -> Section:
    prep = ctx.surveys[spec.options["survey"]]
    report = prep.validation
    frame = report.to_frame()
    ko = ctx.lang == "ko"
    intro = (
        f"질문지 기준 점검 결과 오류 {report.n_errors}건, 경고 {report.n_warnings}건."
        if ko
        else f"Checks against the questionnaire found {report.n_errors} errors and {report.n_warnings} warnings."
    )
    blocks: list = [Text((intro,))]
    if len(frame):
        names = {
            "severity": "심각도" if ko else "Severity",
            "check": "점검" if ko else "Check",
            "variable": "문항" if ko else "Question",
            "message": "내용" if ko else "Finding",
        }
        cols = [c for c in names if c in frame.columns]
        shown = frame[cols].head(15)
        rows_q = []
        for r in shown.to_dict("records"):
            if "severity" in r:
                r["severity"] = _SEVERITY.get(str(r["severity"]), {}).get(ctx.lang, str(r["severity"]))
            if "check" in r:
                r["check"] = str(r["check"]).replace("_", " ")
            if "variable" in r and isinstance(r["variable"], str):
                r["variable"] = prep.text(r["variable"], ctx.lang)
            rows_q.append(tuple(str(r[c]) for c in cols))
        more = len(frame) - len(shown)
        blocks.append(
            Table(
                ctx.title(spec),
                tuple(names[c] for c in cols),
                tuple(rows_q),
                notes=((f"그 밖의 {more}건은 생략." if ko else f"{more} more not shown."),) if more > 0 else (),
                col_align=("left",) * len(cols),
            )
        )
    nr = report.nonresponse
    if nr is not None and len(nr):
        top = nr.sort_values(["rate", "variable"], ascending=[False, True], kind="stable").head(10)
        nr_cols = (
            "변수" if ko else "Variable",
            "대상" if ko else "Eligible",
            "응답" if ko else "Answered",
            "무응답" if ko else "No answer",
            "무응답률(%)" if ko else "Rate (%)",
        )
        rows = tuple(
            (
                prep.text(str(r.variable), ctx.lang),
                int(r.eligible),
                int(r.answered),
                int(r.nonresponse),
                pct(float(r.rate)),
            )
            for r in top.itertuples(index=False)
        )
        blocks.append(
            Table(
                "문항 무응답 상위 10개" if ko else "Item non-response, top 10",
                nr_cols,
                rows,
                notes=(
                    "무응답 = 모름/무응답 코드 + 응답 누락(해당 문항 대상자 기준)."
                    if ko
                    else "No answer = don't-know codes + blanks among those routed to the question.",
                ),
                col_align=("left", "right", "right", "right", "right"),
            )
        )
    return Section(spec.id, ctx.title(spec), tuple(blocks), appendix=True)


def _cellval(v: object) -> str | int | float | None:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v)
    return None if v is None else str(v)


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "-"


def methods(ctx: Ctx, spec: SectionSpec) -> Section:
    ko = ctx.lang == "ko"
    paras = (
        (
            "분산은 테일러 선형화(R survey의 svyrecvar와 동일)로 추정하였다. 가중치와 설계 정보가 없는 조사는 "
            "응답자를 단순무작위표본으로 가정한다. 비율의 신뢰구간은 로짓 구간(R survey의 "
            'svyciprop(method="logit"), 설계 자유도), 평균의 신뢰구간은 정규분포 분위수를 쓴다. 교차표 검정은 '
            "Rao–Scott 2차 보정 F 검정이다. 로지스틱 모형은 가중 의사최우추정과 설계기반 샌드위치 분산(svyglm과 "
            f"동일)을 쓴다. 응답자 수가 {int(ctx.rule['min_n'])}명 미만인 셀은 표시하지 않고(다른 칸과 합계에서 "
            "거꾸로 계산되지 않도록 가장 작은 다른 칸도 함께 숨김), 변동계수가 "
            f"{ctx.rule['max_cv']:.0%}를 넘거나 유효 표본이 {int(ctx.rule['min_effective_n'])}명 미만이면 표시한다."
        )
        if ko
        else (
            "Variances are Taylor-linearisation estimates (as R survey's svyrecvar); a survey without weights "
            "or design information is treated as a simple random sample of its respondents. Intervals for "
            'proportions are logit intervals with design degrees of freedom (R survey\'s svyciprop(method="logit")); '
            "for means, normal quantiles. Cross-tabulations are tested "
            "with the Rao-Scott second-order corrected F test. Logistic models are weighted pseudo-ML "
            "fits with design-based sandwich variances (as svyglm). Cells resting on fewer than "
            f"{int(ctx.rule['min_n'])} respondents are suppressed, together with the smallest other cell of the "
            "same row or column so that they cannot be worked out from the others and the totals; estimates with a CV above "
            f"{ctx.rule['max_cv']:.0%} or an effective n below {int(ctx.rule['min_effective_n'])} are flagged."
        ),
    )
    pairs = [
        (f"{'입력 파일' if ko else 'Input file'} ({p.name})", f"{p.source_name} · SHA-256 {p.sha256[:16]}…")
        for p in ctx.surveys.values()
    ]
    for p in ctx.surveys.values():
        pairs.append((f"{'설계' if ko else 'Design'} ({p.name})", _design_text(ctx, p.name)))
        if p.survey.history:
            pairs.append((f"{'가중 단계' if ko else 'Weighting steps'} ({p.name})", "; ".join(p.survey.history)))
    for rec in ctx.records:  # the full test statistics behind the plain words of the body
        if rec.get("test") == "rao_scott":
            p = rec["p_value"]
            p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
            pairs.append(
                (
                    f"{'교차분석 검정' if ko else 'Cross-tabulation test'}: {rec['row_text']} × {rec['col_text']}",
                    f"Rao–Scott F = {rec['estimate']:.2f}, df = ({rec['ndf']:.2f}, {rec['ddf']:.1f}), {p_text}",
                )
            )
    for rec in ctx.records:  # the formula and fit statistics behind the model sections' plain words
        if rec.get("test") == "model_fit":
            pairs.append((f"{'모형' if ko else 'Model'}: {rec['label']}", rec["details"]))
    pairs.append(("Python", platform.python_version()))
    for pkg in ("surveykit", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "weasyprint"):
        pairs.append((pkg, _version(pkg)))
    return Section(spec.id, ctx.title(spec), (Text(paras), KeyValue(tuple(pairs))), appendix=True)
