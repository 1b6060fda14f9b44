"""The one YAML reader of surveykit, and one-line messages for what it refuses.

Plans, instruments and the published figures are YAML that people share like documents, so
:func:`load_yaml` reads them strictly: PyYAML's safe constructors only (no Python objects);
anchors and aliases refused (``&a``/``*a``: nothing surveykit reads needs them, and nested
aliases expand a few hundred bytes into gigabytes, "billion laughs"); at most
:data:`MAX_CHARS` characters and :data:`MAX_DEPTH` levels of nesting; duplicate mapping keys
refused (PyYAML silently keeps the last one). Every refusal, like every syntax error, is one
line in the :func:`yaml_error` wording ``"<file>: must be valid YAML; line L, column C: <problem>."``.

PyYAML's own message spans several lines (context, ``in "<unicode string>"``, a marker line);
the CLI promises one line per error, so :func:`yaml_error` condenses it with 1-based line and
column.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node
from yaml.resolver import Resolver

__all__ = ["yaml_error", "load_yaml", "MAX_CHARS", "MAX_DEPTH"]

MAX_CHARS = 4_000_000
"""Longest YAML text accepted, in characters (the bundled files are under 25 000)."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted (the bundled files use at most 6)."""


class _StrictComposer(Composer):
    """PyYAML's composer without anchors or aliases and with a nesting-depth limit."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            sign = "*" if isinstance(event, AliasEvent) else "&"
            raise yaml.composer.ComposerError(
                None,
                None,
                f"anchors and aliases ({sign}{str(event.anchor)[:20]}) are not allowed; write the value out in full",
                event.start_mark,
            )
        if isinstance(event, ScalarEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH and isinstance(event, CollectionStartEvent):
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nesting must be at most {MAX_DEPTH} levels deep; flatten the structure",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _StrictConstructor(SafeConstructor):
    """PyYAML's safe constructor refusing duplicate mapping keys and reporting bad scalars."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        self.flatten_mapping(node)  # inline merge keys (<<: {...}); aliases never get this far
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable: PyYAML's own message follows
                break
            if duplicate:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {_short(key)} in a mapping; keep one (PyYAML would keep the last)",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp 2018-02-30
            raise ConstructorError(None, None, f"cannot read {_short(node.value)}: {exc}", node.start_mark) from None


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

if _CParser is not None:

    class _Loader(_StrictComposer, _CParser, _StrictConstructor, Resolver):  # type: ignore[misc, valid-type]
        """libyaml's parser (fast) feeding the strict composer and constructor."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _StrictComposer.__init__(self)
            _StrictConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, _StrictComposer, _StrictConstructor, Resolver):  # type: ignore[no-redef]
        """PyYAML's pure-Python parser feeding the strict composer and constructor."""

        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            _StrictComposer.__init__(self)
            _StrictConstructor.__init__(self)
            Resolver.__init__(self)


def load_yaml(text: str, label: str, error: type[Exception]) -> Any:
    """Parse one YAML document strictly; raise *error* with one line naming *label* otherwise.

    Parameters
    ----------
    text : str
        The YAML text.
    label : str
        The file name shown to the user (a path, or ``<name>.yaml`` for bundled files).
    error : type of Exception
        The class raised (``ReportError`` for plans, ``InstrumentError`` for instruments).

    Returns
    -------
    Any
        The document: mappings, lists, strings, numbers, booleans, ``None``, dates.

    Raises
    ------
    error
        The text is longer than :data:`MAX_CHARS`, is not YAML, uses an anchor or alias,
        nests deeper than :data:`MAX_DEPTH` or repeats a key in a mapping; the message is
        ``"<label>: must be valid YAML; line L, column C: <problem>."``.

    Notes
    -----
    R's ``yaml::read_yaml`` expands aliases and keeps the last duplicate key; this reader
    refuses both.
    """
    if len(text) > MAX_CHARS:
        raise error(
            f"{label}: must be valid YAML of at most {MAX_CHARS:,} characters; got {len(text):,}. "
            "Split the file or remove what it does not need."
        )
    loader = None
    try:
        loader = _Loader(text)
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise error(yaml_error(label, exc, text)) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise error(f"{label}: must be valid YAML; nesting must be at most {MAX_DEPTH} levels deep.") from None
    finally:
        if loader is not None:
            loader.dispose()


def _short(value: Any, limit: int = 40) -> str:
    from surveykit.errors import excerpt

    return excerpt(value, limit)


def yaml_error(label: str, exc: Exception, text: str | None = None) -> str:
    """Condense a PyYAML error to one line naming the file, the position and the problem.

    Parameters
    ----------
    label : str
        The file name shown to the user (a path, or ``<name>.yaml`` for bundled files).
    exc : yaml.YAMLError
        The error raised by ``yaml.load``: a ``MarkedYAMLError`` (scanner, parser, composer,
        constructor; its ``problem_mark`` is 0-based) or a ``ReaderError`` (a character YAML
        does not allow; located in *text* when given).
    text : str, optional
        The YAML text that was parsed, used to turn a ``ReaderError`` into a line and column.

    Returns
    -------
    str
        ``"<label>: must be valid YAML; line L, column C: <problem>."``; without a known
        position ``"<label>: must be valid YAML; <problem>."``.

    Notes
    -----
    R has no equivalent in ``survey``; ``yaml::read_yaml`` reports libyaml's message as is.
    """
    problem, where = _problem(exc, text)
    problem = " ".join(problem.split()).rstrip(".") or type(exc).__name__
    return f"{label}: must be valid YAML; {where}{problem}."


def _problem(exc: Exception, text: str | None) -> tuple[str, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if mark is not None and problem:
        return str(problem), f"line {mark.line + 1}, column {mark.column + 1}: "
    character = getattr(exc, "character", None)
    if isinstance(character, int):  # ReaderError: a disallowed character
        reason = f"unacceptable character #x{character:04x}: {getattr(exc, 'reason', '')}"
        pos = -1 if text is None else text.find(chr(character))
        if pos < 0 or text is None:
            return reason, ""
        line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        return reason, f"line {line}, column {column}: "
    return str(exc), ""
