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
    factor = _weight_factor(lazy)
    k = len(xs)
    beta = np.zeros(k)
    for iteration in range(1, MAX_ITER + 1):
        info, grad, _, _, bad = _newton_sums(scan, xs, y, w, complete, beta, factor, lazy, per_cell=False)
        if bad:
            raise DataError(
                f"response {response!r} must be 0/1; got {bad} other values. "
                "Recode it, e.g. as an indicator of the category of interest."
            )
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
    info, _, scores, counts, _ = _newton_sums(scan, xs, y, w, complete, beta, factor, lazy, per_cell=True)
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
                 lazy: LazySurvey, per_cell: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:  # fmt: skip
    """One query at *beta*: ``X'WX`` with ``W = w p (1 - p)``, ``X'W(y - p)`` (weights times the
    cells' fpc-implied factor when the design has no weights column), and with *per_cell* also the
    score totals ``sum w (y - p) x`` and complete rows of every design cell (the sandwich's meat);
    last, the number of complete rows whose response is not 0/1."""
    p = f"(1.0 / (1.0 + exp(-({_eta(xs, beta)}))))"
    k = len(xs)
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    parts = [f"sum({w} * {p} * (1.0 - {p}) * {xs[i]} * {xs[j]}) AS a{i}_{j}" for i, j in pairs]
    parts += [f"sum({w} * ({y} - {p}) * {xs[i]}) AS g{i}" for i in range(k)]
    parts += ["count(*) AS n", f"count(*) FILTER (WHERE {y} NOT IN (0, 1)) AS bad"]
    keys = [scan.q(c) for c in lazy._cells.keys]
    n_cells = len(lazy._cells.frame)
    if keys and (per_cell or not lazy.design.weights):  # per cell: scores, or weights implied by the fpc
        table = scan.fetch(
            f"SELECT {', '.join(keys + parts)} FROM {scan.table} WHERE {complete} GROUP BY {', '.join(keys)}"
        ).to_pandas()
        cell = _cell_index(table, lazy)
    else:
        table = scan.fetch(f"SELECT {', '.join(parts)} FROM {scan.table} WHERE {complete}").to_pandas()
        cell = np.zeros(len(table), np.int64)
    f = factor[cell] if keys else np.ones(len(table))
    a = table[[f"a{i}_{j}" for i, j in pairs]].fillna(0.0).to_numpy(float)
    g = table[[f"g{i}" for i in range(k)]].fillna(0.0).to_numpy(float)
    info = np.zeros((k, k))
    info[tuple(np.array(pairs).T)] = f @ a
    info = np.triu(info) + np.triu(info, 1).T
    grad = f @ g
    scores, counts = np.zeros((n_cells, k)), np.zeros(n_cells)
    if per_cell:
        np.add.at(scores, cell, g)
        np.add.at(counts, cell, table["n"].to_numpy(float))
    return info, grad, scores, counts, int(table["bad"].sum())


def _cell_index(table: pd.DataFrame, lazy: LazySurvey) -> np.ndarray:
    keys = list(lazy._cells.keys)
    index = lazy._cells.frame[keys].assign(**{CELL: np.arange(len(lazy._cells.frame))})
    return table[keys].merge(index, on=keys, how="left")[CELL].to_numpy(dtype=np.int64)
