"""Shared pieces of the side-by-side benchmarks (not tests).

Each ``bench_*.py`` times the same work in surveykit, the Python ``svy`` package and, when
``Rscript`` with ``survey`` is installed, R, on seeded synthetic stratified cluster data, and prints
the ratios. Run all with ``python benchmarks/run.py`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

N_STRATA = 50
PSU_PER_STRATUM = 20


def synthetic_frame(n_rows: int, seed: int = 1) -> pd.DataFrame:
    """Stratified cluster sample: 50 strata x 20 PSUs, with outcomes of every kind.

    Columns: ``stratum``, ``psu`` (unique overall), ``w``, ``y``, ``x`` (> 0), ``b`` (0/1),
    ``g4`` (4 domains), ``a3`` (3 categories), ``c4`` (4 categories), ``ord4`` (ordinal 1..4),
    ``x1``..``x5`` (covariates).
    """
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, N_STRATA * PSU_PER_STRATUM, size=n_rows)
    psu[: N_STRATA * PSU_PER_STRATUM] = np.arange(N_STRATA * PSU_PER_STRATUM)  # every PSU present
    stratum = psu // PSU_PER_STRATUM
    psu_effect = rng.normal(scale=0.5, size=N_STRATA * PSU_PER_STRATUM)[psu]
    xs = rng.normal(size=(n_rows, 5))
    lin = 0.4 * xs[:, 0] - 0.3 * xs[:, 1] + 0.2 * xs[:, 2] + psu_effect
    frame = pd.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "w": rng.uniform(1.0, 5.0, size=n_rows) * (1 + stratum % 3),
            "y": 10 + 2 * lin + rng.normal(size=n_rows),
            "x": rng.gamma(4.0, 2.0, size=n_rows),
            "b": (rng.random(n_rows) < 1 / (1 + np.exp(-lin))).astype(int),
            "g4": rng.integers(1, 5, size=n_rows),
            "a3": rng.integers(1, 4, size=n_rows),
            "c4": rng.integers(1, 5, size=n_rows),
            "ord4": np.digitize(lin + rng.logistic(size=n_rows), [-1.0, 0.0, 1.0]) + 1,
        }
    )
    for j in range(5):
        frame[f"x{j + 1}"] = xs[:, j]
    return frame


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Fastest wall time of *repeat* calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def alternating(calls: dict[str, Callable[[], object]], repeat: int = 3) -> dict[str, float]:
    """Best wall time of each tool's call, the tools called in turn (A, B, A, B, ...), so that a
    slow spell of a shared machine hits every tool alike instead of one tool's whole series."""
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeat):
        for name, fn in calls.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def have_r() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True)
    return probe.returncode == 0


def r_timings(r_code: str, csv_path: Path) -> dict[str, float]:
    """Run *r_code* in R on the CSV (bound to ``d``); it fills ``timings[["name"]] <- seconds``."""
    script = f"""
suppressPackageStartupMessages(library(survey))
d <- read.csv("{csv_path}")
timings <- list()
{r_code}
for (nm in names(timings)) cat(nm, "\\t", timings[[nm]], "\\n", sep = "")
"""
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["Rscript", fh.name], capture_output=True, text=True)
    if out.returncode != 0:  # e.g. an R without a package the script needs: report, do not crash
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"R timings skipped: Rscript failed ({last})")
        return {}
    result = {}
    for line in out.stdout.splitlines():
        if "\t" in line:
            name, value = line.split("\t", 1)
            result[name.strip()] = float(value)
    return result


def r_frame_timings(r_code: str, frame: pd.DataFrame) -> dict[str, float]:
    """:func:`r_timings` on *frame*, written to a temporary CSV for R."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frame.csv"
        frame.to_csv(path, index=False)
        return r_timings(r_code, path)


def bench_args(
    argv: list[str] | None,
    *,
    sizes: tuple[int, ...] = (100_000, 1_000_000),
    repeat: int = 3,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """``--sizes`` and ``--repeat`` (plus *extra* options); unknown options are for other benchmarks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=list(sizes))
    parser.add_argument("--repeat", type=int, default=repeat)
    if extra is not None:
        extra(parser)
    return parser.parse_known_args(argv)[0]


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.1f}x"


def print_table(rows: Iterable[dict]) -> None:
    """Print operation, n, seconds per tool and the ratios peer/surveykit."""
    head = f"{'operation':<28}{'n':>10}{'surveykit s':>13}{'svy s':>10}{'R s':>10}{'svy/sk':>9}{'R/sk':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        sk, sv, rr = r.get("surveykit"), r.get("svy"), r.get("R")
        fmt = lambda v: "-" if v is None else f"{v:.4f}"
        print(
            f"{r['operation']:<28}{r['n']:>10}{fmt(sk):>13}{fmt(sv):>10}{fmt(rr):>10}"
            f"{_ratio(sv, sk):>9}{_ratio(rr, sk):>9}"
        )
