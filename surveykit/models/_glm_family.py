"""Survey linear and Poisson (log-link) regression: ``svyglm(family = gaussian() / quasipoisson())``.

Estimates are the weighted (pseudo-)MLE: weighted least squares for the linear model, weighted
Poisson score equations for the log-linear one. The variance is svyglm's sandwich
``A^-1 B A^-1`` with ``A = X' diag(w v) X`` (``v = 1`` linear, ``v = mu`` Poisson) and ``B`` the
design variance (``svyrecvar``) of the score rows ``w_i (y_i - mu_i) x_i``; t, p and CIs use the
residual design df ``degf - p + 1``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveykit.errors import ConvergenceWarning, ModelError
from surveykit.models._fitdesign import check_response_varies, check_survey, model_design, sandwich
from surveykit.models._formula import model_frame, rebuild_matrix
from surveykit.models._glm import weighted_gram
from surveykit.models._inference import check_finite_fit, coef_frame, numerical_guard
from surveykit.models._margins import average_effects, scenarios
from surveykit.models._results import MarginalEffects, ModelBase, term_label, with_inference
from surveykit.models._threads import single_thread_blas
from surveykit.errors import format_rows
from surveykit.results import Printable, Summary

__all__ = ["linear", "poisson", "GLMResult"]

TOL = 1e-12  # relative change of the Poisson deviance at which Newton stops
MAX_ITER = 100


@dataclass(frozen=True, slots=True)
class GLMResult(ModelBase, Printable):
    """A fitted survey linear (``family="gaussian"``) or Poisson (``"quasipoisson"``) model.

    ``coef``: ``term, estimate, se, t, p_value, ci_low, ci_high, ci_kind``; Poisson fits add
    ``rate_ratio, rr_ci_low, rr_ci_high`` (``exp`` of the estimate and CI ends).
    """

    family: str = "gaussian"

    def _mean(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        eta = X @ params
        return (eta if self.family == "gaussian" else np.exp(eta))[:, None]

    def _slope(self, params: np.ndarray, X: np.ndarray, dX: np.ndarray) -> np.ndarray:
        d = dX @ params
        return (d if self.family == "gaussian" else np.exp(X @ params) * d)[:, None]

    def predict(self, new_data: pd.DataFrame | None = None,
                type: Literal["response", "link"] = "response") -> pd.DataFrame:
        """Predictions with delta-method design-based SEs: columns ``estimate, se``.

        R equivalent: ``predict(svyglm, newdata, type = "link" | "response")`` with ``SE()``.
        """
        if type not in ("response", "link"):
            raise ModelError(f'type must be "response" or "link"; got {type!r}.')
        X = rebuild_matrix(self._mf, self._data if new_data is None else new_data)
        eta = X @ self.params
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", X, self.vcov, X), 0.0, None))
        if type == "link" or self.family == "gaussian":
            return pd.DataFrame({"estimate": eta, "se": se})
        mu = np.exp(eta)
        return pd.DataFrame({"estimate": mu, "se": mu * se})

    def marginal_effects(self) -> MarginalEffects:
        """Average marginal effects on the mean of y (delta-method design SEs)."""
        scs = scenarios(self._mf, self._data)
        frame = average_effects(self.params, self.vcov, self._mf.X, self._w, scs, self._mean,
                                self._slope, ("E(y)",))
        frame = with_inference(frame.drop(columns="outcome"), self.df_resid, self.alpha)
        return MarginalEffects(frame=frame, df=self.df_resid, alpha=self.alpha,
                               method="average marginal effects, delta-method design SEs")

    def forest_frame(self) -> pd.DataFrame:
        """Poisson: rate ratios ``term, label, or, ci_low, ci_high, p_value`` (``or`` holds the
        rate ratio, the column name the report's forest plot reads)."""
        if self.family == "gaussian":
            raise ModelError("forest_frame needs a ratio scale; a linear model has none. "
                             "Use to_frame() for its coefficients.")
        c = self.coef[self.coef["term"] != "Intercept"]
        return pd.DataFrame({"term": c["term"], "label": [term_label(t) for t in c["term"]],
                             "or": c["rate_ratio"], "ci_low": c["rr_ci_low"],
                             "ci_high": c["rr_ci_high"], "p_value": c["p_value"]}).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        out = self._base_dict()
        out["family"] = self.family
        return out

    def summary(self) -> Summary:
        title = ("Survey linear regression" if self.family == "gaussian"
                 else "Survey Poisson (log-linear) regression")
        cols = ["term", "estimate", "se", "t", "p_value", "ci_low", "ci_high"]
        cols += ["rate_ratio"] if self.family != "gaussian" else []
        return Summary(title=title, facts=self._facts() + (("family", self.family),),
                       table=self.coef[cols], notes=self.notices)


def _response(mf, formula: str, poisson: bool) -> np.ndarray:  # noqa: ANN001
    if mf.y_frame.shape[1] > 1:
        raise ModelError(f"the response of {formula!r} must be numeric; got a categorical response "
                         f"with {mf.y_frame.shape[1]} levels. Use logistic, ordinal_logistic or "
                         "multinomial, or recode it as a number.")
    y = mf.y_raw.to_numpy(dtype=float)
    if poisson and (y < 0).any():
        rows = (mf.y_raw.index.to_numpy()[y < 0] + 1).tolist()
        raise ModelError(f"the response {mf.response!r} of a Poisson model must be >= 0 (a count "
                         f"or rate); got {int((y < 0).sum())} negative values ({format_rows(rows)}). "
                         "Use linear for a signed outcome.")
    return y


def _fit_poisson(X: np.ndarray, y: np.ndarray, w: np.ndarray):
    """IRLS start (glm's ``mustart = y + 0.1``), then Newton with step halving on the weighted
    Poisson log-likelihood ``sum w (y eta - e^eta)``; weights scaled to mean 1."""
    scale = w.mean()
    ws = w / scale
    mu0 = y + 0.1
    z = np.log(mu0) + (y - mu0) / mu0
    b = np.linalg.lstsq(weighted_gram(X, ws * mu0), (X * (ws * mu0)[:, None]).T @ z, rcond=None)[0]

    def ll(beta):
        eta = X @ beta
        with np.errstate(over="ignore"):
            return float(ws @ (y * eta - np.exp(eta)))

    cur = ll(b)
    converged, it = False, 0
    for it in range(1, MAX_ITER + 1):
        mu = np.exp(X @ b)
        step = np.linalg.lstsq(weighted_gram(X, ws * mu), X.T @ (ws * (y - mu)), rcond=None)[0]
        factor = 1.0
        for _ in range(30):
            new = ll(b + factor * step)
            if np.isfinite(new) and new >= cur - 1e-12 * abs(cur):
                break
            factor /= 2.0
        b, change, cur = b + factor * step, abs(new - cur) / (abs(new) + 0.1), new
        if change < TOL and np.max(np.abs(factor * step)) < 1e-10 * (1 + np.max(np.abs(b))):
            converged = True
            break
    mu = np.exp(X @ b)
    return b, mu, weighted_gram(X, w * mu), converged, it


def _glm(svy: Any, formula: str, family: str, alpha: float) -> GLMResult:
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0.0 < alpha < 1.0:
        raise ModelError(f"alpha must be a number between 0 and 1 (0.05 gives 95% intervals); got {alpha!r}.")
    poisson = family == "quasipoisson"
    what = "Poisson model" if poisson else "linear model"
    with single_thread_blas():
        check_survey(svy)
        mf = model_frame(formula, svy.analysis_data())
        md = model_design(svy, mf)
        y = _response(mf, formula, poisson)
        check_response_varies(mf, md.w)
        X, w = mf.X, md.w
        with numerical_guard(what, formula):
            if poisson:
                beta, mu, info, converged, it = _fit_poisson(X, y, w)
            else:
                info = weighted_gram(X, w)
                beta = np.linalg.solve(info, X.T @ (w * y))
                mu, converged, it = X @ beta, True, 1
            fit = SimpleNamespace(info=info, scores=X * (w * (y - mu))[:, None])
            vcov = sandwich(fit, md)
        if not converged:
            warnings.warn(f"{what} {formula!r} did not converge in {it} iterations.",
                          ConvergenceWarning, stacklevel=3)
        check_finite_fit(what, formula, beta, vcov)
        df = float(md.degf - X.shape[1] + 1)
        coef = coef_frame(mf.columns, beta, vcov, df, alpha)
        if poisson:
            coef = coef.rename(columns={"odds_ratio": "rate_ratio", "or_ci_low": "rr_ci_low",
                                        "or_ci_high": "rr_ci_high"})
        else:
            coef = coef.drop(columns=["odds_ratio", "or_ci_low", "or_ci_high"])
        coef["ci_kind"] = "Wald (t, residual design df)"
        return GLMResult(formula=formula, method="weighted ML (pseudo-likelihood)" if poisson
                         else "weighted least squares", coef=coef, params=beta, vcov=vcov,
                         df_resid=df, alpha=alpha, converged=converged, iterations=it, notices=(),
                         _mf=mf, _w=w, family=family, **md.facts())


def linear(svy: Any, formula: str, *, alpha: float = 0.05) -> GLMResult:
    """Survey-weighted linear regression with design-based standard errors.

    Parameters
    ----------
    svy : Survey
    formula : str
        Model formula (surveykit's parser, never run as Python); numeric response.
    alpha : float
        1 - confidence level.

    Returns
    -------
    GLMResult

    Notes
    -----
    R equivalent: ``svyglm(formula, design, family = gaussian())``: weighted least squares;
    ``V = A^-1 B A^-1`` with ``A = X'WX`` and ``B`` the design variance of ``w_i e_i x_i``;
    t on ``degf - p + 1`` df.
    """
    return _glm(svy, formula, "gaussian", alpha)


def poisson(svy: Any, formula: str, *, alpha: float = 0.05) -> GLMResult:
    """Survey-weighted Poisson (log-linear) regression with design-based standard errors.

    Parameters
    ----------
    svy : Survey
    formula : str
        Model formula; the response is a count or any non-negative number.
    alpha : float
        1 - confidence level.

    Returns
    -------
    GLMResult
        ``rate_ratio = exp(estimate)`` with its CI.

    Notes
    -----
    R equivalent: ``svyglm(formula, design, family = quasipoisson())`` (``poisson()`` gives the
    same estimates and design-based SEs); t on ``degf - p + 1`` df.
    """
    return _glm(svy, formula, "quasipoisson", alpha)
