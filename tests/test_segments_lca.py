"""Latent class analysis of sk.segments.fit: the weighted EM against StepMix and planted truth.

StepMix (an independent EM implementation with ``sample_weight``) is fitted on the same data and
weights; both converge to the same maximum, compared after matching classes by size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import surveykit as sk
from surveykit.segments import lca as lca_mod

# EM stops on a relative log-likelihood change of 1e-12 (StepMix on abs_tol 1e-14 per row): the
# maxima agree to about 1e-8; 1e-6 leaves room for the slow EM tail.
EM_TOL = 1e-6


def planted_items(n: int = 600, seed: int = 1, sharp: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cls = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    theta = rng.dirichlet(np.full(3, sharp), size=(5, 3))
    x = np.array([[rng.choice(3, p=theta[j, c]) for j in range(5)] for c in cls])
    w = rng.uniform(0.5, 3.0, n)
    return x, w, cls


def survey_of(x: np.ndarray, w: np.ndarray) -> sk.Survey:
    frame = pd.DataFrame(x + 1, columns=[f"q{j}" for j in range(x.shape[1])])
    frame["w"] = w
    frame["psu"] = np.arange(len(w)) // 4
    frame["st"] = np.arange(len(w)) // 40
    return sk.Survey(frame, sk.Design(weights="w", strata="st", ids="psu"))


def test_lca_matches_stepmix_loglik_sizes_and_item_probabilities() -> None:
    stepmix = pytest.importorskip("stepmix")
    x, w, _ = planted_items()
    ours = lca_mod._lca(x, w, (3,) * 5, 3, seed=0, n_init=10)
    w1 = w * len(w) / w.sum()
    sm = stepmix.StepMix(
        n_components=3,
        measurement="categorical",
        n_init=4,
        random_state=0,
        abs_tol=1e-14,
        max_iter=100000,
        progress_bar=0,
        verbose=0,
    )
    sm.fit(x, sample_weight=w1)
    params = sm.get_parameters()
    order = np.argsort(-params["weights"])
    assert ours.converged
    assert ours.loglik == pytest.approx(sm.score(x, sample_weight=w1) * len(w), abs=EM_TOL)
    np.testing.assert_allclose(ours.prior, params["weights"][order], atol=EM_TOL)
    np.testing.assert_allclose(np.hstack(ours.theta), params["measurement"]["pis"][order], atol=EM_TOL)
    np.testing.assert_allclose(ours.posterior, sm.predict_proba(x)[:, order], atol=1e-5)


def test_lca_loglik_formula_equals_stepmix_at_its_parameters() -> None:
    stepmix = pytest.importorskip("stepmix")
    x, w, _ = planted_items(seed=5)
    sm = stepmix.StepMix(n_components=2, measurement="categorical", n_init=3, random_state=0, progress_bar=0, verbose=0)
    sm.fit(x, sample_weight=w)
    p = sm.get_parameters()
    theta = tuple(p["measurement"]["pis"][:, 3 * j : 3 * (j + 1)] for j in range(5))
    _, row_ll = lca_mod._posterior(x, p["weights"], theta)
    assert float(w @ row_ll) / w.sum() == pytest.approx(sm.score(x, sample_weight=w), abs=1e-12)


def sharp_items(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three latent classes of unequal size; in class c item j answers (c + j) mod 3 with p = 0.85."""
    rng = np.random.default_rng(seed)
    cls = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    dominant = (cls[:, None] + np.arange(5)[None, :]) % 3
    other = (dominant + rng.integers(1, 3, (n, 5))) % 3
    x = np.where(rng.uniform(size=(n, 5)) < 0.85, dominant, other)
    return x, rng.uniform(0.5, 3.0, n), cls


def test_fit_lca_recovers_planted_classes_and_chooses_k_by_bic() -> None:
    x, w, cls = sharp_items(900, seed=2)
    res = sk.segments.fit(
        survey_of(x, w), [f"q{j}" for j in range(5)], method="lca", stability_reps=10, random_state=0, n_init=5
    )
    assert res.k == 3
    assert adjusted_rand_score(cls, res.labels.to_numpy(int)) >= 0.9
    crit = res.criteria
    assert list(crit.columns[:7]) == ["k", "loglik", "n_params", "bic", "aic", "entropy", "converged"]
    assert int(crit.loc[crit["bic"].idxmin(), "k"]) == 3
    assert crit["n_params"].tolist() == [(k - 1) + k * 5 * 2 for k in range(2, 7)]
    assert crit["bic"].to_numpy() == pytest.approx(-2 * crit["loglik"] + crit["n_params"] * np.log(900))
    assert ((crit["entropy"] > 0) & (crit["entropy"] <= 1)).all()


def test_lca_integer_weights_equal_repeated_rows_and_scaling_changes_nothing() -> None:
    x, _, _ = planted_items(n=300, seed=3)
    reps = np.random.default_rng(0).integers(1, 4, 300)
    weighted = lca_mod._lca(x, reps.astype(float), (3,) * 5, 3, seed=0, n_init=10)
    repeated = lca_mod._lca(np.repeat(x, reps, axis=0), np.ones(reps.sum()), (3,) * 5, 3, seed=0, n_init=10)
    np.testing.assert_allclose(weighted.prior, repeated.prior, atol=1e-6)
    np.testing.assert_allclose(np.hstack(weighted.theta), np.hstack(repeated.theta), atol=1e-6)
    scaled = lca_mod._lca(x, reps * 37.5, (3,) * 5, 3, seed=0, n_init=10)
    assert scaled.loglik == pytest.approx(weighted.loglik, rel=1e-12)
    np.testing.assert_array_equal(scaled.labels, weighted.labels)


def test_lca_missing_items_are_left_out_of_the_likelihood() -> None:
    x, w, _ = planted_items(n=200, seed=4)
    fit = lca_mod._lca(x, w, (3,) * 5, 2, seed=0, n_init=5)
    partial = x[:3].copy()
    partial[:, 4] = -1
    _, row_ll = lca_mod._posterior(partial, fit.prior, fit.theta)
    want = [
        np.log(sum(fit.prior[c] * np.prod([fit.theta[j][c, partial[i, j]] for j in range(4)]) for c in range(2)))
        for i in range(3)
    ]
    np.testing.assert_allclose(row_ll, want, rtol=1e-12)
