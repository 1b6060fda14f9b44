"""The lazy path (sk.scan + DuckDB) equals the in-memory Survey on every supported verb.

The in-memory Survey is itself checked against R survey (tests/golden); here the lazy survey,
which aggregates per design cell inside DuckDB, must give the same Estimate to 1e-10 relative:
strata, one- and two-stage clusters, fpc at one or two stages, nest, lonely PSUs, domains,
missing values, and every proportion interval.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveykit as sk
from surveykit.engines import LazySurvey
from surveykit.errors import DataError, DesignError, LonelyPSUWarning
from surveykit.estimate.intervals import PROPORTION_METHODS

API = Path(__file__).parent / "data" / "api"
RTOL = 1e-10
COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "deff", "n", "weighted_n")

DESIGNS = {
    "strat_fpc": ("apistrat", dict(strata="stype", weights="pw", fpc="fpc")),
    "strat": ("apistrat", dict(strata="stype", weights="pw")),
    "clus1_fpc": ("apiclus1", dict(ids="dnum", weights="pw", fpc="fpc")),
    "clus2_fpc2": ("apiclus2", dict(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])),
    "clus2_weights": ("apiclus2", dict(ids=["dnum", "snum"], weights="pw")),
    "srs_fpc": ("apisrs", dict(fpc="fpc")),
    "srs_plain": ("apisrs", dict()),
    "strat_clus_nest": ("apistrat", dict(strata="stype", ids="dnum", weights="pw", nest=True, lonely_psu="adjust")),
}


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(API / f"{name}.csv")
    frame.loc[frame.index % 7 == 3, "enroll"] = np.nan  # missing values to drop
    frame["cat"] = frame["stype"].where(frame.index % 5 != 1)  # a categorical with missing answers
    return frame


def _same(mem: sk.estimate.Estimate, lazy: sk.estimate.Estimate) -> None:
    a, b = mem.to_frame(), lazy.to_frame()
    assert len(a) == len(b) > 0
    assert a["variable"].tolist() == b["variable"].tolist()
    assert [str(x) for x in a["domain"]] == [str(x) for x in b["domain"]]
    for col in COLUMNS:
        np.testing.assert_allclose(b[col].to_numpy(float), a[col].to_numpy(float), rtol=RTOL, atol=1e-12, err_msg=col)


@pytest.fixture(scope="module", params=sorted(DESIGNS))
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[sk.Survey, LazySurvey]:
    name, kwargs = DESIGNS[request.param]
    frame = _frame(name)
    path = tmp_path_factory.mktemp("lazy") / f"{name}.parquet"
    frame.to_parquet(path)
    design = sk.Design(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        mem = sk.Survey(frame, design)
        lazy = sk.Survey(sk.scan(path), design)
    assert isinstance(lazy, LazySurvey)
    return mem, lazy


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_means_with_missing_values(pair: tuple[sk.Survey, LazySurvey]) -> None:
    mem, lazy = pair
    _same(mem.mean(["api00", "enroll"], na="drop"), lazy.mean(["api00", "enroll"], na="drop"))


def test_domain_means_and_totals(pair: tuple[sk.Survey, LazySurvey]) -> None:
    mem, lazy = pair
    _same(mem.mean("api00", by="stype"), lazy.mean("api00", by="stype"))
    _same(
        mem.total("enroll", by=["stype", "awards"], na="drop"), lazy.total("enroll", by=["stype", "awards"], na="drop")
    )


@pytest.mark.parametrize("method", PROPORTION_METHODS)
def test_proportions_every_interval(pair: tuple[sk.Survey, LazySurvey], method: str) -> None:
    mem, lazy = pair
    _same(mem.proportion("awards", ci_method=method), lazy.proportion("awards", ci_method=method))
    _same(
        mem.proportion("stype", by="awards", ci_method=method), lazy.proportion("stype", by="awards", ci_method=method)
    )


def test_a_proportion_with_missing_answers_uses_the_domain_rows(pair: tuple[sk.Survey, LazySurvey]) -> None:
    mem, lazy = pair
    for method in ("beta", "likelihood", "logit"):
        _same(mem.proportion("cat", na="drop", ci_method=method), lazy.proportion("cat", na="drop", ci_method=method))
        _same(
            mem.proportion("cat", level="H", by="awards", na="drop", ci_method=method),
            lazy.proportion("cat", level="H", by="awards", na="drop", ci_method=method),
        )
    with pytest.raises(DataError, match=r"level must be a value of 'cat'; got 'Z'"):
        lazy.proportion("cat", level="Z", na="drop")


def test_sources_other_than_parquet_give_the_same_numbers(tmp_path: Path) -> None:
    frame = _frame("apiclus1")
    design = sk.Design(ids="dnum", weights="pw", fpc="fpc")
    want = sk.Survey(frame, design).mean("api00")
    frame.to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "parts").mkdir()
    frame.iloc[:100].to_parquet(tmp_path / "parts" / "p1.parquet")
    frame.iloc[100:].to_parquet(tmp_path / "parts" / "p2.parquet")
    import duckdb

    con = duckdb.connect()
    con.from_df(frame).create_view("survey")
    for source in (
        sk.scan(tmp_path / "a.csv"),
        sk.scan(tmp_path / "parts"),
        sk.scan(str(tmp_path / "parts" / "*.parquet")),
        sk.scan(frame),
        sk.scan(con, table="survey"),
    ):
        _same(want, sk.Survey(source, design).mean("api00"))


def test_bad_input_gives_surveykit_errors(tmp_path: Path) -> None:
    frame = _frame("apistrat")
    lazy = sk.Survey(sk.scan(frame), sk.Design(strata="stype", weights="pw"))
    with pytest.raises(
        DataError, match=r"variable 'api0' must be a column of a pandas DataFrame; it is not\. Did you mean 'api00'"
    ):
        lazy.mean("api0")
    with pytest.raises(
        DataError, match=r"must have no missing values in the estimand; got 29 missing\. Pass na='drop'"
    ):
        lazy.mean("enroll")
    with pytest.raises(DataError, match=r"variable 'stype' must be numeric for mean\(\); got VARCHAR"):
        lazy.mean("stype")
    with pytest.raises(DataError, match="ci_method must be one of"):
        lazy.proportion("awards", ci_method="exact")
    with pytest.raises(DesignError, match=r"design column 'stratum' must be a column"):
        sk.Survey(sk.scan(frame), sk.Design(strata="stratum"))
    bad = frame.assign(pw=frame["pw"].where(frame.index != 5))
    with pytest.raises(DesignError, match=r"weights column 'pw' must be finite and >= 0; got 1 missing"):
        sk.Survey(sk.scan(bad), sk.Design(strata="stype", weights="pw"))
    with pytest.raises(DataError, match=r"a lazy survey takes only the scan and the design"):
        sk.Survey(sk.scan(frame), None, None, meta=None)
    with pytest.raises(sk.ReadError, match=r"must exist; it does not"):
        sk.scan(tmp_path / "none.parquet")
    (tmp_path / "x.sav").write_bytes(b"")
    with pytest.raises(sk.ReadError, match=r"must be Parquet"):
        sk.scan(tmp_path / "x.sav")
    with pytest.raises(DataError, match=r"source must be a file"):
        sk.scan(42)


def test_hostile_column_names_are_identifiers_not_sql() -> None:
    name = 'y"; DROP TABLE x; --'
    frame = pd.DataFrame({name: [1.0, 2.0, 4.0, 8.0], "g": ["a'b", "a'b", "c", "c"], "w": [1.0, 2.0, 1.0, 1.0]})
    want = sk.Survey(frame, sk.Design(weights="w")).mean(name, by="g")
    _same(want, sk.Survey(sk.scan(frame), sk.Design(weights="w")).mean(name, by="g"))
    _same(
        sk.Survey(frame, sk.Design(weights="w")).proportion("g"),
        sk.Survey(sk.scan(frame), sk.Design(weights="w")).proportion("g"),
    )


def test_lonely_psus_without_clusters_follow_the_policy() -> None:
    frame = pd.DataFrame({"h": [1, 1, 1, 2], "y": [1.0, 2.0, 4.0, 3.0], "w": [1.0, 2.0, 1.0, 3.0]})
    with pytest.raises(DesignError, match="at least 2 PSUs"):
        sk.Survey(sk.scan(frame), sk.Design(strata="h", weights="w"))
    for policy in ("adjust", "remove", "certainty"):
        design = sk.Design(strata="h", weights="w", lonely_psu=policy)
        with pytest.warns(LonelyPSUWarning) if policy != "certainty" else _nothing():
            mem = sk.Survey(frame, design)
        with pytest.warns(LonelyPSUWarning) if policy != "certainty" else _nothing():
            lazy = sk.Survey(sk.scan(frame), design)
        _same(mem.mean("y"), lazy.mean("y"))


def test_crosstabs_with_rao_scott_tests(pair: tuple[sk.Survey, LazySurvey]) -> None:
    mem, lazy = pair
    a, b = mem.crosstab("stype", "awards"), lazy.crosstab("stype", "awards")
    cols = ["n", "weighted_n", "weighted_n_se", "cell", "cell_se", "row", "row_se", "col", "col_se"]
    np.testing.assert_allclose(b.table[cols].to_numpy(float), a.table[cols].to_numpy(float), rtol=RTOL, atol=1e-12)
    assert b.table["row_level"].tolist() == a.table["row_level"].tolist()
    assert (a.df, a.n) == (b.df, b.n)
    for name in ("F", "Chisq", "Wald"):
        ta, tb = a.test(name), b.test(name)
        np.testing.assert_allclose([tb.statistic, tb.p_value], [ta.statistic, ta.p_value], rtol=1e-9)


@pytest.mark.parametrize("name", ["clus1_fpc", "clus2_fpc2", "clus2_weights", "strat_clus_nest"])
def test_logistic_models_newton_steps_in_the_engine(name: str) -> None:
    from surveykit import models

    source, kwargs = DESIGNS[name]
    frame = _frame(source).assign(hi=lambda d: (d["api00"] > 650).astype(int))
    design = sk.Design(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        want = models.logistic(sk.Survey(frame, design), "hi ~ ell + meals + enroll").coef
        got = sk.Survey(sk.scan(frame), design).logistic("hi", ["ell", "meals", "enroll"])
    assert got["term"].tolist() == want["term"].tolist()
    cols = ["estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]
    np.testing.assert_allclose(got[cols].to_numpy(float), want[cols].to_numpy(float), rtol=1e-9)


def test_lazy_logistic_refuses_what_it_cannot_do() -> None:
    frame = _frame("apiclus1").assign(hi=lambda d: (d["api00"] > 650).astype(int))
    lazy = sk.Survey(sk.scan(frame), sk.Design(ids="dnum", weights="pw"))
    with pytest.raises(DataError, match=r"response 'api00' must be 0/1; got 183 other values"):
        lazy.logistic("api00", ["ell"])
    with pytest.raises(DataError, match=r"model variable 'stype' must be numeric in a lazy model; got VARCHAR"):
        lazy.logistic("stype", ["ell"])  # a text covariate is categorical (tests/test_lazy_categorical.py)
