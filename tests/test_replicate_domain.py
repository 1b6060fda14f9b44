"""Every verb on a domain of a replicate-weight design equals R survey on subset() of the
as.svrepdesign design (tests/golden/r/replicate_domain.R): R drops the rows outside the domain,
so they must not enter a model's replicate refits. Before the fix the JK1 logistic SE of the
intercept was 0.785 against R's 1.424 (the rows outside the domain kept their replicate weights)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit import models

HERE = Path(__file__).parent
GOLD = json.loads((HERE / "golden" / "replicate_domain.json").read_text())
RTOL, SE_RTOL = 1e-10, 1e-8


def _frame(name: str) -> pd.DataFrame:
    f = pd.read_csv(HERE / "data" / "api" / f"{name}.csv")
    f["hi"] = (f["api00"] > 650).astype(int)
    f["awards2"] = np.where(f["api00"] % 2 == 0, "even", "odd")
    return f


def _domain(case: str) -> sk.Survey:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case == "jk1_elementary":
            f = _frame("apiclus1")
            rep = sk.as_replicate(sk.Survey(f, sk.Design(ids="dnum", weights="pw", fpc="fpc")), type="JK1")
            return rep.domain((f["stype"] == "E").to_numpy())
        f = _frame("apistrat")
        rep = sk.as_replicate(sk.Survey(f, sk.Design(strata="stype", weights="pw", fpc="fpc")), type="JKn")
        return rep.domain((f["awards"] == "Yes").to_numpy())


@pytest.fixture(scope="module", params=["jk1_elementary", "jkn_awards"])
def case(request: pytest.FixtureRequest) -> tuple[sk.Survey, dict]:
    return _domain(request.param), GOLD[request.param]


@pytest.mark.parametrize(
    ("kind", "fit"),
    [
        ("logistic", lambda s: models.logistic(s, "hi ~ ell + meals")),
        ("linear", lambda s: models.linear(s, "api00 ~ ell + meals")),
        ("quasipoisson", lambda s: models.glm(s, "enroll ~ ell", family="quasipoisson")),
    ],
)
def test_models_refit_only_the_domain(case: tuple[sk.Survey, dict], kind: str, fit) -> None:
    svy, gold = case
    res = fit(svy)
    np.testing.assert_allclose(res.coef["estimate"], gold[kind]["coef"], rtol=RTOL)
    np.testing.assert_allclose(res.coef["se"], gold[kind]["se"], rtol=SE_RTOL)
    assert res.df_resid == gold[kind]["df"]


def test_descriptive_verbs_on_the_domain(case: tuple[sk.Survey, dict]) -> None:
    svy, gold = case
    assert svy.resolved.degf == gold["degf"]
    v = svy.var(["api00", "ell"]).to_frame()
    np.testing.assert_allclose(v["estimate"], gold["var"]["estimate"], rtol=RTOL)
    np.testing.assert_allclose(v["se"], gold["var"]["se"], rtol=SE_RTOL)
    q = svy.quantile("api00", 0.5).to_frame()
    np.testing.assert_allclose(q["estimate"], gold["median"]["estimate"], rtol=RTOL)
    np.testing.assert_allclose(q["se"], gold["median"]["se"], rtol=SE_RTOL)
    r = svy.ratio("api00", "api99").to_frame()
    np.testing.assert_allclose(r["estimate"], gold["ratio"]["estimate"], rtol=RTOL)
    np.testing.assert_allclose(r["se"], gold["ratio"]["se"], rtol=SE_RTOL)
    m = svy.mean(["api00", "enroll"], na="drop").to_frame()
    np.testing.assert_allclose(m["estimate"], gold["mean"]["estimate"], rtol=RTOL)
    np.testing.assert_allclose(m["se"], gold["mean"]["se"], rtol=SE_RTOL)
    t = svy.ttest("api00", by="awards2").to_frame().iloc[0]
    want = gold["ttest"]
    np.testing.assert_allclose([t["difference"], t["t"], t["df"]], [want["difference"], want["t"], want["df"]],
                               rtol=SE_RTOL)  # fmt: skip
