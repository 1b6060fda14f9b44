"""The vectorised k-prototypes assignment step gives kmodes' own labels and cost bit for bit,
and whole fits are unchanged (surveykit.segments.kproto_cost)."""

from __future__ import annotations

import numpy as np
import pytest

kmodes = pytest.importorskip("kmodes")
from kmodes import kprototypes  # noqa: E402
from kmodes.util.dissim import euclidean_dissim, matching_dissim  # noqa: E402

from surveykit.segments.kproto_cost import labels_cost, vectorised_labels_cost  # noqa: E402


def test_labels_and_cost_identical_on_random_inputs_with_ties_and_weights() -> None:
    rng = np.random.default_rng(0)
    for t in range(200):
        n, f, c, k = (
            int(v) for v in (rng.integers(5, 300), rng.integers(1, 6), rng.integers(1, 6), rng.integers(2, 7))
        )
        xn, xc = rng.normal(size=(n, f)), rng.integers(0, 4, size=(n, c))
        cen = [rng.normal(size=(k, f)), rng.integers(0, 4, size=(k, c))]
        if t % 3 == 0:  # coarse values: many exact ties between centroids
            xn, cen[0] = np.round(xn, 1), np.round(cen[0], 1)
        w = rng.uniform(0.1, 3, n) if t % 2 else None
        gamma = float(rng.uniform(0.1, 2))
        want = kprototypes.labels_cost(xn, xc, cen, euclidean_dissim, matching_dissim, gamma, None, w)
        got = labels_cost(xn, xc, cen, euclidean_dissim, matching_dissim, gamma, None, w)
        assert got[0].dtype == want[0].dtype and np.array_equal(got[0], want[0])
        assert got[1] == want[1]  # the same float, not merely close


def test_missing_values_raise_as_kmodes() -> None:
    xn, xc, cen = np.array([[0.0], [np.nan]]), np.zeros((2, 1)), [np.zeros((2, 1)), np.zeros((2, 1))]
    with pytest.raises(ValueError) as want:
        kprototypes.labels_cost(xn, xc, cen, euclidean_dissim, matching_dissim, 1.0)
    with pytest.raises(ValueError) as got:
        labels_cost(xn, xc, cen, euclidean_dissim, matching_dissim, 1.0)
    assert str(got.value) == str(want.value) and "NaN" in str(got.value)
    with pytest.raises(ValueError, match="Missing values detected in numerical columns"):  # NaN in a centroid
        labels_cost(np.zeros((2, 1)), xc, [np.full((2, 1), np.nan), cen[1]], None, None, 1.0)


def test_whole_fits_unchanged_and_the_original_restored() -> None:
    rng = np.random.default_rng(3)
    data = np.column_stack([rng.normal(size=(150, 2)), rng.integers(0, 3, size=(150, 3))])
    w = rng.uniform(0.5, 2, 150)

    def fit() -> tuple[np.ndarray, float, np.ndarray]:
        km = kprototypes.KPrototypes(n_clusters=3, init="Cao", n_init=3, random_state=1, max_iter=100)
        with vectorised_labels_cost(km) if patched else _nothing():
            km.fit(data, categorical=[2, 3, 4], sample_weight=w)
            pred = km.predict(data[:20], categorical=[2, 3, 4])
        return np.asarray(km.labels_), float(km.cost_), pred

    from contextlib import nullcontext as _nothing

    patched = False
    want = fit()
    patched = True
    got = fit()
    assert np.array_equal(got[0], want[0]) and got[1] == want[1] and np.array_equal(got[2], want[2])
    assert kprototypes.labels_cost is not labels_cost  # put back after the block
