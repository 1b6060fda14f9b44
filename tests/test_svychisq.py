"""Crosstab.test(): every R svychisq statistic on Taylor and replicate designs
(tests/golden/r/svychisq.R -> svychisq.json, R 4.1-1 on the api data).

"saddlepoint" is compared with R's formula solved to 1e-15 (R's uniroot tol 1e-8 moves its
p-value in the ~8th digit: compared with R's own output at 1e-6), "lincom" with the exact tail R
would give with CompQuadForm, computed independently in the R script (Imhof's formula on Taylor
designs, Ruben's series on replicate designs).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.errors import DataError
from surveykit.tables.chisqsum import exact_sf, saddlepoint_sf

HERE = Path(__file__).parent
G = json.loads((HERE / "golden" / "svychisq.json").read_text())["cases"]
REL = 1e-10


def _api(name: str) -> pd.DataFrame:
    d = pd.read_csv(HERE / "data" / "api" / f"{name}.csv")
    d["api3"] = pd.cut(d["api00"], [-np.inf, 600, 700, np.inf]).astype(str)
    return d


@pytest.fixture(scope="module")
def designs() -> dict[str, sk.Survey]:
    strat = sk.Survey(_api("apistrat"), sk.Design(strata="stype", weights="pw", fpc="fpc"))
    clus1 = sk.Survey(_api("apiclus1"), sk.Design(ids="dnum", weights="pw", fpc="fpc"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clus2 = sk.Survey(_api("apiclus2"), sk.Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]))
    return {
        "strat": strat,
        "clus1": clus1,
        "clus2": clus2,
        "jk1": sk.as_replicate(clus1, type="JK1"),
        "jkn": sk.as_replicate(strat, type="JKn"),
    }


CASES = [(d, t) for d in ("strat", "clus1", "clus2", "jk1", "jkn") for t in ("sch_wide", "api3")]


def close(got, want, rel=REL, abs_=0.0):
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=rel, atol=abs_)


@pytest.mark.parametrize("key,table", CASES)
def test_every_svychisq_statistic_matches_r(designs, key, table):
    g = G[key][table]
    ct = sk.tables.crosstab(designs[key], "stype", "sch.wide" if table == "sch_wide" else "api3")
    close(sorted(ct.deltas, reverse=True), g["deltas"])
    for name in ("F", "Wald", "adjWald"):
        t = ct.test(name)
        close(t.statistic, g[name]["statistic"])
        close([t.ndf, t.ddf], g[name]["parameter"])
        close(t.p_value, g[name]["p_value"], rel=1e-9)
    chisq = ct.test("Chisq")
    close(chisq.statistic, g["Chisq"]["statistic"])
    close(chisq.p_value, g["Chisq"]["p_value"], rel=1e-9)
    sp = ct.test("saddlepoint")
    close(sp.statistic, g["saddlepoint"]["statistic"])
    close(sp.p_value, g["saddlepoint_tight"], rel=1e-9)
    close(sp.p_value, g["saddlepoint"]["p_value"], rel=1e-6)  # R: uniroot(tol = 1e-8)
    lc = ct.test("lincom")
    close(lc.statistic, g["lincom"]["statistic"])
    close(lc.p_value, g["lincom_exact"], rel=1e-8, abs_=1e-12)
    # without CompQuadForm R's "lincom" is its saddlepoint (it warns); ours is the exact tail
    assert g["lincom"]["p_value"] == g["saddlepoint"]["p_value"]
    assert sp.ddf == (np.inf if key in ("jk1", "jkn") else pytest.approx(g["F"]["parameter"][1], rel=REL))


def test_adjusted_wald_needs_the_wald_test(designs):
    ct = sk.tables.crosstab(designs["strat"], "stype", "sch.wide", wald=False)
    with pytest.raises(DataError, match='test "adjWald" needs the Wald test; this crosstab was built with wald=False'):
        ct.test("adjWald")
    with pytest.raises(DataError, match=r"test must be one of .*'adjWald'.*got 'adjwald'.*Did you mean 'adjWald'"):
        ct.test("adjwald")


def test_weighted_chisquare_tails_against_closed_forms():
    from scipy import stats

    for k, x in [(1, 0.01), (1, 2.0), (2, 3.0), (4, 9.0)]:
        a = np.ones(k)
        close(exact_sf(x, a), stats.chi2.sf(x, k), rel=1e-9, abs_=1e-12)
        close(exact_sf(x, a, 37.5), stats.f.sf(x / k, k, 37.5), rel=1e-9, abs_=1e-12)
    # saddlepoint: close to the exact tail, not equal (an approximation)
    a = np.array([2.0, 0.5, 1.3])
    assert abs(saddlepoint_sf(5.0, a) - exact_sf(5.0, a)) < 5e-3
