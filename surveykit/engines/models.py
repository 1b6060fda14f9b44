"""Survey logistic regression in the engine: each Newton step is one aggregating query.

For the pseudo-likelihood of R ``svyglm(family = quasibinomial())`` a Newton step needs only
``X'WX`` and ``X'W(y - p)`` at the current coefficients, sums the engine computes in one pass
with ``p = expit(X b)`` evaluated in SQL; the design-based sandwich needs the score totals of
each design cell, a second GROUP BY, passed through the one variance kernel
(:func:`surveykit.design.variance.design_vcov`). Only numeric covariates (and the intercept)
are supported; the result's coefficient table is that of :func:`surveykit.models.logistic`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit._util.warn import warn
from surveykit.design.resolved import degf_present
from surveykit.design.variance import design_vcov
from surveykit.engines.aggregate import CELL, weight_sql
from surveykit.errors import ConvergenceWarning, DataError, ModelError

if TYPE_CHECKING:
    from surveykit.engines.lazy import LazySurvey

__all__ = ["logistic"]

MAX_ITER = 50
TOL = 1e-10


def logistic(lazy: LazySurvey, response: str, covariates: list[str], alpha: float) -> pd.DataFrame:
    """Coefficients of the survey logistic model of 0/1 *response* on numeric *covariates*."""
    from surveykit.models import coef_frame

    scan, design = lazy.scan, lazy.design
    if lazy._rd is None:
        raise ModelError(
            "a lazy logistic model needs a clustered design (ids=); for a design without "
            "clusters read the data with sk.read and use the in-memory Survey."
        )
    scan.check_columns([response, *covariates], "model variable")
    for v in [response, *covariates]:
        if not scan.is_numeric(v):
            raise DataError(
                f"model variable {v!r} must be numeric in a lazy model; got {scan.dtype(v)}. "
                "Recode it to 0/1 indicator columns, or use the in-memory Survey."
            )
    w = weight_sql(scan, design)
    xs = ["CAST(1 AS DOUBLE)", *(f"CAST({scan.q(c)} AS DOUBLE)" for c in covariates)]
    y = f"CAST({scan.q(response)} AS DOUBLE)"
    complete = " AND ".join(f"{scan.q(c)} IS NOT NULL" for c in [response, *covariates]) + f" AND {w} > 0"
    bad = scan.fetch(f"SELECT count(*) AS n FROM {scan.table} WHERE {complete} AND {y} NOT IN (0, 1)")
    if bad.column("n").to_pylist()[0]:
        raise DataError(
            f"response {response!r} must be 0/1; got {bad.column('n').to_pylist()[0]} other values. "
            "Recode it, e.g. as an indicator of the category of interest."
        )
    factor = _weight_factor(lazy)
    k = len(xs)
    beta = np.zeros(k)
    for iteration in range(1, MAX_ITER + 1):
        info, grad = _newton_sums(scan, xs, y, w, complete, beta, factor, lazy)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            raise ModelError(
                f"logistic model of {response!r} cannot be estimated: the covariates are linearly "
                "dependent. Drop one of them."
            ) from None
        beta = beta + step
        if np.max(np.abs(step)) < TOL * max(1.0, float(np.max(np.abs(beta)))):
            break
    else:
        warn(f"lazy logistic model of {response!r} did not converge in {MAX_ITER} iterations.", ConvergenceWarning)
    info, _ = _newton_sums(scan, xs, y, w, complete, beta, factor, lazy)
    scores, counts = _cell_scores(scan, xs, y, w, complete, beta, lazy)
    bread = np.linalg.pinv(info)
    meat = design_vcov(scores * factor[:, None], lazy._rd)
    st = lazy._rd.stages[0]
    by_psu = np.bincount(st.psu, weights=counts, minlength=st.psu_stratum.shape[0]) > 0
    degf = float(degf_present(by_psu[:, None], st.psu_stratum)[0])
    vcov = bread @ meat @ bread
    names = ("Intercept", *covariates)
    return coef_frame(names, beta, vcov, degf - k + 1, alpha)


def _weight_factor(lazy: LazySurvey) -> np.ndarray:
    return np.asarray(lazy._factor, dtype=float)


def _eta(xs: list[str], beta: np.ndarray) -> str:
    terms = " + ".join(f"({float(b)!r}) * {x}" for b, x in zip(beta, xs))
    return f"greatest(least({terms}, 700.0), -700.0)"


def _newton_sums(scan: Any, xs: list[str], y: str, w: str, complete: str, beta: np.ndarray, factor: np.ndarray,
                 lazy: LazySurvey) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``X'WX`` with ``W = w p (1 - p)`` and ``X'W(y - p)`` at *beta* (weights times the cells'
    fpc-implied factor when the design has no weights column)."""
    p = f"(1.0 / (1.0 + exp(-({_eta(xs, beta)}))))"
    k = len(xs)
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    parts = [f"sum({w} * {p} * (1.0 - {p}) * {xs[i]} * {xs[j]}) AS a{i}_{j}" for i, j in pairs]
    parts += [f"sum({w} * ({y} - {p}) * {xs[i]}) AS g{i}" for i in range(k)]
    keys = [scan.q(c) for c in lazy._cells.keys]
    if lazy.design.weights or not keys:
        row = scan.fetch(f"SELECT {', '.join(parts)} FROM {scan.table} WHERE {complete}").to_pylist()[0]
        rows = [row]
        f = np.ones(1)
    else:  # weights implied by the fpc differ by cell: sum per cell, then weight
        table = scan.fetch(
            f"SELECT {', '.join(keys + parts)} FROM {scan.table} WHERE {complete} GROUP BY {', '.join(keys)}"
        ).to_pandas()
        cell = _cell_index(table, lazy)
        rows = table.to_dict("records")
        f = factor[cell]
    info, grad = np.zeros((k, k)), np.zeros(k)
    for r, fr in zip(rows, f):
        for i, j in pairs:
            info[i, j] += fr * float(r[f"a{i}_{j}"] or 0.0)
        for i in range(k):
            grad[i] += fr * float(r[f"g{i}"] or 0.0)
    info = np.triu(info) + np.triu(info, 1).T
    return info, grad


def _cell_index(table: pd.DataFrame, lazy: LazySurvey) -> np.ndarray:
    keys = list(lazy._cells.keys)
    index = lazy._cells.frame[keys].assign(**{CELL: np.arange(len(lazy._cells.frame))})
    return table[keys].merge(index, on=keys, how="left")[CELL].to_numpy(dtype=np.int64)


def _cell_scores(scan: Any, xs: list[str], y: str, w: str, complete: str, beta: np.ndarray,
                 lazy: LazySurvey) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Score totals ``sum w (y - p) x`` and complete rows of every design cell at *beta*."""
    p = f"(1.0 / (1.0 + exp(-({_eta(xs, beta)}))))"
    keys = [scan.q(c) for c in lazy._cells.keys]
    parts = [f"sum({w} * ({y} - {p}) * {x}) AS s{i}" for i, x in enumerate(xs)] + ["count(*) AS n"]
    table = scan.fetch(
        f"SELECT {', '.join(keys + parts)} FROM {scan.table} WHERE {complete} GROUP BY {', '.join(keys)}"
    ).to_pandas()
    cell = _cell_index(table, lazy)
    n_cells = len(lazy._cells.frame)
    scores = np.zeros((n_cells, len(xs)))
    counts = np.zeros(n_cells)
    np.add.at(scores, cell, table[[f"s{i}" for i in range(len(xs))]].to_numpy(float))
    np.add.at(counts, cell, table["n"].to_numpy(float))
    return scores, counts
