"""Invariants of surveykit.estimate that hold for any data (Hypothesis, kept small and fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import surveykit as sk
from surveykit import estimate as est

# same data, same arithmetic up to summation order: a few ulps of accumulated rounding
INVARIANCE_RTOL = 1e-9
PROPS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """Stratified (2 strata), clustered (>= 2 PSUs per stratum) data with a 3-level domain."""
    n = draw(st.integers(min_value=12, max_value=40))
    floats = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_subnormal=False)
    y = draw(st.lists(floats, min_size=n, max_size=n))
    x = draw(st.lists(st.floats(min_value=1, max_value=20, allow_subnormal=False), min_size=n, max_size=n))
    w = draw(st.lists(st.floats(min_value=0.5, max_value=10, allow_subnormal=False), min_size=n, max_size=n))
    g = draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    idx = np.arange(n)
    return pd.DataFrame({
        "y": y, "x": x, "w": w, "g": ["a", "b", "c"] + g[3:], "b": (np.array(y) > 0).astype(int),
        "h": idx % 2, "psu": idx % 6,
    })  # fmt: skip


DESIGN = sk.Design(weights="w", strata="h", ids="psu")


def _survey(frame: pd.DataFrame) -> sk.Survey:
    return sk.Survey(frame, design=DESIGN)


def _verbs(svy: sk.Survey, by: str | None = None) -> dict[str, est.Estimate]:
    return {
        "mean": est.mean(svy, "y", by=by),
        "total": est.total(svy, "y", by=by),
        "proportion": est.proportion(svy, "b", by=by, ci_method="beta"),
        "ratio": est.ratio(svy, "y", "x", by=by),
        "quantile": est.quantile(svy, "y", [0.25, 0.5], by=by),
    }


@PROPS
@given(frames(), st.sampled_from("abc"))
def test_domain_equals_matching_by_row(frame, key):
    svy = _survey(frame)
    by = _verbs(svy, by="g")
    dom = _verbs(svy.domain(frame["g"].to_numpy() == key))
    assert np.all(np.isfinite(dom["mean"].se)) and np.all(np.isfinite(dom["quantile"].estimate))
    for name, res in by.items():
        rows = [i for i, d in enumerate(res.domain) if d == key]
        for field in ("estimate", "se", "ci_low", "ci_high", "df", "n", "weighted_n"):
            np.testing.assert_allclose(
                getattr(res, field)[rows], getattr(dom[name], field), rtol=INVARIANCE_RTOL, atol=1e-12,
                err_msg=f"{name} {field}",
            )  # fmt: skip


@PROPS
@given(frames(), st.floats(min_value=0.01, max_value=100))
def test_scaling_weights_leaves_means_and_ses(frame, factor):
    a = _verbs(_survey(frame))
    b = _verbs(_survey(frame.assign(w=frame["w"] * factor)))
    assert np.all(np.isfinite(a["ratio"].se)) and np.all(np.isfinite(a["mean"].se))
    for name in ("mean", "proportion", "ratio", "quantile"):
        for field in ("estimate", "se", "ci_low", "ci_high"):
            np.testing.assert_allclose(
                getattr(b[name], field), getattr(a[name], field), rtol=INVARIANCE_RTOL, atol=1e-9,
                err_msg=f"{name} {field}",
            )  # fmt: skip
    np.testing.assert_allclose(b["total"].estimate, a["total"].estimate * factor, rtol=INVARIANCE_RTOL, atol=1e-9)
    np.testing.assert_allclose(b["total"].se, a["total"].se * factor, rtol=INVARIANCE_RTOL, atol=1e-9)


@PROPS
@given(frames(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(frame, rnd):
    order = list(range(len(frame)))
    rnd.shuffle(order)
    a = _verbs(_survey(frame), by="g")
    b = _verbs(_survey(frame.iloc[order]), by="g")
    for name in a:
        for field in ("estimate", "se", "ci_low", "ci_high", "deff"):
            np.testing.assert_allclose(
                getattr(b[name], field), getattr(a[name], field), rtol=INVARIANCE_RTOL, atol=1e-9,
                err_msg=f"{name} {field}",
            )  # fmt: skip


@PROPS
# values on a 0.001 grid: tiny magnitudes such as 1e-308 make se**2 underflow, which is not the point here
@given(st.lists(st.integers(-(10**6), 10**6).map(lambda i: i / 1000), min_size=3, max_size=60))
def test_no_design_gives_textbook_se(values):
    y = np.array(values)
    if np.ptp(y) == 0:
        return  # zero variance: nothing to compare
    svy = sk.Survey(pd.DataFrame({"y": y}))
    res = est.mean(svy, "y", deff="replace")
    n = y.size
    assert res.estimate[0] == pytest.approx(y.mean(), rel=1e-12, abs=1e-9)
    # R: svymean with ids=~1 and no fpc is sd(y) / sqrt(n), sd with the n - 1 denominator
    assert res.se[0] == pytest.approx(y.std(ddof=1) / np.sqrt(n), rel=1e-9)
    assert res.deff[0] == pytest.approx(1.0, rel=1e-9)
    assert res.df[0] == n - 1
    tot = est.total(svy, "y")
    assert tot.se[0] == pytest.approx(n * y.std(ddof=1) / np.sqrt(n), rel=1e-9)


@PROPS
@given(frames())
def test_verbs_never_mutate_inputs(frame):
    before = frame.copy(deep=True)
    svy = _survey(frame)
    weights = svy.weights
    _verbs(svy, by="g")
    est.proportion(svy, "g", na="drop")
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(svy.data, before)
    np.testing.assert_array_equal(svy.weights, weights)


# --- the fast paths give the general path's numbers ----------------------------------------------


def _verbs_na(svy: sk.Survey, by: str | None, na: str) -> dict[str, est.Estimate]:
    return {
        "mean": est.mean(svy, "y", by=by, na=na),
        "total": est.total(svy, "y", by=by, na=na, deff="replace"),
        "proportion": est.proportion(svy, "b", by=by, na=na, ci_method="beta"),
        "ratio": est.ratio(svy, "y", "x", by=by, na=na),
        "quantile": est.quantile(svy, "y", [0.25, 0.5], by=by, na=na),
    }


@PROPS
@given(frames(), st.booleans())
def test_single_column_fast_path_equals_domain_path(frame, with_missing):
    # one variable, no by, nothing missing, all weights > 0: plain sums and the design's cached
    # n/df; by= a constant column takes the general cell layout with its bincounts instead
    if with_missing:  # then both take the cell layout, with the missing rows in the spare column
        frame = frame.assign(y=frame["y"].where(frame.index % 5 != 1), b=frame["b"].where(frame.index % 7 != 2))
    na = "drop" if with_missing else "fail"
    fast = _verbs_na(_survey(frame), None, na)
    general = _verbs_na(_survey(frame.assign(one=1)), "one", na)
    for name in fast:
        for field in ("estimate", "se", "ci_low", "ci_high", "deff", "df", "n", "weighted_n"):
            np.testing.assert_allclose(
                getattr(fast[name], field), getattr(general[name], field), rtol=INVARIANCE_RTOL, atol=1e-12,
                err_msg=f"{name} {field}",
            )  # fmt: skip


def _r_qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """R survey:::qrule_math/qs written out: order() (stable), cumsum() and sum() accumulated in long
    double and stored as double, last(cumw <= p * sum(w)) (index 1 when none)."""
    ii = np.argsort(x, kind="stable")
    xs, cumw = x[ii], np.cumsum(w[ii].astype(np.longdouble)).astype(float)
    total = float(np.cumsum(w.astype(np.longdouble))[-1])
    hits = np.flatnonzero(cumw <= p * total)
    pos = int(hits[-1]) if hits.size else 0
    nxt = min(pos + 1, x.size - 1)
    return float(xs[pos] if p - cumw[pos] / total == 0 else xs[nxt])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=2, max_size=50),
    st.lists(st.sampled_from([0.1, 0.3, 1.0, 2.5]), min_size=50, max_size=50),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_quantile_rule_matches_r_at_ties(ints, weights, equal, rnd):
    # many tied values and cumulative weights that hit p * total exactly (or within rounding):
    # the fast CDF (any tie order, float64 cumsum) must fall back to R's arithmetic there
    from surveykit.estimate import support as _ci

    x = np.array(ints, dtype=float)
    w = np.full(x.size, 0.1) if equal else np.array(weights[: x.size])
    cum = np.cumsum(w)
    probs = [0.0, 0.5, 1.0, 1 / 3] + [float(cum[rnd.randrange(x.size)] / cum[-1]) for _ in range(4)]
    cdf = _ci.WeightedCdf(np.argsort(x), x, w)
    got = cdf.quantile(np.array(probs))
    assert got.tolist() == [_r_qrule_math(x, w, p) for p in probs]
    svy = sk.Survey(pd.DataFrame({"x": x, "w": w}), design=sk.Design(weights="w"))
    assert est.quantile(svy, "x", probs).estimate.tolist() == got.tolist()
