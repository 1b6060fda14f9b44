"""The individual checks behind :func:`surveykit.instrument.validate.validate` and
:func:`surveykit.instrument.validate.reconcile`: variables, ids, numeric parsing, codes and ranges, routing,
straight-lining, item non-response, and the value-label, variable-label and user-missing comparisons
of a file's metadata, each returning :class:`~surveykit.instrument.validate.Issue` rows (1-based data rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import closest, format_rows
from surveykit.instrument.findings import _NONRESPONSE_COLUMNS, Issue
from surveykit.instrument.model import Instrument, Question

STRAIGHT_LINE_MIN_ITEMS = 3  # with fewer items an identical answer pattern is unremarkable


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
        Issue(
            "error",
            "missing_variable",
            c,
            (),
            f"{where}{what} must have column {c!r} (instrument {inst.name!r}); it is absent.{closest(c, present)}",
            "Rename the column or add it (empty if the question was not asked).",
        )
        for c in expected
        if c not in present
    ]
    issues += [
        Issue(
            "warning",
            "unknown_variable",
            c,
            (),
            f"{where}column {c!r} is not in instrument {inst.name!r}.{closest(c, expected)}",
            "Rename it to the instrument's variable name, or add the question to the instrument.",
        )
        for c in present
        if c not in expected
    ]
    return issues


def _id_issues(data: pd.DataFrame, id_col: str | None, where: str) -> list[Issue]:
    if id_col is None or id_col not in data.columns:
        return []
    ids = data[id_col]
    issues = []
    empty = ids.isna().to_numpy()
    if empty.any():
        issues.append(
            Issue(
                "error",
                "missing_id",
                id_col,
                _rows(empty),
                f"{where}id column {id_col!r} must identify every row; got {int(empty.sum())} empty "
                f"({format_rows(_rows(empty))}).",
                "Fill in the respondent ids.",
            )
        )
    dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if dup.any():
        issues.append(
            Issue(
                "error",
                "duplicate_id",
                id_col,
                _rows(dup),
                f"{where}id column {id_col!r} must be unique; got {ids[dup].nunique()} repeated "
                f"ids ({_show(ids[dup])}) on {format_rows(_rows(dup))}.",
                "Remove duplicate records or give each respondent its own id.",
            )
        )
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
                issues.append(
                    Issue(
                        "error",
                        "not_numeric",
                        c,
                        _rows(bad),
                        f"{where}column {c!r} must hold numeric codes; got text {_show(raw[bad])} "
                        f"on {format_rows(_rows(bad))}.",
                        "Recode the text to the instrument's codes (or empty).",
                    )
                )
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
    return np.asarray(~np.column_stack([np.isnan(values[c]) for c in cols]).all(axis=1), dtype=bool)


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
            issues.append(
                Issue(
                    "error",
                    check,
                    c,
                    _rows(bad),
                    f"{where}column {c!r} must hold {want}; got {_show(x[bad])} on {format_rows(_rows(bad))}.",
                    fix,
                )
            )
    return issues


def _routing_issues(q: Question, inst: Instrument, data: pd.DataFrame, answered: np.ndarray, where: str) -> list[Issue]:
    if q.ask_if is None:
        return []
    true, known = inst.evaluate(q.ask_if, data)
    issues = []
    skipped = known & ~true & answered
    if skipped.any():
        issues.append(
            Issue(
                "error",
                "routing_skipped",
                q.var,
                _rows(skipped),
                f"{where}{q.var!r} must be empty unless {q.ask_if.text!r}; got answers on "
                f"{format_rows(_rows(skipped))} where the rule is false.",
                "Clear those answers, or correct the filter question.",
            )
        )
    unasked = true & ~answered
    if unasked.any():
        issues.append(
            Issue(
                "warning",
                "routing_missing",
                q.var,
                _rows(unasked),
                f"{where}{q.var!r} should be answered when {q.ask_if.text!r}; got system-missing on "
                f"{format_rows(_rows(unasked))}.",
                "Check the routing in the fieldwork script; code refusals as the user-missing code.",
            )
        )
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
            issues.append(
                Issue(
                    "warning",
                    "straight_lining",
                    name,
                    _rows(same),
                    f"{where}battery {name!r} ({len(items)} items) should show varied answers; got the same "
                    f"answer to every item on {format_rows(_rows(same))}.",
                    "Inspect these interviews; consider excluding them from battery scores.",
                )
            )
    return issues


def _nonresponse(
    data: pd.DataFrame, inst: Instrument, values: Mapping[str, np.ndarray], answered: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    rows = []
    for q in inst.questions:
        if q.var not in answered:
            continue
        eligible = np.ones(len(data), dtype=bool)
        if q.ask_if is not None and all(v in data.columns for v in q.ask_if.variables):
            true, known = inst.evaluate(q.ask_if, data)
            eligible = ~(known & ~true)
        user = (
            np.isin(values[q.var], q.missing_codes())
            if q.var in values and q.missing
            else np.zeros(len(data), dtype=bool)
        ) & eligible
        system = eligible & ~answered[q.var]
        n_el = int(eligible.sum())
        nr = int(system.sum() + user.sum())
        rows.append(
            (
                q.var,
                q.ko,
                q.type,
                n_el,
                n_el - nr,
                int(system.sum()),
                int(user.sum()),
                nr,
                nr / n_el if n_el else float("nan"),
            )
        )
    return pd.DataFrame(rows, columns=_NONRESPONSE_COLUMNS)


def _label_issues(
    col: str, found: Mapping[Any, str], ko: Mapping[int, str], en: Mapping[int, str], where: str
) -> list[Issue]:
    if not ko:
        return []
    found = {_plain(k): str(v) for k, v in found.items()}
    issues = []
    extra = [k for k in found if k not in ko]
    if extra:
        issues.append(
            Issue(
                "error",
                "code_not_in_instrument",
                col,
                (),
                f"{where}value labels of {col!r} must use the instrument's codes {list(ko)}; got "
                f"{', '.join(f'{k}={found[k]!r}' for k in extra)}.",
                "Recode the file, or add the options to the instrument.",
            )
        )
    unlabelled = [k for k in ko if k not in found]
    if unlabelled and found:
        issues.append(
            Issue(
                "warning",
                "code_unlabelled",
                col,
                (),
                f"{where}value labels of {col!r} should cover every instrument code; "
                f"{unlabelled} have no label in the file.",
                "Add the labels (instrument.to_file_meta()).",
            )
        )
    differ = [k for k in found if k in ko and found[k].strip() not in (ko[k], en[k])]
    if differ:
        shown = "; ".join(f"{k}: file {found[k]!r} vs instrument {ko[k]!r}/{en[k]!r}" for k in differ[:5])
        issues.append(
            Issue(
                "warning",
                "label_mismatch",
                col,
                (),
                f"{where}value labels of {col!r} should match the instrument; got {shown}.",
                "Check that the codes mean the same thing; relabel the file if they do.",
            )
        )
    return issues


def _variable_label_issue(col: str, label: str | None, inst: Instrument, where: str) -> list[Issue]:
    if not label or label.strip() in (inst.text(col, "ko"), inst.text(col, "en")):
        return []
    return [
        Issue(
            "warning",
            "label_mismatch",
            col,
            (),
            f"{where}variable label of {col!r} should match the instrument wording; got {label!r}, "
            f"expected {inst.text(col, 'ko')!r}.",
            "Check that the column holds this question; relabel it if it does.",
        )
    ]


def _missing_issue(col: str, spec: Any, expected: tuple[int, ...], where: str) -> list[Issue]:
    declared = sorted(_plain(v) for v in (getattr(spec, "values", spec) or ()))
    ranges = [tuple(r) for r in (getattr(spec, "ranges", ()) or ())]
    covered = all(c in declared or any(lo <= c <= hi for lo, hi in ranges) for c in expected)
    if covered and set(declared) <= set(expected) and (expected or not ranges):
        return []
    shown = [*declared, *(f"{_plain(lo)}..{_plain(hi)}" for lo, hi in ranges)] or "none"
    return [
        Issue(
            "warning",
            "missing_mismatch",
            col,
            (),
            f"{where}user-missing codes of {col!r} should be {list(expected)}; the file declares {shown}.",
            "Declare the instrument's codes as user-missing (write_sav(missing=...)) or fix the instrument.",
        )
    ]
