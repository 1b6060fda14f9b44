"""surveykit.tables against R survey 4.1.1 (tests/golden/tables.json) and its invariants.

The golden file is written by tests/golden/r/tables.R on the api samples, with two derived
columns rebuilt here exactly as there: ``api_g3`` (three api00 bands) and ``mr_1..mr_5``
(0/1 items from five yes/no columns).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit import tables
from surveykit.errors import DataError

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "tables.json").read_text(encoding="utf-8"))

# Closed-form Taylor estimates and SEs: R and numpy agree to rounding (~1e-14 observed).
EST_RTOL = 1e-10
SE_RTOL = 1e-8
# SEs that are exactly zero in theory (a stratified design's stratum shares) come out as
# rounding noise in both programs: compare them on the scale of the proportion.
ZERO_SE_ATOL = 1e-12
# R's logit interval comes from svyglm's IRLS fit (iterative; converged to ~1e-10 relative).
CI_RTOL = 1e-8
# p-values of F / chi-square tails: relative agreement to 1e-10 (~1e-13 observed).
P_RTOL = 1e-10
MR_ITEMS = ["sch.wide", "comp.imp", "both", "awards", "yr.rnd"]
MR_COLS = [f"mr_{i}" for i in range(1, 6)]


def _load(name: str) -> pd.DataFrame:
    d = pd.read_csv(HERE / "data" / "api" / f"{name}.csv")
    d["api_g3"] = np.where(d["api00"] < 600, "low", np.where(d["api00"] < 750, "mid", "high"))
    for col, item in zip(MR_COLS, MR_ITEMS):
        d[col] = (d[item] == "Yes").astype(int)
    return d


SURVEYS = {
    "apistrat": lambda: sk.Survey(_load("apistrat"), sk.Design(weights="pw", strata="stype", fpc="fpc")),
    "apiclus1": lambda: sk.Survey(_load("apiclus1"), sk.Design(weights="pw", ids="dnum", fpc="fpc")),
}


@pytest.fixture(scope="module")
def svys() -> dict[str, sk.Survey]:
    return {k: f() for k, f in SURVEYS.items()}


VARS = {"schwide_stype": ("sch.wide", "stype"), "g3_stype": ("api_g3", "stype")}


# --- frequency -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(GOLDEN["frequency"]))
def test_frequency_matches_r(svys: dict, case: str) -> None:
    want = GOLDEN["frequency"][case]
    design, var = case.split("_", 1)
    missing = None
    if var.endswith("_missing_M"):
        var, missing = var.removesuffix("_missing_M"), ["M"]
    res = svys[design].frequency(var, missing=missing)
    valid = res.to_frame().query("not missing")
    assert valid["level"].tolist() == want["levels"]
    assert valid["n"].tolist() == want["n"]
    assert res.df == want["df"]
    np.testing.assert_allclose(valid["weighted_n"], want["weighted_n"], rtol=EST_RTOL)
    np.testing.assert_allclose(valid["weighted_n_se"], want["weighted_n_se"], rtol=SE_RTOL, atol=ZERO_SE_ATOL * 1e4)
    np.testing.assert_allclose(valid["estimate"], want["estimate"], rtol=EST_RTOL)
    np.testing.assert_allclose(valid["se"], want["se"], rtol=SE_RTOL, atol=ZERO_SE_ATOL)
    np.testing.assert_allclose(valid["ci_low"], want["ci_low"], rtol=CI_RTOL)
    np.testing.assert_allclose(valid["ci_high"], want["ci_high"], rtol=CI_RTOL)


def test_user_missing_rows_listed_not_in_base(svys: dict) -> None:
    svy = svys["apiclus1"]
    res = svy.frequency("stype", missing=["M"]).to_frame()
    m = res.set_index("level").loc["M"]
    assert bool(m["missing"]) and m["n"] == (svy.data["stype"] == "M").sum()
    assert np.isnan(m["estimate"])
    assert res["estimate"].sum() == pytest.approx(1.0, rel=EST_RTOL)
    # same numbers as the domain of valid rows (R: subset(design, stype != "M"))
    dom = svy.domain(svy.data["stype"] != "M").frequency("stype").to_frame()
    np.testing.assert_allclose(res["se"][:2], dom["se"], rtol=EST_RTOL)
    # include_missing=True puts the code back into the base: the plain table
    inc = svy.frequency("stype", missing=["M"], include_missing=True).to_frame()
    plain = svy.frequency("stype").to_frame()
    np.testing.assert_allclose(inc["estimate"], plain["estimate"], rtol=EST_RTOL)
    assert not inc["missing"].any()


class _Instrument:
    """Minimal stand-in for surveykit.instrument.model.Instrument: labels and missing codes."""

    def missing_codes(self, var: str) -> tuple[int, ...]:
        return (9,) if var == "q" else ()

    def value_labels(self, lang: str = "ko") -> dict[str, dict[int, str]]:
        return {"q": {1: "예" if lang == "ko" else "Yes", 2: "아니오" if lang == "ko" else "No", 9: "모름/무응답"}}


def test_instrument_labels_missing_and_system_missing() -> None:
    data = pd.DataFrame({"q": [1, 1, 2, 9, 2, np.nan, 1, 9], "w": [1.0, 2, 1, 1, 3, 1, 1, 2]})
    svy = sk.Survey(data, sk.Design(weights="w"), instrument=_Instrument())
    res = svy.frequency("q").to_frame()
    assert res["label"].tolist() == ["예", "아니오", "모름/무응답", tables.SYSTEM_MISSING]
    assert res["n"].tolist() == [3, 2, 2, 1]
    assert res["missing"].tolist() == [False, False, True, True]
    # proportions over the 5 valid rows with weights 1, 2, 1, 3, 1: code 1 has 4 of 8
    np.testing.assert_allclose(res["estimate"][:2], [4 / 8, 4 / 8], rtol=EST_RTOL)
    assert svy.frequency("q", lang="en").to_frame()["label"][0] == "Yes"


def test_equal_weights_reduce_to_textbook() -> None:
    # SRS with replacement, n rows: se(p) = sqrt(p (1 - p) / (n - 1))
    data = pd.DataFrame({"a": list("xxxyyz") * 5})
    res = sk.Survey(data).frequency("a", ci_method="wald").to_frame()
    p, n = res["estimate"].to_numpy(), len(data)
    np.testing.assert_allclose(p, [0.5, 1 / 3, 1 / 6], rtol=EST_RTOL)
    np.testing.assert_allclose(res["se"], np.sqrt(p * (1 - p) / (n - 1)), rtol=EST_RTOL)


# --- crosstab --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(GOLDEN["chisq"]))
def test_chisq_matches_r(svys: dict, case: str) -> None:
    design, rest = case.split("_", 1)
    res = svys[design].crosstab(*VARS[rest])
    for name, want in GOLDEN["chisq"][case].items():
        t = res.test(name)
        par = want["parameter"]
        np.testing.assert_allclose(t.statistic, want["statistic"], rtol=EST_RTOL, err_msg=name)
        np.testing.assert_allclose(t.p_value, want["p_value"], rtol=P_RTOL, err_msg=name)
        if name == "Chisq":
            assert t.ndf == par["df"]
        else:
            np.testing.assert_allclose([t.ndf, t.ddf], [par["ndf"], par["ddf"]], rtol=EST_RTOL, err_msg=name)


GOLDEN_NA = json.loads((HERE / "golden" / "tables_na.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", sorted(GOLDEN_NA["chisq"]))
def test_chisq_with_missing_values_matches_r(svys: dict, case: str) -> None:
    # tables_na.R: 'aw' is awards with NA on rows 1, 10, 19, ...; R's "Chisq" X^2 uses
    # N = nrow(design) (NA rows included). Before the fix N was the base rows: X^2 14.06, R 15.89.
    svy = svys["apiclus1"]
    data = svy.data.assign(aw=svy.data["awards"].where(np.arange(len(svy.data)) % 9 != 0))
    svy = sk.Survey(data, svy.design)
    if case == "domain_api00_gt_600":
        svy = svy.domain(data["api00"] > 600)
    want = GOLDEN_NA["chisq"][case]
    assert int(np.count_nonzero(svy.weights)) == want["nrow"]
    assert int(data["aw"][svy.weights > 0].isna().sum()) == want["na_rows"]
    res = svy.crosstab("stype", "aw")
    assert res.n == want["nrow"] - want["na_rows"]  # Crosstab.n: the base rows
    for name in ("F", "Chisq", "Wald"):
        t, w = res.test(name), want[name]
        np.testing.assert_allclose(t.statistic, w["statistic"], rtol=EST_RTOL, err_msg=name)
        np.testing.assert_allclose(t.p_value, w["p_value"], rtol=P_RTOL, err_msg=name)
        par = [w["parameter"]["df"], np.inf] if name == "Chisq" else [w["parameter"]["ndf"], w["parameter"]["ddf"]]
        np.testing.assert_allclose([t.ndf, t.ddf], par, rtol=EST_RTOL, err_msg=name)


@pytest.mark.parametrize("case", sorted(GOLDEN["crosstab"]))
def test_crosstab_percentages_match_r(svys: dict, case: str) -> None:
    want = GOLDEN["crosstab"][case]
    design, rest = case.split("_", 1)
    got = svys[design].crosstab(*VARS[rest]).to_frame()
    assert [f"{r}:{c}" for r, c in zip(got["row_level"], got["col_level"])] == want["cells"]
    assert got["n"].tolist() == want["n"]
    for key in ("weighted_n", "cell", "row", "col"):
        np.testing.assert_allclose(got[key], want[key], rtol=EST_RTOL, atol=0, err_msg=key)
    for key in ("weighted_n_se", "cell_se", "row_se", "col_se"):
        np.testing.assert_allclose(got[key], want[key], rtol=SE_RTOL, atol=ZERO_SE_ATOL, err_msg=key)


def test_crosstab_invariants(svys: dict) -> None:
    svy = svys["apiclus1"]
    base = svy.crosstab("api_g3", "stype")
    # scaling every weight changes no proportion, SE or test
    scaled = sk.Survey(svy.data.assign(pw=lambda d: 3.5 * d["pw"]), svy.design).crosstab("api_g3", "stype")
    np.testing.assert_allclose(scaled.to_frame()["row_se"], base.to_frame()["row_se"], rtol=EST_RTOL)
    assert scaled.test("F").statistic == pytest.approx(base.test("F").statistic, rel=EST_RTOL)
    # row order does not matter
    perm = np.random.default_rng(3).permutation(len(svy.data))
    shuffled = sk.Survey(svy.data.iloc[perm], svy.design).crosstab("api_g3", "stype")
    assert shuffled.test("F").p_value == pytest.approx(base.test("F").p_value, rel=EST_RTOL)
    assert shuffled.test("Wald").statistic == pytest.approx(base.test("Wald").statistic, rel=EST_RTOL)
    # row percentages sum to 1 within each row level
    sums = base.to_frame().groupby("row_level")["row"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=EST_RTOL)
    # (R-1)(C-1) = 4 generalised design effects, all positive; the first-order statistic
    # rescales X^2 by their mean, the second-order F by their sum
    assert len(base.deltas) == 4 and min(base.deltas) > 0
    chisq, f = base.test("Chisq"), base.test("F")
    assert f.statistic == pytest.approx(chisq.statistic / sum(base.deltas), rel=EST_RTOL)


def test_crosstab_after_calibration_uses_calibrated_design(svys: dict) -> None:
    from surveykit import weighting

    svy = svys["apiclus1"]
    post = weighting.poststratify(svy, "stype", {"E": 4421, "H": 755, "M": 1018})
    res = post.crosstab("sch.wide", "stype").to_frame()
    # weighted totals of a post-stratum are the population counts, with SE 0
    totals = res.groupby("col_level")["weighted_n"].sum()
    np.testing.assert_allclose(totals[["E", "H", "M"]], [4421, 755, 1018], rtol=EST_RTOL)
    col_tot = post.frequency("stype").to_frame()["weighted_n_se"]
    np.testing.assert_allclose(col_tot, 0.0, atol=1e-8)


def test_crosstab_errors(svys: dict) -> None:
    svy = svys["apistrat"]
    with pytest.raises(DataError, match=r"'stpye'.*Did you mean 'stype'"):
        svy.crosstab("sch.wide", "stpye")
    one = svy.domain(svy.data["stype"] == "E")
    data = svy.data.assign(k="only")
    with pytest.raises(DataError, match="at least 2 valid levels"):
        sk.Survey(data, svy.design).crosstab("k", "stype")
    assert one.crosstab("sch.wide", "awards").n == 100
    with pytest.raises(DataError, match="test must be one of"):
        svy.crosstab("sch.wide", "stype").test("G")


# --- multiple response -------------------------------------------------------------------------


@pytest.mark.parametrize("design", sorted(GOLDEN["multiple_response"]))
def test_multiple_response_matches_r(svys: dict, design: str) -> None:
    want = GOLDEN["multiple_response"][design]
    svy = svys[design]
    res = svy.multiple_response(MR_COLS).to_frame()
    np.testing.assert_allclose(res["estimate"], want["cases"], rtol=EST_RTOL)
    np.testing.assert_allclose(res["se"], want["cases_se"], rtol=SE_RTOL)
    np.testing.assert_allclose(res["responses"], want["responses"], rtol=EST_RTOL)
    np.testing.assert_allclose(res["responses_se"], want["responses_se"], rtol=SE_RTOL)
    np.testing.assert_allclose(res["weighted_n"], want["count"], rtol=EST_RTOL)
    anyb = svy.multiple_response("mr", base="any").to_frame()  # set name -> mr_1..mr_5
    np.testing.assert_allclose(anyb["estimate"], want["cases_any"], rtol=EST_RTOL)
    np.testing.assert_allclose(anyb["se"], want["cases_any_se"], rtol=SE_RTOL)
    by = svy.multiple_response(MR_COLS, by="stype")
    frame = by.to_frame()
    assert frame["domain"].unique().tolist() == want["by_levels"]
    np.testing.assert_allclose(frame["estimate"], np.ravel(want["by_cases"]), rtol=EST_RTOL)
    np.testing.assert_allclose(frame["se"], np.ravel(want["by_cases_se"]), rtol=SE_RTOL)
    for key in ("statistic", "ndf", "ddf"):
        np.testing.assert_allclose(by.tests[key], [t[key] for t in want["tests"]], rtol=EST_RTOL)
    np.testing.assert_allclose(by.tests["p_value"], [t["p_value"] for t in want["tests"]], rtol=P_RTOL)


def test_multiple_response_shares_and_missing(svys: dict) -> None:
    svy = svys["apiclus1"]
    res = svy.multiple_response(MR_COLS).to_frame()
    assert res["responses"].sum() == pytest.approx(1.0, rel=EST_RTOL)
    data = svy.data.copy()
    data.loc[[0, 5], "mr_2"] = np.nan  # not answered: out of the base
    res2 = sk.Survey(data, svy.design).multiple_response(MR_COLS).to_frame()
    expected = svy.domain(data["mr_2"].notna()).multiple_response(MR_COLS).to_frame()
    np.testing.assert_allclose(res2["estimate"], expected["estimate"], rtol=EST_RTOL)
    np.testing.assert_allclose(res2["se"], expected["se"], rtol=EST_RTOL)


def test_multiple_response_errors(svys: dict) -> None:
    svy = svys["apiclus1"]
    data = svy.data.copy()
    data.loc[7, "mr_3"] = 2
    with pytest.raises(DataError, match=r"'mr_3' must hold 0/1.*got 2 \(row 8\)"):
        sk.Survey(data, svy.design).multiple_response(MR_COLS)
    with pytest.raises(DataError, match="multiple-response set 'zz'"):
        svy.multiple_response("zz")
    with pytest.raises(DataError, match="base must be one of"):
        svy.multiple_response(MR_COLS, base="cases")


# --- results and purity ------------------------------------------------------------------------


def test_results_frozen_and_serialisable(svys: dict) -> None:
    svy = svys["apiclus1"]
    results = [svy.frequency("stype"), svy.crosstab("sch.wide", "stype"), svy.multiple_response(MR_COLS, by="stype")]
    for res in results:
        with pytest.raises(dataclasses.FrozenInstanceError):
            res.alpha = 0.1  # type: ignore[misc]
        text = json.dumps(res.to_dict(), ensure_ascii=False)
        assert '"n_psu": 15' in text
        summary = res.summary()
        assert str(summary).startswith(summary.title) and "<table" in summary.to_html()
        frame = res.to_frame()
        frame.iloc[0, 0] = "changed"
        assert res.to_frame().iloc[0, 0] != "changed"
    assert "Rao-Scott F" in str(results[1].summary())


def test_inputs_never_mutated(svys: dict) -> None:
    svy = svys["apistrat"]
    before, w = svy.data.copy(deep=True), svy.weights
    svy.frequency("stype", missing=["M"])
    svy.crosstab("api_g3", "stype")
    svy.multiple_response(MR_COLS, by="stype")
    pd.testing.assert_frame_equal(svy.data, before)
    np.testing.assert_array_equal(svy.weights, w)


def test_bad_options(svys: dict) -> None:
    with pytest.raises(DataError, match="ci_method must be one of"):
        svys["apistrat"].frequency("stype", ci_method="exact")
    with pytest.raises(DataError, match="valid"):
        svys["apistrat"].frequency("stype", missing=["E", "H", "M"])


# --- one-way tables scale linearly in rows and levels ----------------------------------------


def _lonely(policy: str) -> sk.Survey:
    d = _load("apistrat")
    d = d[(d["stype"] != "M") | (d.index == d.index[d["stype"] == "M"][0])]  # one PSU in stratum M
    return sk.Survey(d, sk.Design(weights="pw", strata="stype", lonely_psu=policy))


@pytest.mark.parametrize(
    "make",
    [
        lambda: sk.Survey(_load("apistrat"), sk.Design(weights="pw", strata="stype", fpc="fpc")),
        lambda: sk.Survey(_load("apistrat"), sk.Design(weights="pw", strata="stype")).domain("stype == 'E'"),
        lambda: sk.Survey(_load("apiclus1"), sk.Design(weights="pw", ids="dnum", fpc="fpc")),
        lambda: sk.Survey(_load("apiclus2"), sk.Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])),
        lambda: _lonely("adjust"),
        lambda: _lonely("remove"),
        lambda: _lonely("certainty"),
    ],
)
@pytest.mark.parametrize("var", ["stype", "awards", "api_g3", "api00"])
def test_one_way_variances_equal_the_dense_covariance_path(make, var) -> None:
    import warnings

    from surveykit.tables import _frequency_dense, _one_way
    from surveykit.tables.levels import _codes, _sorted_levels

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svy = make()
    col, w = svy.column(var), svy.resolved.weights
    levels = _sorted_levels(col[w > 0])
    codes = _codes(col, levels)
    for k in {len(levels), max(1, len(levels) - 1), 1}:
        fast = _one_way(codes, len(levels) + 1, k, w, svy)
        dense = _frequency_dense(codes, len(levels) + 1, k, w, svy)
        # atol: the dense path leaves ~1e-13 rounding noise where a variance is exactly 0
        # (totals of the strata themselves); the fast path gives 0 there
        for got, want, atol in zip(fast, dense, (0.0, 1e-9, 0.0, 1e-12)):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=atol)


def test_frequency_of_many_distinct_values_is_linear_in_memory() -> None:
    import tracemalloc

    rng = np.random.default_rng(7)
    n, k = 40_000, 20_000
    data = pd.DataFrame(
        {
            "v": np.r_[np.arange(k), rng.integers(0, k, n - k)],
            "w": rng.uniform(1, 3, n),
            "st": rng.integers(0, 8, n),
            "psu": rng.integers(0, 300, n),
        }
    )
    for design in (sk.Design(weights="w"), sk.Design(weights="w", strata="st", ids="psu", nest=True)):
        svy = sk.Survey(data, design)
        svy.frequency("v", ci_method="wald")  # warm imports outside the measurement
        tracemalloc.start()
        try:
            res = svy.frequency("v").to_frame()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(res) == k and peak < 200e6, peak
        np.testing.assert_allclose(res["estimate"].sum(), 1.0, rtol=1e-12)
        counts = np.bincount(data["v"], minlength=k)
        np.testing.assert_array_equal(res["n"], counts)
    # an SRS-with-replacement proportion: se^2 = n/(n-1) * sum(w^2 (1[v=j] - p)^2) / W^2
    w, v = data["w"].to_numpy(), data["v"].to_numpy()
    p = np.bincount(v, weights=w) / w.sum()
    want = (
        np.sqrt(
            n / (n - 1) * np.bincount(v, weights=w**2 * (1 - 2 * p[v]), minlength=k) + n / (n - 1) * p**2 * np.sum(w**2)
        )
        / w.sum()
    )
    got = sk.Survey(data, sk.Design(weights="w")).frequency("v").to_frame()["se"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)
