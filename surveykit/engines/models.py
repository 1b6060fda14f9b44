"""Survey logistic regression in the engine: each Newton step is one aggregating query.

For the pseudo-likelihood of R ``svyglm(family = quasibinomial())`` a Newton step needs only
``X'WX`` and ``X'W(y - p)`` at the current coefficients, sums the engine computes in one pass
with ``p = expit(X b)`` evaluated in SQL; the design-based sandwich needs, at the converged
coefficients, one GROUP BY over the design cells (:func:`_meat`): with clusters, the cells'
totals of the score rows ``u = w x (y - p)``, passed through the one variance kernel
(:func:`surveykit.design.variance.design_vcov`); without clusters (every row its own PSU:
strata only, weights only, with or without fpc), also the cells' sums of ``u u'``, from which
the lazy means' per-stratum variance (:func:`surveykit.engines.strata._unclustered_vcov`, its
lonely-PSU policies; not ``"average"``) forms the meat. The df is ``degf - p + 1`` of the
complete rows with positive weight. The result's coefficient table is that of
:func:`surveykit.models.logistic`.

Covariates are numeric or categorical: ``C(x)``, or a text or boolean column given plainly, is
coded as a formula codes it (:func:`_model`): its levels are fetched from the complete rows with
positive weight (one ``SELECT DISTINCT``, at most ``MAX_LEVELS``) and ordered by
:func:`surveykit.models.categorical_levels`; the first is the reference and every other level
``v`` a column ``CASE WHEN x = ? THEN 1.0 ELSE 0.0 END`` with ``v`` a bound parameter (never SQL
text), named ``C(x)[T.v]`` (``x[T.v]`` for a plain column); categorical terms come first, as
patsy orders them. The model's columns are selected once, in a subquery, so each parameter
occurs once in a query.

On a replicate-weight design (:func:`replicate_logistic`, R ``svyglm.svyrep.design``) the
full-sample fit takes the steps of the in-memory one (:func:`surveykit.models._glm.fit_logistic`)
and every replicate is refitted from its coefficients by the in-memory IRLS
(:func:`surveykit.models.glm`, same stopping rule): one query per Newton step computes, for all
unconverged replicates at once, ``X'W_r p_r (1 - p_r) X``, ``X'W_r (y - p_r)`` and the
log-likelihood with ``p_r = expit(X b_r)`` in SQL (at most ``SETS_PER_QUERY`` replicates a
query). ``V`` is R ``svrVar`` of the replicate coefficients
(:func:`surveykit.design.replicate.replicate_vcov`) and the df R ``degf() - p + 1`` of the
complete rows (:func:`surveykit.engines.replicate.replicate_degf`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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

__all__ = ["logistic", "replicate_logistic"]

MAX_ITER = 50
TOL = 1e-10
SETS_PER_QUERY = 100  # weight sets (replicates) per aggregating query of a replicate refit
MAX_LEVELS = 100  # levels of one categorical covariate
_CATEGORICAL = re.compile(r"C\(\s*([^()]*?[^()\s])\s*\)")  # C(column), as in a formula


def logistic(lazy: LazySurvey, response: str, covariates: list[str], alpha: float) -> pd.DataFrame:
    """Coefficients of the survey logistic model of 0/1 *response* on *covariates* (a Taylor design)."""
    from surveykit.models import coef_frame

    scan, design = lazy.scan, lazy.design
    w = weight_sql(scan, design)
    model = _model(scan, response, covariates, w, positive=True)
    factor = _weight_factor(lazy)
    k = len(model.xs)
    beta = np.zeros(k)
    for iteration in range(1, MAX_ITER + 1):
        info, grad, _, _, bad, _ = _newton_sums(model, w, beta, factor, lazy, per_cell=False)
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
    info, _, scores, counts, _, cross = _newton_sums(model, w, beta, factor, lazy, per_cell=True,
                                                     squares=lazy._rd is None)  # fmt: skip
    bread = np.linalg.pinv(info)
    meat, degf = _meat(lazy, scores, counts, cross, factor)
    vcov = bread @ meat @ bread
    return coef_frame(model.names, beta, vcov, degf - k + 1, alpha)


def _meat(lazy: LazySurvey, scores: np.ndarray, counts: np.ndarray, cross: np.ndarray | None,
          factor: np.ndarray) -> tuple[np.ndarray, float]:  # fmt: skip
    """The sandwich's meat ``V(sum_i u_i)`` of the score rows ``u_i = w_i x_i (y_i - p_i)`` and R
    ``degf()`` of the complete rows with positive weight, from the per-cell sums of
    :func:`_newton_sums`: the score totals *scores*, the row counts *counts* and (without
    clusters) the sums *cross* of ``u u'`` (all before the cells' weight *factor*).

    With clusters, the cells' score totals go through :func:`surveykit.design.variance.design_vcov`.
    Without (every row its own PSU) the per-stratum variance of the rows is
    :func:`surveykit.engines.strata._unclustered_vcov` (``f_h n_h/(n_h-1) (sum u u' - T_h T_h'/n_h)``,
    the lonely-PSU policies as the means'), and the df the complete rows minus the strata holding
    them (:func:`surveykit.engines.strata._degf`)."""
    from surveykit.engines.strata import _degf, _unclustered_vcov

    if lazy._rd is not None:
        st = lazy._rd.stages[0]
        by_psu = np.bincount(st.psu, weights=counts, minlength=st.psu_stratum.shape[0]) > 0
        return design_vcov(scores * factor[:, None], lazy._rd), float(degf_present(by_psu[:, None], st.psu_stratum)[0])
    strata = lazy._strata_facts()
    assert cross is not None  # asked of _newton_sums exactly when there are no clusters
    meat = _unclustered_vcov(scores * factor[:, None], cross * (factor**2)[:, None, None], strata)
    return meat, float(_degf(counts[:, None, None], None, strata)[0, 0])


@dataclass(frozen=True)
class _Model:
    """The SQL of a lazy model: its columns (intercept first; ``?`` marks the bound *params*, in
    order), their coefficient names (those of :func:`surveykit.models.logistic`), the response
    and the complete-case filter (no parameters)."""

    scan: Any
    names: tuple[str, ...]
    xs: list[str]
    params: list[Any]
    y: str
    complete: str


def _model(scan: Any, response: str, covariates: list[str], w: str, positive: bool) -> _Model:
    """The model's SQL after checking its variables. A covariate ``C(x)``, or a column that is
    not numeric (text, dates) or is boolean, is categorical as in a formula of
    :func:`surveykit.models.logistic`: its levels are those of the complete rows with positive
    weight (one query), in the order of :func:`surveykit.models.categorical_levels`; the first is
    the reference and every other level ``v`` a column ``x = v`` (named ``C(x)[T.v]``, or
    ``x[T.v]`` for a plain column), the level a bound parameter, never SQL text. Categorical terms
    come before numeric ones, as patsy orders them. With *positive* the complete rows are
    those of positive weight (the Taylor fit); the replicate fits use every complete row."""
    terms = []  # (name, column, categorical?)
    for c in covariates:
        hit = _CATEGORICAL.fullmatch(c.strip())
        terms.append((f"C({hit.group(1)})", hit.group(1), True) if hit else (c, c, False))
    scan.check_columns([response, *(t[1] for t in terms)], "model variable")
    if not scan.is_numeric(response):
        raise DataError(
            f"model variable {response!r} must be numeric in a lazy model; got {scan.dtype(response)}. "
            "Recode the response to 0/1, or use the in-memory Survey."
        )
    complete = " AND ".join(f"{scan.q(c)} IS NOT NULL" for c in dict.fromkeys([response, *(t[1] for t in terms)]))
    fitted = f"{complete} AND {w} > 0"
    categorical = [t for t in terms if t[2] or not scan.is_numeric(t[1]) or _boolean(scan.dtype(t[1]))]
    names, xs, params = ["Intercept"], ["CAST(1 AS DOUBLE)"], []
    for name, column, _ in categorical:
        for v in _levels(scan, column, fitted)[1:]:
            names.append(f"{name}[T.{v}]")
            xs.append(f"CASE WHEN {scan.q(column)} = ? THEN 1.0 ELSE 0.0 END")
            params.append(v)
    for name, column, _ in (t for t in terms if t not in categorical):
        names.append(name)
        xs.append(f"CAST({scan.q(column)} AS DOUBLE)")
    y = f"CAST({scan.q(response)} AS DOUBLE)"
    return _Model(scan, tuple(names), xs, params, y, fitted if positive else complete)


def _boolean(dtype: str) -> bool:
    return dtype.upper() in ("BOOLEAN", "BOOL")


def _levels(scan: Any, column: str, where: str) -> tuple[Any, ...]:
    """The levels of *column* among the rows *where* holds, ordered as a formula orders them (a
    DuckDB ENUM, which a pandas Categorical becomes, in the order of its values, as its categories)."""
    from surveykit.models import categorical_levels

    enum = scan.dtype(column).upper().startswith("ENUM")
    got = scan.fetch(f"SELECT DISTINCT {scan.q(column)} AS v FROM {scan.table} WHERE {where}"
                     f"{' ORDER BY 1' if enum else ''} LIMIT {MAX_LEVELS + 1}")  # fmt: skip
    values = got.column("v").to_pylist()
    if len(values) > MAX_LEVELS:
        raise DataError(
            f"categorical covariate {column!r} must have at most {MAX_LEVELS} levels in a lazy model; got more. "
            "Merge levels, or use the in-memory Survey."
        )
    return tuple(values) if enum else categorical_levels(values)


def _weight_factor(lazy: LazySurvey) -> np.ndarray:
    return np.asarray(lazy._factor, dtype=float)


def _eta(xs: list[str], beta: np.ndarray) -> str:
    terms = " + ".join(f"({float(b)!r}) * {x}" for b, x in zip(beta, xs))
    return f"greatest(least({terms}, 700.0), -700.0)"


def _newton_sums(model: _Model, w_sql: str, beta: np.ndarray, factor: np.ndarray, lazy: LazySurvey, per_cell: bool,
                 squares: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, np.ndarray | None]:  # fmt: skip
    """One query at *beta*: ``X'WX`` with ``W = w p (1 - p)``, ``X'W(y - p)`` (weights times the
    cells' fpc-implied factor when the design has no weights column), and with *per_cell* also the
    score totals ``sum w (y - p) x`` and complete rows of every design cell (the sandwich's meat);
    then the number of complete rows whose response is not 0/1, and with *squares* (a design
    without clusters) the per-cell sums of ``u u'`` for the score rows ``u = w (y - p) x``
    (``(cells, k, k)``; None without). The model's columns are selected once, in a subquery (so
    each bound parameter occurs once)."""
    scan = model.scan
    xs, y, w = ["1.0", *(f"sk_x{j}" for j in range(1, len(model.xs)))], "sk_y", "sk_w"
    p = f"(1.0 / (1.0 + exp(-({_eta(xs, beta)}))))"
    k = len(xs)
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    parts = [f"sum({w} * {p} * (1.0 - {p}) * {xs[i]} * {xs[j]}) AS a{i}_{j}" for i, j in pairs]
    parts += [f"sum({w} * ({y} - {p}) * {xs[i]}) AS g{i}" for i in range(k)]
    if squares:
        parts += [f"sum({w} * {w} * ({y} - {p}) * ({y} - {p}) * {xs[i]} * {xs[j]}) AS s{i}_{j}" for i, j in pairs]
    parts += ["count(*) AS n", f"count(*) FILTER (WHERE {y} NOT IN (0, 1)) AS bad"]
    keys = [scan.q(c) for c in lazy._cells.keys]
    n_cells = len(lazy._cells.frame)
    grouped = bool(keys) and (per_cell or not lazy.design.weights)  # per cell: scores, or fpc-implied weights
    cols = [*(keys if grouped else []), f"{w_sql} AS sk_w", f"{model.y} AS sk_y"]
    cols += [f"{x} AS sk_x{j}" for j, x in enumerate(model.xs) if j]
    inner = f"(SELECT {', '.join(cols)} FROM {scan.table} WHERE {model.complete}) AS sk_m"
    if grouped:
        table = scan.fetch(f"SELECT {', '.join(keys + parts)} FROM {inner} GROUP BY {', '.join(keys)}",
                           model.params).to_pandas()  # fmt: skip
        cell = _cell_index(table, lazy)
    else:
        table = scan.fetch(f"SELECT {', '.join(parts)} FROM {inner}", model.params).to_pandas()
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
    cross = None
    if squares:
        cross = np.zeros((n_cells, k, k))
        s = table[[f"s{i}_{j}" for i, j in pairs]].fillna(0.0).to_numpy(float)
        ii, jj = np.array(pairs).T
        np.add.at(cross, (cell[:, None], ii[None, :], jj[None, :]), s)  # the upper triangle, then mirrored
        cross += np.transpose(np.triu(cross, 1), (0, 2, 1))
    return info, grad, scores, counts, int(table["bad"].sum()), cross


def _cell_index(table: pd.DataFrame, lazy: LazySurvey) -> np.ndarray:
    keys = list(lazy._cells.keys)
    index = lazy._cells.frame[keys].assign(**{CELL: np.arange(len(lazy._cells.frame))})
    return table[keys].merge(index, on=keys, how="left")[CELL].to_numpy(dtype=np.int64)


# --- replicate-weight designs ------------------------------------------------------------------


def replicate_logistic(lazy: LazySurvey, response: str, covariates: list[str], alpha: float) -> pd.DataFrame:
    """Coefficients of the survey logistic model on a replicate-weight design (R
    ``svyglm.svyrep.design``), as :func:`surveykit.models.logistic` computes them in memory.

    The full-sample fit follows :func:`surveykit.models._glm.fit_logistic` (Newton from 0 with
    step halving, its stopping rule); every replicate is then refitted from the full-sample
    coefficients by the IRLS of :func:`surveykit.models.glm` (its stopping rule: the relative
    change of the deviance), all replicates' Newton step in one query; ``V`` is R ``svrVar`` of
    the replicate coefficients (:func:`surveykit.design.replicate.replicate_vcov`, the variance
    of :func:`surveykit.models._inference.replicate_coef_vcov`) and ``df = degf - p + 1`` with
    ``degf`` the rank of the complete rows' replicate weights minus one
    (:func:`surveykit.engines.replicate.replicate_degf`)."""
    from surveykit.design.replicate import replicate_vcov
    from surveykit.engines.replicate import replicate_degf
    from surveykit.models import coef_frame

    scan, rep = lazy.scan, lazy._rep
    assert rep is not None  # called by LazySurvey.logistic for a replicate design
    w = weight_sql(scan, lazy.design)
    model = _model(scan, response, covariates, w, positive=False)
    beta = _full_fit(model, w, response)
    betas = _refits(model, rep.sql, beta, response)
    vcov = replicate_vcov(betas, rep.rd, beta)
    answered = f"CASE WHEN {model.complete} THEN 1.0 END"  # NULL where a model variable is
    degf = float(replicate_degf(scan, lazy.design, rep, [(answered, [])], (), (None,))[0][0, 0])
    return coef_frame(model.names, beta, vcov, degf - len(model.xs) + 1, alpha)


@dataclass(frozen=True)
class _Pass:
    """The sums of one query at coefficients ``betas`` ``(S, k)``, one set per weight: the
    log-likelihood, score ``X'W(y - p)`` and information ``X'W p (1 - p) X``, each on the weights
    rescaled to mean 1 over the complete rows (as the in-memory fits), and the rows' count."""

    ll: np.ndarray
    score: np.ndarray
    info: np.ndarray
    n: int
    bad: int


def _one_pass(model: _Model, weights: list[str], betas: np.ndarray) -> _Pass:
    """One aggregating query: for every weight expression ``w_s`` and its coefficients ``b_s``,
    ``eta_s = X b_s`` and ``p_s = expit(eta_s)`` per row (in SQL), then the sums of ``X'W_s X``
    terms, ``X'W_s (y - p_s)`` and the log-likelihood."""
    scan, xs = model.scan, model.xs
    k, n_sets = len(xs), len(weights)
    cols = [f"{model.y} AS sk_y", *(f"{x} AS sk_x{j}" for j, x in enumerate(xs) if j)]
    cols += [f"{w} AS sk_w{s}" for s, w in enumerate(weights)]
    inner = f"SELECT {', '.join(cols)} FROM {scan.table} WHERE {model.complete}"
    x = ["1.0", *(f"sk_x{j}" for j in range(1, k))]
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    # the products x_i x_j once per row, shared by every weight set's X'WX sums
    xx = {(i, j): f"sk_q{i}_{j}" if i else x[j] for i, j in pairs}
    products = [f"sk_x{i} * sk_x{j} AS sk_q{i}_{j}" for i, j in pairs if i]
    etas = [f"{_eta(x, betas[s])} AS sk_e{s}" for s in range(n_sets)] + products
    probs = [f"1.0 / (1.0 + exp(-sk_e{s})) AS sk_p{s}" for s in range(n_sets)]
    terms = [f"sk_w{s} * sk_p{s} * (1.0 - sk_p{s}) AS sk_v{s}" for s in range(n_sets)]
    terms += [f"sk_w{s} * (sk_y - sk_p{s}) AS sk_r{s}" for s in range(n_sets)]
    terms += [f"sk_w{s} * (sk_y * sk_e{s} - greatest(sk_e{s}, 0.0) - ln(1.0 + exp(-abs(sk_e{s})))) AS sk_l{s}"
              for s in range(n_sets)]  # fmt: skip

    def times(*names: str) -> str:
        return " * ".join(n for n in names if n != "1.0")

    parts = ["count(*) AS n", "count(*) FILTER (WHERE sk_y NOT IN (0, 1)) AS bad"]
    for s in range(n_sets):
        parts += [f"sum(sk_w{s}) AS w{s}", f"sum(sk_l{s}) AS l{s}"]
        parts += [f"sum({times(f'sk_v{s}', xx[i, j])}) AS a{s}_{i}_{j}" for i, j in pairs]
        parts += [f"sum({times(f'sk_r{s}', x[i])}) AS g{s}_{i}" for i in range(k)]
    sql = (
        f"SELECT {', '.join(parts)} FROM (SELECT *, {', '.join(terms)} FROM (SELECT *, {', '.join(probs)} "
        f"FROM (SELECT *, {', '.join(etas)} FROM ({inner}) AS sk_a) AS sk_b) AS sk_c) AS sk_d"
    )
    row = scan.fetch(sql, model.params).to_pylist()[0]
    n = int(row["n"])
    scale = np.array([float(row[f"w{s}"] or 0.0) / max(n, 1) for s in range(n_sets)])
    with np.errstate(all="ignore"):
        ll = np.array([float(row[f"l{s}"] or 0.0) for s in range(n_sets)]) / scale
        score = np.array([[float(row[f"g{s}_{i}"] or 0.0) for i in range(k)] for s in range(n_sets)]) / scale[:, None]
        info = np.zeros((n_sets, k, k))
        for i, j in pairs:
            info[:, i, j] = info[:, j, i] = [float(row[f"a{s}_{i}_{j}"] or 0.0) for s in range(n_sets)]
        info /= scale[:, None, None]
    return _Pass(ll, score, info, n, int(row["bad"] or 0))


def _passes(model: _Model, weights: list[str], betas: np.ndarray) -> _Pass:
    """:func:`_one_pass` in batches of at most ``SETS_PER_QUERY`` weight sets (one query each)."""
    if len(weights) <= SETS_PER_QUERY:
        return _one_pass(model, weights, betas)
    done = [_one_pass(model, weights[s : s + SETS_PER_QUERY], betas[s : s + SETS_PER_QUERY])
            for s in range(0, len(weights), SETS_PER_QUERY)]  # fmt: skip
    return _Pass(np.concatenate([d.ll for d in done]), np.concatenate([d.score for d in done]),
                 np.concatenate([d.info for d in done]), done[0].n, done[0].bad)  # fmt: skip


def _full_fit(model: _Model, w: str, response: str) -> np.ndarray:
    """The full-sample fit, step for step that of :func:`surveykit.models._glm.fit_logistic`."""
    from surveykit.models import ML_MAX_ITER, ML_TOL  # the in-memory fit's stopping rule, not a copy

    k = len(model.xs)
    beta = np.zeros(k)
    cur = _one_pass(model, [w], beta[None, :])
    if cur.n == 0 or not np.isfinite(cur.ll[0]):
        raise ModelError(f"logistic model of {response!r} needs complete rows with positive weight; got none.")
    if cur.bad:
        raise DataError(
            f"response {response!r} must be 0/1; got {cur.bad} other values. "
            "Recode it, e.g. as an indicator of the category of interest."
        )
    converged = False
    for _ in range(ML_MAX_ITER):
        step = np.linalg.lstsq(cur.info[0], cur.score[0], rcond=None)[0]
        factor = 1.0
        for _ in range(30):  # step halving until the log-likelihood does not decrease
            cand = _one_pass(model, [w], (beta + factor * step)[None, :])
            if np.isfinite(cand.ll[0]) and cand.ll[0] >= cur.ll[0] - 1e-12 * abs(cur.ll[0]):
                break
            factor /= 2.0
        else:
            break
        beta, change, cur = beta + factor * step, abs(cand.ll[0] - cur.ll[0]) / (abs(cand.ll[0]) + 0.1), cand
        if change < ML_TOL and np.max(np.abs(factor * step)) < 1e-7 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    if not converged:
        warn(f"lazy logistic model of {response!r} did not converge in {ML_MAX_ITER} iterations.", ConvergenceWarning)
    return beta


def _refits(model: _Model, weights: tuple[str, ...], beta: np.ndarray, response: str) -> np.ndarray:
    """``(R, k)``: every replicate's coefficients by the IRLS of :func:`surveykit.models.glm`
    (started at the full-sample *beta*, stopped when the relative change of the deviance is
    below its tolerance); each step of all unconverged replicates is one query."""
    from surveykit.models import IRLS_MAX_ITER, IRLS_TOL  # the in-memory refits' stopping rule

    n_rep = len(weights)
    betas = np.tile(beta, (n_rep, 1))
    dev_old = np.full(n_rep, np.inf)
    todo = np.arange(n_rep)
    cur = _passes(model, list(weights), betas)
    for _ in range(IRLS_MAX_ITER):
        try:
            steps = np.linalg.solve(cur.info, cur.score[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            raise ModelError(
                f"logistic model of {response!r} cannot be refitted with every replicate's weights: the "
                "covariates are linearly dependent in a replicate. Drop one of them."
            ) from None
        betas[todo] = betas[todo] + steps
        cur = _passes(model, [weights[r] for r in todo], betas[todo])
        dev = -2.0 * cur.ll
        with np.errstate(invalid="ignore"):
            done = np.abs(dev - dev_old[todo]) / (np.abs(dev) + 0.1) < IRLS_TOL
        dev_old[todo] = dev
        keep = ~done
        todo = todo[keep]
        if not todo.size:
            break
        cur = _Pass(cur.ll[keep], cur.score[keep], cur.info[keep], cur.n, cur.bad)
    else:
        warn(f"lazy logistic model of {response!r}: {todo.size} replicate refits did not converge in "
             f"{IRLS_MAX_ITER} iterations.", ConvergenceWarning)  # fmt: skip
    return betas
