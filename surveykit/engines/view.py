"""The lazy table every engine hands to the aggregating queries: :class:`Scan`."""

from __future__ import annotations

from typing import Any

from surveykit.engines.sql import DUCKDB, NUMERIC_TYPES, Dialect
from surveykit.errors import DataError, closest

__all__ = ["Scan"]


class Scan:
    """A lazy table: a view on an engine (DuckDB or Spark) that the aggregating queries select from
    (see :func:`scan`). ``dialect`` tells how the engine spells identifiers (:mod:`surveykit.engines.sql`)."""

    __slots__ = ("_con", "_run", "_view", "_columns", "_types", "source", "dialect", "engine")

    def __init__(self, con: Any, run: Any, view: str, schema: list[tuple[str, str]], source: str,
                 dialect: Dialect = DUCKDB) -> None:  # fmt: skip
        self._con, self._run, self._view = con, run, view
        self.source, self.dialect, self.engine = source, dialect, dialect.name
        self._columns = tuple(str(name) for name, _ in schema)
        self._types = {str(name): str(t).upper() for name, t in schema}

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def dtype(self, name: str) -> str:
        """The engine's type name of column *name* (``DOUBLE``, ``BIGINT``, ``VARCHAR``/``STRING``, ...)."""
        return self._types[name]

    def is_numeric(self, name: str) -> bool:
        return self._types[name].split("(")[0].strip() in NUMERIC_TYPES

    def check_columns(self, names: Any, role: str, error: type[Exception] = DataError) -> None:
        for name in names:
            if name not in self._types:
                raise error(
                    f"{role} {name!r} must be a column of {self.source}; it is not." + closest(str(name), self._columns)
                )

    def q(self, name: str) -> str:
        """Column *name* as a quoted identifier of this scan's engine."""
        return self.dialect.ident(name)

    @property
    def table(self) -> str:
        """The quoted name of the view to select from."""
        return self.dialect.ident(self._view)

    def fetch(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run *sql* (which selects from :attr:`table`, ``?`` marking *params*) and return a pyarrow Table."""
        return self._run(sql, list(params) if params else None)

    def count(self) -> int:
        return int(self.fetch(f"SELECT count(*) AS n FROM {self.table}").column("n").to_pylist()[0])

    def __repr__(self) -> str:
        return f"Scan({self.source}, {len(self._columns)} columns, {self.engine})"

    def _lazy_survey(self, design: Any) -> Any:
        """``sk.Survey(scan, design)`` calls this: the :class:`~surveykit.engines.LazySurvey`."""
        from surveykit.engines.lazy import LazySurvey

        return LazySurvey(self, design)
