"""Logistic and ordinal models on replicate designs, and ordinal links on Taylor designs, against R
(tests/golden/r/replicate_models.R -> replicate_models.json).

References are R's fits computed with tight settings (see the script): svyglm with epsilon 1e-14,
and for svyolr every fit polished by Newton steps on the analytic score, since R's optim stops at
reltol 1e-8 on replicates and R 4.1-1 refits every replicate of a probit svyolr with the logit
link. The measured agreement is ~1e-13 (coefficients) and <= 2e-10 (SEs).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.errors import ModelError

HERE = Path(__file__).parent
G = json.loads((HERE / "golden" / "replicate_models.json").read_text())
LEVELS = ["(-Inf,550]", "(550,650]", "(650,750]", "(750, Inf]"]
COEF_REL, SE_REL = 1e-10, 1e-8


def _api(name: str) -> pd.DataFrame:
    d = pd.read_csv(HERE / "data" / "api" / f"{name}.csv")
    d["yes"] = (d["sch.wide"] == "Yes").astype(float)
    cut = pd.cut(d["api00"], [-np.inf, 550, 650, 750, np.inf], labels=LEVELS)
    d["api4"] = pd.Categorical(cut.astype(str), categories=LEVELS, ordered=True)
    return d


def _strat() -> pd.DataFrame:
    return _api("apistrat").sort_values(["stype", "snum"], kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def designs() -> dict[str, sk.Survey]:
    clus, st = _api("apiclus1"), _strat()
    f = pd.read_csv(HERE / "data" / "replicate" / "brr.csv")
    assert f["snum"].tolist() == st["snum"].tolist()
    cols = [c for c in f.columns if c != "snum"]
    names = [f"f{c[1:]}" for c in cols]
    stb = pd.concat([st, pd.DataFrame(f[cols].to_numpy(), columns=names)], axis=1)
    return {
        "jk1": sk.as_replicate(sk.Survey(clus, sk.Design(ids="dnum", weights="pw", fpc="fpc")), type="JK1"),
        "jkn": sk.as_replicate(sk.Survey(st, sk.Design(strata="stype", weights="pw", fpc="fpc")), type="JKn"),
        "brr": sk.Survey(stb, sk.ReplicateDesign("pw", names, type="BRR", combined_weights=False)),
        "strat": sk.Survey(st, sk.Design(strata="stype", weights="pw", fpc="fpc")),
        "clus1": sk.Survey(clus, sk.Design(ids="dnum", weights="pw", fpc="fpc")),
    }


def ours(terms: list[str]) -> list[str]:
    return [{"(Intercept)": "Intercept", "stypeH": "C(stype)[T.H]", "stypeM": "C(stype)[T.M]"}.get(t, t) for t in terms]


def close(got, want, rel):
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=rel, atol=0)


@pytest.mark.parametrize("key", ["jk1", "jkn", "brr"])
def test_logistic_on_replicate_designs_matches_svyglm(designs, key):
    g = G["logistic"][key]
    formula = "yes ~ ell + meals" + ("" if key == "jk1" else " + C(stype)")
    res = sk.models.logistic(designs[key], formula)
    c = res.coef.set_index("term").loc[ours(g["term"])]
    close(c["estimate"], g["coef"], COEF_REL)
    close(c["se"], g["se"], SE_REL)
    assert res.df_resid == g["df"]  # degf - p + 1, degf the replicate rank - 1
    assert "replicate weights" in res.method
    # the same refits as the one GLM home
    same = sk.models.glm(designs[key], formula, family="quasibinomial")
    np.testing.assert_allclose(res.vcov, same.vcov, rtol=1e-9)


REPLICATE_CASES = [(k, link) for k in ("jk1", "jkn") for link in ("logit", "probit", "cloglog", "loglog")]
REPLICATE_CASES += [("brr", "logit"), ("brr", "probit")]


@pytest.mark.parametrize("key,link", REPLICATE_CASES)
def test_ordinal_on_replicate_designs_matches_svyolr_refits(designs, key, link):
    g = G["ordinal_replicate"][key][link]
    formula = "api4 ~ meals + ell" + ("" if key == "jk1" else " + C(stype)")
    res = sk.models.ordinal_logistic(designs[key], formula, link=link)
    c = res.coef.set_index("term").loc[ours(g["term"])]
    close(c["estimate"], g["exact"]["coef"], COEF_REL)
    close(c["se"], g["exact"]["se"], SE_REL)
    assert res.df_resid == g["exact"]["df"]
    assert res.link == link and res.levels == tuple(LEVELS)
    if link == "logit":  # R's own svyolr (polr refits at reltol 1e-8) agrees to its tolerance
        close(c["estimate"], g["r_default"]["coef"], 1e-4)
        close(c["se"], g["r_default"]["se"], 1e-2)
    if link == "probit":  # R 4.1-1 refits the replicates with the logit link: its SEs are wrong
        assert np.max(np.abs(c["se"].to_numpy() / g["r_default"]["se"] - 1)) > 0.3


@pytest.mark.parametrize("key", ["strat", "clus1"])
@pytest.mark.parametrize("link", ["logit", "probit", "cloglog", "loglog"])
def test_ordinal_links_on_taylor_designs_match_svyolr(designs, key, link):
    g = G["ordinal_taylor"][key][link]
    formula = "api4 ~ meals + ell" + ("" if key == "clus1" else " + C(stype)")
    res = sk.models.ordinal_logistic(designs[key], formula, link=link)
    c = res.coef.set_index("term").loc[ours(g["term"])]
    close(c["estimate"], g["exact"]["coef"], COEF_REL)
    close(c["se"], g["exact"]["se"], SE_REL)
    assert res.df_resid == g["exact"]["df"]
    if "r_svyolr" in g:  # R's svyolr itself (BFGS at reltol 1e-14, Hessian by differences, ndeps 1e-6)
        close(c["estimate"], g["r_svyolr"]["coef"], 1e-6)
        close(c["se"], g["r_svyolr"]["se"], 1e-6)
    if link != "logit":
        assert c["odds_ratio"].isna().all()
        assert res.po_test is None
    # predicted probabilities follow the link's CDF
    p = res.predict(designs[key].data.iloc[:3])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_ordinal_replicate_po_test_uses_replicate_refits(designs):
    res = sk.models.ordinal_logistic(designs["jkn"], "api4 ~ meals + ell + C(stype)")
    assert res.po_test is not None and res.po_test.df == 2 * 4  # (q - 1) * slopes
    assert res.po_test.ddf == res.df_resid
    assert 0.0 <= res.po_test.p_value <= 1.0


def test_marginal_effects_on_replicate_designs(designs):
    res = sk.models.logistic(designs["jkn"], "yes ~ ell + meals")
    me = res.marginal_effects().to_frame()
    assert list(me["variable"]) == ["ell", "meals"] and (me["se"] > 0).all()
    ordinal = sk.models.ordinal_logistic(designs["jkn"], "api4 ~ meals", link="probit")
    assert ordinal.marginal_effects().to_frame().shape[0] == 4  # one per category


def test_replicate_logistic_refuses_firth_and_frequency_weights(designs):
    with pytest.raises(ModelError, match="firth=True is not available on a replicate-weight design"):
        sk.models.logistic(designs["jk1"], "yes ~ ell", firth=True)
    with pytest.raises(ModelError, match='weights_are="frequency" .* got a replicate-weight design'):
        sk.models.logistic(designs["jk1"], "yes ~ ell", weights_are="frequency")


def test_ordinal_link_is_checked(designs):
    with pytest.raises(ModelError, match="link must be one of logit, probit, cloglog, loglog; got 'probt'.*probit"):
        sk.models.ordinal_logistic(designs["strat"], "api4 ~ ell", link="probt")


def test_replicate_ordinal_with_missing_rows_equals_complete_cases(designs):
    svy = designs["brr"]
    data = svy.data.copy()
    data.loc[[3, 50], "ell"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = sk.models.ordinal_logistic(sk.Survey(data, svy.design), "api4 ~ meals + ell")
    keep = data["ell"].notna().to_numpy()
    sub = sk.Survey(data.loc[keep].reset_index(drop=True), svy.design)
    ref = sk.models.ordinal_logistic(sub, "api4 ~ meals + ell")
    close(full.params, ref.params, 1e-10)
    close(full.coef["se"], ref.coef["se"], 1e-8)


def test_replicate_logistic_refuses_a_separated_model(designs):
    data = designs["clus1"].data.assign(sep=(designs["clus1"].data["api00"] > 700).astype(float))
    rep = sk.as_replicate(sk.Survey(data, sk.Design(ids="dnum", weights="pw", fpc="fpc")), type="JK1")
    with pytest.raises(
        ModelError, match=r"shows \(quasi-\)complete separation \(.*api00.*\).*replicate refits diverge"
    ):
        sk.models.logistic(rep, "sep ~ api00")


@pytest.mark.parametrize("link", ["probit", "cloglog", "loglog"])
def test_olr_links_score_and_hessian_match_finite_differences(link):
    from surveykit.models._olr_fit import _OlrPass, _onehot, _score_rows, olr_log_lik

    rng = np.random.default_rng(11)
    X = np.asfortranarray(rng.normal(size=(400, 3)))
    codes = rng.integers(0, 4, 400)
    w = rng.uniform(0.2, 3.0, 400)
    phi = np.array([0.4, -0.3, 0.2, -1.0, 0.1, 1.2])  # off the optimum
    onehot = _onehot(codes, 3)
    at = _OlrPass(phi, X, codes, w, 3, onehot, link)
    assert at.ll == pytest.approx(olr_log_lik(phi, X, codes, w, link), rel=1e-14)
    step = 1e-5
    eye = np.eye(phi.size) * step
    grad = [(olr_log_lik(phi + e, X, codes, w, link) - olr_log_lik(phi - e, X, codes, w, link)) / (2 * step)
            for e in eye]  # fmt: skip
    np.testing.assert_allclose(at.grad, grad, rtol=1e-6)
    hess = np.column_stack([(_OlrPass(phi + e, X, codes, w, 3, onehot, link).grad
                             - _OlrPass(phi - e, X, codes, w, 3, onehot, link).grad) / (2 * step)
                            for e in eye])  # fmt: skip
    np.testing.assert_allclose(at.hess, hess, rtol=1e-6, atol=1e-6 * np.abs(hess).max())
    np.testing.assert_allclose(_score_rows(X, w, at, onehot, 3).sum(axis=0), at.grad, rtol=1e-12)
