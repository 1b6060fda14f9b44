"""surveykit.models.ordinal_logistic against R svyolr goldens (tests/golden/r/models.R)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveykit import Design, Survey
from surveykit.errors import ModelError
from surveykit.models import ordinal_logistic

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "models.json").read_text())["ordinal"]

# R: optim(BFGS, reltol = 1e-14) and a Hessian from central differences of the analytic
# gradient with ndeps = 1e-6 (error ~1e-10); ours: Newton with analytic derivatives to 1e-14.
# Measured agreement: coefficients ~1e-9, SEs ~1e-8 relative.
COEF_RTOL = 1e-6
SE_RTOL = 1e-5
# R's *default* svyolr SEs use ndeps = 1e-3; they differ from the exact sandwich by up to ~5e-4.
DEFAULT_NDEPS_RTOL = 1e-3


def r_to_ours(name: str) -> str:
    return f"C(stype)[T.{name[5:]}]" if name.startswith("stype") else name


@pytest.fixture(scope="module")
def fitted():
    d = pd.read_csv(HERE / "data" / "api" / "apistrat.csv")
    cut = pd.cut(d["api00"], [-np.inf, *GOLDEN["breaks"], np.inf], labels=GOLDEN["levels"])
    d["api4"] = pd.Categorical(cut.astype(str), categories=GOLDEN["levels"], ordered=True)
    svy = Survey(d, design=Design(weights="pw", strata="stype", fpc="fpc"))
    return svy, ordinal_logistic(svy, "api4 ~ meals + ell + C(stype)")


def test_coefficients_and_thresholds_match_svyolr(fitted):
    _, res = fitted
    names = [r_to_ours(n) for n in GOLDEN["beta_terms"] + GOLDEN["zeta_terms"]]
    ours = res.coef.set_index("term").loc[names]
    np.testing.assert_allclose(ours["estimate"], GOLDEN["beta"] + GOLDEN["zeta"], rtol=COEF_RTOL)
    np.testing.assert_allclose(ours["se"], GOLDEN["se"], rtol=SE_RTOL)
    np.testing.assert_allclose(ours["se"], GOLDEN["se_default_ndeps"], rtol=DEFAULT_NDEPS_RTOL)
    order = [list(res.coef["term"]).index(n) for n in names]
    rv = np.array(GOLDEN["vcov"])
    scale = np.sqrt(np.outer(np.diag(rv), np.diag(rv)))  # covariances near 0: compare on the
    np.testing.assert_allclose(
        res.vcov[np.ix_(order, order)] / scale,
        rv / scale,  # corr. scale
        atol=SE_RTOL,
    )
    assert res.df_resid == GOLDEN["df_resid"]
    assert res.levels == tuple(GOLDEN["levels"])


def test_term_test_matches_regtermtest_on_svyolr(fitted):
    _, res = fitted
    t = res.wald_test("stype")
    assert pytest.approx(GOLDEN["stype_F"], rel=SE_RTOL) == t.F
    assert t.p_value == pytest.approx(GOLDEN["stype_p"], rel=1e-4)  # p ~ 1e-12: steep tail


def test_predicted_probabilities_follow_the_cumulative_logits(fitted):
    svy, res = fitted
    probs = res.predict(svy.data.iloc[:7])
    assert list(probs.columns) == GOLDEN["levels"]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    beta = dict(zip(GOLDEN["beta_terms"], GOLDEN["beta"]))
    row = svy.data.iloc[0]  # an elementary school: no stype dummies
    eta = beta["meals"] * row["meals"] + beta["ell"] * row["ell"]
    p_low = 1 / (1 + np.exp(-(GOLDEN["zeta"][0] - eta)))
    assert probs.iloc[0, 0] == pytest.approx(p_low, rel=COEF_RTOL)


def test_po_holds_here_so_no_recommendation(fitted):
    _, res = fitted
    assert res.po_test.df == 4 * 2 and res.po_test.ddf == GOLDEN["df_resid"]
    assert res.po_test.p_value > 0.05 and res.recommendation is None


def random_ordinal(n: int = 1500, seed: int = 5, po: bool = True) -> Survey:
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, 60, n)
    x = rng.normal(size=n)
    g = rng.choice(["a", "b"], n)
    eta = 0.9 * x + 0.5 * (g == "b")
    if po:
        latent = eta + rng.logistic(size=n)
        y = np.digitize(latent, [-1.0, 0.3, 1.5]) + 1
    else:  # the effect of x reverses across thresholds: not proportional odds
        u = rng.random(n)
        p_gt1 = 1 / (1 + np.exp(-(1.0 + 2.0 * x)))
        p_gt2 = p_gt1 / (1 + np.exp(-(0.5 - 2.5 * x)))
        y = 1 + (u < p_gt1) + (u < p_gt2)
    data = pd.DataFrame({"y": y, "x": x, "g": g, "psu": psu, "st": psu // 15, "w": rng.uniform(0.5, 2.5, n)})
    return Survey(data, design=Design(weights="w", strata="st", ids="psu"))


def test_po_violation_is_detected_with_a_recommendation():
    res = ordinal_logistic(random_ordinal(po=False), "y ~ x + C(g)")
    assert res.po_test.p_value < 1e-3
    assert "proportional-odds assumption is rejected" in res.recommendation
    assert res.recommendation in str(res.summary())


def test_ames_match_numerical_derivatives_per_category():
    svy = random_ordinal()
    res = ordinal_logistic(svy, "y ~ x + C(g)", test_po=False)
    ame = res.marginal_effects().to_frame()
    data, w = svy.data, svy.weights
    h = 1e-5
    up, dn = res.predict(data.assign(x=data["x"] + h)), res.predict(data.assign(x=data["x"] - h))
    numeric = (w @ ((up - dn) / (2 * h)).to_numpy()) / w.sum()
    got = ame[ame["variable"] == "x"]["estimate"].to_numpy()
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-10)
    assert abs(got.sum()) < 1e-12  # category probabilities sum to 1
    pb, pa = res.predict(data.assign(g="b")), res.predict(data.assign(g="a"))
    np.testing.assert_allclose(
        ame[ame["variable"] == "g"]["estimate"], (w @ (pb - pa).to_numpy()) / w.sum(), rtol=1e-12
    )


def test_result_frozen_serialisable_and_forest_has_only_slopes(fitted):
    _, res = fitted
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.levels = ()
    d = json.loads(json.dumps(res.to_dict()))
    assert d["levels"] == GOLDEN["levels"] and d["po_test"]["df"] == 8
    assert len(res.forest_frame()) == 4
    assert res.coef["odds_ratio"].iloc[4:].isna().all()


def test_binary_response_is_refused():
    svy = random_ordinal()
    data = svy.data.assign(b=(svy.data["y"] > 2).astype(int))
    with pytest.raises(ModelError, match="at least 3 ordered levels"):
        ordinal_logistic(Survey(data, design=svy.design), "b ~ x")


def test_empty_level_is_refused():
    svy = random_ordinal()
    cat = pd.Categorical(svy.data["y"].astype(str), categories=["1", "2", "3", "4", "5"], ordered=True)
    with pytest.raises(ModelError, match="got none at 5"):
        ordinal_logistic(Survey(svy.data.assign(yc=cat), design=svy.design), "yc ~ x")


# ---- the structured derivatives against finite differences of the log-likelihood ------------

# Central differences with step 1e-5 on a log-likelihood of size ~1e3: truncation ~1e-10 and
# rounding ~1e-16 * 1e3 / 1e-5 ~ 1e-8 absolute; relative to entries of size 1..1e3.
FD_STEP = 1e-5
FD_RTOL = 1e-6


def _olr_problem(seed: int = 11, n: int = 400):
    from surveykit.models._olr_fit import _onehot

    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.normal(size=(n, 3)))
    codes = rng.integers(0, 4, n)
    w = rng.uniform(0.2, 3.0, n)
    phi = np.array([0.4, -0.3, 0.2, -1.0, 0.1, 1.2])  # off the optimum: the score is not 0
    return X, codes, w, phi, _onehot(codes, 3)


def test_olr_score_and_hessian_match_finite_differences():
    from surveykit.models._olr_fit import _OlrPass, _score_rows, olr_log_lik

    X, codes, w, phi, onehot = _olr_problem()
    at = _OlrPass(phi, X, codes, w, 3, onehot)
    assert at.ll == pytest.approx(olr_log_lik(phi, X, codes, w), rel=1e-14)
    eye = np.eye(phi.size) * FD_STEP
    grad = np.array(
        [(olr_log_lik(phi + e, X, codes, w) - olr_log_lik(phi - e, X, codes, w)) / (2 * FD_STEP) for e in eye]
    )
    np.testing.assert_allclose(at.grad, grad, rtol=FD_RTOL)
    hess = np.column_stack(
        [
            (_OlrPass(phi + e, X, codes, w, 3, onehot).grad - _OlrPass(phi - e, X, codes, w, 3, onehot).grad)
            / (2 * FD_STEP)
            for e in eye
        ]
    )
    np.testing.assert_allclose(at.hess, hess, rtol=FD_RTOL, atol=FD_RTOL * np.abs(hess).max())
    np.testing.assert_allclose(_score_rows(X, w, at, onehot, 3).sum(axis=0), at.grad, rtol=1e-12)


def test_olr_pass_outside_the_parameter_space_is_minus_infinity():
    from surveykit.models._olr_fit import _OlrPass

    X, codes, w, phi, onehot = _olr_problem()
    phi[3:] = [0.5, 0.1, 1.2]  # thresholds out of order
    assert _OlrPass(phi, X, codes, w, 3, onehot).ll == -np.inf


# --- planted degenerate data: a ModelError with a reason, never a LinAlgError ---------------

NO_MAXIMUM = r"ordinal model 'y ~ .*' cannot be estimated: its likelihood has no finite maximum.*separation"


@pytest.mark.parametrize(
    "data, formula",
    [
        (pd.DataFrame({"y": [1, 1, 1, 2, 2, 2, 3, 3, 3], "x": np.arange(1.0, 10.0)}), "y ~ x"),  # complete
        (pd.DataFrame({"y": [1, 1, 1, 2, 2, 2, 3, 3, 3], "x": [1, 2, 3, 3, 5, 6, 6, 8, 9.0]}), "y ~ x"),  # quasi
        (pd.DataFrame({"y": [1, 1, 2, 2, 3, 3, 1, 2, 3, 2], "g": list("aabbccabcb")}), "y ~ C(g)"),
        (
            pd.DataFrame({"y": [1, 2, 3, 2], "x": [1.0, 3, 2, 0], "z": [0, 1, 1, 0.0]}),
            "y ~ x + z",
        ),  # 4 rows, 4 parameters
    ],
)
def test_separated_or_saturated_ordinal_models_end_in_model_error(data, formula):
    with pytest.raises(ModelError, match=NO_MAXIMUM) as info:
        ordinal_logistic(Survey(data), formula)
    assert "Merge neighbouring response categories" in str(info.value)


def test_more_parameters_than_rows_is_a_model_error():
    data = pd.DataFrame(
        {"y": [1, 2, 3, 1], "x": [1.0, 2, 3, 4], "z": [0, 1, 0, 1.0], "a": [1, 2, 3, 5.0], "b": [3, 1, 2, 2.0]}
    )
    with pytest.raises(ModelError, match=r"linearly independent columns"):
        ordinal_logistic(Survey(data), "y ~ x + z + a + b")


@pytest.mark.parametrize(
    "y, shown",
    [([2] * 6, "2"), (list("bbbbbb"), "'b'"), (pd.Categorical(["b"] * 6, categories=list("abc"), ordered=True), "'b'")],
)
def test_constant_ordinal_response_says_so(y, shown):
    data = pd.DataFrame({"y": y, "x": np.arange(6.0)})
    with pytest.raises(
        ModelError,
        match=rf"response 'y' of 'y ~ x' must vary .*it is constant: all 6 rows "
        rf"have {shown}\..*Survey.proportion",
    ):
        ordinal_logistic(Survey(data), "y ~ x")


def test_constant_response_within_a_domain_counts_the_domain_rows():
    data = pd.DataFrame({"y": [1, 2, 3, 2, 2, 2, 2], "x": np.arange(7.0), "d": [0, 0, 0, 1, 1, 1, 1]})
    with pytest.raises(ModelError, match=r"it is constant: all 4 rows have 2\."):
        ordinal_logistic(Survey(data).domain("d == 1"), "y ~ x")


def test_singular_wald_covariance_is_a_model_error():
    from surveykit.models._inference import numerical_guard, wald

    with pytest.raises(ModelError, match=r"cannot be computed: the covariance of the tested coefficients is singular"):
        wald(np.array([1.0, 2.0]), np.zeros((2, 2)), np.eye(2), 10.0, ("a", "b"))
    with pytest.raises(ModelError, match=r"ordinal model 'y ~ x' cannot be estimated: a matrix of the fit is singular"):
        with numerical_guard("ordinal model", "y ~ x"):
            np.linalg.inv(np.zeros((2, 2)))
