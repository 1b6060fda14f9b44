"""Average marginal effects (AMEs) with delta-method design-based standard errors.

For a numeric variable ``v`` the AME on outcome ``k`` is the weighted mean over the fitted
(complete-case) rows of ``d P_k / d v``, computed analytically from the model's link and
``dX/dv`` (``dX/dv`` by a central difference of the rebuilt model matrix, exact for terms
linear or quadratic in ``v``, including interactions). For a categorical variable it is, per
level, the weighted mean of ``P_k(v = level) - P_k(v = base)`` with every row set to that
level (base = the first level, the default treatment reference).

SEs: ``J V J'`` with ``V`` the design-based covariance of the parameters and ``J`` the
Jacobian of the AMEs with respect to the parameters (central differences). This treats the
covariate distribution as fixed, as R ``marginaleffects::avg_slopes`` on an ``svyglm`` and
Stata ``margins, dydx() vce(delta)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.models._formula import ModelFrame, rebuild_matrix, set_variable

__all__ = ["Scenario", "scenarios", "average_effects"]

REL_STEP_X = 1e-5  # relative step for dX/dv; exact for linear/quadratic terms up to rounding
REL_STEP_PARAM = 1e-6  # relative step for the Jacobian in the parameters (delta method)

ProbFn = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (params, X) -> n x K probabilities
SlopeFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # (params, X, dX) -> n x K


@dataclass(frozen=True, slots=True, eq=False)
class Scenario:
    """One AME: a derivative (``dX`` given) or a contrast of two model matrices."""

    variable: str
    contrast: str
    X1: np.ndarray
    X0: np.ndarray | None = None  # None: derivative; X1 is then dX/dv and base is the data


def _categorical_vars(mf: ModelFrame) -> dict[str, tuple[Any, ...]]:
    return mf.design_info.categorical_variables()


def scenarios(mf: ModelFrame, data: pd.DataFrame) -> list[Scenario]:
    """The AMEs of every right-hand-side variable, on the complete-case rows *data*."""
    cats = _categorical_vars(mf)
    out: list[Scenario] = []
    for v in mf.variables:
        if v in cats:
            base = rebuild_matrix(mf, set_variable(data, v, cats[v][0]))
            for level in cats[v][1:]:
                X1 = rebuild_matrix(mf, set_variable(data, v, level))
                out.append(Scenario(v, f"{level} - {cats[v][0]}", X1, base))
        else:
            x = data[v].to_numpy(dtype=float)
            h = REL_STEP_X * (np.abs(x) + 1.0)
            hi = rebuild_matrix(mf, set_variable(data, v, x + h))
            lo = rebuild_matrix(mf, set_variable(data, v, x - h))
            out.append(Scenario(v, "dy/dx", (hi - lo) / (2.0 * h)[:, None]))
    return out


def _ame(params, X, w, sc: Scenario, prob: ProbFn, slope: SlopeFn) -> np.ndarray:
    if sc.X0 is None:
        vals = slope(params, X, sc.X1)
    else:
        vals = prob(params, sc.X1) - prob(params, sc.X0)
    return w @ vals / w.sum()


def _jacobian(fn: Callable[[np.ndarray], np.ndarray], params: np.ndarray) -> np.ndarray:
    cols = []
    for j in range(params.size):
        h = REL_STEP_PARAM * max(1.0, abs(params[j]))
        up, dn = params.copy(), params.copy()
        up[j] += h
        dn[j] -= h
        cols.append((fn(up) - fn(dn)) / (2.0 * h))
    return np.column_stack(cols)


def average_effects(
    params: np.ndarray,
    vcov: np.ndarray,
    X: np.ndarray,
    w: np.ndarray,
    scs: list[Scenario],
    prob: ProbFn,
    slope: SlopeFn,
    outcomes: tuple[str, ...],
) -> pd.DataFrame:
    """AME estimates and delta-method SEs, one row per scenario x outcome."""
    rows = []
    for sc in scs:
        est = _ame(params, X, w, sc, prob, slope)

        def ame_at(p: np.ndarray, sc: Any = sc) -> np.ndarray:
            return _ame(p, X, w, sc, prob, slope)

        J = _jacobian(ame_at, params)
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0.0, None))
        for k, name in enumerate(outcomes):
            rows.append((sc.variable, sc.contrast, name, est[k], se[k]))
    return pd.DataFrame(rows, columns=["variable", "contrast", "outcome", "estimate", "se"])
