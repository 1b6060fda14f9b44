"""The metadata model of :mod:`surveykit.io`: what a data file says about its variables.

:class:`MissingSpec` holds one variable's user-missing codes (discrete codes and closed ranges)
and :class:`FileMeta` everything a file records besides the data (labels, missing codes,
measures, formats, encoding), plus the small value helpers the readers and writers share
(integral floats to ``int``, codec names). Both classes are public through
:mod:`surveykit.io`; import them from there.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError
from surveykit.results import Printable, Summary, jsonable

__all__ = ["MissingSpec", "FileMeta"]


@dataclass(frozen=True, slots=True)
class MissingSpec:
    """User-missing codes of one variable: discrete values and closed ranges.

    Notes
    -----
    SPSS allows up to three discrete codes, or one range plus one discrete code
    (R haven: ``labelled_spss(na_values=, na_range=)``). System-missing (NaN) is never
    user-missing: :meth:`is_missing` is False there. A degenerate range ``lo == hi`` is read
    back as the discrete code ``lo`` (pyreadstat reports both alike; the meaning is the same).
    """

    values: tuple[Any, ...] = ()
    ranges: tuple[tuple[float, float], ...] = ()

    @classmethod
    def from_pyreadstat(cls, entries: Iterable[Any]) -> MissingSpec:
        """Build from pyreadstat's ``missing_ranges`` list (``{'lo', 'hi'}`` dicts)."""
        values: list[Any] = []
        ranges: list[tuple[float, float]] = []
        for entry in entries:
            lo, hi = (entry["lo"], entry["hi"]) if isinstance(entry, Mapping) else (entry, entry)
            if lo == hi:
                values.append(_plain(lo))
            else:
                ranges.append((_plain(lo), _plain(hi)))
        return cls(tuple(values), tuple(ranges))

    @classmethod
    def coerce(cls, spec: Any, *, variable: str = "?") -> MissingSpec:
        """Accept a MissingSpec, a sequence of codes, or ``{"values": [...], "ranges": [...]}``."""
        if isinstance(spec, MissingSpec):
            return spec
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"values", "ranges"}
            if unknown:
                raise DataError(
                    f"missing spec of {variable!r} may only have keys 'values' and 'ranges'; got "
                    f"{sorted(unknown)}. Pass e.g. {{'values': [9], 'ranges': [(997, 999)]}}."
                )
            ranges = tuple((_plain(lo), _plain(hi)) for lo, hi in spec.get("ranges", ()))
            return cls(tuple(_plain(v) for v in spec.get("values", ())), ranges)
        if isinstance(spec, (str, bytes)) or not isinstance(spec, Iterable):
            spec = [spec]
        return cls(tuple(_plain(v) for v in spec))

    def is_missing(self, values: Any) -> np.ndarray:
        """Boolean array: True where a value is one of the user-missing codes or in a range."""
        arr = np.asarray(values)
        if arr.dtype.kind not in "biuf":
            return np.isin(arr.astype(object), np.array(self.values, dtype=object))
        arr = arr.astype(float)
        out = np.isin(arr, np.array([v for v in self.values if _is_number(v)], dtype=float))
        for lo, hi in self.ranges:
            out |= (arr >= lo) & (arr <= hi)
        return out

    def to_pyreadstat(self) -> list[Any]:
        """The ``missing_ranges`` entry pyreadstat's ``write_sav`` expects."""
        return [*self.values, *({"lo": lo, "hi": hi} for lo, hi in self.ranges)]

    def to_dict(self) -> dict[str, Any]:
        return {"values": list(self.values), "ranges": [list(r) for r in self.ranges]}


@dataclass(frozen=True, slots=True)
class FileMeta(Printable):
    """What a data file says about its variables, kept apart from the data.

    Attributes
    ----------
    path, format : the file read and its format (``"sav"``, ``"zsav"``, ``"por"``, ``"dta"``,
        ``"csv"``, ``"xlsx"``, ``"parquet"``).
    n_rows, columns : number of rows and the column names read (in order).
    variable_labels : ``{column: label or None}``.
    value_labels : ``{column: {code: label}}``; integral codes are ``int``.
    missing : ``{column: MissingSpec}`` -- the user-missing codes (kept as codes in the data).
    measure : ``{column: "nominal" | "ordinal" | "scale" | "unknown"}``.
    mr_sets : multiple-response sets as pyreadstat reports them (``meta.mr_sets``).
    encoding : the Python codec name the text was decoded with (None when the format records
        none, e.g. Parquet); ``encoding_note`` says why when it is not what the file declared.
    formats : ``{column: SPSS/Stata display format}`` (e.g. ``"F3.0"``, ``"A30"``).
    notes : caveats of the format (e.g. what a portable file cannot keep).

    Notes
    -----
    The R equivalent is the attribute set haven attaches (``attr(x, "label")``,
    ``attr(x, "labels")``, ``na_values``/``na_range`` of ``labelled_spss``).
    """

    path: str
    format: str
    n_rows: int
    columns: tuple[str, ...]
    variable_labels: dict[str, str | None] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing: dict[str, MissingSpec] = field(default_factory=dict)
    measure: dict[str, str] = field(default_factory=dict)
    mr_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    encoding: str | None = None
    encoding_note: str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    file_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe plain data (value-label codes become string keys)."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["missing"] = {k: v.to_dict() for k, v in self.missing.items()}
        return jsonable(out)

    def to_frame(self) -> pd.DataFrame:
        """One row per column: label, format, measure, number of value labels, missing codes."""
        rows = [
            {
                "variable": col,
                "label": self.variable_labels.get(col),
                "format": self.formats.get(col),
                "measure": self.measure.get(col),
                "n_value_labels": len(self.value_labels.get(col, {})),
                "missing": _describe_missing(self.missing.get(col)),
            }
            for col in self.columns
        ]
        return pd.DataFrame(rows, columns=["variable", "label", "format", "measure", "n_value_labels", "missing"])

    def summary(self) -> Summary:
        facts = (
            ("file", self.path),
            ("format", self.format),
            ("rows", str(self.n_rows)),
            ("columns", str(len(self.columns))),
            ("encoding", str(self.encoding)),
        )
        notes = tuple(n for n in (self.encoding_note, *self.notes) if n)
        return Summary(title=f"File {Path(self.path).name}", facts=facts, table=self.to_frame(), notes=notes)


def _plain(value: Any) -> Any:
    """Integral floats -> int (so code 4.0 is 4); other values unchanged (numpy -> Python)."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _codec_name(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def _describe_missing(spec: MissingSpec | None) -> str:
    if spec is None:
        return ""
    parts = [str(v) for v in spec.values] + [f"{lo} thru {hi}" for lo, hi in spec.ranges]
    return ", ".join(parts)


def _replace(meta: FileMeta, **changes: Any) -> FileMeta:
    from dataclasses import replace

    return replace(meta, **changes)
