"""Write the bad-input corpus (run from the repository root: python tests/data/bad/make_cases.py).

Each case is a file in this folder plus one entry of cases.yaml: the command line (``{bad}`` is
this folder, ``{out}`` a fresh output folder) and the pattern its one-line error must match.
Plans and questionnaires are the bundled ones with one planted defect each; the script checks
that every replacement really happened.
"""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
PLAN = (ROOT / "reports" / "worker_brief.yaml").read_text(encoding="utf-8")
COMBINED = (ROOT / "reports" / "combined_brief.yaml").read_text(encoding="utf-8")
LINK = "link: {to: org, by: [org_id, id], columns: [join_yes, staff_band], prefix: org_}"
INST = (ROOT / "instruments" / "organisation_2018.yaml").read_text(encoding="utf-8")
FORMULA = "join_nonmember ~ age10 + female + C(emp_grp) + income_score + unemployed + aware + insured"
CASES: list[dict] = []


def _write(name: str, text: str | bytes) -> None:
    path = HERE / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def _edit(base: str, old: str, new: str) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


def case(name: str, argv: list[str], expect: str) -> None:
    CASES.append({"name": name, "argv": argv, "expect": expect})


def plan(name: str, old: str, new: str, expect: str) -> None:
    text = _edit(PLAN, old, new).replace("data: demo", "data: ../../../instruments/demo/worker_2018.sav")
    _write(f"plan_{name}.yaml", text)
    case(f"plan_{name}", ["brief", f"{{bad}}/plan_{name}.yaml", "--out", "{out}", "--quiet", "--jobs", "1"], expect)


def combined(name: str, old: str, new: str, expect: str) -> None:
    """A defect planted in the combined brief (two surveys, the workers linked to the organisations)."""
    text = _edit(COMBINED, old, new)
    for stem in ("organisation_2018", "worker_2018"):
        text = _edit(text, f"instrument: {stem}\n    data: demo", f"instrument: {stem}\n    data: ../../../instruments/demo/{stem}.sav")
    _write(f"plan_{name}.yaml", text)
    case(f"plan_{name}", ["brief", f"{{bad}}/plan_{name}.yaml", "--out", "{out}", "--quiet", "--jobs", "1"], expect)


def formula(name: str, new: str, expect: str) -> None:
    plan(f"formula_{name}", FORMULA, new, expect)


def derive(name: str, expr: str, expect: str) -> None:
    plan(f"derive_{name}", 'expr: "age / 10"', f"expr: {expr!r}" if "'" not in expr else f'expr: "{expr}"', expect)


def inst(name: str, old: str, new: str, expect: str) -> None:
    _write(f"inst_{name}.yaml", _edit(INST, old, new))
    case(f"inst_{name}", ["validate", str(ROOT / "instruments/demo/organisation_2018.sav"),
                          "--instrument", f"{{bad}}/inst_{name}.yaml"], expect)


def data(name: str, content: str | bytes, suffix: str, expect: str, *extra: str) -> None:
    _write(f"data_{name}{suffix}", content)
    case(f"data_{name}", ["freq", f"{{bad}}/data_{name}{suffix}", "q", *extra], expect)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]\n"

# --- formulas that would run code, or are malformed -------------------------------------------
formula("import", "I(age10 + 0*__import__('os').system('touch pwned')) ~ age10", "formula")
formula("open", "join_yes ~ I(open('pwned', 'w'))", "formula")
formula("attr", "join_yes ~ I(age10.__class__)", "formula")
formula("lambda", "join_yes ~ I((lambda: 1)())", "formula")
formula("comprehension", "join_yes ~ I([x for x in age10])", "formula")
formula("eval", "join_yes ~ I(eval('1'))", "formula")
formula("dunder", "join_yes ~ __builtins__", "formula")
formula("contrast_injection", "join_yes ~ C(emp_grp, __import__('os'))", "formula")
formula("trailing_plus", "join_yes ~ age10 +", "formula 'join_yes ~ age10 \\+' must")
formula("no_tilde", "join_yes age10", "formula")
formula("unknown_column", "join_yes ~ age100", "age100")
formula("deep", "join_yes ~ " + "(" * 40 + "age10" + ")" * 40, "formula")
formula("long", "join_yes ~ " + " + ".join(["age10"] * 700), "formula")
# --- derived expressions -----------------------------------------------------------------------
derive("import", "__import__('os').system('touch pwned')", "expression")
derive("arity", "abs(age, gender)", "abs with 1 argument")
derive("attribute", "age.__class__", "expression")
derive("unknown_function", "system(age)", "expression")
derive("deep", "(" * 200 + "age" + ")" * 200, "expression")
derive("long", " + ".join(["age"] * 800), "expression")
derive("syntax", "age +* 2", "expression")
derive("huge_constant", "age * 1e400", "expression")
derive("unknown_column", "agee / 10", "agee")
# --- plan schema ----------------------------------------------------------------------------
plan("min_n_nan", "min_n: 5", "min_n: .nan", "min_n")
plan("min_n_text", "min_n: 5", "min_n: five", "min_n")
plan("max_cv_inf", "max_cv: 0.3", "max_cv: .inf", "max_cv")
plan("unknown_top_key", "lang: ko", "lang: ko\nlangauge: ko", "langauge")
plan("bad_lang", "lang: ko", "lang: kr", "lang")
plan("title_list", "title:\n  ko:", "title: [a, b]\nold_title:\n  ko:", "title")
plan("design_ids_nested", "design: {ids: org_id}", "design: {ids: [[id]]}", "ids")
plan("design_unknown", "design: {ids: org_id}", "design: {wieghts: w}", "wieghts")
plan("weighting_method_list", "    design: {ids: org_id}", "    design: {ids: org_id}\n    weighting:\n      - method: [rake]", "method")
plan("weighting_max_iter", "    design: {ids: org_id}", "    design: {ids: org_id}\n    weighting:\n      - {method: rake, margins: {gender: {1: 1, 2: 1}}, max_iter: abc}", "max_iter")
plan("section_unknown_type", "  - type: overview", "  - type: overveiw", "overveiw")
plan("duplicate_key", "lang: ko", "lang: ko\nlang: en", "duplicate|lang")
plan("alias", "lang: ko", "lang: &l ko\nx_lang: *l", "alias|anchor")
plan("syntax", "lang: ko", "lang: [ko", "YAML")
combined("link_unknown_survey", LINK, LINK.replace("to: org,", "to: orgs,"),
         r"surveys\.worker\.link\.to must name a survey of the plan; got 'orgs'\. Did you mean 'org'")
combined("link_bad_column", LINK, LINK.replace("staff_band]", "staff_bnd]"),
         r"surveys\.worker\.link \(to org\): column 'staff_bnd' must be a column of the organisation data.*'staff_band'")
combined("link_on_unquoted", LINK, LINK.replace("by:", "on:"), r"link\.on is read by YAML as true")
_write("plan_bomb.yaml", BOMB)
case("plan_bomb", ["brief", "{bad}/plan_bomb.yaml", "--out", "{out}", "--quiet", "--jobs", "1"], "alias|anchor")
_write("plan_not_mapping.yaml", "- just\n- a list\n")
case("plan_not_mapping", ["brief", "{bad}/plan_not_mapping.yaml", "--out", "{out}", "--quiet"], "plan")
case("plan_missing", ["brief", "{bad}/no_such_plan.yaml", "--out", "{out}", "--quiet"], "no_such_plan")
# --- questionnaires ------------------------------------------------------------------------
inst("unknown_key", "questions:\n", "questoins: []\nquestions:\n", "questoins")
inst("bad_type", "type: single", "type: singel", "singel")
inst("code_text", "code: 1,", "code: one,", "code")
inst("duplicate_key", "name: organisation_2018", "name: organisation_2018\nname: again", "duplicate|name")
inst("alias", "name: organisation_2018", "name: &n organisation_2018\nx: *n", "alias|anchor")
inst("range_nan", "range: [", "range: [.nan, ", "range")
inst("routing_payload", "ask_if: coverage_held == 1", "ask_if: \"__import__('os').system('x') == 1\"", "ask_if")
inst("routing_deep", "ask_if: coverage_held == 1", "ask_if: \"" + "(" * 100 + "coverage_held == 1" + ")" * 100 + "\"", "ask_if")
_write("inst_bomb.yaml", BOMB)
case("inst_bomb", ["validate", str(ROOT / "instruments/demo/organisation_2018.sav"), "--instrument",
                   "{bad}/inst_bomb.yaml"], "alias|anchor")
case("inst_missing", ["validate", str(ROOT / "instruments/demo/organisation_2018.sav"), "--instrument",
                      "{bad}/no_such.yaml"], "no_such")
# --- data files --------------------------------------------------------------------------------
data("empty_sav", b"", ".sav", "empty")
data("text_as_sav", "this is not an SPSS file\n", ".sav", "data_text_as_sav.sav")
data("truncated_sav", (ROOT / "instruments/demo/organisation_2018.sav").read_bytes()[:600], ".sav", "data_truncated_sav.sav")
data("zip_as_xlsx", b"PK\x03\x04garbage", ".xlsx", "Excel")
data("not_parquet", b"PAR1 nope", ".parquet", "Parquet")
data("dup_columns", "q,w,q\n1,1,2\n", ".csv", "must be unique")
data("bad_suffix", "q\n1\n", ".txt", "suffix")
data("unknown_var", "x,w\n1,1\n2,1\n3,1\n", ".csv", "'q'")
data("weights_negative", "q,w\n1,1\n2,-1\n", ".csv", "weights", "--weights", "w")
data("weights_inf", "q,w\n1,1\n2,inf\n", ".csv", "weights", "--weights", "w")
data("weights_text", "q,w\n1,1\n2,heavy\n", ".csv", "w", "--weights", "w")
data("weights_overflow", "q,w\n1,1e308\n2,1e308\n", ".csv", "weights", "--weights", "w")
data("strata_unknown", "q,w\n1,1\n2,1\n", ".csv", "region", "--strata", "region")
data("lonely_psu", "q,s\n1,a\n2,b\n", ".csv", "PSU|stratum", "--strata", "s")
data("only_missing", "q\n\n\n", ".csv", "at least one row")
case("encoding_unknown", ["freq", str(ROOT / "instruments/demo/organisation_2018.csv"), "join_intent",
                          "--encoding", "klingon"], "klingon")
case("missing_file", ["codebook", "{bad}/nothing_here.sav"], "does not exist")
case("directory", ["codebook", "{bad}"], "directory")
_write("design_unknown.yaml", "weights: pw\nstratum: s\n")
case("design_unknown", ["mean", str(ROOT / "tests/data/spss/api_missing.sav"), "meals9", "--design",
                        "{bad}/design_unknown.yaml"], "stratum")
_write("design_bomb.yaml", BOMB)
case("design_bomb", ["mean", str(ROOT / "tests/data/spss/api_missing.sav"), "meals9", "--design",
                     "{bad}/design_bomb.yaml"], "alias|anchor")
_write("data_constant.csv", "q,c\n1,1\n2,1\n1,1\n")
case("crosstab_one_level", ["crosstab", "{bad}/data_constant.csv", "q", "c"], "at least 2 valid levels")
case("mean_unknown", ["mean", str(ROOT / "tests/data/spss/api_missing.sav"), "meals"], "meals9")

if __name__ == "__main__":
    for c in CASES:  # machine paths never enter the corpus
        c["argv"] = [a.replace(str(ROOT), "{root}") for a in c["argv"]]
    (HERE / "cases.yaml").write_text(
        "# Generated by make_cases.py: every case exits 2 with one line matching 'expect'.\n"
        + yaml.safe_dump(CASES, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    print(len(CASES), "cases")
