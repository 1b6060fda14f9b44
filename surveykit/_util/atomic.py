"""Atomic file writes: write beside the target, then move into place (internal).

A reader never sees a half-written file, an error leaves no file behind, and the result gets the
ordinary permissions of a new file (``0o666`` less the umask), not the private mode of a temp file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_target"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_target(target: Path, suffix: str = ".part") -> Iterator[str]:
    """Yield a temporary path beside *target*; on success it replaces *target*, on error it is removed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
