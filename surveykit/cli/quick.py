"""Quick looks from the command line: ``codebook``, ``describe``, ``freq``, ``crosstab``, ``mean``.

Each command is the thin shell of one library call on ``Survey.from_file(FILE, design)``: the
design comes from ``--weights/--strata/--ids/--fpc`` (or ``--design design.yaml``), the file's
user-missing codes and labels are honoured without a questionnaire, and ``--instrument``
refines them. Output is a console table (Korean aligned by East-Asian width) or ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from surveykit.errors import ReportError
from surveykit.tables.results import STATISTICS

__all__ = ["add_commands"]

_DESIGN_KEYS = ("weights", "strata", "ids", "fpc", "nest", "lonely_psu")

_EXAMPLES = {
    "codebook": "surveykit codebook survey.sav --markdown > codebook.md\n"
    "  surveykit codebook survey.sav --instrument questionnaire.yaml",
    "describe": "surveykit describe survey.sav --weights wt --strata region --ids psu --vars income",
    "freq": "surveykit freq survey.sav q1 q2 --weights wt --lang en",
    "crosstab": "surveykit crosstab survey.sav q1 region --weights wt --test F",
    "mean": "surveykit mean survey.sav income --by region --weights wt --strata region",
}


def _design_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("survey design (default: simple random sample, weight 1)")
    g.add_argument("--weights", metavar="COL", help="sampling-weight column")
    g.add_argument("--strata", metavar="COL", help="stratum column")
    g.add_argument("--ids", metavar="COL", nargs="+", help="cluster (PSU) column(s), one per stage")
    g.add_argument("--fpc", metavar="COL", nargs="+", help="finite population correction column(s)")
    g.add_argument("--nest", action="store_true", help="cluster ids are unique only within strata")
    g.add_argument(
        "--lonely-psu",
        dest="lonely_psu",
        choices=("fail", "remove", "adjust", "average", "certainty"),
        help="what to do with a stratum of one PSU (default: fail)",
    )
    g.add_argument("--design", metavar="YAML", help="the same keys in a YAML file (weights, strata, ids, fpc, ...)")


def _file_options(p: argparse.ArgumentParser, *, refine: bool = True) -> None:
    p.add_argument("file", help="data file (.sav .zsav .por .dta .csv .xlsx .parquet)")
    if refine:
        p.add_argument("--instrument", metavar="YAML", help="questionnaire YAML (refines the file's labels and codes)")
    p.add_argument("--encoding", help="override the file's text encoding (e.g. cp949)")
    p.add_argument("--lang", choices=("ko", "en"), default=None, help="language of the labels (questionnaire)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _design(args: argparse.Namespace) -> Any:
    from surveykit.design import Design

    spec: dict[str, Any] = {}
    if args.design:
        from surveykit._util.yaml import load_yaml

        path = Path(args.design)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"design file '{path}' must be a readable UTF-8 YAML file; got: {exc}.") from None
        loaded = load_yaml(text, str(path), ReportError)
        if not isinstance(loaded, dict):
            raise ReportError(
                f"design file '{args.design}' must be a mapping of {', '.join(_DESIGN_KEYS)}; "
                f"got {type(loaded).__name__}."
            )
        unknown = sorted(set(map(str, loaded)) - set(_DESIGN_KEYS))
        if unknown:
            raise ReportError(
                f"design file '{args.design}' may only have keys {', '.join(_DESIGN_KEYS)}; got {', '.join(unknown)}."
            )
        spec.update(loaded)
    for key in _DESIGN_KEYS:
        value = getattr(args, key, None)
        if value not in (None, False):
            spec[key] = value[0] if isinstance(value, list) and len(value) == 1 else value
    return Design(**spec)


def _survey(args: argparse.Namespace) -> Any:
    from surveykit.survey import Survey

    instrument = None
    if args.instrument:
        from surveykit.instrument import load_instrument

        instrument = load_instrument(args.instrument)
    options = {"encoding": args.encoding} if args.encoding else {}
    return Survey.from_file(args.file, _design(args), instrument, **options)


def _print_table(frame: pd.DataFrame, title: str | None = None, caption: str | None = None) -> None:
    from surveykit.cli.console import print_table

    print_table(frame, title=title, caption=caption)


def _print_json(value: Any) -> None:
    from surveykit.results import jsonable

    print(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


# --- commands ----------------------------------------------------------------------------------
def _cmd_codebook(args: argparse.Namespace) -> int:
    from surveykit.io import read
    from surveykit.io.codebook import codebook

    data, meta = read(args.file, **({"encoding": args.encoding} if args.encoding else {}))
    book = codebook(data, meta)
    if args.instrument:
        from surveykit.instrument.draft import write_draft

        written = write_draft(Path(args.instrument), meta, data)
        print(
            f"surveykit: questionnaire draft written to {written} (routing rules left for you to add)", file=sys.stderr
        )
        if not (args.json or args.markdown or args.html or args.xlsx):
            return 0
    if args.xlsx:
        book.to_xlsx(Path(args.xlsx))
    if args.json:
        _print_json(book.to_dict())
    elif args.markdown:
        sys.stdout.write(book.to_markdown())
    elif args.html:
        sys.stdout.write(book.to_html() + "\n")
    elif not args.xlsx:
        frame = book.to_frame()[
            ["variable", "label", "kind", "n_valid", "n_user_missing", "n_system_missing", "distribution"]
        ]
        _print_table(frame, title=f"{Path(args.file).name}: {book.n_rows:,} rows, {len(book.variables)} variables")
    return 0


def _cmd_describe(args: argparse.Namespace) -> int:
    svy = _survey(args)
    rd = svy.resolved
    facts = {
        "file": Path(args.file).name,
        "rows": len(svy.data),
        "design": svy.design.describe(),
        "strata": rd.n_strata,
        "psu": rd.n_psu_total,
        "df": int(rd.degf),
        "weighted_n": svy.weighted_n,
        "weights_min": float(svy.weights.min()),
        "weights_max": float(svy.weights.max()),
    }
    rows = []
    for var in args.vars or ():
        est = svy.mean(var, na="drop", deff=True)
        f = est.to_frame().iloc[0]
        rows.append({"variable": var, "mean": f["estimate"], "se": f["se"], "deff": f["deff"], "n": int(f["n"])})
    if args.json:
        _print_json({**facts, "variables": rows})
        return 0
    _print_table(pd.DataFrame({"": list(facts), "value": [_fmt(v) for v in facts.values()]}), title="Survey design")
    if rows:
        _print_table(pd.DataFrame(rows), title="Means with design effects")
    return 0


def _cmd_freq(args: argparse.Namespace) -> int:
    svy = _survey(args)
    results = [svy.frequency(var, lang=args.lang or "ko") for var in args.vars]
    if args.json:
        _print_json([r.to_dict() for r in results])
        return 0
    for r in results:
        frame = r.to_frame()
        shown = pd.DataFrame(
            {
                "level": frame["level"],
                "label": frame["label"],
                "n": frame["n"],
                "weighted_n": frame["weighted_n"],
                "%": 100 * frame["estimate"],
                "ci_low %": 100 * frame["ci_low"],
                "ci_high %": 100 * frame["ci_high"],
                "missing": frame["missing"].map({True: "missing", False: ""}),
            }
        )
        label = svy.variable_label(r.variable, args.lang)
        _print_table(
            shown,
            title=f"{r.variable}" + (f": {label}" if label else ""),
            caption=f"base n = {r.base_n}; {100 * (1 - r.alpha):g}% {r.ci_method} interval, df {r.df}",
        )
    return 0


def _cmd_crosstab(args: argparse.Namespace) -> int:
    svy = _survey(args)
    res = svy.crosstab(args.row, args.col, lang=args.lang or "ko")
    test = res.test(args.test)
    if args.json:
        _print_json({**res.to_dict(), "test_shown": test.to_dict()})
        return 0
    frame = res.to_frame()
    shown = pd.DataFrame(
        {
            "row": frame["row_label"],
            "column": frame["col_label"],
            "n": frame["n"],
            "weighted_n": frame["weighted_n"],
            "row %": 100 * frame["row"],
            "column %": 100 * frame["col"],
        }
    )
    _print_table(
        shown,
        title=f"{args.row} × {args.col}",
        caption=f"{test.name}: statistic {test.statistic:.4g}, df {test.ndf:.4g}"
        + (f", {test.ddf:.4g}" if test.ddf == test.ddf and test.ddf != float("inf") else "")
        + f", p = {test.p_value:.4g}",
    )
    return 0


def _cmd_mean(args: argparse.Namespace) -> int:
    svy = _survey(args)
    res = svy.mean(args.vars, by=args.by, na="drop")
    if args.json:
        _print_json(res.to_dict())
        return 0
    frame = res.to_frame()
    keep = [c for c in ("variable", "domain", "estimate", "se", "ci_low", "ci_high", "n") if c in frame]
    _print_table(
        frame[keep], title="Means", caption=f"{100 * (1 - res.alpha):g}% interval; user-missing codes excluded"
    )
    return 0


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.6g}"
    return str(v)


def add_commands(sub: Any) -> None:
    """Register the quick commands on the ``surveykit`` parser's subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter

    def parser(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=fmt, epilog=f"example:\n  {_EXAMPLES[name]}"
        )

    c = parser("codebook", "every variable of a data file: labels, codes, missing codes, distribution")
    _file_options(c, refine=False)
    out = c.add_mutually_exclusive_group()
    out.add_argument("--markdown", action="store_true", help="print Markdown")
    out.add_argument("--html", action="store_true", help="print an HTML fragment")
    c.add_argument("--xlsx", metavar="OUT.xlsx", help="also write an Excel workbook")
    c.add_argument(
        "--instrument",
        metavar="OUT.yaml",
        help="write a questionnaire YAML drafted from the file's metadata (loads and validates the file)",
    )
    c.set_defaults(func=_cmd_codebook)

    d = parser("describe", "the survey design: strata, PSUs, weights, df, design effects")
    _file_options(d)
    _design_options(d)
    d.add_argument("--vars", nargs="+", metavar="VAR", help="variables whose mean and design effect to show")
    d.set_defaults(func=_cmd_describe)

    f = parser("freq", "design-based frequency tables (user-missing codes listed, outside the base)")
    _file_options(f)
    f.add_argument("vars", nargs="+", metavar="VAR")
    _design_options(f)
    f.set_defaults(func=_cmd_freq)

    x = parser("crosstab", "two-way table with the Rao-Scott test")
    _file_options(x)
    x.add_argument("row")
    x.add_argument("col")
    x.add_argument("--test", default="F", choices=STATISTICS, help="svychisq statistic shown (default: F)")
    _design_options(x)
    x.set_defaults(func=_cmd_crosstab)

    m = parser("mean", "design-based means with confidence intervals")
    _file_options(m)
    m.add_argument("vars", nargs="+", metavar="VAR")
    m.add_argument("--by", nargs="+", metavar="VAR", help="domain variable(s)")
    _design_options(m)
    m.set_defaults(func=_cmd_mean)
