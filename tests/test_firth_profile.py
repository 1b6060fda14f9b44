"""Firth fits: profile penalised-likelihood CIs, penalised LR tests, FLIC and frequency weights,
against the exact R reference of tests/golden/r/firth.R (logistf's quantities from first
principles, on logistf's sex2 data; tests/data/models/sex2.csv)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveykit import Design, Survey
from surveykit.errors import ModelError, SeparationWarning
from surveykit.models import logistic

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "firth.json").read_text())
SEX2 = HERE / "data" / "models" / "sex2.csv"
FORMULA = "case ~ age + oc + vic + vicl + vis + dia"

# Both sides solve the penalised score to ~1e-13 and the interval ends to ~1e-11 (R uniroot
# tol 1e-12, scipy brentq xtol 1e-11); measured differences are < 1e-9.
COEF_ATOL = 1e-8
CI_ATOL = 1e-6
P_ATOL = 1e-8


def sex2() -> pd.DataFrame:
    return pd.read_csv(SEX2)


def design_frame() -> pd.DataFrame:
    d = sex2()
    i = np.arange(len(d))
    d["w"] = 1 + (i % 4) / 2  # as firth.R: w = 1 + ((row - 1) %% 4) / 2, clusters of 3 rows
    d["cl"] = i // 3 + 1
    return d


def fit(svy: Survey, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        return logistic(svy, FORMULA, **kw)


@pytest.fixture(scope="module")
def srs_fit():
    return fit(Survey(sex2()))


@pytest.fixture(scope="module")
def design_fit():
    return fit(Survey(design_frame(), Design(ids="cl", weights="w")))


def test_separation_switches_firth_on_and_warns():
    with pytest.warns(SeparationWarning, match="Firth"):
        res = logistic(Survey(sex2()), FORMULA)
    assert res.method == "Firth penalised ML" and res.separation


def test_srs_estimates_equal_logistf(srs_fit):
    g = GOLDEN["srs"]
    assert list(srs_fit.coef["term"]) == g["term"]
    np.testing.assert_allclose(srs_fit.params, g["estimate"], rtol=0, atol=COEF_ATOL)
    # logistf's published values for sex2 (rounded): dia 3.0960, age -1.1060
    assert srs_fit.params[-1] == pytest.approx(3.0960, abs=5e-5)


def test_srs_profile_ci_and_penalised_lr_test_equal_logistf(srs_fit):
    g, c = GOLDEN["srs"], srs_fit.coef
    np.testing.assert_allclose(c["ci_low"], g["ci_low"], rtol=0, atol=CI_ATOL)
    np.testing.assert_allclose(c["ci_high"], g["ci_high"], rtol=0, atol=CI_ATOL)
    np.testing.assert_allclose(c["lr_chisq"], g["chisq"], rtol=0, atol=P_ATOL)
    np.testing.assert_allclose(c["p_value"], g["p_value"], rtol=1e-7, atol=P_ATOL)
    np.testing.assert_allclose(c["or_ci_high"], np.exp(g["ci_high"]), rtol=1e-6)
    assert srs_fit.deff == 1.0
    assert set(c["ci_kind"]) == {"profile penalised likelihood"}
    assert set(c["p_kind"]) == {"penalised likelihood ratio"}


def test_separated_term_has_no_wald_statistic(srs_fit):
    c = srs_fit.coef.set_index("term")
    assert list(c.index[c["separated"]]) == ["dia"]
    assert np.isnan(c.loc["dia", "t"]) and np.isfinite(c.loc["age", "t"])
    # the collapsed sandwich would give a far narrower Wald interval than the profile
    lo, hi = c.loc["dia", ["ci_low", "ci_high"]]
    assert hi - lo > 7.0 > 4 * 1.96 * c.loc["dia", "se"]


def test_flic_predictions_equal_r(srs_fit):
    g = GOLDEN["srs"]["flic"]
    assert srs_fit.flic_params[0] == pytest.approx(g["intercept"], abs=1e-9)
    np.testing.assert_allclose(srs_fit.flic_params[1:], srs_fit.params[1:])
    pred = srs_fit.predict()["estimate"].to_numpy()
    np.testing.assert_allclose(pred[:10], g["fitted_first10"], rtol=0, atol=1e-9)
    # FLIC: mean fitted probability equals the event rate (Firth's intercept does not)
    assert pred.mean() == pytest.approx(g["mean_fitted"], abs=1e-10)
    assert pred.mean() == pytest.approx(sex2()["case"].mean(), abs=1e-10)


def test_marginal_effects_use_the_flic_intercept(srs_fit):
    from scipy.special import expit

    ame = srs_fit.marginal_effects().to_frame().set_index("variable")
    X = srs_fit._mf.X
    b = srs_fit.flic_params
    # dia is numeric 0/1 in sex2: its AME is the mean slope dP/d(dia) at the FLIC coefficients
    p = expit(X @ b)
    want = float(np.mean(p * (1 - p) * b[-1]))
    assert ame.loc["dia", "estimate"] == pytest.approx(want, rel=1e-7)
    p_firth = expit(X @ srs_fit.params)
    assert abs(float(np.mean(p_firth * (1 - p_firth) * b[-1])) - want) > 5e-6


def test_design_profile_is_rescaled_by_the_stable_design_effect(design_fit):
    g, c = GOLDEN["design"], design_fit.coef
    np.testing.assert_allclose(design_fit.params, g["estimate"], rtol=0, atol=COEF_ATOL)
    np.testing.assert_allclose(c["se"], g["se"], rtol=1e-8)
    assert design_fit.deff == pytest.approx(g["deff"], rel=1e-9)
    np.testing.assert_allclose(c["ci_low"], g["ci_low"], rtol=0, atol=CI_ATOL)
    np.testing.assert_allclose(c["ci_high"], g["ci_high"], rtol=0, atol=CI_ATOL)
    np.testing.assert_allclose(c["lr_chisq"], g["chisq"], rtol=0, atol=P_ATOL)
    np.testing.assert_allclose(c["p_value"], g["p_value"], rtol=1e-7, atol=P_ATOL)
    assert set(c["ci_kind"]) == {"profile penalised likelihood / design effect"}
    assert design_fit.flic_params[0] == pytest.approx(g["flic"]["intercept"], abs=1e-9)
    assert "design effect 2.165" in str(design_fit.summary())


def test_equal_weights_other_than_one_still_give_logistf(srs_fit):
    d = sex2()
    d["w"] = 7.5
    res = fit(Survey(d, Design(weights="w")))
    assert res.deff == 1.0
    np.testing.assert_allclose(res.coef["ci_low"], srs_fit.coef["ci_low"], atol=1e-9)


def aggregated() -> pd.DataFrame:
    d = sex2()
    cols = list(d.columns)
    return d.groupby(cols).size().rename("n").reset_index()


def test_frequency_weights_reproduce_the_individual_level_fit(srs_fit):
    agg = aggregated()
    assert len(agg) < len(sex2())
    res = fit(Survey(agg, Design(weights="n")), weights_are="frequency")
    g = GOLDEN["srs"]
    np.testing.assert_allclose(res.params, g["estimate"], rtol=0, atol=COEF_ATOL)
    np.testing.assert_allclose(res.coef["ci_low"], g["ci_low"], rtol=0, atol=CI_ATOL)
    np.testing.assert_allclose(res.coef["ci_high"], g["ci_high"], rtol=0, atol=CI_ATOL)
    np.testing.assert_allclose(res.coef["p_value"], g["p_value"], rtol=1e-7, atol=P_ATOL)
    # model-based SEs of the individual-level fit (logistf's vcov)
    np.testing.assert_allclose(res.coef["se"], g["model_se"], rtol=1e-7)
    assert res.df_resid == 239 - 7 and res.weights_are == "frequency"
    assert res.flic_params[0] == pytest.approx(g["flic"]["intercept"], abs=1e-9)


def test_sampling_weights_on_aggregated_rows_differ_from_frequency():
    res = fit(Survey(aggregated(), Design(weights="n")))
    assert abs(res.params[-1] - GOLDEN["srs"]["estimate"][-1]) > 1e-3


def test_frequency_weights_refuse_a_clustered_design():
    with pytest.raises(ModelError, match=r'weights_are="frequency" needs a design without strata, clusters'):
        fit(Survey(design_frame(), Design(ids="cl", weights="w")), weights_are="frequency")


def test_bad_weights_are_is_a_model_error():
    with pytest.raises(ModelError, match=r'weights_are must be "sampling" or "frequency"; got \'freq\''):
        logistic(Survey(sex2()), FORMULA, weights_are="freq")


def test_ml_fits_name_their_wald_interval():
    d = sex2()
    res = logistic(Survey(d), "case ~ age + oc + vic")
    assert set(res.coef["ci_kind"]) == {"Wald (t, residual design df)"}
    assert set(res.coef["p_kind"]) == {"Wald t"} and not res.coef["separated"].any()
    assert np.isnan(res.deff) and res.flic_params is None


def test_frequency_weights_ml_fit_equals_glm_on_the_individual_rows():
    g = GOLDEN["ml_individual"]
    agg = aggregated()
    res = logistic(Survey(agg, Design(weights="n")), "case ~ age + oc + vic", weights_are="frequency")
    assert not res.separation and res.method == "weighted ML (pseudo-likelihood)"
    np.testing.assert_allclose(res.params, g["estimate"], rtol=1e-9)
    np.testing.assert_allclose(res.coef["se"], g["se"], rtol=1e-8)
    assert res.df_resid == g["df_residual"]


def test_plain_ml_under_separation_gives_no_wald_inference_for_the_separated_term():
    with pytest.warns(SeparationWarning, match="refit with firth=True"):
        res = logistic(Survey(sex2()), FORMULA, firth=False)
    c = res.coef.set_index("term")
    assert c.loc["dia", "separated"] and not c.loc["age", "separated"]
    assert c.loc[["dia"], ["t", "p_value", "ci_low", "ci_high", "or_ci_low", "or_ci_high"]].isna().all(axis=None)
    assert c.loc["dia", "ci_kind"].startswith("none (separated")
    assert np.isfinite(c.loc["age", "ci_low"]) and c.loc["age", "ci_kind"] == "Wald (t, residual design df)"


def test_a_design_without_sampling_variance_has_no_design_effect():
    d = design_frame()
    d["N"] = len(d)  # a census: fpc = 1, the design variance is zero
    with pytest.raises(
        ModelError,
        match=r"the design effect for the Firth profile intervals must "
        r"be a positive number; got 0\.0",
    ):
        fit(Survey(d, Design(weights="w", fpc="N")))


def test_a_domain_is_fitted_as_its_own_sample():
    """Weights are scaled over the rows in the fit: a Firth fit in a domain (weight 0 outside)
    equals the fit of the domain's rows alone, as R logistf on the subset (found by a second,
    independent implementation: the domain fit was off by 0.7 on a separated coefficient)."""
    d = sex2()
    inside = np.arange(len(d)) % 3 != 0
    alone = fit(Survey(d[inside].reset_index(drop=True)))
    domain = fit(Survey(d).domain(inside))
    # the estimates are the subset's; the intervals differ by the domain's design effect (domain
    # estimation keeps the rows outside with weight 0, so the profile is rescaled as under a design)
    np.testing.assert_allclose(
        domain.coef["estimate"].to_numpy(float), alone.coef["estimate"].to_numpy(float), rtol=1e-8, atol=1e-10
    )
