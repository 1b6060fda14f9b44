"""Survey multinomial (baseline-category) logistic regression with design-based SEs.

``log P(Y = k) / P(Y = ref) = x' b_k`` for every category ``k != ref``. The estimate maximises
the weighted log-likelihood ``sum_i w_i log p_{i, y_i}`` (as ``nnet::multinom(weights = w)``);
the variance is the sandwich ``A^-1 B A^-1`` of svyglm: ``A`` the weighted information and
``B`` the design variance (``svyrecvar``) of the estimating-function rows
``u_i = w_i (y_ik - p_ik) x_i``. Parameters are category-major: all terms of the first
non-reference category, then the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from surveykit._util.warn import warn as warn_user
from surveykit.errors import ConvergenceWarning, ModelError, closest
from surveykit.estimate.intervals import crit
from surveykit.models._fitdesign import check_response_varies, check_survey, model_design, sandwich
from surveykit.models._formula import model_frame, rebuild_matrix, response_levels
from surveykit.models._glm import ETA_LIMIT, separation_direction
from surveykit.models._inference import check_finite_fit, coef_frame, numerical_guard
from surveykit.models._margins import average_effects, scenarios
from surveykit.models._results import MarginalEffects, ModelBase, term_label, with_inference
from surveykit.models._threads import single_thread_blas
from surveykit.results import Printable, Summary

__all__ = ["multinomial", "MultinomialResult"]

MAX_ITER = 100
STEP_TOL = 1e-11  # max |Newton step| relative to 1 + max |b| at which the fit stops
WALD_CI = "Wald (t, residual design df)"


def _probs(B: np.ndarray, X: np.ndarray) -> np.ndarray:
    """n x K probabilities, reference category first (its linear predictor is 0)."""
    eta = np.column_stack((np.zeros(X.shape[0]), X @ B))
    eta -= eta.max(axis=1, keepdims=True)
    e = np.exp(eta)
    return e / e.sum(axis=1, keepdims=True)


def _loglik(B, X, Y, w) -> float:
    with np.errstate(divide="ignore"):
        return float(w @ np.log(np.sum(_probs(B, X) * Y, axis=1)))


def _info(X, P, w) -> np.ndarray:
    p, q = X.shape[1], P.shape[1] - 1
    A = np.empty((p * q, p * q))
    for k in range(q):
        for m in range(q):
            v = w * P[:, k + 1] * (float(k == m) - P[:, m + 1])
            A[k * p : (k + 1) * p, m * p : (m + 1) * p] = (X * v[:, None]).T @ X
    return A


def _scores(X, Y, P, w) -> np.ndarray:
    return np.hstack([X * (w * (Y[:, k] - P[:, k]))[:, None] for k in range(1, Y.shape[1])])


def fit_multinomial(X: np.ndarray, Y: np.ndarray, w: np.ndarray):
    """Newton-Raphson with step halving; weights scaled to mean 1 for the iterations."""
    scale = w.mean()
    ws = w / scale
    p, q = X.shape[1], Y.shape[1] - 1
    b = np.zeros(p * q)
    ll = _loglik(b.reshape(q, p).T, X, Y, ws)
    converged, it = False, 0
    for it in range(1, MAX_ITER + 1):
        P = _probs(b.reshape(q, p).T, X)
        step = np.linalg.lstsq(_info(X, P, ws), _scores(X, Y, P, ws).sum(axis=0), rcond=None)[0]
        factor = 1.0
        for _ in range(30):
            new_ll = _loglik((b + factor * step).reshape(q, p).T, X, Y, ws)
            if np.isfinite(new_ll) and new_ll >= ll - 1e-12 * abs(ll):
                break
            factor /= 2.0
        b, ll = b + factor * step, new_ll
        if np.max(np.abs(factor * step)) < STEP_TOL * (1.0 + np.max(np.abs(b))):
            converged = True
            break
    B = b.reshape(q, p).T
    P = _probs(B, X)
    return SimpleNamespace(
        beta=b, B=B, P=P, info=_info(X, P, w), scores=_scores(X, Y, P, w), converged=converged, iterations=it, eta=X @ B
    )


@dataclass(frozen=True, slots=True)
class MultinomialResult(ModelBase, Printable):
    """A fitted survey multinomial logit.

    ``coef``: ``outcome, term, estimate, se, t, p_value, ci_low, ci_high, rrr, rrr_ci_low,
    rrr_ci_high, ci_kind`` with ``rrr = exp(b)`` the relative-risk ratio of ``outcome`` against
    ``reference``. ``df_resid = degf - (number of coefficients) + 1`` (svyglm's rule with every
    coefficient of every equation counted).
    """

    levels: tuple[str, ...] = ()
    reference: str = ""

    @property
    def _order(self) -> list[int]:
        """Positions of the original levels in the internal (reference-first) order."""
        internal = [self.reference] + [lv for lv in self.levels if lv != self.reference]
        return [internal.index(lv) for lv in self.levels]

    def _prob_fn(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        q = len(self.levels) - 1
        return _probs(params.reshape(q, X.shape[1]).T, X)[:, self._order]

    def _slope_fn(self, params: np.ndarray, X: np.ndarray, dX: np.ndarray) -> np.ndarray:
        q = len(self.levels) - 1
        B = params.reshape(q, X.shape[1]).T
        P = _probs(B, X)
        deta = np.column_stack((np.zeros(X.shape[0]), dX @ B))
        return (P * (deta - np.sum(P * deta, axis=1, keepdims=True)))[:, self._order]

    def predict(self, new_data: pd.DataFrame | None = None) -> pd.DataFrame:
        """Predicted probability of every category (one column per level; rows sum to 1).

        R equivalent: ``predict(multinom_fit, newdata, type = "probs")``.
        """
        X = rebuild_matrix(self._mf, self._data if new_data is None else new_data)
        return pd.DataFrame(self._prob_fn(self.params, X), columns=list(self.levels))

    def predict_se(self, new_data: pd.DataFrame | None = None) -> pd.DataFrame:
        """Predicted probabilities with delta-method design-based SEs, long format:
        ``row, outcome, estimate, se, ci_low, ci_high`` (t on the residual design df, CIs
        clipped to [0, 1]).

        ``dp_k / db_m = p_k (1[k = m] - p_m) x`` for every non-reference category ``m``.
        """

        X = rebuild_matrix(self._mf, self._data if new_data is None else new_data)
        q, p = len(self.levels) - 1, X.shape[1]
        P = _probs(self.params.reshape(q, p).T, X)
        q_t = float(crit(self.alpha, self.df_resid)) if self.df_resid > 0 else np.nan
        frames = []
        for lv, k in zip(self.levels, self._order):
            G = np.hstack([X * (P[:, k] * (float(k == m) - P[:, m]))[:, None] for m in range(1, q + 1)])
            se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", G, self.vcov, G), 0.0, None))
            est = P[:, k]
            frames.append(
                pd.DataFrame(
                    {
                        "row": np.arange(X.shape[0]),
                        "outcome": lv,
                        "estimate": est,
                        "se": se,
                        "ci_low": np.clip(est - q_t * se, 0.0, 1.0),
                        "ci_high": np.clip(est + q_t * se, 0.0, 1.0),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True).sort_values(["row"], kind="stable").reset_index(drop=True)

    def marginal_effects(self) -> MarginalEffects:
        """AMEs on the probability of each category (``outcome`` column), delta-method SEs."""
        scs = scenarios(self._mf, self._data)
        frame = average_effects(
            self.params,
            self.vcov,
            self._mf.X,
            self._w,
            scs,
            self._prob_fn,
            self._slope_fn,
            tuple(f"P({lv})" for lv in self.levels),
        )
        return MarginalEffects(
            frame=with_inference(frame, self.df_resid, self.alpha),
            df=self.df_resid,
            alpha=self.alpha,
            method="average marginal effects per category, delta-method design SEs",
        )

    def _param_index(self, columns) -> np.ndarray:
        return np.flatnonzero(self.coef["term"].isin(list(columns)).to_numpy())

    def forest_frame(self) -> pd.DataFrame:
        """Relative-risk ratios: ``outcome, term, label, or, ci_low, ci_high, p_value``."""
        c = self.coef[self.coef["term"] != "Intercept"]
        return pd.DataFrame(
            {
                "outcome": c["outcome"],
                "term": c["term"],
                "label": [f"{o}: {term_label(t)}" for o, t in zip(c["outcome"], c["term"])],
                "or": c["rrr"],
                "ci_low": c["rrr_ci_low"],
                "ci_high": c["rrr_ci_high"],
                "p_value": c["p_value"],
            }
        ).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        out = self._base_dict()
        out.update(levels=list(self.levels), reference=self.reference)
        return out

    def summary(self) -> Summary:
        facts = self._facts() + (("levels", ", ".join(self.levels)), ("reference", self.reference))
        return Summary(
            title="Survey multinomial logistic regression",
            facts=facts,
            table=self.coef[["outcome", "term", "estimate", "se", "t", "p_value", "ci_low", "ci_high", "rrr"]],
            notes=self.notices,
        )


def _reference(reference: Any, levels: tuple[str, ...], response: str) -> str:
    if reference is None:
        return levels[0]
    if isinstance(reference, (int, float)) and not isinstance(reference, bool):
        ref = f"{reference:g}"
    else:
        ref = str(reference)
    if ref not in levels:
        raise ModelError(
            f"reference must be a level of the response {response!r} among the "
            f"complete rows ({', '.join(levels)}); got {reference!r}."
            + closest(ref, levels)
            + " Pass one of the levels as printed."
        )
    return ref


def _check_separation(fit, X, codes, w, internal, columns, formula) -> None:
    """Refuse a fit that diverges because some category is perfectly predicted (ModelError)."""
    if fit.converged and not np.any((np.abs(fit.eta) > ETA_LIMIT).any(axis=1) & (w > 0)):
        return
    for k in range(1, len(internal)):
        rows = (codes == 0) | (codes == k)
        d = separation_direction(X[rows], (codes[rows] == k).astype(float), w[rows])
        if d is not None:
            terms = [c for c, v in zip(columns, d) if abs(v) > 1e-7]
            raise ModelError(
                f"multinomial model {formula!r} shows (quasi-)complete separation: category "
                f"{internal[k]!r} against the reference {internal[0]!r} is perfectly predicted "
                f"by {', '.join(terms)}; the estimates do not exist. Merge sparse categories of the "
                "response or of those predictors, or drop the term."
            )


def multinomial(svy: Any, formula: str, *, reference: Any = None, alpha: float = 0.05) -> MultinomialResult:
    """Survey-weighted multinomial (baseline-category) logit with design-based SEs.

    Parameters
    ----------
    svy : Survey
    formula : str
        Model formula (surveykit's parser, never run as Python), e.g. ``"product ~ age + C(region)"``;
        the response is a categorical or numeric column with at least 3 levels.
    reference : level or None
        The baseline category; None takes the first level (sorted values, or the category
        order of a pandas Categorical), as ``nnet::multinom``.
    alpha : float
        1 - confidence level of the Wald intervals (t on the residual design df).

    Returns
    -------
    MultinomialResult

    Notes
    -----
    R equivalent: the coefficients of ``nnet::multinom(formula, data, weights = w)`` (weighted
    pseudo-MLE); the SEs of the svyglm sandwich built from its estimating functions with
    ``survey::svyrecvar`` (see tests/golden/r/multinom.R). R survey has no multinomial model.
    Rows with a missing model variable get weight 0, as in :func:`logistic`.
    """
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0.0 < alpha < 1.0:
        raise ModelError(f"alpha must be a number between 0 and 1 (0.05 gives 95% intervals); got {alpha!r}.")
    with single_thread_blas():
        check_survey(svy)
        mf = model_frame(formula, svy.analysis_data())
        md = model_design(svy, mf)
        check_response_varies(mf, md.w)
        codes, levels = response_levels(mf)
        counts = np.bincount(codes[md.w > 0], minlength=len(levels))
        if len(levels) < 3 or (counts == 0).any():
            used = [lv for lv, c in zip(levels, counts) if c > 0]
            raise ModelError(
                f"the response of {formula!r} must have at least 3 levels with complete rows; got "
                f"{len(used)} ({', '.join(used)})"
                + (
                    f"; no rows for {', '.join(lv for lv, c in zip(levels, counts) if c == 0)}"
                    if (counts == 0).any()
                    else ""
                )
                + ". Use logistic for two levels; drop unused categories."
            )
        ref = _reference(reference, levels, mf.response)
        internal = [ref] + [lv for lv in levels if lv != ref]
        icodes = np.array([internal.index(levels[c]) for c in range(len(levels))])[codes]
        Y = np.eye(len(levels))[icodes]
        with numerical_guard("multinomial model", formula):
            fit = fit_multinomial(mf.X, Y, md.w)
            _check_separation(fit, mf.X, icodes, md.w, internal, mf.columns, formula)
            vcov = sandwich(fit, md)
        if not fit.converged:
            warn_user(
                f"multinomial model {formula!r} did not converge in {fit.iterations} iterations.", ConvergenceWarning
            )
        check_finite_fit("multinomial model", formula, fit.beta, vcov)
        p = mf.X.shape[1]
        df = float(md.degf - fit.beta.size + 1)
        names = tuple(mf.columns) * (len(levels) - 1)
        coef = coef_frame(names, fit.beta, vcov, df, alpha).rename(
            columns={"odds_ratio": "rrr", "or_ci_low": "rrr_ci_low", "or_ci_high": "rrr_ci_high"}
        )
        coef.insert(0, "outcome", np.repeat(internal[1:], p))
        coef["ci_kind"] = WALD_CI
        return MultinomialResult(
            formula=formula,
            method="weighted ML (pseudo-likelihood), baseline-category logit",
            coef=coef,
            params=fit.beta,
            vcov=vcov,
            df_resid=df,
            alpha=alpha,
            converged=fit.converged,
            iterations=fit.iterations,
            notices=(f"reference category: {ref}",),
            _mf=mf,
            _w=md.w,
            levels=levels,
            reference=ref,
            **md.facts(),
        )
