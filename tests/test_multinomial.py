"""surveykit.models.multinomial against the R reference of tests/golden/r/multinom.R
(nnet::multinom coefficients; svyglm-style sandwich from the estimating functions with
survey::svyrecvar)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveykit import Design, Survey
from surveykit.errors import ModelError
from surveykit.models import MultinomialResult, multinomial

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "multinom.json").read_text())["cases"]

COEF_ATOL = 1e-8  # against R's Newton-polished estimate (both solve the score to ~1e-13)
MULTINOM_ATOL = 1e-6  # against nnet::multinom's own BFGS stop (reltol ~1e-8)
SE_RTOL = 1e-8


def strat() -> Survey:
    d = pd.read_csv(HERE / "data" / "models" / "api_multinom.csv")
    d["band"] = pd.Categorical(d["band"], categories=["low", "mid", "high"])  # R's cut() order
    return Survey(d, Design(weights="pw", strata="stype", fpc="fpc"))


def clus1() -> Survey:
    return Survey(pd.read_csv(HERE / "data" / "api" / "apiclus1.csv"), Design(weights="pw", ids="dnum", fpc="fpc"))


CASES = {
    "apistrat_band": (strat, "band ~ ell + meals + mobility", "low"),
    "apistrat_band_ref_high": (strat, "band ~ ell + meals", "high"),
    "apiclus1_stype": (clus1, "stype ~ ell + meals + mobility", "E"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_coefficients_ses_and_predictions_equal_r(case):
    make, formula, ref = CASES[case]
    g = GOLDEN[case]
    res = multinomial(make(), formula, reference=ref)
    assert isinstance(res, MultinomialResult)
    assert list(res.levels) == sorted(g["levels"], key=list(res.levels).index)
    assert res.reference == ref and list(res.coef["outcome"]) == g["outcome"]
    assert list(res.coef["term"]) == [t.replace("(Intercept)", "Intercept") for t in g["term"]]
    np.testing.assert_allclose(res.params, g["estimate"], rtol=0, atol=COEF_ATOL)
    np.testing.assert_allclose(res.params, g["multinom_estimate"], rtol=0, atol=MULTINOM_ATOL)
    np.testing.assert_allclose(res.coef["se"], g["se"], rtol=SE_RTOL)
    np.testing.assert_allclose(res.vcov, np.array(g["vcov"]), rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(res.coef["rrr"], g["rrr"], rtol=1e-8)
    # R's predicted columns: reference first, then the other levels in level order
    internal = [ref] + [lv for lv in res.levels if lv != ref]
    pred = res.predict()[internal].to_numpy()[:5]
    np.testing.assert_allclose(pred, np.array(g["predicted_first5"]), rtol=0, atol=1e-10)
    assert res.df_resid == g["degf"] - len(g["estimate"]) + 1


def test_default_reference_is_the_first_level():
    res = multinomial(clus1(), "stype ~ ell")
    assert res.reference == "E" and set(res.coef["outcome"]) == {"H", "M"}


def test_t_p_and_ci_follow_the_residual_df():
    from scipy import stats

    res = multinomial(clus1(), "stype ~ ell + meals + mobility", reference="E")
    c = res.coef
    q = stats.t.ppf(0.975, res.df_resid)
    np.testing.assert_allclose(c["ci_high"], c["estimate"] + q * c["se"])
    np.testing.assert_allclose(c["p_value"], 2 * stats.t.sf(np.abs(c["estimate"] / c["se"]), res.df_resid))
    np.testing.assert_allclose(c["rrr_ci_low"], np.exp(c["ci_low"]))
    assert set(c["ci_kind"]) == {"Wald (t, residual design df)"}


def test_marginal_effects_sum_to_zero_over_categories_and_match_a_finite_difference():
    svy = clus1()
    res = multinomial(svy, "stype ~ ell + meals + mobility", reference="E")
    ame = res.marginal_effects().to_frame()
    sums = ame.groupby("variable")["estimate"].sum()
    np.testing.assert_allclose(sums, 0.0, atol=1e-12)
    d = svy.analysis_data().copy()
    h = 1e-4
    up, dn = d.copy(), d.copy()
    up["ell"] = up["ell"] + h
    dn["ell"] = dn["ell"] - h
    w = d["pw"].to_numpy()
    fd = (w @ (res.predict(up).to_numpy() - res.predict(dn).to_numpy())) / (2 * h) / w.sum()
    got = ame[ame["variable"] == "ell"].set_index("outcome").loc[["P(E)", "P(H)", "P(M)"], "estimate"]
    np.testing.assert_allclose(got, fd, rtol=1e-6)


def test_wald_test_covers_the_term_in_every_equation():
    res = multinomial(clus1(), "stype ~ ell + meals + mobility", reference="E")
    t = res.wald_test("ell")
    assert t.df == 2
    idx = np.flatnonzero(res.coef["term"] == "ell")
    b, V = res.params[idx], res.vcov[np.ix_(idx, idx)]
    assert t.chisq == pytest.approx(float(b @ np.linalg.solve(V, b)), rel=1e-12)


def test_reference_not_a_level_is_a_model_error():
    with pytest.raises(
        ModelError,
        match=r"reference must be a level of the response 'stype' among "
        r"the complete rows \(E, H, M\); got 'e'\. Pass one of",
    ):
        multinomial(clus1(), "stype ~ ell", reference="e")
    with pytest.raises(ModelError, match=r"got 'Hs'\. Did you mean 'H'"):
        multinomial(clus1(), "stype ~ ell", reference="Hs")


def test_two_levels_or_unused_levels_are_refused():
    d = pd.read_csv(HERE / "data" / "api" / "apiclus1.csv")
    two = d[d["stype"] != "M"]
    with pytest.raises(
        ModelError, match=r"must have at least 3 levels with complete rows; got 2 \(E, H\)\. Use logistic"
    ):
        multinomial(Survey(two, Design(weights="pw", ids="dnum")), "stype ~ ell")
    d["stype"] = pd.Categorical(d["stype"], categories=["E", "H", "M", "X"])
    with pytest.raises(ModelError, match=r"got 3 \(E, H, M\); no rows for X\."):
        multinomial(Survey(d, Design(weights="pw", ids="dnum")), "stype ~ ell")


def test_separation_is_a_model_error_naming_the_category():
    rng = np.random.default_rng(3)
    n = 120
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    y = np.where(x > 0.8, "c", np.where(rng.random(n) < 0.5, "a", "b"))
    data = pd.DataFrame({"y": y, "x": x, "z": z})
    with pytest.raises(
        ModelError,
        match=r"multinomial model 'y ~ x \+ z' shows \(quasi-\)complete "
        r"separation: category 'c' against the reference 'a' is "
        r"perfectly predicted by .*x",
    ):
        multinomial(Survey(data), "y ~ x + z")


def test_bad_alpha_and_not_a_survey():
    with pytest.raises(ModelError, match="alpha must be a number between 0 and 1"):
        multinomial(clus1(), "stype ~ ell", alpha=5)
    with pytest.raises(ModelError, match="svy must be a surveykit.Survey; got DataFrame"):
        multinomial(pd.DataFrame({"a": [1]}), "a ~ 1")


def test_summary_and_dict():
    res = multinomial(clus1(), "stype ~ ell", reference="H")
    text = str(res.summary())
    assert "Survey multinomial logistic regression" in text and "reference           H" in text
    d = res.to_dict()
    assert d["reference"] == "H" and d["levels"] == ["E", "H", "M"] and len(d["coef"]) == 4
    f = res.forest_frame()
    assert list(f["label"]) == ["E: ell", "M: ell"]


def test_prediction_ses_are_the_delta_method_with_the_r_covariance():
    make, formula, ref = CASES["apiclus1_stype"]
    g = GOLDEN["apiclus1_stype"]
    res = multinomial(make(), formula, reference=ref)
    rows = res._data.head(3)
    out = res.predict_se(rows)
    assert list(out["outcome"][:3]) == ["E", "H", "M"] and len(out) == 9
    V = np.array(g["vcov"])
    b = np.array(g["estimate"])

    def probs(beta):
        from dataclasses import replace

        return replace(res, params=beta).predict(rows).to_numpy().ravel()

    h = 1e-6
    J = np.column_stack([(probs(b + h * e) - probs(b - h * e)) / (2 * h) for e in np.eye(b.size)])
    want = np.sqrt(np.einsum("ij,jk,ik->i", J, V, J))
    np.testing.assert_allclose(out["se"], want, rtol=1e-6)
    np.testing.assert_allclose(out["estimate"], probs(b), atol=1e-10)
