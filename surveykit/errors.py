"""The one error and warning vocabulary of surveykit.

Every exception the package raises on purpose derives from :class:`SurveykitError` and also
from the builtin that matches its meaning, so ``except ValueError`` keeps working::

    SurveykitError (Exception)
     ├── InstrumentError (ValueError)   a questionnaire YAML is malformed or inconsistent
     ├── ReadError (OSError)            a data file is missing, corrupt, or cannot be decoded
     ├── DesignError (ValueError)       weights/strata/PSU/FPC are unusable
     ├── DataError (ValueError)         a column, code or value is wrong for the operation
     ├── ModelError (ValueError)        a model cannot be fitted as specified
     └── ReportError (ValueError)       an analysis plan or rendering step failed

    SurveykitWarning (UserWarning)
     ├── SmallCellWarning               a cell rests on fewer respondents than the rule allows
     ├── LonelyPSUWarning               a stratum has a single PSU (policy applied)
     ├── ConvergenceWarning             an iterative fit stopped before converging
     ├── SeparationWarning              a logistic model shows (quasi-)complete separation
     ├── RecodedTextWarning                a file's text was re-decoded with another encoding
     └── ReliabilityWarning             an estimate has a high CV or a low effective n

Messages follow one shape: *what must be what; got what; how to fix*, naming the file,
column/key and rows involved. :func:`closest` suggests close matches for unknown names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = [
    "SurveykitError",
    "InstrumentError",
    "ReadError",
    "DesignError",
    "DataError",
    "ModelError",
    "ReportError",
    "SurveykitWarning",
    "SmallCellWarning",
    "LonelyPSUWarning",
    "ConvergenceWarning",
    "SeparationWarning",
    "RecodedTextWarning",
    "ReliabilityWarning",
    "Terminated",
]


class SurveykitError(Exception):
    """Base class of every error surveykit raises on purpose."""


class InstrumentError(SurveykitError, ValueError):
    """A questionnaire (instrument) YAML is malformed or inconsistent."""


class ReadError(SurveykitError, OSError):
    """A data file is missing, unreadable, corrupt, or cannot be decoded."""


class DesignError(SurveykitError, ValueError):
    """A survey design (weights, strata, PSUs, FPC) cannot be used."""


class DataError(SurveykitError, ValueError):
    """A column, code or value is not what the operation needs."""


class ModelError(SurveykitError, ValueError):
    """A model cannot be fitted as specified."""


class ReportError(SurveykitError, ValueError):
    """An analysis plan is invalid or a report could not be rendered."""


class SurveykitWarning(UserWarning):
    """Base class of surveykit's warnings: computable, but questionable, results."""


class SmallCellWarning(SurveykitWarning):
    """A table cell rests on fewer unweighted respondents than the reliability rule allows."""


class LonelyPSUWarning(SurveykitWarning):
    """A stratum has a single PSU; the design's lonely-PSU policy was applied."""


class ConvergenceWarning(SurveykitWarning):
    """An iterative procedure (raking, model fit) stopped before converging."""


class SeparationWarning(SurveykitWarning):
    """A logistic model shows complete or quasi-complete separation."""


class RecodedTextWarning(SurveykitWarning, UnicodeWarning):
    """Text in a file was re-decoded with another encoding than the file declared (named so as
    not to shadow Python's own ``EncodingWarning``, which is about ``open()`` without encoding)."""


class ReliabilityWarning(SurveykitWarning):
    """An estimate has a high coefficient of variation or a low effective sample size."""


def closest(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return a ``" Did you mean 'a', 'b'?"`` suffix for an unknown *name*, or ``""``."""
    matches = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + ", ".join(repr(m) for m in matches) + "?"


def format_rows(rows: Sequence[int], limit: int = 5) -> str:
    """Format 1-based row numbers for a message: ``"rows 3, 17, 40 (+2 more)"``."""
    rows = list(rows)
    head = ", ".join(str(r) for r in rows[:limit])
    more = f" (+{len(rows) - limit} more)" if len(rows) > limit else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {head}{more}"


def excerpt(value: object, limit: int = 60) -> str:
    """A short ``repr``-like excerpt of *value* for a message, at most about *limit* characters.

    The one way messages show a user's value: nested lists and mappings are walked only as far
    as the excerpt reaches (a huge or deeply nested value costs no more than a small one) and
    the text is cut with ``...``. Strings, numbers, ``None`` and booleans look as ``repr`` shows
    them (``'abc'``, ``1.5``, ``nan``, ``True``).

    Parameters
    ----------
    value : object
        Anything read from a file (a YAML scalar, list or mapping, or another object).
    limit : int
        The longest excerpt wanted, in characters (at least 8).

    Returns
    -------
    str
        E.g. ``"'Age'"``, ``"[['id']]"``, ``"{'ids': [['id'], ...}"`` or ``"'aaaaaaaa...'"``.
    """
    limit = max(int(limit), 8)
    parts: list[str] = []
    _walk(value, parts, limit + 1, 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _walk(value: object, parts: list[str], budget: int, depth: int) -> int:
    """Append pieces of *value*'s repr to *parts* until *budget* characters; return what is left."""
    if budget <= 0:
        return 0
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        if depth > 20:
            parts.append("...")
            return budget - 3
        is_map = isinstance(value, dict)
        opener, closer = (
            ("{", "}")
            if is_map or isinstance(value, (set, frozenset))
            else (("[", "]") if isinstance(value, list) else ("(", ")"))
        )
        parts.append(opener)
        budget -= 1
        items = value.items() if is_map else value  # type: ignore[union-attr]
        for i, item in enumerate(items):
            if budget <= 0:
                return 0
            if i:
                parts.append(", ")
                budget -= 2
            if is_map:
                budget = _walk(item[0], parts, budget, depth + 1)
                parts.append(": ")
                budget = _walk(item[1], parts, budget - 2, depth + 1)
            else:
                budget = _walk(item, parts, budget, depth + 1)
        parts.append(closer)
        return budget - 1
    if isinstance(value, str):
        text = repr(value[:budget])
    elif value is None or isinstance(value, (bool, int, float)):
        try:
            text = repr(value)
        except ValueError:  # an int beyond Python's digit limit
            text = "<a very long number>"

    else:
        text = type(value).__name__ if not hasattr(value, "isoformat") else str(value)
    text = text[:budget]
    parts.append(text)
    return budget - len(text)


class Terminated(BaseException):
    """SIGTERM arrived during a build (a BaseException, like KeyboardInterrupt): the build removes
    its staging folder and the command line exits with 128 + the signal number."""

    def __init__(self, signum: int = 15) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum
