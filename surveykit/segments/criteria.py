"""Choice of k for :func:`surveykit.segments.fit`: several criteria per candidate k, one rule.

Criteria per candidate k. k-means: weighted Calinski-Harabasz (largest), weighted mean silhouette
(largest) and the gap statistic of Tibshirani, Walther & Hastie (2001) (smallest k with
``gap(k) >= gap(k+1) - s(k+1)``). LCA: BIC (smallest), with AIC and relative entropy reported.
k-prototypes: Calinski-Harabasz on the k-means encoding of the inputs (largest), with the
silhouette and cost reported. All weights are rescaled to mean 1, so scaling the weights changes
no criterion.

The rule (:func:`choose`): each criterion votes for a k and the chosen k is the lower median of
the votes. For k-means the votes are Calinski-Harabasz, silhouette, gap and, when stability is
assessed, *stability*: the largest k whose mean PSU-bootstrap ARI (a short Rao-Wu bootstrap per
k, column ``stability``) is within ``STABLE_WITHIN`` of the most stable k. Calinski-Harabasz and
gap tend to reward extra splits of a large segment, the silhouette merges of close ones; an
arbitrary split changes with the sample, so the stability vote sides with the k that holds (on
planted data of unequal sizes the three criteria alone pick 5 for 4 on some seeds; with the
stability vote 4 on every seed tried). LCA: smallest BIC; k-prototypes: largest
Calinski-Harabasz (their stability is reported, not voted: BIC and Calinski-Harabasz recover the
planted k there, and the k-prototypes bootstrap is noisy near small k).
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
) -> pd.DataFrame:
    """Criteria table: ``k, calinski_harabasz, silhouette, gap, gap_se, inertia``."""
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
    return table


def lca_criteria(fits: dict, ks: Sequence[int]) -> pd.DataFrame:
    """``k, loglik, n_params, bic, aic, entropy, converged``."""
    return pd.DataFrame(
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


def kprototypes_criteria(
    z: np.ndarray, w: np.ndarray, ks: Sequence[int], labels_of: Callable[[int], np.ndarray], costs: dict
) -> pd.DataFrame:
    """``k, calinski_harabasz, silhouette, cost``."""
    labs = {k: labels_of(k) for k in ks}
    ch = [calinski_harabasz(z, w, labs[k], k) for k in ks]
    sub = np.arange(z.shape[0])[:SILHOUETTE_MAX_ROWS]
    sil = _silhouettes(z[sub], [labs[k][sub] for k in ks], w[sub])
    return pd.DataFrame({"k": list(ks), "calinski_harabasz": ch, "silhouette": sil, "cost": [costs[k] for k in ks]})


STABLE_WITHIN = 0.05  # the stability vote: the largest k whose mean bootstrap ARI is this close to the best k's
#: criteria that vote, per method: (column, "max" | "min" | "gap" | "stable")
VOTERS = {
    "kmeans": (("calinski_harabasz", "max"), ("silhouette", "max"), ("gap", "gap"), ("stability", "stable")),
    "lca": (("bic", "min"),),
    "kprototypes": (("calinski_harabasz", "max"),),
}
_RULE = {
    "kmeans": "lower median of the Calinski-Harabasz, silhouette, gap and stability choices",
    "lca": "smallest BIC",
    "kprototypes": "largest Calinski-Harabasz",
}


def _assessed(table: pd.DataFrame) -> bool:
    return "stability" in table.columns and not table["stability"].isna().all()


def choose(table: pd.DataFrame, method: str) -> tuple[int, str]:
    """The chosen k and the rule in words; adds a ``<criterion>_choice`` column per vote."""
    ks = table["k"].to_numpy(dtype=int)
    votes = []
    for name, how in VOTERS[method]:
        if how == "stable":
            if not _assessed(table):
                continue
            ari = np.nan_to_num(table[name].to_numpy(dtype=float), nan=-np.inf)
            vote = int(ks[ari >= ari.max() - STABLE_WITHIN - 1e-12].max())
        elif how == "gap":
            vote = _gap_vote(list(ks), table["gap"].to_numpy(dtype=float), table["gap_se"].to_numpy(dtype=float))
        else:
            values = table[name].to_numpy(dtype=float)
            vote = int(ks[int(np.argmax(values if how == "max" else -values))])
        table[f"{name}_choice"] = table["k"] == vote
        votes.append(vote)
    chosen = sorted(votes)[(len(votes) - 1) // 2]  # lower median: with three, two agreeing win
    rule = _RULE[method]
    if method == "kmeans" and not _assessed(table):
        rule = "median of the Calinski-Harabasz, silhouette and gap choices (stability not assessed)"
    return int(chosen), rule
