"""Atomic writers of :mod:`surveykit.io`: SPSS system files and UTF-8 CSV.

:func:`write_sav` and :func:`write_csv` check the target (suffix, folder, never the file the
data was read from, recorded under ``DataFrame.attrs[SOURCE_ATTR]``), check labels, missing
codes and measures against the data, and write to a temporary file in the target folder that
:func:`os.replace` then moves into place. Both are public through :mod:`surveykit.io`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from surveykit._util.atomic import atomic_target
from surveykit.errors import DataError, ReadError, closest
from surveykit.io.meta import MissingSpec

__all__ = ["write_sav", "write_csv", "SOURCE_ATTR"]

#: key in ``DataFrame.attrs`` holding the resolved path a frame was read from
SOURCE_ATTR = "surveykit_source"
MEASURES = ("nominal", "ordinal", "scale")


def write_sav(
    data: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    variable_labels: Mapping[str, str | None] | None = None,
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
    missing: Mapping[str, Any] | None = None,
    measure: Mapping[str, str] | None = None,
    compress: bool = False,
    file_label: str | None = None,
) -> Path:
    """Write *data* as an SPSS system file, atomically, with labels and user-missing codes.

    Parameters
    ----------
    data : the frame to write (not modified). Codes stay codes.
    path : target ``.sav`` (or ``.zsav`` with ``compress=True``). Replaced atomically if it
        exists, but never when it is the file *data* was read from.
    variable_labels : ``{column: label}``.
    value_labels : ``{column: {code: label}}``.
    missing : ``{column: MissingSpec | [codes] | {"values": [...], "ranges": [(lo, hi)]}}``,
        written as SPSS user-missing (at most three codes, or one range and one code).
    measure : ``{column: "nominal" | "ordinal" | "scale"}``.
    compress : write a zlib-compressed ``.zsav``.
    file_label : the file's label (SPSS ``FILE LABEL``; at most 64 bytes in UTF-8), read back as
        ``FileMeta.file_label``.

    Returns
    -------
    pathlib.Path of the written file.

    Notes
    -----
    R equivalent: ``haven::write_sav(data, path, compress=)`` with ``labelled_spss`` columns.
    The file is always UTF-8 (pyreadstat cannot write legacy code pages) and cannot carry
    multiple-response sets; keep those in the instrument YAML.
    """
    import pyreadstat

    target = _check_target(data, path, (".zsav",) if compress else (".sav",))
    if file_label is not None and (not isinstance(file_label, str) or len(file_label.encode("utf-8")) > 64):
        raise DataError(
            f"file_label must be text of at most 64 bytes in UTF-8 (an SPSS limit); got {file_label!r}. Shorten it."
        )
    columns = [str(c) for c in data.columns]
    kwargs: dict[str, Any] = {
        "column_labels": _known(variable_labels, columns, "variable_labels"),
        "variable_value_labels": {k: dict(v) for k, v in _known(value_labels, columns, "value_labels").items()},
        "missing_ranges": _missing_for_writer(_known(missing, columns, "missing")),
        "variable_measure": _measures(_known(measure, columns, "measure")),
        "compress": compress,
        "file_label": file_label,
    }
    kwargs = {k: v for k, v in kwargs.items() if v or k == "compress"}

    def write(tmp: str) -> None:
        try:
            pyreadstat.write_sav(data.copy(), tmp, **kwargs)
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, ValueError) as exc:
            raise DataError(
                f"data could not be written to '{target}' as SPSS ({exc}). "
                "Check column names (SPSS: start with a letter, no spaces) "
                "and that labelled/missing columns are numeric or short "
                "strings."
            ) from exc

    return _atomic(target, write)


def write_csv(data: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write *data* as CSV, atomically, in UTF-8 **with** a byte-order mark.

    The BOM makes Excel open Korean text correctly; :func:`read` and pandas
    (``encoding="utf-8-sig"``) strip it. Codes are written as codes, NaN as an empty field.
    R equivalent: ``readr::write_excel_csv``.
    """
    target = _check_target(data, path, (".csv",))

    def write(tmp: str) -> None:
        data.to_csv(tmp, index=False, encoding="utf-8-sig")

    return _atomic(target, write)


def _check_target(data: Any, path: str | os.PathLike[str], suffixes: tuple[str, ...]) -> Path:
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"data must be a pandas DataFrame; got {type(data).__name__}. Wrap it with pandas.DataFrame(...)."
        )
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise DataError(
            f"output file '{target}' must end in {' or '.join(suffixes)}; got "
            f"{target.suffix or 'no suffix'!r}. Rename it (.zsav needs "
            "compress=True)."
        )
    if not target.parent.is_dir():
        raise ReadError(f"output folder '{target.parent}' of '{target.name}' does not exist. Create it first.")
    source = data.attrs.get(SOURCE_ATTR)
    if source and target.exists() and os.path.samefile(source, target):
        raise DataError(
            f"output file '{target}' is the input file the data was read "
            "from; surveykit never overwrites its input. Write to a new path."
        )
    return target


def _atomic(target: Path, write: Callable[[str], None]) -> Path:
    with atomic_target(target, suffix=".tmp") as tmp:
        write(tmp)
    return target


def _known(mapping: Mapping[str, Any] | None, columns: list[str], arg: str) -> dict[str, Any]:
    mapping = dict(mapping or {})
    for key in mapping:
        if key not in columns:
            raise DataError(
                f"{arg} must name columns of the data; got {key!r}, which it "
                f"lacks.{closest(key, columns)} Fix the name or drop the entry."
            )
    return mapping


def _missing_for_writer(missing: Mapping[str, Any]) -> dict[str, list[Any]]:
    out = {}
    for col, raw in missing.items():
        spec = MissingSpec.coerce(raw, variable=col)
        ok = (len(spec.ranges) == 0 and len(spec.values) <= 3) or (len(spec.ranges) == 1 and len(spec.values) <= 1)
        if not ok:
            raise DataError(
                f"missing codes of {col!r} must be at most 3 codes, or 1 range plus 1 code "
                f"(SPSS limit); got {len(spec.values)} codes and {len(spec.ranges)} ranges. "
                "Merge codes into a range."
            )
        out[col] = spec.to_pyreadstat()
    return out


def _measures(measure: Mapping[str, str]) -> dict[str, str]:
    for col, value in measure.items():
        if value not in MEASURES:
            raise DataError(f"measure of {col!r} must be one of {', '.join(MEASURES)}; got {value!r}. Fix the value.")
    return dict(measure)
