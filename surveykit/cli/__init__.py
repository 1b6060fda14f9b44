"""The ``surveykit`` command: a thin shell over the library.

Every command reads the same YAML the library reads and has no defaults of its own beyond
"the bundled demo data". Bad input (any :class:`~surveykit.errors.SurveykitError`, a missing file)
prints one line ``surveykit: error: ...`` to stderr and exits 2, without a traceback; Ctrl-C
exits 130 and SIGTERM during a brief 143, each after removing the brief's staging folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence

from surveykit.errors import SurveykitError, SurveykitWarning, Terminated

__all__ = ["main"]


def _cmd_validate(args: argparse.Namespace) -> int:
    """One report: the data against the questionnaire, then the file's metadata against it.

    Exit 0 when there is nothing to report (warnings allowed unless ``--strict``), 1 when there
    are errors (or, with ``--strict``, warnings); bad input exits 2 in :func:`main`.
    """
    import dataclasses

    from surveykit.instrument import Instrument, load_instrument
    from surveykit.instrument.validate import reconcile, validate
    from surveykit.io import read

    data, meta = read(args.file, **({"encoding": args.encoding} if args.encoding else {}))
    instrument = load_instrument(args.instrument) if args.instrument else Instrument.from_meta(meta, data)
    report = validate(data, instrument, source=str(args.file), id=instrument.id)
    labels = reconcile(meta, instrument)
    order = {"error": 0, "warning": 1}
    issues = tuple(sorted((*report.issues, *labels.issues), key=lambda i: order[i.severity]))
    report = dataclasses.replace(report, issues=issues)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.summary())
    return 1 if (report.n_errors or (args.strict and report.n_warnings)) else 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from surveykit.studies.safety_net_2018.synth import write_demo

    paths = write_demo(args.out, seed=args.seed)
    for p in paths:
        print(p)
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from surveykit.studies.safety_net_2018.reproduce import reproduce

    result = reproduce(*(args.data or ()))
    if args.json:
        keys = ("key", "survey", "published", "computed", "match")
        rows = [{k: row[k] for k in keys} for row in result.to_dict()["figures"]]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(result.summary())
    return 0 if result.all_match else 1


def _cmd_brief(args: argparse.Namespace) -> int:
    from surveykit.report.build import build_briefs

    outputs = build_briefs(
        [*args.plans, *(args.plan or ())],
        data=args.data,
        out=args.out,
        lang=args.lang,
        progress=not args.quiet,
        workers=args.jobs,
    )
    for p in outputs:
        print(p)
    return 0


def _parser() -> argparse.ArgumentParser:
    from surveykit import __version__
    from surveykit.cli.quick import add_commands

    p = argparse.ArgumentParser(prog="surveykit", description="Design-based survey analysis and briefs.")
    p.add_argument("--version", action="version", version=f"surveykit {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    add_commands(sub)

    v = sub.add_parser(
        "validate",
        help="check a data file against a questionnaire",
        description="Check a data file against a questionnaire (codes, ranges, routing, ids, labels): one report.",
        epilog="exit status: 0 no errors (warnings allowed), 1 errors found (or warnings, with --strict), "
        "2 bad input or usage.\nexample:\n  surveykit validate survey.sav --instrument questionnaire.yaml --strict",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("file", help="data file (.sav .zsav .por .dta .csv .xlsx .parquet)")
    v.add_argument(
        "--instrument",
        default=None,
        help="instrument YAML path or bundled name (default: drafted from the file's own metadata)",
    )
    v.add_argument("--encoding", default=None, help="override the file's text encoding (e.g. cp949)")
    v.add_argument("--json", action="store_true", help="emit the report as JSON")
    v.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    v.set_defaults(func=_cmd_validate)

    s = sub.add_parser("synth", help="write the calibrated synthetic demo data")
    s.add_argument("--seed", type=int, default=2018)
    s.add_argument("--out", required=True, help="output folder")
    s.set_defaults(func=_cmd_synth)

    r = sub.add_parser("reproduce", help="compute every published figure from data and compare")
    r.add_argument("--data", nargs=2, metavar=("ORG", "WORKER"), help="organisation and worker data files")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_cmd_reproduce)

    b = sub.add_parser("brief", help="build HTML/PDF/JSON/XLSX briefs (default: both demo briefs into ./out)")
    b.add_argument(
        "plans", nargs="*", help="analysis plan YAML(s); default: the bundled organisation and worker briefs"
    )
    b.add_argument(
        "--plan",
        action="append",
        metavar="PLAN.yaml",
        help="an analysis plan (the same as giving it as an argument; repeatable)",
    )
    b.add_argument("--data", default=None, help="data file to use instead of the plan's")
    b.add_argument("--out", default="out", help="output folder (default: ./out)")
    b.add_argument("--lang", choices=("ko", "en"), default=None, help="language (default: the plan's)")
    b.add_argument("--quiet", action="store_true", help="no progress display")
    b.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="briefs built in parallel processes (default: one per brief, up to the CPUs; 1 = serial)",
    )
    b.set_defaults(func=_cmd_brief)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad input)."""
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", SurveykitWarning)
            warnings.showwarning = _show_warning
            code = func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except (SurveykitError, OSError) as exc:
        print(f"surveykit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("surveykit: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:  # SIGTERM during a brief build; its staging folder is removed
        print("surveykit: terminated", file=sys.stderr)
        return 128 + int(exc.signum)


def _show_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    """A surveykit warning on the command line: one line on stderr, no source excerpt."""
    print(f"surveykit: warning: {message}", file=sys.stderr)


def _closed_pipe() -> int:
    """The reader of stdout went away (``surveykit codebook x.sav | head``): stop quietly.

    stdout is pointed at /dev/null so the interpreter's final flush raises nothing more.
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
