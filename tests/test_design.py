"""Design resolution and the variance kernel against R survey (tests/golden/design.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveykit import DataError, Design, DesignError, LonelyPSUWarning, Survey
from surveykit.design.variance import design_vcov

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "design.json").read_text())
# closed-form Taylor linearisation: only floating-point summation order differs from R
REL = 1e-10


def api(name):
    return pd.read_csv(HERE / "data" / "api" / f"{name}.csv")


DESIGNS = {
    "strat": ("apistrat", Design(strata="stype", weights="pw", fpc="fpc")),
    "strat_nofpc": ("apistrat", Design(strata="stype", weights="pw")),
    "clus1": ("apiclus1", Design(ids="dnum", weights="pw", fpc="fpc")),
    "clus2": ("apiclus2", Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])),
    "clus2_nofpc": ("apiclus2", Design(ids=["dnum", "snum"], weights="pw")),
    "srs": ("apisrs", Design(weights="pw", fpc="fpc")),
}


def mean_and_vcov(svy, cols):
    """Means and their design vcov from the linearised values w (y - ybar) / W."""
    y = svy.data[cols].to_numpy(float)
    w = svy.resolved.weights
    keep = ~np.isnan(y).any(axis=1)
    w = np.where(keep, w, 0.0)
    y = np.where(keep[:, None], y, 0.0)
    total_w = w.sum()
    est = (w[:, None] * y).sum(axis=0) / total_w
    u = w[:, None] * (y - est) / total_w
    return est, design_vcov(u, svy.resolved)


def total_se(svy, col):
    y = svy.data[col].to_numpy(float)
    u = np.where(np.isnan(y), 0.0, svy.resolved.weights * np.nan_to_num(y))
    return float(np.sqrt(design_vcov(u, svy.resolved)[0, 0])), float(u.sum())


@pytest.mark.parametrize("key", sorted(DESIGNS))
def test_kernel_matches_svymean_svytotal(key):
    data_name, design = DESIGNS[key]
    gold = GOLDEN[key]
    svy = Survey(api(data_name), design)
    np.testing.assert_allclose(svy.weights, gold["weights"], rtol=REL)
    est, v = mean_and_vcov(svy, ["api00", "api99"])
    np.testing.assert_allclose(est, gold["mean"], rtol=REL)
    np.testing.assert_allclose(v.ravel(order="F"), gold["mean_vcov"], rtol=1e-9)
    se, tot = total_se(svy, "enroll")
    assert tot == pytest.approx(gold["total_enroll"], rel=REL)
    assert se == pytest.approx(gold["total_enroll_se"], rel=1e-9)
    assert svy.resolved.degf == gold["degf"]


@pytest.mark.parametrize("key", sorted(DESIGNS))
def test_domain_keeps_full_design(key):
    data_name, design = DESIGNS[key]
    svy = Survey(api(data_name), design).domain("`sch.wide` == 'Yes'")
    est, v = mean_and_vcov(svy, ["api00"])
    assert est[0] == pytest.approx(GOLDEN[key]["dom_mean"], rel=REL)
    assert np.sqrt(v[0, 0]) == pytest.approx(GOLDEN[key]["dom_se"], rel=1e-9)


@pytest.mark.parametrize("policy", ["remove", "adjust", "average", "certainty"])
def test_lonely_psu_policies(policy):
    data = api("apiclus1")
    data["lstr"] = np.where(data.dnum == 716, "lone", np.where(data.dnum < 400, "a", "b"))
    design = Design(ids="dnum", strata="lstr", weights="pw", lonely_psu=policy)
    if policy == "certainty":
        svy = Survey(data, design)
    else:
        with pytest.warns(LonelyPSUWarning, match="'lone' has only one PSU"):
            svy = Survey(data, design)
    gold = GOLDEN["lonely"][policy]
    est, v = mean_and_vcov(svy, ["api00"])
    assert est[0] == pytest.approx(gold["mean"], rel=REL)
    assert np.sqrt(v[0, 0]) == pytest.approx(gold["se"], rel=1e-9)
    se, _ = total_se(svy, "enroll")
    assert se == pytest.approx(gold["total_se"], rel=1e-9)


def test_lonely_psu_fail_names_stratum_and_fix():
    data = api("apiclus1")
    data["lstr"] = np.where(data.dnum == 716, "lone", "rest")
    with pytest.raises(DesignError, match=r"stratum 'lone'.*lonely_psu=\"adjust\""):
        Survey(data, Design(ids="dnum", strata="lstr", weights="pw"))


def test_bad_weights_name_rows_and_fix():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, -2, 0, 1]})
    with pytest.raises(DesignError, match=r"'w' must be positive.*got 2 values <= 0.*rows 2, 3.*domain"):
        Survey(data, Design(weights="w"))
    data.loc[3, "w"] = np.nan
    with pytest.raises(DesignError, match=r"no missing values; got 1 \(row 4\)"):
        Survey(data, Design(weights="w"))


def test_unknown_column_suggests():
    with pytest.raises(DesignError, match=r"weights column 'wt'.*Did you mean 'w'"):
        Survey(pd.DataFrame({"w": [1.0, 2.0]}), Design(weights="wt"))


def test_clusters_not_nested_suggests_nest():
    data = pd.DataFrame({"h": [1, 1, 2, 2], "c": [1, 2, 1, 2], "y": [1.0, 2, 3, 4]})
    with pytest.raises(DesignError, match="nest=True"):
        Survey(data, Design(strata="h", ids="c"))
    svy = Survey(data, Design(strata="h", ids="c", nest=True, lonely_psu="fail"))
    assert svy.resolved.n_psu_total == 4 and svy.resolved.degf == 2


def test_fpc_errors():
    data = pd.DataFrame({"h": [1, 1, 2, 2], "y": [1.0, 2, 3, 4], "N": [1, 1, 10, 10]})
    with pytest.raises(DesignError, match="at least the number of sampled units"):
        Survey(data, Design(strata="h", fpc="N"))
    data["N"] = [10, 20, 10, 10]
    with pytest.raises(DesignError, match="constant within each stratum"):
        Survey(data, Design(strata="h", fpc="N"))
    data["N"] = [0.5, 0.5, 10, 10]
    with pytest.raises(DesignError, match="got a mix"):
        Survey(data, Design(strata="h", fpc="N"))


def test_srs_textbook_se_and_immutability():
    rng = np.random.default_rng(3)
    y = rng.normal(size=50)
    frame = pd.DataFrame({"y": y})
    svy = Survey(frame)
    est, v = mean_and_vcov(svy, ["y"])
    # with-replacement SRS: var = s^2 / n with s^2 using n - 1 (R svymean on ids=~1, no fpc)
    assert np.sqrt(v[0, 0]) == pytest.approx(y.std(ddof=1) / np.sqrt(50), rel=1e-12)
    frame.loc[0, "y"] = 99.0
    assert svy.data.loc[0, "y"] == y[0]
    with pytest.raises(AttributeError, match="immutable"):
        svy.foo = 1


def test_assign_keeps_design_and_domain_weights():
    svy = Survey(api("apistrat"), Design(strata="stype", weights="pw", fpc="fpc")).domain("stype == 'E'")
    new = svy.assign(high=(svy.data["api00"] > 700).to_numpy(int))
    np.testing.assert_array_equal(new.weights, svy.weights)
    assert "high" in new.data.columns and "high" not in svy.data.columns
    with pytest.raises(Exception, match="must not replace design columns; got pw"):
        svy.assign(pw=np.ones(len(svy.data)))


@pytest.mark.parametrize("policy", ["average", "adjust", "remove"])
def test_lonely_psu_policies_in_domains_match_svyby(policy):
    """R subsets the design per domain: "average" scales by the strata present in the domain."""
    gold = GOLDEN["lonely"]["by_domain"][policy]
    data = api("apistrat")
    keep = (data.stype != "H") | (data.snum == GOLDEN["lonely"]["by_domain_h_snum"])
    with pytest.warns(LonelyPSUWarning):
        svy = Survey(data[keep], Design(strata="stype", weights="pw", lonely_psu=policy))
    est = svy.mean("api00", by="awards").to_frame()
    assert list(est["domain"]) == gold["awards"]
    np.testing.assert_allclose(est["estimate"], gold["mean"], rtol=REL)
    np.testing.assert_allclose(est["se"], gold["se"], rtol=1e-9)
    # the same through an explicit domain and the dense kernel
    for level, se in zip(gold["awards"], gold["se"]):
        _, v = mean_and_vcov(svy.domain(svy.data["awards"] == level), ["api00"])
        assert np.sqrt(v[0, 0]) == pytest.approx(se, rel=1e-9)


def test_with_weights_names_bad_rows():
    svy = Survey(pd.DataFrame({"y": [1.0, 2, 3]}))
    with pytest.raises(DataError, match=r"got 2 negative or non-finite values \(rows 2, 3\)"):
        svy.with_weights(np.array([1.0, -1.0, np.nan]))


@pytest.mark.parametrize(
    "w, rows, message",
    [
        ([1.0, 2.0, np.inf, 1.0], "row 3", r"must be positive and finite; got 1 values <= 0 or infinite"),
        ([1.0, -np.inf, 1.0, 1.0], "row 2", r"must be positive and finite"),
        ([1.0, np.nan, 1.0, 1.0], "row 2", r"must have no missing values"),
        ([1e308, 1e308, 1.0, 1.0], "rows 1, 2", r"must sum to a finite number of at most 1e\+150; got a sum of inf"),
        ([1e200, 1.0, 1e200, 1.0], "rows 1, 3", r"must sum to a finite number .*got a sum of 2e\+200"),
    ],
)
def test_non_finite_or_overflowing_weights_are_refused(w, rows, message):
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": w})
    with pytest.raises(DesignError, match=rf"weights column 'w' {message}.*{rows}\b") as info:
        Survey(data, Design(weights="w")).mean("y")
    assert "Drop those rows" in str(info.value) or "Rescale the weights" in str(info.value)


def test_large_but_safe_weights_still_estimate():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1e149] * 4})
    est = Survey(data, Design(weights="w")).mean("y")
    assert est.estimate[0] == pytest.approx(2.5) and np.isfinite(est.se[0])


def test_infinite_fpc_weights_and_overflowing_new_weights_are_refused():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "f": [np.inf] * 4})
    with pytest.raises(
        DesignError, match=r"weights derived from fpc columns \['f'\] must be finite; got 4 .*rows 1, 2, 3, 4"
    ):
        Survey(data, Design(fpc="f"))
    svy = Survey(data.assign(w=1.0), Design(weights="w"))
    with pytest.raises(DesignError, match=r"new weights must sum to a finite number.*row 4"):
        svy.with_weights(np.array([1.0, 1.0, 1.0, 1e300]))
