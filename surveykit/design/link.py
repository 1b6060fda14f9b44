"""Linked organisation-worker analysis: ``sk.link(workers, organisations, on=...)``.

Workers are employed by organisations. When each worker record carries its organisation's id,
:func:`link` attaches the organisation's variables to every worker and makes the organisations
the primary sampling units of the worker design, so every verb, table and model of the linked
survey has cluster-robust (design-based) standard errors: workers of one organisation are not
counted as independent observations.

R equivalent::

    linked <- merge(workers, organisations, by.x = "org_id", by.y = "id", all.x = TRUE)
    svydesign(ids = ~org_id, weights = ~w, strata = ~s, data = linked)

The organisation variables keep their value labels, variable labels and user-missing codes
(carried as file metadata of the linked survey), so a missing code of the organisation survey
stays missing in the worker analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveykit.design.core import Design
from surveykit.errors import DataError, DesignError, closest, excerpt, format_rows

if TYPE_CHECKING:
    from surveykit.io import FileMeta
    from surveykit.survey import Survey

__all__ = ["link"]


def _keys(on: Any) -> tuple[str, str]:
    if isinstance(on, str):
        return on, on
    if isinstance(on, (tuple, list)) and len(on) == 2 and all(isinstance(k, str) for k in on):
        return on[0], on[1]
    raise DataError(
        f"on must be a column name present in both surveys, or a pair (worker column, organisation column); "
        f"got {excerpt(on)}. Pass e.g. on=('org_id', 'id')."
    )


def _frame(obj: Any, what: str) -> pd.DataFrame:
    from surveykit.survey import Survey

    if isinstance(obj, Survey):
        return obj.data
    if isinstance(obj, pd.DataFrame):
        return obj.reset_index(drop=True)
    raise DataError(f"{what} must be a surveykit Survey or a pandas DataFrame; got {type(obj).__name__}.")


def _column(frame: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in frame.columns:
        raise DataError(
            f"id column {name!r} must be a column of the {what}; it is not." + closest(name, map(str, frame.columns))
        )
    return frame[name]


def _check_ids(worker_ids: pd.Series, org_ids: pd.Series, wkey: str, okey: str) -> None:
    """Refuse missing, duplicate and unmatched ids, naming the rows (1-based)."""
    org_missing = org_ids.isna().to_numpy()
    if org_missing.any():
        rows = format_rows((np.flatnonzero(org_missing) + 1).tolist())
        raise DataError(f"organisation id {okey!r} must be present on every organisation; it is missing on {rows}.")
    dup = org_ids.duplicated(keep=False).to_numpy()
    if dup.any():
        values = sorted({excerpt(v) for v in org_ids[dup]})
        rows = format_rows((np.flatnonzero(dup) + 1).tolist())
        raise DataError(
            f"organisation id {okey!r} must identify one organisation per row; {', '.join(values[:5])} "
            f"occur more than once (organisation {rows}). Remove the duplicate rows."
        )
    missing = worker_ids.isna().to_numpy()
    if missing.any():
        rows = format_rows((np.flatnonzero(missing) + 1).tolist())
        raise DataError(
            f"worker column {wkey!r} must hold an organisation id on every worker; it is missing on worker {rows}. "
            "Drop those workers or fill in their organisation."
        )
    unmatched = ~worker_ids.isin(org_ids).to_numpy()
    if unmatched.any():
        values = sorted({excerpt(v) for v in worker_ids[unmatched]})
        rows = format_rows((np.flatnonzero(unmatched) + 1).tolist())
        raise DataError(
            f"worker column {wkey!r} must name organisations of the organisation data; {', '.join(values[:5])} "
            f"on worker {rows} match no {okey!r}. Check the ids or add the organisations."
        )


def _attached(org: pd.DataFrame, okey: str, columns: Sequence[str] | None, prefix: str) -> list[str]:
    if columns is None:
        return [str(c) for c in org.columns if c != okey]
    from surveykit._util.columns import as_names

    names = as_names(columns, "columns")
    for name in names:
        if name not in org.columns:
            raise DataError(
                f"column {name!r} must be a column of the organisation data; it is not."
                + closest(name, map(str, org.columns))
            )
    return [n for n in names if n != okey]


def _check_design(svy: Survey, wkey: str) -> Design:
    from surveykit.design.replicate import ReplicateDesign

    d = svy.design
    if isinstance(d, ReplicateDesign):
        raise DesignError(
            "link needs a design given by weights, strata and clusters; the worker survey has replicate weights, "
            "which cannot be re-clustered by organisation. Link the data first, then build the replicates "
            "(sk.as_replicate)."
        )
    if svy.history:
        raise DesignError(
            f"link needs the worker survey as designed; it has been changed by {'; '.join(svy.history)}. "
            "Link first, then take domains or weight the linked survey."
        )
    if d.fpc:
        raise DesignError(
            "link makes the organisations the primary sampling units; the worker design has an fpc, which "
            "describes another first stage. Drop the fpc (organisations are then sampled with replacement)."
        )
    if d.ids and tuple(d.ids) != (wkey,):
        raise DesignError(
            f"link makes the organisations (column {wkey!r}) the primary sampling units; the worker design "
            f"already has clusters {', '.join(d.ids)}. Drop them from the worker design."
        )
    return Design(weights=d.weights, strata=d.strata, ids=wkey, nest=d.nest, lonely_psu=d.lonely_psu)


def _merged_meta(
    workers: Any, organisations: Any, frame: pd.DataFrame, attach: dict[str, str], wkey: str
) -> FileMeta | None:
    """The worker file metadata plus each attached organisation variable's labels and missing codes."""
    from surveykit.io import FileMeta
    from surveykit.survey import Survey

    wmeta = workers.meta if isinstance(workers, Survey) else None
    if not isinstance(organisations, Survey):
        return wmeta
    var_labels: dict[str, str | None] = dict(wmeta.variable_labels) if wmeta else {}
    val_labels: dict[str, dict[Any, str]] = dict(wmeta.value_labels) if wmeta else {}
    missing = dict(wmeta.missing) if wmeta else {}
    for source, target in attach.items():
        label = organisations.variable_label(source)
        if label:
            var_labels[target] = label
        labels = organisations.value_labels(source)
        if labels:
            val_labels[target] = labels
        spec = organisations.missing_spec(source)
        if spec.values or spec.ranges:
            missing[target] = spec
    columns = tuple(map(str, frame.columns))
    if wmeta is None:
        return FileMeta(
            path="",
            format="linked",
            n_rows=len(frame),
            columns=columns,
            variable_labels=var_labels,
            value_labels=val_labels,
            missing=missing,
            notes=(f"organisation variables attached by {wkey!r}",),
        )
    return replace(
        wmeta, columns=columns, variable_labels=var_labels, value_labels=val_labels, missing=missing, n_rows=len(frame)
    )


def link(
    workers: Survey | pd.DataFrame,
    organisations: Survey | pd.DataFrame,
    *,
    on: str | tuple[str, str],
    columns: Sequence[str] | None = None,
    prefix: str = "",
) -> Survey:
    """Attach organisation variables to workers and cluster the workers by organisation.

    Parameters
    ----------
    workers : Survey or DataFrame
        The worker survey. Its weights, strata and questionnaire are kept; a DataFrame means
        equal weights. It must not be a domain, weighted since, nor carry an fpc or other
        clusters (the organisations become its first stage).
    organisations : Survey or DataFrame
        One row per organisation. From a Survey, the attached variables keep their labels and
        user-missing codes.
    on : str or (str, str)
        The organisation id: a column present in both, or ``(worker column, organisation column)``.
    columns : list of str, optional
        Organisation variables to attach (default: every column but the id).
    prefix : str
        Prepended to every attached name (e.g. ``"org_"``) to avoid clashes with worker columns.

    Returns
    -------
    Survey
        Worker rows in their original order with the organisation variables attached, and the
        design ``Design(ids=<worker id column>, weights=..., strata=...)``: organisations are the
        primary sampling units (R ``svydesign(ids = ~org_id, ...)`` on the merged frame).

    Raises
    ------
    DataError
        A worker without an organisation id or with an id no organisation has; an organisation id
        that occurs twice or is missing; an attached name that is already a worker column (each
        message names the variable and the rows).
    DesignError
        The worker design cannot be re-clustered (replicate weights, fpc, other clusters, a domain
        or weighting already applied).

    Examples
    --------
    >>> import surveykit as sk
    >>> workers = sk.demo_survey("worker_2018")
    >>> orgs = sk.demo_survey("organisation_2018")
    >>> linked = sk.link(workers, orgs, on=("org_id", "id"), columns=["org_type"], prefix="org_")
    >>> linked.resolved.n_psu_total <= orgs.n
    True
    """
    from surveykit.survey import Survey

    wkey, okey = _keys(on)
    wframe, oframe = _frame(workers, "workers"), _frame(organisations, "organisations")
    if not isinstance(prefix, str):
        raise DataError(f"prefix must be a string (e.g. 'org_'); got {excerpt(prefix)}.")
    _check_ids(_column(wframe, wkey, "worker data"), _column(oframe, okey, "organisation data"), wkey, okey)
    design = _check_design(workers, wkey) if isinstance(workers, Survey) else Design(ids=wkey)
    attach = {name: f"{prefix}{name}" for name in _attached(oframe, okey, columns, prefix)}
    clash = [t for t in attach.values() if t in wframe.columns]
    if clash:
        raise DataError(
            f"organisation variable{'s' if len(clash) > 1 else ''} {', '.join(map(repr, clash[:8]))} "
            f"{'are' if len(clash) > 1 else 'is'} already {'worker columns' if len(clash) > 1 else 'a worker column'}"
            f" (in every worker row). Pass prefix='org_' or choose columns=[...] without them."
        )
    position = pd.Index(oframe[okey]).get_indexer(wframe[wkey])
    frame = wframe.copy()
    for source, target in attach.items():
        frame[target] = oframe[source].to_numpy()[position]
    instrument = workers.instrument if isinstance(workers, Survey) else None
    meta = _merged_meta(workers, organisations, frame, attach, wkey)
    return Survey(frame, design, instrument, meta=meta)
