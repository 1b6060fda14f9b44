"""Shares, profiles, names and stability of :func:`surveykit.segments.fit`.

Shares and profiles are estimated by the one estimation machinery on a derived segment column
(:func:`surveykit.estimate.proportion` with logit intervals, :func:`surveykit.estimate.mean`),
so a share's interval never leaves [0, 1]. Names are built from the answers that distinguish a
segment most from everyone: the largest standardised differences ``(p_seg - p) / sqrt(p (1 - p))``
of a level that at least half of the segment gives (or ``(m_seg - m) / sd`` of a number), written
with the survey's value labels (prefixed with the short name of the item when one is given). Stability refits on Rao-Wu PSU bootstrap replicates (as :func:`segments`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.segments.inputs import MISSING_LEVEL, _Inputs
from surveykit.segments.stability import Stability, _best_jaccard, rao_wu_multipliers

if TYPE_CHECKING:
    from surveykit.survey import Survey

SEGMENT_COLUMN = "_segment"
MAJORITY = 0.5  # an answer names a segment only if at least half of the segment gives it
_WORDS = {
    "ko": {"high": "{} 높음", "low": "{} 낮음", "missing": "{} 무응답", "sep": "·"},
    "en": {"high": "High {}", "low": "Low {}", "missing": "{}: no answer", "sep": ", "},
}


def shares(svy: Survey, seg: np.ndarray, k: int, alpha: float) -> pd.DataFrame:
    """Segment shares among assigned rows: ``svy.proportion`` of the segment column in the domain of
    assigned rows (logit CI, domain df), as R ``svyciprop(~I(seg == g), subset(des, !is.na(seg)),
    method = "logit")``."""
    col = np.where(seg > 0, seg, 0).astype(float)
    assigned = svy.assign(**{SEGMENT_COLUMN: col}).domain(seg > 0)  # R: subset(design, !is.na(segment))
    est = assigned.proportion(SEGMENT_COLUMN, ci_method="logit", alpha=alpha).to_frame()
    est = est[est["level"] != 0]
    est["segment"] = est["level"].astype(int)
    w = svy.weights
    est["n"] = [int(((seg == g) & (w > 0)).sum()) for g in est["segment"]]
    est["weighted_n"] = [float(w[seg == g].sum()) for g in est["segment"]]
    out = est.set_index("segment").reindex(range(1, k + 1)).reset_index()
    return out[["segment", "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "weighted_n"]]


def profiles(
    svy: Survey, seg: np.ndarray, inputs: _Inputs, extra: dict[str, bool], lang: str, alpha: float
) -> pd.DataFrame:
    """Per segment (domain) estimates of every input and extra variable (R ``svyby``)."""
    s2 = svy.assign(**{SEGMENT_COLUMN: np.where(seg > 0, seg, np.nan).astype(float)})
    parts = []
    for name, cat in [*zip(inputs.variables, inputs.categorical), *extra.items()]:
        fn = s2.proportion if cat else s2.mean
        est = fn(name, by=SEGMENT_COLUMN, na="drop", alpha=alpha).to_frame()
        labels = svy.value_labels(name, lang) if cat else {}
        est["segment"] = est["domain"].astype(int)
        est["label"] = [labels.get(lev, None if lev is None else str(lev)) if cat else None for lev in est["level"]]
        est["variable_label"] = svy.variable_label(name, lang) or name
        parts.append(est)
    frame = pd.concat(parts, ignore_index=True).sort_values("segment", kind="stable", ignore_index=True)
    return frame[
        [
            "segment",
            "variable",
            "variable_label",
            "level",
            "label",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "cv",
            "n",
            "weighted_n",
        ]
    ]


def _answer_text(
    svy: Survey, name: str, level: Any, sign: float, lang: str, short: dict[str, Any], shared: set[str]
) -> str:
    """An answer in words: the value label, prefixed with the variable's (short) name when the same
    label belongs to another input too (``예``/``Yes``); numbers as high/low."""
    words = _WORDS["en" if lang == "en" else "ko"]
    given = short.get(name)
    var = (given.get(lang) if isinstance(given, dict) else given) or svy.variable_label(name, lang) or name
    if level is None:
        return words["high" if sign > 0 else "low"].format(var)
    if level == MISSING_LEVEL:
        return words["missing"].format(var)
    label = svy.value_labels(name, lang).get(level)
    if not label:
        return f"{var} = {level}"
    return f"{var}: {label}" if given or str(label) in shared else str(label)


def names(
    svy: Survey,
    frame: pd.DataFrame,
    seg: np.ndarray,
    w: np.ndarray,
    inputs: _Inputs,
    k: int,
    lang: str,
    short: dict[str, Any] | None = None,
    top: int = 2,
) -> list[str]:
    """A name per segment from its *top* most distinguishing answers (distinct variables)."""
    short = short or {}
    seen: dict[str, int] = {}
    for name, cat in zip(inputs.variables, inputs.categorical):
        for text in set(map(str, svy.value_labels(name, lang).values())) if cat else ():
            seen[text] = seen.get(text, 0) + 1
    shared = {t for t, c in seen.items() if c > 1}
    ranked = []
    for g in range(1, k + 1):
        cand = []
        m = seg == g
        for name, cat in zip(inputs.variables, inputs.categorical):
            col = frame[name]
            if cat:
                vals = col.to_numpy(dtype=object)
                for lev in inputs.levels[name]:
                    y = (vals == lev).astype(float)
                    p, pg = np.average(y, weights=w), np.average(y[m], weights=w[m])
                    if 0 < p < 1 and pg > p and pg >= MAJORITY:
                        cand.append(((pg - p) / np.sqrt(p * (1 - p)), name, lev, 1.0))
            else:
                y = col.to_numpy(dtype=float)
                mu = np.average(y, weights=w)
                sd = np.sqrt(np.average((y - mu) ** 2, weights=w))
                d = (np.average(y[m], weights=w[m]) - mu) / sd if sd > 0 else 0.0
                cand.append((abs(d), name, None, float(np.sign(d))))
        ranked.append(sorted(cand, key=lambda c: -c[0]))
    sep = _WORDS["en" if lang == "en" else "ko"]["sep"]
    out: list[str] = []
    for g, cand in enumerate(ranked, start=1):
        chosen, used = [], set()
        for _, name, lev, sign in cand:
            if name not in used:
                chosen.append(_answer_text(svy, name, lev, sign, lang, short, shared))
                used.add(name)
            if len(chosen) == top:
                break
        text = sep.join(chosen) or (f"유형 {g}" if lang != "en" else f"Segment {g}")
        if lang == "en":
            text = text[:1].upper() + text[1:]
        out.append(text if text not in out else f"{text} ({g})")
    return out


def stability(
    method: Any,
    data: Any,
    w: np.ndarray,
    psu_rows: np.ndarray,
    rd: Any,
    model: Any,
    labels: np.ndarray,
    k: int,
    *,
    seed: int,
    n_init: int,
    reps: int,
) -> Stability:
    """Rao-Wu bootstrap: refit on each replicate, assign the original rows, ARI and Jaccard."""
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng([seed, 20180])
    ari, jac = [], []
    for rep_seed in rng.integers(0, 2**31 - 1, size=reps):
        mult = rao_wu_multipliers(rd, rng)[psu_rows]
        keep = mult > 0
        sub = data[keep]
        if np.unique(sub, axis=0).shape[0] <= k:
            continue
        refit = method.fit(sub, w[keep] * mult[keep], k, int(rep_seed), n_init, method.warm_start(model))
        predicted = method.predict(refit, data)
        ari.append(float(adjusted_rand_score(labels, predicted)))
        jac.append(_best_jaccard(labels, predicted, k))
    mean_jac = np.mean(jac, axis=0) if jac else np.full(k, np.nan)
    return Stability(
        reps=len(ari),
        ari=tuple(ari),
        jaccard=pd.DataFrame({"segment": np.arange(1, k + 1), "jaccard": mean_jac}),
        method=f"Rao-Wu (n_h - 1) bootstrap of PSUs within strata; refit {method.name}; ARI and Jaccard",
    )
