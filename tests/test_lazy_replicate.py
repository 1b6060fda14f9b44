"""Replicate-weight designs on the lazy path equal the in-memory Survey (itself checked against R
survey in tests/test_replicate.py): means, totals and proportions with domains and missing
values, for combined JK1 weights, uncombined bootstrap factors with mse=True, and JKn with
rscales; the replicate estimates come from one aggregating query (one SUM per replicate column).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.engines import LazySurvey
from surveykit.errors import DesignError, SurveykitWarning

API = Path(__file__).parent / "data" / "api"
RTOL = 1e-10
COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "deff", "n", "weighted_n")


def _jk1(frame: pd.DataFrame, psu: str) -> pd.DataFrame:
    """Delete-one-PSU jackknife weights rep0..rep{G-1}, combined with pw."""
    groups = np.unique(frame[psu])
    g = len(groups)
    reps = {f"rep{i}": np.where(frame[psu] == v, 0.0, frame["pw"] * g / (g - 1)) for i, v in enumerate(groups)}
    return frame.assign(**reps)


def _boot(frame: pd.DataFrame, psu: str, n_rep: int = 12) -> pd.DataFrame:
    """Bootstrap factors (multiplicities of resampled PSUs), not combined with the weights."""
    rng = np.random.default_rng(7)
    groups, code = np.unique(frame[psu], return_inverse=True)
    mult = rng.multinomial(len(groups) - 1, np.full(len(groups), 1 / len(groups)), size=n_rep).T
    return frame.assign(**{f"bs{r}": mult[code, r] * len(groups) / (len(groups) - 1) for r in range(n_rep)})


def _jkn(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[float]]:
    """JKn factors on apistrat with pairs of schools as PSUs within each stratum (one replicate per PSU)."""
    frame = frame.sort_values(["stype", "snum"], kind="stable").reset_index(drop=True)
    frame["psu"] = frame.groupby("stype").cumcount() // 10
    reps, rscales = {}, []
    for h, sub in frame.groupby("stype"):
        psus = sorted(sub["psu"].unique())
        for p in psus:
            f = np.where(frame["stype"] != h, 1.0, np.where(frame["psu"] == p, 0.0, len(psus) / (len(psus) - 1)))
            reps[f"jk{len(reps)}"] = f
            rscales.append((len(psus) - 1) / len(psus))
    return frame.assign(**reps), rscales


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(API / f"{name}.csv")
    frame.loc[frame.index % 7 == 3, "enroll"] = np.nan
    frame["cat"] = frame["stype"].where(frame.index % 5 != 1)
    frame["both"] = np.where(frame["api00"] > 650, "high", "low")
    return frame


def _cases() -> dict[str, tuple[pd.DataFrame, sk.ReplicateDesign]]:
    clus1 = _frame("apiclus1")
    jkn, rscales = _jkn(_frame("apistrat"))
    boot = _boot(clus1, "dnum")
    return {
        "jk1_combined": (_jk1(clus1, "dnum"), sk.ReplicateDesign("pw", r"^rep\d+$", type="JK1", scale=14 / 15)),
        "bootstrap_factors_mse": (
            boot,
            sk.ReplicateDesign("pw", [f"bs{r}" for r in range(12)], type="bootstrap", combined_weights=False, mse=True),
        ),
        "jkn_rscales": (jkn, sk.ReplicateDesign("pw", r"^jk\d+$", type="JKn", rscales=rscales, combined_weights=False)),
    }


CASES = _cases()


def _same(mem: sk.estimate.Estimate, lazy: sk.estimate.Estimate) -> None:
    a, b = mem.to_frame(), lazy.to_frame()
    assert len(a) == len(b) > 0
    assert a["variable"].tolist() == b["variable"].tolist()
    assert [str(x) for x in a["domain"]] == [str(x) for x in b["domain"]]
    for col in COLUMNS:
        np.testing.assert_allclose(b[col].to_numpy(float), a[col].to_numpy(float), rtol=RTOL, atol=1e-12, err_msg=col)


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request: pytest.FixtureRequest) -> tuple[sk.Survey, LazySurvey]:
    frame, design = CASES[request.param]
    mem = sk.Survey(frame, design)
    lazy = sk.Survey(sk.scan(frame), design)
    assert isinstance(lazy, LazySurvey)
    assert (lazy.n_strata, lazy.n_psu) == (0, 0)
    return mem, lazy


def test_replicate_means_and_totals(pair: tuple[sk.Survey, LazySurvey]) -> None:
    mem, lazy = pair
    _same(mem.mean(["api00", "enroll"], na="drop"), lazy.mean(["api00", "enroll"], na="drop"))
    _same(mem.total("api00"), lazy.total("api00"))
    _same(mem.mean("api00", by="stype"), lazy.mean("api00", by="stype"))
    _same(
        mem.total("enroll", by=["stype", "awards"], na="drop"), lazy.total("enroll", by=["stype", "awards"], na="drop")
    )
    assert lazy.mean("api00").method.startswith("replicate weights (")


@pytest.mark.parametrize("method", ["logit", "wald", "beta", "xlogit"])
def test_replicate_proportions(pair: tuple[sk.Survey, LazySurvey], method: str) -> None:
    mem, lazy = pair
    _same(mem.proportion("awards", ci_method=method), lazy.proportion("awards", ci_method=method))
    _same(
        mem.proportion("stype", by="awards", ci_method=method), lazy.proportion("stype", by="awards", ci_method=method)
    )
    _same(mem.proportion("cat", na="drop", ci_method=method), lazy.proportion("cat", na="drop", ci_method=method))


XTAB = ["n", "weighted_n", "weighted_n_se", "cell", "cell_se", "row", "row_se", "col", "col_se"]


@pytest.mark.parametrize(("row", "col"), [("stype", "awards"), ("cat", "both")])
def test_replicate_crosstabs_with_rao_scott_tests(pair: tuple[sk.Survey, LazySurvey], row: str, col: str) -> None:
    """Cell shares, their replicate SEs and every svychisq statistic (R svychisq.svyrep.design),
    from one aggregating query with one SUM per replicate column; a row variable with missing values."""
    mem, lazy = pair
    a, b = mem.crosstab(row, col), lazy.crosstab(row, col)
    np.testing.assert_allclose(b.table[XTAB].to_numpy(float), a.table[XTAB].to_numpy(float), rtol=RTOL, atol=1e-13)
    assert b.table["row_level"].tolist() == a.table["row_level"].tolist()
    assert (b.df, b.n) == (a.df, a.n) and b.df > 0
    assert a.method == b.method == "replicate weights"
    for name in ("F", "Chisq", "Wald", "adjWald", "saddlepoint", "lincom"):
        ta, tb = a.test(name), b.test(name)
        np.testing.assert_allclose(
            [tb.statistic, tb.ndf, tb.ddf, tb.p_value], [ta.statistic, ta.ndf, ta.ddf, ta.p_value], rtol=1e-9,
            err_msg=name,
        )  # fmt: skip


def test_replicate_rules_and_errors_match_the_in_memory_design() -> None:
    frame, _ = CASES["jk1_combined"]
    guess = sk.ReplicateDesign("pw", r"^rep\d+$", type="JK1")  # scale guessed, with R's warning
    with pytest.warns(SurveykitWarning, match="type='JK1' without scale="):
        mem = sk.Survey(frame, guess)
    with pytest.warns(SurveykitWarning, match="type='JK1' without scale="):
        lazy = sk.Survey(sk.scan(frame), guess)
    _same(mem.mean("api00"), lazy.mean("api00"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurveykitWarning)
        bad = frame.assign(rep3=frame["rep3"].where(frame.index != 4))
        with pytest.raises(DesignError, match=r"replicate weight column 'rep3' must have no missing or infinite"):
            sk.Survey(sk.scan(bad), guess)
        with pytest.raises(DesignError, match=r"pattern '\^zz' must match at least one column"):
            sk.Survey(sk.scan(frame), sk.ReplicateDesign("pw", "^zz", type="JK1", scale=1.0))
        lazy = sk.Survey(sk.scan(frame), sk.ReplicateDesign("pw", r"^rep\d+$", type="JK1", scale=14 / 15))
        with pytest.raises(DesignError, match=r'ci_method="likelihood" is not available on replicate-weight'):
            lazy.proportion("awards", ci_method="likelihood")
