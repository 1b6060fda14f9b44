"""Replicate-weight designs: surveykit vs R survey (and svy, when it has replicate designs).

On the stratified cluster synthetic frame (50 strata x 20 PSUs) with 80 bootstrap replicates
(``sk.as_replicate(..., type="bootstrap", replicates=80)``; R:
``as.svrepdesign(des, type = "bootstrap", replicates = 80, compress = FALSE)``, i.e. a dense
``n x 80`` matrix as read from a public-use file): the mean of ``y`` with its replicate SE, the
mean in 4 domains, the ratio ``y / x``, a linear model (closed-form refits) and a logistic model
(``sk.models.glm(family="quasibinomial")``: IRLS refit per replicate, as R's ``svyglm``). Building the replicates is not timed; every tool's
time is the best of ``--repeat`` runs. Run:
``python benchmarks/bench_replicate.py [--sizes 100000 1000000] [--repeat 3]``.
"""

from __future__ import annotations

from collections.abc import Callable

from common import bench_args, best_of, have_r, print_table, r_frame_timings, synthetic_frame

import surveykit as sk

REPLICATES = 80

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
    "logistic": f"logistic (glm), {REPLICATES} reps",
}


def _surveykit(frame) -> dict[str, Callable[[], object]]:
    base = sk.Survey(frame, sk.Design(weights="w", strata="stratum", ids="psu"))
    svy = sk.as_replicate(base, type="bootstrap", replicates=REPLICATES, seed=1)
    svy.mean("y")  # the design's degf (rank of the replicate weights) is computed once, as R does at build
    return {
        "mean": lambda: svy.mean("y"),
        "by4": lambda: svy.mean("y", by="g4"),
        "ratio": lambda: svy.ratio("y", "x"),
        "linear": lambda: sk.models.linear(svy, "y ~ x1 + x2 + x3"),
        "logistic": lambda: sk.models.glm(svy, "b ~ x1 + x2 + x3", family="quasibinomial"),
    }


def main(argv: list[str] | None = None) -> None:
    args = bench_args(argv)
    rows = []
    for n in args.sizes:
        frame = synthetic_frame(n)
        cols = ["stratum", "psu", "w", "y", "x", "g4", "b", "x1", "x2", "x3"]
        sk_times = {k: best_of(fn, args.repeat) for k, fn in _surveykit(frame[cols]).items()}
        r = (r_frame_timings(R_CODE.replace("{repeat}", str(args.repeat)).replace("{reps}", str(REPLICATES)),
                             frame[cols]) if have_r() else {})  # fmt: skip
        rows += [
            {"operation": label, "n": n, "surveykit": sk_times[k], "svy": None, "R": r.get(k)}
            for k, label in OPERATIONS.items()
        ]
    print_table(rows)
    print("\nsvy: not run (replicate-weight designs are not compared with svy here).")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
