"""The SQL dialects of the engines: the one place where DuckDB's and Spark's SQL differ.

Every aggregating query of :mod:`surveykit.engines.aggregate` and :mod:`surveykit.engines.models`
is built once, as text in the common subset of the two dialects (``sum``/``count`` with
``FILTER (WHERE ...)``, ``CAST(... AS DOUBLE)``, ``exp``, ``greatest``/``least``, ``?``
parameters); what differs (quoting identifiers, testing for a finite double) is asked of the
:class:`Dialect` of the scan. Column names become quoted identifiers, never SQL; values are
query parameters, never text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Dialect", "DUCKDB", "SPARK", "ident", "NUMERIC_TYPES"]

# the engines' numeric type names (DuckDB's and Spark SQL's, upper case, without a precision)
NUMERIC_TYPES = frozenset(
    [
        "TINYINT",
        "SMALLINT",
        "INT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UHUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "FLOAT",
        "REAL",
        "DOUBLE",
        "DECIMAL",
        "BOOLEAN",
        "BYTE",
        "SHORT",
        "LONG",
    ]
)


@dataclass(frozen=True)
class Dialect:
    """How one engine spells what the others spell differently."""

    name: str
    quote: str  # the identifier quote character

    def ident(self, name: str) -> str:
        """*name* as a quoted identifier (``"a""b"`` in DuckDB, `` `a``b` `` in Spark for ``a"b``/``a`b``)."""
        q = self.quote
        return q + str(name).replace(q, q + q) + q

    def isfinite(self, expr: str) -> str:
        """SQL that is true where the double *expr* is neither NaN nor infinite."""
        if self.name == "spark":
            return f"(NOT isnan({expr}) AND abs({expr}) < CAST('Infinity' AS DOUBLE))"
        return f"isfinite({expr})"


DUCKDB = Dialect("duckdb", '"')
SPARK = Dialect("spark", "`")


def ident(name: str) -> str:
    """*name* as a quoted DuckDB identifier (``"a""b"`` for ``a"b``)."""
    return DUCKDB.ident(name)
