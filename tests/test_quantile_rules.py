"""Survey.quantile(qrule=, interval="score") against R 4.1-1 svyquantile
(tests/golden/r/quantile_rules.R -> quantile_rules.json): every rule (math, school, shahvaish,
hf1..hf9) with Woodruff limits on Taylor designs (incl. equal weights, where p * sum(w) meets the
cumulative weights exactly), by domain, repCI limits on a JK1 design, and the score interval.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.errors import DataError, DesignError
from surveykit.estimate.quantile_rule import QRULES, apply_rule

HERE = Path(__file__).parent
G = json.loads((HERE / "golden" / "quantile_rules.json").read_text())
P = G["probs"]
REL = 1e-10


def _api(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "api" / f"{name}.csv")


@pytest.fixture(scope="module")
def designs() -> dict[str, sk.Survey]:
    clus1 = sk.Survey(_api("apiclus1"), sk.Design(ids="dnum", weights="pw", fpc="fpc"))
    return {
        "strat": sk.Survey(_api("apistrat"), sk.Design(strata="stype", weights="pw", fpc="fpc")),
        "clus1": clus1,
        "srs": sk.Survey(_api("apisrs"), sk.Design(weights="pw")),
        "jk1": sk.as_replicate(clus1, type="JK1"),
    }


def close(got, want, rel=REL):
    got, want = np.asarray(got, float), np.asarray(want, float)
    np.testing.assert_allclose(got, want, rtol=rel, atol=0, equal_nan=True)


TAYLOR = [(d, v) for d in ("strat", "clus1", "srs") for v in ("api00", "api.stu")]


def test_rules_cover_r():
    assert set(QRULES) == set(G["jk1"])


@pytest.mark.parametrize("key,var", TAYLOR)
@pytest.mark.parametrize("rule", QRULES)
def test_every_rule_with_woodruff_limits_matches_r(designs, key, var, rule):
    g = G[key][var]["rules"][rule]
    e = designs[key].quantile(var, P, qrule=rule)
    close(e.estimate, g["estimate"])
    close(e.ci_low, g["ci_low"])
    close(e.ci_high, g["ci_high"])
    close(e.se, g["se"], rel=1e-9)
    assert f"qrule='{rule}'" in e.method


@pytest.mark.parametrize("key,var", TAYLOR)
@pytest.mark.parametrize("rule", ["math", "school", "hf7"])
def test_rules_by_domain_match_svyby(designs, key, var, rule):
    g = G[key][var]["by"][rule]
    e = designs[key].quantile(var, 0.5, qrule=rule, by="stype")
    assert [str(k) for k in e.to_frame()["domain"]] == g["keys"]
    close(e.estimate, g["estimate"])
    close(e.ci_low, g["ci_low"])
    close(e.ci_high, g["ci_high"])


@pytest.mark.parametrize("key,var", TAYLOR)
@pytest.mark.parametrize("rule", ["math", "school", "hf7"])
def test_score_interval_matches_ffullerci(designs, key, var, rule):
    g = G[key][var]["score"][rule]
    e = designs[key].quantile(var, P, qrule=rule, interval="score")
    close(e.estimate, g["estimate"])
    close(e.ci_low, g["ci_low"])
    close(e.ci_high, g["ci_high"])
    close(e.se, g["se"], rel=1e-9)
    assert "score" in e.ci_method


@pytest.mark.parametrize("key,var", TAYLOR)
@pytest.mark.parametrize("rule", ["math", "hf7"])
def test_score_interval_by_domain_matches_svyby(designs, key, var, rule):
    g = G[key][var]["by_score"][rule]
    e = designs[key].quantile(var, 0.5, qrule=rule, by="stype", interval="score")
    close(e.estimate, g["estimate"])
    close(e.ci_low, g["ci_low"])
    close(e.ci_high, g["ci_high"])


@pytest.mark.parametrize("rule", QRULES)
def test_every_rule_with_replicate_quantile_limits_matches_repci(designs, rule):
    g = G["jk1"][rule]
    e = designs["jk1"].quantile("api00", P, qrule=rule, interval="quantile")
    close(e.estimate, g["estimate"])
    close(e.ci_low, g["ci_low"])
    close(e.ci_high, g["ci_high"])


def test_rule_and_interval_are_checked(designs):
    with pytest.raises(DataError, match=r"qrule must be one of .*got 'hf10'"):
        designs["strat"].quantile("api00", qrule="hf10")
    with pytest.raises(DesignError, match='interval="score" needs a Taylor design'):
        designs["jk1"].quantile("api00", interval="score")


def test_rules_on_small_hand_examples():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    w = np.ones(4)
    p = np.array([0.5, 0.25, 0.0, 1.0, 1.5])
    # as R: p = 0 lies below the first cumulative weight, which gives the second value
    close(apply_rule("math", x, w, p), [2.0, 1.0, 2.0, 4.0, np.nan])
    close(apply_rule("school", x, w, p), [2.5, 1.5, 2.0, 4.0, np.nan])
    # hf7 with equal weights is R's default quantile(type = 7)
    close(apply_rule("hf7", x, w, p[:4]), np.quantile(x, p[:4]))
    close(apply_rule("hf4", x, w, p[:2]), [2.0, 1.0])
