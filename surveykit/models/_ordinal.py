"""Survey ordinal (proportional-odds) logistic regression, as R ``survey::svyolr``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveykit._util.warn import warn as warn_user
from surveykit.errors import ConvergenceWarning, ModelError, closest
from surveykit.models._fitdesign import check_response_varies, check_survey, model_design, sandwich
from surveykit.models._formula import ModelFrame, model_frame, ordinal_response, rebuild_matrix
from surveykit.models._glm_family import replicate_model_design
from surveykit.models._inference import TermTest, check_finite_fit, coef_frame, numerical_guard, replicate_refit_vcov
from surveykit.models._margins import average_effects, scenarios
from surveykit.models._olr_fit import LINKS, category_probs, category_slopes, fit_olr
from surveykit.models._po_test import po_test
from surveykit.models._results import MarginalEffects, ModelBase, with_inference
from surveykit.models._threads import single_thread_blas
from surveykit.results import Printable, Summary, frame_records, jsonable

__all__ = ["ordinal_logistic", "OrdinalResult", "po_test"]


@dataclass(frozen=True, slots=True)
class OrdinalResult(ModelBase, Printable):
    """A fitted survey cumulative-link model ``link(P(Y <= k)) = zeta_k - x'b`` (proportional
    odds for ``link="logit"``).

    ``coef`` lists the slopes (``odds_ratio = exp(b)``: odds of a *higher* category per unit;
    NaN for links other than logit) then the thresholds ``zeta`` named ``"low|mid"`` as R (their
    odds-ratio columns are NaN). ``df_resid = degf - p`` (p slopes), as ``svyolr``. ``po_test``
    is the design-based Wald test of proportional odds (logit link); ``recommendation`` is set
    when it rejects at ``alpha``. ``po_excluded`` lists the (term, cut) slopes left out of that
    test because their binary fit is separated (an empty cell), with the reason in words
    (``note``, also in ``summary()``); ``po_test`` is None when nothing testable is left.
    """

    levels: tuple[str, ...] = ()
    link: str = "logit"
    po_test: TermTest | None = None
    po_slopes: pd.DataFrame | None = None
    po_excluded: pd.DataFrame | None = None
    recommendation: str | None = None

    @property
    def n_slopes(self) -> int:
        return self.params.size - (len(self.levels) - 1)

    def _matrix(self, data: pd.DataFrame) -> np.ndarray:
        return _drop_intercept(self._mf, rebuild_matrix(self._mf, data))

    def predict(self, new_data: pd.DataFrame | None = None) -> pd.DataFrame:
        """Predicted category probabilities, one column per level (rows sum to 1)."""
        X = self._matrix(self._data if new_data is None else new_data)
        return pd.DataFrame(category_probs(self.params, X, len(self.levels) - 1, self.link), columns=list(self.levels))

    def marginal_effects(self) -> MarginalEffects:
        """AMEs on the probability of each category (``outcome`` column), delta-method SEs."""
        q, mf = len(self.levels) - 1, self._mf
        cut = 1 if "Intercept" in mf.columns else 0
        scs = scenarios(mf, self._data)
        X = self._matrix(self._data)
        frame = average_effects(
            self.params,
            self.vcov,
            np.hstack((np.ones((X.shape[0], cut)), X)),
            self._w,
            scs,
            lambda ph, Xf: category_probs(ph, Xf[:, cut:], q, self.link),
            lambda ph, Xf, dX: category_slopes(ph, Xf[:, cut:], dX[:, cut:], q, self.link),
            tuple(f"P({lv})" for lv in self.levels),
        )
        return MarginalEffects(
            frame=with_inference(frame, self.df_resid, self.alpha),
            df=self.df_resid,
            alpha=self.alpha,
            method="average marginal effects per category, delta-method design SEs",
        )

    def to_dict(self) -> dict[str, Any]:
        out = self._base_dict()
        out.update(
            levels=list(self.levels),
            link=self.link,
            recommendation=self.recommendation,
            po_test=self.po_test.to_dict() if self.po_test else None,
            po_slopes=frame_records(self.po_slopes) if self.po_slopes is not None else None,
            po_excluded=frame_records(self.po_excluded) if self.po_excluded is not None else None,
        )
        return jsonable(out)

    def summary(self) -> Summary:
        facts = self._facts() + (("levels", " < ".join(self.levels)), ("link", self.link))
        if self.po_test is not None:
            t = self.po_test
            facts += (("proportional odds test", f"F = {t.F:.3f} on {t.df}, {t.ddf:g} df; p = {t.p_value:.4g}"),)
        if self.po_excluded is not None and len(self.po_excluded):
            what = "left out of that test" if self.po_test is not None else "proportional odds test not computable"
            facts += ((what, "; ".join(self.po_excluded["note"])),)
        notes = self.notices + ((self.recommendation,) if self.recommendation else ())
        title = ("Survey ordinal logistic regression (proportional odds)" if self.link == "logit"
                 else f"Survey ordinal regression (cumulative {self.link})")  # fmt: skip
        return Summary(
            title=title,
            facts=facts,
            table=self.coef[["term", "estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]],
            notes=notes,
        )


def _drop_intercept(mf: ModelFrame, X: np.ndarray) -> np.ndarray:
    return X[:, 1:] if "Intercept" in mf.columns else X


def ordinal_logistic(
    svy: Any, formula: str, *, link: str = "logit", alpha: float = 0.05, test_po: bool = True
) -> OrdinalResult:
    """Survey-weighted cumulative-link (proportional-odds) regression with design-based SEs.

    Parameters
    ----------
    svy : Survey
        Taylor or replicate design.
    formula : str
        ``"intent ~ org_age + C(org_type)"``; the response is an ordered Categorical (category
        order), strings (sorted) or numbers (by value), with at least 3 levels.
    link : {"logit", "probit", "cloglog", "loglog"}
        ``P(Y <= k) = F(zeta_k - x'b)`` with ``F`` logistic, normal, ``1 - exp(-exp(z))``
        (complementary log-log) or ``exp(-exp(-z))`` (log-log). See the notes on R's names.
    alpha : float
        1 - confidence level; also the level of the proportional-odds test.
    test_po : bool
        Run the design-based proportional-odds test (``q`` extra binary logistic fits; logit
        link only).

    Returns
    -------
    OrdinalResult

    Notes
    -----
    R equivalent: ``svyolr(formula, design, method = "logistic" | "probit" | "cloglog")``. The
    weighted log-likelihood is maximised by Newton's method with analytic derivatives. Taylor
    designs: ``V = H^-1 B H^-1`` with ``B`` the design variance (``svyrecvar``) of the score rows
    in ``(b, zeta)``, exactly svyolr's sandwich (which uses optim's numerical Hessian). Replicate
    designs: the model is refitted with every replicate's weights from the full-sample fit and
    ``V`` is R ``svrVar`` of the refits (``svyolr.svyrep.design``), ``df = degf - p``.

    R's names for the log-log links differ between its two methods: ``svyolr`` on a Taylor
    design with ``method = "cloglog"`` uses ``F(z) = exp(-exp(-z))`` (surveykit's
    ``link="loglog"``), while on a replicate design it calls ``MASS::polr(method = "cloglog")``,
    ``F(z) = 1 - exp(-exp(z))`` (surveykit's ``link="cloglog"``, the usual meaning). Rows with
    missing model variables are dropped as in svyglm (the df is the complete-case design's; R's
    replicate method uses the whole design's ``degf``, the same without missing values).
    """
    from surveykit.design.replicate import is_replicate

    if link not in LINKS:
        raise ModelError(f"link must be one of {', '.join(LINKS)}; got {link!r}." + closest(str(link), LINKS))
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0.0 < alpha < 1.0:
        raise ModelError(f"alpha must be between 0 and 1; got {alpha!r}.")
    with single_thread_blas():  # see _threads: small BLAS calls, no thread wake-ups
        check_survey(svy)
        replicate = is_replicate(svy.resolved)
        mf = model_frame(formula, svy.analysis_data())
        md = replicate_model_design(svy, mf) if replicate else model_design(svy, mf)
        check_response_varies(mf, md.w)
        codes, levels = ordinal_response(mf)
        _check_levels(codes, md.w, levels, formula)
        X = _drop_intercept(mf, mf.X)
        q = len(levels) - 1
        with numerical_guard("ordinal model", formula):
            fit = fit_olr(X, codes, md.w, q, link)
            _check_identified(fit, formula, int(np.count_nonzero(md.w > 0)))
            if not fit.converged:
                warn_user(
                    f"ordinal model {formula!r} did not converge in {fit.iterations} iterations.", ConvergenceWarning
                )
            if replicate:  # R svyolr.svyrep.design: polr refitted per replicate from the full fit
                vcov, degf = replicate_refit_vcov(
                    lambda w: fit_olr(X, codes, w, q, link, start=fit.beta).beta, mf.keep, svy.resolved, fit.beta
                )
            else:
                vcov, degf = sandwich(fit, md), md.degf
        check_finite_fit("ordinal model", formula, fit.beta, vcov)
        df = degf - X.shape[1]
        names = tuple(c for c in mf.columns if c != "Intercept")
        cuts = tuple(f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:]))
        coef = coef_frame(names + cuts, fit.beta, vcov, df, alpha)
        ratio_rows = slice(len(names), None) if link == "logit" else slice(None)
        coef.loc[coef.index[ratio_rows], ["odds_ratio", "or_ci_low", "or_ci_high"]] = np.nan
        coef["ci_kind"] = "Wald (t, residual design df)"
        test, slopes, excluded, rec = None, None, None, None
        notices: tuple[str, ...] = ()
        if test_po and names and link == "logit":
            try:
                with numerical_guard("proportional-odds test of", formula):
                    test, slopes, excluded = po_test(
                        mf.X if "Intercept" in mf.columns else np.hstack((np.ones((X.shape[0], 1)), X)),
                        codes,
                        md,
                        q,
                        names,
                        df,
                        levels,
                    )
                rec = _recommend(test, alpha, excluded) if test is not None else None
            except ModelError as exc:  # the model stands; only its test is undefined
                notices = (f"The proportional-odds test was not computed: {exc}",)
        facts = md.facts()
        method = "weighted ML (pseudo-likelihood), " + ("proportional odds" if link == "logit" else f"{link} link")
        if replicate:
            facts.update(n_strata=1, n_psu=int(facts["n"]))
            method += f"; replicate weights ({svy.resolved.type}, {svy.resolved.n_replicates} refits)"
        return OrdinalResult(
            formula=formula,
            method=method,
            coef=coef,
            params=fit.beta,
            vcov=vcov,
            df_resid=float(df),
            alpha=alpha,
            converged=fit.converged,
            iterations=fit.iterations,
            notices=notices,
            _mf=mf,
            _w=md.w,
            levels=levels,
            link=link,
            po_test=test,
            po_slopes=slopes,
            po_excluded=excluded,
            recommendation=rec,
            **facts,
        )


def _check_levels(codes: np.ndarray, w: np.ndarray, levels: tuple[str, ...], formula: str) -> None:
    counts = np.bincount(codes, weights=w, minlength=len(levels))
    empty = [lv for lv, c in zip(levels, counts) if c <= 0]
    if empty:
        raise ModelError(
            f"every level of the response of {formula!r} must occur; got none at {', '.join(empty)}. "
            "Drop unused categories or merge them with a neighbour."
        )


def _check_identified(fit: Any, formula: str, n_rows: int) -> None:
    """Refuse a fit whose information matrix is singular: the likelihood has no finite maximum."""
    info = fit.info
    scale = np.sqrt(np.abs(np.diag(info)))
    ok = np.all(np.isfinite(info)) and np.all(scale > 0)
    if ok and np.linalg.eigvalsh(info / np.outer(scale, scale)).min() > 1e-10:
        return
    raise ModelError(
        f"ordinal model {formula!r} cannot be estimated: its likelihood has no finite maximum (the "
        f"information matrix is singular at the fit; the largest coefficient drifted to "
        f"{float(np.max(np.abs(fit.beta))):.3g}). This happens under (quasi-)complete separation "
        f"(a predictor orders the response categories (nearly) perfectly) or with too few rows "
        f"({n_rows} complete rows) for the {fit.beta.size} parameters. Merge neighbouring response "
        "categories, drop or coarsen the separating predictor, or fit a binary split with "
        "logistic(..., firth=True)."
    )


def _recommend(test: TermTest, alpha: float, excluded: pd.DataFrame) -> str | None:
    if not test.p_value < alpha:
        return None
    left_out = " on the slopes that are finite at every cut tested" if len(excluded) else ""
    return (
        f"The proportional-odds assumption is rejected{left_out} (design-based Wald F = {test.F:.2f}, "
        f"p = {test.p_value:.3g}): slopes differ between thresholds. Report the binary logistic "
        "models at each threshold (po_slopes), or a partial proportional-odds / multinomial model."
    )
