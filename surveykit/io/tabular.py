"""Plain tabular reading for :mod:`surveykit.io`: CSV, Excel and Parquet, and column selection.

These formats carry no labels or missing codes, so their :class:`~surveykit.io.FileMeta` holds
only the path, shape and encoding. CSV is read as UTF-8 (a byte-order mark is stripped) and
falls back to ``cp949`` with an :class:`~surveykit.errors.RecodedTextWarning`. :func:`_check_wanted`
(shared with the SPSS reader) rejects a requested column the file lacks, with suggestions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from surveykit._util.warn import warn
from surveykit.errors import DataError, ReadError, RecodedTextWarning, closest
from surveykit.io.encoding import KOREAN_FALLBACK, _decode_bytes, _iconv_name
from surveykit.io.meta import FileMeta, _codec_name


def _check_wanted(
    src: Path, wanted: list[str] | None, got: list[str], all_columns: Callable[[], tuple[pd.DataFrame, Any]]
) -> None:
    """Raise DataError for the first requested column the file lacks (with suggestions)."""
    lacking = [c for c in wanted or () if c not in got]
    if not lacking:
        return
    names = [str(c) for c in all_columns()[0].columns]
    raise DataError(
        f"columns= must name variables of data file '{src}'; got {lacking[0]!r}, which the "
        f"file lacks ({len(names)} variables).{closest(lacking[0], names)} Check the "
        "spelling (names are case-sensitive) or leave it out."
    )


def _read_csv(src: Path, fmt: str, encoding: str | None, wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    raw = src.read_bytes()
    if encoding is not None:
        name = _iconv_name(src, encoding).lower()
        text, note = _decode_bytes(src, raw, name), None
    else:
        try:
            text, name, note = raw.decode("utf-8-sig"), "utf-8", None
        except UnicodeDecodeError as exc:
            why = f"it is not valid UTF-8 (byte {exc.start})"
            text, name, note = (
                _decode_bytes(src, raw, KOREAN_FALLBACK),
                KOREAN_FALLBACK,
                f"re-decoded as {KOREAN_FALLBACK}: {why}",
            )
            warn(
                f"data file '{src}': {note}. Pass encoding='{KOREAN_FALLBACK}' to "
                "silence this, or re-save the file as UTF-8.",
                RecodedTextWarning,
            )
    data = _parse_csv(src, text)
    data = _select(src, data, wanted)
    return data, _plain_meta(src, fmt, data, _codec_name(name), note)


def _parse_csv(src: Path, text: str) -> pd.DataFrame:
    import csv
    import io as _io

    from surveykit.io.columns import check_unique

    try:
        header = next(csv.reader(_io.StringIO(text[: 1 << 20])), [])
    except csv.Error:
        header = []
    check_unique(src, header)  # pandas would rename a repeated 'id' to 'id.1' silently
    try:
        return pd.read_csv(_io.StringIO(text))
    except pd.errors.EmptyDataError as exc:
        raise ReadError(
            f"data file '{src}' has no columns (only blank lines). Re-export it with a header row."
        ) from exc
    except pd.errors.ParserError as exc:
        raise ReadError(
            f"data file '{src}' is not valid CSV ({exc}). Check the delimiter (comma expected) and quoting."
        ) from exc


def _read_xlsx(src: Path, fmt: str, encoding: str | None, wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    _no_encoding(src, encoding)
    try:
        data = pd.read_excel(src, sheet_name=0, engine="openpyxl")
        header = pd.read_excel(src, sheet_name=0, engine="openpyxl", header=None, nrows=1)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError for bad files
        raise ReadError(
            f"data file '{src}' could not be read as an Excel workbook ({exc}). "
            "Re-save it as .xlsx from Excel or LibreOffice."
        ) from exc
    from surveykit.io.columns import check_unique

    check_unique(src, [v for v in header.iloc[0].tolist() if isinstance(v, str) or pd.notna(v)] if len(header) else [])
    data = _select(src, data, wanted)
    return data, _plain_meta(src, fmt, data, None, None)


def _read_parquet(src: Path, fmt: str, encoding: str | None, wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    _no_encoding(src, encoding)
    import pyarrow.parquet as pq

    try:
        if wanted:  # read only the wanted columns: the selection is pushed into the reader
            names = list(pq.read_schema(src).names)
            _check_wanted(src, wanted, names, lambda: (pd.DataFrame(columns=names), None))
        data = pd.read_parquet(src, columns=wanted or None)
    except (DataError, ReadError):
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid (a ValueError) and OSError
        raise ReadError(
            f"data file '{src}' could not be read as Parquet ({exc}): it is truncated or not Parquet. Re-export it."
        ) from exc
    data = _select(src, data, wanted)
    return data, _plain_meta(src, fmt, data, "utf-8", None)


def _no_encoding(src: Path, encoding: str | None) -> None:
    if encoding is not None:
        raise ReadError(
            f"data file '{src}' stores its own text encoding; got encoding={encoding!r}. Drop the encoding argument."
        )


def _select(src: Path, data: pd.DataFrame, wanted: list[str] | None) -> pd.DataFrame:
    if not wanted:
        return data
    _check_wanted(src, wanted, [str(c) for c in data.columns], lambda: (data, None))
    return data[wanted]


def _plain_meta(src: Path, fmt: str, data: pd.DataFrame, encoding: str | None, note: str | None) -> FileMeta:
    return FileMeta(
        path=str(src),
        format=fmt,
        n_rows=len(data),
        columns=tuple(str(c) for c in data.columns),
        encoding=encoding,
        encoding_note=note,
    )
