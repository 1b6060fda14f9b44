"""Schema checks of a plan's ``surveys:`` entries: design, weighting steps, derived variables, links.

Every check goes through the shared :class:`surveykit._util.schema.Checker`, so a mistake names the
file and the full key path (``surveys.worker.weighting[0].max_iter``) and shows only a short
excerpt of the value. The functions return the entries normalised as the builders use them
(a derived variable's ``text`` and ``labels`` as ``{ko, en}`` mappings).
"""

from __future__ import annotations

import re
from typing import Any

from surveykit._util.schema import Checker, is_number, key_path
from surveykit.design import LONELY_PSU_POLICIES
from surveykit.errors import closest

__all__ = [
    "check_design",
    "check_weighting",
    "check_derive",
    "check_mr_sets",
    "check_link",
    "check_links",
    "SURVEY_KEYS",
]

SURVEY_KEYS = ("instrument", "data", "label", "design", "design_note", "weighting", "derive", "mr_sets", "link")
LINK_KEYS = ("to", "by", "columns", "prefix")
MR_SET_KEYS = ("columns", "label", "options")
DESIGN_KEYS = ("weights", "strata", "ids", "fpc", "nest", "lonely_psu")
WEIGHTING_KEYS: dict[str, tuple[str, ...]] = {
    # method -> the keys a step of that method may have besides 'method' (see _REQUIRED)
    "poststratify": ("by", "population"),
    "rake": ("margins", "max_iter"),
    "trim": ("lower", "upper", "strict"),
}
_REQUIRED = {"poststratify": ("by", "population"), "rake": ("margins",), "trim": ()}
DERIVE_KEYS = ("name", "expr", "from", "map", "cut", "labels", "text")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_design(value: Any, path: str, c: Checker) -> dict[str, Any]:
    """``design:``: keywords of :class:`surveykit.Design` with column names (strings) as values."""
    design = c.mapping(value, path, DESIGN_KEYS, what="a mapping of Design keywords, e.g. {weights: wt}", optional=True)
    for key in ("weights", "strata"):
        if design.get(key) is not None:
            c.string(design[key], f"{path}.{key}", "a column name (a string)")
    for key in ("ids", "fpc"):
        if design.get(key) is not None:
            c.name_or_names(design[key], f"{path}.{key}", "a column name or a list of column names (one per stage)")
    if "nest" in design:
        c.boolean(design["nest"], f"{path}.nest")
    if "lonely_psu" in design:
        c.choice(design["lonely_psu"], f"{path}.lonely_psu", LONELY_PSU_POLICIES)
    return dict(design)


def _population(value: Any, path: str, c: Checker) -> None:
    """A population table ``{level: count}``: scalar levels, finite counts >= 0."""
    table = c.mapping(
        value, path, what="a mapping of level -> population count, e.g. {1: 190, 2: 223}", text_keys=False
    )
    if not table:
        c.expect(path, "a non-empty mapping of level -> population count", table)
    for level, count in table.items():
        c.number(count, key_path(path, level), "a population count (a finite number >= 0)", minimum=0)


def check_weighting(value: Any, path: str, c: Checker) -> tuple[dict[str, Any], ...]:
    """``weighting:``: a list of ``poststratify``/``rake``/``trim`` steps, each with its keys."""
    steps = c.seq(value, path, "a list of weighting steps with a 'method'", optional=True)
    for i, step in enumerate(steps):
        where = f"{path}[{i}]"
        c.mapping(step, where, what="a weighting step {method: ..., ...}")
        if "method" not in step:
            c.fail(where, "must have key 'method' (poststratify, rake or trim); it is missing. Add it.")
        method = step["method"]
        if not isinstance(method, str) or method not in WEIGHTING_KEYS:
            hint = closest(method, WEIGHTING_KEYS) if isinstance(method, str) else ""
            c.fail(f"{where}:", f"method must be one of {', '.join(WEIGHTING_KEYS)}; got {c.got(method)}.{hint}")
        c.mapping(step, where, ("method", *WEIGHTING_KEYS[method]))
        for key in _REQUIRED[method]:
            if key not in step:
                c.fail(f"{where}.{key}", f"is required for a {method} step; add it.")
        if method == "poststratify":
            c.name_or_names(step["by"], f"{where}.by", "a variable name or a list of variable names")
            _population(step["population"], f"{where}.population", c)
        elif method == "rake":
            margins = c.mapping(
                step["margins"],
                f"{where}.margins",
                what="a mapping of variable -> population counts, e.g. {gender: {1: 190, 2: 223}}",
            )
            if not margins:
                c.expect(f"{where}.margins", "a non-empty mapping of variable -> population counts", margins)
            for var, table in margins.items():
                _population(table, key_path(f"{where}.margins", var), c)
            if "max_iter" in step:
                c.integer(step["max_iter"], f"{where}.max_iter", "a positive integer", minimum=1)
        else:
            bounds = {k: step.get(k) for k in ("lower", "upper")}
            for key, bound in bounds.items():
                if bound is not None:
                    c.number(
                        bound, f"{where}.{key}", "a positive finite number (a weight bound) or null", positive=True
                    )
            if None not in bounds.values() and bounds["lower"] > bounds["upper"]:
                c.fail(
                    f"{where}.lower",
                    f"must be at most upper ({bounds['upper']}); got {c.got(bounds['lower'])}. Swap the bounds.",
                )
            if "strict" in step:
                c.boolean(step["strict"], f"{where}.strict")
    return tuple(dict(s) for s in steps)


def check_mr_sets(value: Any, path: str, c: Checker) -> dict[str, dict[str, Any]]:
    """``mr_sets:``: ``{name: {columns: [...], label: {ko, en}, options: [{ko, en}, ...]}}``.

    Multiple-response sets over 0/1 columns of any names (1 = selected); ``options`` label the
    columns in order (default: each column's own label).
    """
    sets = c.mapping(value, path, what="a mapping of set name -> {columns: [...], label: ...}", optional=True)
    out: dict[str, dict[str, Any]] = {}
    for name, spec in sets.items():
        where = key_path(path, name)
        c.string(name, where, "a set name (letters, digits, _)", pattern=_IDENT)
        c.mapping(spec, where, MR_SET_KEYS, what="a mapping with 'columns'")
        if "columns" not in spec:
            c.fail(f"{where}.columns", "is required: list the set's 0/1 columns, e.g. columns: [q5a, q5b, q5c].")
        columns = c.names(spec["columns"], f"{where}.columns", "a list of at least 2 column names")
        if len(columns) < 2 or len(set(columns)) != len(columns):
            c.fail(f"{where}.columns", f"must list at least 2 different columns; got {c.got(columns)}.")
        options = [
            c.bilingual(o, f"{where}.options[{j}]")
            for j, o in enumerate(c.seq(spec.get("options"), f"{where}.options", "a list of labels", optional=True))
        ]
        if options and len(options) != len(columns):
            c.fail(f"{where}.options", f"must label every column ({len(columns)}); got {len(options)}.")
        out[str(name)] = {
            "columns": columns,
            "label": c.bilingual(spec.get("label"), f"{where}.label"),
            "options": options,
        }
    return out


def check_derive(value: Any, path: str, c: Checker) -> tuple[dict[str, Any], ...]:
    """``derive:``: a list of derived variables, each ``name`` and ``expr`` or ``from`` with ``map``/``cut``."""
    items = c.seq(value, path, "a list of derived variables", optional=True)
    return tuple(_derive(item, f"{path}[{i}]", c) for i, item in enumerate(items))


def _derive(item: Any, where: str, c: Checker) -> dict[str, Any]:
    c.mapping(item, where, DERIVE_KEYS, what="a mapping with 'name'")
    if "name" not in item:
        c.fail(where, "must have key 'name'; it is missing. Add it.")
    c.string(item["name"], f"{where}.name", "a variable name (letters, digits, _)", pattern=_IDENT)
    if ("expr" in item) == ("from" in item):
        c.fail(where, "needs exactly one of 'expr' or 'from' (with 'map' or 'cut').")
    if "expr" in item:
        c.string(item["expr"], f"{where}.expr", 'text such as "(year - founded) / 10"')
        for key in ("map", "cut"):
            if key in item:
                c.fail(f"{where}.{key}", "goes with 'from', not 'expr'; remove it or use from: <column>.")
    else:
        c.string(item["from"], f"{where}.from", "a column name")
        if ("map" in item) == ("cut" in item):
            c.fail(where, "with 'from' needs exactly one of 'map' or 'cut'.")
    out = dict(item)
    if "map" in item:
        mapping = item["map"]
        what = "a mapping of codes to numbers, e.g. {1: 0, 2: 1}"
        if not isinstance(mapping, dict) or not mapping:
            c.fail(f"{where}.map", f"must map codes to numbers, e.g. {{1: 0, 2: 1}}; got {c.got(mapping)}.")
        for code, number in mapping.items():
            if not is_number(code):
                c.fail(f"{where}.map", f"must map codes to numbers, e.g. {{1: 0, 2: 1}}; got code {c.got(code)}.")
            c.number(code, f"{where}.map", what)
            c.number(number, key_path(f"{where}.map", code), "a finite number")
    if "cut" in item:
        cut = item["cut"]
        ok = isinstance(cut, list) and len(cut) >= 2 and all(is_number(x) for x in cut)
        if not ok or cut != sorted(set(cut)):
            c.fail(f"{where}.cut", f"must be an increasing list of at least 2 numbers; got {c.got(cut)}.")
        for j, x in enumerate(cut):
            c.number(x, f"{where}.cut[{j}]", "a finite number")
    labels = c.mapping(
        item.get("labels"),
        f"{where}.labels",
        what="a mapping of integer codes to {ko, en} texts",
        optional=True,
        text_keys=False,
    )
    for code in labels:
        if not is_number(code) or not isinstance(code, int):
            c.fail(f"{where}.labels", f"must map integer codes to {{ko, en}} texts; got code {c.got(code)}.")
    out["labels"] = {code: c.bilingual(text, key_path(f"{where}.labels", code)) for code, text in labels.items()}
    out["text"] = c.bilingual(item.get("text"), f"{where}.text")
    return out


def check_link(value: Any, path: str, c: Checker) -> dict[str, Any]:
    """``link:``: ``{to: <survey>, by: <id column> | [<this survey's column>, <to's column>], columns: [...], prefix: ...}``.

    The arguments of :func:`surveykit.link` (``by`` is its ``on``, a word YAML reads as ``true``
    unquoted; ``columns`` null or absent: every column of the other survey). Whether ``to`` names
    another survey of the plan is checked by :func:`check_links`; whether the columns exist, when
    the data are read.
    """
    if isinstance(value, dict) and True in value:
        c.fail(
            f"{path}.on",
            "is read by YAML as true (unquoted on, yes and y are booleans); write the id columns as by: [org_id, id].",
        )
    link = c.mapping(
        value, path, LINK_KEYS, what="a mapping {to: <survey>, by: [<id column>, <its id column>]}", optional=True
    )
    if not link:
        return {}
    for key, example in (("to", "to: organisations"), ("by", "by: [org_id, id]")):
        if key not in link:
            c.fail(f"{path}.{key}", f"is required in a link; add it (e.g. {example}).")
    c.string(link["to"], f"{path}.to", "the name of another survey of this plan")
    by = link["by"]
    what = "an id column name, or a list [this survey's id column, the other survey's id column]"
    if isinstance(by, list):
        names = c.names(by, f"{path}.by", what)
        if len(names) != 2:
            c.fail(
                f"{path}.by", f"must list 2 columns (this survey's id column, the other survey's); got {len(names)}."
            )
        on: str | tuple[str, str] = (names[0], names[1])
    else:
        on = c.string(by, f"{path}.by", what)
    columns = None
    if link.get("columns") is not None:
        columns = c.names(link["columns"], f"{path}.columns", "a non-empty list of the other survey's column names")
        if len(set(columns)) != len(columns):
            c.fail(f"{path}.columns", f"must list each column once; got {c.got(columns)}.")
    prefix = link.get("prefix")
    if prefix is None or prefix == "":
        prefix = ""
    else:
        c.string(
            prefix,
            f"{path}.prefix",
            "text put before every attached name, e.g. org_ (letters, digits, _)",
            pattern=_IDENT,
        )
    return {"to": link["to"], "on": on, "columns": columns, "prefix": prefix}


def check_links(links: dict[str, dict[str, Any]], c: Checker) -> None:
    """Every ``surveys.<name>.link.to`` names another survey of the plan, one that links to none itself."""
    for name, link in links.items():
        if not link:
            continue
        where = f"{key_path('surveys', name)}.link.to"
        target = link["to"]
        if target == name:
            c.fail(where, f"must name another survey of the plan; got {c.got(target)}, this survey itself.")
        if target not in links:
            c.fail(
                where,
                f"must name a survey of the plan; got {c.got(target)}.{closest(target, links)} "
                f"Surveys: {', '.join(links)}.",
            )
        if links[target]:
            c.fail(
                where,
                f"must name a survey without a link of its own; {c.got(target)} links to "
                f"{c.got(links[target]['to'])}. Link both to the same survey instead.",
            )
