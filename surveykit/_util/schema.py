"""The one type checker of surveykit's YAML formats (analysis plans and instruments).

A :class:`Checker` knows the file it checks and the error class to raise (``ReportError`` for
plans, ``InstrumentError`` for instruments). Each method checks one value at one key path and
returns it (normalised where that is documented), or raises one line in the house shape::

    <file>: <key path> must be <what>; got <excerpt>. <how to fix>

Values are shown through :func:`surveykit.errors.excerpt`, never ``repr``, so a message stays
short whatever the file holds. Numbers must be finite (``.nan`` and ``.inf`` are refused) and
booleans are never numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from surveykit.errors import closest, excerpt

__all__ = ["Checker", "is_number", "key_path"]

LANGS = ("ko", "en")


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool (finite or not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def key_path(path: str, key: Any) -> str:
    """``path.key`` for messages, with a long key cut to 40 characters (``path.key...``)."""
    plain = isinstance(key, (int, float)) and not isinstance(key, bool)
    if isinstance(key, str) and key.isprintable() and key.strip() == key and key:
        plain = True
    text = str(key) if plain else excerpt(key, 40)  # keys with newlines or spaces at an end: quoted
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{path}.{text}" if path else text


@dataclass(frozen=True, slots=True)
class Checker:
    """Typed checks of values read from one YAML file.

    Parameters
    ----------
    file : str
        The file name shown first in every message.
    error : type of Exception
        The class raised (a :class:`~surveykit.errors.SurveykitError` subclass).
    show_type : bool
        Name the type of a wrong value before its excerpt (``got str 'three'``).
    """

    file: str
    error: type[Exception]
    show_type: bool = False

    # -- messages ---------------------------------------------------------------------------

    def err(self, path: str, msg: str) -> Exception:
        """The error ``"<file>: <path> <msg>"`` (not raised)."""
        return self.error(f"{self.file}: {path} {msg}" if path else f"{self.file}: {msg}")

    def fail(self, path: str, msg: str) -> NoReturn:
        """Raise ``"<file>: <path> <msg>"``."""
        raise self.err(path, msg)

    def got(self, value: Any) -> str:
        """How a wrong value is shown: a short excerpt (with its type when ``show_type``)."""
        if self.show_type and not (value is None or isinstance(value, bool)):
            return f"{type(value).__name__} {excerpt(value)}"
        return excerpt(value)

    def expect(self, path: str, what: str, value: Any, fix: str = "Fix the value.") -> NoReturn:
        """Raise ``"<path> must be <what>; got <value>. <fix>"``."""
        self.fail(path, f"must be {what}; got {self.got(value)}. {fix}".rstrip())

    # -- containers -------------------------------------------------------------------------

    def mapping(
        self,
        value: Any,
        path: str,
        allowed: Collection[str] | None = None,
        required: Sequence[str] = (),
        what: str = "a mapping",
        *,
        optional: bool = False,
        text_keys: bool = True,
    ) -> dict:
        """A mapping whose keys are text (unless ``text_keys=False``), all in *allowed*, with *required*.

        ``None`` stands for an empty mapping when *optional*.
        """
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            self.expect(path, what, value)
        for key in value:
            sub = key_path(path, key)
            if text_keys and not isinstance(key, str):
                self.fail(sub, f"must be a text key; got {self.got(key)}. Quote it or rename it.")
            if allowed is not None and key not in allowed:
                known = ", ".join(allowed)
                self.fail(sub, f"is not a known key.{closest(str(key), allowed)} Known: {known}. Rename or remove it.")
        for key in required:
            if key not in value:
                self.fail(path or "top level", f"must have key {key!r}; it is missing. Add it.")
        return value

    def seq(
        self, value: Any, path: str, what: str = "a list", *, nonempty: bool = False, optional: bool = False
    ) -> list:
        """A list (``None`` is an empty list when *optional*); non-empty when *nonempty*."""
        if value is None and optional:
            return []
        if not isinstance(value, list) or (nonempty and not value):
            self.expect(path, what, value)
        return value

    # -- scalars ----------------------------------------------------------------------------

    def string(
        self,
        value: Any,
        path: str,
        what: str = "a non-empty string",
        *,
        pattern: re.Pattern | None = None,
        fix: str = "Fix the value.",
    ) -> str:
        """A non-blank string (matching *pattern* when given)."""
        if not isinstance(value, str) or not value.strip() or (pattern is not None and not pattern.match(value)):
            self.expect(path, what, value, fix)
        return value

    def boolean(self, value: Any, path: str, what: str = "true or false") -> bool:
        """``true`` or ``false`` (not 0/1, not "yes" in quotes)."""
        if not isinstance(value, bool):
            self.expect(path, what, value)
        return value

    def integer(self, value: Any, path: str, what: str = "a whole number", *, minimum: int | None = None) -> int:
        """An int (not a bool), at least *minimum* when given."""
        if not is_number(value) or not isinstance(value, int) or (minimum is not None and value < minimum):
            self.expect(path, what, value)
        return value

    def number(
        self,
        value: Any,
        path: str,
        what: str = "a finite number",
        *,
        minimum: float | None = None,
        positive: bool = False,
    ) -> float | int:
        """A finite int or float (not a bool, NaN or infinity), ``>= minimum`` / ``> 0`` when asked."""
        if not is_number(value):
            self.expect(path, what, value)
        if not math.isfinite(value):
            self.expect(path, what, value, "Use a finite number (.nan and .inf are not allowed).")
        if (minimum is not None and value < minimum) or (positive and value <= 0):
            self.expect(path, what, value)
        return value

    def choice(self, value: Any, path: str, choices: Sequence[Any]) -> Any:
        """One of *choices* (compared by value and type, so ``true`` is not ``1``)."""
        if not any(value == c and type(value) is type(c) for c in choices):
            hint = closest(value, [str(c) for c in choices]) if isinstance(value, str) else ""
            listed = ", ".join(repr(c) if isinstance(c, str) else str(c).lower() for c in choices)
            self.fail(path, f"must be one of {listed}; got {self.got(value)}.{hint}")
        return value

    # -- compound ---------------------------------------------------------------------------

    def names(
        self, value: Any, path: str, what: str = "a non-empty list of variable names", *, nonempty: bool = True
    ) -> list[str]:
        """A list of non-blank strings (column or variable names)."""
        items = self.seq(value, path, what, nonempty=nonempty)
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                self.expect(f"{path}[{i}]", "a name (a string)", item)
        return items

    def name_or_names(
        self, value: Any, path: str, what: str = "a column name or a list of column names"
    ) -> str | list[str]:
        """A column name, or a non-empty list of them."""
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list) and value:
            return self.names(value, path, what)
        self.expect(path, what, value)

    def bilingual(self, value: Any, path: str, *, allow_string: bool = True) -> dict[str, str]:
        """A text in both languages: ``{ko: ..., en: ...}`` (either may be left out), or one string for both.

        ``None`` is no text (``{}``).
        """
        if value is None:
            return {}
        if allow_string and isinstance(value, str):
            return {"ko": value, "en": value}
        what = "a string or a mapping with 'ko' and 'en'" if allow_string else "a mapping with 'ko' and 'en'"
        if not isinstance(value, dict):
            self.expect(path, what, value)
        self.mapping(value, path, LANGS, what=what)
        for lang, text in value.items():
            if not isinstance(text, str):
                self.expect(f"{path}.{lang}", "a string", text, "Quote the text.")
        return dict(value)
