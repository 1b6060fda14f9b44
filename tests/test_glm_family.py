"""surveykit.models.linear / poisson against R svyglm(gaussian / quasipoisson) goldens
(tests/golden/r/glm_family.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveykit import Design, Survey
from surveykit.errors import ModelError
from surveykit.models import GLMResult, linear, poisson

HERE = Path(__file__).parent
GOLDEN_ALL = json.loads((HERE / "golden" / "glm_family.json").read_text())
GOLDEN = GOLDEN_ALL["cases"]
API = HERE / "data" / "api"
DESIGNS = {
    "apistrat": Design(weights="pw", strata="stype", fpc="fpc"),
    "apiclus1": Design(weights="pw", ids="dnum", fpc="fpc"),
    "apiclus2": Design(weights="pw", ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
}
# R's IRLS stops on the relative deviance change (epsilon = 1e-14); with counts in the hundreds
# (enroll) its last working weights trail the coefficients by ~3e-8 relative in the SEs;
# `se_exact` (the sandwich at the converged coefficients, built in the R script) is exact.
COEF_RTOL = 1e-9
SE_RTOL = 1e-7


def api(name: str) -> Survey:
    return Survey(pd.read_csv(API / f"{name}.csv"), design=DESIGNS[name])


def py_formula(r: str) -> str:
    return r.replace("stype", "C(stype)").replace("api.stu", 'Q("api.stu")').replace("acs.k3", 'Q("acs.k3")')


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_matches_svyglm(case):
    g = GOLDEN[case]
    fn = linear if g["family"] == "gaussian" else poisson
    res = fn(api(g["data"]), py_formula(g["formula"]))
    assert isinstance(res, GLMResult) and res.family == g["family"]
    assert res.n == g["n"] and res.df_resid == g["df_resid"]
    np.testing.assert_allclose(res.params, g["estimate"], rtol=COEF_RTOL, atol=1e-12)
    c = res.coef
    np.testing.assert_allclose(c["se"], g["se"], rtol=SE_RTOL)
    np.testing.assert_allclose(c["se"], g["se_exact"], rtol=1e-10)  # sandwich at the optimum
    V = np.array(g["vcov"])
    scale = np.sqrt(np.outer(np.diag(V), np.diag(V)))  # compare on the correlation scale
    np.testing.assert_allclose(res.vcov / scale, V / scale, rtol=0, atol=SE_RTOL)
    np.testing.assert_allclose(c["t"], g["t"], rtol=SE_RTOL)
    np.testing.assert_allclose(c["p_value"], g["p_value"], rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(c["ci_low"], g["ci_low"], rtol=SE_RTOL)
    np.testing.assert_allclose(c["ci_high"], g["ci_high"], rtol=SE_RTOL)
    data = pd.read_csv(API / f"{g['data']}.csv")
    vars_ = [
        v.replace("C(", "").replace(")", "")
        for v in ["api00", "ell", "meals", "mobility", "stype", "acs.k3", "api.stu", "enroll"]
    ]
    rows = data.dropna(subset=[v for v in vars_ if v in g["formula"]]).head(5)
    link = res.predict(rows, type="link")
    resp = res.predict(rows)
    np.testing.assert_allclose(link["estimate"], g["predict_link"], rtol=1e-9)
    np.testing.assert_allclose(link["se"], g["predict_link_se"], rtol=1e-7)
    np.testing.assert_allclose(resp["estimate"], g["predict_response"], rtol=1e-9)
    np.testing.assert_allclose(resp["se"], g["predict_response_se"], rtol=1e-7)


def test_poisson_rate_ratios_and_forest():
    res = poisson(api("apiclus1"), "enroll ~ ell + meals + mobility")
    c = res.coef
    np.testing.assert_allclose(c["rate_ratio"], np.exp(c["estimate"]))
    np.testing.assert_allclose(c["rr_ci_high"], np.exp(c["ci_high"]))
    assert list(res.forest_frame()["term"]) == ["ell", "meals", "mobility"]
    assert "Survey Poisson (log-linear) regression" in str(res.summary())


def test_linear_marginal_effects_are_the_slopes():
    res = linear(api("apiclus1"), "api00 ~ ell + meals")
    ame = res.marginal_effects().to_frame().set_index("variable")
    np.testing.assert_allclose(ame.loc[["ell", "meals"], "estimate"], res.params[1:], rtol=1e-8)
    np.testing.assert_allclose(ame.loc[["ell", "meals"], "se"], res.coef["se"][1:], rtol=1e-6)
    with pytest.raises(ModelError, match="forest_frame needs a ratio scale"):
        res.forest_frame()


def test_bad_responses_are_model_errors():
    d = pd.read_csv(API / "apiclus1.csv")
    d["neg"] = d["growth"]
    svy = Survey(d, DESIGNS["apiclus1"])
    with pytest.raises(
        ModelError, match=r"the response 'neg' of a Poisson model must be >= 0 .*negative values \(rows"
    ):
        poisson(svy, "neg ~ ell")
    with pytest.raises(
        ModelError, match=r"the response of 'stype ~ ell' must be numeric; got a categorical response with 3 levels"
    ):
        linear(svy, "stype ~ ell")
    with pytest.raises(ModelError, match="alpha must be a number between 0 and 1"):
        linear(svy, "api00 ~ ell", alpha=0)


def test_generalised_vif_equals_the_r_formula():
    g = GOLDEN_ALL["vif"]["apistrat"]
    res = linear(api("apistrat"), "api00 ~ C(stype) + ell + meals + mobility")
    v = res.vif()
    assert list(v["term"]) == ["C(stype)", "ell", "meals", "mobility"]
    np.testing.assert_allclose(v["gvif"], g["gvif"], rtol=1e-10)
    assert list(v["df"]) == g["df"]
    np.testing.assert_allclose(v["gvif_adj"], np.asarray(g["gvif"]) ** (1 / (2 * np.asarray(g["df"]))))
    # the same check on a logistic model of the same predictors (weights, not the outcome, matter)
    from surveykit.models import logistic

    lg = logistic(api("apistrat"), 'I(Q("sch.wide") == "Yes") ~ C(stype) + ell + meals + mobility')
    np.testing.assert_allclose(lg.vif()["gvif"], g["gvif"], rtol=1e-10)
    with pytest.raises(ModelError, match="vif needs at least 2 terms besides the intercept"):
        linear(api("apistrat"), "api00 ~ ell").vif()


def test_every_model_names_its_interval_kind():
    from surveykit.models import multinomial, ordinal_logistic

    svy = api("apiclus1")
    fits = [
        linear(svy, "api00 ~ ell"),
        poisson(svy, "enroll ~ ell"),
        multinomial(svy, "stype ~ ell"),
        ordinal_logistic(svy, "stype ~ ell"),
    ]
    for f in fits:
        assert set(f.coef["ci_kind"]) == {"Wald (t, residual design df)"}, f.method
