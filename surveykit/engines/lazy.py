"""A survey whose data stay in the engine: :class:`LazySurvey` (built by ``sk.Survey(sk.scan(...), design)``).

The estimates are those of :mod:`surveykit.estimate` (same numbers, same :class:`Estimate`), made
from the per-cell sums of :mod:`surveykit.engines.aggregate`:

* with clusters, the design cells (finest clusters) are resolved as a design of their own and
  their linearised totals go through the one variance kernel,
  :func:`surveykit.design.variance.design_vcov` (R ``svyrecvar``), exactly as the rows would;
* without clusters (each row its own PSU), the per-stratum variance ``f_h n_h/(n_h-1) *
  (sum u^2 - (sum u)^2/n_h)`` is formed from sums of ``w^2`` terms.

Supported: ``mean``, ``total``, ``proportion`` (every interval method), ``crosstab`` (Rao–Scott
and Wald tests), ``by=`` domains, ``na="fail" | "drop"`` (SQL NULL is missing), and ``logistic``
with numeric and categorical (``C(x)``) covariates on Taylor designs (with or without clusters)
and replicate-weight designs (:mod:`surveykit.engines.models`).
Not (yet) lazy: calibrated weights, quantiles, ratios, other models, ``lonely_psu="average"``
without clusters; they need the in-memory Survey.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from surveykit._util.columns import as_names, check_alpha, check_choice
from surveykit.design import Design, Stage
from surveykit.design.replicate import ReplicateDesign, replicate_vcov
from surveykit.design.resolve import fpc_popsize
from surveykit.design.resolved import ResolvedDesign, check_lonely
from surveykit.design.variance import design_vcov
from surveykit.engines.aggregate import Sums, cells, sums, table_sums
from surveykit.engines.replicate import Replicates, replicate_degf, replicate_logit_se, replicate_moments, replicates
from surveykit.engines.strata import _degf, _Strata, _unclustered_vcov

if TYPE_CHECKING:
    from surveykit.engines.source import Scan

from surveykit.errors import DataError, DesignError
from surveykit.estimate.intervals import PROPORTION_METHODS, crit, proportion_ci
from surveykit.estimate.result import Estimate

__all__ = ["LazySurvey"]

_UNIT = "__surveykit_unit__"


class LazySurvey:
    """Design-based estimates on a :class:`~surveykit.engines.Scan` (data larger than memory).

    Build it as ``sk.Survey(sk.scan(path), sk.Design(...))``. Its verbs take the arguments of
    :func:`surveykit.estimate.mean`, :func:`~surveykit.estimate.total` and
    :func:`~surveykit.estimate.proportion` and return the same :class:`Estimate`, equal to the
    in-memory result (tests compare them to 1e-10).
    """

    __slots__ = ("scan", "design", "_cells", "_rd", "_factor", "_strata", "_rep")
    # exactly one of these is set: the cells resolved as a design (with clusters), the strata facts
    # (without), or the replicate weights (a ReplicateDesign)
    _rd: ResolvedDesign | None
    _strata: _Strata | None
    _rep: Replicates | None

    def __init__(self, scan: Scan, design: Design | None = None) -> None:
        if design is not None and not isinstance(design, Design):
            raise DesignError(f"design must be a surveykit.Design; got {type(design).__name__}.")
        design = design if design is not None else Design()
        self.scan, self.design = scan, design
        self._rd, self._strata, self._rep = None, None, None
        if isinstance(design, ReplicateDesign):
            self._rep, self._cells = replicates(scan, design)
            self._factor = np.ones(1)
            return
        self._cells = cells(scan, design)
        frame = self._cells.frame
        if design.ids:
            spec = dataclasses.replace(design, weights=_UNIT if design.weights else None)
            self._rd = spec.resolve(frame.assign(**{_UNIT: 1.0}))
            self._factor = np.ones(len(frame)) if design.weights else self._rd.weights.copy()
        else:
            self._strata = _unclustered(frame, design)
            self._factor = self._strata["weight"]

    # --- facts ----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self._cells.rows

    @property
    def n_strata(self) -> int:
        if self._rep is not None:
            return 0  # as the in-memory replicate Survey
        return int(self._rd.n_strata) if self._rd is not None else int(self._strata_facts()["n_h"].shape[0])

    @property
    def n_psu(self) -> int:
        if self._rep is not None:
            return 0
        return int(self._rd.n_psu_total) if self._rd is not None else self._cells.rows

    def __repr__(self) -> str:
        return (
            f"LazySurvey({self.scan.source}, n={self.n}, strata={self.n_strata}, psu={self.n_psu}, "
            f"design: {self.design.describe()})"
        )

    # --- verbs ----------------------------------------------------------------------------
    def mean(
        self,
        variables: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        na: Literal["fail", "drop"] = "fail",
        alpha: float = 0.05,
    ) -> Estimate:
        """Design-based mean (R ``svymean``/``svyby``), as :func:`surveykit.estimate.mean`."""
        return self._moment("mean", variables, by, na, alpha)

    def total(
        self,
        variables: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        na: Literal["fail", "drop"] = "fail",
        alpha: float = 0.05,
    ) -> Estimate:
        """Design-based total (R ``svytotal``), as :func:`surveykit.estimate.total`."""
        return self._moment("total", variables, by, na, alpha)

    def proportion(
        self,
        variables: str | Sequence[str],
        *,
        level: Any = None,
        by: str | Sequence[str] | None = None,
        ci_method: str = "logit",
        na: Literal["fail", "drop"] = "fail",
        alpha: float = 0.05,
    ) -> Estimate:
        """Proportion per level with an interval (R ``svyciprop``), as :func:`surveykit.estimate.proportion`."""
        check_choice("ci_method", ci_method, PROPORTION_METHODS)
        names = as_names(variables, "variables")
        exprs, keys = [], []
        for v in names:
            self.scan.check_columns([v], "variable")
            for lv in self._levels(v, level):
                exprs.append((f"CAST({self.scan.q(v)} = ? AS DOUBLE)", [lv]))
                keys.append((v, lv))
        if self._rep is not None and ci_method == "likelihood":
            raise DesignError(
                'ci_method="likelihood" is not available on replicate-weight designs (R svyciprop returns NA '
                'there). Use "logit" (replicate refits, as R), "xlogit", "beta", "asin" or "mean".'
            )
        st, dom_keys, by_cols = self._stats("proportion", exprs, by, na, alpha)
        n_rows = st["n"] + st["n_missing"]
        w_glm = n_rows * st["weighted_n"] / (st["weighted_n"] + st["w_missing"])
        shape = st["estimate"].shape
        flat = [np.ravel(np.asarray(a, dtype=float)) for a in (st["estimate"], st["se"], st["df_domain"], n_rows,
                                                              st["n"], w_glm)]  # fmt: skip
        if self._rep is not None and ci_method == "logit":  # R refits svyglm per replicate: logit(p_r)
            flat[1] = np.ravel(replicate_logit_se(st["thetas"], self._rep, st["estimate"]))
        low, high = proportion_ci(ci_method, flat[0], flat[1], alpha, flat[2], flat[3], flat[4], flat[5])
        low, high = low.reshape(shape), high.reshape(shape)
        label = "normal" if ci_method == "wald" else "t, design df"
        return self._result("proportion", keys, dom_keys, by_cols, st, low, high, st["df_domain"],
                            "Taylor linearisation (mean of indicator)", f"{ci_method} ({label})", alpha)  # fmt: skip

    def crosstab(self, row: str, col: str, *, alpha: float = 0.05, wald: bool = True) -> Any:
        """Two-way table with Rao–Scott tests (R ``svychisq``), as :func:`surveykit.tables.crosstab`."""
        from surveykit.tables import assemble_crosstab

        check_alpha(alpha)
        self.scan.check_columns([row, col], "crosstab variable")
        rep = self._rep
        table, cell = table_sums(self.scan, self.design, self._cells, row, col, rep.sql if rep is not None else ())
        rl, cl = sorted(table[row].unique().tolist()), sorted(table[col].unique().tolist())
        if len(rl) < 2 or len(cl) < 2:
            raise DataError(
                f"crosstab variables {row!r} and {col!r} must each have at least 2 valid levels; got "
                f"{len(rl)} and {len(cl)}. Choose variables that vary in this base."
            )
        nr, nc = len(rl), len(cl)
        k = table[row].map({v: i for i, v in enumerate(rl)}).to_numpy(np.int64) + nr * table[col].map(
            {v: j for j, v in enumerate(cl)}
        ).to_numpy(np.int64)
        counts = np.bincount(k, weights=table["n"].to_numpy(float), minlength=nr * nc).astype(np.int64)
        facts = {"n_strata": self.n_strata, "n_psu": self.n_psu}
        if rep is not None:  # R svychisq.svyrep.design: replicate cell totals from the same query
            t = np.bincount(k, weights=table["sw"].to_numpy(float), minlength=nr * nc)
            reps = np.stack(
                [np.bincount(k, weights=table[f"r{j}"].to_numpy(float), minlength=nr * nc) for j in range(len(rep.sql))]
            )
            nu = int(replicate_degf(self.scan, self.design, rep, [("1", [])], (), (None,))[1][0, 0])
            return assemble_crosstab(
                row, col, rl, cl, counts, t, replicate_vcov(reps, rep.rd, t), nu, self._cells.positive, ({}, {}),
                wald=wald, alpha=alpha, facts=facts, method=self._rep_method(), reps=reps, rd=rep.rd,
            )  # fmt: skip
        factor = self._factor[cell]
        n_cells = len(self._cells.frame)
        u = np.zeros((n_cells, nr * nc))
        np.add.at(u, (cell, k), table["sw"].to_numpy(float) * factor)
        t = u.sum(axis=0)
        if self._rd is not None:
            v = design_vcov(u, self._rd)
            nu = int(self._rd.degf)
        else:
            sq = np.zeros((n_cells, nr * nc))
            np.add.at(sq, (cell, k), table["sww"].to_numpy(float) * factor**2)
            strata = self._strata_facts()
            v = _unclustered_vcov(u, sq, strata)
            nu = int(strata["n_h"].sum() - strata["n_h"].shape[0])
        return assemble_crosstab(
            row,
            col,
            rl,
            cl,
            counts,
            t,
            v,
            nu,
            self._cells.positive,
            ({}, {}),
            wald=wald,
            alpha=alpha,
            facts=facts,
            method="Taylor linearisation in the engine",
        )

    def logistic(self, response: str, covariates: str | Sequence[str], *, alpha: float = 0.05) -> Any:
        """Survey logistic regression of a 0/1 *response* on *covariates* (R ``svyglm``,
        quasibinomial), Newton steps in the engine; the coefficient table of
        :func:`surveykit.models.logistic` (``term, estimate, se, t, p_value, ci_low, ci_high, odds_ratio, ...``).
        Taylor designs with or without clusters (sandwich variance) and replicate-weight designs (R
        ``svyglm.svyrep.design``: every replicate refitted, one query per Newton step for all of them).
        A covariate is a numeric column, or categorical as in a formula: ``"C(x)"``, or a text or
        boolean column ``"x"`` (terms ``C(x)[T.b]`` / ``x[T.b]``, the first level the reference)."""
        from surveykit.engines.models import logistic, replicate_logistic

        check_alpha(alpha)
        names = as_names(covariates, "covariates")
        if self._rep is not None:
            return replicate_logistic(self, response, names, alpha)
        return logistic(self, response, names, alpha)

    # --- machinery ------------------------------------------------------------------------
    def _rep_method(self) -> str:
        assert self._rep is not None
        return f"replicate weights ({self._rep.rd.type}, {len(self._rep.names)} replicates)"

    def _strata_facts(self) -> _Strata:
        """The strata facts of a design without clusters, for code reached only when ``_rd`` is None."""
        assert self._strata is not None, "a LazySurvey holds _strata exactly when it has no _rd"
        return self._strata

    def _levels(self, v: str, level: Any) -> list[Any]:
        if level is not None:
            hits = self.scan.fetch(f"SELECT count(*) AS c FROM {self.scan.table} WHERE {self.scan.q(v)} = ?", [level])
            if not hits.column("c").to_pylist()[0]:
                raise DataError(
                    f"level must be a value of {v!r}; got {level!r}, which no row holds. Pass one of its values."
                )
            return [level]
        got = self.scan.fetch(f"SELECT DISTINCT {self.scan.q(v)} AS v FROM {self.scan.table} WHERE {self.scan.q(v)} IS NOT NULL "
                              f"ORDER BY 1 LIMIT 10001").column("v").to_pylist()  # fmt: skip
        if len(got) > 10000:
            raise DataError(
                f"variable {v!r} must have at most 10000 levels for proportion(); got more. "
                "Pass level= for the one level wanted."
            )
        if self.scan.is_numeric(v) and set(got) <= {0, 1}:
            return [1]
        return got

    def _moment(self, kind: str, variables: Any, by: Any, na: str, alpha: float) -> Estimate:
        names = as_names(variables, "variables")
        for v in names:
            self.scan.check_columns([v], "variable")
            if not self.scan.is_numeric(v):
                raise DataError(
                    f"variable {v!r} must be numeric for {kind}(); got {self.scan.dtype(v)}. "
                    "Use proportion() for a categorical variable."
                )
        exprs: list[tuple[str, list[Any]]] = [(self.scan.q(v), []) for v in names]
        st, dom_keys, by_cols = self._stats(kind, exprs, by, na, alpha)
        t = crit(alpha, np.inf)
        low, high = st["estimate"] - t * st["se"], st["estimate"] + t * st["se"]
        return self._result(kind, [(v, None) for v in names], dom_keys, by_cols, st, low, high, st["df"],
                            f"Taylor linearisation ({kind})", "normal", alpha)  # fmt: skip

    def _stats(self, kind: str, exprs: list[tuple[str, list[Any]]], by: Any, na: str,
               alpha: float) -> tuple[dict[str, np.ndarray], tuple[Any, ...], tuple[str, ...]]:  # fmt: skip
        check_alpha(alpha)
        check_choice("na", na, ("fail", "drop"))
        by_cols = tuple(as_names(by, "by")) if by is not None else ()
        self.scan.check_columns(by_cols, "by")
        reps = self._rep.sql if self._rep is not None else ()
        squares = self._rd is None and self._rep is None
        s = sums(self.scan, self.design, self._cells, exprs, by_cols, squares_of_weights=squares, replicates=reps)
        if na == "fail" and s.missing.sum() > 0:
            j = int(np.flatnonzero(s.missing.sum(axis=(0, 1)))[0])
            raise DataError(
                f"variable {exprs[j][0]} must have no missing values in the estimand; got "
                f"{int(s.missing[:, :, j].sum())} missing. Pass na='drop' to leave them out."
            )
        if self._rep is not None:
            degf = replicate_degf(self.scan, self.design, self._rep, exprs, by_cols, s.domain_keys)
            return replicate_moments(kind, s, self._rep, degf), s.domain_keys, by_cols
        return _moments(kind, s, self._factor, self._rd, self._strata), s.domain_keys, by_cols

    def _result(self, kind: str, keys: list[tuple[str, Any]], dom_keys: tuple[Any, ...], by: tuple[str, ...],
                st: dict[str, np.ndarray], low: np.ndarray, high: np.ndarray, df: np.ndarray, method: str,
                ci_method: str, alpha: float) -> Estimate:  # fmt: skip
        d = len(dom_keys)

        def flat(a: np.ndarray) -> np.ndarray:  # (D, k) -> variable-major rows
            return np.asarray(a).T.reshape(-1)

        with np.errstate(all="ignore"):
            cv = flat(st["se"]) / flat(st["estimate"])
        return Estimate(
            statistic=kind, variable=tuple(v for v, _ in keys for _ in range(d)),
            domain=tuple(dom_keys) * len(keys), level=tuple(lv for _, lv in keys for _ in range(d)),
            label=(None,) * (len(keys) * d), estimate=flat(st["estimate"]), se=flat(st["se"]),
            ci_low=flat(low), ci_high=flat(high), df=flat(df), deff=flat(st["deff"]), cv=cv, n=flat(st["n"]),
            weighted_n=flat(st["weighted_n"]), ci_method=ci_method,
            method=(self._rep_method() if self._rep is not None else method) + " in the engine",
            alpha=float(alpha), n_strata=self.n_strata, n_psu=self.n_psu, by=by,
        )  # fmt: skip


def _unclustered(frame: Any, design: Design) -> _Strata:
    """Strata facts of a design without clusters (every row a PSU): codes per cell, ``n_h``,
    ``f_h`` and the weight implied by the fpc when no weights are given (R ``as.fpc``)."""
    if design.strata:
        strata_values = frame[design.strata].to_numpy()
        labels, code = np.unique(
            strata_values.astype(str) if strata_values.dtype == object else strata_values, return_inverse=True
        )
    else:
        labels, code = np.array([1]), np.zeros(len(frame), np.int64)
    code = np.asarray(code, np.int64).reshape(-1)
    n_str = len(labels)
    n_h = np.bincount(code, weights=frame["__rows"].to_numpy(dtype=float), minlength=n_str)
    f_h, weight_h = np.ones(n_str), np.ones(n_str)
    if design.fpc:  # the in-memory rule (R as.fpc): population sizes or sampling fractions, constant per stratum
        pop_h = fpc_popsize(frame[design.fpc[0]].to_numpy(), design.fpc[0], code, n_h)
        f_h, weight_h = 1 - n_h / pop_h, pop_h / n_h
    stage = Stage(
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        n_h.astype(np.int64),
        f_h,
        np.zeros(n_str, np.int64),
        np.ones(1),
        tuple(labels.tolist()),
    )
    if design.lonely_psu == "average" and np.any(n_h == 1):
        raise DesignError(
            'lonely_psu="average" needs the in-memory Survey for a design without clusters; '
            "read the data with sk.read, or choose another lonely_psu policy."
        )
    check_lonely((stage,), design.lonely_psu)
    return {"code": code, "n_h": n_h, "f_h": f_h, "weight": weight_h[code] if not design.weights else np.ones(len(frame)),
            "single": n_h == 1, "policy": design.lonely_psu}  # fmt: skip


def _moments(
    kind: str, s: Sums, factor: np.ndarray, rd: ResolvedDesign | None, strata: _Strata | None
) -> dict[str, np.ndarray]:
    """Estimates, SEs, design effects, counts and df (each ``(D, k)``) from the per-cell sums.

    Exactly one of *rd* (with clusters) and *strata* (without) is given, as a :class:`LazySurvey` holds them."""
    f = factor[:, None, None]
    w, wy, wyy = s.w * f, s.wy * f, s.wyy * f
    big_n = w.sum(axis=0)
    n = s.count.sum(axis=0)
    with np.errstate(all="ignore"):
        ybar = wy.sum(axis=0) / big_n  # shifted
        if kind == "total":
            est = wy.sum(axis=0) + s.shift * big_n
            a = est / big_n - s.shift  # centre of z = y in shifted units
            u = wy + s.shift * w  # cell totals of w y
            ss = (wyy - 2 * a * wy + a**2 * w).sum(axis=0)
            scale_u = np.ones_like(big_n)
        else:
            est = ybar + s.shift
            u = (wy - ybar * w) / big_n  # cell totals of w (y - ybar) / N
            ss = (wyy - 2 * ybar * wy + ybar**2 * w).sum(axis=0) / big_n**2
            scale_u = 1 / big_n
    var = _variance(u, s, f, ybar if kind != "total" else -s.shift * np.ones_like(ybar), scale_u, rd, strata)
    se = np.sqrt(np.clip(var, 0, None))
    nf = n.astype(float)
    with np.errstate(all="ignore"):
        s2 = ss / big_n * nf / (nf - 1)
        fac = np.where(big_n < nf, np.nan, (big_n - nf) / big_n)
        deff = se**2 / (big_n**2 * s2 * fac / nf)
    df = _degf(s.count, rd, strata)
    df_domain = _degf(s.count + s.missing, rd, strata)
    return {
        "estimate": est,
        "se": se,
        "deff": deff,
        "n": n,
        "weighted_n": big_n,
        "df": df,
        "df_domain": df_domain,
        "n_missing": s.missing.sum(axis=0),
        "w_missing": (s.w_missing * f).sum(axis=0),
    }


def _variance(u: np.ndarray, s: Sums, f: np.ndarray, centre: np.ndarray, scale_u: np.ndarray,
              rd: ResolvedDesign | None, strata: _Strata | None) -> np.ndarray:  # fmt: skip
    """Diagonal design variance ``(D, k)`` of the sums of the linearised values."""
    n_cells, d, k = u.shape
    if rd is not None:
        flat = np.nan_to_num(u.reshape(n_cells, d * k), nan=0.0, posinf=0.0, neginf=0.0)
        return np.diag(design_vcov(flat, rd)).reshape(d, k)
    # every row its own PSU: per stratum, sum of squares of u minus its squared total over n_h
    # without rd the strata are given, and the sums carry the w^2 terms (squares_of_weights)
    assert strata is not None and s.ww is not None and s.wwy is not None and s.wwyy is not None
    ff = f**2
    ww, wwy, wwyy = s.ww * ff, s.wwy * ff, s.wwyy * ff
    with np.errstate(all="ignore"):
        q = (wwyy - 2 * centre * wwy + centre**2 * ww) * scale_u**2  # sum of u^2 per cell
    code, n_h, f_h, single = strata["code"], strata["n_h"], strata["f_h"], strata["single"]
    n_str = n_h.shape[0]
    t_h = np.zeros((n_str, d, k))
    q_h = np.zeros((n_str, d, k))
    np.add.at(t_h, code, np.nan_to_num(u))
    np.add.at(q_h, code, np.nan_to_num(q))
    policy_single = np.where(single, 0.0, 1.0)[:, None, None]
    centred = q_h - t_h**2 / np.maximum(n_h, 1)[:, None, None]
    scale = np.where(single, f_h, f_h * n_h / np.maximum(n_h - 1, 1))
    scale = np.where(f_h < 1e-7, 0.0, scale)[:, None, None]
    lone = _lonely_term(q_h, single, strata)
    return (scale * centred * policy_single).sum(axis=0) + lone


def _lonely_term(q_h: np.ndarray, single: np.ndarray, strata: _Strata) -> np.ndarray:
    """R ``lonely.psu="adjust"``: a lone PSU's total measured from 0 (the grand mean of the u)."""
    policy = strata.get("policy")
    if policy != "adjust" or not single.any():
        return np.zeros(q_h.shape[1:])
    f_h = strata["f_h"]
    return (np.where(single & (f_h >= 1e-7), f_h, 0.0)[:, None, None] * q_h).sum(axis=0)
