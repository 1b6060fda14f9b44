"""The sandboxed side of :mod:`surveykit.io.guard`: pyreadstat runs here, never in the caller.

This file runs as a script (``python -P child.py --serve`` or ``--once JOB.json``); it does
not import :mod:`surveykit`, only pyreadstat, pandas and pyarrow. A *job* is a JSON object
``{"dir", "path", "fmt", "kwargs"}``; the process that runs it writes into ``dir``:

* ``data.arrow`` -- the data frame as an Arrow IPC file, then ``result.json`` -- the metadata
  pyreadstat returned (value-label codes as ``[code, label]`` pairs so their types survive), or
* ``result.json`` with ``{"error": {"kind", "type", "message"}}`` when the reader raised.

``--serve`` reads one job per line on stdin, forks a fresh child per job (the server itself is
single-threaded and never parses a file), waits for it and answers one JSON line
``{"status": N}`` on stdout: the child's exit code, or ``-signal`` when it was killed. It exits
at end of input. Nothing here is pickled: the results are Arrow and JSON files.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

_META_FIELDS = (
    "column_names",
    "column_labels",
    "file_encoding",
    "file_label",
    "missing_ranges",
    "variable_measure",
    "original_variable_types",
    "mr_sets",
    "number_rows",
)


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, non-string keys kept as ``[key, value]`` pairs."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return {"__pairs__": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _duplicates(names: list[Any]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for pos, name in enumerate(names, start=1):
        seen.setdefault(str(name), []).append(pos)
    return {name: pos for name, pos in seen.items() if len(pos) > 1}


def _write_json(folder: str, payload: dict[str, Any]) -> None:
    tmp = os.path.join(folder, "result.json.part")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(tmp, os.path.join(folder, "result.json"))


def run_job(job: dict[str, Any]) -> None:
    """Read ``job["path"]`` with pyreadstat; write ``data.arrow`` and ``result.json``."""
    import pyreadstat

    folder = job["dir"]
    readers: dict[str, Any] = {
        "sav": pyreadstat.read_sav,
        "zsav": pyreadstat.read_sav,
        "dta": pyreadstat.read_dta,
        "por": pyreadstat.read_por,
    }
    try:
        data, meta = readers[job["fmt"]](job["path"], **job["kwargs"])
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        _write_json(folder, {"error": {"kind": "readstat", "type": type(exc).__name__, "message": str(exc)}})
        return
    except Exception as exc:
        _write_json(folder, {"error": {"kind": "python", "type": type(exc).__name__, "message": str(exc)}})
        return
    dups = _duplicates(list(data.columns))
    if dups:
        _write_json(folder, {"error": {"kind": "duplicates", "type": "", "message": "", "duplicates": dups}})
        return
    try:
        import pyarrow as pa

        table = pa.Table.from_pandas(data)
        with pa.OSFile(os.path.join(folder, "data.arrow"), "wb") as sink:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        labels = {col: _plain(lab) for col, lab in (meta.variable_value_labels or {}).items()}
        payload = {name: _plain(getattr(meta, name, None)) for name in _META_FIELDS}
        payload["variable_value_labels"] = labels
    except Exception as exc:
        _write_json(folder, {"error": {"kind": "python", "type": type(exc).__name__, "message": str(exc)}})
        return
    _write_json(folder, {"meta": payload})


def _isolated(job: dict[str, Any]) -> None:
    """In a forked child: route stdout/stderr away from the protocol pipe, run, exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    err = os.open(os.path.join(job["dir"], "stderr.txt"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.dup2(err, 2)
    code = 0
    try:
        run_job(job)
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def _warm_up() -> None:
    """Run one tiny read and Arrow write, so the lazy imports happen once, not per child."""
    import tempfile

    import pandas as pd
    import pyreadstat

    with tempfile.TemporaryDirectory(prefix="surveykit-warm-") as folder:
        path = os.path.join(folder, "warm.sav")
        pyreadstat.write_sav(
            pd.DataFrame({"q": [1.0, 2.0], "s": ["a", "b"]}), path, variable_value_labels={"q": {1.0: "x"}}
        )
        os.makedirs(os.path.join(folder, "job"))
        run_job({"dir": os.path.join(folder, "job"), "path": path, "fmt": "sav", "kwargs": {"user_missing": True}})


def serve() -> None:
    """Answer jobs from stdin until it closes; each job runs in a forked child."""
    try:
        _warm_up()
    except Exception:
        pass
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _isolated(job)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        out.write(json.dumps({"status": code}) + "\n")
        out.flush()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--serve"]:
        serve()
        return 0
    if argv[:1] == ["--once"] and len(argv) == 2:
        with open(argv[1], encoding="utf-8") as fh:
            run_job(json.load(fh))
        return 0
    sys.stderr.write("usage: child.py --serve | --once JOB.json\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
