"""Result objects of the survey models (frozen; ``to_frame``/``to_dict``/``summary``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import ModelError, closest
from surveykit.estimate.intervals import crit
from surveykit.models._formula import ModelFrame
from surveykit.models._inference import TermTest, wald
from surveykit.results import Printable, Summary, frame_records, jsonable

__all__ = ["MarginalEffects", "ModelBase", "term_label"]

_SHOWN = ["term", "estimate", "se", "t", "p_value", "ci_low", "ci_high", "odds_ratio"]


def term_label(column: str) -> str:
    """A readable label for a model column name: ``C(org_type)[T.coop]`` -> ``org_type: coop``."""
    m = re.fullmatch(r"(?:C\()?(.+?)(?:,.*)?\)?\[(?:T\.)?(.+)\]", column)
    if m:
        return f"{m.group(1)}: {m.group(2)}"
    q = re.fullmatch(r"Q\(['\"](.+)['\"]\)", column)
    return q.group(1) if q else column


@dataclass(frozen=True, slots=True)
class MarginalEffects(Printable):
    """Average marginal effects with delta-method design-based SEs (see ``_margins``)."""

    frame: pd.DataFrame
    df: float
    alpha: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "df": jsonable(self.df),
            "alpha": self.alpha,
            "method": self.method,
            "effects": frame_records(self.frame),
        }

    def summary(self) -> Summary:
        return Summary(
            title="Average marginal effects", table=self.frame, facts=(("method", self.method), ("df", f"{self.df:g}"))
        )


def with_inference(frame: pd.DataFrame, df: float, alpha: float) -> pd.DataFrame:
    """Add t, p and t-based CIs (residual design df) to an estimate/se frame."""
    from scipy import stats

    out = frame.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["t"] = out["estimate"] / out["se"]
    ok = df > 0
    out["p_value"] = 2.0 * stats.t.sf(np.abs(out["t"]), df) if ok else np.nan
    q = float(crit(alpha, df)) if ok else np.nan  # the one t quantile (estimate.intervals)
    out["ci_low"] = out["estimate"] - q * out["se"]
    out["ci_high"] = out["estimate"] + q * out["se"]
    return out


@dataclass(frozen=True, slots=True)
class ModelBase:
    """Fields and accessors shared by the logistic and ordinal results."""

    formula: str
    method: str
    coef: pd.DataFrame
    params: np.ndarray
    vcov: np.ndarray
    df_resid: float
    alpha: float
    n: int
    weighted_n: float
    n_strata: int
    n_psu: int
    design: str
    converged: bool
    iterations: int
    notices: tuple[str, ...]
    _mf: ModelFrame = field(repr=False)
    _data: pd.DataFrame = field(repr=False)  # complete-case rows, for AMEs
    _w: np.ndarray = field(repr=False)  # their weights

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table (``term, estimate, se, t, p_value, ci_low, ci_high`` + ORs)."""
        return self.coef.copy()

    def _facts(self) -> tuple[tuple[str, str], ...]:
        return (
            ("formula", self.formula),
            ("method", self.method),
            ("design", self.design),
            ("observations", f"{self.n} (weighted {self.weighted_n:,.1f})"),
            ("strata / PSUs", f"{self.n_strata} / {self.n_psu}"),
            ("residual design df", f"{self.df_resid:g}"),
            ("CI", f"{100 * (1 - self.alpha):g}% Wald, t on residual df"),
            ("converged", f"{self.converged} ({self.iterations} iterations)"),
        )

    def _base_dict(self) -> dict[str, Any]:
        keys = (
            "formula",
            "method",
            "df_resid",
            "alpha",
            "n",
            "weighted_n",
            "n_strata",
            "n_psu",
            "design",
            "converged",
            "iterations",
            "notices",
        )
        out = {k: jsonable(getattr(self, k)) for k in keys}
        out["coef"] = frame_records(self.coef)
        return out

    def forest_frame(self) -> pd.DataFrame:
        """Odds ratios for a forest plot: ``term, label, or, ci_low, ci_high, p_value``."""
        c = self.coef[self.coef["term"].isin(self._slope_terms())]
        return pd.DataFrame(
            {
                "term": c["term"],
                "label": [term_label(t) for t in c["term"]],
                "or": c["odds_ratio"],
                "ci_low": c["or_ci_low"],
                "ci_high": c["or_ci_high"],
                "p_value": c["p_value"],
            }
        ).reset_index(drop=True)

    def vif(self) -> pd.DataFrame:
        """Generalised variance-inflation factors of the model terms (collinearity check).

        Returns ``term, gvif, df, gvif_adj`` with ``gvif_adj = gvif^(1/(2 df))`` (compare with
        ``sqrt(10)`` ~ 3.16 as the usual VIF 10 threshold). From the design-weighted
        correlation matrix ``R`` of the model-matrix columns without the intercept:
        ``GVIF_t = det(R_tt) det(R_oo) / det(R)`` for the columns of term ``t`` against the
        others (Fox & Monette 1992); for one column this is the classic ``1 / (1 - R²)``.

        Notes
        -----
        R equivalent: ``car::vif(lm(formula, data, weights = w))`` (its predictor-correlation
        form), computed from ``cov.wt(X, wt = w, cor = TRUE)``.
        """
        mf, w = self._mf, np.asarray(self._w, dtype=float)
        cols = [j for j, c in enumerate(mf.columns) if c != "Intercept"]
        terms = [(n, sl) for n, sl in zip(mf.term_names, mf.term_slices) if n != "Intercept"]
        if len(terms) < 2:
            raise ModelError(
                f"vif needs at least 2 terms besides the intercept; model {self.formula!r} has {len(terms)}."
            )
        X = mf.X[:, cols]
        m = w @ X / w.sum()
        C = ((X - m) * w[:, None]).T @ (X - m)
        sd = np.sqrt(np.diag(C))
        R = C / np.outer(sd, sd)
        pos = {j: i for i, j in enumerate(cols)}
        _, logdet = np.linalg.slogdet(R)
        rows = []
        for name, sl in terms:
            idx = np.array([pos[j] for j in range(sl.start, sl.stop)])
            rest = np.setdiff1d(np.arange(len(cols)), idx)
            gvif = float(
                np.exp(np.linalg.slogdet(R[np.ix_(idx, idx)])[1] + np.linalg.slogdet(R[np.ix_(rest, rest)])[1] - logdet)
            )
            rows.append((name, gvif, idx.size, gvif ** (1.0 / (2 * idx.size))))
        return pd.DataFrame(rows, columns=["term", "gvif", "df", "gvif_adj"])

    def _slope_terms(self) -> list[str]:
        return [t for t in self._mf.columns if t != "Intercept"]

    def _param_index(self, columns: Sequence[str]) -> np.ndarray:
        names = list(self.coef["term"])
        return np.array([names.index(c) for c in columns])

    def wald_test(self, terms: str | Sequence[str]) -> TermTest:
        """Design-based Wald test that every coefficient of *terms* is zero.

        Parameters
        ----------
        terms : str or sequence of str
            Formula terms (``"C(stype)"``, ``"ell"``) or data columns they use (``"stype"``).

        Notes
        -----
        R equivalent: ``regTermTest(model, ~stype)`` (F on ``df`` and the residual design df)
        and ``regTermTest(model, ~stype, df = Inf)`` (chi-square).
        """
        wanted = [terms] if isinstance(terms, str) else list(terms)
        cols: list[str] = []
        for t in wanted:
            cols += self._term_columns(t)
        idx = self._param_index(cols)
        L = np.zeros((idx.size, self.params.size))
        L[np.arange(idx.size), idx] = 1.0
        return wald(self.params, self.vcov, L, self.df_resid, tuple(wanted), label=f"Wald test of {', '.join(wanted)}")

    def _term_columns(self, term: str) -> list[str]:
        mf = self._mf
        names = [n for n in mf.term_names if n != "Intercept"]
        match = [n for n in names if n == term] or [
            n for n in names if re.search(rf"(?<![\w.]){re.escape(term)}(?![\w.])", n)
        ]
        if len(match) != 1:
            raise ModelError(
                f"wald_test terms must name one model term; got {term!r} matching "
                f"{len(match)} of {names}." + closest(term, names) + " Pass the term as printed."
            )
        sl = mf.term_slices[mf.term_names.index(match[0])]
        return list(mf.columns[sl])
