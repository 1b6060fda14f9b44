"""Text decoding of :mod:`surveykit.io`: mojibake detection and the CP949 fallback.

Legacy Korean SPSS files often declare a Western code page (or UTF-8) while their text is
CP949. :func:`_decode` reads with the declared (or given) encoding and, when the text fails to
decode or decodes to Latin-1 mojibake, re-reads it as ``cp949`` with an
:class:`~surveykit.errors.RecodedTextWarning`; it also validates encoding names and decodes the
raw bytes of text formats (CSV). ``euc-kr`` is never used: ``cp949`` is its superset.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from surveykit._util.warn import warn
from surveykit.errors import ReadError, RecodedTextWarning

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
_LATIN_HIGH = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]"
)
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


class _DecodeError(Exception):
    """pyreadstat could not convert the file's text with the encoding in use."""


def _decode(
    src: Path, call: Callable[..., tuple[pd.DataFrame, Any]], encoding: str | None
) -> tuple[pd.DataFrame, Any, str | None, str | None]:
    """Read with the declared (or given) encoding; fall back to CP949 on failure or mojibake."""
    if encoding is not None:
        name = _iconv_name(src, encoding)
        try:
            data, pmeta = call(name)
        except _DecodeError as exc:
            raise ReadError(
                f"data file '{src}' cannot be decoded with encoding={encoding!r} ({exc}). Pass "
                f"the file's real encoding (for Korean files usually 'cp949'), or None to use "
                "the one the file declares."
            ) from exc
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
            return _warn_fallback(
                src,
                retry,
                f"the declared encoding {declared!r} gave mojibake (Latin-1 letters where Hangul is expected)",
            )
    return data, pmeta, pmeta.file_encoding, None


def _fallback(src: Path, call: Callable[..., Any], why: str) -> tuple[Any, Any, str, str]:
    retry = _try_fallback(call)
    if retry is None:
        raise ReadError(
            f"data file '{src}' cannot be decoded: {why}, and cp949 fails too. Pass its real "
            "encoding, e.g. read(path, encoding='cp1252')."
        )
    return _warn_fallback(src, retry, why)


def _try_fallback(call: Callable[..., Any]) -> tuple[pd.DataFrame, Any] | None:
    try:
        return call(KOREAN_FALLBACK.upper())
    except _DecodeError:
        return None


def _warn_fallback(src: Path, retry: tuple[pd.DataFrame, Any], why: str) -> tuple[Any, Any, str, str]:
    """Warn (at the caller of read()) that the text was re-decoded."""
    note = f"re-decoded as {KOREAN_FALLBACK}: {why}"
    warn(
        f"data file '{src}': {note}. Pass encoding='{KOREAN_FALLBACK}' to silence this, or re-save the file as UTF-8.",
        RecodedTextWarning,
    )
    return retry[0], retry[1], KOREAN_FALLBACK, note


def _iconv_name(src: Path, encoding: str) -> str:
    """Validate an encoding name and return the spelling iconv (inside readstat) accepts."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ReadError(
            f"encoding for data file '{src}' must be a known encoding name; got {encoding!r}. "
            "Use e.g. 'cp949' (Korean), 'utf-8' or 'cp1252', or None for the file's own."
        ) from None
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


def _decode_bytes(src: Path, raw: bytes, name: str) -> str:
    try:
        return raw.decode(name)
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"data file '{src}' cannot be decoded as {name} (byte {exc.start}). Pass its real "
            "encoding, e.g. encoding='cp949' or 'utf-8'."
        ) from exc
