"""Larger than memory: the lazy path (sk.scan + DuckDB) on a Parquet survey, with peak memory.

Writes a Parquet survey of ``--sizes`` rows in chunks (the shape of ``common.synthetic_frame``:
50 strata x 20 PSUs, scaled), then runs each operation in a fresh Python process and reports its
wall time and peak resident memory (``ru_maxrss`` of the child): mean + SE, 4-domain means and a
proportion with its logit interval. At sizes that fit in memory the in-memory Survey is timed the
same way (reading the Parquet included), and svy when installed, for the ratios.

Run: ``python benchmarks/bench_lazy.py [--sizes 10000000 100000000] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import synthetic_frame

CHUNK = 2_000_000

CHILD = r"""
import json, resource, sys, time
import surveykit as sk
mode, path, op = sys.argv[1], sys.argv[2], sys.argv[3]
design = sk.Design(weights="w", strata="stratum", ids="psu")
t0 = time.perf_counter()
if mode == "lazy":
    svy = sk.Survey(sk.scan(path, memory_limit="1GB", threads=2), design)
elif mode == "memory":
    import pandas as pd
    cols = ["stratum", "psu", "w", "y", "b", "g4", "a3", "c4"] + (["x1", "x2", "x3", "x4", "x5"] if op == "logit" else [])
    svy = sk.Survey(pd.read_parquet(path, columns=cols), design)
if mode in ("lazy", "memory"):
    t1 = time.perf_counter()
    if op == "mean":
        svy.mean("y")
    elif op == "by4":
        svy.mean("y", by="g4")
    elif op == "prop":
        svy.proportion("b", ci_method="logit")
    elif op == "xtab":
        svy.crosstab("a3", "c4")
    elif mode == "lazy":
        svy.logistic("b", ["x1", "x2", "x3", "x4", "x5"])
    else:
        from surveykit import models
        models.logistic(svy, "b ~ x1 + x2 + x3 + x4 + x5")
else:  # svy
    import polars as pl, svy as svy_pkg
    if op in ("xtab", "logit"):
        print(json.dumps({"skip": True}))
        sys.exit(0)
    frame = pl.read_parquet(path, columns=["stratum", "psu", "w", "y", "b", "g4"])
    sample = svy_pkg.Sample(frame, design=svy_pkg.Design(stratum="stratum", psu="psu", wgt="w"))
    t1 = time.perf_counter()
    e = sample.estimation
    {"mean": lambda: e.mean("y"), "by4": lambda: e.mean("y", by="g4"),
     "prop": lambda: e.prop("b", ci_method="logit")}[op]()
t2 = time.perf_counter()
print(json.dumps({"setup": t1 - t0, "op": t2 - t1,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OPERATIONS = {
    "mean": "mean + SE",
    "by4": "mean, 4 domains",
    "prop": "proportion + logit CI",
    "xtab": "3x4 crosstab + Rao-Scott",
    "logit": "logistic, 6 coefficients",
}


def write_parquet(path: Path, n_rows: int) -> None:
    """The benchmark frame of *n_rows* rows, written chunk by chunk (bounded memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for start in range(0, n_rows, CHUNK):
            frame = synthetic_frame(min(CHUNK, n_rows - start), seed=1 + start // CHUNK)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def run(mode: str, path: Path, op: str) -> dict | None:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), op], capture_output=True, text=True)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {mode} {op}: failed ({last})")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def have_svy() -> bool:
    try:
        import svy  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--memory-max", type=int, default=20_000_000, help="largest size run in memory too")
    parser.add_argument("--keep", type=Path, default=None, help="folder for the Parquet files (kept)")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="surveykit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'operation':<24}{'rows':>12}{'mode':>8}{'setup s':>10}{'op s':>9}{'peak MB':>10}")
    for n in args.sizes:
        path = folder / f"survey_{n}.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            write_parquet(path, n)
            print(f"(wrote {path.name}: {path.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - t0:.0f} s)")
        modes = ["lazy"] + (["memory"] + (["svy"] if have_svy() else []) if n <= args.memory_max else [])
        for op, label in OPERATIONS.items():
            for mode in modes:
                r = run(mode, path, op)
                if r is not None and not r.get("skip"):
                    print(f"{label:<24}{n:>12}{mode:>8}{r['setup']:>10.2f}{r['op']:>9.2f}{r['rss_mb']:>10.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
