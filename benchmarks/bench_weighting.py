"""Raking on two margins: surveykit vs svy (Python) vs R survey, side by side.

Margins ``a3`` (3 levels) and ``c4`` (4 levels) of the stratified cluster synthetic frame, with
population totals 1.5 x the sample's weighted counts shifted by +-10%. All three use their
own default stopping rule scaled alike: surveykit and R stop when no weighted cell of
``a3 x c4`` moves by more than 1 between passes (R's default ``epsilon = 1``); svy stops at a
relative margin misfit of 1e-4 (its default). A second row adds the SE of ``mean(y)`` on the
raked design (R ``svymean``; surveykit through the kernel with the raking residualisation).
Run: ``python benchmarks/bench_weighting.py [--sizes 100000 1000000]``.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
from common import bench_args, best_of, have_r, print_table, r_frame_timings, synthetic_frame

from surveykit import Design, Survey
from surveykit.design.variance import design_vcov
from surveykit.weighting import rake


def _margins(frame) -> dict[str, dict[int, float]]:
    out = {}
    for var, shift in (("a3", [0.9, 1.1, 1.0]), ("c4", [1.1, 0.9, 1.05, 0.95])):
        counts = frame.groupby(var)["w"].sum().sort_index()
        pop = 1.5 * counts.to_numpy() * np.array(shift)
        out[var] = dict(zip(counts.index.tolist(), pop))
    total = sum(out["a3"].values())
    scale = total / sum(out["c4"].values())
    out["c4"] = {k: v * scale for k, v in out["c4"].items()}
    return out


def _sk_rake_mean(svy_, margins):
    raked = rake(svy_, margins, max_iter=10, epsilon=1)
    w, y = raked.resolved.weights, raked.data["y"].to_numpy()
    m = w @ y / w.sum()
    return np.sqrt(design_vcov(w * (y - m) / w.sum(), raked.resolved)[0, 0])


def _svy_rake(frame, margins):
    import polars as pl
    import svy

    sample = svy.Sample(pl.from_pandas(frame), design=svy.Design(stratum="stratum", psu="psu", wgt="w"))
    return lambda: sample.weighting.rake(controls=margins, wgt_name="rk_wgt")


def _r(frame, margins) -> dict[str, float]:
    pops = {k: {"levels": list(v), "Freq": list(v.values())} for k, v in margins.items()}
    code = f"""
m <- jsonlite::fromJSON('{json.dumps(pops)}')
pa <- data.frame(a3 = m$a3$levels, Freq = m$a3$Freq)
pc <- data.frame(c4 = m$c4$levels, Freq = m$c4$Freq)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
timings[["rake"]] <- system.time(r <- rake(des, list(~a3, ~c4), list(pa, pc)))[["elapsed"]]
timings[["rake_mean"]] <- system.time({{r <- rake(des, list(~a3, ~c4), list(pa, pc)); svymean(~y, r)}})[["elapsed"]]
"""
    return r_frame_timings(code, frame)


def main(argv: list[str] | None = None) -> None:
    args = bench_args(argv)
    rows = []
    for n in args.sizes:
        frame = synthetic_frame(n)
        margins = _margins(frame)
        svy_ = Survey(frame, design=Design(weights="w", strata="stratum", ids="psu"))
        sk_rake = best_of(lambda: rake(svy_, margins, max_iter=10, epsilon=1), args.repeat)
        sk_mean = best_of(lambda: _sk_rake_mean(svy_, margins), args.repeat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            svy_rake = best_of(_svy_rake(frame, margins), args.repeat)
        r = _r(frame, margins) if have_r() else {}
        rows += [
            {"operation": "rake 2 margins", "n": n, "surveykit": sk_rake, "svy": svy_rake, "R": r.get("rake")},
            {"operation": "rake + SE of mean", "n": n, "surveykit": sk_mean, "svy": None, "R": r.get("rake_mean")},
        ]
    print_table(rows)


if __name__ == "__main__":
    main()
