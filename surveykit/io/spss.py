"""SPSS and Stata reading for :mod:`surveykit.io`: the pyreadstat calls.

Reads ``.sav``/``.zsav``/``.dta`` (with the encoding fallback of :mod:`surveykit.io.encoding`)
and portable ``.por`` files through pyreadstat, maps pyreadstat's errors to
:class:`~surveykit.errors.ReadError`, and turns pyreadstat's metadata object into a
:class:`~surveykit.io.FileMeta`. pyreadstat is imported inside the functions so that
``import surveykit`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from surveykit.errors import ReadError
from surveykit.io.columns import duplicate_error
from surveykit.io.encoding import _decode, _DecodeError
from surveykit.io.guard import ChildFailure, read_in_child
from surveykit.io.meta import FileMeta, MissingSpec, _codec_name, _plain, _replace
from surveykit.io.tabular import _check_wanted


def _read_spss_stata(
    src: Path, fmt: str, encoding: str | None, wanted: list[str] | None
) -> tuple[pd.DataFrame, FileMeta]:
    kwargs: dict[str, Any] = {"user_missing": fmt != "dta", "usecols": wanted}

    def call(enc: str | None, **extra: Any) -> tuple[pd.DataFrame, Any]:
        return _call_readstat(src, fmt, **{**kwargs, "encoding": enc, **extra})

    data, pmeta, used, note = _decode(src, call, encoding)
    _check_wanted(src, wanted, list(data.columns), lambda: call(used, metadataonly=True, usecols=None))
    if wanted:
        data = data[wanted]
    return data, _meta_from_pyreadstat(src, fmt, data, pmeta, used, note)


def _read_por(src: Path, fmt: str, encoding: str | None, wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    if encoding is not None:
        raise ReadError(
            f"portable file '{src}' takes no encoding (the format is ASCII-only); "
            f"got encoding={encoding!r}. Drop the encoding argument."
        )
    data, pmeta = _call_readstat(src, "por", usecols=wanted)
    _check_wanted(src, wanted, list(data.columns), lambda: _call_readstat(src, "por", metadataonly=True))
    if wanted:
        data = data[wanted]
    note = (
        "portable (.por) file: pyreadstat turns user-missing codes into NaN and drops "
        "their definitions, and the format holds no Korean; ask for a .sav to keep them"
    )
    meta = _meta_from_pyreadstat(src, fmt, data, pmeta, None, None)
    return data, _replace(meta, notes=(note,))


def _call_readstat(src: Path, fmt: str, **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    """Run pyreadstat's reader for *fmt* in a child process; map every failure to ReadError.

    Decoding errors become _DecodeError (the caller may retry with another encoding).
    """
    try:
        return read_in_child(src, fmt, **kwargs)
    except ChildFailure as exc:
        text = _one_line(str(exc))
        if exc.kind == "readstat" and ("convert string" in text or "character set" in text):
            raise _DecodeError(text) from None
        raise _failure(src, fmt, exc, text) from None


_PROGRAMS = {
    "sav": ("SPSS", "SPSS/PSPP", "check it with `pspp`"),
    "zsav": ("SPSS", "SPSS/PSPP", "check it with `pspp`"),
    "por": ("SPSS portable", "SPSS/PSPP", "check it with `pspp`"),
    "dta": ("Stata", "Stata", "open it in Stata"),
}


def _failure(src: Path, fmt: str, exc: ChildFailure, text: str) -> ReadError:
    reader, program, check = _PROGRAMS[fmt]
    if exc.kind == "duplicates":
        return duplicate_error(src, exc.duplicates)
    if exc.kind == "readstat":
        return ReadError(
            f"data file '{src}' could not be read as {src.suffix} ({text}): it is truncated, "
            f"corrupt or not that format. Re-export it from {program}, or check the suffix "
            "matches the content."
        )
    if exc.kind == "crash":
        why = f"the {reader} reader crashed ({text})"
    elif exc.kind == "exit":
        why = f"the {reader} reader failed ({text})"
    else:
        why = f"the {reader} reader raised {exc.type_name} ({text})"
    return ReadError(
        f"data file '{src}' could not be parsed: {why}; the file is truncated, corrupt or not "
        f"a {reader} file. Re-export it from {program}, or {check}."
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _meta_from_pyreadstat(
    src: Path, fmt: str, data: pd.DataFrame, pmeta: Any, used: str | None, note: str | None
) -> FileMeta:
    cols = tuple(str(c) for c in data.columns)
    keep = set(cols)
    labels = dict(zip(pmeta.column_names, pmeta.column_labels or [None] * len(cols)))
    mr_sets = {
        k: v for k, v in (getattr(pmeta, "mr_sets", None) or {}).items() if set(v.get("variable_list", ())) <= keep
    }
    return FileMeta(
        path=str(src),
        format=fmt,
        n_rows=len(data),
        columns=cols,
        variable_labels={c: labels.get(c) for c in cols},
        value_labels={
            c: {_plain(k): v for k, v in lab.items()}
            for c, lab in (pmeta.variable_value_labels or {}).items()
            if c in keep
        },
        missing={c: MissingSpec.from_pyreadstat(m) for c, m in (pmeta.missing_ranges or {}).items() if c in keep and m},
        measure={c: m for c, m in (pmeta.variable_measure or {}).items() if c in keep},
        mr_sets=mr_sets,
        encoding=_codec_name(used),
        encoding_note=note,
        formats={c: f for c, f in (pmeta.original_variable_types or {}).items() if c in keep},
        file_label=(getattr(pmeta, "file_label", None) or None),
    )
