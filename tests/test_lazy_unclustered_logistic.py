"""The lazy logistic model on Taylor designs without clusters equals the in-memory one.

Without ``ids=`` every row is its own PSU: the sandwich's meat is, per stratum,
``f_h n_h/(n_h-1) (sum u u' - T_h T_h'/n_h)`` of the score rows ``u = w x (y - p)``, formed from
per-stratum sums of ``u`` and ``u u'`` (one GROUP BY at the converged coefficients) by the
variance of the lazy means and tables. ``lazy.logistic("hi", ["ell", "meals"])`` must give the
coefficient table of ``models.logistic(svy, "hi ~ ell + meals")`` (R ``svyglm``, quasibinomial)
to 1e-10 relative: strata with and without weights, weights only, fpc as population sizes and
as fractions (with and without weights), a categorical ``C(stype)``, lonely strata under each
policy, and the residual df ``n - H - p + 1`` of the complete rows.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from coef_compare import record_queries, same_coefs
from scipy import stats

import surveykit as sk
from surveykit import models
from surveykit.errors import DesignError, LonelyPSUWarning

API = Path(__file__).parent / "data" / "api"
RTOL = 1e-10
COLS = ["estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]

DESIGNS = {
    "strat_fpc": ("apistrat", dict(strata="stype", weights="pw", fpc="fpc")),
    "strat_fpc_no_weights": ("apistrat", dict(strata="stype", fpc="fpc")),  # weights implied by the fpc
    "strat_fraction": ("apistrat", dict(strata="stype", weights="pw", fpc="frac")),
    "strat_fraction_no_weights": ("apistrat", dict(strata="stype", fpc="frac")),
    "strat_weights": ("apistrat", dict(strata="stype", weights="pw")),
    "weights_only": ("apistrat", dict(weights="pw")),
    "srs_fpc": ("apisrs", dict(fpc="fpc")),
    "srs_weights_fpc": ("apisrs", dict(weights="pw", fpc="fpc")),
    "srs_plain": ("apisrs", dict()),
}


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(API / f"{name}.csv")
    frame["hi"] = (frame["api00"] > 650).astype(int)
    frame.loc[frame.index % 7 == 3, "ell"] = np.nan  # complete cases only
    frame["frac"] = frame.groupby("stype")["pw"].transform(lambda w: 1 / w)  # sampling fraction n_h / N_h
    return frame


def _same(want: pd.DataFrame, got: pd.DataFrame) -> float:
    return same_coefs(want, got)


def _df(coef: pd.DataFrame) -> float:
    """The t quantile a coefficient table's intervals use, as a number to compare."""
    return float(((coef["ci_high"] - coef["estimate"]) / coef["se"]).iloc[0])


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_unclustered_designs_equal_in_memory(name: str) -> None:
    source, kwargs = DESIGNS[name]
    frame, design = _frame(source), sk.Design(**kwargs)
    want = models.logistic(sk.Survey(frame, design), "hi ~ ell + meals")
    got = sk.Survey(sk.scan(frame), design).logistic("hi", ["ell", "meals"])
    assert got["term"].tolist() == ["Intercept", "ell", "meals"]
    assert _same(want.coef, got) < RTOL
    # df: the complete rows minus their strata, minus p - 1 (R svyglm's df.residual)
    complete = frame["ell"].notna() & frame["meals"].notna()
    strata = frame.loc[complete, "stype"].nunique() if "strata" in kwargs else 1
    assert want.df_resid == complete.sum() - strata - 3 + 1
    np.testing.assert_allclose(_df(got), stats.t.ppf(0.975, want.df_resid), rtol=1e-12)


def test_categorical_covariate_on_weights_only_design(tmp_path: Path) -> None:
    frame, design = _frame("apistrat"), sk.Design(weights="pw")
    path = tmp_path / "apistrat.parquet"
    frame.to_parquet(path)
    want = models.logistic(sk.Survey(frame, design), "hi ~ C(stype) + ell + meals").coef
    got = sk.Survey(sk.scan(path), design).logistic("hi", ["C(stype)", "ell", "meals"])
    assert got["term"].tolist() == ["Intercept", "C(stype)[T.H]", "C(stype)[T.M]", "ell", "meals"]
    assert _same(want, got) < RTOL


def _lonely_frame() -> pd.DataFrame:
    frame = _frame("apistrat")
    frame["h"] = frame["stype"].where(frame.index != 5, "L")  # stratum L holds one row
    return frame


@pytest.mark.parametrize("fpc", [None, "fpc"])
@pytest.mark.parametrize("policy", ["adjust", "remove", "certainty"])
def test_lonely_strata_follow_the_policy(policy: str, fpc: str | None) -> None:
    frame = _lonely_frame()
    design = sk.Design(strata="h", weights="pw", fpc=fpc, lonely_psu=policy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        want = models.logistic(sk.Survey(frame, design), "hi ~ ell + meals").coef
        got = sk.Survey(sk.scan(frame), design).logistic("hi", ["ell", "meals"])
    assert _same(want, got) < RTOL


def test_adjust_counts_the_lonely_row_and_remove_does_not() -> None:
    """The policies give different standard errors, so the test above tells them apart."""
    frame = _lonely_frame()
    se = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        for policy in ("adjust", "remove"):
            lazy = sk.Survey(sk.scan(frame), sk.Design(strata="h", weights="pw", lonely_psu=policy))
            se[policy] = lazy.logistic("hi", ["ell", "meals"])["se"].to_numpy(float)
    assert np.all(se["adjust"] > se["remove"] * (1 + 1e-6))


def test_lonely_strata_refused_under_fail_and_average() -> None:
    frame = _lonely_frame()
    with pytest.raises(DesignError, match="at least 2 PSUs"):
        sk.Survey(sk.scan(frame), sk.Design(strata="h", weights="pw"))
    with pytest.raises(DesignError, match='lonely_psu="average" needs the in-memory Survey'):
        sk.Survey(sk.scan(frame), sk.Design(strata="h", weights="pw", lonely_psu="average"))


def test_the_sandwich_is_one_group_by_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a weights column the Newton steps are ungrouped sums; the meat is one GROUP BY."""
    frame = _frame("apistrat")
    lazy = sk.Survey(sk.scan(frame), sk.Design(strata="stype", weights="pw", fpc="fpc"))
    seen = record_queries(monkeypatch, lazy)
    lazy.logistic("hi", ["ell", "meals"])
    assert len(seen) >= 3
    assert sum("GROUP BY" in sql for sql, _ in seen) == 1 and "GROUP BY" in seen[-1][0]
