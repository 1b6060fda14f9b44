"""Categorical covariates of the lazy logistic model equal those of the in-memory formula.

``lazy.logistic("hi", ["C(stype)", "ell"])`` codes ``stype`` in the engine (its levels found by one
query over the complete rows with positive weight, every other level than the first a column
``CASE WHEN stype = ? THEN 1.0 ELSE 0.0 END`` with the level a bound parameter) and must give the
coefficient table of ``models.logistic(svy, "hi ~ C(stype) + ell")`` term for term (same names,
same order, same reference level) to 1e-10 relative: on a clustered Taylor design and on a JK1
replicate design, with a numeric C(), with level values holding quote characters, with a text
or boolean column given without C() (categorical, as in a formula), with a pandas Categorical
(its categories' order), and with a level whose every row has a missing response (no column, as
if the level were absent).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from coef_compare import record_queries, same_coefs

import surveykit as sk
from surveykit import models
from surveykit.errors import DataError, ModelError, SurveykitWarning

API = Path(__file__).parent / "data" / "api"
RTOL = 1e-10
COLS = ["estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]
CLUSTERED = sk.Design(ids="dnum", weights="pw", fpc="fpc")
TWO_STAGE = sk.Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
QUOTED = {"E": "O'Brien", "H": 'P "hi"', "M": "Q'; --"}  # level values with quote characters


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(API / f"{name}.csv")
    frame["hi"] = (frame["api00"] > 650).astype(float)
    frame.loc[frame.index % 7 == 3, "ell"] = np.nan  # complete cases only
    frame["k"] = frame["snum"] % 3  # a numeric column coded as categorical by C(k)
    frame["who"] = frame["stype"].map(QUOTED)
    return frame


def _same(want: pd.DataFrame, got: pd.DataFrame) -> float:
    return same_coefs(want, got)


@pytest.mark.parametrize(
    ("formula", "covariates", "terms"),
    [
        ("hi ~ C(stype) + ell", ["C(stype)", "ell"], ["Intercept", "C(stype)[T.H]", "C(stype)[T.M]", "ell"]),
        # patsy puts the categorical term first whatever the order written
        ("hi ~ ell + meals + C(stype)", ["ell", "meals", "C(stype)"],
         ["Intercept", "C(stype)[T.H]", "C(stype)[T.M]", "ell", "meals"]),
        ("hi ~ C(k) + C(stype) + ell", ["C(k)", "C( stype )", "ell"],
         ["Intercept", "C(k)[T.1]", "C(k)[T.2]", "C(stype)[T.H]", "C(stype)[T.M]", "ell"]),
    ],
)  # fmt: skip
def test_clustered_categorical_equals_in_memory(formula: str, covariates: list[str], terms: list[str]) -> None:
    frame = _frame("apiclus1")
    want = models.logistic(sk.Survey(frame, CLUSTERED), formula).coef
    assert want["term"].tolist() == terms
    assert _same(want, sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", covariates)) < RTOL


def test_two_stage_design_from_parquet(tmp_path: Path) -> None:
    frame = _frame("apiclus2")
    path = tmp_path / "apiclus2.parquet"
    frame.to_parquet(path)
    want = models.logistic(sk.Survey(frame, TWO_STAGE), "hi ~ C(stype) + meals").coef
    assert _same(want, sk.Survey(sk.scan(path), TWO_STAGE).logistic("hi", ["C(stype)", "meals"])) < RTOL


def test_levels_with_quotes_are_bound_parameters() -> None:
    """Level values reach the engine as parameters: quotes, semicolons and comment marks are data."""
    frame = _frame("apiclus1")
    got = sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["C(who)", "ell"])
    assert got["term"].tolist() == ["Intercept", 'C(who)[T.P "hi"]', "C(who)[T.Q'; --]", "ell"]
    want = models.logistic(sk.Survey(frame, CLUSTERED), "hi ~ C(who) + ell").coef
    assert _same(want, got) < RTOL
    # the same fit as with the plain levels E < H < M (the same order, the same reference)
    plain = sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["C(stype)", "ell"])
    np.testing.assert_allclose(got[COLS].to_numpy(float), plain[COLS].to_numpy(float), rtol=RTOL)


def test_levels_never_become_sql_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every query of the fit carries the levels as parameters; no level is in any SQL text."""
    frame = _frame("apiclus1")
    lazy = sk.Survey(sk.scan(frame), CLUSTERED)
    seen = record_queries(monkeypatch, lazy)
    lazy.logistic("hi", ["C(who)", "ell"])
    fits = [(sql, params) for sql, params in seen if "CASE WHEN" in sql]
    assert len(fits) >= 3 and all(params == ['P "hi"', "Q'; --"] for _, params in fits)
    assert not any(v in sql for sql, _ in seen for v in QUOTED.values())


def test_too_many_levels_are_refused() -> None:
    frame = _frame("apiclus1")
    with pytest.raises(DataError, match=r"categorical covariate 'name' must have at most 100 levels in a lazy model"):
        sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["C(name)", "ell"])


def test_text_column_without_c_is_categorical() -> None:
    """As in a formula, a text or boolean column given plainly is categorical, named ``stype[T.H]``."""
    frame = _frame("apiclus1")
    want = models.logistic(sk.Survey(frame, CLUSTERED), "hi ~ stype + ell").coef
    assert want["term"].tolist() == ["Intercept", "stype[T.H]", "stype[T.M]", "ell"]
    assert _same(want, sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["stype", "ell"])) < RTOL
    # a boolean column too: levels False < True, named yr[T.True]
    frame["yr"] = frame["yr.rnd"] == "Yes"
    want = models.logistic(sk.Survey(frame, CLUSTERED), "hi ~ yr + ell").coef
    assert want["term"].tolist() == ["Intercept", "yr[T.True]", "ell"]
    assert _same(want, sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["yr", "ell"])) < RTOL


def test_pandas_categorical_keeps_its_order() -> None:
    """A pandas Categorical (a DuckDB ENUM) has its categories' order, as in a formula: M first."""
    frame = _frame("apiclus1")
    frame["stype"] = pd.Categorical(frame["stype"], categories=["M", "E", "H"])
    want = models.logistic(sk.Survey(frame, CLUSTERED), "hi ~ C(stype) + ell").coef
    assert want["term"].tolist() == ["Intercept", "C(stype)[T.E]", "C(stype)[T.H]", "ell"]
    assert _same(want, sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["C(stype)", "ell"])) < RTOL
    plain = models.logistic(sk.Survey(frame, CLUSTERED), "hi ~ stype + ell").coef
    assert _same(plain, sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["stype", "ell"])) < RTOL


def test_level_only_among_missing_responses_makes_no_column() -> None:
    """A level held only by rows with a missing response gets no column: the fit is that of the
    in-memory formula on the data where those rows' level is missing too. (The in-memory formula
    finds levels over all rows, so there it gives an all-zero column and refuses the model.)"""
    frame = _frame("apiclus1")
    lone = frame.index % 9 == 4
    frame.loc[lone, "hi"] = np.nan
    frame.loc[lone, "stype"] = "Z"
    got = sk.Survey(sk.scan(frame), CLUSTERED).logistic("hi", ["C(stype)", "ell"])
    assert got["term"].tolist() == ["Intercept", "C(stype)[T.H]", "C(stype)[T.M]", "ell"]
    without = frame.assign(stype=frame["stype"].where(~lone))
    assert _same(models.logistic(sk.Survey(without, CLUSTERED), "hi ~ C(stype) + ell").coef, got) < RTOL
    with pytest.raises(ModelError, match=r"aliased \(C\(stype\)\[T\.Z\]\)"):
        models.logistic(sk.Survey(frame, CLUSTERED), "hi ~ C(stype) + ell")


def _jk1() -> sk.Survey:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurveykitWarning)  # fpc dropped, as R
        mem = sk.as_replicate(sk.Survey(_frame("apiclus1"), CLUSTERED), "JK1")
    return mem


def _replicate_parquet(mem: sk.Survey, tmp_path: Path) -> Path:
    names = mem.design.replicate_weights
    assert isinstance(names, tuple)
    reps = pd.DataFrame(mem.resolved.repweights, columns=list(names))
    path = tmp_path / "replicates.parquet"
    pd.concat([mem.analysis_data().reset_index(drop=True), reps], axis=1).to_parquet(path)
    return path


@pytest.mark.parametrize(
    ("formula", "covariates"),
    [("hi ~ C(stype) + meals", ["meals", "C(stype)"]), ("hi ~ C(who) + ell", ["C(who)", "ell"])],
)
def test_replicate_categorical_equals_in_memory(formula: str, covariates: list[str], tmp_path: Path) -> None:
    mem = _jk1()
    want = models.logistic(mem, formula).coef
    lazy = sk.Survey(sk.scan(_replicate_parquet(mem, tmp_path)), mem.design)
    assert _same(want, lazy.logistic("hi", covariates)) < RTOL


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_quoted_levels_on_spark(spark: Any, tmp_path: Path) -> None:
    """Spark binds the levels as parameters too (JK1, quoted levels)."""
    mem = _jk1()
    want = models.logistic(mem, "hi ~ C(who) + ell").coef
    path = _replicate_parquet(mem, tmp_path)
    got = sk.Survey(sk.scan(path, engine="spark", session=spark), mem.design).logistic("hi", ["C(who)", "ell"])
    assert _same(want, got) < RTOL
