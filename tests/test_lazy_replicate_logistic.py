"""Lazy survey logistic regression on replicate-weight designs equals the in-memory one.

``sk.Survey(sk.scan(parquet), sk.ReplicateDesign(...)).logistic(...)`` refits the model with
every replicate's weights in the engine (one aggregating query per Newton step for all
replicates) and must give the coefficient table of :func:`surveykit.models.logistic` on the
in-memory replicate Survey (R ``svyglm.svyrep.design``, checked against R in
tests/test_replicate_models.py) to 1e-10 relative: JK1, JKn (built by ``sk.as_replicate`` from a
stratified clustered design, more replicates than one query holds), BRR, Fay and bootstrap, with
``mse`` on and off, uncombined replicate factors, and complete cases with missing covariates and
responses.
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
from surveykit.engines import LazySurvey
from surveykit.errors import DataError, SurveykitWarning

API = Path(__file__).parent / "data" / "api"
RTOL = 1e-10
COLS = ["estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio", "or_ci_low", "or_ci_high"]
FORMULA, RESPONSE, COVARIATES = "hi ~ ell + meals + enroll", "hi", ["ell", "meals", "enroll"]


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(API / f"{name}.csv")
    frame["hi"] = (frame["api00"] > 650).astype(float)
    frame.loc[frame.index % 7 == 3, "enroll"] = np.nan  # complete cases only
    return frame


def _paired(frame: pd.DataFrame) -> pd.DataFrame:
    """apistrat in 20 strata of 10 schools, two PSUs each (for BRR and Fay)."""
    frame = frame.sort_values(["stype", "snum"], kind="stable").reset_index(drop=True)
    return frame.assign(h=frame.index // 10, psu=frame.index // 10 * 2 + frame.index % 2)


def _survey(kind: str, mse: bool) -> sk.Survey:
    """The in-memory replicate Survey of *kind* (replicate weights from sk.as_replicate)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurveykitWarning)  # fpc dropped, as R
        if kind == "JK1":
            svy = sk.Survey(_frame("apiclus1"), sk.Design(ids="dnum", weights="pw", fpc="fpc"))
            return sk.as_replicate(svy, "JK1", mse=mse)
        if kind in ("JKn", "bootstrap"):
            svy = sk.Survey(_frame("apistrat"), sk.Design(strata="stype", ids="dnum", weights="pw", nest=True))
            return sk.as_replicate(
                svy, kind, mse=mse, **({"replicates": 40, "seed": 11} if kind == "bootstrap" else {})
            )
        svy = sk.Survey(_paired(_frame("apistrat")), sk.Design(strata="h", ids="psu", weights="pw", nest=True))
        return sk.as_replicate(svy, kind, mse=mse)


def _parquet(mem: sk.Survey, tmp_path: Path) -> Path:
    """*mem*'s data with its replicate weight columns, written to Parquet."""
    rd = mem.resolved
    names = mem.design.replicate_weights
    assert isinstance(names, tuple)
    reps = pd.DataFrame(rd.repweights, columns=list(names))
    frame = pd.concat([mem.analysis_data().reset_index(drop=True), reps], axis=1)
    path = tmp_path / "replicates.parquet"
    frame.to_parquet(path)
    return path


def _lazy(mem: sk.Survey, tmp_path: Path) -> LazySurvey:
    """*mem* as a lazy survey on its Parquet file."""
    lazy = sk.Survey(sk.scan(_parquet(mem, tmp_path)), mem.design)
    assert isinstance(lazy, LazySurvey)
    return lazy


def _same(want: pd.DataFrame, got: pd.DataFrame) -> float:
    return same_coefs(want, got, COLS)


@pytest.mark.parametrize("mse", [False, True])
@pytest.mark.parametrize("kind", ["JK1", "JKn", "BRR", "Fay", "bootstrap"])
def test_lazy_replicate_logistic_equals_in_memory(kind: str, mse: bool, tmp_path: Path) -> None:
    mem = _survey(kind, mse)
    fit = models.logistic(mem, FORMULA)
    got = _lazy(mem, tmp_path).logistic(RESPONSE, COVARIATES)
    _same(fit.coef, got)
    assert fit.df_resid == mem.resolved.degf_where(fit._mf.keep) - 3  # df: degf of the complete rows - p + 1
    # the df of the table: t quantile from ci half-width
    np.testing.assert_allclose((got["ci_high"] - got["estimate"]) / got["se"],
                               (fit.coef["ci_high"] - fit.coef["estimate"]) / fit.coef["se"], rtol=1e-12)  # fmt: skip


def test_uncombined_factors_and_missing_responses(tmp_path: Path) -> None:
    """Bootstrap multiplicities not combined with the weights (the engine multiplies them), and
    rows with a missing response or covariate left out of every fit (complete cases)."""
    frame = _frame("apiclus1")
    frame.loc[frame.index % 11 == 5, "hi"] = np.nan
    frame.loc[frame.index % 13 == 2, "ell"] = np.nan
    rng = np.random.default_rng(7)
    groups, code = np.unique(frame["dnum"], return_inverse=True)
    g = len(groups)
    mult = rng.multinomial(g - 1, np.full(g, 1 / g), size=25).T
    frame = frame.assign(**{f"bs{r}": mult[code, r] * g / (g - 1) for r in range(25)})
    design = sk.ReplicateDesign("pw", [f"bs{r}" for r in range(25)], type="bootstrap", combined_weights=False)
    path = tmp_path / "boot.parquet"
    frame.to_parquet(path)
    for mse in (False, True):
        d = sk.ReplicateDesign(design.weights, design.replicate_weights, type="bootstrap", combined_weights=False,
                               mse=mse)  # fmt: skip
        want = models.logistic(sk.Survey(frame, d), "hi ~ ell + meals").coef
        _same(want, sk.Survey(sk.scan(path), d).logistic("hi", ["ell", "meals"]))


def test_one_query_per_newton_step_for_all_replicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The refits cost one query per Newton step for every replicate together (here 15 JK1
    replicates), not one per replicate; 162 JKn replicates are split into two queries a step."""
    from surveykit.engines import models as engine_models

    lazy = _lazy(_survey("JK1", False), tmp_path)
    queries = record_queries(monkeypatch, lazy)
    lazy.logistic(RESPONSE, COVARIATES)
    refits = [q for q, _ in queries if "sk_w14" in q]
    assert 2 <= len(refits) <= 6 and len(queries) <= 16
    assert all("sk_w15" not in q for q, _ in queries)
    monkeypatch.setattr(engine_models, "SETS_PER_QUERY", 4)  # batches give the same numbers
    mem = _survey("JKn", True)
    _same(models.logistic(mem, FORMULA).coef, _lazy(mem, tmp_path).logistic(RESPONSE, COVARIATES))


def test_lazy_replicate_logistic_errors(tmp_path: Path) -> None:
    lazy = _lazy(_survey("JK1", False), tmp_path)
    with pytest.raises(DataError, match=r"model variable 'stype' must be numeric in a lazy model; got VARCHAR"):
        lazy.logistic("stype", ["ell"])  # a text covariate is categorical (tests/test_lazy_categorical.py)
    with pytest.raises(DataError, match=r"response 'api00' must be 0/1; got 183 other values"):
        lazy.logistic("api00", ["ell"])
    with pytest.raises(DataError, match=r"model variable 'nope'"):
        lazy.logistic("hi", ["nope"])


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_lazy_replicate_logistic_on_spark(spark: Any, tmp_path: Path) -> None:
    """The same SQL in Spark's dialect (local mode): JK1 with mse and missing covariates."""
    mem = _survey("JK1", True)
    want = models.logistic(mem, FORMULA).coef
    path = _parquet(mem, tmp_path)
    got = sk.Survey(sk.scan(path, engine="spark", session=spark), mem.design).logistic(RESPONSE, COVARIATES)
    _same(want, got)
