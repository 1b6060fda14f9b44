"""The bundled Korean font: where it is, CSS that uses it, and matplotlib registration.

The package ships a subset of Noto Sans CJK KR (OFL 1.1; see ``fonts/OFL.txt``), renamed
``Surveykit Noto Sans KR`` so a system-installed Noto never stands in for it unnoticed.

* PDF: ``@font-face`` rules point at the package files with ``file://`` URLs built at render time
  (:func:`font_face_css` with ``embed=False``); WeasyPrint embeds a subset of what is used.
* HTML: the fonts are subset to the characters of the document and embedded as ``data:`` URIs
  (:func:`font_face_css` with ``embed=True``), so the HTML shows Korean on any machine, offline.
* Charts: :func:`register_matplotlib` adds the files to matplotlib's font manager.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

__all__ = ["FAMILY", "FONT_STACK", "font_files", "font_face_css", "register_matplotlib", "package_dir"]

FAMILY = "Surveykit Noto Sans KR"
FONT_STACK = f"'{FAMILY}', 'Noto Sans CJK KR', 'Noto Sans KR', 'Apple SD Gothic Neo', 'Malgun Gothic', sans-serif"
_FILES = {400: "SurveykitNotoSansKR-Regular.otf", 700: "SurveykitNotoSansKR-Bold.otf"}


def package_dir() -> Path:
    """The folder of ``surveykit.report`` (templates/, static/, fonts/ live below it)."""
    return Path(__file__).resolve().parent


def font_files() -> dict[int, Path]:
    """Font weight -> path of the bundled OTF file."""
    folder = package_dir() / "fonts"
    return {weight: folder / name for weight, name in _FILES.items()}


def _face(weight: int, src: str) -> str:
    return (
        f"@font-face {{ font-family: '{FAMILY}'; font-style: normal; font-weight: {weight}; "
        f"src: url({src}) format('opentype'); }}\n"
    )


@functools.lru_cache(maxsize=8)
def _subset_b64(path: Path, text: str) -> str:
    """The font subset to *text* (plus ASCII), as base64 OTF; deterministic for equal input.

    Uses HarfBuzz's subsetter (``uharfbuzz``): milliseconds for the 13,000-glyph CJK font, where
    fontTools' pure-Python CFF subsetter takes about a second per weight.
    """
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(path)))
    wanted = hb.SubsetInput()
    wanted.unicode_set.update(range(0x20, 0x7F))
    wanted.unicode_set.update(ord(c) for c in text)
    return base64.b64encode(hb.subset(face, wanted).blob.data).decode("ascii")


def font_face_css(*, embed: bool, text: str = "") -> str:
    """``@font-face`` rules for the bundled font.

    Parameters
    ----------
    embed : bool
        ``True``: subset the fonts to the characters of *text* and inline them as ``data:``
        URIs (self-contained HTML). ``False``: ``file://`` URLs to the package files, resolved
        now (for WeasyPrint, which fetches them through the report's URL fetcher).
    text : str
        Every character the document shows (only used with ``embed=True``).
    """
    chars = "".join(sorted(set(text)))
    rules = []
    for weight, path in font_files().items():
        if embed:
            src = f"data:font/otf;base64,{_subset_b64(path, chars)}"
        else:
            src = path.resolve().as_uri()
        rules.append(_face(weight, src))
    return "".join(rules)


@functools.cache
def register_matplotlib() -> str:
    """Add the bundled fonts to matplotlib's font manager (once); return the family name."""
    from matplotlib import font_manager

    for path in font_files().values():
        font_manager.fontManager.addfont(str(path))
    return FAMILY
