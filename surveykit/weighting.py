"""Weighting: post-stratification, raking, linear calibration and trimming.

Every function takes a :class:`~surveykit.survey.Survey` and returns a **new** Survey with new
weights; the input is never changed. Post-stratification, raking and calibration also attach a
*calibration object* (``svy.with_weights(w, calibration=obj)``) whose ``residualize(u)`` the
variance kernel applies before the design variance, so standard errors are calibration-aware
exactly as R ``survey::svyrecvar`` makes them:

=====================  ==============================  =============================================
surveykit              R                               residualisation of ``u`` (weighted influence)
=====================  ==============================  =============================================
:func:`poststratify`   ``postStratify()``              ``u - w * mean_w0(u / w | post-stratum)``
:func:`rake`           ``rake()``                      10 sweeps of ``u - w_m * mean(u / w_m | m)``
:func:`calibrate`      ``calibrate(calfun="linear")``  ``w * qr.resid(qr(X sqrt(w0)), u / w)``
:func:`trim`           ``trimWeights()``               none (earlier calibrations are kept)
=====================  ==============================  =============================================
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.errors import ConvergenceWarning, DataError, SurveykitWarning, closest, format_rows

if TYPE_CHECKING:
    from surveykit.survey import Survey

__all__ = [
    "poststratify",
    "rake",
    "calibrate",
    "trim",
    "PostStratification",
    "Raking",
    "LinearCalibration",
]

RAKE_RESIDUAL_SWEEPS = 10  # R svyrecvar: `for (iterations in 1:10)` over the raking margins
GINV_TOL = 256 * np.finfo(float).eps  # R grake: MASS::ginv(Tmat, tol = 256 * .Machine$double.eps)
RESCALE_THRESHOLD = 20.0  # R grake: SOMETHRESHOLD, weights rescaled when every pop/sample ratio exceeds it
MARGIN_TOTAL_RTOL = 1e-6  # raking margins whose totals differ by more than this are inconsistent
MARGIN_MET_RTOL = 1e-6  # a converged rake whose margins are further off than this x total ...
UNMET_FACTOR = 100.0  # ... and than this x the convergence tolerance has no joint solution


# --------------------------------------------------------------------------------------------
# calibration objects (consumed by surveykit._variance.design_vcov)


def _group_sums(u: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of ``u`` (n, k) by integer code: (n_groups, k)."""
    return np.column_stack(
        [np.bincount(codes, weights=u[:, j], minlength=n_groups) for j in range(u.shape[1])]
    )


@dataclass(frozen=True, slots=True, eq=False)
class PostStratification:
    """Residualisation of one post-stratification step (R ``postStratify``'s index object).

    ``u`` becomes ``u - w_new * sum_g(u w_old / w_new) / sum_g(w_old)`` within each post-stratum.
    """

    codes: np.ndarray  # int64[n]: post-stratum of each row
    weights: np.ndarray  # float64[n]: weights after this step
    old_weights: np.ndarray  # float64[n]: weights before it

    def residualize(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float).reshape(len(self.codes), -1)
        psw = np.where((self.weights == 0) & (self.old_weights == 0), 1.0, self.weights)
        n_groups = int(self.codes.max()) + 1
        ratio = np.divide(self.old_weights, psw, out=np.zeros_like(psw), where=psw != 0)
        sums = _group_sums(u * ratio[:, None], self.codes, n_groups)
        den = np.bincount(self.codes, weights=self.old_weights, minlength=n_groups)
        means = np.divide(sums, den[:, None], out=np.zeros_like(sums), where=den[:, None] != 0)
        return u - means[self.codes] * psw[:, None]


@dataclass(frozen=True, slots=True, eq=False)
class Raking:
    """Residualisation after raking, as R ``svyrecvar`` does for a ``"raking"`` object.

    ``margins`` holds, for each margin of the last raking pass, the level codes and the weights
    right after that margin was post-stratified. R sweeps ``u <- u - w_m * ave(u / w_m, m)``
    over the margins ten times (a fixed count, not a convergence test); so do we.
    """

    margins: tuple[tuple[np.ndarray, np.ndarray], ...]

    def residualize(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float).reshape(len(self.margins[0][0]), -1)
        prepared = []
        for codes, psw in self.margins:
            n_groups = int(codes.max()) + 1
            counts = np.bincount(codes, minlength=n_groups).astype(float)
            prepared.append((codes, psw, n_groups, np.where(counts == 0, 1.0, counts)))
        for _ in range(RAKE_RESIDUAL_SWEEPS):
            for codes, psw, n_groups, counts in prepared:
                ratio = np.divide(u, psw[:, None], out=np.zeros_like(u), where=psw[:, None] != 0)
                means = _group_sums(ratio, codes, n_groups) / counts[:, None]
                u = u - psw[:, None] * means[codes]
        return u


@dataclass(frozen=True, slots=True, eq=False)
class LinearCalibration:
    """Residualisation after GREG calibration (R's ``greg_calibration`` at stage 0).

    ``u`` becomes ``w * resid(u / w)``, the residual of the least-squares projection on the
    column space of ``X * sqrt(w0)``; ``basis`` is an orthonormal basis of that space and
    ``w = g * sqrt(w0)``.
    """

    basis: np.ndarray  # float64[n, r]
    w: np.ndarray  # float64[n]

    def residualize(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float).reshape(len(self.w), -1)
        e = np.divide(u, self.w[:, None], out=np.zeros_like(u), where=self.w[:, None] != 0)
        e = e - self.basis @ (self.basis.T @ e)
        return e * self.w[:, None]


def _orthonormal_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of ``x`` (rank-revealing, like R's ``qr``)."""
    q, r = np.linalg.qr(x)
    d = np.abs(np.diag(r))
    if d.size and d.min() > 1e-7 * d.max():
        return q
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, s > 1e-7 * s.max()]


# --------------------------------------------------------------------------------------------
# shared helpers


def _column(svy: Survey, name: str, what: str) -> pd.Series:
    data = svy.data
    if name not in data.columns:
        raise DataError(
            f"{what} column {name!r} must be a column of the data; it is not.{closest(name, data.columns)}"
        )
    col = data[name]
    bad = col.isna().to_numpy()
    if bad.any():
        rows = format_rows((np.flatnonzero(bad) + 1).tolist())
        raise DataError(
            f"{what} column {name!r} must have no missing values; got {int(bad.sum())} ({rows}). "
            "Impute them or drop those rows before weighting."
        )
    return col


def _key(value: Any) -> Any:
    """A matching key for a level: integral floats as ints, numpy scalars as Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _population_table(population: Any, names: tuple[str, ...]) -> dict[tuple, float]:
    """Population counts as ``{(level, ...): count}`` from a mapping, Series or DataFrame."""
    if isinstance(population, pd.DataFrame):
        missing = [n for n in names if n not in population.columns]
        others = [c for c in population.columns if c not in names]
        if missing or len(others) != 1:
            raise DataError(
                f"population table must have columns {list(names)} plus one count column; got "
                f"{list(population.columns)}. Name the count column e.g. 'Freq'."
            )
        keys = zip(*(population[n] for n in names))
        return {tuple(_key(k) for k in key): float(v) for key, v in zip(keys, population[others[0]])}
    if isinstance(population, pd.Series):
        population = population.to_dict()
    if not isinstance(population, Mapping):
        raise DataError(
            f"population for {list(names)} must be a mapping {{level: count}}, a Series or a "
            f"DataFrame; got {type(population).__name__}."
        )
    out = {}
    for k, v in population.items():
        key = tuple(k) if isinstance(k, tuple) else (k,)
        if len(key) != len(names):
            raise DataError(
                f"population keys for {list(names)} must have {len(names)} part(s); got {k!r}."
            )
        out[tuple(_key(x) for x in key)] = float(v)
    return out


def _cells(svy: Survey, names: tuple[str, ...]) -> tuple[np.ndarray, list[tuple]]:
    """Integer cell code of each row for the cross of ``names``, and the cell keys (vectorised)."""
    per_col = [pd.factorize(_column(svy, n, "weighting"), sort=False) for n in names]
    shape = tuple(len(u) for _, u in per_col)
    flat = np.ravel_multi_index(tuple(c for c, _ in per_col), shape) if len(names) > 1 else per_col[0][0]
    codes, cells = pd.factorize(flat, sort=False)
    parts = np.unravel_index(np.asarray(cells), shape)
    keys = [tuple(_key(u[i]) for (_, u), i in zip(per_col, idx)) for idx in zip(*parts)]
    return codes.astype(np.int64), keys


def _show(keys: list[tuple]) -> str:
    return ", ".join(repr(k[0] if len(k) == 1 else k) for k in keys[:5])


def _prepare(
    svy: Survey, names: tuple[str, ...], population: Any, weights: np.ndarray, partial: bool = False
) -> tuple[np.ndarray, np.ndarray, list]:
    """Check one post-stratification: (cell codes, population count per cell, ignored levels)."""
    codes, keys = _cells(svy, names)
    pop = _population_table(population, names)
    sample = np.bincount(codes, weights=weights, minlength=len(keys))
    label = "x".join(names)
    absent = [k for k in keys if k not in pop]
    if absent:
        rows = format_rows((np.flatnonzero(np.isin(codes, [keys.index(k) for k in absent])) + 1).tolist())
        raise DataError(
            f"every {label} level in the sample must have a population count; got none for "
            f"{_show(absent)} ({rows}). Add it to the population table."
        )
    index = {k: i for i, k in enumerate(keys)}
    unsampled = [k for k, v in pop.items() if v > 0 and (k not in index or sample[index[k]] == 0)]
    if unsampled and not partial:
        raise DataError(
            f"every {label} level of the population must occur in the sample with positive weight; "
            f"got no sample for {_show(unsampled)}. Collapse levels, or pass partial=True to ignore them."
        )
    return codes, np.array([pop[k] for k in keys]), unsampled


def _step(codes: np.ndarray, target: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Scale *weights* so that their cell sums equal *target* (cells with no weight stay 0)."""
    sample = np.bincount(codes, weights=weights, minlength=target.shape[0])
    factor = np.divide(target, sample, out=np.zeros_like(target), where=sample > 0)
    return weights * factor[codes]


# --------------------------------------------------------------------------------------------
# public functions


def poststratify(
    svy: Survey, strata: str | Sequence[str], population: Any, *, partial: bool = False
) -> Survey:
    """Post-stratify: scale weights so that weighted counts equal population counts.

    Parameters
    ----------
    svy : Survey
    strata : str or sequence of str
        Post-stratification variable(s); several are crossed.
    population : mapping, Series or DataFrame
        Population count of each level (``{"E": 4421, ...}``; tuples of levels when crossing), or
        a frame with the strata columns plus one count column (R's ``data.frame(..., Freq=)``).
    partial : bool
        Ignore population levels absent from the sample (R ``partial=TRUE``).

    Returns
    -------
    Survey
        A new Survey whose variance estimates subtract post-stratum means of the influence
        values (calibration-aware standard errors).

    Raises
    ------
    DataError
        Unknown or missing strata values, a sample level without population count, or a
        population level without sample (unless ``partial``).

    Notes
    -----
    R equivalent: ``postStratify(design, ~strata, population)``; variance as ``svyrecvar``'s
    post-stratification branch.
    """
    names = (strata,) if isinstance(strata, str) else tuple(strata)
    old = np.asarray(svy.resolved.weights, dtype=float)
    codes, target, ignored = _prepare(svy, names, population, old, partial)
    new = _step(codes, target, old)
    if ignored:
        warnings.warn(
            f"population levels {_show(ignored)} of {list(names)} have no sample; ignored (partial=True).",
            SurveykitWarning,
            stacklevel=2,
        )
    step = f"poststratify({', '.join(names)})"
    return svy.with_weights(new, calibration=PostStratification(codes, new, old), step=step)


def _margin_list(margins: Any) -> list[tuple[tuple[str, ...], Any]]:
    items = margins.items() if isinstance(margins, Mapping) else margins
    out = []
    for names, pop in items:
        out.append(((names,) if isinstance(names, str) else tuple(names), pop))
    if not out:
        raise DataError("margins must name at least one variable; got none.")
    return out


def _check_margin_totals(margins: list[tuple[tuple[str, ...], Any]]) -> None:
    totals = {"x".join(n): sum(_population_table(p, n).values()) for n, p in margins}
    values = np.array(list(totals.values()))
    if np.ptp(values) > MARGIN_TOTAL_RTOL * np.abs(values).max():
        shown = ", ".join(f"{k} {v:g}" for k, v in totals.items())
        raise DataError(
            f"raking margins must all have the same population total; got {shown}. "
            "Fix the margin tables (they must describe the same population)."
        )


def rake(
    svy: Survey, margins: Any, *, max_iter: int = 100, epsilon: float = 1e-10
) -> Survey:
    """Rake (iterative proportional fitting) the weights to several population margins.

    Parameters
    ----------
    svy : Survey
    margins : mapping or sequence of pairs
        ``{variable: population}`` (or ``[(variables, population), ...]``), each population as
        in :func:`poststratify`.
    max_iter : int
        Maximum number of passes over the margins (R ``control$maxit``, default 10 there).
    epsilon : float
        Convergence tolerance on the largest change of any weighted cell count of the joint
        table of all margin variables between passes; below 1 it is relative to the total
        weight, from 1 up an absolute count (R ``control$epsilon``, default 1 there).

    Returns
    -------
    Survey
        With weights that reproduce every margin, and the raking residualisation attached.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` passes did not reach ``epsilon`` (R: "Raking did not converge").

    Raises
    ------
    DataError
        Margins with different totals, a level without sample or population count, missing values.

    Notes
    -----
    R equivalent: ``rake(design, sample.margins, population.margins, control = list(maxit,
    epsilon))``. The variance subtracts, ten times over, each margin's level means of ``u / w_m``
    (``svyrecvar``'s ``"raking"`` branch), with ``w_m`` the weights after that margin's last step.
    """
    margins = _margin_list(margins)
    _check_margin_totals(margins)
    w = np.asarray(svy.resolved.weights, dtype=float)
    tol = epsilon * w.sum() if epsilon < 1 else epsilon
    cross, n_cells = _joint_codes(svy, margins)
    prepared = [_prepare(svy, names, pop, w)[:2] for names, pop in margins]
    table = np.bincount(cross, weights=w, minlength=n_cells)
    converged, iteration = False, 0
    while iteration < max_iter:
        steps = []
        for codes, target in prepared:
            w = _step(codes, target, w)
            steps.append((codes, w))
        new_table = np.bincount(cross, weights=w, minlength=n_cells)
        if np.max(np.abs(new_table - table)) < tol:
            converged = True
            break
        table, iteration = new_table, iteration + 1
    if not converged:
        warnings.warn(
            f"raking did not converge after {max_iter} passes (epsilon={epsilon:g}); the margins "
            "are only approximately met. Raise max_iter, or collapse sparse levels.",
            ConvergenceWarning,
            stacklevel=2,
        )
    else:
        _warn_unmet_margins(svy, margins, w, tol)
    step = f"rake({', '.join('x'.join(n) for n, _ in margins)}; {iteration + 1} passes)"
    return svy.with_weights(w, calibration=Raking(tuple(steps)), step=step)


def _warn_unmet_margins(
    svy: Survey, margins: list[tuple[tuple[str, ...], Any]], w: np.ndarray, tol: float
) -> None:
    """Warn when the passes stopped moving but a margin is still far off (no joint solution).

    "Far" is more than ``UNMET_FACTOR`` times the convergence tolerance, and more than
    ``MARGIN_MET_RTOL`` of the total weight: the last pass's change bounds the remaining
    misfit only up to the (slow) convergence rate.
    """
    worst, where = 0.0, ""
    for names, pop in margins:
        codes, keys = _cells(svy, names)
        got = np.bincount(codes, weights=w, minlength=len(keys))
        table = _population_table(pop, names)
        miss = float(np.max(np.abs(got - np.array([table[k] for k in keys]))))
        if miss > worst:
            worst, where = miss, "x".join(names)
    if worst > max(UNMET_FACTOR * tol, MARGIN_MET_RTOL * w.sum()):
        warnings.warn(
            f"raking stopped changing but margin {where} is still off by {worst:.3g}: the margins "
            "have no joint solution on this sample (a needed cell is empty). Collapse levels.",
            ConvergenceWarning,
            stacklevel=3,
        )


def _joint_codes(svy: Survey, margins: list[tuple[tuple[str, ...], Any]]) -> tuple[np.ndarray, int]:
    names: list[str] = []
    for n, _ in margins:
        names += [x for x in n if x not in names]
    codes, keys = _cells(svy, tuple(names))
    return codes, len(keys)


# --------------------------------------------------------------------------------------------
# linear calibration

_C_TERM = re.compile(r"^C\((\w[\w.]*)\)$")


def _terms(spec: str | Sequence[str]) -> tuple[list[tuple[str, bool]], bool]:
    """Parse ``"~ a + C(b) - 1"`` or ``["a", "b"]``: ([(column, forced_categorical)], intercept)."""
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
                f"calibration formula must be '~ a + b + C(c)' (terms added, '-1' for no intercept); "
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
        pop = dict(population)
        absent = [n for n in names if n not in pop]
        extra = [k for k in pop if k not in names]
        if absent or extra:
            hint = closest(str(extra[0]), names) if extra else ""
            raise DataError(
                f"calibration population must give a total for each of {names}; got missing "
                f"{absent}, unknown {extra}.{hint} Name totals as R's model.matrix does."
            )
        return np.array([float(pop[n]) for n in names])
    vec = np.asarray(population, dtype=float).ravel()
    if vec.size != len(names):
        raise DataError(
            f"calibration population must have {len(names)} totals ({names}); got {vec.size}."
        )
    return vec


def calibrate(
    svy: Survey,
    formula_or_columns: str | Sequence[str],
    population: Any,
    *,
    bounds: tuple[float, float] | None = None,
    max_iter: int = 50,
    epsilon: float = 1e-7,
) -> Survey:
    """Linear (GREG) calibration of the weights to known population totals.

    Parameters
    ----------
    svy : Survey
    formula_or_columns : str or sequence of str
        ``"~ stype + api99"`` or ``["stype", "api99"]``; categorical columns get treatment
        dummies (``C(x)`` forces a numeric column to be categorical); ``- 1`` drops the intercept.
    population : mapping, Series or sequence
        Totals keyed by R's model-matrix names (``{"(Intercept)": 6194, "stypeH": 755, ...}``)
        or a vector in that order.
    bounds : (float, float), optional
        Lower and upper bound on the g-weights ``w_new / w`` (R ``bounds=``); solved by R's
        Newton iteration for the truncated linear distance.
    max_iter, epsilon : int, float
        Iteration limit and tolerance ``|misfit| / (1 + |total|)`` of the bounded solve (R
        ``maxit``, ``epsilon``).

    Returns
    -------
    Survey
        With calibrated weights; variances use the residuals of the weighted regression on the
        calibration variables (R's ``greg_calibration``).

    Raises
    ------
    DataError
        Unknown columns, missing values, wrong population totals, collinear calibration
        variables, or bounds that cannot be met.

    Notes
    -----
    R equivalent: ``calibrate(design, formula, population, calfun = "linear", bounds = )``
    (``regcalibrate`` without bounds, ``grake`` with ``cal.linear`` with them).
    """
    x, names = model_matrix(svy, formula_or_columns)
    pop = _population_vector(population, names)
    w = np.asarray(svy.resolved.weights, dtype=float)
    if bounds is None:
        g = _g_linear(x, w, pop, names)
    else:
        g = _g_bounded(x, w, pop, (float(bounds[0]), float(bounds[1])), max_iter, epsilon)
    whalf = np.sqrt(w)
    cal = LinearCalibration(_orthonormal_basis(x * whalf[:, None]), g * whalf)
    step = f"calibrate({', '.join(names)}{'' if bounds is None else f'; bounds {bounds}'})"
    return svy.with_weights(w * g, calibration=cal, step=step)


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


def trim(
    svy: Survey, lower: float | None = None, upper: float | None = None, *, strict: bool = False
) -> Survey:
    """Trim weights to ``[lower, upper]`` and spread the trimmed amount over the other rows.

    Parameters
    ----------
    svy : Survey
    lower, upper : float, optional
        Bounds on the weights (``None``: unbounded on that side).
    strict : bool
        Repeat until no weight is outside the bounds (redistribution can push weights out again).

    Returns
    -------
    Survey
        With trimmed weights; the total weight is unchanged. Calibrations attached earlier stay
        in force for the variance (as R keeps ``postStrata``); trimming adds none.

    Notes
    -----
    R equivalent: ``trimWeights(design, upper, lower, strict)``: weights outside the bounds are
    set to the bound and the sum of the trimmings is added equally to every row inside them.
    Rows with weight 0 (outside a domain) are left at 0.
    """
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if lo > hi:
        raise DataError(f"trim bounds must have lower <= upper; got lower={lo:g}, upper={hi:g}. Swap them.")
    w = np.asarray(svy.resolved.weights, dtype=float)
    active = w != 0
    while True:
        outside = active & ((w < lo) | (w > hi))
        if not outside.any():
            break
        inside = active & ~outside
        if not inside.any():
            raise DataError(
                f"trim bounds [{lo:g}, {hi:g}] must leave some weights inside to take the trimmings; "
                "every weight is outside. Widen the bounds."
            )
        new = np.where(active, np.clip(w, lo, hi), 0.0)
        new[inside] += (w - new).sum() / inside.sum()
        w = new
        if not strict:
            break
    return svy.with_weights(w, step=f"trim([{lo:g}, {hi:g}])")
