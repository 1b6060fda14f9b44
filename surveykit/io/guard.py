"""Crash containment for :mod:`surveykit.io`: pyreadstat parses files in another process.

pyreadstat's C reader can segfault on a corrupt ``.sav`` (one changed byte is enough), which
would end the caller's process without a message. :func:`read_in_child` runs the reader in a
child process (:mod:`surveykit.io.child`) and returns ``(data, meta)`` read back from the
Arrow IPC and JSON files the child wrote -- nothing is pickled. A child killed by a signal or
exiting non-zero becomes a :class:`ChildFailure`, which :mod:`surveykit.io.spss` turns into a
:class:`~surveykit.errors.ReadError` naming the file.

Speed: on POSIX one helper process (started on the first read, with pyreadstat, pandas and
pyarrow imported once) forks a fresh single-threaded child per read, so a read costs a fork
plus the Arrow round trip. The helper exits when its stdin closes (the caller exited); no
timeout is involved. Where ``fork`` is missing, or the helper cannot be used, each read runs
``python child.py --once`` instead. The helper is per process: a forked caller starts its
own.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

_CHILD = str(Path(__file__).with_name("child.py"))
# the helper forks: keep it single-threaded (OpenBLAS/OpenMP start worker threads on import)
_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: "server" (fork per read from one helper) or "once" (a new interpreter per read)
MODE = "server" if hasattr(os, "fork") else "once"


class ChildFailure(Exception):
    """The reader child failed: ``kind`` is crash, exit, readstat, python or duplicates."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        type_name: str = "",
        status: int = 0,
        duplicates: dict[str, list[int]] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.type_name = type_name
        self.status = status
        self.duplicates = duplicates or {}


class _Helper:
    """One long-lived ``child.py --serve`` process and the lock that serialises it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None
        self.pid = os.getpid()

    def _start(self) -> subprocess.Popen[str]:
        env = {**os.environ, **_THREAD_ENV}
        return subprocess.Popen(
            [sys.executable, "-P", _CHILD, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=env,
            close_fds=True,
        )

    def run(self, job: dict[str, Any]) -> int | None:
        """The child's status (exit code or -signal), or None when the helper is unusable."""
        with self.lock:
            if self.pid != os.getpid():  # we are a forked copy: the pipe belongs to the parent
                self.proc, self.pid = None, os.getpid()
            for _attempt in range(2):
                if self.proc is None or self.proc.poll() is not None:
                    try:
                        self.proc = self._start()
                    except OSError:
                        return None
                try:
                    assert self.proc.stdin is not None and self.proc.stdout is not None
                    self.proc.stdin.write(json.dumps(job) + "\n")
                    self.proc.stdin.flush()
                    answer = self.proc.stdout.readline()
                except (OSError, ValueError):
                    answer = ""
                if answer:
                    return int(json.loads(answer)["status"])
                self._stop()
            return None

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        proc.wait()  # it exits at end of input

    def close(self) -> None:
        if self.pid == os.getpid():
            with self.lock:
                self._stop()


_HELPER = _Helper()
atexit.register(_HELPER.close)


def _run_once(job: dict[str, Any]) -> int:
    job_file = Path(job["dir"]) / "job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    with open(Path(job["dir"]) / "stderr.txt", "wb") as err:
        done = subprocess.run(
            [sys.executable, "-P", _CHILD, "--once", str(job_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, **_THREAD_ENV},
            check=False,
        )
    return done.returncode


def read_in_child(path: Path, fmt: str, **kwargs: Any) -> tuple[pd.DataFrame, SimpleNamespace]:
    """Run pyreadstat's reader for *fmt* on *path* in a child; raise ChildFailure on failure."""
    import pyarrow as pa

    with tempfile.TemporaryDirectory(prefix="surveykit-read-") as folder:
        # absolute: the long-lived child keeps the working directory it started in, not the caller's
        job = {"dir": folder, "path": str(Path(path).resolve()), "fmt": fmt, "kwargs": kwargs}
        status = _HELPER.run(job) if MODE == "server" else None
        if status is None:
            status = _run_once(job)
        result_file = Path(folder) / "result.json"
        if status < 0:
            raise ChildFailure("crash", f"signal {-status}", status=status)
        if status != 0 or not result_file.exists():
            raise ChildFailure("exit", f"exit status {status}{_last_line(folder)}", status=status)
        result = json.loads(result_file.read_text(encoding="utf-8"))
        if "error" in result:
            err = result["error"]
            raise ChildFailure(err["kind"], err["message"], type_name=err["type"], duplicates=err.get("duplicates"))
        with pa.OSFile(str(Path(folder) / "data.arrow"), "rb") as source:
            table = pa.ipc.open_file(source).read_all()
        data = table.to_pandas()
        del table
    return data, _meta(result["meta"])


def _last_line(folder: str) -> str:
    try:
        lines = (Path(folder) / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = [ln.strip() for ln in lines.splitlines() if ln.strip()]
    return f": {tail[-1][:200]}" if tail else ""


def _unpair(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__pairs__"}:
            return {_unpair(k): _unpair(v) for k, v in value["__pairs__"]}
        return {k: _unpair(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpair(v) for v in value]
    return value


def _meta(payload: dict[str, Any]) -> SimpleNamespace:
    """pyreadstat's metadata object, rebuilt from JSON with the attributes surveykit uses."""
    return SimpleNamespace(**{k: _unpair(v) for k, v in payload.items()})
