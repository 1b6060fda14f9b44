"""Two-way design-based table with the Rao-Scott test: surveykit vs svy (Python) vs R survey.

``a3 x c4`` (3 x 4 cells) on the stratified cluster synthetic frame (50 strata x 20 PSUs).
surveykit ``crosstab`` computes cell/row/column proportions with SEs, the Rao-Scott F and
first-order tests and the Wald test; svy ``sample.categorical.tabulate("a3", "c4")`` cell
proportions with SEs and its Rao-Scott tests; R ``svychisq(~a3 + c4, statistic = "F")`` the test
only (R's cell shares with SEs need separate svymean/svyby calls, timed as a second R row).
Run: ``python benchmarks/bench_tables.py [--sizes 100000 1000000]``.
"""

from __future__ import annotations

import warnings

from common import bench_args, best_of, have_r, print_table, r_frame_timings, synthetic_frame

from surveykit import Design, Survey
from surveykit.tables import crosstab

R_CODE = """
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
timings[["chisq"]] <- system.time(svychisq(~a3 + c4, des, statistic = "F"))[["elapsed"]]
timings[["table"]] <- system.time({
  svychisq(~a3 + c4, des, statistic = "F")
  svymean(~interaction(factor(a3), factor(c4)), des)
  svyby(~factor(c4), ~a3, des, svymean)
})[["elapsed"]]
"""


def _svy_table(frame):
    import polars as pl
    import svy

    sample = svy.Sample(pl.from_pandas(frame), design=svy.Design(stratum="stratum", psu="psu", wgt="w"))
    return lambda: sample.categorical.tabulate("a3", "c4")


def _r(frame) -> dict[str, float]:
    return r_frame_timings(R_CODE, frame)


def main(argv: list[str] | None = None) -> None:
    args = bench_args(argv)
    rows = []
    for n in args.sizes:
        frame = synthetic_frame(n)
        svy_ = Survey(frame, design=Design(weights="w", strata="stratum", ids="psu"))
        sk_full = best_of(lambda: crosstab(svy_, "a3", "c4"), args.repeat)
        sk_test = best_of(lambda: crosstab(svy_, "a3", "c4", wald=False), args.repeat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            svy_tab = best_of(_svy_table(frame), args.repeat)
        r = _r(frame) if have_r() else {}
        rows += [
            {
                "operation": "crosstab 3x4 + Rao-Scott",
                "n": n,
                "surveykit": sk_test,
                "svy": svy_tab,
                "R": r.get("chisq"),
            },
            {"operation": "  + row/col %, Wald", "n": n, "surveykit": sk_full, "svy": None, "R": r.get("table")},
        ]
    print_table(rows)


if __name__ == "__main__":
    main()
