"""Design-based estimates: surveykit vs svy (Python) vs R survey, side by side.

On the stratified cluster synthetic frame (50 strata x 20 PSUs): the mean of ``y`` with its SE,
the mean in 4 domains (``g4``), the proportion ``b == 1`` with a logit CI, the median with a
Woodruff CI and the ratio ``y / x``. surveykit runs with its defaults (design effects included);
svy with ``sample.estimation.mean/prop/median/ratio``; R with ``svymean``, ``svyby``,
``svyciprop(method = "logit")``, ``svyquantile(ci = TRUE)`` and ``svyratio``.
Design construction is not timed anywhere; every tool's time is the best of ``--repeat`` runs
(R too). Run: ``python benchmarks/bench_estimate.py [--sizes 100000 1000000] [--repeat 3]``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from common import alternating, bench_args, have_r, print_table, r_frame_timings, synthetic_frame

from surveykit import Design, Survey
from surveykit import estimate as est

R_CODE = """
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
best <- function(f) min(replicate({repeat}, system.time(f())[["elapsed"]]))
timings[["mean"]] <- best(function() svymean(~y, des))
timings[["by4"]] <- best(function() svyby(~y, ~g4, des, svymean))
timings[["prop"]] <- best(function() svyciprop(~I(b == 1), des, method = "logit"))
timings[["median"]] <- best(function() svyquantile(~y, des, quantiles = 0.5, ci = TRUE))
timings[["ratio"]] <- best(function() svyratio(~y, ~x, des))
"""

# issue 4: every operation at most half of svy's time and at least 10x faster than R survey
SVY_TARGET = 2.0
R_TARGET = 10.0

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


def _r(frame, repeat: int) -> dict[str, float]:
    return r_frame_timings(R_CODE.replace("{repeat}", str(repeat)), frame)


def _verdicts(rows: list[dict]) -> None:
    """One line per operation and size: are the issue-4 targets met?"""
    print(f"\ntargets: surveykit <= svy / {SVY_TARGET:g} and <= R / {R_TARGET:g}")
    for r in rows:
        checks = []
        for peer, target in (("svy", SVY_TARGET), ("R", R_TARGET)):
            if r.get(peer) is None:
                checks.append(f"{peer}: not run")
            else:
                ratio = r[peer] / r["surveykit"]
                checks.append(f"{peer}/sk {ratio:.1f}x {'met' if ratio >= target else 'NOT MET'}")
        print(f"{r['operation']:<28}{r['n']:>10}  " + "; ".join(checks))


def main(argv: list[str] | None = None) -> None:
    args = bench_args(argv)
    rows = []
    for n in args.sizes:
        frame = synthetic_frame(n)
        sk_fns = _surveykit(frame)
        svy_times, sk_times = {}, {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            svy_fns = _svy(frame)
            for k in OPERATIONS:  # call by call: surveykit, svy, surveykit, svy, ...
                best = alternating({"surveykit": sk_fns[k], "svy": svy_fns[k]}, args.repeat)
                sk_times[k], svy_times[k] = best["surveykit"], best["svy"]
        r = _r(frame, args.repeat) if have_r() else {}
        rows += [
            {"operation": label, "n": n, "surveykit": sk_times[k], "svy": svy_times[k], "R": r.get(k)}
            for k, label in OPERATIONS.items()
        ]
    print_table(rows)
    _verdicts(rows)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
