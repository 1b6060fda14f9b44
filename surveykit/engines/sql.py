"""SQL text helpers of the engines: column names become quoted identifiers, never SQL."""

from __future__ import annotations

__all__ = ["ident"]


def ident(name: str) -> str:
    """*name* as a quoted SQL identifier (``"a""b"`` for ``a"b``)."""
    return '"' + str(name).replace('"', '""') + '"'
