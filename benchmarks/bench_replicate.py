"""Replicate-weight designs: surveykit vs R survey and the Python ``svy`` package.

On the stratified cluster synthetic frame (50 strata x 20 PSUs) with 80 bootstrap replicates,
given to surveykit and svy as the same 80 dense replicate-weight columns (as read from a
public-use file: ``sk.ReplicateDesign("w", r"^rw\\d+$", type="bootstrap", scale=)``,
``svy.Design(wgt="w", rep_wgts=svy.BootstrapWgts(prefix="rw", n_reps=80, scale=))``), and to R
as ``as.svrepdesign(des, type = "bootstrap", replicates = 80, compress = FALSE)`` (a dense
``n x 80`` matrix; R's own draws, the same size): the mean of ``y`` with its replicate SE, the
mean in 4 domains, the ratio ``y / x``, a linear model (surveykit: closed-form refits) and a
logistic model (``sk.models.logistic``: an IRLS refit per replicate, as R's ``svyglm``).
Building the designs is not timed. surveykit and svy are called in turn, call by call
(``common.alternating``), so a slow spell of the shared machine hits both alike; every time is
the best of ``--repeat`` calls; R runs in its own process afterwards. svy is skipped, with a
message, when it is not installed (``pip install svy``: the ``bench`` extra). Run:
``python benchmarks/bench_replicate.py [--sizes 100000 1000000] [--repeat 3]``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from common import alternating, bench_args, have_r, print_table, r_frame_timings, synthetic_frame

import surveykit as sk

REPLICATES = 80
COLUMNS = ["stratum", "psu", "w", "y", "x", "g4", "b", "x1", "x2", "x3"]

R_CODE = """
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
set.seed(1)
rep <- as.svrepdesign(des, type = "bootstrap", replicates = {reps}, compress = FALSE)
best <- function(f) min(replicate({repeat}, system.time(f())[["elapsed"]]))
timings[["mean"]] <- best(function() svymean(~y, rep))
timings[["by4"]] <- best(function() svyby(~y, ~g4, rep, svymean))
timings[["ratio"]] <- best(function() svyratio(~y, ~x, rep))
timings[["linear"]] <- best(function() svyglm(y ~ x1 + x2 + x3, rep))
timings[["logistic"]] <- best(function() svyglm(b ~ x1 + x2 + x3, rep, family = quasibinomial()))
"""

OPERATIONS = {
    "mean": f"mean + SE, {REPLICATES} reps",
    "by4": f"mean, 4 domains, {REPLICATES} reps",
    "ratio": f"ratio + SE, {REPLICATES} reps",
    "linear": f"linear model, {REPLICATES} reps",
    "logistic": f"logistic model, {REPLICATES} reps",
}


def replicate_frame(n: int) -> tuple[pd.DataFrame, float]:
    """The synthetic frame with 80 bootstrap replicate-weight columns ``rw1..rw80`` (surveykit's
    Canty-Davison draws, seed 1) and their variance scale."""
    frame = synthetic_frame(n)[COLUMNS]
    base = sk.Survey(frame, sk.Design(weights="w", strata="stratum", ids="psu"))
    rd = sk.as_replicate(base, type="bootstrap", replicates=REPLICATES, seed=1).resolved
    reps = pd.DataFrame(rd.repweights, columns=[f"rw{r + 1}" for r in range(REPLICATES)])
    return pd.concat([frame.reset_index(drop=True), reps], axis=1), float(rd.scale)


def _surveykit(frame: pd.DataFrame, scale: float) -> dict[str, Callable[[], object]]:
    svy = sk.Survey(frame, sk.ReplicateDesign("w", r"^rw\d+$", type="bootstrap", scale=scale))
    svy.mean("y")  # the design's degf (rank of the replicate weights) is computed once, as R does at build
    return {
        "mean": lambda: svy.mean("y"),
        "by4": lambda: svy.mean("y", by="g4"),
        "ratio": lambda: svy.ratio("y", "x"),
        "linear": lambda: sk.models.linear(svy, "y ~ x1 + x2 + x3"),
        "logistic": lambda: sk.models.logistic(svy, "b ~ x1 + x2 + x3"),
    }


def _svy(frame: pd.DataFrame, scale: float) -> dict[str, Callable[[], object]] | None:
    try:
        import polars as pl
        import svy
    except ImportError:
        return None
    rw = svy.BootstrapWgts(prefix="rw", n_reps=REPLICATES, scale=scale)
    sample = svy.Sample(pl.from_pandas(frame), design=svy.Design(wgt="w", rep_wgts=rw))
    e, rep = sample.estimation, "replication"
    return {
        "mean": lambda: e.mean("y", method=rep),
        "by4": lambda: e.mean("y", by="g4", method=rep),
        "ratio": lambda: e.ratio("y", "x", method=rep),
        "linear": lambda: sample.glm.fit("y", x=["x1", "x2", "x3"], method=rep),
        "logistic": lambda: sample.glm.fit("b", x=["x1", "x2", "x3"], family="binomial", method=rep),
    }


def main(argv: list[str] | None = None) -> None:
    import warnings

    args = bench_args(argv)
    rows, svy_missing = [], False
    for n in args.sizes:
        frame, scale = replicate_frame(n)
        ours, theirs = _surveykit(frame, scale), _svy(frame, scale)
        svy_missing = theirs is None
        times: dict[str, dict[str, float]] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # svy's notes on replicate SEs, not timings
            for k in OPERATIONS:
                calls = {"surveykit": ours[k]} | ({} if theirs is None else {"svy": theirs[k]})
                times[k] = alternating(calls, args.repeat)
        r = (r_frame_timings(R_CODE.replace("{repeat}", str(args.repeat)).replace("{reps}", str(REPLICATES)),
                             frame[COLUMNS]) if have_r() else {})  # fmt: skip
        rows += [
            {"operation": label, "n": n, "surveykit": times[k]["surveykit"], "svy": times[k].get("svy"),
             "R": r.get(k)}
            for k, label in OPERATIONS.items()
        ]  # fmt: skip
    print_table(rows)
    if svy_missing:
        print("\nsvy: not installed (pip install svy, or the bench extra); its column is empty.")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
