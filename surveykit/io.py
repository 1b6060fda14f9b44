"""Faithful reading and writing of survey files: the only module that touches file formats.

:func:`read` returns ``(data, meta)``. The data model used by the whole package:

* categorical answers stay as their numeric **codes** (never pandas Categoricals, never labels);
  the labels live in :attr:`FileMeta.value_labels`;
* **user-missing** codes (e.g. ``9 = 모름/무응답``, ``99``, a range ``997 THRU 999``) stay in the
  data as codes and are described in :attr:`FileMeta.missing`; only **system-missing** is NaN;
* strings stay ``str``.

Legacy Korean SPSS files are handled: a file whose header declares a Western code page (or
UTF-8) while its text is CP949 is detected -- the text either fails to decode or decodes to
Latin-1 mojibake -- and re-read as ``cp949`` with an :class:`~surveykit.errors.EncodingWarning`.
``euc-kr`` is never used: ``cp949`` is its superset and also holds syllables such as 똠.

:func:`write_sav` and :func:`write_csv` write atomically (a temporary file in the target folder,
then :func:`os.replace`) and refuse to overwrite the file the data was read from.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, EncodingWarning, ReadError, closest
from surveykit.results import Summary, jsonable

__all__ = ["read", "write_sav", "write_csv", "FileMeta", "MissingSpec", "SUPPORTED_FORMATS",
           "SOURCE_ATTR"]

#: file suffix -> format name understood by :func:`read`
SUPPORTED_FORMATS: dict[str, str] = {
    ".sav": "sav", ".zsav": "zsav", ".por": "por", ".dta": "dta",
    ".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
}
#: key in ``DataFrame.attrs`` holding the resolved path a frame was read from
SOURCE_ATTR = "surveykit_source"
MEASURES = ("nominal", "ordinal", "scale")
KOREAN_FALLBACK = "cp949"
# Mojibake test: CP949 text decoded as Latin-1/CP1252 turns every Hangul syllable into two
# characters of U+0080-U+00FF (or CP1252's few punctuation letters). Below a handful of
# non-ASCII characters there is too little evidence to second-guess the file's header.
MOJIBAKE_MIN_CHARS = 4
MOJIBAKE_MIN_SHARE = 0.5
# A re-decoded text is accepted as Korean when Hangul dominates its non-ASCII characters;
# honest Western text (é, ß, ö ...) re-decoded as CP949 fails or gives Hanja/symbols.
HANGUL_MIN_SHARE = 0.8
TEXT_SAMPLE_VALUES = 2000  # distinct string values per column inspected for mojibake
_LATIN_HIGH = re.compile("[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                         "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
                         "\u2039\u203a\u20ac\u2122]")
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


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
                    f"{sorted(unknown)}. Pass e.g. {{'values': [9], 'ranges': [(997, 999)]}}.")
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
class FileMeta:
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe plain data (value-label codes become string keys)."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["missing"] = {k: v.to_dict() for k, v in self.missing.items()}
        return jsonable(out)

    def to_frame(self) -> pd.DataFrame:
        """One row per column: label, format, measure, number of value labels, missing codes."""
        rows = [{
            "variable": col,
            "label": self.variable_labels.get(col),
            "format": self.formats.get(col),
            "measure": self.measure.get(col),
            "n_value_labels": len(self.value_labels.get(col, {})),
            "missing": _describe_missing(self.missing.get(col)),
        } for col in self.columns]
        return pd.DataFrame(rows, columns=["variable", "label", "format", "measure",
                                           "n_value_labels", "missing"])

    def summary(self) -> Summary:
        facts = (("file", self.path), ("format", self.format), ("rows", str(self.n_rows)),
                 ("columns", str(len(self.columns))), ("encoding", str(self.encoding)))
        notes = tuple(n for n in (self.encoding_note, *self.notes) if n)
        return Summary(title=f"File {Path(self.path).name}", facts=facts,
                       table=self.to_frame(), notes=notes)


# ----------------------------------------------------------------------------- reading


def read(path: str | os.PathLike[str], *, encoding: str | None = None,
         columns: str | Sequence[str] | None = None,
         user_missing: bool = True) -> tuple[pd.DataFrame, FileMeta]:
    """Read a survey data file into ``(data, meta)``, keeping codes, labels and missing codes.

    Parameters
    ----------
    path : a ``.sav``, ``.zsav``, ``.por``, ``.dta``, ``.csv``, ``.xlsx`` or ``.parquet`` file.
    encoding : decode text with this encoding instead of the one the file declares (e.g.
        ``"cp949"`` for a legacy Korean file whose header lies). ``"euc-kr"`` is read as its
        superset ``"cp949"``. Given explicitly, it is trusted: no automatic re-decoding.
    columns : read only these columns (in this order).
    user_missing : True (default) keeps user-missing codes in the data; False turns them into
        NaN (as SPSS does in computations). Either way ``meta.missing`` describes them.

    Returns
    -------
    data : pandas.DataFrame -- numeric codes as float64, strings as str;
        ``data.attrs["surveykit_source"]`` records the file, so writers refuse to overwrite it.
    meta : FileMeta

    Raises
    ------
    ReadError : missing file, a directory, an unsupported suffix, an empty, truncated or corrupt
        file, or an unknown encoding name.
    DataError : ``columns`` names a variable the file lacks.

    Warns
    -----
    EncodingWarning : the text was re-decoded as ``cp949`` because the declared encoding gave
        mojibake or failed.

    Notes
    -----
    R equivalent: ``haven::read_sav(path, user_na = TRUE)`` (``read_por``, ``read_dta``);
    pyreadstat's ``read_sav(..., user_missing=True)`` underneath. Portable (``.por``) files
    cannot hold Korean, and pyreadstat turns their user-missing codes into NaN.
    """
    src = _check_file(path)
    fmt = SUPPORTED_FORMATS[src.suffix.lower()]
    wanted = [columns] if isinstance(columns, str) else (list(columns) if columns else None)
    data, meta = _READERS[fmt](src, fmt, encoding, wanted)
    if not user_missing:
        data = _blank_user_missing(data, meta.missing)
    data.attrs[SOURCE_ATTR] = str(src.resolve())
    return data, meta


def _check_file(path: str | os.PathLike[str]) -> Path:
    src = Path(path)
    if not src.exists():
        raise _MissingFileError(
            f"data file '{src}' does not exist (No such file or directory). Check the path "
            f"and the working directory ({Path.cwd().name!r}).")
    if src.is_dir():
        raise ReadError(f"data file '{src}' must be a file; got a directory. Pass the path "
                        "of a file inside it.")
    if src.suffix.lower() not in SUPPORTED_FORMATS:
        raise ReadError(
            f"data file '{src}' must have one of the suffixes {', '.join(SUPPORTED_FORMATS)}; "
            f"got {src.suffix or 'no suffix'!r}. Convert the file or rename it if the suffix "
            "is wrong.")
    if src.stat().st_size == 0:
        raise ReadError(f"data file '{src}' is empty (0 bytes). Re-export or re-download it.")
    return src


class _MissingFileError(ReadError, FileNotFoundError):
    """A ReadError that ``except FileNotFoundError`` also catches."""


def _read_spss_stata(src: Path, fmt: str, encoding: str | None,
                     wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    import pyreadstat

    reader = {"sav": pyreadstat.read_sav, "zsav": pyreadstat.read_sav,
              "dta": pyreadstat.read_dta}[fmt]
    kwargs: dict[str, Any] = {"user_missing": fmt != "dta", "usecols": wanted}

    def call(enc: str | None, **extra: Any) -> tuple[pd.DataFrame, Any]:
        return _call_readstat(src, reader, **{**kwargs, "encoding": enc, **extra})

    data, pmeta, used, note = _decode(src, call, encoding)
    _check_wanted(src, wanted, list(data.columns),
                  lambda: call(used, metadataonly=True, usecols=None))
    if wanted:
        data = data[wanted]
    return data, _meta_from_pyreadstat(src, fmt, data, pmeta, used, note)


def _read_por(src: Path, fmt: str, encoding: str | None,
              wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    import pyreadstat

    if encoding is not None:
        raise ReadError(f"portable file '{src}' takes no encoding (the format is ASCII-only); "
                        f"got encoding={encoding!r}. Drop the encoding argument.")
    data, pmeta = _call_readstat(src, pyreadstat.read_por, usecols=wanted)
    _check_wanted(src, wanted, list(data.columns),
                  lambda: _call_readstat(src, pyreadstat.read_por, metadataonly=True))
    if wanted:
        data = data[wanted]
    note = ("portable (.por) file: pyreadstat turns user-missing codes into NaN and drops "
            "their definitions, and the format holds no Korean; ask for a .sav to keep them")
    meta = _meta_from_pyreadstat(src, fmt, data, pmeta, None, None)
    return data, _replace(meta, notes=(note,))


def _call_readstat(src: Path, reader: Callable[..., Any], **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    """Call a pyreadstat reader; map its errors to ReadError (decoding errors to _DecodeError)."""
    import pyreadstat

    try:
        return reader(str(src), **kwargs)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        text = str(exc)
        if "convert string" in text or "character set" in text:
            raise _DecodeError(text) from exc
        raise ReadError(
            f"data file '{src}' could not be read as {src.suffix} ({text}): it is truncated, "
            "corrupt or not that format. Re-export it from SPSS/PSPP/Stata, or check the "
            "suffix matches the content.") from exc


class _DecodeError(Exception):
    """pyreadstat could not convert the file's text with the encoding in use."""


def _decode(src: Path, call: Callable[..., tuple[pd.DataFrame, Any]],
            encoding: str | None) -> tuple[pd.DataFrame, Any, str | None, str | None]:
    """Read with the declared (or given) encoding; fall back to CP949 on failure or mojibake."""
    if encoding is not None:
        name = _iconv_name(src, encoding)
        try:
            data, pmeta = call(name)
        except _DecodeError as exc:
            raise ReadError(
                f"data file '{src}' cannot be decoded with encoding={encoding!r} ({exc}). Pass "
                f"the file's real encoding (for Korean files usually 'cp949'), or None to use "
                "the one the file declares.") from exc
        is_euc_kr = codecs.lookup(encoding).name == "euc_kr"
        note = "euc-kr read as its superset cp949" if is_euc_kr else None
        return data, pmeta, name, note
    try:
        data, pmeta = call(None)
    except _DecodeError as exc:
        return _fallback(src, call, f"its text is not valid in the declared encoding ({exc})")
    if _looks_like_mojibake(_texts(data, pmeta)):
        retry = _try_fallback(call)
        if retry is not None and _looks_korean(_texts(*retry)):
            declared = pmeta.file_encoding
            return _warn_fallback(src, retry, f"the declared encoding {declared!r} gave "
                                  "mojibake (Latin-1 letters where Hangul is expected)")
    return data, pmeta, pmeta.file_encoding, None


def _fallback(src: Path, call: Callable[..., Any], why: str) -> tuple[Any, Any, str, str]:
    retry = _try_fallback(call)
    if retry is None:
        raise ReadError(
            f"data file '{src}' cannot be decoded: {why}, and cp949 fails too. Pass its real "
            "encoding, e.g. read(path, encoding='cp1252').")
    return _warn_fallback(src, retry, why, stacklevel=6)


def _try_fallback(call: Callable[..., Any]) -> tuple[pd.DataFrame, Any] | None:
    try:
        return call(KOREAN_FALLBACK.upper())
    except _DecodeError:
        return None


def _warn_fallback(src: Path, retry: tuple[pd.DataFrame, Any], why: str, *,
                   stacklevel: int = 5) -> tuple[Any, Any, str, str]:
    """Warn that the text was re-decoded; *stacklevel* points at the caller of read()."""
    note = f"re-decoded as {KOREAN_FALLBACK}: {why}"
    warnings.warn(f"data file '{src}': {note}. Pass encoding='{KOREAN_FALLBACK}' to silence "
                  "this, or re-save the file as UTF-8.", EncodingWarning, stacklevel=stacklevel)
    return retry[0], retry[1], KOREAN_FALLBACK, note


def _iconv_name(src: Path, encoding: str) -> str:
    """Validate an encoding name and return the spelling iconv (inside readstat) accepts."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ReadError(
            f"encoding for data file '{src}' must be a known encoding name; got {encoding!r}. "
            "Use e.g. 'cp949' (Korean), 'utf-8' or 'cp1252', or None for the file's own.") from None
    if name == "euc_kr":
        name = KOREAN_FALLBACK
    return name.upper().replace("_", "-")


def _texts(data: pd.DataFrame, pmeta: Any) -> str:
    """All decoded text of a file: names, labels, value labels and sampled string values."""
    parts: list[str] = [str(c) for c in data.columns]
    parts += [str(v) for v in (pmeta.column_labels or []) if v]
    parts.append(str(pmeta.file_label or ""))
    for labels in (pmeta.variable_value_labels or {}).values():
        parts += [str(v) for v in labels.values()]
    for col in data.columns:
        if data[col].dtype.kind in "OUT" or pd.api.types.is_string_dtype(data[col]):
            parts += [str(v) for v in data[col].dropna().unique()[:TEXT_SAMPLE_VALUES]]
    return "\n".join(parts)


def _looks_like_mojibake(text: str) -> bool:
    non_ascii = len(_NON_ASCII.findall(text))
    if non_ascii < MOJIBAKE_MIN_CHARS:
        return False
    return len(_LATIN_HIGH.findall(text)) / non_ascii >= MOJIBAKE_MIN_SHARE


def _looks_korean(text: str) -> bool:
    non_ascii = len(_NON_ASCII.findall(text))
    return non_ascii > 0 and len(_HANGUL.findall(text)) / non_ascii >= HANGUL_MIN_SHARE


def _check_wanted(src: Path, wanted: list[str] | None, got: list[str],
                  all_columns: Callable[[], tuple[pd.DataFrame, Any]]) -> None:
    """Raise DataError for the first requested column the file lacks (with suggestions)."""
    lacking = [c for c in wanted or () if c not in got]
    if not lacking:
        return
    names = [str(c) for c in all_columns()[0].columns]
    raise DataError(
        f"columns= must name variables of data file '{src}'; got {lacking[0]!r}, which the "
        f"file lacks ({len(names)} variables).{closest(lacking[0], names)} Check the "
        "spelling (names are case-sensitive) or leave it out.")


def _meta_from_pyreadstat(src: Path, fmt: str, data: pd.DataFrame, pmeta: Any,
                          used: str | None, note: str | None) -> FileMeta:
    cols = tuple(str(c) for c in data.columns)
    keep = set(cols)
    labels = dict(zip(pmeta.column_names, pmeta.column_labels or [None] * len(cols)))
    mr_sets = {k: v for k, v in (getattr(pmeta, "mr_sets", None) or {}).items()
               if set(v.get("variable_list", ())) <= keep}
    return FileMeta(
        path=str(src), format=fmt, n_rows=len(data), columns=cols,
        variable_labels={c: labels.get(c) for c in cols},
        value_labels={c: {_plain(k): v for k, v in lab.items()}
                      for c, lab in (pmeta.variable_value_labels or {}).items() if c in keep},
        missing={c: MissingSpec.from_pyreadstat(m)
                 for c, m in (pmeta.missing_ranges or {}).items() if c in keep and m},
        measure={c: m for c, m in (pmeta.variable_measure or {}).items() if c in keep},
        mr_sets=mr_sets, encoding=_codec_name(used), encoding_note=note,
        formats={c: f for c, f in (pmeta.original_variable_types or {}).items() if c in keep},
    )


def _read_csv(src: Path, fmt: str, encoding: str | None,
              wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    raw = src.read_bytes()
    if encoding is not None:
        name = _iconv_name(src, encoding).lower()
        text, note = _decode_bytes(src, raw, name), None
    else:
        try:
            text, name, note = raw.decode("utf-8-sig"), "utf-8", None
        except UnicodeDecodeError as exc:
            why = f"it is not valid UTF-8 (byte {exc.start})"
            text, name, note = _decode_bytes(src, raw, KOREAN_FALLBACK), KOREAN_FALLBACK, \
                f"re-decoded as {KOREAN_FALLBACK}: {why}"
            warnings.warn(f"data file '{src}': {note}. Pass encoding='{KOREAN_FALLBACK}' to "
                          "silence this, or re-save the file as UTF-8.", EncodingWarning,
                          stacklevel=3)
    data = _parse_csv(src, text)
    data = _select(src, data, wanted)
    return data, _plain_meta(src, fmt, data, _codec_name(name), note)


def _decode_bytes(src: Path, raw: bytes, name: str) -> str:
    try:
        return raw.decode(name)
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"data file '{src}' cannot be decoded as {name} (byte {exc.start}). Pass its real "
            "encoding, e.g. encoding='cp949' or 'utf-8'.") from exc


def _parse_csv(src: Path, text: str) -> pd.DataFrame:
    import io as _io

    try:
        return pd.read_csv(_io.StringIO(text))
    except pd.errors.EmptyDataError as exc:
        raise ReadError(f"data file '{src}' has no columns (only blank lines). Re-export "
                        "it with a header row.") from exc
    except pd.errors.ParserError as exc:
        raise ReadError(f"data file '{src}' is not valid CSV ({exc}). Check the delimiter "
                        "(comma expected) and quoting.") from exc


def _read_xlsx(src: Path, fmt: str, encoding: str | None,
               wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    _no_encoding(src, encoding)
    try:
        data = pd.read_excel(src, sheet_name=0, engine="openpyxl")
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError for bad files
        raise ReadError(f"data file '{src}' could not be read as an Excel workbook ({exc}). "
                        "Re-save it as .xlsx from Excel or LibreOffice.") from exc
    data = _select(src, data, wanted)
    return data, _plain_meta(src, fmt, data, None, None)


def _read_parquet(src: Path, fmt: str, encoding: str | None,
                  wanted: list[str] | None) -> tuple[pd.DataFrame, FileMeta]:
    _no_encoding(src, encoding)
    try:
        data = pd.read_parquet(src)
    except Exception as exc:  # pyarrow raises ArrowInvalid (a ValueError) and OSError
        raise ReadError(f"data file '{src}' could not be read as Parquet ({exc}): it is "
                        "truncated or not Parquet. Re-export it.") from exc
    data = _select(src, data, wanted)
    return data, _plain_meta(src, fmt, data, "utf-8", None)


def _no_encoding(src: Path, encoding: str | None) -> None:
    if encoding is not None:
        raise ReadError(f"data file '{src}' stores its own text encoding; got "
                        f"encoding={encoding!r}. Drop the encoding argument.")


def _select(src: Path, data: pd.DataFrame, wanted: list[str] | None) -> pd.DataFrame:
    if not wanted:
        return data
    _check_wanted(src, wanted, [str(c) for c in data.columns],
                  lambda: (data, None))
    return data[wanted]


def _plain_meta(src: Path, fmt: str, data: pd.DataFrame, encoding: str | None,
                note: str | None) -> FileMeta:
    return FileMeta(path=str(src), format=fmt, n_rows=len(data),
                    columns=tuple(str(c) for c in data.columns), encoding=encoding,
                    encoding_note=note)


_READERS: dict[str, Callable[..., tuple[pd.DataFrame, FileMeta]]] = {
    "sav": _read_spss_stata, "zsav": _read_spss_stata, "dta": _read_spss_stata,
    "por": _read_por, "csv": _read_csv, "xlsx": _read_xlsx, "parquet": _read_parquet,
}


def _blank_user_missing(data: pd.DataFrame, missing: Mapping[str, MissingSpec]) -> pd.DataFrame:
    out = data.copy()
    for col, spec in missing.items():
        out[col] = out[col].mask(spec.is_missing(out[col].to_numpy()))
    return out


# ----------------------------------------------------------------------------- writing


def write_sav(data: pd.DataFrame, path: str | os.PathLike[str], *,
              variable_labels: Mapping[str, str | None] | None = None,
              value_labels: Mapping[str, Mapping[Any, str]] | None = None,
              missing: Mapping[str, Any] | None = None,
              measure: Mapping[str, str] | None = None,
              compress: bool = False) -> Path:
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
    columns = [str(c) for c in data.columns]
    kwargs = {
        "column_labels": _known(variable_labels, columns, "variable_labels"),
        "variable_value_labels": {k: dict(v) for k, v in
                                  _known(value_labels, columns, "value_labels").items()},
        "missing_ranges": _missing_for_writer(_known(missing, columns, "missing")),
        "variable_measure": _measures(_known(measure, columns, "measure")),
        "compress": compress,
    }
    kwargs = {k: v for k, v in kwargs.items() if v or k == "compress"}

    def write(tmp: str) -> None:
        try:
            pyreadstat.write_sav(data.copy(), tmp, **kwargs)
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, ValueError) as exc:
            raise DataError(f"data could not be written to '{target}' as SPSS ({exc}). "
                            "Check column names (SPSS: start with a letter, no spaces) "
                            "and that labelled/missing columns are numeric or short "
                            "strings.") from exc

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
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}. "
                        "Wrap it with pandas.DataFrame(...).")
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise DataError(f"output file '{target}' must end in {' or '.join(suffixes)}; got "
                        f"{target.suffix or 'no suffix'!r}. Rename it (.zsav needs "
                        "compress=True).")
    if not target.parent.is_dir():
        raise ReadError(f"output folder '{target.parent}' of '{target.name}' does not "
                        "exist. Create it first.")
    source = data.attrs.get(SOURCE_ATTR)
    if source and target.exists() and os.path.samefile(source, target):
        raise DataError(f"output file '{target}' is the input file the data was read "
                        "from; surveykit never overwrites its input. Write to a new path.")
    return target


def _atomic(target: Path, write: Callable[[str], None]) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _known(mapping: Mapping[str, Any] | None, columns: list[str], arg: str) -> dict[str, Any]:
    mapping = dict(mapping or {})
    for key in mapping:
        if key not in columns:
            raise DataError(f"{arg} must name columns of the data; got {key!r}, which it "
                            f"lacks.{closest(key, columns)} Fix the name or drop the entry.")
    return mapping


def _missing_for_writer(missing: Mapping[str, Any]) -> dict[str, list[Any]]:
    out = {}
    for col, raw in missing.items():
        spec = MissingSpec.coerce(raw, variable=col)
        ok = (len(spec.ranges) == 0 and len(spec.values) <= 3) or (
            len(spec.ranges) == 1 and len(spec.values) <= 1)
        if not ok:
            raise DataError(
                f"missing codes of {col!r} must be at most 3 codes, or 1 range plus 1 code "
                f"(SPSS limit); got {len(spec.values)} codes and {len(spec.ranges)} ranges. "
                "Merge codes into a range.")
        out[col] = spec.to_pyreadstat()
    return out


def _measures(measure: Mapping[str, str]) -> dict[str, str]:
    for col, value in measure.items():
        if value not in MEASURES:
            raise DataError(f"measure of {col!r} must be one of {', '.join(MEASURES)}; got "
                            f"{value!r}. Fix the value.")
    return dict(measure)


# ----------------------------------------------------------------------------- helpers


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
