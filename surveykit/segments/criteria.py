"""Choice of k for :func:`surveykit.segments.fit`: several criteria per candidate k, one rule.

k-means: weighted Calinski-Harabasz (largest), weighted mean silhouette (largest) and the gap
statistic of Tibshirani, Walther & Hastie (2001) (smallest k with ``gap(k) >= gap(k+1) - s(k+1)``),
each voting for a k; the chosen k is the median of the three votes (so any two that agree win).
LCA: BIC (smallest), with AIC and relative entropy reported. k-prototypes: Calinski-Harabasz on
the k-means encoding of the inputs, with the silhouette reported.
All weights are rescaled to mean 1, so scaling the weights changes no criterion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from surveykit.segments.kmeans import _fit
from surveykit.segments.silhouette import _silhouettes

GAP_REFS = 10  # reference data sets of the gap statistic
SILHOUETTE_MAX_ROWS = 5000


def calinski_harabasz(z: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Weighted Calinski-Harabasz index ``(B / (k - 1)) / (W / (n - k))`` with mean-1 weights.

    Equals :func:`sklearn.metrics.calinski_harabasz_score` (R ``fpc::calinhara``) when all weights
    are equal; integer weights give the index of repeated rows up to the df ``n - k`` counting rows.
    """
    w1 = w * (w.size / w.sum())
    mean = w1 @ z / w1.sum()
    within = between = 0.0
    for g in range(k):
        m = labels == g
        wg = w1[m]
        if not wg.size:
            continue
        cg = wg @ z[m] / wg.sum()
        within += float(wg @ ((z[m] - cg) ** 2).sum(1))
        between += float(wg.sum() * ((cg - mean) ** 2).sum())
    n = z.shape[0]
    return float("inf") if within <= 0 else (between / (k - 1)) / (within / (n - k))


def _log_within(z: np.ndarray, w: np.ndarray, k: int, seed: int, n_init: int) -> float:
    fit = _fit(z, w, k, seed, n_init)
    return float(np.log(max(fit.inertia, 1e-300)))


def gap_statistic(
    z: np.ndarray, w: np.ndarray, ks: Sequence[int], fits: dict, seed: int, n_init: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gap and its simulation SE ``s_k`` per k: references uniform on the principal-axis box of z.

    R equivalent: ``cluster::clusGap(x, kmeans, K.max, B = GAP_REFS, spaceH0 = "scaledPCA")`` with
    weighted within-segment sums of squares; rule ``maxSE(method = "Tibs2001SEmax")``.
    """
    w1 = w * (w.size / w.sum())
    centred = z - w1 @ z / w1.sum()
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    rot = centred @ vt.T
    low, high = rot.min(0), rot.max(0)
    rng = np.random.default_rng([seed, 31])
    refs = np.empty((GAP_REFS, len(ks)))
    for b in range(GAP_REFS):
        ref = rng.uniform(low, high, size=rot.shape) @ vt
        refs[b] = [_log_within(ref, w1, k, seed + b, n_init) for k in ks]
    obs = np.array([np.log(max(fits[k].inertia * w.size / w.sum(), 1e-300)) for k in ks])
    gap = refs.mean(0) - obs
    s = refs.std(0) * np.sqrt(1.0 + 1.0 / GAP_REFS)
    return gap, s


def _gap_vote(ks: Sequence[int], gap: np.ndarray, s: np.ndarray) -> int:
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - s[i + 1]:
            return int(ks[i])
    return int(ks[-1])


def kmeans_criteria(
    z: np.ndarray, w: np.ndarray, ks: Sequence[int], seed: int, n_init: int, fits: dict
) -> tuple[pd.DataFrame, int]:
    """Criteria table (``k, calinski_harabasz, silhouette, gap, gap_se, inertia``) and the chosen k."""
    sub = np.arange(z.shape[0])
    if sub.size > SILHOUETTE_MAX_ROWS:
        sub = np.sort(np.random.default_rng([seed, 1]).choice(sub.size, SILHOUETTE_MAX_ROWS, replace=False))
    ch = [calinski_harabasz(z, w, fits[k].labels, k) for k in ks]
    sil = _silhouettes(z[sub], [fits[k].labels[sub] for k in ks], w[sub])
    gap, s = gap_statistic(z, w, ks, fits, seed, min(n_init, 3))
    table = pd.DataFrame(
        {
            "k": list(ks),
            "calinski_harabasz": ch,
            "silhouette": sil,
            "gap": gap,
            "gap_se": s,
            "inertia": [fits[k].inertia for k in ks],
        }
    )
    votes = {
        "calinski_harabasz": int(ks[int(np.argmax(ch))]),
        "silhouette": int(ks[int(np.argmax(sil))]),
        "gap": _gap_vote(ks, gap, s),
    }
    chosen = int(np.median(list(votes.values())))
    for name, v in votes.items():
        table[f"{name}_choice"] = table["k"] == v
    return table, chosen


def lca_criteria(fits: dict, ks: Sequence[int]) -> tuple[pd.DataFrame, int]:
    """``k, loglik, n_params, bic, aic, entropy, converged``; the chosen k has the smallest BIC."""
    table = pd.DataFrame(
        {
            "k": list(ks),
            "loglik": [fits[k].loglik for k in ks],
            "n_params": [fits[k].n_params for k in ks],
            "bic": [fits[k].bic for k in ks],
            "aic": [fits[k].aic for k in ks],
            "entropy": [fits[k].entropy for k in ks],
            "converged": [fits[k].converged for k in ks],
        }
    )
    table["bic_choice"] = table["k"] == int(ks[int(np.argmin(table["bic"]))])
    table["aic_choice"] = table["k"] == int(ks[int(np.argmin(table["aic"]))])
    return table, int(ks[int(np.argmin(table["bic"].to_numpy()))])


def kprototypes_criteria(
    z: np.ndarray, w: np.ndarray, ks: Sequence[int], labels_of: Callable[[int], np.ndarray], costs: dict
) -> tuple[pd.DataFrame, int]:
    """``k, calinski_harabasz, silhouette, cost``; the chosen k has the largest Calinski-Harabasz."""
    labs = {k: labels_of(k) for k in ks}
    ch = [calinski_harabasz(z, w, labs[k], k) for k in ks]
    sub = np.arange(z.shape[0])[:SILHOUETTE_MAX_ROWS]
    sil = _silhouettes(z[sub], [labs[k][sub] for k in ks], w[sub])
    table = pd.DataFrame({"k": list(ks), "calinski_harabasz": ch, "silhouette": sil, "cost": [costs[k] for k in ks]})
    chosen = int(ks[int(np.argmax(ch))])
    table["calinski_harabasz_choice"] = table["k"] == chosen
    return table, chosen
