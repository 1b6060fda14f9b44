"""One-line messages for YAML syntax errors, shared by the instrument and analysis-plan loaders.

PyYAML's own message spans several lines (context, ``in "<unicode string>"``, a marker line);
the CLI promises one line per error, so :func:`yaml_error` condenses it to
``"<file>: must be valid YAML; line L, column C: <problem>."`` with 1-based line and column.
"""

from __future__ import annotations

__all__ = ["yaml_error"]


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
        if pos < 0:
            return reason, ""
        line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        return reason, f"line {line}, column {column}: "
    return str(exc), ""
