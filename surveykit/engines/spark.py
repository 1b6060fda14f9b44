"""Apache Spark as the engine of a lazy survey (PySpark, local mode or a cluster).

A Spark DataFrame (a file read by Spark, a warehouse table, the result of a Spark job) becomes a
temporary view; the aggregating queries are the same SQL text DuckDB runs (one builder,
:mod:`surveykit.engines.aggregate`), spelled through the Spark :data:`~surveykit.engines.sql.SPARK`
dialect and run with ``session.sql(query, args=[...])`` (values are parameters, never text).
Only the per-cell sums (thousands of rows) come back to the driver, as Arrow.

Spark keeps NaN apart from NULL, while surveykit (pandas, DuckDB's Parquet reader) treats NaN as
missing: the view turns NaN of floating columns into NULL, so every engine counts the same
missing values.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from surveykit.engines.sql import SPARK
from surveykit.engines.view import Scan
from surveykit.errors import DataError, ReadError

__all__ = ["is_spark_frame", "is_spark_session", "spark_scan", "spark_read", "spark_table"]

_SERIAL = itertools.count()


def _module(obj: Any) -> str:
    return type(obj).__module__ or ""


def is_spark_frame(obj: Any) -> bool:
    """True for a PySpark DataFrame (classic or Spark Connect), without importing pyspark."""
    return _module(obj).startswith("pyspark.sql") and hasattr(obj, "createOrReplaceTempView")


def is_spark_session(obj: Any) -> bool:
    """True for a PySpark SparkSession (classic or Spark Connect)."""
    return _module(obj).startswith("pyspark.sql") and hasattr(obj, "sql") and hasattr(obj, "read")


def spark_scan(frame: Any, source: str) -> Scan:
    """A :class:`Scan` over the Spark DataFrame *frame* (nothing is collected)."""
    session = frame.sparkSession
    serial = next(_SERIAL)
    base, view = f"surveykit_base_{serial}", f"surveykit_scan_{serial}"
    frame.createOrReplaceTempView(base)
    schema = [(str(f.name), str(f.dataType.simpleString())) for f in frame.schema.fields]
    q = SPARK.ident
    cols = [
        f"CASE WHEN isnan({q(n)}) THEN NULL ELSE {q(n)} END AS {q(n)}" if t in ("double", "float") else q(n)
        for n, t in schema
    ]
    session.sql(f"SELECT {', '.join(cols)} FROM {q(base)}").createOrReplaceTempView(view)

    def run(sql: str, params: list[Any] | None) -> Any:
        result = session.sql(sql, args=params) if params else session.sql(sql)
        if hasattr(result, "toArrow"):  # Spark 4
            return result.toArrow()
        import pyarrow as pa  # pragma: no cover - Spark 3.5

        return pa.Table.from_pandas(result.toPandas(), preserve_index=False)  # pragma: no cover

    return Scan(session, run, view, schema, source, SPARK)


def spark_read(session: Any, path: str) -> Scan:
    """A :class:`Scan` of the Parquet or CSV files at *path* (a file, folder or glob Spark can read,
    such as ``hdfs://...`` or ``s3a://...`` on a cluster), read by *session*."""
    suffix = Path(path.rstrip("/")).suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            sep = "\t" if suffix == ".tsv" else ","
            frame = session.read.csv(path, header=True, inferSchema=True, sep=sep)
        else:
            frame = session.read.parquet(path)
        return spark_scan(frame, f"Spark data {path!r}")
    except Exception as exc:  # pyspark raises its own AnalysisException (path missing, bad file)
        if isinstance(exc, (DataError, ReadError)):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReadError(f"Spark could not read {path!r}: {first}. Check the path and the file format.") from None


def spark_table(session: Any, table: str) -> Scan:
    """A :class:`Scan` of the table or view *table* of *session*'s catalog (a warehouse table)."""
    try:
        frame = session.table(table)
    except Exception as exc:  # AnalysisException: no such table
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReadError(f"Spark table {table!r} could not be opened: {first}.") from None
    return spark_scan(frame, f"Spark table {table!r}")
