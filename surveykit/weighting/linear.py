"""Linear (GREG) calibration algebra: model matrix, population totals and g-weights.

Parses the calibration formula or column list into an R-style model matrix with R's column
names, reads the population totals against those names, and solves for the g-weights: in
closed form without bounds (R ``regcalibrate``) or by R ``grake``'s Newton iteration on the
truncated linear distance with bounds. :func:`surveykit.weighting.calibrate` puts them together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest
from surveykit.weighting.population import _column, _key

if TYPE_CHECKING:
    from surveykit.survey import Survey

GINV_TOL = 256 * np.finfo(float).eps  # R grake: MASS::ginv(Tmat, tol = 256 * .Machine$double.eps)
RESCALE_THRESHOLD = 20.0  # R grake: SOMETHRESHOLD, weights rescaled when every pop/sample ratio exceeds it

# C(x), factor(x), as.factor(x): x as categorical (the last two as R writes it)
_C_TERM = re.compile(r"^(?:C|factor|as\.factor)\((\w[\w.]*)\)$")
# R's model.matrix names a dummy of factor(x) 'factor(x)2'; ours is 'x2': accept both for totals
_WRAPPED_NAME = re.compile(r"^(?:C|factor|as\.factor)\((\w[\w.]*)\)(.*)$")


def _terms(spec: str | Sequence[str]) -> tuple[list[tuple[str, bool]], bool]:
    """Parse ``"~ a + C(b) - 1"`` or ``["a", "b"]``: ([(column, forced_categorical)], intercept).

    ``factor(b)`` and ``as.factor(b)`` are aliases of ``C(b)``.
    """
    if not isinstance(spec, str):
        return [(c, False) for c in spec], True
    body = spec.split("~", 1)[-1].replace(" ", "")
    intercept = True
    terms = []
    for i, piece in enumerate(re.split(r"(?=[+-])", body)):
        sign, name = (piece[0], piece[1:]) if piece[:1] in "+-" else ("+", piece)
        if name in ("0", "1"):
            intercept = intercept and not (name == "0" or sign == "-")
            continue
        if not name or sign == "-":
            raise DataError(
                f"calibration formula must be '~ a + b + C(c)' (terms added, C(c) or factor(c) for a "
                "categorical numeric column, '-1' for no intercept); "
                f"got {spec!r}. Interactions are not supported: make a crossed column instead."
            )
        m = _C_TERM.match(name)
        terms.append((m.group(1), True) if m else (name, False))
    return terms, intercept


def model_matrix(svy: Survey, spec: str | Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Calibration model matrix with R names: ``(Intercept)``, ``stypeH``, ``api99``.

    Categorical columns (strings, categories, booleans, or ``C(x)``) get treatment dummies
    for every level but the first in sorted order, as R's ``model.matrix``.
    """
    terms, intercept = _terms(spec)
    blocks, names = [], []
    if intercept:
        blocks.append(np.ones((len(svy.data), 1)))
        names.append("(Intercept)")
    for col, forced in terms:
        x = _column(svy, col, "calibration")
        if forced or not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
            levels = sorted(x.map(_key).unique(), key=lambda v: (str(type(v)), v))
            keep = levels[1:] if intercept or blocks else levels
            blocks.append(np.column_stack([(x.map(_key) == lv).to_numpy(float) for lv in keep]))
            names += [f"{col}{lv}" for lv in keep]
        else:
            blocks.append(x.to_numpy(float)[:, None])
            names.append(col)
    return np.hstack(blocks), names


def _population_vector(population: Any, names: list[str]) -> np.ndarray:
    if isinstance(population, (Mapping, pd.Series)):
        pop = _unwrap_names(dict(population), names)
        absent = [n for n in names if n not in pop]
        extra = [k for k in pop if k not in names]
        if absent or extra:
            hint = closest(str(extra[0]), names) if extra else ""
            raise DataError(
                f"calibration population must give a total for each of {names}; got missing "
                f"{absent}, unknown {extra}.{hint} Name totals as R's model.matrix does."
            )
        return np.array([_total(pop[n], n) for n in names])
    if isinstance(population, (str, bytes)) or not isinstance(population, (Sequence, np.ndarray)):
        raise DataError(
            f"calibration population must be a mapping {{name: total}} or a sequence of {len(names)} "
            f"totals ({names}); got {type(population).__name__}."
        )
    values = list(np.ravel(population)) if isinstance(population, np.ndarray) else list(population)
    if len(values) != len(names):
        raise DataError(f"calibration population must have {len(names)} totals ({names}); got {len(values)}.")
    return np.array([_total(v, n) for v, n in zip(values, names)])


def _unwrap_names(pop: dict, names: list[str]) -> dict:
    """Accept R's ``factor(x)2`` (or ``C(x)2``) for our ``x2``; a DataError if both are given."""
    out: dict = {}
    for key, value in pop.items():
        m = _WRAPPED_NAME.match(key) if isinstance(key, str) and key not in names else None
        name = m.group(1) + m.group(2) if m else key
        if name in out:
            raise DataError(f"calibration population must give each total once; got {name!r} twice (as {key!r} too).")
        out[name] = value
    return out


def _total(value: Any, name: str) -> float:
    """One calibration total as a float; a DataError naming it unless finite."""
    try:
        total = float(value)
    except (TypeError, ValueError):
        total = np.nan
    if not np.isfinite(total):
        raise DataError(f"calibration total of {name} must be a finite number; got {value!r}. Fix the population.")
    return total


def _g_linear(x: np.ndarray, w: np.ndarray, pop: np.ndarray, names: list[str]) -> np.ndarray:
    tmat = (x * w[:, None]).T @ x
    if np.linalg.matrix_rank(tmat) < tmat.shape[0]:
        raise DataError(
            f"calibration variables {names} must be linearly independent in the sample; they are "
            "not (a level with no sample, or a column that is a combination of others). Drop or merge them."
        )
    return 1.0 + x @ np.linalg.solve(tmat, pop - w @ x)


def _g_bounded(
    x: np.ndarray, w: np.ndarray, pop: np.ndarray, bounds: tuple[float, float], max_iter: int, epsilon: float
) -> np.ndarray:
    """R ``grake`` with ``cal.linear``: Newton steps on the truncated linear calibration."""
    lo, hi = bounds
    sample = w @ x
    scales = pop / np.where(sample == 0, np.nan, sample)
    scale = float(np.mean(scales)) if np.nanmin(scales) > RESCALE_THRESHOLD else 1.0
    w, sample = w * scale, sample * scale
    eta = np.zeros(x.shape[1])
    xeta = x @ eta
    for iteration in range(1, max_iter + 2):
        deriv = ((xeta < hi - 1) & (xeta > lo - 1)).astype(float)
        tmat = (x * (w * deriv)[:, None]).T @ x
        misfit = pop - sample - (x * w[:, None]).T @ (np.clip(xeta + 1, lo, hi) - 1)
        eta = eta + np.linalg.pinv(tmat, rcond=GINV_TOL) @ misfit
        xeta = x @ eta
        g = np.clip(xeta + 1, lo, hi)
        misfit = pop - sample - (x * w[:, None]).T @ (g - 1)
        if np.all(np.abs(misfit) / (1 + np.abs(pop)) < epsilon):
            return g * scale
        if iteration >= max_iter:
            break
    achieved = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
    raise DataError(
        f"calibration with bounds {bounds} must meet the population totals; after {max_iter} "
        f"iterations the relative misfit is {achieved:.3g}. Widen the bounds or raise max_iter."
    )
