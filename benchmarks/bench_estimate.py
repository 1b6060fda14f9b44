"""Design-based estimates: surveykit vs svy (Python) vs R survey, side by side.

On the stratified cluster synthetic frame (50 strata x 20 PSUs): the mean of ``y`` with its SE,
the mean in 4 domains (``g4``), the proportion ``b == 1`` with a logit CI, the median with a
Woodruff CI and the ratio ``y / x``. surveykit runs with its defaults (design effects included);
svy with ``sample.estimation.mean/prop/median/ratio``; R with ``svymean``, ``svyby``,
``svyciprop(method = "logit")``, ``svyquantile(ci = TRUE)`` and ``svyratio``.
Design construction is not timed anywhere. Run: ``python benchmarks/bench_estimate.py
[--sizes 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from common import best_of, have_r, print_table, r_timings, synthetic_frame

from surveykit import Design, Survey
from surveykit import estimate as est

R_CODE = """
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
timings[["mean"]] <- system.time(svymean(~y, des))[["elapsed"]]
timings[["by4"]] <- system.time(svyby(~y, ~g4, des, svymean))[["elapsed"]]
timings[["prop"]] <- system.time(svyciprop(~I(b == 1), des, method = "logit"))[["elapsed"]]
timings[["median"]] <- system.time(svyquantile(~y, des, quantiles = 0.5, ci = TRUE))[["elapsed"]]
timings[["ratio"]] <- system.time(svyratio(~y, ~x, des))[["elapsed"]]
"""

OPERATIONS = {
    "mean": "mean + SE",
    "by4": "mean, 4 domains",
    "prop": "proportion + logit CI",
    "median": "median + Woodruff CI",
    "ratio": "ratio + SE",
}


def _surveykit(frame) -> dict[str, Callable[[], object]]:
    svy = Survey(frame, design=Design(weights="w", strata="stratum", ids="psu"))
    return {
        "mean": lambda: est.mean(svy, "y"),
        "by4": lambda: est.mean(svy, "y", by="g4"),
        "prop": lambda: est.proportion(svy, "b", ci_method="logit"),
        "median": lambda: est.quantile(svy, "y", 0.5),
        "ratio": lambda: est.ratio(svy, "y", "x"),
    }


def _svy(frame) -> dict[str, Callable[[], object]]:
    import polars as pl
    import svy

    sample = svy.Sample(pl.from_pandas(frame), design=svy.Design(stratum="stratum", psu="psu", wgt="w"))
    e = sample.estimation
    return {
        "mean": lambda: e.mean("y"),
        "by4": lambda: e.mean("y", by="g4"),
        "prop": lambda: e.prop("b", ci_method="logit"),
        "median": lambda: e.median("y"),
        "ratio": lambda: e.ratio("y", "x"),
    }


def _r(frame) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frame.csv"
        frame.to_csv(path, index=False)
        return r_timings(R_CODE, path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    for n in args.sizes:
        frame = synthetic_frame(n)
        sk_fns = _surveykit(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            svy_fns = _svy(frame)
            svy_times = {k: best_of(fn, args.repeat) for k, fn in svy_fns.items()}
        sk_times = {k: best_of(fn, args.repeat) for k, fn in sk_fns.items()}
        r = _r(frame) if have_r() else {}
        rows += [
            {"operation": label, "n": n, "surveykit": sk_times[k], "svy": svy_times[k], "R": r.get(k)}
            for k, label in OPERATIONS.items()
        ]
    print_table(rows)


if __name__ == "__main__":
    main()
