"""The parsed pieces of a model formula: a :class:`Factor`, a term (a tuple of factors) and its name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Factor:
    """One factor of a term, named as patsy names it (``C(g)``, ``I(z ** 2)``, ``Q("a.b")``).

    ``kind``: ``"column"`` (a data column, numeric or categorical by its type), ``"categorical"``
    (``C(column, ...)``) or ``"expression"`` (``expr`` for :func:`surveykit.instrument.expr.evaluate`;
    ``aliases``: ``(name in expr, column, op, value)``, op ``""`` for ``Q`` names, ``==``/``!=``
    with a text, ``in`` with the values of ``column.isin([...])``).
    """

    name: str
    kind: str
    variables: tuple[str, ...]
    column: str | None = None
    expr: str | None = None
    aliases: tuple[tuple[str, str, str, Any], ...] = ()
    boolean: bool = False
    reference: object = None
    has_reference: bool = False
    column_no: int = field(default=0, compare=False)


Term = tuple[Factor, ...]  # () is the intercept


def term_name(term: Term) -> str:
    return ":".join(f.name for f in term) if term else "Intercept"
