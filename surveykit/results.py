"""Shared pieces of result objects: the printable :class:`Summary` and JSON-safe conversion.

Every result in surveykit is a ``@dataclass(frozen=True, slots=True)`` that offers

* ``to_frame()``: a tidy :class:`pandas.DataFrame`, one row per variable x level x domain, with
  codes and labels in separate columns;
* ``to_dict()``: JSON-safe plain data (report templates bind only to this);
* ``summary()``: a :class:`Summary` that prints as text and renders as HTML.

Column vocabulary everywhere: ``estimate, se, ci_low, ci_high, df, deff, cv, p_value, n``
(unweighted), ``weighted_n``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Summary", "Printable", "jsonable", "frame_records"]


def jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON-safe Python values.

    NaN and infinities become ``None``; tuples become lists; mappings keep string keys.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return frame_records(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (str, int)):
        return value
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-safe row dicts."""
    return [jsonable(dict(zip(frame.columns, row))) for row in frame.itertuples(index=False)]


def _fmt(value: Any, digits: int) -> str:
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            return ""
        return f"{float(value):.{digits}f}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


@dataclass(frozen=True, slots=True)
class Summary:
    """A printable summary: a title, key/value facts about how it was made, and a table.

    ``str(summary)`` gives aligned plain text; ``summary.to_html()`` (also used by Jupyter
    through ``_repr_html_``) gives an HTML fragment with every value escaped.
    """

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    table: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    digits: int = 4
    tables: tuple[tuple[str, pd.DataFrame], ...] = field(default=())

    def _all_tables(self) -> Sequence[tuple[str, pd.DataFrame]]:
        out: list[tuple[str, pd.DataFrame]] = []
        if self.table is not None:
            out.append(("", self.table))
        out.extend(self.tables)
        return out

    def as_text(self) -> str:
        lines = [self.title, "=" * max(len(self.title), 20)]
        if self.facts:
            width = max(len(k) for k, _ in self.facts)
            lines += [f"{k:<{width}}  {v}" for k, v in self.facts]
        for caption, table in self._all_tables():
            lines.append("")
            if caption:
                lines.append(caption)
            shown = table.copy()
            for col in shown.columns:
                shown[col] = [_fmt(v, self.digits) for v in shown[col]]
            lines.append(shown.to_string(index=False))
        if self.notes:
            lines.append("")
            lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def to_html(self) -> str:
        esc = html.escape
        parts = [f'<div class="sk-summary"><h3>{esc(self.title)}</h3>']
        if self.facts:
            rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in self.facts)
            parts.append(f'<table class="sk-facts">{rows}</table>')
        for caption, table in self._all_tables():
            head = "".join(f"<th>{esc(str(c))}</th>" for c in table.columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{esc(_fmt(v, self.digits))}</td>" for v in row) + "</tr>"
                for row in table.itertuples(index=False)
            )
            cap = f"<caption>{esc(caption)}</caption>" if caption else ""
            parts.append(f'<table class="sk-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
        parts += [f'<p class="sk-note">{esc(n)}</p>' for n in self.notes]
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


def copy_on_write() -> bool:
    """Whether pandas isolates shallow copies (pandas 3, or ``pd.options.mode.copy_on_write``)."""
    return int(pd.__version__.split(".", 1)[0]) >= 3 or pd.options.mode.copy_on_write is True


def isolated(value: Any) -> Any:
    """*value* as handed to a caller of an immutable object: frames and series as copies that
    share memory only under copy-on-write (so writing to them never reaches the owner),
    writeable arrays as copies, containers of those element by element; anything else as is."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=not copy_on_write())
    if isinstance(value, np.ndarray):
        return value.copy() if value.flags.writeable else value
    if isinstance(value, dict):
        return {k: isolated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [isolated(v) for v in value]
    if isinstance(value, tuple) and any(
        isinstance(v, (pd.DataFrame, pd.Series, np.ndarray, dict, list)) for v in value
    ):
        return tuple(isolated(v) for v in value)
    return value


class Printable:
    """Mixin of every result: ``print(result)`` shows its :class:`Summary` (a compact table like
    R's print of a ``svystat``) and Jupyter renders it as HTML. ``repr`` stays the dataclass's.

    Results are deeply immutable: besides being frozen dataclasses, every public attribute that
    holds a frame, an array or a container of them is handed out through :func:`isolated`, so
    ``result.table.iloc[0, 0] = 0`` changes the caller's copy, never the result.
    """

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name[:1] == "_" or callable(value):
            return value
        return isolated(value)

    def __str__(self) -> str:
        return str(self.summary())  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return self.summary().to_html()  # type: ignore[attr-defined]
