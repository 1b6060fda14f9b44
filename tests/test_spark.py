"""The lazy path on Apache Spark (PySpark, local mode) equals the in-memory Survey.

The aggregating SQL is the one DuckDB runs (surveykit.engines.aggregate), spelled in Spark's
dialect; here the estimates of a Spark-backed survey must equal the in-memory ones (themselves
checked against R survey in tests/golden) to 1e-10 relative: strata, multistage clusters, fpc at
two stages, lonely PSUs, domains, missing values, crosstabs with Rao-Scott tests and logistic
models. One local[1] session serves the whole module; Spark's log is kept to errors.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.engines import LazySurvey
from surveykit.errors import DataError, LonelyPSUWarning

if shutil.which("java") is None and not os.environ.get("CI"):  # CI installs a JRE (make system)
    pytest.skip(
        "the Spark tests need a Java runtime (apt-get install openjdk-17-jre-headless)", allow_module_level=True
    )
pyspark = pytest.importorskip("pyspark", reason="the Spark tests need pyspark (pip install -e '.[spark]')")

# PySpark warns about pandas 3 when imported; surveykit hands data to and from Spark as Arrow
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
API = Path(__file__).parent / "data" / "api"
RTOL = 1e-10
COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "deff", "n", "weighted_n")
DESIGNS = {  # every row its own PSU; and strata with two-stage clusters, fpc at both stages, weights from the fpc
    "strat_fpc": ("apistrat", dict(strata="stype", weights="pw", fpc="fpc")),
    "strat_clus2_fpc2": (
        "apistrat",
        dict(strata="stype", ids=["dnum", "snum"], fpc=["fpc1", "fpc2"], nest=True, lonely_psu="adjust"),
    ),
}


def _spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """*frame* as a Spark DataFrame, handed over as Arrow (NaN becomes NULL, as in Parquet)."""
    import pyarrow as pa

    return spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(API / f"{name}.csv")
    frame.loc[frame.index % 7 == 3, "enroll"] = np.nan  # missing values to drop
    frame["cat"] = frame["stype"].where(frame.index % 5 != 1)  # a categorical with missing answers
    frame["hi"] = (frame["api00"] > 650).astype(int)
    if name == "apistrat":  # population sizes for a two-stage design: districts per stratum, schools per district
        frame["fpc1"] = 4 * frame.groupby("stype")["dnum"].transform("nunique")
        frame["fpc2"] = 3 * frame.groupby(["stype", "dnum"])["snum"].transform("size")
    keep = [
        "stype",
        "dnum",
        "snum",
        "pw",
        "fpc",
        "fpc1",
        "fpc2",
        "api00",
        "ell",
        "meals",
        "enroll",
        "awards",
        "cat",
        "hi",
    ]
    return frame[[c for c in keep if c in frame.columns]]


def _same(mem: sk.estimate.Estimate, lazy: sk.estimate.Estimate) -> float:
    a, b = mem.to_frame(), lazy.to_frame()
    assert len(a) == len(b) > 0
    assert a["variable"].tolist() == b["variable"].tolist()
    assert [str(x) for x in a["domain"]] == [str(x) for x in b["domain"]]
    worst = 0.0
    for col in COLUMNS:
        want, got = a[col].to_numpy(float), b[col].to_numpy(float)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-12, err_msg=col)
        with np.errstate(all="ignore"):
            rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
        worst = max(worst, float(np.nanmax(np.where(np.isfinite(want), rel, 0.0))))
    return worst


@pytest.fixture(scope="module", params=sorted(DESIGNS))
def pair(request: pytest.FixtureRequest, spark: Any) -> tuple[str, sk.Survey, LazySurvey]:
    name, kwargs = DESIGNS[request.param]
    frame = _frame(name)
    design = sk.Design(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        mem = sk.Survey(frame, design)
        lazy = sk.Survey(sk.scan(_spark_frame(spark, frame)), design)
    assert isinstance(lazy, LazySurvey) and lazy.scan.engine == "spark"
    return request.param, mem, lazy


def test_means_totals_and_domains_on_spark(pair: tuple[str, sk.Survey, LazySurvey]) -> None:
    _, mem, lazy = pair
    assert lazy.n == mem.n
    _same(mem.mean(["api00", "enroll"], na="drop"), lazy.mean(["api00", "enroll"], na="drop"))
    _same(mem.mean("api00", by="stype"), lazy.mean("api00", by="stype"))
    _same(mem.total("enroll", by="awards", na="drop"), lazy.total("enroll", by="awards", na="drop"))


def test_proportions_on_spark(pair: tuple[str, sk.Survey, LazySurvey]) -> None:
    _, mem, lazy = pair
    _same(mem.proportion("stype", by="awards"), lazy.proportion("stype", by="awards"))
    _same(mem.proportion("cat", na="drop", ci_method="beta"), lazy.proportion("cat", na="drop", ci_method="beta"))


def test_crosstab_with_rao_scott_on_spark(pair: tuple[str, sk.Survey, LazySurvey]) -> None:
    _, mem, lazy = pair
    a, b = mem.crosstab("stype", "awards"), lazy.crosstab("stype", "awards")
    cols = ["n", "weighted_n", "weighted_n_se", "cell", "cell_se", "row", "row_se", "col", "col_se"]
    np.testing.assert_allclose(b.table[cols].to_numpy(float), a.table[cols].to_numpy(float), rtol=RTOL, atol=1e-12)
    assert (a.df, a.n) == (b.df, b.n)
    for name in ("F", "Chisq", "Wald"):
        ta, tb = a.test(name), b.test(name)
        np.testing.assert_allclose([tb.statistic, tb.p_value], [ta.statistic, ta.p_value], rtol=1e-9)


def test_logistic_newton_steps_on_spark(pair: tuple[str, sk.Survey, LazySurvey]) -> None:
    from surveykit import models

    name, mem, lazy = pair  # strat_fpc has no clusters: the meat from per-stratum sums of u and u u'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        want = models.logistic(mem, "hi ~ ell + meals").coef
    got = lazy.logistic("hi", ["ell", "meals"])
    assert got["term"].tolist() == want["term"].tolist()
    cols = ["estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]
    np.testing.assert_allclose(got[cols].to_numpy(float), want[cols].to_numpy(float), rtol=1e-9)


def test_spark_reads_paths_and_catalog_tables(spark: Any, tmp_path: Path) -> None:
    frame = _frame("apiclus1")
    design = sk.Design(ids="dnum", weights="pw", fpc="fpc")
    want = sk.Survey(frame, design).mean("api00")
    frame.to_parquet(tmp_path / "a.parquet")
    _spark_frame(spark, frame).createOrReplaceTempView("apiclus1_table")
    for source in (
        sk.scan(tmp_path / "a.parquet", engine="spark", session=spark),
        sk.scan(spark, table="apiclus1_table"),
    ):
        assert source.engine == "spark"
        _same(want, sk.Survey(source, design).mean("api00"))


def test_spark_bad_input_gives_surveykit_errors(spark: Any, tmp_path: Path) -> None:
    frame = _frame("apistrat")
    lazy = sk.Survey(sk.scan(_spark_frame(spark, frame)), sk.Design(strata="stype", weights="pw"))
    with pytest.raises(DataError, match=r"variable 'api0' must be a column of a Spark DataFrame; it is not"):
        lazy.mean("api0")
    with pytest.raises(DataError, match=r"variable 'stype' must be numeric for mean\(\); got STRING"):
        lazy.mean("stype")
    with pytest.raises(DataError, match=r"got 29 missing\. Pass na='drop'"):  # NaN counts as missing
        lazy.mean("enroll")
    with pytest.raises(DataError, match=r"engine='spark' needs session=, a pyspark SparkSession; got NoneType"):
        sk.scan(tmp_path / "a.parquet", engine="spark")
    with pytest.raises(DataError, match=r"engine must be 'duckdb' or 'spark'; got 'polars'"):
        sk.scan(tmp_path / "a.parquet", engine="polars")
    with pytest.raises(sk.ReadError, match=r"Spark could not read .*none\.parquet"):
        sk.scan(tmp_path / "none.parquet", engine="spark", session=spark)
    with pytest.raises(sk.ReadError, match=r"Spark table 'no_such_table' could not be opened"):
        sk.scan(spark, table="no_such_table")


def test_replicate_weights_on_spark(spark: Any) -> None:
    """JK1 replicate weights: one SUM per replicate column, in Spark."""
    frame = _frame("apiclus1")
    groups = sorted(frame["dnum"].unique())
    for i, v in enumerate(groups):
        frame[f"rep{i}"] = np.where(frame["dnum"] == v, 0.0, frame["pw"] * len(groups) / (len(groups) - 1))
    design = sk.ReplicateDesign("pw", r"^rep\d+$", type="JK1", scale=(len(groups) - 1) / len(groups))
    mem, lazy = sk.Survey(frame, design), sk.Survey(sk.scan(_spark_frame(spark, frame)), design)
    _same(mem.mean(["api00", "enroll"], by="stype", na="drop"), lazy.mean(["api00", "enroll"], by="stype", na="drop"))
    _same(mem.total("enroll", na="drop"), lazy.total("enroll", na="drop"))
    _same(mem.proportion("awards", by="stype"), lazy.proportion("awards", by="stype"))
    a, b = mem.crosstab("stype", "awards"), lazy.crosstab("stype", "awards")  # replicate cell totals, one query
    cols = ["weighted_n", "weighted_n_se", "cell", "cell_se", "row", "row_se"]
    np.testing.assert_allclose(b.table[cols].to_numpy(float), a.table[cols].to_numpy(float), rtol=1e-10, atol=1e-13)
    for name in ("F", "Wald"):
        np.testing.assert_allclose(b.test(name).p_value, a.test(name).p_value, rtol=1e-9)
