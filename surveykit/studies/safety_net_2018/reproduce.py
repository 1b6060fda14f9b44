"""The reproduction check: recompute every published figure from microdata.

:func:`reproduce` reads the organisation and worker data (by default the shipped demo files),
computes each figure of ``published_figures.yaml`` with the instruments' ``figures:`` specs
(semantics in :mod:`surveykit.instrument.model`) and compares it with the printed number.

Match rule
----------
* ``pct``: the exact share ``100 * count / base`` rounded half-up to the printed precision
  (``50`` -> whole percent, ``28.5`` -> one decimal) equals the printed number; with
  ``modal: true`` the counted codes must also be the single most frequent valid answer; with
  ``combine: each`` every listed column must match on its own.
* ``mean``: the mean rounded half-up to the printed unit equals the printed number. The unit is
  read off the printed number: its last significant digit (``316`` -> 1, ``0.16`` -> 0.01,
  ``470000000`` (4억7천만) -> 10,000,000, ``180000`` (18만) -> 10,000).
* ``mode``: the single most frequent valid answer is the spec's code and its Korean label is
  the printed ``value_ko``.
* ``external``: not a survey estimate; listed with ``match = None`` and left out of
  :attr:`ReproductionResult.all_match`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, closest
from surveykit.results import Printable, Summary, frame_records, jsonable

__all__ = ["FigureCheck", "ReproductionResult", "reproduce", "printed_unit"]

SURVEYS = {"organisation": "organisation_2018", "worker": "worker_2018"}
_COLUMNS = ["key", "survey", "kind", "published", "computed", "match", "base", "count", "exact", "note"]


@dataclass(frozen=True, slots=True)
class FigureCheck:
    """One published figure recomputed: the printed value, the computed one and whether they match.

    ``computed`` is rounded to the printed precision (a label for modes); ``exact`` keeps full
    precision. ``base`` is the denominator (pct) or the number of valid answers (mean, mode);
    ``count`` the numerator (pct) or the modal count (mode).
    """

    key: str
    survey: str
    kind: str
    published: Any
    computed: Any
    match: bool | None
    base: int | None = None
    count: int | None = None
    exact: float | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReproductionResult(Printable):
    """Every published figure recomputed from microdata (see :func:`reproduce`)."""

    figures: tuple[FigureCheck, ...]
    sources: tuple[str, ...] = ()

    @property
    def all_match(self) -> bool:
        """True when every survey figure matches (external figures excluded)."""
        return all(f.match for f in self.figures if f.match is not None)

    @property
    def n_mismatch(self) -> int:
        return sum(1 for f in self.figures if f.match is False)

    def figure(self, key: str, survey: str) -> FigureCheck:
        """The check of figure *key* of *survey*."""
        for f in self.figures:
            if f.key == key and f.survey == survey:
                return f
        raise DataError(
            f"figure {key!r} of survey {survey!r} must be a published figure; it is not."
            f"{closest(key, [f.key for f in self.figures])}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per figure: key, survey, kind, published, computed, match, base, count, exact, note."""
        cols = {c: pd.Series([getattr(f, c) for f in self.figures], dtype=object) for c in _COLUMNS}
        frame = pd.DataFrame(cols)
        frame["exact"] = pd.to_numeric(frame["exact"]).astype(float)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """``{"figures": [{key, survey, kind, published, computed, match, base, count, note}], "all_match"}``."""
        keep = [c for c in _COLUMNS if c != "exact"]
        return {
            "figures": frame_records(self.to_frame()[keep]),
            "all_match": self.all_match,
            "sources": jsonable(self.sources),
        }

    def summary(self) -> Summary:
        """Text/HTML table of every figure with its match flag."""
        table = self.to_frame()[["survey", "key", "published", "computed", "base", "count", "match"]].copy()
        table["match"] = ["external" if m is None else ("yes" if m else "NO") for m in table["match"]]
        for col in ("published", "computed", "base", "count"):
            table[col] = ["" if v is None else str(v) for v in table[col]]
        n = sum(1 for f in self.figures if f.match is not None)
        facts = (
            ("figures checked", str(n)),
            ("matching", str(n - self.n_mismatch)),
            ("all match", "yes" if self.all_match else "no"),
            *(("source", s) for s in self.sources),
        )
        return Summary(title="Reproduction of the published figures", facts=facts, table=table)


# --------------------------------------------------------------------------- rounding rules


def printed_unit(value: float | int) -> Decimal:
    """The unit of the last significant digit of a printed number (``470000000`` -> 1E+7)."""
    d = Decimal(str(value)).normalize()
    exp = d.as_tuple().exponent
    return Decimal(1).scaleb(exp if isinstance(exp, int) else 0)


def _decimals(value: float | int) -> int:
    """Printed decimals of a percentage: ``50`` -> 0, ``28.5`` -> 1, ``19.0`` -> 1."""
    text = str(value)
    return len(text.split(".")[1]) if "." in text else 0


def _round_pct(count: int, base: int, decimals: int) -> Decimal:
    exact = Fraction(100 * count, base)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
    )


def _round_to_unit(value: float, unit: Decimal) -> Decimal:
    return (Decimal(repr(value)) / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit


def _num(d: Decimal) -> float | int:
    return int(d) if d == d.to_integral_value() and int(d.as_tuple().exponent) >= 0 else float(d)


# --------------------------------------------------------------------------- computing


def _values(data: pd.DataFrame, col: str, inst: Any) -> tuple[np.ndarray, np.ndarray]:
    """Numeric values of *col* and the mask of valid answers (not NaN, not user-missing)."""
    x = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
    missing = np.asarray(inst.missing_codes(col), dtype=float)
    return x, ~np.isnan(x) & ~np.isin(x, missing)


def _single_mode(x: np.ndarray) -> tuple[float | None, int]:
    """The unique most frequent value of *x* (None on a tie) and its count."""
    if x.size == 0:
        return None, 0
    codes, counts = np.unique(x, return_counts=True)
    top = counts.max()
    winners = codes[counts == top]
    return (float(winners[0]) if winners.size == 1 else None), int(top)


def _pct_one(spec: Any, pub: dict, data: pd.DataFrame, inst: Any, col: str) -> FigureCheck:
    x, valid = _values(data, col, inst)
    in_base = inst.mask(spec.base, data)
    denom = in_base & valid if spec.na == "exclude" else in_base
    hit = denom & np.isin(x, np.asarray(spec.codes, dtype=float))
    base, count = int(denom.sum()), int(hit.sum())
    printed = pub["pct"]
    if base == 0:
        return FigureCheck(
            spec.key, inst.survey, "pct", printed, None, False, 0, 0, None, f"no respondents in the base of {col!r}"
        )
    rounded = _round_pct(count, base, _decimals(printed))
    match = rounded == Decimal(str(printed))
    notes = []
    if spec.modal:
        answers = x[in_base & valid]
        others = np.unique(answers[~np.isin(answers, spec.codes)], return_counts=True)[1]
        if others.size and others.max() >= count:
            match = False
            notes.append("published as the most frequent answer; it is not")
    want = pub.get("count")
    if want is not None and count not in (want if isinstance(want, list) else [want]):
        notes.append(f"count {count} differs from the published count {want}")
    return FigureCheck(
        spec.key,
        inst.survey,
        "pct",
        printed,
        _num(rounded),
        bool(match),
        base,
        count,
        100.0 * count / base,
        "; ".join(notes),
    )


def _pct(spec: Any, pub: dict, data: pd.DataFrame, inst: Any) -> FigureCheck:
    checks = [_pct_one(spec, pub, data, inst, col) for col in spec.questions]
    failed = [c for c in checks if not c.match]
    return failed[0] if failed else checks[0]


def _mean(spec: Any, pub: dict, data: pd.DataFrame, inst: Any) -> FigureCheck:
    x, valid = _values(data, spec.question, inst)
    use = valid & inst.mask(spec.base, data)
    printed = pub["mean"]
    if not use.any():
        return FigureCheck(
            spec.key, inst.survey, "mean", printed, None, False, 0, None, None, f"no valid answers of {spec.question!r}"
        )
    mean = float(x[use].mean())
    rounded = _round_to_unit(mean, printed_unit(printed))
    return FigureCheck(
        spec.key,
        inst.survey,
        "mean",
        printed,
        _num(rounded),
        bool(rounded == Decimal(str(printed))),
        int(use.sum()),
        None,
        mean,
        f"printed unit {_num(printed_unit(printed))}",
    )


def _mode(spec: Any, pub: dict, data: pd.DataFrame, inst: Any) -> FigureCheck:
    x, valid = _values(data, spec.question, inst)
    use = valid & inst.mask(spec.base, data)
    code, top = _single_mode(x[use])
    label = None if code is None else inst.label(spec.question, code, "ko")
    match = code == spec.code and label == pub.get("value_ko")
    note = "" if code is not None else "no single most frequent answer (tie)"
    return FigureCheck(
        spec.key, inst.survey, "mode", pub.get("value_ko"), label, bool(match), int(use.sum()), top, code, note
    )


def _external(spec: Any, pub: dict, data: pd.DataFrame, inst: Any) -> FigureCheck:
    printed = pub.get("pct", pub.get("mean"))
    return FigureCheck(spec.key, inst.survey, "external", printed, None, None, note=spec.note or "")


_KINDS = {"pct": _pct, "mean": _mean, "mode": _mode, "external": _external}


def _check_survey(survey: str, data: pd.DataFrame, inst: Any, published: list[dict], source: str) -> list[FigureCheck]:
    _require_columns(data, inst, source)
    specs = {f.key: f for f in inst.figures}
    out = []
    for pub in published:
        spec = specs.get(pub["key"])
        if spec is None:
            out.append(
                FigureCheck(
                    pub["key"],
                    survey,
                    "?",
                    pub.get("pct", pub.get("mean")),
                    None,
                    False,
                    note=f"instrument {inst.name!r} has no figure spec for this key",
                )
            )
            continue
        out.append(_KINDS[spec.kind](spec, pub, data, inst))
    return out


def _require_columns(data: pd.DataFrame, inst: Any, source: str) -> None:
    needed = [c for f in inst.figures for c in (*f.questions, *(f.base.variables if f.base else ()))]
    absent = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if absent:
        raise DataError(
            f"data '{source}' must have the {inst.survey} figure columns; got no column {absent[0]!r}"
            f"{f' (+{len(absent) - 1} more)' if len(absent) > 1 else ''}.{closest(absent[0], data.columns)} "
            f"Pass the {inst.survey} file in the {inst.survey} position, or rename the column."
        )


# --------------------------------------------------------------------------- public entry


def _demo_file(survey: str) -> Path:
    """The bundled demo file of *survey* (``organisation`` or ``worker``), by :func:`.demo.demo_path`."""
    from surveykit.studies.safety_net_2018.demo import demo_path

    if survey not in SURVEYS:
        raise DataError(f"survey must be one of {list(SURVEYS)}; got {survey!r}.{closest(survey, SURVEYS)}")
    return demo_path(SURVEYS[survey])


def _load(source: Any, survey: str) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source, f"<{survey} DataFrame>"
    if source is not None and not isinstance(source, (str, Path)):
        raise DataError(
            f"{survey} data must be a file path or a DataFrame; got {type(source).__name__}. "
            f"Pass e.g. 'instruments/demo/{SURVEYS[survey]}.sav'."
        )
    from surveykit.io import read

    path = _demo_file(survey) if source is None else Path(source)
    data, _meta = read(path)
    return data, str(path)


def reproduce(org_path: Any = None, worker_path: Any = None) -> ReproductionResult:
    """Recompute every published figure from organisation and worker microdata.

    Parameters
    ----------
    org_path, worker_path : a data file (``.sav``, ``.csv``, ... anything
        :func:`surveykit.io.read` reads) or a DataFrame; ``None`` uses the shipped demo data
        (``surveykit.instruments/demo/*.sav``).

    Returns
    -------
    ReproductionResult
        One :class:`FigureCheck` per published figure (organisation first, then worker, in
        ``published_figures.yaml`` order); ``all_match``; ``to_frame()``, ``to_dict()``,
        ``summary()``.

    Raises
    ------
    ReadError : a file is missing or unreadable.
    DataError : a figure's column is absent (e.g. the two files swapped).

    Notes
    -----
    Shares are of unweighted respondent counts, as the brief printed them. R equivalent of one
    pct figure: ``100 * mean(x[base] %in% codes)`` on the valid answers (``na.rm = TRUE`` after
    ``haven::zap_missing``); see the module docstring for the rounding rule.
    """
    from surveykit.instrument import load_instrument, load_published_figures

    published = load_published_figures()["figures"]
    checks: list[FigureCheck] = []
    sources: list[str] = []
    for survey, source in (("organisation", org_path), ("worker", worker_path)):
        data, name = _load(source, survey)
        inst = load_instrument(SURVEYS[survey])
        checks += _check_survey(survey, data, inst, published[survey], name)
        sources.append(name)
    return ReproductionResult(figures=tuple(checks), sources=tuple(sources))
