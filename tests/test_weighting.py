"""surveykit.weighting against R survey 4.1.1 (tests/golden/weighting.json) and its invariants.

The golden file is written by tests/golden/r/weighting.R. Estimates here are computed straight
from the variance kernel (u = w (y - ybar) / sum(w) for a mean, u = w y for a total), so these
tests check the weights and the calibration objects, not the estimate module.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surveykit as sk
from surveykit import weighting
from surveykit.design.variance import design_vcov
from surveykit.errors import ConvergenceWarning, DataError, SurveykitWarning

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "golden" / "weighting.json").read_text(encoding="utf-8"))
POP = GOLDEN["population"]

# Closed-form weights and Taylor SEs agree with R to rounding: ~1e-14 observed; 1e-10 leaves room
# for BLAS differences in the QR / solve of the calibration.
EST_RTOL = 1e-10
SE_RTOL = 1e-8
# Raking and bounded calibration are iterative, but they replicate R's stopping rule pass for pass
# (same epsilon test, same Newton steps), so they also agree to rounding. An implementation that
# stopped after a different number of passes would differ by up to the convergence tolerance
# (~1e-7 relative with R's epsilon = 1e-12 x total weight), which these constants would catch.
RAKE_RTOL = 1e-10
# SEs that R reports as ~1e-11 (a calibrated margin's total, exactly determined): compare on the
# scale of the estimate instead of relative to a number that is numerically zero.
ZERO_SE_SCALE = 1e-9


def _api(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "api" / f"{name}.csv")


@pytest.fixture(scope="module")
def dstrat() -> sk.Survey:
    return sk.Survey(_api("apistrat"), sk.Design(weights="pw", strata="stype", fpc="fpc"))


@pytest.fixture(scope="module")
def dclus1() -> sk.Survey:
    return sk.Survey(_api("apiclus1"), sk.Design(weights="pw", ids="dnum", fpc="fpc"))


POP_STYPE = dict(zip(POP["stype"]["levels"], POP["stype"]["counts"]))
POP_SCHWIDE = dict(zip(POP["sch_wide"]["levels"], POP["sch_wide"]["counts"]))
_SS = POP["stype_schwide"]
POP_CROSS = {(a, b): c for a, b, c in zip(_SS["stype"], _SS["sch.wide"], _SS["Freq"])}
POP_CAL = POP["calibrate"]


def _indicators(svy: sk.Survey, var: str) -> np.ndarray:
    col = svy.data[var].astype(str)
    return np.column_stack([(col == lv).to_numpy(float) for lv in sorted(col.unique())])


def _stats(svy: sk.Survey) -> dict[str, np.ndarray]:
    """The estimates weighting.R reports, from the kernel."""
    rd = svy.resolved
    w = rd.weights
    se = lambda u: np.sqrt(np.diag(design_vcov(u, rd)))
    out: dict[str, np.ndarray] = {"weights": w}
    for name, y in (("api00", svy.data["api00"].to_numpy(float)), ("enroll", svy.data["enroll"].to_numpy(float))):
        out[f"total_{name}"], out[f"total_{name}_se"] = np.atleast_1d(w @ y), se(w * y)
    y = svy.data["api00"].to_numpy(float)
    m = w @ y / w.sum()
    out["mean_api00"], out["mean_api00_se"] = np.atleast_1d(m), se(w * (y - m) / w.sum())
    a = _indicators(svy, "awards")
    p = w @ a / w.sum()
    out["mean_awards"], out["mean_awards_se"] = p, se(w[:, None] * (a - p) / w.sum())
    for key, var in (("stype", "stype"), ("schwide", "sch.wide")):
        ind = _indicators(svy, var)
        out[f"total_{key}"], out[f"total_{key}_se"] = w @ ind, se(w[:, None] * ind)
    return out


def _cases(dstrat: sk.Survey, dclus1: sk.Survey) -> dict[str, sk.Survey]:
    margins = {"stype": POP_STYPE, "sch.wide": POP_SCHWIDE}
    cal = weighting.calibrate(dclus1, "~ stype + api99", POP_CAL)
    return {
        "unweighted_apistrat": dstrat,
        "unweighted_apiclus1": dclus1,
        "poststratify_apiclus1_stype": weighting.poststratify(dclus1, "stype", POP_STYPE),
        "poststratify_apistrat_schwide": weighting.poststratify(dstrat, "sch.wide", POP_SCHWIDE),
        "poststratify_apiclus1_stype_schwide": weighting.poststratify(dclus1, ["stype", "sch.wide"], POP_CROSS),
        "rake_apiclus1_default": weighting.rake(dclus1, margins, max_iter=10, epsilon=1),
        "rake_apiclus1_tight": weighting.rake(dclus1, margins, max_iter=100, epsilon=1e-12),
        "rake_apistrat_tight": weighting.rake(dstrat, margins, max_iter=100, epsilon=1e-12),
        "calibrate_apiclus1_linear": cal,
        "calibrate_apistrat_linear": weighting.calibrate(dstrat, ["stype", "api99"], POP_CAL),
        "calibrate_apiclus1_bounded": weighting.calibrate(dclus1, "~stype+api99", POP_CAL, bounds=(0.6, 1.6)),
        "trim_apistrat": weighting.trim(dstrat, lower=18, upper=40),
        "trim_apiclus1_calibrated": weighting.trim(cal, lower=20, upper=55),
    }


@pytest.fixture(scope="module")
def results(dstrat: sk.Survey, dclus1: sk.Survey) -> dict[str, dict[str, np.ndarray]]:
    return {k: _stats(v) for k, v in _cases(dstrat, dclus1).items()}


@pytest.mark.parametrize("case", sorted(GOLDEN["cases"]))
def test_matches_r(results: dict, case: str) -> None:
    got, want = results[case], GOLDEN["cases"][case]
    rtol = RAKE_RTOL if case.startswith("rake") or "bounded" in case else EST_RTOL
    for key, value in got.items():
        expected = np.asarray(want[key], dtype=float)
        if key.endswith("_se"):
            scale = np.abs(np.asarray(want[key.removesuffix("_se")], dtype=float))
            np.testing.assert_allclose(value, expected, rtol=SE_RTOL, atol=ZERO_SE_SCALE * scale.max(), err_msg=key)
        else:
            np.testing.assert_allclose(value, expected, rtol=rtol, atol=0, err_msg=key)


def test_calibration_changes_the_se(results: dict) -> None:
    # the golden comparison is only meaningful if weighting moves the SE: guard against a kernel
    # that ignored calibrations (the SE of total(api00) drops from ~9e5 to ~2e4 after calibrate)
    before = results["unweighted_apiclus1"]["total_api00_se"][0]
    after = results["calibrate_apiclus1_linear"]["total_api00_se"][0]
    assert after < 0.05 * before


# --- behaviour and errors --------------------------------------------------------------------


def test_population_as_data_frame(dclus1: sk.Survey) -> None:
    frame = pd.DataFrame({"stype": list(POP_STYPE), "Freq": list(POP_STYPE.values())})
    a = weighting.poststratify(dclus1, "stype", frame).weights
    b = weighting.poststratify(dclus1, "stype", pd.Series(POP_STYPE)).weights
    np.testing.assert_allclose(a, b, rtol=0)


def test_sample_level_without_population(dclus1: sk.Survey) -> None:
    with pytest.raises(DataError, match=r"population count; got none for 'M' \(rows"):
        weighting.poststratify(dclus1, "stype", {"E": 4421, "H": 755})


def test_population_level_without_sample(dclus1: sk.Survey) -> None:
    pop = {**POP_STYPE, "X": 10}
    with pytest.raises(DataError, match="got no sample for 'X'.*partial=True"):
        weighting.poststratify(dclus1, "stype", pop)
    with pytest.warns(SurveykitWarning, match="no sample"):
        out = weighting.poststratify(dclus1, "stype", pop, partial=True)
    assert out.weights.sum() == pytest.approx(sum(POP_STYPE.values()), rel=EST_RTOL)


@pytest.fixture(scope="module")
def dlvl(dclus1: sk.Survey) -> sk.Survey:
    """apiclus1 with stype coded 1/2/3 (E/H/M) as a numeric column ``lvl``."""
    data = dclus1.data.assign(lvl=dclus1.data["stype"].map({"E": 1, "H": 2, "M": 3}))
    return sk.Survey(data, dclus1.design)


def test_poststratify_zero_count_of_a_sampled_level(dlvl: sk.Survey) -> None:
    # before the fix every row of level 1 silently got weight 0 and left every estimate
    with pytest.raises(DataError, match=r"population count of lvl=1 must be positive; got 0 "):
        weighting.poststratify(dlvl, "lvl", {1: 0, 2: 755, 3: 1018})


@pytest.mark.parametrize("bad", [-4421, float("nan"), float("inf"), "many", None])
def test_population_counts_must_be_finite(dlvl: sk.Survey, bad: object) -> None:
    pop = {1: bad, 2: 755, 3: 1018}
    match = r"population count of lvl=1 must be a finite number >= 0; got"
    with pytest.raises(DataError, match=match):
        weighting.poststratify(dlvl, "lvl", pop)
    with pytest.raises(DataError, match=match):
        weighting.rake(dlvl, {"lvl": pop, "sch.wide": POP_SCHWIDE})
    frame = pd.DataFrame({"lvl": [1, 2, 3], "Freq": [bad, 755, 1018]})
    with pytest.raises(DataError, match=match):
        weighting.poststratify(dlvl, "lvl", frame)


def test_population_count_of_a_crossed_level_is_named(dclus1: sk.Survey) -> None:
    pop = dict(POP_CROSS)
    pop[("E", "No")] = 0
    with pytest.raises(DataError, match=r"population count of stype=E, sch.wide=No must be positive; got 0"):
        weighting.poststratify(dclus1, ["stype", "sch.wide"], pop)


def test_zero_count_of_an_unsampled_level_is_allowed(dclus1: sk.Survey) -> None:
    out = weighting.poststratify(dclus1, "stype", {**POP_STYPE, "X": 0})  # no sample, no population
    np.testing.assert_allclose(
        pd.Series(out.weights).groupby(dclus1.data["stype"].to_numpy()).sum()[list(POP_STYPE)],
        list(POP_STYPE.values()),
        rtol=EST_RTOL,
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "x", None])
def test_calibration_totals_must_be_finite(dclus1: sk.Survey, bad: object) -> None:
    match = r"calibration total of stypeH must be a finite number; got"
    with pytest.raises(DataError, match=match):
        weighting.calibrate(dclus1, "~ stype + api99", {**POP_CAL, "stypeH": bad})
    vector = [POP_CAL[k] for k in ("(Intercept)", "stypeH", "stypeM", "api99")]
    vector[1] = bad
    with pytest.raises(DataError, match=match):
        weighting.calibrate(dclus1, "~ stype + api99", vector)


def test_population_keys_of_another_type_get_a_hint(dlvl: sk.Survey) -> None:
    with pytest.raises(DataError, match=r"match as text: give them as int"):
        weighting.poststratify(dlvl, "lvl", {"1": 4421, "2": 755, "3": 1018})


@pytest.mark.parametrize(
    ("formula", "names"),
    [
        ("~ factor(lvl) + api99", ("lvl2", "lvl3")),  # surveykit's names
        ("~ factor(lvl) + api99", ("factor(lvl)2", "factor(lvl)3")),  # R's model.matrix names
        ("~ as.factor(lvl) + api99", ("lvl2", "lvl3")),
        ("~ C(lvl) + api99", ("C(lvl)2", "C(lvl)3")),
    ],
)
def test_calibrate_factor_term(dlvl: sk.Survey, formula: str, names: tuple[str, str]) -> None:
    # lvl 1/2/3 is stype E/H/M, so these are R's calibrate(dclus1, ~stype + api99, ...) weights;
    # before the fix factor(lvl) was looked up as a column and failed
    pop = {"(Intercept)": POP_CAL["(Intercept)"], names[0]: POP_CAL["stypeH"], names[1]: POP_CAL["stypeM"],
           "api99": POP_CAL["api99"]}  # fmt: skip
    out = weighting.calibrate(dlvl, formula, pop)
    want = GOLDEN["cases"]["calibrate_apiclus1_linear"]["weights"]
    np.testing.assert_allclose(out.weights, want, rtol=EST_RTOL)


def test_calibrate_total_given_twice(dlvl: sk.Survey) -> None:
    pop = {"(Intercept)": 6194, "lvl2": 755, "factor(lvl)2": 755, "lvl3": 1018, "api99": 3914069}
    with pytest.raises(DataError, match=r"give each total once; got 'lvl2' twice"):
        weighting.calibrate(dlvl, "~ factor(lvl) + api99", pop)


def test_missing_and_unknown_columns(dclus1: sk.Survey) -> None:
    with pytest.raises(DataError, match=r"'stpye'.*Did you mean 'stype'"):
        weighting.poststratify(dclus1, "stpye", POP_STYPE)
    data = dclus1.data.copy()
    data.loc[[4, 9], "stype"] = None
    svy = sk.Survey(data, dclus1.design)
    with pytest.raises(DataError, match=r"'stype' must have no missing values; got 2 \(rows 5, 10\)"):
        weighting.rake(svy, {"stype": POP_STYPE, "sch.wide": POP_SCHWIDE})


def test_rake_inconsistent_margins(dclus1: sk.Survey) -> None:
    bad = {"No": 1072, "Yes": 5000}
    with pytest.raises(DataError, match="same population total; got stype 6194, sch.wide 6072"):
        weighting.rake(dclus1, {"stype": POP_STYPE, "sch.wide": bad})


def test_rake_level_with_no_sample(dclus1: sk.Survey) -> None:
    stype = {"E": 4421, "H": 700, "M": 1000, "X": 73}
    with pytest.raises(DataError, match="no sample for 'X'"):
        weighting.rake(dclus1, {"stype": stype, "sch.wide": POP_SCHWIDE})


def test_rake_not_converged_warns(dclus1: sk.Survey) -> None:
    with pytest.warns(ConvergenceWarning, match="did not converge after 1 passes"):
        weighting.rake(dclus1, {"stype": POP_STYPE, "sch.wide": POP_SCHWIDE}, max_iter=1, epsilon=1e-12)


def test_rake_without_joint_solution_warns() -> None:
    # b = 2 only where a = "b": the b margin forces that row to 75, the a margin to 50
    data = pd.DataFrame({"a": list("abcaaa"), "b": [1, 2, 1, 1, 1, 1], "w": 1.0})
    svy = sk.Survey(data, sk.Design(weights="w"))
    with pytest.warns(ConvergenceWarning, match="no joint solution"):
        weighting.rake(svy, {"a": dict.fromkeys("abc", 50), "b": {1: 75, 2: 75}}, max_iter=1000)


def test_calibrate_population_names(dclus1: sk.Survey) -> None:
    pop = {k: v for k, v in POP_CAL.items() if k != "stypeM"} | {"stype_M": 1018}
    with pytest.raises(DataError, match=r"missing \['stypeM'\], unknown \['stype_M'\].*Did you mean 'stypeM'"):
        weighting.calibrate(dclus1, "~stype + api99", pop)
    vec = weighting.calibrate(dclus1, "~stype + api99", list(POP_CAL.values())).weights
    named = weighting.calibrate(dclus1, "~stype + api99", POP_CAL).weights
    np.testing.assert_allclose(vec, named, rtol=0)


def test_calibrate_bounds_that_cannot_be_met(dclus1: sk.Survey) -> None:
    with pytest.raises(DataError, match="Widen the bounds"):
        weighting.calibrate(dclus1, "~stype + api99", POP_CAL, bounds=(0.95, 1.05))


def test_calibrate_bounds_respected(dclus1: sk.Survey) -> None:
    g = weighting.calibrate(dclus1, "~stype+api99", POP_CAL, bounds=(0.6, 1.6)).weights / dclus1.weights
    assert g.min() >= 0.6 - 1e-12 and g.max() <= 1.6 + 1e-12
    assert np.isclose(g.min(), 0.6) or np.isclose(g.max(), 1.6)  # the bounds bind here


def test_calibrate_collinear(dclus1: sk.Survey) -> None:
    data = dclus1.data.assign(api99b=lambda d: 2 * d["api99"])
    svy = sk.Survey(data, dclus1.design)
    with pytest.raises(DataError, match="linearly independent"):
        weighting.calibrate(svy, ["api99", "api99b"], [6194, 1.0, 2.0])


def test_trim_bounds(dstrat: sk.Survey) -> None:
    with pytest.raises(DataError, match="lower <= upper"):
        weighting.trim(dstrat, lower=50, upper=10)
    out = weighting.trim(dstrat, upper=40, strict=True)
    assert out.weights.max() <= 40 + 1e-9
    assert out.weights.sum() == pytest.approx(dstrat.weights.sum(), rel=EST_RTOL)


def _five() -> sk.Survey:
    return sk.Survey(pd.DataFrame({"w": [1, 1, 1, 1, 10.0], "y": [1, 2, 3, 4, 5.0]}), sk.Design(weights="w"))


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(("lower", "upper"), [(3.5, None), (6, None), (3, None), (None, 1.0)])
def test_trim_bounds_that_cannot_hold(lower: float | None, upper: float | None, strict: bool) -> None:
    # total 14 over 5 rows: every weight in [lower, upper] needs lower <= 2.8 <= upper. Before the
    # fix strict=True looped for ever and lower=3.5 gave row 5 a weight of 0 (R does the same).
    with pytest.raises(DataError, match=r"cannot hold with total weight 14 over 5 rows; widen the bounds"):
        weighting.trim(_five(), lower=lower, upper=upper, strict=strict)


def test_trim_never_gives_a_weight_at_or_below_zero() -> None:
    # feasible bounds (mean 15.15 >= 2), but one pass pushes row 6 to 2.05 - 2.5 < 0 (R returns -0.45)
    svy = sk.Survey(pd.DataFrame({"w": [1, 1, 1, 1, 1, 2.05, 100.0]}), sk.Design(weights="w"))
    with pytest.raises(DataError, match=r"trimming to \[2, inf\] must leave every weight positive; .* row 6 "):
        weighting.trim(svy, lower=2)
    out = weighting.trim(svy, lower=2, strict=True)  # the passes settle: every weight within bounds
    assert out.weights.min() >= 2 - 1e-12
    assert out.weights.sum() == pytest.approx(svy.weights.sum(), rel=EST_RTOL)


def test_trim_strict_pass_cap_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    svy = sk.Survey(pd.DataFrame({"w": [1, 1, 1, 1, 1, 2.05, 100.0]}), sk.Design(weights="w"))
    monkeypatch.setattr(weighting, "MAX_TRIM_PASSES", 3)  # this case needs ~80 passes
    with pytest.warns(ConvergenceWarning, match="stopped after 3 passes"):
        out = weighting.trim(svy, lower=2, strict=True)
    assert out.weights.sum() == pytest.approx(svy.weights.sum(), rel=EST_RTOL)


@pytest.mark.parametrize("bad", ["40", float("nan"), True])
def test_trim_bound_must_be_a_number(dstrat: sk.Survey, bad: object) -> None:
    with pytest.raises(DataError, match=r"trim upper must be a number or None; got"):
        weighting.trim(dstrat, upper=bad)


def test_trim_keeps_domain_zeros(dstrat: sk.Survey) -> None:
    dom = dstrat.domain(dstrat.data["stype"] != "H")
    out = weighting.trim(dom, lower=30)
    assert np.all(out.weights[dstrat.data["stype"] == "H"] == 0)
    assert out.weights.sum() == pytest.approx(dom.weights.sum(), rel=EST_RTOL)


def test_history_and_calibrations(dclus1: sk.Survey) -> None:
    out = weighting.rake(dclus1, {"stype": POP_STYPE, "sch.wide": POP_SCHWIDE})
    assert isinstance(out.resolved.calibrations[-1], weighting.Raking)
    assert dclus1.resolved.calibrations == ()
    assert out.history[-1].startswith("rake(stype, sch.wide;")
    trimmed = weighting.trim(out, upper=60)
    assert trimmed.history[-1] == "trim([-inf, 60])"
    assert trimmed.resolved.calibrations == out.resolved.calibrations  # R keeps postStrata


# --- invariants --------------------------------------------------------------------------------


def test_inputs_never_mutated(dclus1: sk.Survey) -> None:
    data_before = dclus1.data.copy(deep=True)
    w_before = dclus1.weights
    pop = dict(POP_STYPE)
    _cases(dclus1, dclus1)
    pd.testing.assert_frame_equal(dclus1.data, data_before)
    np.testing.assert_array_equal(dclus1.weights, w_before)
    assert pop == POP_STYPE and dclus1.resolved.calibrations == ()


@st.composite
def _samples(draw: st.DrawFn) -> tuple[pd.DataFrame, dict, dict]:
    n = draw(st.integers(6, 60))
    a = draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    b = draw(st.lists(st.sampled_from([1, 2]), min_size=n, max_size=n))
    a[:6], b[:6] = list("abcabc"), [1, 1, 1, 2, 2, 2]  # every cell occupied: a solution exists
    w = draw(st.lists(st.floats(0.5, 20.0), min_size=n, max_size=n))
    pop_a = {k: draw(st.integers(50, 500)) for k in "abc"}
    share = draw(st.floats(0.2, 0.8))
    total = sum(pop_a.values())
    pop_b = {1: share * total, 2: (1 - share) * total}
    return pd.DataFrame({"a": a, "b": b, "w": w}), pop_a, pop_b


MARGIN_RTOL = 1e-8  # raking stops when no cell moves by more than 1e-12 x total between passes


@settings(max_examples=30, deadline=None)
@given(_samples())
def test_rake_reproduces_margins(sample: tuple) -> None:
    data, pop_a, pop_b = sample
    svy = sk.Survey(data, sk.Design(weights="w"))
    out = weighting.rake(svy, {"a": pop_a, "b": pop_b}, max_iter=1000, epsilon=1e-12)
    w = out.weights
    for var, pop in (("a", pop_a), ("b", pop_b)):
        got = pd.Series(w).groupby(data[var].to_numpy()).sum()
        np.testing.assert_allclose(got[list(pop)].to_numpy(), list(pop.values()), rtol=MARGIN_RTOL)
    np.testing.assert_array_equal(svy.data["w"].to_numpy(), data["w"].to_numpy())


@settings(max_examples=30, deadline=None)
@given(_samples())
def test_poststratify_reproduces_counts(sample: tuple) -> None:
    data, pop_a, _ = sample
    svy = sk.Survey(data, sk.Design(weights="w"))
    out = weighting.poststratify(svy, "a", pop_a)
    got = pd.Series(out.weights).groupby(data["a"].to_numpy()).sum()
    np.testing.assert_allclose(got[list(pop_a)].to_numpy(), list(pop_a.values()), rtol=EST_RTOL)
    # the total of a post-stratum indicator is known exactly: its calibrated SE is zero
    ind = (data["a"] == "a").to_numpy(float)
    scale = pop_a["a"]
    assert np.sqrt(design_vcov(out.weights * ind, out.resolved)[0, 0]) <= 1e-9 * scale
    np.testing.assert_array_equal(svy.weights, data["w"].to_numpy())
