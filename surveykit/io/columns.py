"""Column-name checks shared by every reader of :mod:`surveykit.io`.

A file whose header repeats a name is refused: pandas would silently rename the copies
(``id.1``), and SPSS/Stata tools disagree on which one a name means. :func:`find_duplicates`
lists the repeated names with their 1-based positions, :func:`duplicate_error` words the
refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from surveykit.errors import ReadError


def find_duplicates(names: Iterable[Any]) -> dict[str, list[int]]:
    """``{name: [positions]}`` of the names that occur more than once (positions 1-based).

    Examples
    --------
    >>> find_duplicates(["id", "q1", "id", "q2", "q1"])
    {'id': [1, 3], 'q1': [2, 5]}
    """
    seen: dict[str, list[int]] = {}
    for pos, name in enumerate(names, start=1):
        seen.setdefault(str(name), []).append(pos)
    return {name: pos for name, pos in seen.items() if len(pos) > 1}


def duplicate_error(src: Path, dups: Mapping[str, Sequence[int]]) -> ReadError:
    """The ReadError for a file whose column names repeat."""
    shown = list(dups.items())[:5]
    listed = "; ".join(f"{name!r} at columns {', '.join(str(p) for p in pos)}" for name, pos in shown)
    more = f" (+{len(dups) - len(shown)} more)" if len(dups) > len(shown) else ""
    return ReadError(
        f"column names of data file '{src}' must be unique; got {listed}{more}. Rename the "
        "repeated columns in the file (or in the program that exported it) and read it again."
    )


def check_unique(src: Path, names: Iterable[Any]) -> None:
    """Raise :func:`duplicate_error` when *names* repeat."""
    dups = find_duplicates(names)
    if dups:
        raise duplicate_error(src, dups)
