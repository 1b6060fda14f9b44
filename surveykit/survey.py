"""The immutable :class:`Survey`: data + design + (optional) instrument.

Descriptive verbs are the functions of :mod:`surveykit.estimate` and :mod:`surveykit.tables`
bound as methods (``svy.mean`` is ``estimate.mean``, with its signature and docstring); weighting returns a new Survey (:mod:`surveykit.weighting`); models,
segments and reports are module functions that take a Survey.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit import estimate as _estimate
from surveykit import tables as _tables
from surveykit.design import Design, ResolvedDesign
from surveykit.errors import DataError, DesignError
from surveykit.estimate import moments as _moments
from surveykit.results import isolated

if TYPE_CHECKING:
    import os

    from surveykit.instrument import Instrument
    from surveykit.io import FileMeta, MissingSpec

__all__ = ["Survey"]


class Survey:
    """Survey data with its design; immutable.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Later changes to the caller's frame do not leak in (pandas'
        copy-on-write shares the values until either side writes; a deep copy on older pandas).
    design : Design, optional
        Weights, strata, clusters and FPC. ``None`` means each row is its own PSU with weight 1
        (R: ``svydesign(ids=~1, weights=~1)``; simple random sampling with replacement).
    instrument : Instrument, optional
        The questionnaire: value labels, user-missing codes, question texts. It refines the
        file's metadata: its labels win, and its user-missing codes are added to the file's.
    meta : FileMeta, optional
        What the data file says about its variables (``data, meta = sk.read(path)``): its
        user-missing codes and ranges, value labels and variable labels are honoured by every
        verb, table, model and segment, with or without a questionnaire.

    Notes
    -----
    **The missing-data policy** (one home: :meth:`user_missing`). A value is *user-missing*
    when it is one of the instrument's missing codes for its column, or one of the file's
    declared missing values or inside one of its missing ranges (SPSS ``MISSING VALUES``;
    R haven ``na_values``/``na_range``). User-missing values stay in the data as codes, are
    listed as their own rows in frequency tables, and are excluded from every estimand: means,
    totals, proportions, quantiles, tables, models (the row is incomplete, as R's ``na.omit``
    after ``haven::zap_missing``) and segments. System-missing values (NaN) are missing
    everywhere.

    Examples
    --------
    >>> import pandas as pd, surveykit as sk
    >>> svy = sk.Survey(pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0]}))
    >>> svy.n, svy.weighted_n
    (4, 4.0)
    """

    __slots__ = ("_data", "_design", "_instrument", "_meta", "_resolved", "_history", "_cache")
    _data: pd.DataFrame
    _design: Design
    _instrument: Instrument | None
    _meta: FileMeta | None
    _resolved: ResolvedDesign
    _history: tuple[str, ...]
    _cache: dict[Any, Any]

    def __new__(cls, data: Any = None, design: Design | None = None, *args: Any, **kwargs: Any) -> Any:
        """``Survey(sk.scan(...), design)`` is a :class:`~surveykit.engines.LazySurvey` (data in the
        engine): a lazy source builds its own survey (``_lazy_survey``), so this module needs no
        import of the engines."""
        build = getattr(data, "_lazy_survey", None)
        if build is not None and not isinstance(data, pd.DataFrame):
            if args or kwargs:
                raise DataError(
                    "a lazy survey takes only the scan and the design; got more arguments. "
                    "Questionnaires and file metadata need the in-memory Survey (sk.read)."
                )
            return build(design)
        return super().__new__(cls)

    def __init__(
        self,
        data: pd.DataFrame,
        design: Design | None = None,
        instrument: Instrument | None = None,
        *,
        meta: FileMeta | None = None,
    ) -> None:
        from surveykit.io import FileMeta

        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
        if design is not None and not isinstance(design, Design):
            raise DesignError(f"design must be a surveykit.Design; got {type(design).__name__}.")
        if meta is not None and not isinstance(meta, FileMeta):
            raise DataError(f"meta must be the FileMeta of sk.read(path); got {type(meta).__name__}.")
        design = design if design is not None else Design()
        frame = isolated(data.reset_index(drop=True))  # no copy of the values under copy-on-write
        self._init(frame, design, instrument, design.resolve(frame), (), meta)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        design: Design | None = None,
        instrument: Instrument | None = None,
        **read_options: Any,
    ) -> Survey:
        """Read a data file and build its Survey in one step, keeping the file's metadata.

        ``Survey.from_file(path, design)`` is ``data, meta = sk.read(path, **read_options)``
        followed by ``Survey(data, design, instrument, meta=meta)``: the file's user-missing
        codes, value labels and variable labels are honoured without a questionnaire.

        Examples
        --------
        >>> import surveykit as sk
        >>> svy = sk.Survey.from_file(sk.demo_path("organisation_2018"))
        >>> svy.n
        186
        """
        from surveykit.io import read

        if read_options.get("user_missing") is False:
            raise DataError(
                "user_missing must be True for Survey.from_file (the Survey applies the "
                "file's missing codes itself); got False. Drop the option."
            )
        data, meta = read(path, **read_options)
        return cls(data, design, instrument, meta=meta)

    def _init(self, data, design, instrument, resolved, history, meta=None) -> None:
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_design", design)
        object.__setattr__(self, "_instrument", instrument)
        object.__setattr__(self, "_meta", meta)
        object.__setattr__(self, "_resolved", resolved)
        object.__setattr__(self, "_history", tuple(history))
        object.__setattr__(self, "_cache", {})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Survey is immutable; use domain(), with_weights() or the weighting functions.")

    def _derive(self, resolved: ResolvedDesign, step: str | None = None) -> Survey:
        new = object.__new__(Survey)
        history = self._history + ((step,) if step else ())
        new._init(self._data, self._design, self._instrument, resolved, history, self._meta)
        new._cache.update(self._cache)  # same data: the missing masks still hold
        return new

    # --- accessors -------------------------------------------------------------------------
    @property
    def data(self) -> pd.DataFrame:
        """The data; changing the returned frame does not change the Survey (a copy-on-write
        view under pandas 3 or ``copy_on_write``, a deep copy otherwise)."""
        return isolated(self._data)

    @property
    def design(self) -> Design:
        return self._design

    @property
    def instrument(self) -> Instrument | None:
        return self._instrument

    @property
    def meta(self) -> FileMeta | None:
        """The data file's metadata (labels, user-missing codes), when given."""
        return self._meta

    @property
    def resolved(self) -> ResolvedDesign:
        """The design's arrays, as used by the variance kernels."""
        return self._resolved

    @property
    def weights(self) -> np.ndarray:
        """Current weights (zero outside a domain); a copy."""
        return self._resolved.weights.copy()

    @property
    def history(self) -> tuple[str, ...]:
        """Steps applied since the design was built (domains, weighting), for methods notes."""
        return self._history

    @property
    def n(self) -> int:
        """Unweighted number of rows in the (domain of the) survey."""
        return int(np.count_nonzero(self._resolved.weights))

    @property
    def weighted_n(self) -> float:
        return float(self._resolved.weights.sum())

    def column(self, name: str) -> pd.Series:
        """One column of the data, with a clear error (and suggestions) when it is unknown."""
        from surveykit.errors import closest

        if name not in self._data.columns:
            raise DataError(
                f"variable {name!r} must be a column of the survey data; it is not."
                + closest(name, map(str, self._data.columns))
            )
        return self._data[name]

    def missing_spec(self, name: str) -> MissingSpec:
        """User-missing codes and ranges of *name*: the file's, plus the instrument's codes."""
        from surveykit.io import MissingSpec

        key = ("spec", name)
        if key not in self._cache:
            spec = self._meta.missing.get(name) if self._meta is not None else None
            values = list(spec.values) if spec is not None else []
            ranges = tuple(spec.ranges) if spec is not None else ()
            values += [c for c in self._instrument_missing(name) if c not in values]
            self._cache[key] = MissingSpec(tuple(values), ranges)
        return self._cache[key]

    def _instrument_missing(self, name: str) -> tuple[Any, ...]:
        if self._instrument is None:
            return ()
        try:
            return tuple(self._instrument.missing_codes(name))
        except (KeyError, ValueError):
            return ()

    def missing_codes(self, name: str) -> tuple[Any, ...]:
        """Discrete user-missing codes of *name* (file and instrument); ranges: :meth:`missing_spec`."""
        return tuple(self.missing_spec(name).values)

    def user_missing(self, name: str) -> np.ndarray:
        """Boolean mask of the rows where *name* holds a user-missing code (the one policy).

        True for the instrument's missing codes and the file's missing values and ranges;
        False on system-missing (NaN) and valid values. A read-only array.
        """
        key = ("mask", name)
        if key not in self._cache:
            col = self.column(name)
            spec = self.missing_spec(name)
            if spec.values or spec.ranges:
                mask = np.asarray(spec.is_missing(col.to_numpy()), dtype=bool) & col.notna().to_numpy()
            else:
                mask = np.zeros(len(col), dtype=bool)
            mask.flags.writeable = False
            self._cache[key] = mask
        return self._cache[key]

    def valid_column(self, name: str) -> pd.Series:
        """*name* with its user-missing codes set to missing (what every estimand uses)."""
        col = self.column(name)
        mask = self.user_missing(name)
        return col.mask(mask) if mask.any() else col

    def analysis_data(self) -> pd.DataFrame:
        """The data with every user-missing code set to missing (models and segments use it).

        A new frame sharing the unchanged columns; columns without user-missing values are
        the data's own.
        """
        if "analysis" not in self._cache:
            out = self._data.copy(deep=False)
            for name in out.columns:
                if isinstance(name, str) and self.user_missing(name).any():
                    out[name] = self.valid_column(name)
            self._cache["analysis"] = out
        return isolated(self._cache["analysis"])

    def value_labels(self, name: str, lang: str | None = None) -> dict[Any, str]:
        """``{code: label}`` of *name*: the instrument's (in *lang*, default its first language),
        else the file's value labels; ``{}`` when neither has any."""
        if self._instrument is not None:
            try:
                labels = self._instrument.value_labels(lang or "ko").get(name)
            except (KeyError, ValueError):
                labels = None
            if labels:
                return dict(labels)
        if self._meta is not None:
            return dict(self._meta.value_labels.get(name) or {})
        return {}

    def variable_label(self, name: str, lang: str | None = None) -> str | None:
        """Question wording of *name* (instrument), else the file's variable label, else None."""
        if self._instrument is not None:
            try:
                text = self._instrument.text(name, lang or "ko")
            except (KeyError, ValueError):
                text = None
            if text:
                return str(text)
        if self._meta is not None:
            return self._meta.variable_labels.get(name) or None
        return None

    # --- derived surveys -------------------------------------------------------------------
    def domain(self, where: str | Sequence[bool] | np.ndarray | pd.Series) -> Survey:
        """Restrict to a domain, keeping the whole design (R: ``subset(design, ...)``).

        Rows outside the domain get weight 0; no row or PSU is dropped, so variances use the
        full design's strata and PSU counts. *where* is a boolean mask (missing counts as
        outside) or an expression of :mod:`surveykit.instrument.expr` such as ``"org_type == 2"`` or
        ``"stype == 'E' and api00 > 600"`` (``&``, ``|``, ``~``, ``in [...]`` and backtick-quoted
        column names also work; rows where it is missing or unknown are outside). Attributes,
        methods and ``@`` variables are refused with a :class:`DataError`.
        """
        if isinstance(where, str):
            from surveykit.instrument.expr import evaluate_mask  # local: keeps this module's imports as they are

            raw: Any = evaluate_mask(where, self.analysis_data(), subject="domain expression")
            label = where
        else:
            raw = where
            label = "mask"
        if isinstance(raw, np.ndarray):
            mask = raw.astype(bool)
        else:
            mask = np.asarray(pd.Series(raw).fillna(False).to_numpy(), dtype=bool)
        if mask.shape != (len(self._data),):
            raise DataError(f"domain mask must have one value per row ({len(self._data)}); got shape {mask.shape}.")
        w = np.where(mask, self._resolved.weights, 0.0)
        return self._derive(self._resolved.with_weights(w), f"domain: {label}")

    def assign(self, **columns: Any) -> Survey:
        """A new Survey with added or replaced columns, same design and weights (R ``update()``).

        Each value is an array-like with one value per row. Design columns cannot be replaced.
        """
        clash = sorted(set(columns) & set(self._design.columns))
        if clash:
            raise DataError(f"assign() must not replace design columns; got {', '.join(clash)}.")
        data = self._data.copy()
        for name, values in columns.items():
            arr = np.asarray(values)
            if arr.shape[:1] != (len(data),):
                raise DataError(f"column {name!r} must have one value per row ({len(data)}); got shape {arr.shape}.")
            data[name] = arr
        new = object.__new__(Survey)
        new._init(data, self._design, self._instrument, self._resolved, self._history, self._meta)
        return new

    def with_weights(self, weights: np.ndarray, *, calibration: Any | None = None, step: str | None = None) -> Survey:
        """A new Survey with other weights (used by :mod:`surveykit.weighting`).

        *calibration* is an object with ``residualize(u) -> u`` that makes standard errors
        calibration-aware, as R does after ``postStratify``/``rake``/``calibrate``.
        """
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(self._data),):
            raise DataError(f"weights must have one value per row ({len(self._data)}); got shape {w.shape}.")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            from surveykit.design.resolved import rows_message

            raise DataError(
                f"weights must be finite and >= 0; got {int(bad.sum())} negative or non-finite values "
                f"({rows_message(bad)}). Check the weighting inputs that produced them."
            )
        return self._derive(self._resolved.with_weights(w, calibration), step)

    # --- descriptive verbs: the functions themselves, bound as methods ---------------------
    # ``svy.mean(...)`` is ``surveykit.estimate.mean(svy, ...)``: the same object, so the
    # signature and docstring that help() and IDEs show are the implementation's own.
    mean = _estimate.mean
    total = _estimate.total
    proportion = _estimate.proportion
    ratio = _estimate.ratio
    quantile = _estimate.quantile
    frequency = _tables.frequency
    crosstab = _tables.crosstab
    multiple_response = _tables.multiple_response
    var = _moments.var  # R svyvar
    ttest = _moments.ttest  # R svyttest

    def __repr__(self) -> str:
        rd = self._resolved
        return (
            f"Survey(n={self.n}, weighted_n={self.weighted_n:.6g}, strata={rd.n_strata}, "
            f"psu={rd.n_psu_total}, design: {self._design.describe()})"
        )
