"""Survey-weighted silhouette width, the criterion :func:`surveykit.segments.segments` picks k by.

Each row's silhouette uses weighted mean distances to the segments and is averaged with its
survey weight, so the criterion describes the population rather than the sample; with equal
weights it equals R ``cluster::silhouette``. Distances are computed in blocks of rows, each
block once for several labelings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_SILHOUETTE_CHUNK = 2048  # rows per block of the distance matrix (memory ~ chunk x n x 8 bytes)


def weighted_silhouette(z: np.ndarray, labels: np.ndarray, w: np.ndarray) -> float:
    """Survey-weighted mean silhouette width.

    For row i in segment A: ``a_i = sum_{j in A, j != i} w_j d_ij / (W_A - w_i)``,
    ``b_i = min_{B != A} sum_{j in B} w_j d_ij / W_B`` and ``s_i = (b_i - a_i) / max(a_i, b_i)``
    (0 for a single-row segment); the result is ``sum w_i s_i / sum w_i``.

    Notes
    -----
    With equal weights this is R ``mean(cluster::silhouette(labels, dist(z))[, "sil_width"])``
    (Rousseeuw 1987). Distances are Euclidean, in blocks of rows.
    """
    return float(_silhouettes(z, [labels], w)[0])


def _silhouettes(z: np.ndarray, labelings: Sequence[np.ndarray], w: np.ndarray) -> np.ndarray:
    """Weighted mean silhouette of several labelings of the same rows; each distance block once."""
    from scipy.spatial.distance import cdist

    members = []
    for labels in labelings:
        member = np.zeros((labels.size, int(labels.max()) + 1))
        member[np.arange(labels.size), labels] = w
        members.append(member)
    widths = np.empty((len(labelings), w.size))
    for start in range(0, w.size, _SILHOUETTE_CHUNK):
        rows = slice(start, start + _SILHOUETTE_CHUNK)
        dist = cdist(z[rows], z)
        for i, (labels, member) in enumerate(zip(labelings, members)):
            widths[i, rows] = _silhouette_block(dist @ member, labels[rows], w[rows], member.sum(0))
    return widths @ w / w.sum()


def _silhouette_block(dsum: np.ndarray, own: np.ndarray, w: np.ndarray, size: np.ndarray) -> np.ndarray:
    idx = np.arange(own.size)
    rest = size[own] - w
    a = dsum[idx, own] / np.where(rest > 0, rest, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        other = np.where(size[None, :] > 0, dsum / size[None, :], np.inf)
    other[idx, own] = np.inf
    b = other.min(1)
    s = (b - a) / np.maximum(np.maximum(a, b), np.finfo(float).tiny)
    return np.where(rest > 0, s, 0.0)
