"""Tests of independence for two-way tables, as R ``svychisq``: Rao-Scott and Wald.

:func:`_rao_scott` gives the Rao-Scott second-order F test and the first-order chi-square test
from the design effects ``Delta`` of the cell proportions (``statistic = "F"``, ``"Chisq"``);
:func:`_wald` the design-based Wald test of independence on the cell totals
(``statistic = "Wald"``). Cells are in R's order (row level varying fastest).
"""

from __future__ import annotations

import numpy as np

from surveykit.tables.levels import _onehot
from surveykit.tables.results import ChisqTest


def _interaction_contrasts(nr: int, nc: int) -> np.ndarray:
    """R's ``Cmat``: interaction columns of ``~rows*cols`` residualised on ``~rows+cols``."""
    rows = np.tile(np.arange(nr), nc)
    cols = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack([np.ones(nr * nc), _onehot(rows, nr)[:, 1:], _onehot(cols, nc)[:, 1:]])
    inter = np.column_stack([(rows == i) & (cols == j) for j in range(1, nc) for i in range(1, nr)]).astype(float)
    q, _ = np.linalg.qr(x1)
    return inter - q @ (q.T @ inter)


def _pearson(counts: np.ndarray, nr: int, nc: int) -> float:
    """Pearson's X^2 of a table given as a flat vector in R's cell order."""
    table = counts.reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)
    return float(terms.sum())


def _rao_scott(p: np.ndarray, v: np.ndarray, n: int, nr: int, nc: int, nu: int) -> tuple[list[ChisqTest], np.ndarray]:
    """R ``svychisq(statistic = "F")`` and ``"Chisq"``: design effects ``Delta`` and the tests."""
    from scipy import stats

    cmat = _interaction_contrasts(nr, nc)
    inv = np.divide(1.0, p, out=np.zeros_like(p), where=p != 0)
    denom = (cmat * (inv / n)[:, None]).T @ cmat
    numr = (cmat * inv[:, None]).T @ v @ (cmat * inv[:, None])
    delta = np.linalg.solve(denom, numr)
    tr, tr2 = np.trace(delta), np.trace(delta @ delta)
    d0 = tr**2 / tr2
    x2 = _pearson(p * n, nr, nc)
    f = x2 / tr
    df = (nr - 1) * (nc - 1)
    tests = [
        ChisqTest("F", f, d0, d0 * nu, float(stats.f.sf(f, d0, d0 * nu))),
        ChisqTest("Chisq", x2, float(df), np.inf, float(stats.chi2.sf(x2 / (tr / df), df))),
    ]
    return tests, np.linalg.eigvals(delta).real


def _wald(t: np.ndarray, v: np.ndarray, nr: int, nc: int, nu: int) -> ChisqTest:
    """R ``svychisq(statistic = "Wald")``: Wald test of ``T_rc - T_r T_c / T = 0`` for r, c > 1."""
    from scipy import stats

    table = t.reshape(nc, nr).T
    total, tr, tc = table.sum(), table.sum(axis=1), table.sum(axis=0)
    cell_row, cell_col = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    use = [(i, j) for j in range(1, nc) for i in range(1, nr)]
    y = np.array([table[i, j] - tr[i] * tc[j] / total for i, j in use])
    # gradient of each y_m with respect to the cell totals (R's Jacobian Jcb, chained)
    a = np.column_stack(
        [
            (np.arange(nr * nc) == i + nr * j)
            - (cell_row == i) * tc[j] / total
            - (cell_col == j) * tr[i] / total
            + tr[i] * tc[j] / total**2
            for i, j in use
        ]
    )
    df = (nr - 1) * (nc - 1)
    stat = float(y @ np.linalg.solve(a.T @ v @ a, y)) / df
    return ChisqTest("Wald", stat, float(df), float(nu), float(stats.f.sf(stat, df, nu)))
