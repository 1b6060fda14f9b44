"""Segments: profile arithmetic against R ``svyby(..., svymean)``, and the full segments() call.

The profiles (5 variables x 4 segments, design SEs) are timed side by side with R; the whole
:func:`surveykit.segments.segments` run (weighted k-means over k = 2..4, silhouette, 10 bootstrap
replicates) has no R or svy peer (neither has survey-weighted k-means) and is timed alone, as
are 200 bootstrap refits of the worker survey's latent classes (issue 16: well under 10 s).
Run: ``python benchmarks/bench_segments.py [--sizes 10000 100000]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from common import best_of, have_r, print_table, r_timings, synthetic_frame

import surveykit as sk
from surveykit import segments as seg_mod

VARS = ["x1", "x2", "x3", "x4", "x5"]
R_CODE = """
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
t0 <- proc.time()[["elapsed"]]
invisible(svyby(~x1 + x2 + x3 + x4 + x5, ~g4, des, svymean))
timings[["profiles"]] <- proc.time()[["elapsed"]] - t0
"""


def run(n: int) -> list[dict]:
    frame = synthetic_frame(n)
    svy = sk.Survey(frame, sk.Design(weights="w", strata="stratum", ids="psu"))
    seg = frame["g4"].to_numpy(dtype=np.int64)
    profile = {
        "operation": "profiles 5 vars x 4 segs",
        "n": n,
        "surveykit": best_of(lambda: seg_mod._profiles(svy, seg, 4, VARS, categorical=[])),
    }
    if have_r():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "frame.csv"
            frame.to_csv(path, index=False)
            profile["R"] = r_timings(R_CODE, path).get("profiles")
    full = {
        "operation": "segments k=2..4, 10 reps",
        "n": n,
        "surveykit": best_of(
            lambda: seg_mod.segments(svy, VARS[:3], k_range=range(2, 5), n_init=3, stability_reps=10), repeat=1
        ),
    }
    return [profile, full]


def bootstrap_refits() -> dict:
    """Issue 16's budget: 200 PSU-bootstrap refits of the worker survey's LCA (k = 3), well
    under 10 s on a 2-core machine (measured here, not asserted in a test)."""
    svy = sk.demo_survey("worker_2018")
    items = ["ins_employment", "private_insured", "third_sector_aware", "join_intent"]
    fit = lambda: sk.segments.fit(svy, items, method="lca", k=3, stability_reps=200, n_init=3)
    return {"operation": "worker LCA k=3, 200 bootstrap refits", "n": svy.n, "surveykit": best_of(fit, repeat=3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    rows = [row for n in args.sizes for row in run(n)] + [bootstrap_refits()]
    print_table(rows)


if __name__ == "__main__":
    main()
