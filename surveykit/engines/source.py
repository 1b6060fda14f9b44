"""Lazy data sources: :func:`scan` wraps Parquet/CSV files or folders, a DuckDB relation or table,
a pandas frame or an Arrow table as a DuckDB relation, or a Spark DataFrame or table
(:mod:`surveykit.engines.spark`), read only by the aggregating queries of
:mod:`surveykit.engines.aggregate` (nothing is loaded into memory row by row).

Column names reach SQL only as quoted identifiers (:func:`ident`) and values only as query
parameters, so no text of a file or a user is ever executed as SQL.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

from surveykit.engines.sql import DUCKDB, ident
from surveykit.engines.view import Scan
from surveykit.errors import DataError, ReadError

__all__ = ["Scan", "scan", "ident"]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".tsv", ".txt")
_SERIAL = itertools.count()


def _duckdb_scan(con: Any, relation: Any, source: str) -> Scan:
    view = f"surveykit_scan_{id(relation):x}_{next(_SERIAL)}"
    relation.create_view(view, replace=True)
    schema = [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {DUCKDB.ident(view)}").fetchall()]

    def run(sql: str, params: list[Any] | None) -> Any:
        rel = con.sql(sql, params=params) if params else con.sql(sql)
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()

    return Scan(con, run, view, schema, source, DUCKDB)


def _connection(threads: int | None, memory_limit: str | None) -> Any:
    import duckdb

    con = duckdb.connect(":memory:")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [str(memory_limit)])
    return con


def scan(
    source: Any,
    *,
    table: str | None = None,
    engine: str | None = None,
    session: Any = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> Scan:
    """A lazy data source for :class:`surveykit.Survey` (surveys larger than memory).

    Parameters
    ----------
    source : path, folder, glob, pandas.DataFrame, pyarrow.Table, DuckDB connection, Spark DataFrame or SparkSession
        Parquet (``.parquet``/``.pq``) or CSV files, a folder of them (read as one table), a glob
        such as ``"data/*.parquet"``, an in-memory frame, or a DuckDB connection with *table*;
        a PySpark DataFrame (the estimates then run on Spark), or a SparkSession with *table*
        (a table of its catalog, e.g. a warehouse table).
    table : str, optional
        With a DuckDB connection or a SparkSession: the table (or view) holding the survey.
    engine : {"duckdb", "spark"}, optional
        The engine for a path: DuckDB (the default, embedded) or Spark, which reads the path
        with *session* (paths such as ``s3a://bucket/survey/`` work on a cluster).
    session : pyspark.sql.SparkSession, optional
        With ``engine="spark"``: the session to read with.
    threads, memory_limit : optional
        DuckDB settings for a connection surveykit opens (e.g. ``memory_limit="2GB"``; DuckDB
        spills to disk beyond it).

    Returns
    -------
    Scan
        Pass it to ``sk.Survey(scan, design)``: every estimate is computed from per-PSU sums
        aggregated inside the engine, so memory use does not grow with the number of rows.

    Examples
    --------
    >>> import pandas as pd, surveykit as sk
    >>> s = sk.scan(pd.DataFrame({"y": [1.0, 2.0, 4.0], "w": [1.0, 1.0, 2.0]}))
    >>> s.columns
    ('y', 'w')
    """
    from surveykit.engines import spark

    if engine not in (None, "duckdb", "spark"):
        raise DataError(f"engine must be 'duckdb' or 'spark'; got {engine!r}.")
    if spark.is_spark_frame(source):
        return spark.spark_scan(source, "a Spark DataFrame")
    if spark.is_spark_session(source):
        if not isinstance(table, str) or not table:
            raise DataError(
                "table must name a table or view of the SparkSession's catalog; got none. "
                "Pass sk.scan(session, table='db.survey')."
            )
        return spark.spark_table(source, table)
    if engine == "spark":
        if not spark.is_spark_session(session):
            raise DataError(
                f"engine='spark' needs session=, a pyspark SparkSession; got {type(session).__name__}. "
                "Pass sk.scan(path, engine='spark', session=spark)."
            )
        if not isinstance(source, (str, os.PathLike)):
            raise DataError(f"with engine='spark', source must be a path Spark can read; got {type(source).__name__}.")
        return spark.spark_read(session, str(source))
    return _duckdb_source(source, table, threads, memory_limit)


def _duckdb_source(source: Any, table: str | None, threads: int | None, memory_limit: str | None) -> Scan:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a dependency
        raise ReadError("sk.scan needs the duckdb package; install it with `pip install duckdb`.") from exc
    import pandas as pd

    if isinstance(source, duckdb.DuckDBPyConnection):
        if not isinstance(table, str) or not table:
            raise DataError(
                "table must name the table or view of the DuckDB connection; got none. "
                "Pass sk.scan(con, table='survey')."
            )
        try:
            return _duckdb_scan(source, source.table(table), f"DuckDB table {table!r}")
        except duckdb.Error as exc:
            raise ReadError(f"DuckDB table {table!r} could not be opened: {exc}.") from None
    if isinstance(source, duckdb.DuckDBPyRelation):
        raise DataError(
            "a DuckDB relation must come with its connection; pass sk.scan(con, table=name) "
            "after relation.create_view(name)."
        )
    con = _connection(threads, memory_limit)
    if isinstance(source, pd.DataFrame):
        return _duckdb_scan(con, con.from_df(source), "a pandas DataFrame")
    if type(source).__module__.startswith("pyarrow"):
        return _duckdb_scan(con, con.from_arrow(source), "an Arrow table")
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"source must be a file, folder or glob path, a DataFrame, an Arrow table, a DuckDB "
            f"connection or a Spark DataFrame; got {type(source).__name__}."
        )
    return _duckdb_scan(con, _read(con, str(source)), f"data {str(source)!r}")


def _read(con: Any, text: str) -> Any:
    import duckdb

    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in _PARQUET + _CSV)
        kinds = {p.suffix.lower() in _PARQUET for p in files}
        if not files or len(kinds) != 1:
            raise ReadError(
                f"folder {text!r} must hold Parquet or CSV files (one kind); got "
                f"{len(files)} data files. Point at the files, e.g. '{text}/*.parquet'."
            )
        names = [str(p) for p in files]
        parquet = kinds == {True}
    else:
        if not any(ch in text for ch in "*?[") and not path.exists():
            raise ReadError(f"data file {text!r} must exist; it does not. Check the path.")
        names, parquet = [text], path.suffix.lower() in _PARQUET
        if not parquet and path.suffix.lower() not in _CSV:
            raise ReadError(
                f"data {text!r} must be Parquet (.parquet, .pq) or CSV (.csv, .tsv); got "
                f"{path.suffix or 'no suffix'!r}. Convert it, or read it with sk.read and pass the frame."
            )
    try:
        return con.read_parquet(names) if parquet else con.read_csv(names if len(names) > 1 else names[0])
    except duckdb.Error as exc:
        raise ReadError(f"data {text!r} could not be read: {str(exc).splitlines()[0]}") from None
