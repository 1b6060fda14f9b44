"""Inference for Firth fits from the penalised likelihood: profile CIs and penalised LR tests.

For a simple random sample with equal weights these are logistf's defaults (Heinze & Schemper
2002): the profile penalised-likelihood interval ``{c : 2 (pl(b^) - pl_j(c)) <= chi2_{1,1-a}}``
and the penalised likelihood-ratio test ``chisq = 2 (pl(b^) - pl_j(0))`` on 1 df, where
``pl_j(c)`` is the penalised log-likelihood maximised over the other coefficients with
``b_j = c``.

Under weights, strata or clusters the likelihood-ratio statistic is divided by a design effect
``d`` in the first-order Rao-Scott manner (as ``svyciprop(method = "likelihood")`` does for one
proportion): the interval becomes ``{c : 2 (pl(b^) - pl_j(c)) / d <= chi2}``, the test refers
``chisq / d`` to chi-square(1). ``d`` is the mean of the generalised design effects (the
eigenvalues of ``V_model^-1 V_design``, ``V_model = A^-1`` of the weights scaled to mean 1 and
``V_design`` the sandwich of the Firth estimating functions) over the coefficients *not* involved
in the separation: the sandwich of a separated coefficient collapses (its variance estimate is
far too small) and would make ``d`` meaningless. With no unseparated coefficient, ``d`` uses
every coefficient. ``d = 1`` exactly for an equal-weight simple random sample and for frequency
weights.
"""

from __future__ import annotations

import numpy as np

from surveykit.models._firth import _modified_scores, firth_step, penalised_log_lik

__all__ = ["ProfileInference", "profile_inference", "design_effect", "equal_weight_srs", "firth_table"]

NEWTON_TOL = 1e-11  # max |step| of the constrained Newton iterations
ROOT_TOL = 1e-11  # brentq xtol on the interval ends
MAX_EXPAND = 60  # doublings of the bracket before an end is declared unbounded


class ProfileInference:
    """Profile CIs (``ci_low``, ``ci_high``), LR chi-squares and p-values, one per coefficient."""

    __slots__ = ("ci_low", "ci_high", "chisq", "p_value", "deff")

    def __init__(self, ci_low, ci_high, chisq, p_value, deff):
        self.ci_low, self.ci_high, self.chisq, self.p_value, self.deff = (ci_low, ci_high, chisq, p_value, deff)


def _constrained(X, y, w, beta, j):
    """Maximise the penalised log-likelihood over every coefficient but ``j`` (held fixed)."""
    free = np.arange(beta.size) != j
    obj = penalised_log_lik(beta, X, y, w)
    for it in range(1, 201):
        step = firth_step(X, y, w, beta, it, free)
        factor = 1.0
        for _ in range(40):
            cand = beta + factor * step
            val = penalised_log_lik(cand, X, y, w)
            if np.isfinite(val) and val >= obj - 1e-12 * abs(obj):
                break
            factor /= 2.0
        else:
            break
        beta, obj = cand, val
        if np.max(np.abs(factor * step)) < NEWTON_TOL:
            break
    return obj, beta


def profile_inference(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, deff: float, alpha: float
) -> ProfileInference:
    """Profile penalised-likelihood CIs and penalised LR tests of every coefficient.

    *w* are the weights the fit used (scaled to mean 1, or frequency weights as given). An end
    that the penalised likelihood never crosses (rare: a flat profile) is +-inf.
    """
    from scipy import optimize, stats

    top = penalised_log_lik(beta, X, y, w)
    crit = deff * stats.chi2.ppf(1.0 - alpha, 1)
    _, info, inv, _ = _modified_scores(X, y, w, beta)
    se = np.sqrt(np.clip(np.diag(inv), 1e-300, None))
    k = beta.size
    lo, hi, chisq = np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):
        warm = {"b": beta.copy()}

        def gap(c, j=j, warm=warm):
            b = warm["b"].copy()
            b[j] = c
            val, b = _constrained(X, y, w, b, j)
            warm["b"] = b
            return 2.0 * (top - val) - crit

        ends = []
        for sign in (-1.0, 1.0):
            warm["b"] = beta.copy()
            step, inner = 2.0 * se[j] * np.sqrt(deff), beta[j]
            for _ in range(MAX_EXPAND):
                outer = beta[j] + sign * step
                if gap(outer) > 0:
                    break
                inner, step = outer, 2.0 * step
            else:
                ends.append(sign * np.inf)
                continue
            a, b = sorted((inner, outer))
            warm["b"] = beta.copy()
            ends.append(optimize.brentq(gap, a, b, xtol=ROOT_TOL, rtol=4 * np.finfo(float).eps))
        lo[j], hi[j] = ends
        zero = beta.copy()
        zero[j] = 0.0
        chisq[j] = max(2.0 * (top - _constrained(X, y, w, zero, j)[0]), 0.0)
    p = stats.chi2.sf(chisq / deff, 1)
    return ProfileInference(lo, hi, chisq, p, deff)


def design_effect(info_unit: np.ndarray, vcov: np.ndarray, separated: np.ndarray) -> float:
    """Mean generalised design effect over the coefficients not involved in the separation.

    ``info_unit`` is the information ``A`` of the weights scaled to mean 1 (so ``A^-1`` is the
    model-based variance of a sample of the observed size) and *vcov* the design sandwich.
    """
    keep = ~separated if (~separated).any() else np.ones_like(separated)
    sub = np.ix_(keep, keep)
    eig = np.linalg.eigvals(np.linalg.solve(np.linalg.inv(info_unit)[sub], vcov[sub]))
    d = float(np.mean(eig.real))
    if not np.isfinite(d) or d <= 0:
        from surveykit.errors import ModelError

        raise ModelError(
            f"the design effect for the Firth profile intervals must be a positive "
            f"number; got {d!r} (the design variance of the estimating functions "
            "is zero or undefined). Check the design: strata with a single PSU, "
            "certainty units or an fpc of 1 leave no sampling variance."
        )
    return d


def equal_weight_srs(md) -> bool:
    """One stage, one stratum, every complete row its own PSU, no fpc or calibration, equal
    positive weights: the design under which Firth inference is logistf's (``d = 1``)."""
    rd, w = md.rd, md.w
    pos = w[w > 0]
    return (
        len(rd.stages) == 1
        and md.n_strata == 1
        and md.n_psu == pos.size
        and not rd.has_fpc
        and not rd.calibrations
        and pos.size == w.size
        and float(np.ptp(pos)) <= 1e-12 * float(pos.max())
    )


CI_KIND_PROFILE = "profile penalised likelihood"
CI_KIND_PROFILE_DEFF = "profile penalised likelihood / design effect"
P_KIND_PLR = "penalised likelihood ratio"
P_KIND_PLR_DEFF = "penalised likelihood ratio / design effect"


def firth_table(coef, X, y, w_fit, beta, separated, deff, alpha):
    """The Firth coefficient table: profile CIs and penalised LR p-values in place of Wald's.

    ``ci_low``/``ci_high`` (and the odds-ratio ends) become the profile interval, ``p_value``
    the penalised LR test; ``ci_kind``/``p_kind`` name them; ``lr_chisq`` is the unscaled
    statistic; ``t`` is NaN for a coefficient involved in the separation (no Wald statistic).
    """
    prof = profile_inference(X, y, w_fit, beta, deff, alpha)
    out = coef.copy()
    out["ci_low"], out["ci_high"], out["p_value"] = prof.ci_low, prof.ci_high, prof.p_value
    with np.errstate(over="ignore"):
        out["or_ci_low"], out["or_ci_high"] = np.exp(prof.ci_low), np.exp(prof.ci_high)
    out.loc[separated, "t"] = np.nan
    scaled = deff != 1.0
    out["ci_kind"] = CI_KIND_PROFILE_DEFF if scaled else CI_KIND_PROFILE
    out["p_kind"] = P_KIND_PLR_DEFF if scaled else P_KIND_PLR
    out["lr_chisq"] = prof.chisq
    out["separated"] = separated
    return out
