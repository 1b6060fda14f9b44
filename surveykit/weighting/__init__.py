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

The calibration objects live in ``weighting.calibration``, population tables and sample cells in
``weighting.population`` and the linear-calibration algebra (model matrix, g-weights) in
``weighting.linear``; this module holds the public functions and re-exports the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from surveykit._util.columns import as_names
from surveykit._util.warn import warn
from surveykit.design.replicate import is_replicate
from surveykit.design.replicate_build import reweight_replicates
from surveykit.errors import ConvergenceWarning, DataError, SurveykitWarning, format_rows
from surveykit.weighting.calibration import (  # noqa: F401 (RAKE_RESIDUAL_SWEEPS re-exported)
    RAKE_RESIDUAL_SWEEPS,
    LinearCalibration,
    PostStratification,
    Raking,
    _orthonormal_basis,
)
from surveykit.weighting.linear import (  # noqa: F401 (GINV_TOL, RESCALE_THRESHOLD re-exported)
    GINV_TOL,
    RESCALE_THRESHOLD,
    _g_bounded,
    _g_linear,
    _population_vector,
    model_matrix,
)
from surveykit.weighting.population import _cells, _population_table, _prepare, _show, _step

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

MARGIN_TOTAL_RTOL = 1e-6  # raking margins whose totals differ by more than this are inconsistent
MARGIN_MET_RTOL = 1e-6  # a converged rake whose margins are further off than this x total ...
UNMET_FACTOR = 100.0  # ... and than this x the convergence tolerance has no joint solution
# trim(strict=True) passes: each is O(n); oscillating redistributions (R recurses until its C
# stack overflows) settle in < 100 passes on skewed weights, so 1000 only stops true cycles.
MAX_TRIM_PASSES = 1000
# bounds equal to the mean weight can hold exactly; allow the rounding of the total's sum
TRIM_FEASIBLE_RTOL = 1e-12

for _cls in (PostStratification, Raking, LinearCalibration):
    _cls.__module__ = __name__  # defined in surveykit.weighting.calibration; public here
del _cls


def poststratify(svy: Survey, strata: str | Sequence[str], population: Any, *, partial: bool = False) -> Survey:
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
        Unknown or missing strata values, a sample level without population count, a
        population level without sample (unless ``partial``), a count that is not a finite
        number >= 0, or a count of 0 for a level that is in the sample (its rows would drop
        out of every estimate).

    Notes
    -----
    R equivalent: ``postStratify(design, ~strata, population)``; variance as ``svyrecvar``'s
    post-stratification branch.
    """
    names = tuple(as_names(strata, "strata"))
    old = np.asarray(svy.resolved.weights, dtype=float)
    codes, target, ignored = _prepare(svy, names, population, old, partial)
    new = _step(codes, target, old)
    if ignored:
        warn(
            f"population levels {_show(ignored)} of {list(names)} have no sample; ignored (partial=True).",
            SurveykitWarning,
        )
    step = f"poststratify({', '.join(names)})"
    if is_replicate(svy.resolved):  # R postStratify.svyrep.design: every replicate to the same counts
        return reweight_replicates(svy, new, lambda w0: _step(codes, target, w0), step)
    return svy.with_weights(new, calibration=PostStratification(codes, new, old), step=step)


def _margin_list(margins: Any) -> list[tuple[tuple[str, ...], Any]]:
    if not isinstance(margins, (Mapping, list, tuple)):
        raise DataError(
            "margins must be a mapping {variable: population counts} or a list of "
            f"(variables, counts) pairs; got {type(margins).__name__}."
        )
    items = margins.items() if isinstance(margins, Mapping) else margins
    out = []
    for item in items:
        if not (isinstance(item, (list, tuple)) and len(item) == 2):
            raise DataError(f"each margin must be a (variables, counts) pair; got {item!r}.")
        names, pop = item
        out.append((tuple(as_names(names, "margin variables")), pop))
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


def rake(svy: Survey, margins: Any, *, max_iter: int = 100, epsilon: float = 1e-10) -> Survey:
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
        Margins with different totals, a level without sample or population count, missing
        values, counts that are not finite numbers >= 0 or are 0 for a sampled level.

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
    w, steps, converged, iteration = _rake_loop(w, prepared, cross, n_cells, tol, max_iter)
    if not converged:
        warn(
            f"raking did not converge after {max_iter} passes (epsilon={epsilon:g}); the margins "
            "are only approximately met. Raise max_iter, or collapse sparse levels.",
            ConvergenceWarning,
        )
    else:
        _warn_unmet_margins(svy, margins, w, tol)
    step = f"rake({', '.join('x'.join(n) for n, _ in margins)}; {iteration + 1} passes)"
    if is_replicate(svy.resolved):  # R rake on svrepdesign: every replicate raked to the margins
        return reweight_replicates(svy, w, lambda w0: _rake_loop(w0, prepared, cross, n_cells, tol, max_iter)[0], step)
    return svy.with_weights(w, calibration=Raking(tuple(steps)), step=step)


def _rake_loop(w: np.ndarray, prepared: list, cross: np.ndarray, n_cells: int, tol: float,
               max_iter: int) -> tuple[np.ndarray, list, bool, int]:  # fmt: skip
    """Passes of post-stratification over the margins until the joint table moves less than *tol*."""
    table = np.bincount(cross, weights=w, minlength=n_cells)
    converged, iteration = False, 0
    steps: list[tuple[Any, np.ndarray]] = []
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
    return w, steps, converged, iteration


def _warn_unmet_margins(svy: Survey, margins: list[tuple[tuple[str, ...], Any]], w: np.ndarray, tol: float) -> None:
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
        warn(
            f"raking stopped changing but margin {where} is still off by {worst:.3g}: the margins "
            "have no joint solution on this sample (a needed cell is empty). Collapse levels.",
            ConvergenceWarning,
        )


def _joint_codes(svy: Survey, margins: list[tuple[tuple[str, ...], Any]]) -> tuple[np.ndarray, int]:
    names: list[str] = []
    for n, _ in margins:
        names += [x for x in n if x not in names]
    codes, keys = _cells(svy, tuple(names))
    return codes, len(keys)


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
        dummies for every level but the first in sorted order; ``C(x)``, ``factor(x)`` or
        ``as.factor(x)`` makes a numeric column categorical; ``- 1`` drops the intercept.
    population : mapping, Series or sequence
        Totals keyed by model-matrix names, or a vector in that order. The names are R's for
        plain columns: ``(Intercept)``, ``stypeH`` (column then level), ``api99``. For a
        wrapped term the name is the bare column then the level: ``~ factor(lvl) + api99``
        gives ``(Intercept)``, ``lvl2``, ``lvl3``, ``api99``, where R's ``model.matrix`` says
        ``factor(lvl)2``; R's spelling (``factor(lvl)2``, ``C(lvl)2``) is accepted as a key
        too. A vector follows that order (R's).
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
        Unknown columns, missing values, wrong or non-finite population totals, collinear calibration
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
    if is_replicate(svy.resolved):  # R calibrate.svyrep.design: every replicate to the same totals

        def g_of(w0: np.ndarray) -> np.ndarray:
            if bounds is None:
                return w0 * _g_linear(x, w0, pop, names)
            return w0 * _g_bounded(x, w0, pop, (float(bounds[0]), float(bounds[1])), max_iter, epsilon)

        return reweight_replicates(svy, w * g, g_of, step)
    return svy.with_weights(w * g, calibration=cal, step=step)


def trim(svy: Survey, lower: float | None = None, upper: float | None = None, *, strict: bool = False) -> Survey:
    """Trim weights to ``[lower, upper]`` and spread the trimmed amount over the other rows.

    Parameters
    ----------
    svy : Survey
    lower, upper : float, optional
        Bounds on the weights (``None``: unbounded on that side).
    strict : bool
        Repeat until no weight is outside the bounds (redistribution can push weights out
        again), at most ``MAX_TRIM_PASSES`` passes.

    Returns
    -------
    Survey
        With trimmed weights; the total weight is unchanged. Calibrations attached earlier stay
        in force for the variance (as R keeps ``postStrata``); trimming adds none.

    Raises
    ------
    DataError
        Bounds that are not numbers or have ``lower > upper``; bounds that no set of weights
        with the same total can meet (``lower * n > W`` or ``upper * n < W`` over the ``n`` rows
        with positive weight and their total ``W``); or a redistribution that would leave a row
        with weight ``<= 0`` (the error names the rows).

    Warns
    -----
    ConvergenceWarning
        ``strict=True`` stopped after ``MAX_TRIM_PASSES`` passes with weights still outside the
        bounds (the passes were oscillating); the weights of the last pass are returned.

    Notes
    -----
    R equivalent: ``trimWeights(design, upper, lower, strict)``: weights outside the bounds are
    set to the bound and the sum of the trimmings is added equally to every row inside them.
    Rows with weight 0 (outside a domain) are left at 0. Without ``strict`` this is R's single
    pass, so weights can end outside the bounds after the redistribution, as in R. Where R
    differs: R returns weights ``<= 0`` and bounds that cannot hold without complaint, and with
    ``strict = TRUE`` recurses without limit (stack overflow) when the passes oscillate; here
    these raise a DataError, or warn after ``MAX_TRIM_PASSES`` passes.
    """
    lo, hi = _trim_bounds(lower, upper)
    w = np.asarray(svy.resolved.weights, dtype=float)
    active = w > 0
    _check_trim_feasible(w[active], lo, hi)
    for _ in range(MAX_TRIM_PASSES):
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
    else:
        _warn_trim_unconverged(w, active, lo, hi)
    _check_trim_positive(w, active, lo, hi)
    return svy.with_weights(w, step=f"trim([{lo:g}, {hi:g}])")


def _trim_bounds(lower: Any, upper: Any) -> tuple[float, float]:
    """The bounds as floats (``None``: infinite); one DataError for anything else."""
    out = []
    for name, value, default in (("lower", lower, -np.inf), ("upper", upper, np.inf)):
        if value is None:
            out.append(default)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or np.isnan(value):
            raise DataError(f"trim {name} must be a number or None; got {value!r}. Pass e.g. {name}=40.")
        out.append(float(value))
    lo, hi = out
    if lo > hi:
        raise DataError(f"trim bounds must have lower <= upper; got lower={lo:g}, upper={hi:g}. Swap them.")
    return lo, hi


def _check_trim_feasible(w: np.ndarray, lo: float, hi: float) -> None:
    """Trimming keeps the total: bounds hold only if ``lo * n <= W <= hi * n``."""
    n, total = w.shape[0], float(w.sum())
    if lo * n > total * (1 + TRIM_FEASIBLE_RTOL) or hi * n < total * (1 - TRIM_FEASIBLE_RTOL):
        raise DataError(
            f"trim bounds [{lo:g}, {hi:g}] cannot hold with total weight {total:g} over {n} rows; widen the "
            f"bounds so that they contain the mean weight {total / n:g}."
        )


def _warn_trim_unconverged(w: np.ndarray, active: np.ndarray, lo: float, hi: float) -> None:
    outside = active & ((w < lo) | (w > hi))
    if outside.any():
        warn(
            f"trim(strict=True) stopped after {MAX_TRIM_PASSES} passes with {int(outside.sum())} weights "
            f"still outside [{lo:g}, {hi:g}] ({format_rows((np.flatnonzero(outside) + 1).tolist())}); the "
            "redistribution oscillates. Widen the bounds.",
            ConvergenceWarning,
        )


def _check_trim_positive(w: np.ndarray, active: np.ndarray, lo: float, hi: float) -> None:
    bad = active & (w <= 0)
    if bad.any():
        raise DataError(
            f"trimming to [{lo:g}, {hi:g}] must leave every weight positive; spreading the trimmings "
            f"gives weight <= 0 to {format_rows((np.flatnonzero(bad) + 1).tolist())} (lowest "
            f"{w[bad].min():g}). Widen the bounds (raise upper or lower the lower bound), or pass strict=True."
        )
