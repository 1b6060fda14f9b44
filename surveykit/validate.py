"""Data-quality checks of survey microdata against its questionnaire (instrument).

:func:`validate` checks a data frame against an :class:`~surveykit.instrument.Instrument`:
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

Routing is evaluated three-valued (see :class:`~surveykit.instrument.Rule`): when the filter
answer is itself missing or user-missing, neither routing check fires for that row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest, format_rows
from surveykit.instrument import Instrument, Question
from surveykit.results import Summary, frame_records, jsonable

__all__ = ["Issue", "ValidationReport", "validate", "reconcile", "SEVERITIES"]

SEVERITIES = ("error", "warning")
STRAIGHT_LINE_MIN_ITEMS = 3  # with fewer items an identical answer pattern is unremarkable
_NONRESPONSE_COLUMNS = [
    "variable", "label", "type", "eligible", "answered", "system_missing", "user_missing", "nonresponse", "rate",
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
        return jsonable({
            "severity": self.severity, "check": self.check, "variable": self.variable,
            "rows": list(self.rows), "message": self.message, "fix": self.fix,
        })


@dataclass(frozen=True, slots=True)
class ValidationReport:
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
            [(i.severity, i.check, i.variable, len(i.rows), ", ".join(map(str, i.rows)), i.message, i.fix)
             for i in self.issues],
            columns=["severity", "check", "variable", "n", "rows", "message", "fix"],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: counts, every issue with all its rows, and the non-response table."""
        return {
            "instrument": self.instrument, "source": self.source, "n_rows": self.n_rows,
            "n_errors": self.n_errors, "n_warnings": self.n_warnings,
            "issues": [i.to_dict() for i in self.issues],
            "nonresponse": frame_records(self.nonresponse),
        }

    def summary(self) -> Summary:
        """Readable text/HTML: counts, the issues, and questions with item non-response."""
        table = pd.DataFrame(
            [(i.severity, i.check, i.variable or "", format_rows(i.rows) if i.rows else "", i.message)
             for i in self.issues],
            columns=["severity", "check", "variable", "rows", "message"],
        )
        nr = self.nonresponse
        shown = nr.loc[nr["nonresponse"] > 0] if len(nr) else nr
        facts = (("instrument", self.instrument), ("source", self.source or "(data frame)"),
                 ("rows", str(self.n_rows)), ("errors", str(self.n_errors)), ("warnings", str(self.n_warnings)))
        tables = (("Item non-response (system- + user-missing)", shown.reset_index(drop=True)),) if len(shown) else ()
        notes = ("No issues found.",) if not self.issues else ()
        return Summary(title="Validation report", facts=facts, table=table if len(table) else None,
                       tables=tables, notes=notes, digits=3)


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


def validate(
    data: pd.DataFrame, instrument: Instrument, *, source: str | None = None, id: str | None = "id"
) -> ValidationReport:
    """Check survey microdata against its questionnaire.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; coded answers as numbers (user-missing codes kept as codes),
        MR questions as ``<var>_<code>`` 0/1 columns. Not modified.
    instrument : Instrument
        From :func:`surveykit.instrument.load_instrument`.
    source : str, optional
        Name of the file the data came from; used in messages.
    id : str or None
        Respondent id column checked for duplicates and gaps; ``None`` skips the check.

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
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}. Read the file with surveykit.read().")
    where = f"{source}: " if source else ""
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
        instrument=instrument.name, source=source, n_rows=len(data), issues=tuple(issues),
        nonresponse=_nonresponse(data, instrument, values, answered),
    )


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(mask))


def _show(values: Iterable[Any], limit: int = 5) -> str:
    uniq = list(dict.fromkeys(_plain(v) for v in values))
    more = f" (+{len(uniq) - limit} more)" if len(uniq) > limit else ""
    return ", ".join(repr(v) for v in uniq[:limit]) + more


def _plain(v: Any) -> Any:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    return v.item() if isinstance(v, np.generic) else v


def _variable_issues(columns: Iterable[str], inst: Instrument, where: str, what: str) -> list[Issue]:
    present = [str(c) for c in columns]
    expected = inst.columns()
    issues = [
        Issue("error", "missing_variable", c, (),
              f"{where}{what} must have column {c!r} (instrument {inst.name!r}); it is absent.{closest(c, present)}",
              "Rename the column or add it (empty if the question was not asked).")
        for c in expected if c not in present
    ]
    issues += [
        Issue("warning", "unknown_variable", c, (),
              f"{where}column {c!r} is not in instrument {inst.name!r}.{closest(c, expected)}",
              "Rename it to the instrument's variable name, or add the question to the instrument.")
        for c in present if c not in expected
    ]
    return issues


def _id_issues(data: pd.DataFrame, id_col: str | None, where: str) -> list[Issue]:
    if id_col is None or id_col not in data.columns:
        return []
    ids = data[id_col]
    issues = []
    empty = ids.isna().to_numpy()
    if empty.any():
        issues.append(Issue("error", "missing_id", id_col, _rows(empty),
                            f"{where}id column {id_col!r} must identify every row; got {int(empty.sum())} empty "
                            f"({format_rows(_rows(empty))}).", "Fill in the respondent ids."))
    dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if dup.any():
        issues.append(Issue("error", "duplicate_id", id_col, _rows(dup),
                            f"{where}id column {id_col!r} must be unique; got {ids[dup].nunique()} repeated "
                            f"ids ({_show(ids[dup])}) on {format_rows(_rows(dup))}.",
                            "Remove duplicate records or give each respondent its own id."))
    return issues


def _numeric_columns(data: pd.DataFrame, inst: Instrument, where: str, issues: list[Issue]) -> dict[str, np.ndarray]:
    """Float arrays of every present non-text column; text that is not a number -> an issue."""
    out: dict[str, np.ndarray] = {}
    for q in inst.questions:
        if q.type == "text":
            continue
        for c in (c for c in q.columns() if c in data.columns):
            raw = data[c]
            if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
                out[c] = raw.to_numpy(dtype=float, na_value=np.nan)
                continue
            num = _to_float(raw)
            bad = np.isnan(num) & raw.notna().to_numpy(dtype=bool)
            bad[bad] = (raw[bad].astype("string").str.strip() != "").to_numpy(dtype=bool)  # blanks = missing
            if bad.any():
                issues.append(Issue("error", "not_numeric", c, _rows(bad),
                                    f"{where}column {c!r} must hold numeric codes; got text {_show(raw[bad])} "
                                    f"on {format_rows(_rows(bad))}.",
                                    "Recode the text to the instrument's codes (or empty)."))
            out[c] = num
    return out


def _to_float(raw: pd.Series) -> np.ndarray:
    """Text/object column -> float64 (non-numbers NaN), converting each distinct value once."""
    codes, uniques = pd.factorize(raw)
    converted = pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object)), errors="coerce")
    table = np.append(converted.to_numpy(dtype=float, na_value=np.nan), np.nan)  # code -1 -> NaN
    return table[codes]


def _answered(data: pd.DataFrame, q: Question, cols: list[str], values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Rows with any answer (a user-missing code counts as an answer to the question)."""
    if q.type == "text":
        s = data[cols[0]]
        return (s.notna() & (s.astype("string").str.strip() != "")).to_numpy(dtype=bool)
    return ~np.column_stack([np.isnan(values[c]) for c in cols]).all(axis=1)


def _code_issues(q: Question, values: Mapping[str, np.ndarray], cols: list[str], where: str) -> list[Issue]:
    issues: list[Issue] = []
    for c in cols:
        if c not in values:
            continue
        x = values[c]
        if q.type == "numeric":
            if q.range is None:
                continue
            lo, hi = q.range
            bad = ~np.isnan(x) & ~np.isin(x, q.missing_codes()) & ((x < lo) | (x > hi))
            check, want = "out_of_range", f"numbers in [{_plain(lo)}, {_plain(hi)}]"
            fix = "Correct the values, or set them to a user-missing code or empty."
        else:
            valid = (0, 1) if q.type == "multi" else q.codes() + q.missing_codes()
            bad = ~np.isnan(x) & ~np.isin(x, valid)
            check, want = "invalid_code", f"codes {list(valid)}"
            fix = "Recode them, or add the options to the instrument."
        if q.missing_codes() and q.type != "multi":
            want += f" (user-missing: {list(q.missing_codes())})"
        if bad.any():
            issues.append(Issue("error", check, c, _rows(bad),
                                f"{where}column {c!r} must hold {want}; got {_show(x[bad])} on {format_rows(_rows(bad))}.",
                                fix))
    return issues


def _routing_issues(q: Question, inst: Instrument, data: pd.DataFrame, answered: np.ndarray, where: str) -> list[Issue]:
    true, known = inst.evaluate(q.ask_if, data)
    issues = []
    skipped = known & ~true & answered
    if skipped.any():
        issues.append(Issue("error", "routing_skipped", q.var, _rows(skipped),
                            f"{where}{q.var!r} must be empty unless {q.ask_if.text!r}; got answers on "
                            f"{format_rows(_rows(skipped))} where the rule is false.",
                            "Clear those answers, or correct the filter question."))
    unasked = true & ~answered
    if unasked.any():
        issues.append(Issue("warning", "routing_missing", q.var, _rows(unasked),
                            f"{where}{q.var!r} should be answered when {q.ask_if.text!r}; got system-missing on "
                            f"{format_rows(_rows(unasked))}.",
                            "Check the routing in the fieldwork script; code refusals as the user-missing code."))
    return issues


def _straight_lining(inst: Instrument, values: Mapping[str, np.ndarray], where: str) -> list[Issue]:
    issues = []
    for name, items in inst.batteries().items():
        if len(items) < STRAIGHT_LINE_MIN_ITEMS or not all(v in values for v in items):
            continue
        m = np.column_stack([values[v] for v in items])
        missing = np.column_stack([np.isin(values[v], inst.missing_codes(v)) for v in items])
        complete = ~np.isnan(m).any(axis=1) & ~missing.any(axis=1)
        same = complete & (np.nanmax(m, axis=1, initial=-np.inf) == np.nanmin(m, axis=1, initial=np.inf))
        if same.any():
            issues.append(Issue("warning", "straight_lining", name, _rows(same),
                                f"{where}battery {name!r} ({len(items)} items) should show varied answers; got the same "
                                f"answer to every item on {format_rows(_rows(same))}.",
                                "Inspect these interviews; consider excluding them from battery scores."))
    return issues


def _nonresponse(data: pd.DataFrame, inst: Instrument, values: Mapping[str, np.ndarray],
                 answered: Mapping[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for q in inst.questions:
        if q.var not in answered:
            continue
        eligible = np.ones(len(data), dtype=bool)
        if q.ask_if is not None and all(v in data.columns for v in q.ask_if.variables):
            true, known = inst.evaluate(q.ask_if, data)
            eligible = ~(known & ~true)
        user = (np.isin(values[q.var], q.missing_codes()) if q.var in values and q.missing else
                np.zeros(len(data), dtype=bool)) & eligible
        system = eligible & ~answered[q.var]
        n_el = int(eligible.sum())
        nr = int(system.sum() + user.sum())
        rows.append((q.var, q.ko, q.type, n_el, n_el - nr, int(system.sum()), int(user.sum()), nr,
                     nr / n_el if n_el else float("nan")))
    return pd.DataFrame(rows, columns=_NONRESPONSE_COLUMNS)


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


def _label_issues(col: str, found: Mapping[Any, str], ko: Mapping[int, str], en: Mapping[int, str],
                  where: str) -> list[Issue]:
    if not ko:
        return []
    found = {_plain(k): str(v) for k, v in found.items()}
    issues = []
    extra = [k for k in found if k not in ko]
    if extra:
        issues.append(Issue("error", "code_not_in_instrument", col, (),
                            f"{where}value labels of {col!r} must use the instrument's codes {list(ko)}; got "
                            f"{', '.join(f'{k}={found[k]!r}' for k in extra)}.",
                            "Recode the file, or add the options to the instrument."))
    unlabelled = [k for k in ko if k not in found]
    if unlabelled and found:
        issues.append(Issue("warning", "code_unlabelled", col, (),
                            f"{where}value labels of {col!r} should cover every instrument code; "
                            f"{unlabelled} have no label in the file.", "Add the labels (instrument.to_file_meta())."))
    differ = [k for k in found if k in ko and found[k].strip() not in (ko[k], en[k])]
    if differ:
        shown = "; ".join(f"{k}: file {found[k]!r} vs instrument {ko[k]!r}/{en[k]!r}" for k in differ[:5])
        issues.append(Issue("warning", "label_mismatch", col, (),
                            f"{where}value labels of {col!r} should match the instrument; got {shown}.",
                            "Check that the codes mean the same thing; relabel the file if they do."))
    return issues


def _variable_label_issue(col: str, label: str | None, inst: Instrument, where: str) -> list[Issue]:
    if not label or label.strip() in (inst.text(col, "ko"), inst.text(col, "en")):
        return []
    return [Issue("warning", "label_mismatch", col, (),
                  f"{where}variable label of {col!r} should match the instrument wording; got {label!r}, "
                  f"expected {inst.text(col, 'ko')!r}.",
                  "Check that the column holds this question; relabel it if it does.")]


def _missing_issue(col: str, spec: Any, expected: tuple[int, ...], where: str) -> list[Issue]:
    declared = sorted(_plain(v) for v in (getattr(spec, "values", spec) or ()))
    ranges = [tuple(r) for r in (getattr(spec, "ranges", ()) or ())]
    covered = all(c in declared or any(lo <= c <= hi for lo, hi in ranges) for c in expected)
    if covered and set(declared) <= set(expected) and (expected or not ranges):
        return []
    shown = [*declared, *(f"{_plain(lo)}..{_plain(hi)}" for lo, hi in ranges)] or "none"
    return [Issue("warning", "missing_mismatch", col, (),
                  f"{where}user-missing codes of {col!r} should be {list(expected)}; the file declares {shown}.",
                  "Declare the instrument's codes as user-missing (write_sav(missing=...)) or fix the instrument.")]
