"""Wald inference shared by the models: coefficient tables and term tests (as R survey)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import ModelError
from surveykit.estimate.intervals import crit
from surveykit.results import Printable, Summary, jsonable

__all__ = [
    "coef_frame",
    "wald",
    "TermTest",
    "numerical_guard",
    "check_finite_fit",
    "replicate_refit_vcov",
    "replicate_coef_vcov",
]

SINGULAR_FIX = (
    "Usual causes: (quasi-)complete separation (a predictor or category predicts the "
    "response (nearly) perfectly) or more parameters than informative rows. Drop or "
    "merge the terms or categories involved"
)


@contextmanager
def numerical_guard(what: str, formula: str) -> Iterator[None]:
    """Turn a numerical failure inside a fit (singular matrix) into a :class:`ModelError`.

    Parameters
    ----------
    what : str
        The model kind for the message, e.g. ``"logistic model"``.
    formula : str
        The model formula.
    """
    try:
        yield
    except np.linalg.LinAlgError as exc:
        raise ModelError(
            f"{what} {formula!r} cannot be estimated: a matrix of the fit is singular ({exc}). {SINGULAR_FIX}."
        ) from None


def check_finite_fit(what: str, formula: str, params: np.ndarray, vcov: np.ndarray) -> None:
    """Refuse estimates or covariances that overflowed to inf/NaN (:class:`ModelError`)."""
    if np.all(np.isfinite(params)) and np.all(np.isfinite(vcov)):
        return
    raise ModelError(
        f"{what} {formula!r} cannot be estimated: its estimates or their covariance "
        "overflowed (inf/NaN). Rescale predictors with huge values (e.g. thousands "
        f"instead of units) and check for extreme outliers. {SINGULAR_FIX}."
    )


COEF_COLUMNS = ("term", "estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio", "or_ci_low", "or_ci_high")


def coef_frame(names: tuple[str, ...], est: np.ndarray, vcov: np.ndarray, df: float, alpha: float) -> pd.DataFrame:
    """Estimates, SEs, t, two-sided p and CIs with a t reference on *df* degrees of freedom.

    As ``summary.svyglm`` (``2 * pt(-|t|, df)``) and ``confint.svyglm(method="Wald")``
    (``est +- qt(1 - alpha/2, df) * se``); all NaN when ``df <= 0``.
    """
    from scipy import stats

    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    if df > 0:
        p = 2.0 * stats.t.sf(np.abs(t), df)
        q = float(crit(alpha, df))  # the one t quantile (estimate.intervals)
    else:
        p = np.full_like(t, np.nan)
        q = np.nan
    lo, hi = est - q * se, est + q * se
    with np.errstate(over="ignore"):  # a diverged (separated) fit has odds ratios of inf
        ors = np.exp(est), np.exp(lo), np.exp(hi)
    return pd.DataFrame(
        {
            "term": list(names),
            "estimate": est,
            "se": se,
            "t": t,
            "p_value": p,
            "ci_low": lo,
            "ci_high": hi,
            "odds_ratio": ors[0],
            "or_ci_low": ors[1],
            "or_ci_high": ors[2],
        }
    )


@dataclass(frozen=True, slots=True)
class TermTest(Printable):
    """A design-based Wald test of ``L b = 0`` (R ``survey::regTermTest(method = "Wald")``).

    ``F = chisq / df`` is referred to F(df, ddf) with ``ddf`` the model's residual design df;
    the chi-square form (``regTermTest(..., df = Inf)``) is in ``chisq``, ``chisq_p_value``.
    """

    terms: tuple[str, ...]
    chisq: float
    df: int
    ddf: float
    F: float
    p_value: float
    chisq_p_value: float
    label: str = "Wald test"

    def to_dict(self) -> dict[str, Any]:
        return jsonable({k: getattr(self, k) for k in self.__slots__})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def summary(self) -> Summary:
        facts = (
            ("terms", ", ".join(self.terms)),
            ("F", f"{self.F:.4f} on {self.df} and {self.ddf:g} df"),
            ("p (F)", f"{self.p_value:.4g}"),
            ("chi-square", f"{self.chisq:.4f} on {self.df} df"),
            ("p (chi-square)", f"{self.chisq_p_value:.4g}"),
        )
        return Summary(title=self.label, facts=facts)


def wald(
    est: np.ndarray, vcov: np.ndarray, L: np.ndarray, ddf: float, terms: tuple[str, ...], label: str = "Wald test"
) -> TermTest:
    """Wald test of ``L est = 0`` with F and chi-square reference distributions."""
    from scipy import stats

    b = L @ est
    V = L @ vcov @ L.T
    try:
        chisq = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        raise ModelError(
            f"{label} of {', '.join(terms)} cannot be computed: the covariance of the "
            "tested coefficients is singular. " + SINGULAR_FIX + "."
        ) from None
    k = L.shape[0]
    F = chisq / k
    p_f = float(stats.f.sf(F, k, ddf)) if ddf > 0 else float("nan")
    return TermTest(
        terms=terms,
        chisq=chisq,
        df=k,
        ddf=float(ddf),
        F=F,
        p_value=p_f,
        chisq_p_value=float(stats.chi2.sf(chisq, k)),
        label=label,
    )


def replicate_coef_vcov(betas: np.ndarray, keep: np.ndarray, rd: Any, beta: np.ndarray) -> tuple[np.ndarray, int]:
    """R ``svrVar`` of replicate coefficients *betas* ``(R, k)`` around the full-sample *beta*
    (the centre when ``mse``), and R ``degf()`` of the complete-case design: the rank of the
    replicate weights of the complete rows with weight > 0, minus one."""
    from surveykit.design.replicate import rank_degf, replicate_vcov

    active = np.zeros(rd.n, bool)
    active[np.flatnonzero(keep)] = rd.weights[keep] > 0
    return replicate_vcov(betas, rd, beta), rank_degf(rd.repweights, active, rd.row_keys)


def replicate_rows(rd: Any, keep: np.ndarray) -> np.ndarray:
    """The replicate weights a model refits with: those of the complete rows (*keep*), zero on
    rows whose full-sample weight is 0. A domain (``Survey.domain``) sets the full-sample weights
    outside it to 0 and keeps the rows; R ``subset()`` of a replicate design drops them, so their
    replicate weights must not enter the refits (as every estimator, which counts only rows of
    positive weight)."""
    rep = rd.repweights if keep.all() else rd.repweights[keep]
    outside = rd.weights[keep] <= 0
    if outside.any():
        rep = np.where(outside[:, None], 0.0, rep)
    return rep


def replicate_refit_vcov(refit: Callable[[np.ndarray], np.ndarray], keep: np.ndarray, rd: Any,
                         beta: np.ndarray) -> tuple[np.ndarray, int]:  # fmt: skip
    """The one replicate variance of a model (R ``svyglm.svyrep.design``, ``svyolr.svyrep.design``):
    ``refit(w_r)`` returns the coefficients refitted with replicate *r*'s weights on the complete
    rows (``keep``); ``V`` is ``svrVar`` of them (:func:`replicate_coef_vcov`)."""
    rep = replicate_rows(rd, keep)
    betas = np.empty((rep.shape[1], beta.size))
    for r in range(rep.shape[1]):  # loop over replicates: one refit each, as R
        betas[r] = refit(np.ascontiguousarray(rep[:, r]))
    return replicate_coef_vcov(betas, keep, rd, beta)
