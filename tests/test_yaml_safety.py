"""The one YAML reader: alias bombs, duplicate keys, depth and size limits, short messages.

Plans and questionnaires are shared like documents, so a hostile or careless file must end in
one ``ReportError``/``InstrumentError`` line, quickly and in little memory, never a hang.
"""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

from surveykit._util.yaml import MAX_CHARS, MAX_DEPTH, load_yaml
from surveykit.errors import InstrumentError, ReportError, excerpt
from surveykit.instrument import load_instrument
from surveykit.report.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "reports").glob("*.yaml")) + sorted((ROOT / "instruments").glob("*.yaml"))

_LAUGHS = "".join(
    f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}]\n"
    for i in range(1, 10)
)
BOMBS = {
    # 9 ** 9 = 387 million strings in a few hundred bytes
    "nested lists": 'l0: &l0 ["lol"]\n' + _LAUGHS,
    "nested mappings": "m0: &m0 {a: lol, b: lol}\n"
    + "".join(f"m{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}, c: *m{i - 1}, d: *m{i - 1}}}\n" for i in range(1, 16)),
    # an alias where a message would print the value: a section's variables and a plan's title
    "alias in a printed value": 'x0: &x0 ["lol", "lol", "lol", "lol"]\n'
    + "".join(f"x{i}: &x{i} [*x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}]\n" for i in range(1, 14))
    + "title: *x13\nsections:\n  - {type: frequencies, survey: org, variables: *x13}\n",
    "merge key": "base: &b {type: overview}\nsections:\n  - <<: *b\n",
    "lone alias": "sections: *nowhere\n",
}


def _bounded(func, *args):
    """Run func(*args) expecting an error; return (error, seconds, peak bytes)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises((ReportError, InstrumentError)) as info:
            func(*args)
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return info.value, seconds, peak


@pytest.mark.parametrize("shape", sorted(BOMBS))
@pytest.mark.parametrize("loader, error", [(load_plan, ReportError), (load_instrument, InstrumentError)])
def test_alias_bomb_is_refused_fast_in_little_memory(tmp_path, shape, loader, error):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMBS[shape], encoding="utf-8")
    exc, seconds, peak = _bounded(loader, path)
    assert isinstance(exc, error)
    msg = str(exc)
    assert msg.startswith(f"{path}: must be valid YAML; line ") and "anchors and aliases" in msg
    assert "\n" not in msg and len(msg) < 300
    assert seconds < 1.0 and peak < 50 * 2**20


def test_alias_bomb_through_the_cli_exits_2_with_one_line(tmp_path):
    from surveykit.report.prepare import demo_path

    path = tmp_path / "bomb.yaml"
    for shape, args in (
        ("alias in a printed value", ["brief", str(path), "--out", str(tmp_path / "out")]),
        ("nested lists", ["validate", str(demo_path("worker_2018")), "--instrument", str(path)]),
    ):
        path.write_text(BOMBS[shape], encoding="utf-8")
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "surveykit", *args], capture_output=True, text=True, timeout=60)
        assert time.perf_counter() - start < 30  # interpreter start-up included; the bomb itself is refused at once
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"surveykit: error: {path}: must be valid YAML; line ")
        assert "anchors and aliases" in lines[0] and "Traceback" not in out.stderr


def test_bundled_yaml_uses_no_anchors_and_loads_as_before():
    assert len(BUNDLED) == 6
    for path in BUNDLED:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text, path.name, ValueError) == yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize(
    "text, line, column, problem",
    [
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' in a mapping"),
        ("sections:\n  - {type: overview, type: methods}\n", 2, 22, "duplicate key 'type' in a mapping"),
        ("x: &anchor 1\n", 1, 4, "anchors and aliases (&anchor) are not allowed"),
        ("x: [1, *y]\n", 1, 8, "anchors and aliases (*y) are not allowed"),
        (
            "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
            1,
            MAX_DEPTH + 1,
            f"nesting must be at most {MAX_DEPTH} levels",
        ),
        ("date: 2018-02-30\n", 1, 7, "cannot read '2018-02-30': day is out of range for month"),
        ("x: !!python/object/apply:os.system [ls]\n", 1, 4, "could not determine a constructor"),
    ],
)
def test_refusals_are_one_line_with_position(text, line, column, problem):
    with pytest.raises(ReportError) as info:
        load_yaml(text, "f.yaml", ReportError)
    msg = str(info.value)
    assert msg.startswith(f"f.yaml: must be valid YAML; line {line}, column {column}: {problem}")
    assert "\n" not in msg and msg.endswith(".")


def test_depth_limit_allows_the_limit_itself():
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_yaml(ok, "f.yaml", ReportError) is not None
    deep = "[" * 100_000 + "]" * 100_000  # far beyond Python's recursion limit: still one clean error
    with pytest.raises(ReportError, match=r"^f.yaml: must be valid YAML; line 1, column \d+: .*nesting"):
        load_yaml(deep, "f.yaml", ReportError)


def test_oversize_text_and_file_are_refused(tmp_path):
    text = "a: '" + "x" * MAX_CHARS + "'\n"
    with pytest.raises(
        ReportError, match=r"^f.yaml: must be valid YAML of at most 4,000,000 characters; got 4,000,006"
    ):
        load_yaml(text, "f.yaml", ReportError)
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    for loader, error in ((load_plan, ReportError), (load_instrument, InstrumentError)):
        exc, seconds, _peak = _bounded(loader, path)
        assert isinstance(exc, error) and str(exc).startswith(f"{path}: must be valid YAML of at most")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("id: t\nname: x\nid: u\n", "line 3, column 1: duplicate key 'id' in a mapping"),
        (
            "sections: " + "[" * 40 + "]" * 40 + "\n",
            f"line 1, column {10 + MAX_DEPTH}: nesting must be at most {MAX_DEPTH}",
        ),
        ("title: {ko: a, en: b, ko: c}\n", "line 1, column 23: duplicate key 'ko' in a mapping"),
    ],
)
@pytest.mark.parametrize("loader, error", [(load_plan, ReportError), (load_instrument, InstrumentError)])
def test_duplicate_keys_and_deep_nesting_through_both_loaders(tmp_path, loader, error, text, problem):
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error) as info:
        loader(path)
    assert str(info.value).startswith(f"{path}: must be valid YAML; {problem}")


def test_excerpt_is_short_for_huge_and_self_similar_values():
    big: list = ["lol"]
    for _ in range(60):  # 2 ** 60 leaves if walked in full: a walk would never end, so any bound catches it
        big = [big, big]
    start = time.perf_counter()
    text = excerpt(big)
    assert time.perf_counter() - start < 5 and len(text) <= 60 and text.endswith("...")
    assert excerpt("x" * 10_000, 20) == "'xxxxxxxxxxxxxxxx..."
    assert excerpt({"ids": [["id"]]}) == "{'ids': [['id']]}"
    assert excerpt("Age") == "'Age'" and excerpt(float("nan")) == "nan" and excerpt(None) == "None"
    assert excerpt([1, 2, 3]) == "[1, 2, 3]" and excerpt(True) == "True"


def test_long_value_in_a_schema_message_is_cut(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "id": "t",
                "surveys": {"org": {"instrument": "organisation_2018", "data": "demo"}},
                "sections": [{"type": "quality", "survey": "o" * 100_000}],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(ReportError) as info:
        load_plan(path)
    msg = str(info.value)
    assert "sections[0].survey must name a survey of the plan; got 'ooo" in msg and len(msg) < 300


def test_long_unknown_key_is_cut_in_the_message(tmp_path):
    path = tmp_path / "plan.yaml"
    key = "k" * 100_000
    path.write_text(yaml.safe_dump({"id": "t", key: 1}), encoding="utf-8")
    with pytest.raises(ReportError) as info:
        load_plan(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: {'k' * 37}... is not a known key.") and len(msg) < 300


@pytest.mark.parametrize("kind", ["brief", "validate"])
def test_cli_schema_error_is_one_line_and_exit_2(tmp_path, capsys, kind):
    from surveykit.cli import main
    from surveykit.report.prepare import demo_path

    path = tmp_path / "bad.yaml"
    if kind == "brief":
        path.write_text(
            "id: t\nsurveys:\n  w:\n    instrument: worker_2018\n    data: demo\n"
            "    weighting:\n      - {method: rake, margins: {gender: {1: 190}}, max_iter: abc}\n"
            "sections:\n  - type: overview\n",
            encoding="utf-8",
        )
        args, head = ["brief", str(path), "--out", str(tmp_path / "out")], "surveys.w.weighting[0].max_iter must be"
    else:
        path.write_text("name: x\nsurvey: worker\ntitle: {ko: a, en: b}\nquestions: {var: id}\n", encoding="utf-8")
        args, head = (
            ["validate", str(demo_path("worker_2018")), "--instrument", str(path)],
            "questions must be a list; got dict",
        )
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"surveykit: error: {path}: {head}") and err.count("\n") == 1
