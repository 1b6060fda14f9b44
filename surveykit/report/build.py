"""Build briefs from analysis plans: plan -> surveys -> sections -> HTML, PDF, JSON, XLSX.

``surveykit brief`` calls :func:`build_briefs`. Every output of a brief is first written to a
staging folder and moved into place only when all of them succeeded, so an error never leaves a
half-written brief behind; input files are only read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from surveykit.errors import ReportError, SurveykitError
from surveykit.report import status
from surveykit.report._staging import make_stage, remove_stale_stages, sigterm_raises
from surveykit.report.context import Ctx
from surveykit.report.document import Document, Section, Table, as_lang
from surveykit.report.plan import APPENDIX_TYPES, Plan, SectionSpec, load_plan
from surveykit.report.prepare import prepare_surveys
from surveykit.report.text import UI

__all__ = ["build_brief", "build_briefs", "build_document", "DEFAULT_PLANS"]

DEFAULT_PLANS = ("organisation_brief", "worker_brief")


def _builders() -> dict[str, Callable[[Ctx, SectionSpec], Section]]:
    from surveykit.report.sections import analysis as a
    from surveykit.report.sections import basic as b
    from surveykit.report.sections import crosstab as x
    from surveykit.report.sections import models as m
    from surveykit.report.sections import segments as seg
    from surveykit.report.sections import summary as s

    return {
        "summary": s.summary,
        "overview": b.overview,
        "key_figures": b.key_figures,
        "reproduction": b.reproduction,
        "quality": b.quality,
        "methods": b.methods,
        "frequencies": a.frequencies,
        "crosstab": x.crosstab,
        "multiple_response": a.multiple_response,
        "model": m.model,
        "multinomial": m.multinomial,
        "segments": seg.build,
    }


def build_document(
    plan: Plan,
    *,
    data: str | Path | None = None,
    lang: str | None = None,
    on_section: Callable[[str], None] | None = None,
) -> tuple[Document, Ctx]:
    """Compute every section of *plan* and return the document and its build context."""
    lang = as_lang(lang or plan.lang)
    ctx = Ctx(plan=plan, lang=lang, surveys=prepare_surveys(plan, data))
    builders = _builders()
    built: dict[int, Section] = {}
    label = plan.path.name if plan.path is not None else f"{plan.id}.yaml"
    # the summary reads what the other sections computed, so it is built last (printed first)
    order = sorted(range(len(plan.sections)), key=lambda i: plan.sections[i].type == "summary")
    for i in order:
        spec = plan.sections[i]
        if on_section is not None:
            on_section(spec.type)
        ctx.current = spec
        try:
            section = builders[spec.type](ctx, spec)
        except SurveykitError as exc:
            raise type(exc)(f"{label}: sections[{i}] ({spec.type}): {exc}") from exc
        finally:
            ctx.current = None
        if spec.type in APPENDIX_TYPES and not section.appendix:
            section = Section(section.id, section.title, section.blocks, appendix=True)
        built[i] = section
    doc = Document(
        title=ctx.text(plan.title),
        subtitle=ctx.text(plan.subtitle),
        lang=lang,
        date=plan.date,
        organisation=ctx.text(plan.organisation),
        meta={},
        sections=tuple(built[i] for i in range(len(plan.sections))),
        notice=status.notice(plan, lang),
        footer=status.footer(plan, lang),
        keywords=status.keywords(plan, lang),
    )
    return doc, ctx


def build_brief(
    plan_name: str | Path,
    *,
    data: str | Path | None = None,
    out: str | Path = "out",
    lang: str | None = None,
    on_section: Callable[[str], None] | None = None,
) -> list[Path]:
    """Build one brief into ``out/<plan id>/``: ``<id>.html``, ``<id>.pdf``, ``results.json``, ``tables.xlsx``."""
    from surveykit.report.render import write_html, write_json, write_pdf, write_xlsx

    plan = load_plan(plan_name)
    doc, ctx = build_document(plan, data=data, lang=lang, on_section=on_section)
    suffix = "" if (lang or plan.lang) == plan.lang else f".{lang}"
    root = _output_root(out)
    target = root / plan.id
    if target.exists() and not target.is_dir():
        raise ReportError(f"output {str(target)!r} must be a folder; it is a file. Choose another output folder.")
    remove_stale_stages(root)  # left by an earlier build that was killed (kill -9)
    with sigterm_raises():  # SIGTERM unwinds through the finally below, like Ctrl-C
        stage = make_stage(root, plan.id)
        try:
            names = [
                f"{plan.id}{suffix}.html",
                f"{plan.id}{suffix}.pdf",
                f"results{suffix}.json",
                f"tables{suffix}.xlsx",
            ]
            write_html(doc, stage / names[0])
            write_pdf(doc, stage / names[1])
            write_json(results_json(plan, doc, ctx), stage / names[2])
            write_xlsx(_tables(doc), stage / names[3], readme=readme(plan, doc), lang=doc.lang)
            target.mkdir(exist_ok=True)
            outputs = []
            for name in names:
                os.replace(stage / name, target / name)
                outputs.append(target / name)
            return outputs
        finally:
            shutil.rmtree(stage, ignore_errors=True)


#: the version of the results.json layout (docs/results.md); bump it when a field changes meaning
RESULTS_SCHEMA = "surveykit.results/1"
_SUPPRESSED = ("suppressed", "secondary")
_HIDDEN = ("estimate", "se", "ci_low", "ci_high", "n", "count")


def results_json(plan: Plan, doc: Document, ctx: Ctx) -> dict:
    """The content of ``results.json`` (documented in docs/results.md).

    A suppressed number is published as ``null`` (with its flag), as in the printed tables.
    """
    records = []
    for rec in ctx.records:
        if rec.get("flag") in _SUPPRESSED:
            rec = {**rec, **{k: None for k in _HIDDEN if k in rec}}
        records.append(rec)
    return {
        "schema": RESULTS_SCHEMA,
        "plan": plan.id,
        "lang": ctx.lang,
        "title": doc.title,
        **status.status_fields(plan, ctx.lang),
        "reliability": dict(plan.reliability),
        "results": records,
    }


def _tables(doc: Document) -> list[tuple[str, object]]:
    """Every table of the document as one sheet, named by its number (``표 3`` / ``Table 3``)."""

    tables = [b for sec in doc.sections for b in sec.blocks if isinstance(b, Table)]
    word = UI[doc.lang]["table"]
    return [(f"{word} {i}", t) for i, t in enumerate(tables, 1)]


def readme(plan: Plan, doc: Document) -> list[tuple[str, object]]:
    """The README sheet of ``tables.xlsx``: what the workbook is, its data status, its sheets."""

    ko = doc.lang == "ko"
    rows: list[tuple[str, object]] = [
        ("브리프" if ko else "Brief", doc.title),
        ("자료 상태" if ko else "Data status", plan.data_status or ("밝히지 않음" if ko else "not stated")),
    ]
    if doc.notice:
        rows.append(("알림" if ko else "Notice", doc.notice))
    rows.append(
        (
            "읽는 법" if ko else "How to read",
            "표마다 시트 하나. 숫자는 숫자 셀(비율은 %), 표시하지 않은 값은 †, 주의 표시는 셀 메모와 표 아래 주석에 있다."
            if ko
            else "One sheet per table of the brief. Numbers are numeric cells (shares in percent); values not "
            "shown are marked †; caution flags are cell comments and notes below each table.",
        )
    )
    word = UI[doc.lang]["table"]
    tables = [b for sec in doc.sections for b in sec.blocks if isinstance(b, Table)]
    rows += [(f"{word} {i}", t.caption) for i, t in enumerate(tables, 1)]
    return rows


def _output_root(out: str | Path) -> Path:
    """The output folder, created if needed; a clear error when it cannot be."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise ReportError(f"output folder {str(root)!r} must be a folder; it is a file. Choose another path.")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(
            f"output folder {str(root)!r} cannot be created ({exc.strerror}). Choose a folder you can write to."
        ) from exc
    if not os.access(root, os.W_OK):
        raise ReportError(f"output folder {str(root)!r} must be writable; it is not. Choose another output folder.")
    return root


def _build_job(job: tuple[str | Path, str | Path | None, str | Path, str | None]) -> list[Path]:
    plan, data, out, lang = job
    return build_brief(plan, data=data, out=out, lang=lang)


def build_briefs(
    plans: Sequence[str | Path] = (),
    *,
    data: str | Path | None = None,
    out: str | Path = "out",
    lang: str | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> list[Path]:
    """Build several briefs (default: the bundled organisation and worker briefs).

    Briefs are independent, so several are built in parallel processes: ``workers`` of them
    (default: one per brief, up to the number of CPUs; ``1`` builds in this process). On the
    2-core reference machine the two demo briefs take about 10 s in parallel, 15 s one after the
    other. A progress display goes to stderr when it is a terminal. Each brief's outputs appear
    only when all four are written.
    """
    plans = list(plans) or list(DEFAULT_PLANS)
    if data is not None and len(plans) != 1:
        raise ReportError("data goes with exactly one plan; got none or several. Name the one plan the data belong to.")
    for p in plans:
        load_plan(p)  # fail fast, before any work, on a bad plan name or key
    jobs = [(p, data, out, lang) for p in plans]
    n_workers = max(1, min(len(jobs), workers or os.cpu_count() or 1))
    from rich.console import Console

    console = Console(stderr=True)
    show = progress and console.is_terminal
    if n_workers <= 1:
        results = []
        for job in jobs:
            if show:
                console.print(f"building {Path(str(job[0])).stem} ...")
            results.append(_build_job(job))
        return [path for paths in results for path in paths]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    names = [Path(str(p)).stem for p in plans]
    with sigterm_raises(), ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            futures = [pool.submit(_build_job, job) for job in jobs]
            if show:
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

                with Progress(
                    TextColumn("building {task.description}"),
                    BarColumn(),
                    TimeElapsedColumn(),
                    console=console,
                    transient=True,
                ) as bar:
                    task = bar.add_task(", ".join(names), total=len(futures))
                    for future in futures:
                        future.add_done_callback(lambda _f: bar.advance(task))
                    results = [f.result() for f in futures]
            else:
                results = [f.result() for f in futures]
        except BaseException:
            _stop_workers(pool)
            raise
    return [path for paths in results for path in paths]


def _stop_workers(pool: object, timeout: float = 30.0) -> None:
    """SIGTERM the pool's workers (each removes its staging folder) and wait for them."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout)
    pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[attr-defined]
