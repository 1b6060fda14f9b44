"""Survey linear, Poisson and binomial regression (R ``svyglm`` with ``gaussian``, ``poisson``,
``quasipoisson``, ``binomial`` and ``quasibinomial``): weighted (pseudo-)ML by IRLS and the design-based sandwich, on Taylor and
replicate designs.

On a Taylor design ``V = A^-1 B A^-1`` with ``A = X' W_work X`` and ``B`` the design variance of
the score rows ``w_i (y_i - mu_i) x_i`` (R ``svy.varcoef``; the working weight is ``w mu`` for the
log link, ``w mu (1 - mu)`` for the logit). On a replicate design the model is refitted with each replicate's weights
(from the full-sample fit, as R ``svyglm.svyrep.design``) and ``V`` is R's ``svrVar`` of the
replicate coefficients; the linear model's refits are closed-form (one ``p x p`` solve each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveykit._util.warn import warn
from surveykit.errors import ConvergenceWarning, ModelError, closest, format_rows
from surveykit.models._fitdesign import check_response_varies, check_survey, model_design, sandwich
from surveykit.models._formula import binary_response, model_frame, rebuild_matrix
from surveykit.models._glm import weighted_gram
from surveykit.models._inference import (
    check_finite_fit,
    coef_frame,
    numerical_guard,
    replicate_coef_vcov,
    replicate_refit_vcov,
    replicate_rows,
)
from surveykit.models._margins import average_effects, scenarios
from surveykit.models._results import MarginalEffects, ModelBase, term_label, with_inference
from surveykit.models._threads import single_thread_blas
from surveykit.results import Printable, Summary, jsonable

__all__ = [
    "glm",
    "linear",
    "poisson",
    "GlmResult",
    "GLMResult",
    "GLM_FAMILIES",
    "replicate_glm_vcov",
    "replicate_model_design",
]

GLM_FAMILIES: tuple[str, ...] = ("gaussian", "poisson", "quasipoisson", "binomial", "quasibinomial")
TOL = 1e-12  # relative change in the deviance at which IRLS stops (R glm: 1e-8)
MAX_ITER = 100


@dataclass(frozen=True, slots=True)
class _Fit:
    beta: np.ndarray
    info: np.ndarray  # A = X' diag(w v) X, v the working weight (1, or mu for the log link)
    scores: np.ndarray  # w_i (y_i - mu_i) x_i
    mu: np.ndarray
    iterations: int
    converged: bool


@dataclass(frozen=True, slots=True)
class GlmResult(ModelBase, Printable):
    """A fitted survey GLM: linear (``family="gaussian"``), Poisson or binomial.

    Attributes
    ----------
    coef : DataFrame
        ``term, estimate, se, t, p_value, ci_low, ci_high, ci_kind``; Poisson fits add
        ``rate_ratio, rr_ci_low, rr_ci_high`` and binomial fits ``odds_ratio, or_ci_low,
        or_ci_high`` (``exp`` of the estimate and CI ends).
    vcov : ndarray
        Design-based covariance (R ``vcov(svyglm)``).
    df_resid : float
        Residual design df ``degf - p + 1``.
    family : str
    dispersion : float
        R ``summary.svyglm``'s dispersion: ``sum(w r^2) / sum(w)`` of the Pearson residuals
        (reported only; the SEs are the sandwich's).
    """

    family: str = "gaussian"
    dispersion: float = float("nan")

    def _inverse_link(self, eta: np.ndarray) -> np.ndarray:
        if self.family == "gaussian":
            return eta
        if "poisson" in self.family:
            return np.exp(eta)
        return _expit(eta)

    def _mean(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        return self._inverse_link(X @ params)[:, None]

    def _slope(self, params: np.ndarray, X: np.ndarray, dX: np.ndarray) -> np.ndarray:
        d = dX @ params
        if self.family == "gaussian":
            return d[:, None]
        mu = self._inverse_link(X @ params)
        return ((mu if "poisson" in self.family else mu * (1 - mu)) * d)[:, None]

    def predict(
        self, new_data: pd.DataFrame | None = None, type: Literal["response", "link"] = "response"
    ) -> pd.DataFrame:
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
        mu = self._inverse_link(eta)
        deriv = mu if "poisson" in self.family else mu * (1 - mu)
        return pd.DataFrame({"estimate": mu, "se": deriv * se})

    def marginal_effects(self) -> MarginalEffects:
        """Average marginal effects on the mean of y (delta-method design SEs)."""
        scs = scenarios(self._mf, self._data)
        frame = average_effects(self.params, self.vcov, self._mf.X, self._w, scs, self._mean, self._slope, ("E(y)",))
        frame = with_inference(frame.drop(columns="outcome"), self.df_resid, self.alpha)
        return MarginalEffects(
            frame=frame, df=self.df_resid, alpha=self.alpha, method="average marginal effects, delta-method design SEs"
        )

    def forest_frame(self) -> pd.DataFrame:
        """Ratios ``term, label, or, ci_low, ci_high, p_value`` (``or`` holds the rate ratio of a
        Poisson fit or the odds ratio of a binomial one: the column the report's forest plot reads)."""
        if self.family == "gaussian":
            raise ModelError(
                "forest_frame needs a ratio scale; a linear model has none. Use to_frame() for its coefficients."
            )
        c = self.coef[self.coef["term"] != "Intercept"]
        ratio, low, high = (
            ("rate_ratio", "rr_ci_low", "rr_ci_high")
            if "poisson" in self.family
            else ("odds_ratio", "or_ci_low", "or_ci_high")
        )
        return pd.DataFrame(
            {
                "term": c["term"],
                "label": [term_label(t) for t in c["term"]],
                "or": c[ratio],
                "ci_low": c[low],
                "ci_high": c[high],
                "p_value": c["p_value"],
            }
        ).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        out = self._base_dict()
        out.update(family=self.family, dispersion=jsonable(self.dispersion))
        return out

    def summary(self) -> Summary:
        facts = self._facts() + (("family", self.family), ("dispersion", f"{self.dispersion:.6g}"))
        title = {
            "gaussian": "Survey linear regression",
            "poisson": "Survey Poisson (log-linear) regression",
            "quasipoisson": "Survey Poisson (log-linear) regression",
        }.get(self.family, "Survey logistic regression (glm)")
        cols = ["term", "estimate", "se", "t", "p_value", "ci_low", "ci_high"]
        cols += ["rate_ratio"] if "poisson" in self.family else ["odds_ratio"] if "binomial" in self.family else []
        return Summary(title=title, facts=facts, table=self.coef[cols], notes=self.notices)


GLMResult = GlmResult  # the name of the first release of linear/poisson


def _fit_gaussian(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> _Fit:
    info = (X * w[:, None]).T @ X
    beta = np.linalg.solve(info, X.T @ (w * y))
    mu = X @ beta
    return _Fit(beta, info, X * (w * (y - mu))[:, None], mu, 1, True)


def _expit(eta: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * eta))


def _log_link(eta: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson: mean, d mu / d eta (= working weight) and unit deviance."""
    mu = np.exp(eta)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = 2 * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))
    return mu, mu, dev


def _logit_link(eta: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binomial (0/1): mean, d mu / d eta = mu (1 - mu) (= working weight) and unit deviance."""
    mu = _expit(eta)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = -2 * np.where(y > 0.5, np.log(mu), np.log1p(-mu))
    return mu, mu * (1 - mu), dev


def _fit_irls(X: np.ndarray, y: np.ndarray, w: np.ndarray, link: Any, start: np.ndarray | None) -> _Fit:
    """IRLS for a canonical link (working weight = d mu / d eta); starts from *start* (a replicate
    refit, as R) or R's ``mustart`` (Poisson ``y + 0.1``, binomial ``(y + 0.5) / 2``)."""
    ws = w / w.mean()  # as svyglm's rescaled weights; estimates do not depend on the scale
    if start is None:
        mu0 = y + 0.1 if link is _log_link else (y + 0.5) / 2
        eta = np.log(mu0) if link is _log_link else np.log(mu0 / (1 - mu0))
        beta = np.zeros(X.shape[1])
    else:
        beta = start
        eta = X @ beta
    dev_old, converged, it = np.inf, False, 0
    for it in range(1, MAX_ITER + 1):
        mu, v, _ = link(eta, y)
        z = eta + (y - mu) / v
        a = weighted_gram(X, ws * v)  # blocked: X is read once, no n x p temporary
        beta = np.linalg.solve(a, X.T @ (ws * v * z))
        eta = X @ beta
        mu, v, unit = link(eta, y)
        dev = float(np.sum(ws * unit))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < TOL:
            converged = True
            break
        dev_old = dev
    info = weighted_gram(X, w * v)
    return _Fit(beta, info, X * (w * (y - mu))[:, None], mu, it, converged)


def _fit(family: str, X: np.ndarray, y: np.ndarray, w: np.ndarray, start: np.ndarray | None = None) -> _Fit:
    if family == "gaussian":
        return _fit_gaussian(X, y, w)
    return _fit_irls(X, y, w, _log_link if "poisson" in family else _logit_link, start)


def replicate_glm_vcov(family: str, X: np.ndarray, y: np.ndarray, keep: np.ndarray, rd: Any,
                       beta: np.ndarray) -> tuple[np.ndarray, int]:  # fmt: skip
    """R ``svyglm.svyrep.design``: refit with every replicate's weights, ``svrVar`` of the betas
    (:func:`surveykit.models._inference.replicate_refit_vcov`; also used by ``logistic``).

    The linear model's refits are closed-form: every replicate's ``X' W_r X`` and ``X' W_r y``
    come from one product ``W_rep.T @ [x_j x_k, x_j y]``; IRLS families refit per replicate,
    started at the full-sample coefficients (as R)."""
    from surveykit.design.replicate import replicate_product

    if family != "gaussian":
        return replicate_refit_vcov(lambda w: _fit(family, X, y, w, beta).beta, keep, rd, beta)
    rep = replicate_rows(rd, keep)
    p = X.shape[1]
    ia, ib = np.repeat(np.arange(p), p), np.tile(np.arange(p), p)
    tot = replicate_product(rep, np.column_stack([X[:, ia] * X[:, ib], X * y[:, None]]))  # (R, p*p + p)
    gram = tot[:, : p * p].reshape(-1, p, p)
    betas = np.linalg.solve(gram, tot[:, p * p :][:, :, None])[:, :, 0]
    return replicate_coef_vcov(betas, keep, rd, beta)


def glm(svy: Any, formula: str, *, family: str = "gaussian", alpha: float = 0.05) -> GlmResult:
    """Survey-weighted generalised linear model: linear (``gaussian``) or Poisson.

    Parameters
    ----------
    svy : Survey
        Taylor or replicate design.
    formula : str
        As :func:`surveykit.models.logistic` (parsed by surveykit, never evaluated as Python).
    family : {"gaussian", "poisson", "quasipoisson", "binomial", "quasibinomial"}
        ``poisson``/``quasipoisson`` (and ``binomial``/``quasibinomial``) give the same
        estimates and design-based SEs, as in R ``svyglm``. The response of a Poisson model must
        be >= 0, of a binomial one 0/1 (or two-level). :func:`surveykit.models.logistic` has
        more for binary responses (separation checks, AUC, Firth on Taylor designs) and shares
        this function's replicate refits.
    alpha : float
        1 - confidence level of the t intervals.

    Returns
    -------
    GlmResult

    Notes
    -----
    R equivalent: ``svyglm(formula, design, family = gaussian() | poisson() | quasipoisson())``.
    Taylor: ``V = A^-1 B A^-1`` (Binder 1983), ``B`` the design variance (``svyrecvar``) of the
    score rows. Replicate designs: refits per replicate, ``V`` = R ``svrVar`` of the
    coefficients. t, p and CIs use the residual df ``degf - p + 1``; rows with a missing model
    variable are left out as ``svyglm``'s ``na.omit`` (weight 0, the design kept).
    """
    from surveykit.design.replicate import is_replicate

    if family not in GLM_FAMILIES:
        raise ModelError(f"family must be one of {', '.join(GLM_FAMILIES)}; got {family!r}."
                         + closest(str(family), GLM_FAMILIES))  # fmt: skip
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0.0 < alpha < 1.0:
        raise ModelError(f"alpha must be a number between 0 and 1 (0.05 gives 95% intervals); got {alpha!r}.")
    with single_thread_blas():
        check_survey(svy)
        mf = model_frame(formula, svy.analysis_data())
        if mf.y_frame.shape[1] > 1:
            raise ModelError(f"the response of {formula!r} must be numeric; got a categorical response with "
                             f"{mf.y_frame.shape[1]} levels. Use logistic, ordinal_logistic or multinomial, or recode "
                             "it as a number.")  # fmt: skip
        y = binary_response(mf) if "binomial" in family else mf.y_raw.to_numpy(dtype=float)
        if "poisson" in family and np.any(y < 0):
            rows = (mf.y_raw.index.to_numpy()[y < 0] + 1).tolist()
            raise ModelError(f"the response {mf.response!r} of a Poisson model must be >= 0 (a count or rate); got "
                             f"{int((y < 0).sum())} negative values ({format_rows(rows)}). Use linear for a signed "
                             "outcome, or recode it.")  # fmt: skip
        replicate = is_replicate(svy.resolved)
        md = replicate_model_design(svy, mf) if replicate else model_design(svy, mf)
        check_response_varies(mf, md.w)
        with numerical_guard(f"{family} model", formula):
            fit = _fit(family, mf.X, y, md.w)
            if replicate:
                vcov, degf = replicate_glm_vcov(family, mf.X, y, mf.keep, svy.resolved, fit.beta)
            else:
                vcov, degf = sandwich(fit, md), md.degf
        check_finite_fit(f"{family} model", formula, fit.beta, vcov)
        if not fit.converged:
            warn(f"{family} model {formula!r} did not converge in {fit.iterations} iterations.", ConvergenceWarning)
        df = degf - mf.X.shape[1] + 1
        var_fn = {"gaussian": np.ones_like(fit.mu), "poisson": fit.mu, "quasipoisson": fit.mu}.get(
            family, fit.mu * (1 - fit.mu)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            dispersion = float(np.sum(md.w * (y - fit.mu) ** 2 / var_fn) / md.w.sum())
        facts = md.facts()
        if replicate:
            facts.update(n_strata=1, n_psu=int(facts["n"]))
        return GlmResult(
            formula=formula,
            method=(f"weighted ML; replicate weights ({svy.resolved.type}, {svy.resolved.n_replicates} refits)"
                    if replicate else "weighted ML (pseudo-likelihood)"),
            coef=_coef(mf.columns, fit.beta, vcov, df, alpha, family), params=fit.beta, vcov=vcov,
            df_resid=float(df), alpha=alpha, converged=fit.converged, iterations=fit.iterations, notices=(),
            _mf=mf, _w=md.w, family=family, dispersion=dispersion, **facts,
        )  # fmt: skip


def replicate_model_design(svy: Any, mf: Any) -> Any:
    """The complete-case weights and data of a replicate design (no Taylor counts)."""
    from surveykit.models._fitdesign import ModelDesign

    rd = svy.resolved
    w = rd.weights[mf.keep]
    if not (w > 0).any():
        raise ModelError(f"model {mf.formula!r} needs complete rows with positive weight; got none.")
    cols = list(dict.fromkeys([*mf.variables, *mf.response_variables]))
    data = svy.analysis_data()[cols].reset_index(drop=True).loc[mf.keep].reset_index(drop=True)
    return ModelDesign(w=w, rd=rd, keep=mf.keep, data=data, description=svy.design.describe(), n_psu=0, n_strata=0)


def linear(svy: Any, formula: str, *, alpha: float = 0.05) -> GlmResult:
    """Survey linear regression: :func:`glm` with ``family="gaussian"`` (R
    ``svyglm(formula, design)``)."""
    return glm(svy, formula, family="gaussian", alpha=alpha)


def poisson(svy: Any, formula: str, *, alpha: float = 0.05) -> GlmResult:
    """Survey Poisson (log-linear) regression: :func:`glm` with ``family="quasipoisson"`` (R
    ``svyglm(formula, design, family = quasipoisson())``; ``poisson()`` gives the same estimates
    and design-based SEs); ``rate_ratio = exp(estimate)`` with its CI."""
    return glm(svy, formula, family="quasipoisson", alpha=alpha)


def _coef(names: Any, beta: np.ndarray, vcov: np.ndarray, df: float, alpha: float, family: str) -> pd.DataFrame:
    """:func:`coef_frame` with the ratio columns of the family (rate ratios for Poisson, odds
    ratios for binomial, none for linear) and the interval kind."""
    coef = coef_frame(names, beta, vcov, df, alpha)
    if "poisson" in family:
        coef = coef.rename(columns={"odds_ratio": "rate_ratio", "or_ci_low": "rr_ci_low", "or_ci_high": "rr_ci_high"})
    elif family == "gaussian":
        coef = coef.drop(columns=["odds_ratio", "or_ci_low", "or_ci_high"])
    coef["ci_kind"] = "Wald (t, residual design df)"
    return coef
