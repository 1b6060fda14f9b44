"""Data-quality checks of survey microdata against its questionnaire (instrument).

:func:`validate` checks a data frame against an :class:`~surveykit.instrument.model.Instrument`:
missing and unknown variables, non-numeric values, codes outside the codebook, numbers outside
their range, routing (skip-logic) violations, duplicate or missing respondent ids,
straight-lining in Likert batteries, and item non-response per question. :func:`reconcile`
compares a file's metadata (:class:`surveykit.io.FileMeta`) with the instrument: variables,
value labels, codes and user-missing declarations.

Both return a frozen :class:`ValidationReport`. Rows in issues are 1-based data rows.

Checks and their severity
-------------------------
==================  ========  ===============================================================
check               severity  meaning
==================  ========  ===============================================================
missing_variable    error     an instrument column is absent from the data / file
unknown_variable    warning   a data / file column is not in the instrument
not_numeric         error     a coded or numeric column holds text that is not a number
invalid_code        error     a code outside the options and user-missing codes (MR: not 0/1)
out_of_range        error     a number outside the question's ``range`` (user-missing exempt)
routing_skipped     error     answered although routing says the question is skipped
routing_missing     warning   system-missing although routing says the question is asked
duplicate_id        error     the respondent id appears more than once
missing_id          error     the respondent id is empty
straight_lining     warning   the same valid answer to every item of a Likert battery (>= 3 items)
code_not_in_instrument error  (reconcile) the file labels a code the instrument does not have
code_unlabelled     warning   (reconcile) an instrument code has no value label in the file
label_mismatch      warning   (reconcile) a value or variable label differs from both ko and en
missing_mismatch    warning   (reconcile) user-missing codes differ between file and instrument
==================  ========  ===============================================================

Routing is evaluated three-valued (see :class:`~surveykit.instrument.model.Rule`): when the filter
answer is itself missing or user-missing, neither routing check fires for that row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError
from surveykit.instrument.checks import (  # noqa: F401  (STRAIGHT_LINE_MIN_ITEMS re-exported)
    STRAIGHT_LINE_MIN_ITEMS,
    _answered,
    _code_issues,
    _id_issues,
    _label_issues,
    _missing_issue,
    _nonresponse,
    _numeric_columns,
    _routing_issues,
    _straight_lining,
    _variable_issues,
    _variable_label_issue,
)  # fmt: skip
from surveykit.instrument.findings import SEVERITIES, Issue, ValidationReport
from surveykit.instrument.model import Instrument

__all__ = ["Issue", "ValidationReport", "validate", "reconcile", "SEVERITIES"]


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


def validate(
    data: pd.DataFrame, instrument: Instrument, *, source: str | None = None, id: str | None = "<instrument>"
) -> ValidationReport:
    """Check survey microdata against its questionnaire.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; coded answers as numbers (user-missing codes kept as codes),
        MR questions as ``<var>_<code>`` 0/1 columns. Not modified.
    instrument : Instrument
        From :func:`surveykit.instrument.model.load_instrument`.
    source : str, optional
        Name of the file the data came from; used in messages.
    id : str or None
        Respondent id column checked for duplicates and gaps; default the questionnaire's own id
        column (``instrument.id``, none for a drafted questionnaire without one); ``None`` skips
        the check.

    Returns
    -------
    ValidationReport

    Notes
    -----
    No single R function does this; it gathers what one checks by hand with
    ``table(x, useNA="always")`` against the codebook, ``duplicated(id)`` and ``is.na``
    tabulations under the skip filters. Vectorised per column.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"data must be a pandas DataFrame; got {type(data).__name__}. Read the file with surveykit.read()."
        )
    where = f"{source}: " if source else ""
    if id == "<instrument>":
        id = instrument.id
    issues: list[Issue] = []
    issues += _variable_issues(data.columns, instrument, where, "data")
    issues += _id_issues(data, id, where)
    values = _numeric_columns(data, instrument, where, issues)
    answered: dict[str, np.ndarray] = {}
    for q in instrument.questions:
        cols = [c for c in q.columns() if c in data.columns]
        if not cols:
            continue
        answered[q.var] = _answered(data, q, cols, values)
        issues += _code_issues(q, values, cols, where)
        if q.ask_if is not None and all(v in data.columns for v in q.ask_if.variables):
            issues += _routing_issues(q, instrument, data, answered[q.var], where)
    issues += _straight_lining(instrument, values, where)
    order = {"error": 0, "warning": 1}
    issues.sort(key=lambda i: order[i.severity])
    return ValidationReport(
        instrument=instrument.name,
        source=source,
        n_rows=len(data),
        issues=tuple(issues),
        nonresponse=_nonresponse(data, instrument, values, answered),
    )


# --------------------------------------------------------------------------------------------
# reconcile
# --------------------------------------------------------------------------------------------


def reconcile(meta: Any, instrument: Instrument) -> ValidationReport:
    """Compare a file's metadata with the instrument.

    Parameters
    ----------
    meta : FileMeta
        From :func:`surveykit.io.read` (any object with ``columns``, ``variable_labels``,
        ``value_labels`` and ``missing``; ``path`` is used in messages when present).
    instrument : Instrument

    Returns
    -------
    ValidationReport
        With issues only (``n_rows`` 0, empty non-response table): missing/unknown variables,
        codes labelled in the file but not in the instrument, instrument codes without a file
        label, value/variable labels that match neither the ko nor the en wording, and differing
        user-missing declarations.

    Notes
    -----
    The R equivalent is comparing ``attr(x, "labels")`` / ``na_values`` of haven's
    ``labelled_spss`` columns with the codebook by hand.
    """
    path = getattr(meta, "path", None)
    where = f"{path}: " if path else ""
    columns = list(getattr(meta, "columns", ()) or getattr(meta, "variable_labels", {}))
    issues = _variable_issues(columns, instrument, where, "file")
    value_labels = dict(getattr(meta, "value_labels", {}) or {})
    var_labels = dict(getattr(meta, "variable_labels", {}) or {})
    file_missing = dict(getattr(meta, "missing", {}) or {})
    ko, en = instrument.value_labels("ko"), instrument.value_labels("en")
    for col in (c for c in instrument.columns() if c in columns):
        issues += _label_issues(col, value_labels.get(col) or {}, ko.get(col, {}), en.get(col, {}), where)
        issues += _variable_label_issue(col, var_labels.get(col), instrument, where)
        issues += _missing_issue(col, file_missing.get(col), instrument.missing_codes(col), where)
    order = {"error": 0, "warning": 1}
    issues.sort(key=lambda i: order[i.severity])
    return ValidationReport(instrument=instrument.name, source=path, n_rows=0, issues=tuple(issues))
