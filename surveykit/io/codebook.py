"""The codebook of a data file: every variable with its label, type, codes and a compact distribution.

SPSS users know it as ``DISPLAY DICTIONARY`` followed by ``FREQUENCIES``; R users as
``str()``/``summary()`` of a haven frame with its labels. :func:`codebook` reads what the file
itself says (:class:`~surveykit.io.FileMeta`) together with the data, so it works for any
``.sav/.zsav/.por/.dta/.csv/.xlsx/.parquet`` without a questionnaire; user-missing codes are
counted apart from the valid answers (the policy of :class:`~surveykit.Survey`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.io.meta import MissingSpec, _describe_missing, _plain
from surveykit.results import Summary, jsonable

__all__ = ["Codebook", "VariableEntry", "codebook"]

#: at most this many distinct values are listed one by one in a distribution
TOP_VALUES = 12
#: numeric variables with at most this many distinct values and no labels count as categorical
FEW_VALUES = 10


@dataclass(frozen=True, slots=True)
class VariableEntry:
    """One variable of a :class:`Codebook`.

    ``kind`` is ``"categorical"`` (labelled codes or few distinct values), ``"numeric"`` or
    ``"text"``. ``distribution`` lists ``(value, label, n, missing)`` for categorical and text
    variables (the most frequent :data:`TOP_VALUES`), or ``min, p25, median, p75, max, mean`` of
    the valid values for numeric ones.
    """

    name: str
    label: str | None
    kind: str
    measure: str | None
    format: str | None
    value_labels: dict[Any, str]
    missing: dict[str, list[Any]]
    mr_set: str | None
    n_valid: int
    n_user_missing: int
    n_system_missing: int
    n_distinct: int
    distribution: tuple[tuple[Any, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]
        out["value_labels"] = {str(k): v for k, v in self.value_labels.items()}
        if self.kind == "numeric":
            out["distribution"] = dict(self.distribution)
        else:
            keys = ("value", "label", "n", "missing")
            out["distribution"] = [dict(zip(keys, row)) for row in self.distribution]
        return jsonable(out)

    def compact(self) -> str:
        """The distribution in one line: ``1 사회적기업 40 · 2 협동조합 31 · 9 (missing) 3``."""
        if self.kind == "numeric":
            d = dict(self.distribution)
            return " · ".join(f"{k} {_num(v)}" for k, v in d.items() if v is not None)
        parts = []
        for value, label, n, missing in self.distribution:
            shown = f"{_num(value)} {label}" if label else _num(value)
            parts.append(f"{shown}{' (missing)' if missing else ''} {n}")
        more = self.n_distinct - len(self.distribution)
        return " · ".join(parts) + (f" · (+{more} more)" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class Codebook:
    """Every variable of a data file (see :func:`codebook`)."""

    source: str
    format: str
    n_rows: int
    encoding: str | None
    variables: tuple[VariableEntry, ...]
    mr_sets: dict[str, dict[str, Any]]
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> VariableEntry:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per variable: name, label, kind, measure, valid and missing counts, distribution."""
        rows = [
            {
                "variable": v.name,
                "label": v.label,
                "kind": v.kind,
                "measure": v.measure,
                "value_labels": len(v.value_labels),
                "missing_codes": _missing_text(v.missing),
                "n_valid": v.n_valid,
                "n_user_missing": v.n_user_missing,
                "n_system_missing": v.n_system_missing,
                "distribution": v.compact(),
            }
            for v in self.variables
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "source": self.source,
                "format": self.format,
                "n_rows": self.n_rows,
                "encoding": self.encoding,
                "mr_sets": self.mr_sets,
                "notes": list(self.notes),
                "variables": [v.to_dict() for v in self.variables],
            }
        )

    def summary(self) -> Summary:
        facts = (
            ("file", self.source),
            ("format", self.format),
            ("rows", f"{self.n_rows:,}"),
            ("variables", str(len(self.variables))),
            ("encoding", str(self.encoding)),
        )
        frame = self.to_frame()[
            ["variable", "label", "kind", "n_valid", "n_user_missing", "n_system_missing", "distribution"]
        ]
        return Summary(title=f"Codebook of {self.source}", facts=facts, table=frame, notes=self.notes)

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_markdown(self) -> str:
        """A Markdown document: one table of variables, then the value labels of each."""
        lines = [
            f"# Codebook: {self.source}",
            "",
            f"{self.n_rows:,} rows, {len(self.variables)} variables, format {self.format}"
            + (f", encoding {self.encoding}" if self.encoding else "")
            + ".",
            "",
            "| variable | label | kind | valid | user-missing | system-missing | distribution |",
            "|---|---|---|---:|---:|---:|---|",
        ]
        for v in self.variables:
            cells = [
                v.name,
                v.label or "",
                v.kind,
                str(v.n_valid),
                str(v.n_user_missing),
                str(v.n_system_missing),
                v.compact(),
            ]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        for v in self.variables:
            if v.value_labels:
                lines += ["", f"## {_md(v.name)}", ""]
                lines += [
                    f"- `{_num(k)}` {_md(lab)}" + (" (missing)" if _in_missing(k, v.missing) else "")
                    for k, lab in v.value_labels.items()
                ]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """An HTML fragment (every value escaped)."""
        return self.summary().to_html()

    def to_xlsx(self, path: Any) -> None:
        """Write the codebook as an Excel workbook (variables sheet + value labels sheet), atomically."""
        from pathlib import Path

        from surveykit._util.atomic import atomic_target

        labels = pd.DataFrame(
            [
                {"variable": v.name, "code": k, "label": lab, "missing": _in_missing(k, v.missing)}
                for v in self.variables
                for k, lab in v.value_labels.items()
            ],
            columns=["variable", "code", "label", "missing"],
        )
        with atomic_target(Path(path), suffix=".xlsx") as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            self.to_frame().to_excel(xl, sheet_name="variables", index=False)
            labels.to_excel(xl, sheet_name="value labels", index=False)


def codebook(data: pd.DataFrame, meta: Any = None) -> Codebook:
    """The codebook of *data* with what its file says (*meta*, from ``sk.read``).

    Parameters
    ----------
    data : pandas.DataFrame
        As returned by :func:`surveykit.read` (user-missing codes kept as codes).
    meta : FileMeta, optional
        The file's labels, user-missing codes, measures and MR sets.

    Returns
    -------
    Codebook

    Examples
    --------
    >>> import surveykit as sk
    >>> data, meta = sk.read(sk.demo_path("organisation_2018"))
    >>> book = sk.codebook(data, meta)
    >>> entry = book["join_intent"]
    >>> entry.kind, entry.n_valid, entry.value_labels[4]
    ('categorical', 186, '매우 있다')

    Notes
    -----
    SPSS: ``DISPLAY DICTIONARY`` + ``FREQUENCIES``; R: ``labelled::look_for()`` on a haven frame.
    """
    if not isinstance(data, pd.DataFrame):
        from surveykit.errors import DataError

        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    mr_of = {}
    mr_sets = dict(getattr(meta, "mr_sets", {}) or {})
    for set_name, spec in mr_sets.items():
        for col in spec.get("variable_list", ()):
            mr_of[col] = set_name
    entries = tuple(_entry(data, str(col), meta, mr_of.get(str(col))) for col in data.columns)
    return Codebook(
        source=str(getattr(meta, "path", "") or "data"),
        format=str(getattr(meta, "format", "frame")),
        n_rows=len(data),
        encoding=getattr(meta, "encoding", None),
        variables=entries,
        mr_sets=mr_sets,
        notes=tuple(n for n in (getattr(meta, "encoding_note", None), *getattr(meta, "notes", ())) if n),
    )


def _entry(data: pd.DataFrame, name: str, meta: Any, mr_set: str | None) -> VariableEntry:
    col = data[name]
    labels = dict((getattr(meta, "value_labels", {}) or {}).get(name) or {})
    spec = (getattr(meta, "missing", {}) or {}).get(name)
    user = (
        (np.asarray(spec.is_missing(col.to_numpy()), bool) & col.notna().to_numpy())
        if spec
        else np.zeros(len(col), bool)
    )
    system = col.isna().to_numpy()
    valid = ~user & ~system
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    n_distinct = int(col[valid].nunique())
    measure = (getattr(meta, "measure", {}) or {}).get(name)
    kind = _kind(numeric, measure, _labels_valid(labels, spec), n_distinct, int(valid.sum()))
    distribution = _numeric_summary(col[valid]) if kind == "numeric" else _counts(col, user, labels)
    missing = spec.to_dict() if spec else {"values": [], "ranges": []}
    return VariableEntry(
        name=name,
        label=(getattr(meta, "variable_labels", {}) or {}).get(name) or None,
        kind=kind,
        measure=measure,
        format=(getattr(meta, "formats", {}) or {}).get(name),
        value_labels=labels,
        missing=missing,
        mr_set=mr_set,
        n_valid=int(valid.sum()),
        n_user_missing=int(user.sum()),
        n_system_missing=int(system.sum()),
        n_distinct=n_distinct + int(pd.Series(col[user]).nunique()),
        distribution=distribution,
    )


def _labels_valid(labels: Mapping[Any, str], spec: MissingSpec | None) -> bool:
    """Whether the value labels name valid answers (not only the user-missing codes)."""
    if not labels:
        return False
    return spec is None or not all(spec.is_missing(np.asarray([code]))[0] for code in labels)


def _kind(numeric: bool, measure: str | None, labelled: bool, n_distinct: int, n_valid: int) -> str:
    """``categorical``, ``numeric`` or ``text`` from the type, the file's measure and the values."""
    if not numeric:
        return "categorical" if n_distinct <= FEW_VALUES and n_distinct < n_valid else "text"
    if labelled:  # labels on valid codes: SPSS files often say "scale" for every numeric variable
        return "categorical"
    if measure == "scale":
        return "numeric"
    if measure in ("nominal", "ordinal"):
        return "categorical" if n_distinct <= 5 * FEW_VALUES else "numeric"
    return "categorical" if n_distinct <= FEW_VALUES else "numeric"


def _counts(col: pd.Series, user: np.ndarray, labels: Mapping[Any, str]) -> tuple[tuple[Any, ...], ...]:
    present = col.notna().to_numpy()
    counts = pd.Series(col[present]).value_counts(sort=False)
    keys = list(counts.index)
    try:
        keys.sort()
    except TypeError:
        keys.sort(key=str)
    if len(keys) > TOP_VALUES:
        keys = list(counts.sort_values(ascending=False, kind="stable").index[:TOP_VALUES])
    missing_values = set(pd.Series(col[user]).unique().tolist())
    return tuple((_plain(k), labels.get(_plain(k)), int(counts[k]), k in missing_values) for k in keys)


def _numeric_summary(values: pd.Series) -> tuple[tuple[str, Any], ...]:
    x = values.to_numpy(dtype=float)
    if x.size == 0:
        return tuple((k, None) for k in ("min", "p25", "median", "p75", "max", "mean"))
    q = np.quantile(x, [0, 0.25, 0.5, 0.75, 1])
    return tuple(zip(("min", "p25", "median", "p75", "max", "mean"), [*map(float, q), float(x.mean())]))


def _num(v: Any) -> str:
    v = _plain(v)
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _spec(missing: Mapping[str, list[Any]]) -> MissingSpec:
    return MissingSpec.coerce({"values": missing.get("values", []), "ranges": missing.get("ranges", [])})


def _missing_text(missing: Mapping[str, list[Any]]) -> str:
    return _describe_missing(_spec(missing))


def _in_missing(code: Any, missing: Mapping[str, list[Any]]) -> bool:
    return bool(_spec(missing).is_missing(np.asarray([code]))[0])


def _md(text: str) -> str:
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")
