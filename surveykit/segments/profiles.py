"""Profiles and shares of :func:`surveykit.segments.segments`: design-based domain estimates.

For each segment, the survey-weighted mean of every profiled variable (one-hot levels as
proportions) and the segment's share among assigned rows, with Taylor-linearised SEs from the
full design (R ``svyby(~x, ~segment, design, svymean)`` and
``svymean(~factor(segment), subset(design, !is.na(segment)))``), normal confidence intervals
at level ``1 - ALPHA`` and coefficients of variation.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError
from surveykit.segments.encode import _is_categorical, _numeric, _observed, _one_hot

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign
    from surveykit.survey import Survey

ALPHA = 0.05


def _domain_means(rd: ResolvedDesign, y: np.ndarray, seg: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Domain means of y in segments 1..k with Taylor SEs (R ``svyby(~y, ~seg, des, svymean, na.rm=TRUE)``)."""
    from surveykit.design.variance import design_vcov

    ok = ~np.isnan(y)
    inside = (seg[:, None] == np.arange(1, k + 1)[None, :]) & ok[:, None]
    wd = rd.weights[:, None] * inside
    total = wd.sum(0)
    y0 = np.where(ok, y, 0.0)
    est = (wd * y0[:, None]).sum(0) / np.where(total > 0, total, np.nan)
    u = wd * (y0[:, None] - np.nan_to_num(est)[None, :]) / np.where(total > 0, total, 1.0)
    se = np.sqrt(np.clip(np.diag(design_vcov(u, rd)), 0.0, None))
    n = (inside & (rd.weights[:, None] > 0)).sum(0)
    return {"estimate": est, "se": np.where(total > 0, se, np.nan), "n": n, "weighted_n": total}


def _shares(rd: ResolvedDesign, seg: np.ndarray, k: int) -> pd.DataFrame:
    """Weighted share of each segment among assigned rows, with Taylor SEs.

    R equivalent: ``svymean(~factor(seg), subset(des, !is.na(seg)))``.
    """
    from surveykit.design.variance import design_vcov

    member = (seg[:, None] == np.arange(1, k + 1)[None, :]).astype(float)
    wa = rd.weights * (seg > 0)
    total = wa.sum()
    est = wa @ member / total
    u = wa[:, None] * (member - est[None, :]) / total
    se = np.sqrt(np.clip(np.diag(design_vcov(u, rd)), 0.0, None))
    frame = pd.DataFrame(
        {
            "segment": np.arange(1, k + 1),
            "estimate": est,
            "se": se,
            "n": ((member > 0) & (wa[:, None] > 0)).sum(0),
            "weighted_n": wa @ member,
        }
    )
    return _with_ci(frame)


def _with_ci(frame: pd.DataFrame) -> pd.DataFrame:
    z = NormalDist().inv_cdf(1 - ALPHA / 2)
    frame["ci_low"] = frame["estimate"] - z * frame["se"]
    frame["ci_high"] = frame["estimate"] + z * frame["se"]
    frame["cv"] = frame["se"] / frame["estimate"].abs()
    return frame


def _level_label(svy: Survey, name: str, level: Any, lang: str) -> str | None:
    if level is None:
        return None
    inst = svy.instrument
    if inst is not None:
        try:
            return str(inst.label(name, level, lang))
        except (DataError, KeyError, ValueError, TypeError):
            pass
    return str(level)


def _variable_rows(svy: Survey, name: str, seg: np.ndarray, k: int, cat: bool, lang: str) -> list[pd.DataFrame]:
    col = _observed(svy, name)
    if cat:
        dummies, levels = _one_hot(col)
        columns = [(dummies[:, j], lev) for j, lev in enumerate(levels)]
    else:
        columns = [(_numeric(name, col), None)]
    out = []
    for y, lev in columns:
        part = pd.DataFrame(_domain_means(svy.resolved, y, seg, k))
        part.insert(0, "segment", np.arange(1, k + 1))
        part.insert(1, "variable", name)
        part.insert(2, "level", lev)
        part.insert(3, "label", _level_label(svy, name, lev, lang))
        out.append(part)
    return out


def _profiles(
    svy: Survey, seg: np.ndarray, k: int, names: Sequence[str], categorical: Sequence[str] | None, lang: str = "ko"
) -> pd.DataFrame:
    """Design-based mean (SE) of each variable per segment; one-hot levels as proportions."""
    parts = []
    for name in names:
        cat = _is_categorical(svy, name, svy.column(name), categorical)
        parts += _variable_rows(svy, name, seg, k, cat, lang)
    frame = pd.concat(parts, ignore_index=True).sort_values(["segment"], kind="stable", ignore_index=True)
    return _with_ci(frame)[
        ["segment", "variable", "level", "label", "estimate", "se", "ci_low", "ci_high", "cv", "n", "weighted_n"]
    ]
