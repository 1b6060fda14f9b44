"""Weighted k-means of :func:`surveykit.segments.segments`: one fit, relabelled by size.

:func:`_fit` runs :class:`sklearn.cluster.KMeans` with the survey weights as ``sample_weight``
(a population-level k-means) and renumbers the segments by descending weighted size, so that
segment 0 (shown as 1) is the largest; :func:`_nearest` assigns rows to the nearest centre.
scikit-learn and threadpoolctl are imported inside :func:`_fit` so that ``import surveykit``
stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_SINGLE_THREAD_ROWS = 20_000  # below this, OpenMP start-up costs more than it saves (~10x on 2 cores)


@dataclass(frozen=True, slots=True)
class _Fit:
    labels: np.ndarray  # 0..k-1, 0 = largest weighted segment
    centers: np.ndarray  # (k, p) in the standardised space
    inertia: float


def _relabel(labels: np.ndarray, centers: np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Order segments by descending weighted size (ties: first row of the segment)."""
    size = np.bincount(labels, weights=w, minlength=k)
    first = np.full(k, labels.size)
    np.minimum.at(first, labels, np.arange(labels.size))
    order = np.lexsort((first, -size))
    new = np.empty(k, dtype=np.int64)
    new[order] = np.arange(k)
    return new[labels], centers[order]


def _fit(z: np.ndarray, w: np.ndarray, k: int, seed: int, n_init: int) -> _Fit:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    threads = 1 if z.shape[0] < _SINGLE_THREAD_ROWS else None
    with threadpool_limits(limits=threads):
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(z, sample_weight=w)
    labels, centers = _relabel(km.labels_, km.cluster_centers_, w, k)
    return _Fit(labels, centers, float(km.inertia_))


def _nearest(z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    d2 = (z * z).sum(1)[:, None] - 2.0 * z @ centers.T + (centers * centers).sum(1)[None, :]
    return np.argmin(d2, axis=1)
