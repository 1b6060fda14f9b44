"""The ``segments`` section of a brief: :func:`surveykit.segments.fit` in plain words.

The plan chooses the method, k, the inputs and the missing-data option. A segmentation whose
PSU-bootstrap stability is below :data:`surveykit.segments.UNSTABLE_ARI` (or cannot be assessed)
is reported as such and not published as segments. A published one shows the named segments with
design-based shares (logit intervals), the profile of each segment next to everyone (domain
estimates), the criteria that chose k in plain words, the stability, and the outcome (join
intent) by segment with the Rao-Scott test of the crosstab.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from surveykit.report import charts
from surveykit.report.context import HIDDEN, Ctx, pct, proportion_flag, secondary_suppression
from surveykit.report.document import Cell, CellValue, Section, Table, Text
from surveykit.report.plan import SectionSpec
from surveykit.report.prepare import Prepared
from surveykit.report.sections.analysis import _not_free_text
from surveykit.report.sections.crosstab import crosstab_table
from surveykit.segments import UNSTABLE_ARI, WEAK_SILHOUETTE, SegmentFit
from surveykit.segments import fit as fit_segments
from surveykit.segments.fit import CHOICE_REPS

__all__ = ["build"]

SEGMENT_COLUMN = "_segment"
STABILITY_REPS = 50

_METHOD = {
    "ko": {
        "lca": "잠재계층분석(LCA: 범주형 문항의 응답 패턴을 확률모형으로 묶는 방법)",
        "kprototypes": "k-프로토타입 군집(수치형과 범주형 문항을 함께 쓰는 군집 방법, Huang 1998)",
        "kmeans": "가중 k-평균 군집",
    },
    "en": {
        "lca": "latent class analysis (LCA: a probability model that groups answer patterns of categorical items)",
        "kprototypes": "k-prototypes clustering (numeric and categorical items together, Huang 1998)",
        "kmeans": "weighted k-means clustering",
    },
}
_CRITERIA = {  # column -> (ko, en): what the reader sees in the criteria table
    "bic": ("BIC (작을수록 좋음)", "BIC (lower is better)"),
    "aic": ("AIC (작을수록 좋음)", "AIC (lower is better)"),
    "entropy": ("분류 명확도 (0~1)", "Clarity of assignment (0-1)"),
    "calinski_harabasz": ("집단 간/내 분산비 (클수록 좋음)", "Between/within ratio (higher is better)"),
    "silhouette": ("실루엣 (-1~1, 클수록 뚜렷)", "Silhouette (-1 to 1, higher is clearer)"),
    "gap": ("갭 통계량", "Gap statistic"),
    "stability": ("재추출 안정성 (ARI)", "Resampling stability (ARI)"),
}
_TERMS = {  # what each criterion means, in plain words (only the columns shown are explained)
    "bic": (
        "BIC·AIC는 자료에 대한 적합도와 모형의 복잡성을 함께 따지는 정보기준이다.",
        "BIC and AIC are information criteria that weigh fit to the data against the complexity of the model.",
    ),
    "entropy": (
        "분류 명확도(상대 엔트로피)는 응답자가 한 유형에 얼마나 분명히 속하는지를 나타낸다(1이면 완전히 분명).",
        "Clarity of assignment (relative entropy) says how clearly respondents belong to one segment (1 = entirely clear).",
    ),
    "calinski_harabasz": (
        "집단 간/내 분산비(Calinski–Harabasz)와 실루엣은 유형끼리 얼마나 떨어져 있고 유형 안이 얼마나 비슷한지를 잰다.",
        "The between/within ratio (Calinski-Harabasz) and the silhouette measure how far apart the segments are "
        "and how alike their members.",
    ),
    "gap": (
        "갭 통계량은 무작위 자료보다 얼마나 뚜렷한 구조인지를 잰다.",
        "The gap statistic measures how much clearer the structure is than in random data.",
    ),
    "stability": (
        "재추출 안정성(ARI)은 표본의 PSU를 다시 뽑아 분석했을 때 같은 유형이 나오는 정도다(1이면 매번 같음, {n}회).",
        "Resampling stability (adjusted Rand index, ARI) says how far re-drawing the PSUs of the sample reproduces "
        "the same segments (1 = always the same; {n} refits).",
    ),
}
_RULES = {  # how k was chosen, per method: (ko, en)
    "lca": ("BIC가 가장 작은 k", "the k with the smallest BIC"),
    "kprototypes": ("집단 간/내 분산비가 가장 큰 k", "the k with the largest between/within ratio"),
    "kmeans": (
        "분산비·실루엣·갭 통계량·재추출 안정성이 각각 고른 k의 중앙값(둘로 갈리면 작은 쪽)",
        "the median of the k chosen by the between/within ratio, the silhouette, the gap statistic and "
        "resampling stability (the smaller when split)",
    ),
}


def _w(ctx: Ctx, ko: str, en: str) -> str:
    return ko if ctx.lang == "ko" else en


_CACHE: dict[tuple[int, str], tuple[Any, SegmentFit]] = {}


def _k(value: Any) -> Any:
    if value is None or value == "auto":
        return "auto"
    if isinstance(value, list):
        return range(int(value[0]), int(value[1]) + 1)
    return int(value)


def _fit(prep: Prepared, spec: SectionSpec) -> SegmentFit:
    """One fit per survey and section, shared by the languages of a build (names come in both)."""
    opts = spec.options
    key = (id(prep.analysis), repr(sorted((k, repr(v)) for k, v in opts.items())))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is prep.analysis:
        return hit[1]
    svy = prep.analysis
    replicate = svy.resolved.is_replicate
    extra = [v for v in opts.get("profile", []) if v not in opts["variables"]]  # the outcome has its own table
    res = fit_segments(
        svy,
        list(opts["variables"]),
        method=opts.get("method", "kmeans"),
        k=_k(opts.get("k")),
        random_state=0,
        missing=opts.get("missing", "exclude"),
        stability_reps=0 if replicate else STABILITY_REPS,
        profile_vars=list(dict.fromkeys(extra)),
        short_names=opts.get("short_names"),
    )
    _CACHE.clear()  # keep one: the other language of the same build
    _CACHE[key] = (prep.analysis, res)
    return res


def _number(value: Any, digits: int = 2) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{v:,.{digits}f}" if math.isfinite(v) else ""


def _not_published(ctx: Ctx, prep: Prepared, spec: SectionSpec, res: SegmentFit) -> Section:
    stab = res.stability
    method = _METHOD[ctx.lang][res.method]
    if stab is None:
        text = _w(
            ctx,
            f"{method}으로 {res.k}개 유형을 찾았으나, 이 조사 설계(반복 가중치)에서는 표본 재추출 안정성을 평가할 수 "
            "없어 유형을 제시하지 않는다.",
            f"A {method} found {res.k} segments, but their stability under resampling cannot be assessed with "
            "this design (replicate weights), so no segments are shown.",
        )
    else:
        ctx.record(
            key=f"{prep.name}.{spec.id}.stability",
            label="PSU-bootstrap mean ARI",
            estimate=float(stab.mean_ari),
            se=None,
            ci_low=None,
            ci_high=None,
            n=int(res.n_assigned),
        )
        text = _w(
            ctx,
            f"{method}으로 찾은 응답자 유형(k = {res.k})은 표본 재추출(PSU 부트스트랩 {stab.reps}회)에서 안정적이지 "
            f"않아(평균 ARI {stab.mean_ari:.2f}, 기준 {UNSTABLE_ARI:.1f}) 유형을 제시하지 않는다. 이 자료로는 뚜렷한 "
            "응답자 유형을 확인할 수 없다.",
            f"The respondent segmentation by {method} (k = {res.k}) is not stable under resampling of PSUs "
            f"({stab.reps} bootstrap refits; mean ARI {stab.mean_ari:.2f}, threshold {UNSTABLE_ARI:.1f}), so no "
            "segments are shown: these data do not support distinct respondent types.",
        )
    return Section(spec.id, ctx.title(spec), (Text((text,)),))


def _intro(ctx: Ctx, spec: SectionSpec, res: SegmentFit, prep: Prepared) -> Text:
    why = ctx.text(spec.options.get("why"))
    inputs = ", ".join(_short(ctx, prep, spec, v) for v in res.variables)
    method = _METHOD[ctx.lang][res.method]
    stab = res.stability
    assert stab is not None
    parts = [why] if why else []
    parts.append(
        _w(
            ctx,
            f"방법: {method}. 투입 문항: {inputs}. 유형 수는 k = {res.k}({_rule(ctx, res)}). 유형 이름은 각 유형을 "
            "전체 응답자와 가장 뚜렷이 구별하는 두 응답(유형의 절반 이상이 한 응답)에서 붙였다.",
            f"Method: {method}. Items: {inputs}. Number of segments k = {res.k} ({_rule(ctx, res)}). Each "
            "segment is named after the two answers (each given by at least half of it) that set it most apart from "
            "all respondents.",
        )
    )
    parts.append(
        _w(
            ctx,
            f"안정성: 표본의 PSU를 다시 뽑아 {stab.reps}회 재분석했을 때 같은 유형이 나온 정도는 평균 ARI = "
            f"{stab.mean_ari:.2f}(공표 기준: {UNSTABLE_ARI:.1f} 이상). 유형은 응답의 연관이지 원인이 아니다.",
            f"Stability: re-drawing the PSUs and refitting {stab.reps} times reproduces the segments with a mean "
            f"ARI of {stab.mean_ari:.2f}, above the threshold of {UNSTABLE_ARI:.1f}. Segments describe how answers "
            "go together, not what causes them.",
        )
    )
    return Text(tuple(parts))


def _rule(ctx: Ctx, res: SegmentFit) -> str:
    if res.chosen_by == "given":
        return _w(ctx, "분석 계획에서 지정", "set by the analysis plan")
    return _RULES[res.method][0 if ctx.lang == "ko" else 1]


def _short(ctx: Ctx, prep: Prepared, spec: SectionSpec, var: str) -> str:
    given = (spec.options.get("short_names") or {}).get(var)
    return ctx.text(given) if given else prep.text(var, ctx.lang)


def _sizes(ctx: Ctx, prep: Prepared, spec: SectionSpec, res: SegmentFit) -> Table:
    assert res.stability is not None
    jac = dict(zip(res.stability.jaccard["segment"], res.stability.jaccard["jaccard"]))
    names = res.names[ctx.lang]
    rows: list[tuple[Cell | CellValue, ...]] = []
    for r in res.shares.itertuples(index=False):
        g = int(r.segment)
        flag = proportion_flag(ctx.rule, r.n, r.estimate, r.se, res.n_assigned)
        shown = flag != "suppressed"
        rows.append(
            (
                f"{g}. {names[g - 1]}",
                int(r.n),
                Cell(pct(r.estimate) if shown else None, flag),
                pct(r.ci_low) if shown else "",
                pct(r.ci_high) if shown else "",
                _number(jac.get(g)),
            )
        )
        ctx.record(
            key=f"{prep.name}.{spec.id}.share.{g}",
            label=f"{ctx.ui('segment')} {g}: {names[g - 1]}",
            estimate=float(r.estimate),
            se=float(r.se),
            ci_low=float(r.ci_low),
            ci_high=float(r.ci_high),
            n=int(r.n),
            flag=flag,
        )
    ctx.record(
        key=f"{prep.name}.{spec.id}.stability",
        label="PSU-bootstrap mean ARI",
        estimate=float(res.stability.mean_ari),
        se=None,
        ci_low=None,
        ci_high=None,
        n=int(res.n_assigned),
    )
    notes = [
        _w(
            ctx,
            f"비중은 유형이 배정된 응답자 {res.n_assigned}명 중 조사 설계(가중치·층·집락)를 반영한 추정값이며, 95% 신뢰구간은 로짓 구간"
            "(0~100% 안에 머묾)이다. 안정성(Jaccard)은 재추출에서 같은 유형이 재현된 정도(0.75 이상이면 안정, "
            "Hennig 2007).",
            f"Shares are estimated with the survey's weights and design among the {res.n_assigned} respondents "
            "assigned to a segment; the "
            "95% confidence intervals are logit intervals (they stay within 0-100%). Stability (Jaccard) is how "
            "far resampling reproduces the segment (0.75 or more: stable, Hennig 2007).",
        )
    ]
    if res.n_unassigned:
        notes.append(
            _w(
                ctx,
                f"투입 문항에 결측이 있어 유형이 배정되지 않은 응답자: {res.n_unassigned}명.",
                f"Respondents not assigned (a missing answer to an item): {res.n_unassigned}.",
            )
        )
    notes += [str(n) for n in res.notes if "not in any segment" not in n]
    return Table(
        _w(ctx, "유형별 규모", "Segment sizes"),
        (
            ctx.ui("segment"),
            ctx.ui("n"),
            ctx.ui("share"),
            ctx.ui("ci_low"),
            ctx.ui("ci_high"),
            _w(ctx, "안정성(Jaccard)", "Stability (Jaccard)"),
        ),
        tuple(rows),
        notes=tuple(notes),
        col_align=("left", "right", "right", "right", "right", "right"),
    )


def _profile_rows(
    prep: Prepared, spec: SectionSpec, res: SegmentFit, ctx: Ctx, heat: list[tuple[str, np.ndarray]]
) -> list[tuple[Cell | CellValue, ...]]:
    """Profile table rows; *heat* gets each row's standardised difference from all assigned respondents
    (``(p_g - p) / sqrt(p (1 - p))`` of a level, ``(m_g - m) / sd`` of a number: the naming criterion)."""
    prof = res.profiles
    k = res.k
    out: list[tuple[Cell | CellValue, ...]] = []
    svy = prep.analysis
    inside = res.labels.notna().to_numpy()
    assigned = svy.domain(inside)
    for var in dict.fromkeys(prof["variable"]):
        part = prof[prof["variable"] == var]
        levels = list(dict.fromkeys(part["level"].tolist()))
        text = _short(ctx, prep, spec, str(var))
        text = text[:1].upper() + text[1:]
        if len(levels) == 1 and (levels[0] is None or pd.isna(levels[0])):
            text = prep.text(str(var), ctx.lang)  # a number: the full text carries its unit or scale
            overall = assigned.mean(str(var), na="drop").to_frame()["estimate"].iloc[0]
            by = part.set_index("segment")["estimate"]
            y = pd.to_numeric(svy.analysis_data()[str(var)], errors="coerce").to_numpy(dtype=float)
            ok = inside & np.isfinite(y) & (svy.weights > 0)
            sd = float(np.sqrt(np.average((y[ok] - overall) ** 2, weights=svy.weights[ok]))) if ok.any() else 0.0
            by_g = np.array([by.get(g, np.nan) for g in range(1, k + 1)], dtype=float)
            heat.append((text, (by_g - overall) / sd if sd > 0 else np.zeros(k)))
            values = pd.Series(y).dropna()
            if values.isin([0, 1]).all():  # a 0/1 indicator: the mean is the percentage with 1
                out.append((f"{text} (%)", pct(overall), *[pct(by.get(g)) for g in range(1, k + 1)]))
            else:
                out.append((text, _number(overall), *[_number(by.get(g)) for g in range(1, k + 1)]))
            continue
        if len(levels) == 2:
            levels = levels[:1]  # a two-level item: the first level says it all
        overall = assigned.proportion(str(var), na="drop").to_frame().set_index("level")["estimate"]
        grid: list[list[tuple[float, str | None, float]]] = []  # per level: (value, flag, count) by segment
        for lev in levels:
            rows = part[part["level"] == lev].set_index("segment")
            line: list[tuple[float, str | None, float]] = []
            for g in range(1, k + 1):
                if g not in rows.index:
                    line.append((0.0, None, 0.0))
                    continue
                r = rows.loc[g]
                count = float(r["n"] * r["estimate"])
                line.append(
                    (float(r["estimate"]), proportion_flag(ctx.rule, count, r["estimate"], r["se"], r["n"]), count)
                )
            grid.append(line)
        if len(levels) > 1:  # the levels of a segment add up to 100%: hide what would give a hidden one back
            for g in range(k):
                flags = secondary_suppression([ln[g][1] for ln in grid], [ln[g][2] for ln in grid], ctx.rule["min_n"])
                for ln, flag in zip(grid, flags):
                    ln[g] = (ln[g][0], flag, ln[g][2])
        p_all = [float(overall.get(lev, np.nan)) for lev in levels]
        for lev, line, p in zip(levels, grid, p_all):
            cells: list[Cell | CellValue] = []
            std = np.full(k, np.nan)
            for g, (value, flag, _count) in enumerate(line):
                cells.append(Cell(None if flag in HIDDEN else pct(value), flag))
                if flag not in HIDDEN and 0 < p < 1:
                    std[g] = (value - p) / np.sqrt(p * (1 - p))
            label = f"{text}: {prep.label(str(var), lev, ctx.lang)}"
            out.append((f"{label} (%)", pct(overall.get(lev)), *cells))
            heat.append((label, std))
    return out


def _profiles(ctx: Ctx, prep: Prepared, spec: SectionSpec, res: SegmentFit) -> list:
    """The profile table and its heat map of standardised differences from all assigned respondents."""
    segs = [f"{ctx.ui('segment')} {g}" for g in range(1, res.k + 1)]
    heat: list[tuple[str, np.ndarray]] = []
    table = Table(
        _w(ctx, "유형별 특성", "Segment profiles"),
        (_w(ctx, "특성", "Characteristic"), _w(ctx, "전체", "All"), *segs),
        tuple(_profile_rows(prep, spec, res, ctx, heat)),
        notes=(
            _w(
                ctx,
                "각 유형 안에서 조사 설계를 반영한 추정값: 비율(%) 또는 평균. '전체'는 유형이 배정된 응답자 전체.",
                "Estimates within each segment, with the survey's weights and design: percentages or means. "
                "'All' is every "
                "respondent assigned to a segment.",
            ),
        ),
        col_align=("left", *["right"] * (res.k + 1)),
    )
    chart = charts.heatmap(
        [label for label, _ in heat],
        segs,
        np.vstack([v for _, v in heat]).round(2),
        caption=_w(ctx, "유형별 특성(전체 대비 표준화 차이)", "Segment profiles (standardised difference from all)"),
        decimals=1,
        center=0.0,
        key=_w(ctx, "전체 대비 표준화 차이", "Standardised difference from all respondents"),
        notes=(
            _w(
                ctx,
                "0 = 전체와 같음, 음수 = 전체보다 낮음, 양수 = 높음. 단위는 비율이면 √(p(1−p)), 평균이면 표준편차. "
                "빈 칸은 위 표에서 표시하지 않은 값.",
                "0 = as all respondents, below 0 lower, above 0 higher; in units of √(p(1−p)) for a percentage, of "
                "the SD for a mean. Empty cells are values the table above does not show.",
            ),
        ),
    )
    return [table, chart]


def _criteria(ctx: Ctx, res: SegmentFit) -> Table:
    crit = res.criteria
    shown = [c for c in _CRITERIA if c in crit.columns]
    lang = 0 if ctx.lang == "ko" else 1
    rows = []
    for r in crit.to_dict("records"):
        rows.append(
            (
                int(r["k"]),
                *[_number(r[c], 3 if c in ("entropy", "silhouette", "gap", "stability") else 1) for c in shown],
                "✓" if int(r["k"]) == res.k else "",
            )
        )
    return Table(
        _w(ctx, "유형 수(k) 선택 기준", "How the number of segments (k) was chosen"),
        (_w(ctx, "유형 수 k", "Segments k"), *[_CRITERIA[c][lang] for c in shown], _w(ctx, "선택", "Chosen")),
        tuple(rows),
        notes=(" ".join(_terms(ctx, res, shown)), *[str(n) for n in res.notes if "edge" in n]),
        col_align=("right", *["right"] * len(shown), "center"),
    )


def _terms(ctx: Ctx, res: SegmentFit, shown: list[str]) -> list[str]:
    i = 0 if ctx.lang == "ko" else 1
    reps = min(CHOICE_REPS, res.stability.reps if res.stability else 0)
    out = [_TERMS[c][i].format(n=reps) for c in _TERMS if c in shown]
    sil = res.criteria.loc[res.criteria["k"] == res.k, "silhouette"] if "silhouette" in res.criteria else None
    if sil is not None and len(sil) and float(sil.iloc[0]) < WEAK_SILHOUETTE:
        out.append(
            _w(
                ctx,
                f"선택된 k의 실루엣(= {float(sil.iloc[0]):.2f})이 {WEAK_SILHOUETTE} 미만이라 구조가 약하다: 유형은 연속적인 "
                "차이를 나눈 것으로 읽어야 한다(Kaufman & Rousseeuw 1990).",
                f"The silhouette of the chosen k, {float(sil.iloc[0]):.2f}, is below {WEAK_SILHOUETTE}: the structure is "
                "weak, so read the segments as a division of gradual differences (Kaufman & Rousseeuw 1990).",
            )
        )
    return out


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"= {p:.3f}"


def _outcome(ctx: Ctx, prep: Prepared, spec: SectionSpec, res: SegmentFit, outcome: str) -> Table:
    """Outcome by segment: the brief's one cross-tabulation table (suppression, logit intervals,
    the Rao-Scott test in plain words, its statistics in the methods appendix) with the segment
    as its row."""
    seg = res.labels.astype("float64").to_numpy()
    svy = prep.analysis.assign(**{SEGMENT_COLUMN: seg})
    names = res.names[ctx.lang]
    table = crosstab_table(
        ctx,
        prep,
        svy,
        SEGMENT_COLUMN,
        outcome,
        key=f"{prep.name}.{spec.id}.{outcome}",
        row_text=_w(ctx, "유형", "Segment"),
        row_labels={float(g): f"{g}. {names[g - 1]}" for g in range(1, res.k + 1)},
        caption=f"{prep.text(outcome, ctx.lang)} — {_w(ctx, '유형별 행 %', 'row % by segment')}",
        sheet=f"{prep.name} segments x {outcome}",
    )
    return table


def _code(level: Any) -> str:
    try:
        f = float(level)
        return str(int(f)) if f == int(f) else str(f)
    except (TypeError, ValueError):
        return str(level)


def build(ctx: Ctx, spec: SectionSpec) -> Section:
    """The section: not published (stability below the threshold or not assessed), or published."""
    prep = ctx.surveys[spec.options["survey"]]
    for var in (*spec.options["variables"], *spec.options.get("profile", []), spec.options.get("outcome")):
        if var:
            _not_free_text(prep, var, "a segments section")
    res = _fit(prep, spec)
    ctx.sheet(f"{prep.name} segment criteria", res.criteria)
    if not res.publishable:
        return _not_published(ctx, prep, spec, res)
    blocks: list = [_intro(ctx, spec, res, prep), _sizes(ctx, prep, spec, res), *_profiles(ctx, prep, spec, res)]
    outcome = spec.options.get("outcome")
    if outcome:
        blocks.append(_outcome(ctx, prep, spec, res, str(outcome)))
    blocks.append(_criteria(ctx, res))
    ctx.sheet(f"{prep.name} segment shares", res.shares)
    ctx.sheet(f"{prep.name} segment profiles", res.profiles)
    return Section(spec.id, ctx.title(spec), tuple(blocks))
