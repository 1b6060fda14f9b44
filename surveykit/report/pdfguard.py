"""PDF safety nets around WeasyPrint: a URL fetcher limited to the package, glyph checks.

* :class:`PackageFetcher` serves only the package's own ``fonts/`` and ``static/`` files; every
  other URL (http(s), ``file:`` outside those folders, ``data:``, ...) is refused and logged on
  the ``surveykit.report`` logger, and recorded for inspection.
* :func:`glyph_check` listens on the ``weasyprint`` logger for ``.notdef`` (missing glyph)
  warnings; :func:`fallback_fonts` lists characters drawn with a system font instead of the
  bundled one. The writer turns either into a :class:`~surveykit.errors.ReportError`.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from surveykit.report.fonts import package_dir

__all__ = ["PackageFetcher", "glyph_check", "fallback_fonts"]

LOG = logging.getLogger("surveykit.report")


def _fetcher_base():
    from weasyprint.urls import URLFetcher

    return URLFetcher


class PackageFetcher:
    """A WeasyPrint URL fetcher that serves only the package's ``fonts/`` and ``static/`` files.

    Every request is recorded in ``requested``; refused ones also in ``refused`` and logged on
    the ``surveykit.report`` logger. Build with :meth:`create` (WeasyPrint's base class is
    imported lazily).
    """

    MIME = {
        ".otf": "font/otf",
        ".ttf": "font/ttf",
        ".woff2": "font/woff2",
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".png": "image/png",
    }
    # set per instance by create() (the instance is of a subclass that adds WeasyPrint's base)
    roots: tuple[Path, ...]
    requested: list[str]
    refused: list[str]

    @classmethod
    def create(cls, roots: Sequence[Path] | None = None):
        base = _fetcher_base()
        klass = type("SurveykitPackageFetcher", (cls, base), {})
        fetcher = klass(timeout=1, allowed_protocols=("file",), allow_redirects=False)
        fetcher.roots = tuple(p.resolve() for p in (roots or (package_dir() / "fonts", package_dir() / "static")))
        fetcher.requested, fetcher.refused = [], []
        return fetcher

    def _allowed(self, url: str) -> Path | None:
        from urllib.parse import unquote, urlsplit
        from urllib.request import url2pathname

        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(unquote(parts.path))).resolve()
        ok = path.is_file() and any(root in path.parents for root in self.roots)
        return path if ok else None

    def fetch(self, url: str, headers: Mapping[str, str] | None = None):
        from weasyprint.urls import URLFetcherResponse

        self.requested.append(url)
        path = self._allowed(url)
        if path is None:
            self.refused.append(url)
            LOG.warning(
                "refused to fetch %s: the PDF renderer loads only the package's own fonts and styles", url[:200]
            )
            raise ValueError(f"surveykit refuses to fetch {url[:200]!r}")
        mime = self.MIME.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime})


class _GlyphCheck(logging.Handler):
    """Collects WeasyPrint's missing-glyph warnings."""

    PATTERN = re.compile(r"\.notdef|missing glyph|unsupported by fonts", re.IGNORECASE)

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.PATTERN.search(message):
            self.problems.append(message)


@contextlib.contextmanager
def glyph_check() -> Iterator[_GlyphCheck]:
    logger = logging.getLogger("weasyprint")
    handler = _GlyphCheck()
    old_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def fallback_fonts(rendered: Any, family: str) -> list[str]:
    """Characters drawn with a system font instead of the bundled one (not portable)."""
    found: dict[str, set[str]] = {}
    for font in rendered.fonts.values():
        if font.family != family:
            chars = {c for text in font.to_unicode.values() for c in text if not c.isspace()}
            if chars:
                found.setdefault(font.family, set()).update(chars)
    return [
        f"{''.join(sorted(chars))!r} ({', '.join(f'U+{ord(c):04X}' for c in sorted(chars)[:5])}) "
        f"drawn with the system font {family!r}"
        for family, chars in sorted(found.items())
    ]
