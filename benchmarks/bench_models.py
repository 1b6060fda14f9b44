"""Survey logistic and ordinal logistic: surveykit vs svy (Python) vs R survey, side by side.

Logistic: ``b ~ x1 + x2 + x3 + x4 + x5`` (6 coefficients) on the stratified cluster synthetic
frame; R ``svyglm(family = quasibinomial())``, svy ``sample.glm.fit(family="binomial")``.
Ordinal: ``ord4 ~ x1 + x2 + x3``; R ``svyolr`` (svy has no ordinal model). R's svyolr is run
at 1e5 rows only by default (``--r-olr-max``); larger sizes are extrapolated linearly from it
and marked "~" in the printout. Run: ``python benchmarks/bench_models.py [--sizes 100000 1000000]``.

Timings are the best of ``--repeat`` calls (at least ``SMALL_REPEAT`` below 1e6 rows, where one
call takes tens of milliseconds and a busy machine adds noise of the same size); R runs once.
The BLAS library, kernel and thread count in use are printed first (threadpoolctl).
"""

from __future__ import annotations

import warnings

from common import bench_args, best_of, have_r, print_table, r_frame_timings, synthetic_frame

from surveykit import Design, Survey
from surveykit.models import logistic, ordinal_logistic

LOGIT = "b ~ x1 + x2 + x3 + x4 + x5"
SMALL_REPEAT = 10
OLR = "ord4 ~ x1 + x2 + x3"


def _svy_fit(frame):
    import polars as pl
    import svy

    sample = svy.Sample(pl.from_pandas(frame), design=svy.Design(stratum="stratum", psu="psu", wgt="w"))
    return lambda: sample.glm.fit(y="b", x=["x1", "x2", "x3", "x4", "x5"], family="binomial")


def _r(frame, n: int, with_olr: bool) -> dict[str, float]:
    code = """
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
timings[["logit"]] <- system.time(svyglm(b ~ x1 + x2 + x3 + x4 + x5, des, family = quasibinomial()))[["elapsed"]]
"""
    if with_olr:
        code += """
d$ord4f <- factor(d$ord4, ordered = TRUE)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
timings[["olr"]] <- system.time(svyolr(ord4f ~ x1 + x2 + x3, des))[["elapsed"]]
"""
    return r_frame_timings(code, frame)


def _print_blas() -> None:
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            print(
                f"BLAS: {lib.get('internal_api')} {lib.get('version')}, kernel "
                f"{lib.get('architecture')}, {lib.get('num_threads')} threads"
            )


def main(argv: list[str] | None = None) -> None:
    args = bench_args(argv, extra=lambda ap: ap.add_argument("--r-olr-max", type=int, default=100_000))
    _print_blas()
    rows, r_olr_per_row = [], None
    for n in args.sizes:
        frame = synthetic_frame(n)
        frame["ord4"] = frame["ord4"].astype(int)
        svy_ = Survey(frame, design=Design(weights="w", strata="stratum", ids="psu"))
        _ = svy_.resolved  # the design is resolved once per Survey, outside the timings
        reps = args.repeat if n >= 1_000_000 else max(args.repeat, SMALL_REPEAT)
        sk_logit = best_of(lambda: logistic(svy_, LOGIT), reps)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            svy_logit = best_of(_svy_fit(frame), reps)
        sk_olr = best_of(lambda: ordinal_logistic(svy_, OLR, test_po=False), reps)
        sk_olr_po = best_of(lambda: ordinal_logistic(svy_, OLR), 1)
        r = _r(frame, n, with_olr=n <= args.r_olr_max) if have_r() else {}
        if "olr" in r:
            r_olr_per_row = r["olr"] / n
        r_olr = r.get("olr", r_olr_per_row * n if r_olr_per_row else None)
        rows += [
            {"operation": "logistic (6 coef)", "n": n, "surveykit": sk_logit, "svy": svy_logit, "R": r.get("logit")},
            {
                "operation": "ordinal logistic" + ("" if "olr" in r else " (R ~extrap.)"),
                "n": n,
                "surveykit": sk_olr,
                "svy": None,
                "R": r_olr,
            },
            {"operation": "ordinal + PO test", "n": n, "surveykit": sk_olr_po, "svy": None, "R": None},
        ]
    print_table(rows)


if __name__ == "__main__":
    main()
