"""Faithful reading and writing of survey files: the only folder that touches file formats.

The work is done in the folder's modules (``io.meta``, ``io.encoding``, ``io.spss``,
``io.tabular``, ``io.write``); this face defines :func:`read`.

:func:`read` returns ``(data, meta)``. The data model used by the whole package:

* categorical answers stay as their numeric **codes** (never pandas Categoricals, never labels);
  the labels live in :attr:`FileMeta.value_labels`;
* **user-missing** codes (e.g. ``9 = 모름/무응답``, ``99``, a range ``997 THRU 999``) stay in the
  data as codes and are described in :attr:`FileMeta.missing`; only **system-missing** is NaN;
* strings stay ``str``.

Legacy Korean SPSS files are handled: a file whose header declares a Western code page (or
UTF-8) while its text is CP949 is detected -- the text either fails to decode or decodes to
Latin-1 mojibake -- and re-read as ``cp949`` with an :class:`~surveykit.errors.RecodedTextWarning`.
``euc-kr`` is never used: ``cp949`` is its superset and also holds syllables such as 똠.

:func:`write_sav` and :func:`write_csv` write atomically (a temporary file in the target folder,
then :func:`os.replace`) and refuse to overwrite the file the data was read from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any  # noqa: F401  resolves FileMeta's annotations (its __module__ is this)

import pandas as pd

from surveykit.errors import ReadError
from surveykit.io.encoding import (  # noqa: F401  the constants stay importable from here
    HANGUL_MIN_SHARE,
    KOREAN_FALLBACK,
    MOJIBAKE_MIN_CHARS,
    MOJIBAKE_MIN_SHARE,
    TEXT_SAMPLE_VALUES,
)
from surveykit.io.meta import FileMeta, MissingSpec
from surveykit.io.spss import _read_por, _read_spss_stata
from surveykit.io.tabular import _read_csv, _read_parquet, _read_xlsx
from surveykit.io.write import MEASURES, SOURCE_ATTR, write_csv, write_sav  # noqa: F401

__all__ = ["read", "write_sav", "write_csv", "FileMeta", "MissingSpec", "SUPPORTED_FORMATS", "SOURCE_ATTR"]

#: file suffix -> format name understood by :func:`read`
SUPPORTED_FORMATS: dict[str, str] = {
    ".sav": "sav",
    ".zsav": "zsav",
    ".por": "por",
    ".dta": "dta",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
}

# the public names defined in the private modules belong to this module (repr, pickle, docs)
for _public in (MissingSpec, FileMeta, write_sav, write_csv):
    _public.__module__ = __name__
del _public


def read(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    columns: str | Sequence[str] | None = None,
    user_missing: bool = True,
) -> tuple[pd.DataFrame, FileMeta]:
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
    RecodedTextWarning : the text was re-decoded as ``cp949`` because the declared encoding gave
        mojibake or failed.

    Notes
    -----
    R equivalent: ``haven::read_sav(path, user_na = TRUE)`` (``read_por``, ``read_dta``);
    pyreadstat's ``read_sav(..., user_missing=True)`` underneath. Portable (``.por``) files
    cannot hold Korean, and pyreadstat turns their user-missing codes into NaN.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ReadError(f"path must be a file path (str or pathlib.Path); got {type(path).__name__}.")
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
            f"and the working directory ({Path.cwd().name!r})."
        )
    if src.is_dir():
        raise ReadError(f"data file '{src}' must be a file; got a directory. Pass the path of a file inside it.")
    if src.suffix.lower() not in SUPPORTED_FORMATS:
        raise ReadError(
            f"data file '{src}' must have one of the suffixes {', '.join(SUPPORTED_FORMATS)}; "
            f"got {src.suffix or 'no suffix'!r}. Convert the file or rename it if the suffix "
            "is wrong."
        )
    if src.stat().st_size == 0:
        raise ReadError(f"data file '{src}' is empty (0 bytes). Re-export or re-download it.")
    return src


class _MissingFileError(ReadError, FileNotFoundError):
    """A ReadError that ``except FileNotFoundError`` also catches."""


_READERS: dict[str, Callable[..., tuple[pd.DataFrame, FileMeta]]] = {
    "sav": _read_spss_stata,
    "zsav": _read_spss_stata,
    "dta": _read_spss_stata,
    "por": _read_por,
    "csv": _read_csv,
    "xlsx": _read_xlsx,
    "parquet": _read_parquet,
}


def _blank_user_missing(data: pd.DataFrame, missing: Mapping[str, MissingSpec]) -> pd.DataFrame:
    out = data.copy()
    for col, spec in missing.items():
        out[col] = out[col].mask(spec.is_missing(out[col].to_numpy()))
    return out
