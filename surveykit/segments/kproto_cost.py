"""The k-prototypes assignment step of :mod:`kmodes`, vectorised, with the same results bit for bit.

``kmodes.kprototypes.labels_cost`` (kmodes 0.12) loops over the rows in Python, calling the
Euclidean and matching dissimilarities once per row; it is called after every iteration of every
initialisation, and took half of the organisation brief's segmentation time (155 fits for the
k rule's stability vote and the bootstrap). :func:`labels_cost` computes the same arrays for all
rows at once: the squared differences summed over the same contiguous axis, ``num + gamma * cat``
elementwise, ``argmin`` (first minimum on ties) and the cost added row by row in the same order,
so labels and cost are identical (``tests/test_kproto_cost.py`` compares them on random inputs
with ties and weights, and whole fits). :func:`vectorised_labels_cost` swaps it in while
surveykit fits or predicts with the default dissimilarities, and puts the original back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["labels_cost", "vectorised_labels_cost"]


def labels_cost(Xnum: Any, Xcat: Any, centroids: Any, num_dissim: Any, cat_dissim: Any, gamma: float,
                membship: Any = None, sample_weight: Any = None) -> tuple[np.ndarray, float]:  # fmt: skip
    """``kmodes.kprototypes.labels_cost`` for the Euclidean and matching dissimilarities."""
    from sklearn.utils import check_array

    Xnum = check_array(Xnum)
    c_num, c_cat = np.asarray(centroids[0]), np.asarray(centroids[1])
    if np.isnan(c_num).any() or np.isnan(Xnum).any():
        raise ValueError("Missing values detected in numerical columns.")  # kmodes' own message
    num = np.sum((c_num[None, :, :] - Xnum[:, None, :]) ** 2, axis=2)
    cat = np.sum(c_cat[None, :, :] != np.asarray(Xcat)[:, None, :], axis=2)
    tot = num + gamma * cat
    labels = np.argmin(tot, axis=1).astype(np.uint16)
    best = tot[np.arange(tot.shape[0]), labels]
    if sample_weight is not None:
        best = best * np.asarray(sample_weight)
    cost = 0.0
    for v in best.tolist():  # row by row, as kmodes, so that the float sum is the same
        cost += v
    return labels, cost


@contextmanager
def vectorised_labels_cost(model: Any) -> Iterator[None]:
    """Within the block, kmodes uses :func:`labels_cost` when *model* has the default
    dissimilarities (otherwise nothing changes)."""
    from kmodes import kprototypes
    from kmodes.util.dissim import euclidean_dissim, matching_dissim

    original = kprototypes.labels_cost
    default = model.num_dissim is euclidean_dissim and model.cat_dissim is matching_dissim
    if default:
        kprototypes.labels_cost = labels_cost
    try:
        yield
    finally:
        kprototypes.labels_cost = original
