"""Staging folders of a brief build and their cleanup after interrupts (internal).

A brief's outputs are written to a hidden staging folder ``.<plan id>-staging-<pid>-<random>``
next to the brief and moved into place when all of them are written (see :mod:`.build`).

* SIGTERM during a build raises :class:`Terminated` (via :func:`sigterm_raises`), so the
  ``finally`` blocks that remove the staging folder run, as they do for ``KeyboardInterrupt``;
  the command line then exits with 143 without a traceback.
* ``kill -9`` cannot be caught: the next build into the same ``--out`` removes staging folders
  whose owning process no longer exists, or that are older than :data:`STALE_AFTER` seconds
  (:func:`remove_stale_stages`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from surveykit.errors import Terminated

__all__ = ["Terminated", "sigterm_raises", "make_stage", "remove_stale_stages", "STALE_AFTER"]

#: a staging folder older than this (seconds) is stale even if its PID is alive (PID reuse)
STALE_AFTER = 24 * 3600
_STAGE = re.compile(r"^\..+-staging-(\d+)-[A-Za-z0-9_]+$")


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated`; the previous handler is restored after.

    Outside the main thread (where Python cannot install handlers) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def make_stage(root: Path, plan_id: str) -> Path:
    """Create the hidden staging folder of one brief build in *root*."""
    return Path(tempfile.mkdtemp(prefix=f".{plan_id}-staging-{os.getpid()}-", dir=root))


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there; rely on the age only
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_stages(root: Path, *, now: float | None = None) -> list[Path]:
    """Remove staging folders in *root* left by killed builds; return the removed paths.

    A folder is stale when its name is a staging name (``.<id>-staging-<pid>-<random>``) and the
    process *pid* no longer exists, or when it is older than :data:`STALE_AFTER`.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _STAGE.match(entry.name)
        if match is None or entry.is_symlink() or not entry.is_dir():
            continue
        pid = int(match.group(1))
        try:
            old = now - entry.stat().st_mtime > STALE_AFTER
        except OSError:
            continue
        if pid != os.getpid() and (old or not _pid_alive(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
