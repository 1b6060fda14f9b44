"""Survey logistic regression: weighted pseudo-MLE with the design-based sandwich (svyglm)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveykit._util.warn import warn as warn_user
from surveykit.errors import ConvergenceWarning, ModelError, SeparationWarning
from surveykit.models._firth import fit_firth, flic_intercept
from surveykit.models._fitdesign import ModelDesign, check_response_varies, check_survey, model_design, sandwich
from surveykit.models._formula import binary_response, model_frame, rebuild_matrix
from surveykit.models._glm import Fit, expit, fit_logistic, log_lik, looks_separated, separation_direction
from surveykit.models._glm_family import replicate_glm_vcov, replicate_model_design
from surveykit.models._inference import check_finite_fit, coef_frame, numerical_guard
from surveykit.models._margins import average_effects, scenarios
from surveykit.models._profile import design_effect, equal_weight_srs, firth_table
from surveykit.models._results import MarginalEffects, ModelBase, with_inference
from surveykit.models._threads import single_thread_blas
from surveykit.results import Printable, Summary, jsonable

__all__ = ["logistic", "LogisticResult", "weighted_auc"]

FAMILIES = ("quasibinomial", "binomial")
WEIGHT_KINDS = ("sampling", "frequency")
WALD_CI = "Wald (t, residual design df)"
WALD_P = "Wald t"
NO_CI = "none (separated: the ML estimate does not exist; refit with firth=True)"


@dataclass(frozen=True, slots=True)
class LogisticResult(ModelBase, Printable):
    """A fitted survey logistic regression.

    Attributes
    ----------
    coef : DataFrame
        ``term, estimate, se, t, p_value, ci_low, ci_high, odds_ratio, or_ci_low, or_ci_high``.
    vcov : ndarray
        Design-based sandwich covariance ``A^-1 B A^-1`` (R ``vcov(svyglm)``).
    df_resid : float
        Residual design df ``degf - p + 1`` (R ``svyglm``'s ``df.residual``).
    pseudo_r2 : float
        McFadden's pseudo-R² of the weighted log-likelihoods, ``1 - l(b) / l(intercept only)``
        (``1 - deviance/null.deviance`` of the svyglm fit).
    auc : float
        Weighted area under the ROC curve of the fitted probabilities (ties count 1/2);
        computed on first access (a sort of the n fitted values) and cached.
    separation : bool
        (Quasi-)complete separation was detected (linear-programming check).
    weights_are : {"sampling", "frequency"}
        How the weights were read (see :func:`logistic`).
    deff : float
        Firth fits: the design effect the profile intervals and LR tests are rescaled by
        (1 for an equal-weight simple random sample and for frequency weights); NaN otherwise.
    flic_params : ndarray or None
        Firth fits with an intercept: the coefficients with the FLIC intercept (Puhr et al.
        2017), used by :meth:`predict` and :meth:`marginal_effects`.
    """

    family: str = "quasibinomial"
    pseudo_r2: float = float("nan")
    separation: bool = False
    weights_are: str = "sampling"
    deff: float = float("nan")
    flic_params: np.ndarray | None = field(default=None, repr=False, compare=False)
    _y: np.ndarray | None = field(default=None, repr=False, compare=False)
    _p: np.ndarray | None = field(default=None, repr=False, compare=False)
    _cache: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    @property
    def auc(self) -> float:
        """Weighted AUC of the fitted probabilities (see ``weighted_auc``), cached."""
        if "auc" not in self._cache:
            if self._y is None or self._p is None:
                raise ModelError("auc needs the fitted responses; this result was built without them.")
            self._cache["auc"] = weighted_auc(self._y, self._p, self._w)
        return self._cache["auc"]

    def predict(
        self, new_data: pd.DataFrame | None = None, type: Literal["response", "link"] = "response"
    ) -> pd.DataFrame:
        """Predictions with delta-method design-based SEs: columns ``estimate, se``.

        Notes
        -----
        R equivalent: ``predict(svyglm, newdata, type = "link" | "response")`` (with ``SE()``).
        *new_data* None predicts the fitted (complete-case) rows. Firth fits predict with the
        FLIC intercept (``flic_params``; slopes are Firth's) and the Firth covariance.
        """
        if type not in ("response", "link"):
            raise ModelError(f'type must be "response" or "link"; got {type!r}.')
        X = rebuild_matrix(self._mf, self._data if new_data is None else new_data)
        eta = X @ self._point
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", X, self.vcov, X), 0.0, None))
        if type == "link":
            return pd.DataFrame({"estimate": eta, "se": se})
        p = expit(eta)
        return pd.DataFrame({"estimate": p, "se": p * (1.0 - p) * se})

    def marginal_effects(self) -> MarginalEffects:
        """Average marginal effects on P(y = 1) of every right-hand-side variable.

        Numeric variables: weighted mean of ``dP/dx``; categorical: per level, the weighted mean
        change in P from the base level. SEs by the delta method with the design-based ``vcov``
        (covariates held fixed). See ``surveykit.models._margins``.
        """
        X = self._mf.X
        scs = scenarios(self._mf, self._data)
        frame = average_effects(self._point, self.vcov, X, self._w, scs, _prob, _slope, ("P(y=1)",))
        frame = with_inference(frame.drop(columns="outcome"), self.df_resid, self.alpha)
        return MarginalEffects(
            frame=frame, df=self.df_resid, alpha=self.alpha, method="average marginal effects, delta-method design SEs"
        )

    @property
    def _point(self) -> np.ndarray:
        return self.params if self.flic_params is None else self.flic_params

    def to_dict(self) -> dict[str, Any]:
        out = self._base_dict()
        out.update(
            family=self.family,
            pseudo_r2=jsonable(self.pseudo_r2),
            auc=jsonable(self.auc),
            separation=self.separation,
            weights_are=self.weights_are,
            deff=jsonable(self.deff),
            flic_params=None if self.flic_params is None else jsonable(self.flic_params),
        )
        return out

    def _facts(self) -> tuple[tuple[str, str], ...]:
        facts = ModelBase._facts(self)
        if self.flic_params is None and np.isnan(self.deff):
            return facts
        level = f"{100 * (1 - self.alpha):g}%"
        ci = f"{level} profile penalised likelihood; p: penalised likelihood ratio" + (
            "" if self.deff == 1.0 else f", both rescaled by design effect {self.deff:.4g}"
        )
        return tuple((k, ci if k == "CI" else v) for k, v in facts)

    def summary(self) -> Summary:
        facts = self._facts() + (
            ("family", self.family),
            ("pseudo R² (McFadden, weighted)", f"{self.pseudo_r2:.4f}"),
            ("weighted AUC", f"{self.auc:.4f}"),
        )
        return Summary(
            title="Survey logistic regression",
            facts=facts,
            table=self.coef[["term", "estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]],
            notes=self.notices,
        )


def _prob(params: np.ndarray, X: np.ndarray) -> np.ndarray:
    return expit(X @ params)[:, None]


def _slope(params: np.ndarray, X: np.ndarray, dX: np.ndarray) -> np.ndarray:
    p = expit(X @ params)
    return (p * (1.0 - p) * (dX @ params))[:, None]


def weighted_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """Weighted AUC: ``P(p_i > p_j) + P(p_i = p_j)/2`` for a weighted event i, non-event j."""
    order = np.argsort(p)
    p, y, w = p[order], y[order], w[order]
    start = np.flatnonzero(np.concatenate(([True], p[1:] != p[:-1])))
    pos = np.add.reduceat(w * y, start)
    neg = np.add.reduceat(w * (1.0 - y), start)
    below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    return float((pos @ below + 0.5 * pos @ neg) / total) if total > 0 else float("nan")


def _check_args(family: str, firth: Any, alpha: float, weights_are: Any = "sampling") -> None:
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
        raise ModelError(f"alpha must be a number between 0 and 1 (0.05 gives 95% intervals); got {alpha!r}.")
    if family not in FAMILIES:
        raise ModelError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}.")
    if firth not in ("auto", True, False):
        raise ModelError(f'firth must be "auto", True or False; got {firth!r}.')
    if not 0.0 < alpha < 1.0:
        raise ModelError(f"alpha must be between 0 and 1; got {alpha!r}.")
    if weights_are not in WEIGHT_KINDS:
        raise ModelError(f'weights_are must be "sampling" or "frequency"; got {weights_are!r}.')


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, firth: Any, formula: str, rescale: bool,
         replicate: bool = False):  # fmt: skip
    """The ML (or Firth) fit, its separation check and notices; a replicate design warns nothing
    here: it refuses a separated model."""
    notices: list[str] = []
    ml = fit_logistic(X, y, w)
    direction = separation_direction(X, y, w) if looks_separated(ml, X, w) else None
    separated = direction is not None
    use_firth = firth is True or (firth == "auto" and separated)
    fit: Fit = fit_firth(X, y, w, rescale=rescale) if use_firth else ml
    if separated and not replicate:
        what = (
            "Firth's penalised likelihood was used instead"
            if use_firth
            else "ML estimates and SEs are not meaningful; refit with firth=True"
        )
        notices.append(f"(quasi-)complete separation detected; {what}.")
        warn_user(f"logistic model {formula!r} shows (quasi-)complete separation; {what}.", SeparationWarning)
    elif firth is True:
        notices.append("Firth's penalised likelihood (weighted Jeffreys prior) was requested.")
    if not fit.converged and not (separated and not use_firth):
        warn_user(f"logistic model {formula!r} did not converge in {fit.iterations} iterations.", ConvergenceWarning)
    involved = np.zeros(X.shape[1], bool) if direction is None else np.abs(direction) > 1e-7
    return fit, involved, use_firth, notices


def logistic(
    svy: Any,
    formula: str,
    *,
    family: str = "quasibinomial",
    firth: bool | Literal["auto"] = "auto",
    alpha: float = 0.05,
    weights_are: Literal["sampling", "frequency"] = "sampling",
) -> LogisticResult:
    """Survey-weighted logistic regression with design-based standard errors.

    Parameters
    ----------
    svy : Survey
        Taylor or replicate design (on a replicate design the variance comes from refits with
        every replicate's weights; Firth and frequency weights are Taylor-only).
    formula : str
        Model formula in patsy's notation, e.g. ``"join ~ org_age + C(org_type)"``, parsed by
        surveykit and never run as Python: terms ``x``, ``Q("a.b")``, ``C(g)``,
        ``C(g, Treatment('b'))``, ``I(expr)`` (safe expressions), ``a:b``, ``a * b``, ``- 1``.
        The response is 0/1, boolean, two-level (second level = event, as R) or an expression
        such as ``I(q5 == 1)``.
    family : {"quasibinomial", "binomial"}
        Both give the same estimates and design-based SEs, as in ``svyglm``.
    firth : "auto", True or False
        Firth's penalised likelihood: when separation is detected ("auto"), always (True) or never.
    alpha : float
        1 - confidence level.
    weights_are : {"sampling", "frequency"}
        "sampling" (default): design weights; Firth's penalty uses them scaled to mean 1 and
        the variance is the design sandwich. "frequency": each row stands for ``weight``
        identical, independent individuals (aggregated data); weights are used as given, so
        the fit equals the individual-level fit, and the variance is model-based
        (``(X'WX)^-1``, R ``glm(weights = )``/``logistf(weights = )``) with residual df
        ``sum(w) - p``. Needs a design without strata, clusters, fpc or calibration.

    Returns
    -------
    LogisticResult
        Wald fits: ``ci_kind`` "Wald (t, residual design df)". Firth fits: ``ci_low``,
        ``ci_high`` are profile penalised-likelihood intervals and ``p_value`` the penalised
        likelihood-ratio test (``ci_kind``, ``p_kind`` say so; see ``surveykit.models._profile``),
        never Wald for a coefficient involved in the separation (``separated`` column).

    Notes
    -----
    R equivalent: ``svyglm(formula, design, family = quasibinomial())``. The estimate maximises
    the weighted log-likelihood; ``V = A^-1 B A^-1`` with ``A = X'WX`` and ``B`` the design
    variance (``svyrecvar``) of the score rows ``w_i (y_i - p_i) x_i`` (Binder 1983). t, p and CIs
    use the residual design df ``degf - p + 1``. Rows with a missing model variable are left out
    as ``svyglm``'s ``na.omit`` does: their weights become 0 (every PSU stays for the variance;
    ``degf`` counts the PSUs with complete rows).

    Replicate designs: R ``svyglm.svyrep.design``: the model is refitted with each replicate's
    weights from the full-sample coefficients (the IRLS of :func:`surveykit.models.glm`, whose
    replicate variance this shares) and ``V`` is R ``svrVar`` of the refits; ``df = degf - p +
    1`` with ``degf`` the rank of the replicate weights minus one. Separation is still detected
    and flagged (no Firth fallback).

    Firth fits: R ``logistf(formula, data)`` (profile CIs, penalised LR tests; Heinze &
    Schemper 2002) on an equal-weight simple random sample or with frequency weights. Under
    other designs the LR statistic is divided by the mean generalised design effect of the
    coefficients not involved in the separation (first-order Rao-Scott), see ``_profile``.
    Predictions and AMEs use the FLIC intercept (Puhr et al. 2017).
    """
    from surveykit.design.replicate import is_replicate

    _check_args(family, firth, alpha, weights_are)
    frequency = weights_are == "frequency"
    with single_thread_blas():  # see _threads: small BLAS calls, no thread wake-ups
        check_survey(svy)
        replicate = is_replicate(svy.resolved)
        if replicate:
            _check_replicate_args(firth, frequency)
        mf = model_frame(formula, svy.analysis_data())
        md = replicate_model_design(svy, mf) if replicate else model_design(svy, mf)
        if frequency:
            _check_frequency_design(md)
        check_response_varies(mf, md.w)
        y = binary_response(mf)
        with numerical_guard("logistic model", formula):
            fit, involved, used_firth, notices = _fit(mf.X, y, md.w, False if replicate else firth, formula,
                                                      not frequency, replicate)  # fmt: skip
            if replicate and involved.any():
                terms = ", ".join(c for c, bad in zip(mf.columns, involved) if bad)
                raise ModelError(
                    f"logistic model {formula!r} shows (quasi-)complete separation ({terms}): its ML estimate does "
                    "not exist, so the replicate refits diverge, and Firth's correction is only available on a "
                    "Taylor design. Drop or merge the terms involved, or fit on a Design with strata and ids "
                    "with firth=True."
                )
            if replicate:  # R svyglm.svyrep.design: one refit per replicate (the GLM home's refits)
                vcov, degf = replicate_glm_vcov("quasibinomial", mf.X, y, mf.keep, svy.resolved, fit.beta)
            else:
                vcov = np.linalg.inv(fit.info) if frequency else sandwich(fit, md)
                degf = md.degf
        check_finite_fit("logistic model", formula, fit.beta, vcov)
        k = mf.X.shape[1]
        df = float(md.w.sum() - k) if frequency else float(degf - k + 1)
        facts = md.facts()
        if replicate:
            facts.update(n_strata=1, n_psu=int(facts["n"]))
        coef = coef_frame(mf.columns, fit.beta, vcov, df, alpha)
        deff, flic = float("nan"), None
        if used_firth:
            with numerical_guard("Firth logistic model", formula):
                coef, deff, flic = _firth_inference(coef, mf, y, md, fit, vcov, involved, alpha, frequency)
        else:
            coef["ci_kind"], coef["p_kind"] = WALD_CI, WALD_P
            coef["separated"] = involved
            # a separated coefficient has no ML estimate: no Wald statistic, p or interval
            coef.loc[involved, ["t", "p_value", "ci_low", "ci_high", "or_ci_low", "or_ci_high"]] = np.nan
            coef.loc[involved, ["ci_kind", "p_kind"]] = NO_CI
        method = "Firth penalised ML" if used_firth else "weighted ML (pseudo-likelihood)"
        if replicate:
            method = f"weighted ML; replicate weights ({svy.resolved.type}, {svy.resolved.n_replicates} refits)"
        return LogisticResult(
            formula=formula,
            method=method,
            coef=coef,
            params=fit.beta,
            vcov=vcov,
            df_resid=df,
            alpha=alpha,
            converged=fit.converged,
            iterations=fit.iterations,
            notices=tuple(notices),
            _mf=mf,
            _w=md.w,
            family=family,
            separation=bool(involved.any()),
            pseudo_r2=_mcfadden(fit, mf.X, y, md.w),
            _y=y,
            _p=fit.p,
            weights_are=weights_are,
            deff=deff,
            flic_params=flic,
            **facts,
        )


def _check_replicate_args(firth: Any, frequency: bool) -> None:
    """Replicate designs: Wald inference from replicate refits; Firth and frequency weights are Taylor-only."""
    if firth is True:
        raise ModelError(
            "firth=True is not available on a replicate-weight design (its profile intervals are rescaled by a "
            "Taylor design effect). Fit on a Design with strata and ids, or use firth='auto'/False (Wald "
            "intervals from replicate refits)."
        )
    if frequency:
        raise ModelError('weights_are="frequency" needs a design without strata, clusters, fpc or calibration; got '
                         'a replicate-weight design. Use the default weights_are="sampling".')  # fmt: skip


def _check_frequency_design(md: ModelDesign) -> None:
    rd = md.rd
    if (
        len(rd.stages) == 1
        and md.n_strata == 1
        and md.n_psu == int(np.count_nonzero(md.w > 0))
        and not rd.has_fpc
        and not rd.calibrations
    ):
        return
    raise ModelError(
        'weights_are="frequency" needs a design without strata, clusters, fpc or calibration '
        f"(rows of independent individuals); got {md.description}. Use the default "
        'weights_are="sampling" for design weights.'
    )


def _firth_inference(coef, mf, y, md, fit, vcov, involved, alpha, frequency):
    """Profile CIs and penalised LR tests (rescaled by the design effect) and the FLIC intercept."""
    scale = 1.0 if frequency else float(md.w[md.w > 0].mean())  # as fit_firth: over the rows in the fit
    w_fit = md.w / scale
    info_unit = fit.info / scale
    srs = frequency or equal_weight_srs(md)
    deff = 1.0 if srs else design_effect(info_unit, vcov, involved)
    coef = firth_table(coef, mf.X, y, w_fit, fit.beta, involved, deff, alpha)
    flic = None
    if "Intercept" in mf.columns:
        j = list(mf.columns).index("Intercept")
        flic = fit.beta.copy()
        flic[j] = flic_intercept(mf.X, y, md.w, fit.beta, j)
    return coef, deff, flic


def _mcfadden(fit: Fit, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """``1 - l(b) / l(intercept only)``; the null log-likelihood in closed form from the
    weighted event total, ``l(b)`` from the fit (recomputed for a penalised fit)."""
    total, events = float(w.sum()), float(w @ y)
    ybar = events / total
    if ybar in (0.0, 1.0):
        return float("nan")
    ll0 = events * np.log(ybar) + (total - events) * np.log1p(-ybar)
    ll = fit.loglik if np.isfinite(fit.loglik) else log_lik(fit.beta, X, y, w)
    return float(1.0 - ll / ll0)
