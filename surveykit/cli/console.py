"""Console tables for the command line: aligned by East-Asian width, plain when not a terminal.

rich measures Hangul as two cells, so Korean labels line up; when stdout is not a terminal
(a pipe, a file) nothing but plain characters is printed (no colour codes).
"""

from __future__ import annotations

import math
import sys
from typing import Any

import pandas as pd

__all__ = ["print_table", "format_cell"]


def format_cell(value: Any, decimals: int | None = 4) -> str:
    """A table cell as text: floats with *decimals* places (None: whole numbers), missing as empty."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if decimals is None:
            return f"{value:,.0f}"
        return f"{value:,.{decimals}f}"
    return str(value)


def _decimals(name: str, values: pd.Series) -> int | None:
    """Places for a float column: 1 for percentages, none when every value is whole, else 4."""
    if name.endswith("%"):
        return 1
    finite = values.dropna()
    if len(finite) and all(float(v).is_integer() and abs(v) < 1e15 for v in finite):
        return None
    return 4


def print_table(frame: pd.DataFrame, *, title: str | None = None, caption: str | None = None) -> None:
    """Print *frame* as an aligned table (numbers right-aligned) to stdout."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    tty = sys.stdout.isatty()
    console = Console(
        highlight=False, soft_wrap=False, width=None if tty else 10_000, no_color=not tty, force_terminal=tty
    )
    table = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left", caption_justify="left", show_edge=False
    )
    places = []
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        places.append(_decimals(str(col), frame[col]) if pd.api.types.is_float_dtype(frame[col]) else 4)
        table.add_column(str(col), justify="right" if numeric else "left", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_escape(format_cell(v, d)) for v, d in zip(row, places)))
    with console.capture() as captured:
        console.print(table)
    text = captured.get()
    sys.stdout.write("\n".join(line.rstrip() for line in text.splitlines()) + "\n")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
