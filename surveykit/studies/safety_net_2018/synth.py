"""Calibrated synthetic microdata for the 2018 third-sector safety-net surveys.

The respondent-level data of the two surveys (organisations n=186, workers n=417) was never
published; only the figures in ``published_figures.yaml`` were. :func:`generate` builds microdata
that

* reproduces every published count exactly (categorical margins are assigned **by rank** of a
  latent score, so the margin is exact while the latent's covariates keep their relationship);
* reproduces every published mean within the rounding of its printed unit (integer draws are
  nudged until the mean rounds to the printed value);
* follows the questionnaire's routing (``ask_if``): skipped questions are system-missing (NaN);
* carries plausible item non-response (1-4 %) coded with the instrument's user-missing codes, on
  items whose published figures it cannot disturb;
* builds in the relationships listed in :data:`EFFECTS` (name, model and effect size), strong
  enough that an unweighted logistic model recovers each at p < 0.05, and a plausible joint
  structure (industry x product lines, income x gender and employment type, disease worry at 50+
  as the source states, workers employed by the synthetic organisations through ``org_id``);
  every direct dependency is listed in :data:`DEPENDENCIES` (module ``effects``, the one home;
  ``docs/synthetic.md`` gives the assumptions), everything else is drawn independently.

Everything is drawn from one :class:`numpy.random.Generator` seeded by ``seed``; the same seed
gives byte-identical files from :func:`write_demo`.

The building blocks used by the per-survey modules (``_synth_org``, ``_synth_worker``) live here:
:func:`by_rank`, :func:`shuffled_codes`, :func:`nudge_mean`, :func:`spread`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveykit.errors import DataError, ReadError
from surveykit.studies.safety_net_2018.effects import DEPENDENCIES, EFFECTS, built_in

__all__ = ["EFFECTS", "DEPENDENCIES", "built_in", "generate", "write_demo", "by_rank", "nudge_mean", "shuffled_codes"]

DEFAULT_SEED = 2018

# --------------------------------------------------------------------------- building blocks


def by_rank(latent: np.ndarray, codes: Sequence[float], counts: Sequence[int]) -> np.ndarray:
    """Assign ``codes`` by rank of ``latent``: the lowest ``counts[0]`` get ``codes[0]``, ...

    The margin is exact (``counts`` must sum to ``len(latent)``) and the ordering of the codes
    follows the latent score, so covariates in the latent keep their relationship.
    """
    latent = np.asarray(latent, dtype=float)
    if sum(counts) != latent.size:
        raise DataError(f"rank assignment needs counts summing to {latent.size}; got {sum(counts)}. Fix the plan.")
    order = np.argsort(latent, kind="stable")
    out = np.empty(latent.size, dtype=float)
    out[order] = np.repeat(np.asarray(codes, dtype=float), counts)
    return out


def top_code(rng: np.random.Generator, latent: np.ndarray, code: float, plan: Mapping[int, int]) -> np.ndarray:
    """The ``plan[code]`` rows of highest ``latent`` get ``code``; the other codes of ``plan``
    go to the rest at random (so the latent favours one category, not an order of all of them)."""
    latent = np.asarray(latent, dtype=float)
    out = np.empty(latent.size)
    top = np.argsort(-latent, kind="stable")[: plan[int(code)]]
    rest = np.setdiff1d(np.arange(latent.size), top)
    out[top] = code
    others = {k: v for k, v in plan.items() if k != code}
    out[rest] = shuffled_codes(rng, list(others), list(others.values()))
    return out


def shuffled_codes(rng: np.random.Generator, codes: Sequence[float], counts: Sequence[int]) -> np.ndarray:
    """Codes with exact ``counts`` in random order (a nominal item with no covariates)."""
    return by_rank(rng.random(int(sum(counts))), codes, counts)


def spread(rng: np.random.Generator, total: int, weights: Sequence[float], cap: int | None = None) -> list[int]:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder).

    With ``cap`` every count stays <= cap (the excess moves to the next largest free slot), so a
    printed modal category stays modal. ``rng`` breaks remainder ties only.
    """
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    counts = np.floor(raw).astype(int)
    rest = raw - counts + rng.random(w.size) * 1e-9
    for i in np.argsort(-rest)[: total - counts.sum()]:
        counts[i] += 1
    if cap is not None:
        while counts.max() > cap:
            i = int(np.argmax(counts))
            counts[i] -= 1
            free = np.flatnonzero(counts < cap)
            counts[free[np.argmax(w[free])]] += 1
    return counts.tolist()


def nudge_mean(
    rng: np.random.Generator,
    values: np.ndarray,
    target: float,
    unit: float,
    *,
    step: float = 1.0,
    low: float = 0.0,
    high: float = math.inf,
    only_positive: bool = False,
) -> np.ndarray:
    """Rescale and nudge non-negative draws so their mean rounds to ``target`` at ``unit``.

    ``values`` are scaled to the target mean and rounded to multiples of ``step``; the rounding
    residue of the total is then added (or removed) one ``step`` at a time on randomly chosen
    entries (never below ``low`` nor above ``high``; with ``only_positive`` zeros stay zero, e.g.
    no accident cost without an accident). The mean then equals ``target`` up to ``step / n``,
    well inside the printed rounding ``unit / 2``.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    scaled = np.round(values * (target / values.mean()) / step) * step
    scaled = np.clip(scaled, low, high)
    eligible = scaled > 0 if only_positive else np.ones(n, dtype=bool)
    diff = int(round((target * n - scaled.sum()) / step))
    while diff != 0:
        room = scaled + step <= high if diff > 0 else scaled - step >= max(low, step if only_positive else low)
        pool = np.flatnonzero(room & eligible)
        if pool.size == 0:
            break
        pick = rng.choice(pool, size=min(abs(diff), pool.size), replace=False)
        scaled[pick] += step * np.sign(diff)
        diff -= int(np.sign(diff)) * pick.size
    if abs(scaled.mean() - target) >= unit / 2:
        raise DataError(f"mean {scaled.mean()} does not round to {target} at unit {unit}; widen the draws.")
    return scaled


def logistic(rng: np.random.Generator, n: int) -> np.ndarray:
    """Standard logistic noise (so latent slopes are logistic-regression log-odds)."""
    return rng.logistic(0.0, 1.0, n)


def plan_codes(plan: Mapping[int, int]) -> tuple[list[int], list[int]]:
    """``{code: count}`` -> ``(codes, counts)`` for :func:`by_rank`."""
    return list(plan), list(plan.values())


def routed(asked: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A column with ``values`` on the rows that were ``asked`` and NaN (skipped) elsewhere."""
    out = np.full(asked.size, np.nan)
    out[asked] = values
    return out


def unstraightline(rng: np.random.Generator, columns: dict[str, np.ndarray], battery: Sequence[str]) -> None:
    """Move one item by one point on rows that gave the same answer to every item of a battery."""
    block = np.column_stack([columns[v] for v in battery])
    flat = np.flatnonzero((block == block[:, :1]).all(axis=1))
    var = battery[int(rng.integers(len(battery)))]
    columns[var][flat] = np.where(columns[var][flat] >= 3, columns[var][flat] - 1, columns[var][flat] + 1)


def pick_share(rng: np.random.Generator, eligible: np.ndarray, share: float) -> np.ndarray:
    """Mask of exactly ``round(share * eligible.sum())`` randomly chosen eligible rows."""
    rows = np.flatnonzero(eligible)
    out = np.zeros(eligible.size, dtype=bool)
    out[rng.choice(rows, size=int(round(share * rows.size)), replace=False)] = True
    return out


def add_item_nonresponse(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    rates: Mapping[str, float],
    codes: Mapping[str, float],
) -> None:
    """Replace a share ``rates[var]`` of the answered cells of ``var`` by its missing code, in place."""
    for var, rate in rates.items():
        rows = pick_share(rng, frame[var].notna().to_numpy(), rate)
        frame.loc[rows, var] = codes[var]


# --------------------------------------------------------------------------- public API


def _instrument(instrument: Any) -> Any:
    from surveykit.instrument import load_instrument

    return load_instrument(instrument) if isinstance(instrument, (str, Path)) else instrument


_GENERATORS = {
    "organisation": ("surveykit.studies.safety_net_2018.synth_org", "generate_org"),
    "worker": ("surveykit.studies.safety_net_2018.synth_worker", "generate_worker"),
}
#: file stem of the shipped demo data per survey
DEMO_STEMS = {"organisation": "organisation_2018", "worker": "worker_2018"}
#: the demo ``.sav`` files' label (SPSS FILE LABEL, 64 bytes at most): what a user opening the file sees
SAV_FILE_LABEL = "SYNTHETIC demo data (surveykit), calibrated to 2018 figures"
# SPSS header bytes 92..108 hold the creation date ("dd Mon yy") and time ("hh:mm:ss"); they are
# fixed so the same seed gives byte-identical .sav files.
_SAV_STAMP_OFFSET = 92
_SAV_STAMP = b"01 Dec 1800:00:00"


def generate(instrument: Any, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Generate calibrated synthetic microdata for one instrument.

    Parameters
    ----------
    instrument : a bundled instrument name (``"organisation_2018"``, ``"worker_2018"``), a YAML
        path, or an :class:`~surveykit.instrument.model.Instrument` whose ``survey`` is
        ``organisation`` or ``worker``.
    seed : seed of the :class:`numpy.random.Generator` (PCG64); the same seed gives the same data.

    Returns
    -------
    pandas.DataFrame
        One row per respondent, columns in questionnaire order (MR sets as ``<var>_<code>``
        0/1 columns); codes as float64, user-missing codes kept as codes, skipped items NaN,
        ``main_business`` as text.

    Raises
    ------
    DataError
        The instrument's survey has no generator.

    Notes
    -----
    R has no equivalent in ``survey``; the closest are ``simstudy``/``synthpop`` generators.
    Margins are fixed by rank assignment of latent scores (:func:`by_rank`), means by
    :func:`nudge_mean`; relationships are listed in :data:`EFFECTS`.
    """
    import importlib

    inst = _instrument(instrument)
    if inst.survey not in _GENERATORS:
        raise DataError(
            f"instrument {inst.name!r} must be an organisation or worker questionnaire to be synthesised; "
            f"got survey {inst.survey!r}. Use 'organisation_2018' or 'worker_2018'."
        )
    module, func = _GENERATORS[inst.survey]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a non-negative whole number; got {seed!r}. Pass e.g. seed=2018.")
    rng = np.random.default_rng(int(seed))
    extra: dict[str, Any] = {}
    if inst.survey == "worker":  # workers are employed by the synthetic organisations of the same seed
        extra["organisations"] = generate("organisation_2018", seed=seed)
    return getattr(importlib.import_module(module), func)(rng, inst, **extra)


def csv_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The frame as written to CSV: whole-number columns as nullable integers (``3``, not ``3.0``)."""
    out = data.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype.kind == "f" and np.all(np.isnan(values) | (values == np.round(values))):
            out[col] = values.astype("Int64")
    return out


def write_demo(out_dir: str | Path, *, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write both demo data sets as ``.sav`` (labels, user-missing codes) and ``.csv``.

    Parameters
    ----------
    out_dir : folder to write into (created if missing).
    seed : generator seed; the same seed gives byte-identical files.

    Returns
    -------
    list of pathlib.Path: ``organisation_2018.sav``, ``organisation_2018.csv``,
    ``worker_2018.sav``, ``worker_2018.csv`` in that order.

    Notes
    -----
    The ``.sav`` header's creation stamp is fixed to ``01 Dec 18 00:00:00`` (fieldwork's end) so
    the output is reproducible. R equivalent of the writer: ``haven::write_sav``.
    """
    from surveykit.instrument import load_instrument
    from surveykit.io import write_csv, write_sav

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReadError(
            f"output folder '{out}' must be a folder; it is a file. Pass a folder path (created if missing)."
        )
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for stem in DEMO_STEMS.values():
        inst = load_instrument(stem)
        data = generate(inst, seed=seed)
        sav = write_sav(data, out / f"{stem}.sav", file_label=SAV_FILE_LABEL, **inst.to_file_meta("ko"))
        _fix_sav_stamp(sav)
        paths += [sav, write_csv(csv_frame(data), out / f"{stem}.csv")]
    return paths


def _fix_sav_stamp(path: Path) -> None:
    with open(path, "r+b") as fh:
        head = fh.read(4)
        if head != b"$FL2":
            raise DataError(f"file '{path}' must be an SPSS system file ($FL2 header); got {head!r}.")
        fh.seek(_SAV_STAMP_OFFSET)
        fh.write(_SAV_STAMP)
