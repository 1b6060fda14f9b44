"""svy.var (R svyvar) and svy.ttest (R svyttest) on Taylor and replicate designs, against R
survey 4.1-1 (tests/golden/r/replicate.R -> tests/golden/replicate.json)."""

from __future__ import annotations

import numpy as np
import pytest
from test_replicate import G, close, clus1, jk1_columns, strat, with_factors

import surveykit as sk
from surveykit.errors import DataError


def designs():
    yield "taylor clus1", sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw", fpc="fpc")), G["taylor"]["clus1"]
    yield "taylor strat", sk.Survey(strat(), sk.Design(strata="stype", weights="pw", fpc="fpc")), G["taylor"]["strat"]
    yield (
        "user jk1",
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15)),
        G["user"]["combined"],
    )
    yield (
        "user jk1 mse",
        sk.Survey(jk1_columns(), sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15, mse=True)),
        G["user"]["combined_mse"],
    )
    base = sk.Survey(strat(), sk.Design(strata="stype", weights="pw", fpc="fpc"))
    yield "as_replicate jkn", sk.as_replicate(base, type="JKn"), G["as_replicate"]["jkn"]
    df, names = with_factors(strat(), "bootstrap.csv")
    g = G["as_replicate"]["bootstrap"]
    yield (
        "r bootstrap",
        sk.Survey(df, sk.ReplicateDesign("pw", names, type="bootstrap", scale=g["scale"], combined_weights=False)),
        g,
    )
    df, names = with_factors(strat(), "fay.csv")
    yield (
        "r fay",
        sk.Survey(df, sk.ReplicateDesign("pw", names, type="Fay", fay_rho=0.5, combined_weights=False)),
        G["as_replicate"]["fay"],
    )


CASES = list(designs())


@pytest.mark.parametrize("name,svy,g", CASES, ids=[c[0] for c in CASES])
def test_var_matches_svyvar(name, svy, g):
    v = svy.var(["api00", "api99"])
    close(v.estimate, g["var"])
    close(v.se, g["var_se"])
    assert v.statistic == "variance"
    assert list(zip(v.variable, v.level)) == [("api00", "api00"), ("api00", "api99"), ("api99", "api00"),
                                              ("api99", "api99")]  # fmt: skip
    one = svy.var("api00")
    close(one.estimate, [g["var"][0]])
    close(one.se, [g["var_se"][0]])


@pytest.mark.parametrize("name,svy,g", CASES, ids=[c[0] for c in CASES])
def test_ttest_matches_svyttest(name, svy, g):
    t = svy.ttest("api00", by="sch.wide")
    want = g["ttest"]
    assert t.levels == ("No", "Yes")
    close(t.difference, want["estimate"])
    close(t.t, want["statistic"])
    close(t.se, want["se"])
    assert t.df == want["df"]
    close(t.p_value, want["p_value"], rel=1e-9)
    close([t.ci_low, t.ci_high], want["ci"])
    assert "Design-based t-test" in str(t)
    d = svy.data
    one = svy.assign(diff=d["api00"] - d["api99"] - 30).ttest("diff")
    want = g["ttest_one"]
    close(one.difference, want["estimate"])
    close(one.t, want["statistic"])
    assert one.df == want["df"]
    close(one.p_value, want["p_value"], rel=1e-9)
    close([one.ci_low, one.ci_high], want["ci"])
    assert "one-sample" in str(one)


def test_ttest_needs_two_groups_and_var_missing_values():
    svy = sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw"))
    with pytest.raises(DataError, match=r"by 'stype' must have exactly two groups.*got 3: \['E', 'H', 'M'\]"):
        svy.ttest("api00", by="stype")
    df = clus1()
    df.loc[[2, 5], "api00"] = np.nan
    gappy = sk.Survey(df, sk.Design(ids="dnum", weights="pw"))
    with pytest.raises(
        DataError, match=r"variable 'api00' must have no missing values for var\(\); got 2 \(rows 3, 6\)"
    ):
        gappy.var("api00")
    dropped = gappy.var("api00", na="drop")
    kept = sk.Survey(df.dropna(subset=["api00"]), sk.Design(ids="dnum", weights="pw")).var("api00")
    close(dropped.estimate, kept.estimate)
    assert dropped.n[0] == len(df) - 2


@pytest.mark.parametrize("name,svy,g", CASES, ids=[c[0] for c in CASES])
def test_linear_and_poisson_glm_match_svyglm(name, svy, g):
    lin = sk.models.linear(svy, "api00 ~ ell + meals + C(stype)")
    want = g["glm"]["gaussian"]
    terms = list(lin.coef["term"])  # R's order: (Intercept), ell, meals, stypeH, stypeM
    order = [terms.index(t) for t in ("Intercept", "ell", "meals")] + [i for i, t in enumerate(terms) if "stype" in t]
    assert [terms[i] for i in order][3:] == sorted(terms[i] for i in order[3:])
    close(lin.params[order], want["coef"])
    close(lin.coef["se"].to_numpy()[order], want["se"], rel=1e-9)
    assert lin.df_resid == want["df"]
    poi = sk.models.glm(svy, "Q('api.stu') ~ ell + meals", family="quasipoisson")
    want = g["glm"]["poisson"]
    close(poi.params, want["coef"], rel=1e-9)
    close(poi.coef["se"], want["se"], rel=1e-9)
    assert poi.df_resid == want["df"]
    assert "Survey" in str(poi)
    logit = sk.models.glm(svy, "yes ~ ell + meals", family="quasibinomial")
    want = g["glm"]["quasibinomial"]
    close(logit.params, want["coef"], rel=1e-9)
    close(logit.coef["se"], want["se"], rel=1e-9)
    assert logit.df_resid == want["df"]
    if not name.startswith("taylor"):
        return
    ref = sk.models.logistic(svy, "yes ~ ell + meals")  # the Taylor-only logistic agrees
    close(logit.params, ref.params, rel=1e-8)
    close(logit.coef["se"], ref.coef["se"], rel=1e-8)


def test_glm_errors():
    svy = sk.Survey(clus1(), sk.Design(ids="dnum", weights="pw"))
    with pytest.raises(
        sk.ModelError, match="family must be one of gaussian, .*quasibinomial; got 'poison'. Did you mean 'poisson'"
    ):
        sk.models.glm(svy, "yes ~ ell", family="poison")
    with pytest.raises(sk.ModelError, match="of a Poisson model must be >= 0"):
        sk.models.glm(svy.assign(neg=-clus1()["api00"].to_numpy()), "neg ~ ell", family="poisson")


def test_glm_on_replicate_design_with_missing_rows_is_the_complete_cases():
    df = jk1_columns()
    df.loc[[1, 30, 60], "ell"] = np.nan
    design = sk.ReplicateDesign("pw", r"^rw\d+$", type="JK1", scale=14 / 15)
    got = sk.models.glm(sk.Survey(df, design), "yes ~ ell + meals", family="quasibinomial")
    want = sk.models.glm(sk.Survey(df.dropna(subset=["ell"]), design), "yes ~ ell + meals", family="quasibinomial")
    close(got.params, want.params)
    close(got.coef["se"], want.coef["se"])
    assert got.df_resid == want.df_resid and got.n == len(df) - 3
