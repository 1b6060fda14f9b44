"""Questionnaires as code: the :class:`Instrument` model, its YAML schema, the one expression
grammar (derived variables, routing rules, domains) and data validation against it.

Public face of the folder: :class:`Instrument` and its parts, :func:`load_instrument`,
:func:`bundled_instruments`, :func:`load_published_figures`. The questionnaire model lives in
:mod:`surveykit.instrument.model`, its YAML reader in :mod:`surveykit.instrument.schema`, the
expression grammar in :mod:`surveykit.instrument.grammar` / :mod:`surveykit.instrument.expr`,
validation in :mod:`surveykit.instrument.validate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from surveykit.instrument.draft import from_meta as _from_meta
from surveykit.instrument.model import (
    FIGURE_KINDS,
    QUESTION_TYPES,
    FigureSpec,
    Instrument,
    Option,
    Question,
    Rule,
    Section,
    bundled_instruments,
    load_published_figures,
)
from surveykit.instrument.schema import load_instrument

if TYPE_CHECKING:
    import pandas as pd

    from surveykit.io import FileMeta


def _instrument_from_meta(
    cls: type[Instrument], meta: FileMeta, data: pd.DataFrame | None = None, *, name: str | None = None
) -> Instrument:
    """Draft a questionnaire from a data file's own metadata: :func:`surveykit.instrument.draft.from_meta`.

    Bound here, in the folder's face, so that the model module never imports its drafter.
    """
    return _from_meta(meta, data, name=name)


Instrument.from_meta = classmethod(_instrument_from_meta)  # checked against Instrument.from_meta's declaration

__all__ = [
    "Instrument", "Question", "Option", "Section", "FigureSpec", "Rule", "load_instrument",
    "load_published_figures", "bundled_instruments", "QUESTION_TYPES", "FIGURE_KINDS",
]  # fmt: skip
