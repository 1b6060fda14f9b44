"""Lazy data sources: :func:`scan` wraps Parquet/CSV files or folders, a DuckDB relation or table,
a pandas frame or an Arrow table as a DuckDB relation, read only by the aggregating queries of
:mod:`surveykit.engines.aggregate` (nothing is loaded into memory row by row).

Column names reach SQL only as quoted identifiers (:func:`ident`) and values only as query
parameters, so no text of a file or a user is ever executed as SQL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from surveykit.engines.sql import ident
from surveykit.errors import DataError, ReadError, closest

__all__ = ["Scan", "scan", "ident"]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".tsv", ".txt")


class Scan:
    """A lazy table: a DuckDB relation and the connection it lives on (see :func:`scan`)."""

    __slots__ = ("_con", "_view", "_columns", "_types", "source")

    def __init__(self, con: Any, relation: Any, source: str) -> None:
        self._con = con
        self.source = source
        self._view = f"surveykit_scan_{id(self):x}"
        relation.create_view(self._view, replace=True)
        described = con.execute(f"DESCRIBE {ident(self._view)}").fetchall()
        self._columns = tuple(str(r[0]) for r in described)
        self._types = {str(r[0]): str(r[1]).upper() for r in described}

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def dtype(self, name: str) -> str:
        """DuckDB type name of column *name* (``DOUBLE``, ``BIGINT``, ``VARCHAR``, ...)."""
        return self._types[name]

    def is_numeric(self, name: str) -> bool:
        t = self._types[name]
        return any(
            t.startswith(p)
            for p in (
                "TINYINT",
                "SMALLINT",
                "INTEGER",
                "BIGINT",
                "HUGEINT",
                "UTINYINT",
                "USMALLINT",
                "UINTEGER",
                "UBIGINT",
                "FLOAT",
                "DOUBLE",
                "DECIMAL",
                "REAL",
                "BOOLEAN",
            )
        )

    def check_columns(self, names: Any, role: str, error: type[Exception] = DataError) -> None:
        for name in names:
            if name not in self._types:
                raise error(
                    f"{role} {name!r} must be a column of {self.source}; it is not." + closest(str(name), self._columns)
                )

    @property
    def table(self) -> str:
        """The quoted name of the view to select from."""
        return ident(self._view)

    def fetch(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run *sql* (which selects from :attr:`table`) and return a pyarrow Table."""
        rel = self._con.sql(sql, params=params) if params else self._con.sql(sql)
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()

    def count(self) -> int:
        return int(self._con.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0])

    def __repr__(self) -> str:
        return f"Scan({self.source}, {len(self._columns)} columns)"

    def _lazy_survey(self, design: Any) -> Any:
        """``sk.Survey(scan, design)`` calls this: the :class:`~surveykit.engines.LazySurvey`."""
        from surveykit.engines.lazy import LazySurvey

        return LazySurvey(self, design)


def _connection(threads: int | None, memory_limit: str | None) -> Any:
    import duckdb

    con = duckdb.connect(":memory:")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [str(memory_limit)])
    return con


def scan(source: Any, *, table: str | None = None, threads: int | None = None, memory_limit: str | None = None) -> Scan:
    """A lazy data source for :class:`surveykit.Survey` (surveys larger than memory).

    Parameters
    ----------
    source : path, folder, glob, pandas.DataFrame, pyarrow.Table, DuckDB relation or connection
        Parquet (``.parquet``/``.pq``) or CSV files, a folder of them (read as one table), a glob
        such as ``"data/*.parquet"``, an in-memory frame, or a DuckDB relation; with a DuckDB
        connection, *table* names the table or view to read.
    table : str, optional
        With a DuckDB connection: the table (or view) holding the survey.
    threads, memory_limit : optional
        DuckDB settings for a connection surveykit opens (e.g. ``memory_limit="2GB"``; DuckDB
        spills to disk beyond it).

    Returns
    -------
    Scan
        Pass it to ``sk.Survey(scan, design)``: every estimate is computed from per-PSU sums
        aggregated inside DuckDB, so memory use does not grow with the number of rows.

    Examples
    --------
    >>> import pandas as pd, surveykit as sk
    >>> s = sk.scan(pd.DataFrame({"y": [1.0, 2.0, 4.0], "w": [1.0, 1.0, 2.0]}))
    >>> s.columns
    ('y', 'w')
    """
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
            return Scan(source, source.table(table), f"DuckDB table {table!r}")
        except duckdb.Error as exc:
            raise ReadError(f"DuckDB table {table!r} could not be opened: {exc}.") from None
    if isinstance(source, duckdb.DuckDBPyRelation):
        raise DataError(
            "a DuckDB relation must come with its connection; pass sk.scan(con, table=name) "
            "after relation.create_view(name)."
        )
    con = _connection(threads, memory_limit)
    if isinstance(source, pd.DataFrame):
        return Scan(con, con.from_df(source), "a pandas DataFrame")
    if type(source).__module__.startswith("pyarrow"):
        return Scan(con, con.from_arrow(source), "an Arrow table")
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"source must be a file, folder or glob path, a DataFrame, an Arrow table or a DuckDB "
            f"connection; got {type(source).__name__}."
        )
    return Scan(con, _read(con, str(source)), f"data {str(source)!r}")


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
