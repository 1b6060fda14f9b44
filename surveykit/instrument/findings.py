"""The result of :mod:`surveykit.instrument.validate`: :class:`Issue` (one finding) and the frozen
:class:`ValidationReport` with its issues, item non-response table and frame, dict and summary views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from surveykit.errors import format_rows
from surveykit.results import Printable, Summary, frame_records, jsonable

SEVERITIES = ("error", "warning")
_NONRESPONSE_COLUMNS = [
    "variable",
    "label",
    "type",
    "eligible",
    "answered",
    "system_missing",
    "user_missing",
    "nonresponse",
    "rate",
]


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding: ``severity`` (error/warning), ``check``, ``variable``, 1-based ``rows``,
    a ``message`` (what must be what; got what) and a ``fix``."""

    severity: str
    check: str
    variable: str | None
    rows: tuple[int, ...]
    message: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "severity": self.severity,
                "check": self.check,
                "variable": self.variable,
                "rows": list(self.rows),
                "message": self.message,
                "fix": self.fix,
            }
        )


@dataclass(frozen=True, slots=True)
class ValidationReport(Printable):
    """The result of :func:`validate` or :func:`reconcile`.

    Attributes
    ----------
    instrument : name of the instrument checked against.
    source : the file (or other source) checked, if given.
    n_rows : rows of the data checked (0 for :func:`reconcile`).
    issues : tuple of :class:`Issue`, errors first.
    nonresponse : item non-response per question (:func:`validate`; empty for reconcile):
        ``variable, label, type, eligible`` (rows not routed past the question),
        ``answered, system_missing, user_missing, nonresponse`` and ``rate`` (nonresponse / eligible).
    """

    instrument: str
    source: str | None
    n_rows: int
    issues: tuple[Issue, ...]
    nonresponse: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_NONRESPONSE_COLUMNS))

    @property
    def n_errors(self) -> int:
        return sum(i.severity == "error" for i in self.issues)

    @property
    def n_warnings(self) -> int:
        return sum(i.severity == "warning" for i in self.issues)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return self.n_errors == 0

    def by_check(self, check: str) -> list[Issue]:
        """The issues of one *check* (e.g. ``"routing_skipped"``)."""
        return [i for i in self.issues if i.check == check]

    def to_frame(self) -> pd.DataFrame:
        """One row per issue: severity, check, variable, n (rows), rows, message, fix."""
        return pd.DataFrame(
            [
                (i.severity, i.check, i.variable, len(i.rows), ", ".join(map(str, i.rows)), i.message, i.fix)
                for i in self.issues
            ],
            columns=["severity", "check", "variable", "n", "rows", "message", "fix"],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: counts, every issue with all its rows, and the non-response table."""
        return {
            "instrument": self.instrument,
            "source": self.source,
            "n_rows": self.n_rows,
            "n_errors": self.n_errors,
            "n_warnings": self.n_warnings,
            "issues": [i.to_dict() for i in self.issues],
            "nonresponse": frame_records(self.nonresponse),
        }

    def summary(self) -> Summary:
        """Readable text/HTML: counts, the issues, and questions with item non-response."""
        table = pd.DataFrame(
            [
                (i.severity, i.check, i.variable or "", format_rows(i.rows) if i.rows else "", i.message)
                for i in self.issues
            ],
            columns=["severity", "check", "variable", "rows", "message"],
        )
        nr = self.nonresponse
        shown = nr.loc[nr["nonresponse"] > 0] if len(nr) else nr
        facts = (
            ("instrument", self.instrument),
            ("source", self.source or "(data frame)"),
            ("rows", str(self.n_rows)),
            ("errors", str(self.n_errors)),
            ("warnings", str(self.n_warnings)),
        )
        tables = (("Item non-response (system- + user-missing)", shown.reset_index(drop=True)),) if len(shown) else ()
        notes = ("No issues found.",) if not self.issues else ()
        return Summary(
            title="Validation report",
            facts=facts,
            table=table if len(table) else None,
            tables=tables,
            notes=notes,
            digits=3,
        )
