"""surveykit.models.logistic against R svyglm/regTermTest goldens (tests/golden/r/models.R)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveykit import Design, Survey
from surveykit.errors import DataError, ModelError, SeparationWarning
from surveykit.models import logistic
from surveykit.models._firth import penalised_log_lik

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "models.json").read_text())
API = HERE / "data" / "api"

# Both sides run Newton/IRLS to ~1e-14 (R: glm.control(epsilon = 1e-14)); what remains is
# floating-point summation order, measured at < 1e-8 relative. The tolerances leave margin.
COEF_RTOL = 1e-7
SE_RTOL = 1e-6
P_RTOL = 1e-6  # p-values and CI bounds inherit the SE error through smooth functions
ABS_FLOOR = 1e-12  # for values that are exactly 0 in R

DESIGNS = {
    "apistrat": Design(weights="pw", strata="stype", fpc="fpc"),
    "apiclus1": Design(weights="pw", ids="dnum", fpc="fpc"),
    "apiclus2": Design(weights="pw", ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
}


def api_survey(name: str) -> Survey:
    return Survey(pd.read_csv(API / f"{name}.csv"), design=DESIGNS[name])


def py_formula(r_formula: str) -> str:
    rhs = r_formula.split("~")[1].replace("acs.k3", 'Q("acs.k3")')
    return 'I(Q("sch.wide") == "Yes") ~' + rhs


@pytest.fixture(scope="module", params=sorted(GOLDEN["glm"]))
def case(request):
    g = GOLDEN["glm"][request.param]
    svy = api_survey(g["data"])
    return g, svy, logistic(svy, py_formula(g["formula"]), family=g["family"])


def test_coefficients_ses_and_cis_match_svyglm(case):
    g, _, res = case
    c, gc = res.coef, g["coef"]
    np.testing.assert_allclose(c["estimate"], gc["estimate"], rtol=COEF_RTOL)
    np.testing.assert_allclose(c["se"], gc["se"], rtol=SE_RTOL)
    np.testing.assert_allclose(c["t"], gc["t"], rtol=SE_RTOL)
    np.testing.assert_allclose(c["p_value"], gc["p_value"], rtol=P_RTOL)
    np.testing.assert_allclose(c["ci_low"], gc["ci_low"], rtol=P_RTOL)
    np.testing.assert_allclose(c["ci_high"], gc["ci_high"], rtol=P_RTOL)
    np.testing.assert_allclose(res.vcov, np.array(g["vcov"]), rtol=SE_RTOL, atol=ABS_FLOOR)
    np.testing.assert_allclose(c["odds_ratio"], np.exp(gc["estimate"]), rtol=COEF_RTOL)


def test_design_facts_match_svyglm(case):
    g, _, res = case
    assert res.df_resid == g["df_resid"]
    assert res.n == g["n"]
    assert res.weighted_n == pytest.approx(g["weighted_n"], rel=1e-12)
    assert res.pseudo_r2 == pytest.approx(g["mcfadden"], rel=COEF_RTOL)


def test_ci_level_follows_alpha(case):
    g, svy, _ = case
    res = logistic(svy, py_formula(g["formula"]), alpha=0.10)
    np.testing.assert_allclose(res.coef["ci_low"], g["ci90"]["ci_low"], rtol=P_RTOL)
    np.testing.assert_allclose(res.coef["ci_high"], g["ci90"]["ci_high"], rtol=P_RTOL)


def test_predict_matches_predict_svyglm(case):
    g, svy, res = case
    new = svy.data.iloc[[r - 1 for r in g["predict_rows"]]]
    link = res.predict(new, type="link")
    resp = res.predict(new, type="response")
    np.testing.assert_allclose(link["estimate"], g["predict_link"], rtol=COEF_RTOL)
    np.testing.assert_allclose(link["se"], g["predict_link_se"], rtol=SE_RTOL)
    np.testing.assert_allclose(resp["estimate"], g["predict_response"], rtol=COEF_RTOL)
    np.testing.assert_allclose(resp["se"], g["predict_response_se"], rtol=SE_RTOL)


def test_missing_covariates_drop_psus_from_df_like_r():
    g = GOLDEN["glm"]["apiclus2_na_quasibinomial"]
    full = GOLDEN["glm"]["apiclus2_quasibinomial"]
    assert g["df_resid"] < full["df_resid"]  # the golden really exercises dropped PSUs
    res = logistic(api_survey("apiclus2"), py_formula(g["formula"]))
    assert (res.df_resid, res.n) == (g["df_resid"], g["n"])


def test_wald_term_test_matches_regtermtest():
    t = GOLDEN["term_tests"]
    res = logistic(api_survey("apistrat"), 'I(Q("sch.wide") == "Yes") ~ ell + meals + C(stype)')
    r_names = [n.replace("stype", "C(stype)[T.") + "]" if n.startswith("stype") else n for n in t["coef"]["term"]]
    ours = res.coef.set_index("term").loc[[n.replace("(Intercept)", "Intercept") for n in r_names]]
    np.testing.assert_allclose(ours["estimate"], t["coef"]["estimate"], rtol=COEF_RTOL)
    np.testing.assert_allclose(ours["se"], t["coef"]["se"], rtol=SE_RTOL)
    test = res.wald_test("stype")
    assert (test.df, test.ddf) == (t["stype_df"], t["stype_ddf"])
    assert pytest.approx(t["stype_F"], rel=SE_RTOL) == test.F
    assert test.p_value == pytest.approx(t["stype_p"], rel=P_RTOL)
    assert test.chisq == pytest.approx(t["stype_chisq"], rel=SE_RTOL)
    assert test.chisq_p_value == pytest.approx(t["stype_chisq_p"], rel=P_RTOL)
    single = res.wald_test(["meals"])
    assert pytest.approx(t["meals_F"], rel=SE_RTOL) == single.F
    assert single.p_value == pytest.approx(t["meals_p"], rel=P_RTOL)


def test_wald_test_unknown_term_is_a_model_error():
    res = logistic(api_survey("apistrat"), 'I(Q("sch.wide") == "Yes") ~ ell + meals')
    with pytest.raises(ModelError, match="wald_test terms must name one model term; got 'mels'"):
        res.wald_test("mels")


# ---- random data: AMEs, AUC, invariances ---------------------------------------------------


def random_survey(n: int = 600, seed: int = 3) -> Survey:
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, 40, n)
    g = rng.choice(["a", "b", "c"], n)
    x = rng.normal(size=n)
    z = rng.uniform(0, 2, n)
    eta = -0.3 + 0.8 * x - 0.5 * z + np.where(g == "b", 0.7, np.where(g == "c", -0.4, 0.0))
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    data = pd.DataFrame({"y": y, "x": x, "z": z, "g": g, "psu": psu, "st": psu // 10, "w": rng.uniform(0.5, 3, n)})
    return Survey(data, design=Design(weights="w", strata="st", ids="psu"))


def test_ames_match_numerical_derivatives_of_predictions():
    svy = random_survey()
    res = logistic(svy, "y ~ x + I(z**2) + x:z + C(g)")
    ame = res.marginal_effects().to_frame().set_index(["variable", "contrast"])
    data, w = svy.data, svy.weights
    h = 1e-5  # central difference on the prediction path: error O(h^2) ~ 1e-10
    for v in ("x", "z"):
        up = res.predict(data.assign(**{v: data[v] + h}))["estimate"].to_numpy()
        dn = res.predict(data.assign(**{v: data[v] - h}))["estimate"].to_numpy()
        numeric = np.sum(w * (up - dn) / (2 * h)) / w.sum()
        assert ame.loc[(v, "dy/dx"), "estimate"] == pytest.approx(numeric, rel=1e-7)
    base = res.predict(data.assign(g="a"))["estimate"].to_numpy()
    for level in ("b", "c"):
        p1 = res.predict(data.assign(g=level))["estimate"].to_numpy()
        expected = np.sum(w * (p1 - base)) / w.sum()
        assert ame.loc[("g", f"{level} - a"), "estimate"] == pytest.approx(expected, rel=1e-12)
    assert (ame["se"] > 0).all()


def test_weighted_auc_matches_sklearn():
    from sklearn.metrics import roc_auc_score

    svy = random_survey()
    res = logistic(svy, "y ~ x + z")
    p = res.predict(svy.data)["estimate"]
    expected = roc_auc_score(svy.data["y"], p, sample_weight=svy.weights)
    assert res.auc == pytest.approx(expected, rel=1e-12)


def test_scaling_weights_changes_nothing():
    svy = random_survey()
    a = logistic(svy, "y ~ x + C(g)")
    b = logistic(svy.with_weights(svy.weights * 7.5), "y ~ x + C(g)")
    np.testing.assert_allclose(a.coef["estimate"], b.coef["estimate"], rtol=1e-10)
    np.testing.assert_allclose(a.coef["se"], b.coef["se"], rtol=1e-9)


def test_result_is_frozen_and_serialisable():
    res = logistic(random_survey(), "y ~ x + C(g)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.alpha = 0.1
    d = json.loads(json.dumps(res.to_dict()))
    assert [r["term"] for r in d["coef"]] == list(res.coef["term"])
    text, html = str(res.summary()), res.summary().to_html()
    assert "C(g)[T.b]" in text and "residual design df" in text and "<table" in html
    forest = res.forest_frame()
    assert list(forest.columns) == ["term", "label", "or", "ci_low", "ci_high", "p_value"]
    assert list(forest["label"]) == ["g: b", "g: c", "x"]


# ---- separation and Firth -------------------------------------------------------------------


def separated_survey() -> Survey:
    x = np.linspace(-1, 1, 40)
    data = pd.DataFrame({"y": (x > 0).astype(int), "x": x, "psu": np.arange(40) % 10, "w": np.tile([1.0, 2.0], 20)})
    return Survey(data, design=Design(weights="w", ids="psu"))


def test_separation_warns_and_plain_ml_diverges():
    with pytest.warns(SeparationWarning, match="separation"):
        res = logistic(separated_survey(), "y ~ x", firth=False)
    assert res.separation
    assert abs(res.params[1]) > 50  # ML runs off towards infinity


def test_firth_is_used_automatically_and_stays_finite():
    svy = separated_survey()
    with pytest.warns(SeparationWarning, match="Firth"):
        res = logistic(svy, "y ~ x")
    assert res.method == "Firth penalised ML" and res.converged
    assert any("Firth" in n for n in res.notices)
    assert np.all(np.isfinite(res.coef[["estimate", "se"]].to_numpy()))
    assert 1 < res.params[1] < 50


def test_firth_maximises_the_penalised_likelihood():
    from scipy.optimize import minimize

    svy = separated_survey()
    with pytest.warns(SeparationWarning):
        res = logistic(svy, "y ~ x", firth=True)
    X = np.column_stack([np.ones(40), svy.data["x"]])
    y, w = svy.data["y"].to_numpy(float), svy.weights / svy.weights.mean()
    opt = minimize(lambda b: -penalised_log_lik(b, X, y, w), np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(res.params, opt.x, rtol=1e-5)


def test_firth_on_request_without_separation_notes_it():
    res = logistic(random_survey(), "y ~ x", firth=True)
    assert res.method == "Firth penalised ML" and not res.separation
    ml = logistic(random_survey(), "y ~ x", firth=False)
    assert np.all(np.abs(res.params) < np.abs(ml.params))  # shrinks towards 0


# ---- bad input ------------------------------------------------------------------------------


def test_unknown_column_suggests_the_close_name():
    with pytest.raises(DataError, match="Did you mean 'x'"):
        logistic(random_survey(), "y ~ xx")


def test_non_binary_response_names_rows():
    svy = random_survey()
    with pytest.raises(ModelError, match=r"response 'x' must be 0/1.*rows 1, 2, 3"):
        logistic(svy, "x ~ z")


def test_aliased_columns_are_a_model_error():
    svy = random_survey()
    data = svy.data.assign(x2=svy.data["x"] * 2)
    with pytest.raises(ModelError, match="linearly independent"):
        logistic(Survey(data, design=svy.design), "y ~ x + x2")


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"family": "gaussian"}, "family must be"),
        ({"firth": "yes"}, "firth must be"),
        ({"alpha": 1.5}, "alpha must be"),
    ],
)
def test_bad_arguments(kw, msg):
    with pytest.raises(ModelError, match=msg):
        logistic(random_survey(), "y ~ x", **kw)


def test_lazy_auc_is_cached_and_serialised():
    res = logistic(random_survey(), "y ~ x + z")
    first = res.auc
    assert 0.5 < first < 1.0 and res.auc is first  # computed once, then served from the cache
    assert res.to_dict()["auc"] == first
    assert f"{first:.4f}" in str(res.summary())


@pytest.mark.parametrize("formula", ["y ~ x + z", "y ~ z + x - 1", "y ~ 0 + x", "x ~ z"])
def test_numeric_formulas_build_what_patsy_builds(formula):
    import patsy  # the reference, on safe formulas only

    from surveykit.models._formula import model_frame

    data = random_survey().data
    data.loc[[3, 17, 250], "x"] = np.nan  # incomplete rows are left out by both
    data.loc[[40], "y"] = np.nan
    mf = model_frame(formula, data)
    y, X = patsy.dmatrices(formula, data, return_type="dataframe")
    np.testing.assert_array_equal(mf.X, X.to_numpy())  # X, bit for bit
    np.testing.assert_array_equal(np.flatnonzero(mf.keep), X.index.to_numpy())  # complete rows
    assert mf.columns == tuple(X.columns)
    pd.testing.assert_frame_equal(mf.y_frame, y.set_axis(y.index.to_numpy()), check_index_type=False)
    assert mf.X.flags.f_contiguous


def test_sandwich_equals_the_design_variance_of_the_influence_rows_after_calibration():
    # The sandwich takes A^-1 V(scores) A^-1 instead of V(scores @ A^-1), as svyglm forms it;
    # that needs every design step, calibration included, to be linear in the rows.
    from surveykit.design.variance import design_vcov
    from surveykit.models._fitdesign import model_design, sandwich
    from surveykit.models._formula import binary_response, model_frame
    from surveykit.models._glm import fit_logistic
    from surveykit.weighting import calibrate, rake

    base = api_survey("apistrat")
    pop = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069}
    formula = 'I(Q("sch.wide") == "Yes") ~ ell + meals'
    for svy in (calibrate(base, ["stype", "api99"], pop), rake(base, {"stype": {"E": 4421, "H": 755, "M": 1018}})):
        assert svy.resolved.calibrations  # the check is about calibrated designs
        mf = model_frame(formula, svy.data)
        md = model_design(svy, mf)
        fit = fit_logistic(mf.X, binary_response(mf), md.w)
        infl = np.zeros((md.keep.size, mf.X.shape[1]))
        infl[md.keep] = fit.scores @ np.linalg.pinv(fit.info)
        np.testing.assert_allclose(sandwich(fit, md), design_vcov(infl, md.rd), rtol=1e-10)


def test_fits_restore_the_callers_blas_threads():
    from threadpoolctl import threadpool_info, threadpool_limits

    from surveykit.models import ordinal_logistic

    def blas_threads():  # per library (a fit may load another one, e.g. scipy's, lazily)
        return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    svy = random_survey()
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        logistic(svy, "y ~ x + z")
        ordinal_logistic(svy.with_weights(svy.weights), "I(max(min(round(x), 1), -1)) ~ z")
        after = blas_threads()
        assert before and {k: after[k] for k in before} == before


# --- constant responses and numerical failures ------------------------------------------------


@pytest.mark.parametrize("y, shown", [([1] * 6, "1"), ([0] * 6, "0"), ([True] * 6, "'True'"), (list("aaaaaa"), "'a'")])
@pytest.mark.parametrize("firth", ["auto", True, False])
def test_constant_response_is_a_model_error_not_a_separation_warning(y, shown, firth):
    import warnings

    data = pd.DataFrame({"y": y, "x": np.arange(6.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        with pytest.raises(
            ModelError,
            match=rf"response 'y' of 'y ~ x' must vary among the complete rows with "
            rf"positive weight; it is constant: all 6 rows have {shown}\.",
        ):
            logistic(Survey(data), "y ~ x", firth=firth)


def test_constant_response_among_complete_cases_only():
    data = pd.DataFrame({"y": [1, 1, 1, 1, 0], "x": [1.0, 2, 3, 4, np.nan]})
    with pytest.raises(ModelError, match=r"it is constant: all 4 rows have 1\."):
        logistic(Survey(data), "y ~ x")


def test_firth_survives_a_singular_information_matrix():
    from surveykit.models._firth import _modified_scores

    X = np.array([[1.0, 800.0], [1.0, -800.0], [1.0, 900.0]])
    scores, info, inv, p = _modified_scores(X, np.array([1.0, 0.0, 1.0]), np.ones(3), np.array([0.0, 1.0]))
    assert np.all(np.isfinite(inv)) and np.all(np.isfinite(scores))
