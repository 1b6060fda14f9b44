"""The bundled demo data: calibrated synthetic microdata of the two 2018 surveys.

The real microdata were never published; :mod:`surveykit.studies.safety_net_2018.synth` generated these files (seed
2018) so that every published figure is reproduced exactly (``surveykit reproduce``). They ship as
package data (``surveykit.instruments/demo``) in SPSS ``.sav`` (labels, user-missing codes) and CSV.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from surveykit.errors import DataError, closest

__all__ = ["DEMO_INSTRUMENTS", "demo_path", "demo_survey"]

DEMO_INSTRUMENTS = ("organisation_2018", "worker_2018")


def demo_path(instrument: str = "organisation_2018", suffix: str = ".sav") -> Path:
    """Path of a bundled demo file: ``instrument`` is ``organisation_2018`` or ``worker_2018``.

    Examples
    --------
    >>> demo_path("worker_2018").name
    'worker_2018.sav'
    """
    if instrument not in DEMO_INSTRUMENTS:
        raise DataError(
            f"demo data exist for {', '.join(DEMO_INSTRUMENTS)}; got {instrument!r}.{closest(instrument, DEMO_INSTRUMENTS)}"
        )
    if suffix not in (".sav", ".csv"):
        raise DataError(f"demo files are .sav or .csv; got {suffix!r}.")
    ref = importlib.resources.files("surveykit.instruments").joinpath("demo", instrument + suffix)
    return Path(str(ref))


def demo_survey(instrument: str = "organisation_2018"):
    """The demo data of *instrument* as an unweighted :class:`~surveykit.Survey` with its questionnaire.

    Examples
    --------
    >>> svy = demo_survey("organisation_2018")
    >>> svy.n
    186
    >>> round(float(svy.proportion("coverage_held", level=1).estimate[0]), 3)
    0.323
    """
    from surveykit.design import Design
    from surveykit.instrument import load_instrument
    from surveykit.io import read
    from surveykit.survey import Survey

    data, _meta = read(demo_path(instrument))
    return Survey(data, Design(), load_instrument(instrument))
