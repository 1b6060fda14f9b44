"""A questionnaire drafted from a data file's own metadata (:meth:`Instrument.from_meta`).

A ``.sav`` already says most of what a questionnaire says: every variable's label, its value
labels, its user-missing codes and ranges, its measurement level and its multiple-response sets.
:func:`from_meta` turns that into the YAML-shaped mapping the instrument schema reads and builds
the :class:`~surveykit.instrument.model.Instrument` through the same schema checks, so what
:func:`draft_yaml` writes loads back with :func:`~surveykit.instrument.schema.load_instrument`
to the same instrument.

Types: a string (or date) column is ``text``; a dichotomy MR set counting 1 over 0/1 columns is
one ``multi`` question with its own column names; a labelled column is ``likert`` when its level
is ordinal (consecutive items with the same options form one battery) and ``single`` otherwise;
an unlabelled nominal/ordinal column with at most a few whole-number values is ``single``;
everything else, and every ``scale`` column, is ``numeric``. Codes seen in the data but not
labelled become options labelled by the code itself (noted). The file has one language, so a
question's ``ko`` and ``en`` both hold its label and the question is noted for translation.
Routing rules cannot be read from a file: they are left for the researcher.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from surveykit.errors import InstrumentError, excerpt

__all__ = ["from_meta", "draft_yaml", "write_draft", "declare_mr_sets"]

#: unlabelled nominal/ordinal columns with at most this many whole-number values become ``single``
FEW_CODES = 10
#: a user-missing range of whole numbers spanning at most this many codes is listed code by code
MAX_RANGE_CODES = 100
_ID_NAMES = ("id", "hhid", "caseid", "case_id", "respid", "resp_id", "pid", "respondent", "respondent_id")
_TRANSLATE = "translate: ko and en both hold the file's label"


def from_meta(meta: Any, data: pd.DataFrame | None = None, *, name: str | None = None) -> Any:
    """Draft an :class:`~surveykit.instrument.model.Instrument` from a file's metadata.

    Parameters
    ----------
    meta : FileMeta
        From :func:`surveykit.read` (``columns``, ``variable_labels``, ``value_labels``,
        ``missing``, ``measure``, ``formats``, ``mr_sets``).
    data : DataFrame, optional
        The data read with *meta*. With it, codes present but unlabelled become options, a
        unique id column is recognised and MR sets are checked to be 0/1; without it the draft
        rests on the metadata alone.
    name : str, optional
        The instrument's name (default: the file's stem).

    Returns
    -------
    Instrument
        Every column as a question (MR-set columns as one ``multi`` question), with no routing
        rules, no figures and no sections.

    Raises
    ------
    InstrumentError
        A column name the schema cannot hold (e.g. with spaces, from a CSV header); the message
        names the column.

    Notes
    -----
    R has no questionnaire model; this gathers what ``haven`` attaches (``attr(x, "label")``,
    ``attr(x, "labels")``, ``na_values``/``na_range``) plus SPSS's ``MRSETS``. Closest SPSS idea:
    DISPLAY DICTIONARY turned into syntax.
    """
    from surveykit.instrument.schema import _build, _Ctx

    raw = draft_mapping(meta, data, name=name)
    return _build(raw, _Ctx(str(getattr(meta, "path", None) or raw["name"])))


def draft_mapping(meta: Any, data: pd.DataFrame | None = None, *, name: str | None = None) -> dict[str, Any]:
    """The YAML-shaped mapping of :func:`from_meta` (what :func:`draft_yaml` writes)."""
    columns = list(getattr(meta, "columns", ()) or (list(data.columns) if data is not None else []))
    path = getattr(meta, "path", None)
    inst_name = name or (Path(path).stem if path else "survey")
    questions: list[dict[str, Any]] = []
    in_set = _mr_sets(meta, data, set(columns))
    first_of_set = {cols[0]: set_name for set_name, (cols, _) in in_set.items()}
    taken = {c for cols, _ in in_set.values() for c in cols}
    for col in columns:
        if col in first_of_set:
            questions.append(_multi(first_of_set[col], *in_set[first_of_set[col]], meta, set(columns)))
        elif col not in taken:
            questions.append(_question(col, meta, data))
    _batteries(questions)
    raw: dict[str, Any] = {"name": inst_name, "survey": inst_name, "title": {"ko": inst_name, "en": inst_name}}
    if path:
        raw["source"] = f"drafted by surveykit from {Path(path).name}"
    n = getattr(meta, "n_rows", None) if data is None else len(data)
    if n:
        raw["n"] = int(n)
    id_col = _id_column(columns, data)
    if id_col is not None:
        raw["id"] = id_col
    raw["questions"] = questions
    return raw


def draft_yaml(meta: Any, data: pd.DataFrame | None = None, *, name: str | None = None) -> str:
    """The draft of :func:`from_meta` as instrument YAML text, with a header saying what to check."""
    from surveykit import __version__

    raw = draft_mapping(meta, data, name=name)
    from_meta(meta, data, name=name)  # the draft must pass the schema before it is written
    source = Path(getattr(meta, "path", None) or "data").name
    header = [
        f"# Questionnaire drafted by surveykit {__version__} from {source}",
        f"# ({raw.get('n', 0):,} rows, {len(getattr(meta, 'columns', ()) or ())} columns), from the file's own metadata.",
        "# Check it before you use it:",
        "#  - ko/en: the file has one label per variable and code; both languages hold it.",
        f"#    Questions noted '{_TRANSLATE}' need their other language written.",
        "#  - Types were guessed from measurement level, value labels and MR sets; correct them.",
        "#  - ROUTING RULES: LEFT FOR THE RESEARCHER. A file does not record who was asked what;",
        '#    add  ask_if: "Q1 == 1"  to each question asked of some respondents only.',
        "#  - Sections, units and valid ranges are not in the file; add them as needed.",
    ]
    if "id" not in raw:
        header.append("#  - No respondent id column was recognised; add  id: <column>  if there is one.")
    body = yaml.dump(raw, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return "\n".join(header) + "\n\n" + body


def write_draft(path: Any, meta: Any, data: pd.DataFrame | None = None, *, name: str | None = None) -> Path:
    """Write :func:`draft_yaml` to *path* atomically (a reader never sees half a file); return the path."""
    from surveykit._util.atomic import atomic_target

    target = Path(path)
    if not target.parent.is_dir():
        raise InstrumentError(f"folder of {excerpt(str(target))} must exist; it does not. Create it first.")
    text = draft_yaml(meta, data, name=name)
    with atomic_target(target) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return target


class _Dumper(yaml.SafeDumper):
    """Safe YAML without anchors/aliases (the instrument loader refuses them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# --- one column ---------------------------------------------------------------------------------


def _question(col: str, meta: Any, data: pd.DataFrame | None) -> dict[str, Any]:
    label = _label(meta, col)
    q: dict[str, Any] = {"var": col, "type": "numeric", "ko": label, "en": label}
    notes = [_TRANSLATE]
    series = data[col] if data is not None and col in data.columns else None
    fmt = str((getattr(meta, "formats", {}) or {}).get(col) or "")
    is_text = (
        series is not None and not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    ) or (series is None and fmt.upper().startswith("A"))
    if is_text:
        q["type"] = "text"
        q["note"] = "; ".join(notes)
        return q
    labels = dict((getattr(meta, "value_labels", {}) or {}).get(col) or {})
    missing, missing_note = _missing_codes(meta, col, labels)
    if missing_note:
        notes.append(missing_note)
    measure = (getattr(meta, "measure", {}) or {}).get(col)
    options = {k: v for k, v in labels.items() if _whole(k) and int(k) not in missing}
    odd = [k for k in labels if not _whole(k)]
    seen = _observed_codes(series, missing)
    coded, extra = _coded(options, odd, seen, series is not None, measure)
    if coded and not options:
        notes.append("codes without value labels in the file; label them")
    elif extra:
        notes.append(f"codes {', '.join(map(str, extra))} occur in the data without a value label")
    options.update({c: str(c) for c in extra})
    if coded:
        q["type"] = "likert" if measure == "ordinal" else "single"
        q["options"] = [_option(c, options[c]) for c in sorted(options)]
    elif labels and not all(int(k) in missing for k in labels if _whole(k)):
        notes.append("value labels of this numeric variable are not kept; make it single to keep them")
    if missing:
        q["missing"] = [_option(c, missing[c]) for c in sorted(missing)]
    q["note"] = "; ".join(notes)
    return q


def _coded(
    options: Mapping[int, str], odd: list, seen: list[int] | None, has_data: bool, measure: str | None
) -> tuple[bool, list[int]]:
    """Whether a numeric column is a coded (single/likert) question, and its unlabelled codes.

    Labelled whole-number codes make it coded when the data hold only those codes (whatever the
    level: haven writes ``scale`` for labelled numbers), or a few more on a nominal/ordinal
    column; an unlabelled nominal/ordinal column with a few whole-number values is coded too.
    """
    if odd or (has_data and seen is None):
        return False, []
    if seen is None:
        return bool(options) and measure != "scale", []
    extra = [c for c in seen if c not in options]
    if options and not extra:
        return True, []
    if measure in ("nominal", "ordinal") and len(extra) + len(options) <= max(FEW_CODES, 2 * len(options)):
        return bool(seen) or bool(options), extra
    return False, []


def _missing_codes(meta: Any, col: str, labels: Mapping[Any, str]) -> tuple[dict[int, str], str | None]:
    spec = (getattr(meta, "missing", {}) or {}).get(col)
    if spec is None:
        return {}, None
    codes: list[int] = []
    left: list[str] = []
    for v in spec.values:
        (codes.append(int(v)) if _whole(v) else left.append(repr(v)))
    for lo, hi in spec.ranges:
        if _whole(lo) and _whole(hi) and hi - lo < MAX_RANGE_CODES:
            codes.extend(range(int(lo), int(hi) + 1))
        else:
            left.append(f"{lo:g} thru {hi:g}")
    out = {c: labels.get(c) or f"missing {c}" for c in codes}
    note = f"user-missing {', '.join(left)} in the file cannot be listed as codes; recode it" if left else None
    return out, note


def _observed_codes(series: pd.Series | None, missing: Mapping[int, str]) -> list[int] | None:
    """Distinct valid values as whole numbers, or None when there are non-whole values (or no data)."""
    if series is None:
        return None
    values = pd.to_numeric(series, errors="coerce").dropna().unique()
    if not all(float(v).is_integer() for v in values):
        return None
    return sorted(int(v) for v in values if int(v) not in missing)


def _option(code: int, label: str) -> dict[str, Any]:
    text = str(label).strip() or str(code)
    return {"code": int(code), "ko": text, "en": text}


def _label(meta: Any, col: str) -> str:
    label = (getattr(meta, "variable_labels", {}) or {}).get(col)
    return str(label).strip() if label and str(label).strip() else col


def _whole(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and float(v).is_integer()


# --- multiple-response sets, batteries, id -------------------------------------------------------


def _mr_sets(meta: Any, data: pd.DataFrame | None, columns: set[str]) -> dict[str, tuple[list[str], str]]:
    """Dichotomy sets counting 1 over 0/1 columns: ``{question name: (columns, label)}``."""
    out: dict[str, tuple[list[str], str]] = {}
    used: set[str] = set()
    for set_name, spec in (getattr(meta, "mr_sets", {}) or {}).items():
        cols = [str(c) for c in spec.get("variable_list", ())]
        counted = spec.get("counted_value")
        if not cols or not spec.get("is_dichotomy") or not _whole(counted) or int(counted) != 1:
            continue
        if set(cols) - columns or set(cols) & used:
            continue
        if data is not None and not all(
            set(pd.to_numeric(data[c], errors="coerce").dropna().unique()) <= {0, 1} for c in cols
        ):
            continue
        var = re.sub(r"^\$", "", str(set_name)) or "mr_set"
        while var in columns or var in out:
            var += "_set"
        used.update(cols)
        out[var] = (cols, str(spec.get("label") or var).strip() or var)
    return out


def _multi(var: str, cols: list[str], label: str, meta: Any, columns: set[str]) -> dict[str, Any]:
    options = []
    for i, c in enumerate(cols, start=1):
        text = _label(meta, c)
        for sep in (": ", " - ", " : ", " "):
            if text.startswith(label + sep) and len(text) > len(label + sep):
                text = text[len(label + sep) :]
                break
        options.append(_option(i, text))
    return {
        "var": var,
        "type": "multi",
        "ko": label,
        "en": label,
        "options": options,
        "columns": cols,
        "note": f"{_TRANSLATE}; the file's multiple-response set (1 = selected)",
    }


def _batteries(questions: list[dict[str, Any]]) -> None:
    """Consecutive likert questions with the same options share a battery named after the first."""
    current: tuple[str, Any] | None = None
    for q in questions:
        if q["type"] != "likert":
            current = None
            continue
        key = [(o["code"], o["ko"]) for o in q["options"]]
        if current is None or current[1] != key:
            current = (q["var"], key)
        q["battery"] = current[0]


def _id_column(columns: list[str], data: pd.DataFrame | None) -> str | None:
    if data is None:
        return None
    for col in columns:
        if col.lower() in _ID_NAMES and col in data.columns:
            ids = data[col]
            if ids.notna().all() and not ids.duplicated().any():
                return col
    return None


def declare_mr_sets(instrument: Any, sets: Mapping[str, Mapping[str, Any]]) -> Any:
    """*instrument* with multiple-response sets declared over 0/1 columns of any names.

    ``sets`` maps a set name to ``{columns: [...], label: {ko, en}, options: [{ko, en}, ...]}``
    (a plan's ``mr_sets``); each set becomes one ``multi`` question, in the place of its first
    column, replacing the questions of its columns. Option labels default to each column's own
    question text; the set's label to its name.

    Raises
    ------
    InstrumentError
        A column that is not a question of *instrument*, that belongs to another multi question,
        or a set name that is already a question.
    """
    import dataclasses
    import types

    from surveykit.instrument.model import Option, Question

    questions = list(instrument.questions)
    for name, spec in sets.items():
        cols = [str(c) for c in spec["columns"]]
        known = {q.var: q for q in questions}
        owner = {c: q for q in questions for c in q.columns()}
        for c in cols:
            q = owner.get(c)
            if q is None or q.type == "multi":
                raise InstrumentError(
                    f"set {name!r}: column {c!r} must be a single-column question of the "
                    f"questionnaire; it is {'not a question' if q is None else 'in a multi question'}. "
                    "Check the column names."
                )
        if name in known and name not in cols:
            raise InstrumentError(f"set name {name!r} must differ from the questions' names; rename the set.")
        labels = list(spec.get("options") or ())
        options = tuple(
            Option(
                i,
                (labels[i - 1] if labels else {}).get("ko") or known[c].ko,
                (labels[i - 1] if labels else {}).get("en") or known[c].en,
            )
            for i, c in enumerate(cols, start=1)
        )
        label = dict(spec.get("label") or {})
        multi = Question(
            var=name,
            type="multi",
            ko=label.get("ko") or label.get("en") or name,
            en=label.get("en") or label.get("ko") or name,
            options=options,
            mr_columns=tuple(cols),
            note="multiple-response set declared in the plan (1 = selected)",
        )
        at = min(i for i, q in enumerate(questions) if q.var in cols)
        questions = [q for q in questions[:at]] + [multi] + [q for q in questions[at:] if q.var not in cols]
    by_column = {c: q for q in questions for c in q.columns() if c != q.var}
    return dataclasses.replace(instrument, questions=tuple(questions), _by_column=types.MappingProxyType(by_column))
