"""Design-aware stability of :func:`surveykit.segments.segments`: Rao-Wu bootstrap of PSUs.

Each replicate resamples first-stage PSUs within strata (:func:`rao_wu_multipliers`, as R
``as.svrepdesign(type="subbootstrap")``), refits k-means on the reweighted rows, assigns every
original row to its nearest replicate centre, and compares with the full-sample segments by the
adjusted Rand index and per-segment best Jaccard similarity; :class:`Stability` holds the result
and is public through :mod:`surveykit.segments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DesignError
from surveykit.results import frame_records, jsonable
from surveykit.segments.kmeans import _Fit, _fit, _nearest

if TYPE_CHECKING:
    from surveykit.design import ResolvedDesign


#: mean PSU-bootstrap ARI below which segments change with the sample (Hennig 2007: < 0.6 is
#: unstable): not publishable by fit(), warned by segments(), not published by a brief
UNSTABLE_ARI = 0.6


def rao_wu_multipliers(rd: ResolvedDesign, rng: np.random.Generator) -> np.ndarray:
    """Weight multipliers of one Rao-Wu (n_h - 1) bootstrap replicate of the first-stage PSUs.

    In each stratum with n_h >= 2 PSUs, n_h - 1 PSUs are drawn with replacement; a PSU drawn m
    times gets multiplier ``m n_h / (n_h - 1)``. Strata with one PSU keep multiplier 1.

    Notes
    -----
    R equivalent: one column of ``survey:::subbootweights`` (``as.svrepdesign(type="subbootstrap")``).
    """
    if rd.is_replicate:
        raise DesignError(
            "segment stability resamples the PSUs of a strata/clusters design; a replicate-weight design "
            "has none to resample. Pass stability_reps=0, or build the Survey with sk.Design(strata=, ids=)."
        )
    st = rd.stages[0]
    n_h = np.bincount(st.psu_stratum)
    order = np.argsort(st.psu_stratum, kind="stable")
    start = np.concatenate([[0], np.cumsum(n_h)[:-1]])
    draws = np.where(n_h > 1, n_h - 1, 0)
    stratum = np.repeat(np.arange(n_h.size), draws)
    picked = order[start[stratum] + rng.integers(0, n_h[stratum])]
    count = np.bincount(picked, minlength=st.psu_stratum.size).astype(float)
    n_psu = n_h[st.psu_stratum]
    mult = np.where(n_psu > 1, count * n_psu / np.maximum(n_psu - 1, 1), 1.0)
    return mult[st.psu]


@dataclass(frozen=True, slots=True)
class Stability:
    """Bootstrap stability of a segmentation.

    Attributes
    ----------
    reps : int
        Bootstrap replicates refitted.
    ari : tuple of float
        Adjusted Rand index of each replicate against the full-sample segments, on the original
        assigned rows (replicate segments by nearest replicate centre).
    jaccard : pandas.DataFrame
        Per segment: mean over replicates of the best Jaccard similarity with a replicate segment
        (``segment, jaccard``). Hennig (2007) reads < 0.6 as unstable and > 0.85 as highly stable.
    method : str
    """

    reps: int
    ari: tuple[float, ...]
    jaccard: pd.DataFrame
    method: str = "Rao-Wu (n_h - 1) bootstrap of PSUs within strata; refit k-means; ARI and Jaccard"

    @property
    def mean_ari(self) -> float:
        return float(np.mean(self.ari)) if self.ari else float("nan")

    @property
    def sd_ari(self) -> float:
        return float(np.std(self.ari, ddof=1)) if len(self.ari) > 1 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "reps": self.reps,
                "method": self.method,
                "mean_ari": self.mean_ari,
                "sd_ari": self.sd_ari,
                "ari": self.ari,
                "jaccard": frame_records(self.jaccard),
            }
        )


def _best_jaccard(full: np.ndarray, rep: np.ndarray, k: int) -> np.ndarray:
    table = np.zeros((k, k))
    np.add.at(table, (full, rep), 1.0)
    union = table.sum(1)[:, None] + table.sum(0)[None, :] - table
    return (table / np.where(union > 0, union, 1.0)).max(1)


def _stability(
    z: np.ndarray,
    w: np.ndarray,
    psu_rows: np.ndarray,
    rd: ResolvedDesign,
    fit: _Fit,
    *,
    seed: int,
    n_init: int,
    reps: int,
) -> Stability:
    from sklearn.metrics import adjusted_rand_score

    k = fit.centers.shape[0]
    rng = np.random.default_rng([seed, 20180])
    ari, jac = [], []
    pattern = np.unique(z, axis=0, return_inverse=True)[1].ravel()  # distinct-row id of each row
    for rep_seed in rng.integers(0, 2**31 - 1, size=reps):
        mult = rao_wu_multipliers(rd, rng)[psu_rows]
        keep = mult > 0
        if np.unique(pattern[keep]).size < k:
            continue  # too few distinct rows drawn to fit k segments
        refit = _fit(z[keep], w[keep] * mult[keep], k, int(rep_seed), n_init)
        predicted = _nearest(z, refit.centers)
        ari.append(float(adjusted_rand_score(fit.labels, predicted)))
        jac.append(_best_jaccard(fit.labels, predicted, k))
    mean_jac = np.mean(jac, axis=0) if jac else np.full(k, np.nan)
    frame = pd.DataFrame({"segment": np.arange(1, k + 1), "jaccard": mean_jac})
    return Stability(reps=len(ari), ari=tuple(ari), jaccard=frame)
