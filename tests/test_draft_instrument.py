"""A questionnaire drafted from a file's own metadata (Instrument.from_meta, codebook --instrument).

Every .sav/.zsav/.por the test data hold goes through ``codebook --json`` and gets a drafted
questionnaire that loads and validates its own file without errors. ``mr_cp949.sav`` is written
by PSPP (``tests/data/spss/mr_cp949.sps``: CP949 text, Korean and mixed-case names, a
dichotomy MRSETS group over columns that are not ``<var>_<code>``, a user-missing range).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import surveykit as sk
from surveykit.cli import main
from surveykit.errors import InstrumentError
from surveykit.instrument import load_instrument
from surveykit.instrument.validate import validate

HERE = Path(__file__).parent
ROOT = HERE.parent
FILES = sorted(
    p
    for p in [
        *(HERE / "data").rglob("*.sav"),
        *(HERE / "data").rglob("*.zsav"),
        *(HERE / "data").rglob("*.por"),
        *(ROOT / "instruments" / "demo").glob("*.sav"),
    ]
    if "bad" not in p.parts
)
OTHER = sorted([*(HERE / "data").rglob("*.dta"), *(HERE / "data" / "api").glob("*.csv")])
BAD = sorted((HERE / "data" / "bad").glob("*.sav"))
MR = HERE / "data" / "spss" / "mr_cp949.sav"


def _read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the mis-declared encodings warn; tested in test_io
        return sk.read(path)


def test_the_test_data_hold_the_files_this_module_is_about():
    names = {p.name for p in FILES}
    assert {
        "api_missing.sav",
        "mr_cp949.sav",
        "org.por",
        "org_utf8.zsav",
        "organisation_2018.sav",
        "worker_2018.sav",
        "org_cp949.sav",
    } <= names and len(FILES) >= 14


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_codebook_json_on_every_file(path, capsys):
    code = main(["codebook", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    book = json.loads(out)
    data, meta = _read(path)
    assert book["n_rows"] == len(data)
    assert [v["name"] for v in book["variables"]] == list(meta.columns)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_codebook_of_a_broken_file_exits_2_with_one_line(path, capsys):
    assert main(["codebook", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("surveykit: error: ") and err.count("\n") == 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_drafted_questionnaire_loads_and_validates_its_file(path, tmp_path, capsys):
    out = tmp_path / "draft.yaml"
    assert main(["codebook", str(path), "--instrument", str(out)]) == 0
    assert f"questionnaire draft written to {out}" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# Questionnaire drafted by surveykit {sk.__version__} from {path.name}")
    assert "ROUTING RULES: LEFT FOR THE RESEARCHER" in text
    loaded = load_instrument(out)
    data, meta = _read(path)
    drafted = sk.Instrument.from_meta(meta, data)
    assert loaded.questions == drafted.questions and loaded.id == drafted.id
    assert set(loaded.columns()) == set(meta.columns)
    _validates(path, data, loaded)
    assert main(["validate", str(path), "--instrument", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.yaml"]  # atomic write: no temp file left


@pytest.mark.parametrize("path", OTHER, ids=lambda p: p.name)
def test_drafted_questionnaire_of_stata_and_csv_files_validates(path):
    data, meta = _read(path)
    _validates(path, data, sk.Instrument.from_meta(meta, data))


def _validates(path: Path, data, loaded) -> None:
    report = validate(data, loaded, id=loaded.id)
    assert report.n_errors == 0, report.to_frame()
    assert main(["validate", str(path)]) == 0  # drafted on the fly: the same questionnaire


def test_draft_is_written_atomically(tmp_path, monkeypatch):
    out = tmp_path / "draft.yaml"
    out.write_text("old\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", broken)
    assert main(["codebook", str(MR), "--instrument", str(out)]) == 2
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["draft.yaml"]


def test_mr_set_cp949_file_round_trips(tmp_path):
    data, meta = sk.read(MR)
    assert meta.encoding == "cp949"
    inst = sk.Instrument.from_meta(meta, data)
    assert inst.name == "mr_cp949" and inst.id == "HHID"
    assert inst.variables() == ["HHID", "Q1a", "fund", "age", "region", "소득"]
    fund = inst.question("fund")
    assert fund.type == "multi" and fund.columns() == ["fund_a", "fund_b", "fund_c"]
    assert [(o.code, o.ko, o.en) for o in fund.options] == [
        (1, "정부", "정부"),
        (2, "기부", "기부"),
        (3, "회비", "회비"),
    ]
    assert inst.question("fund_b") is fund and inst.text("fund_b") == "재원: 기부"
    assert inst.mr_sets() == {"fund": ("fund_a", "fund_b", "fund_c")}
    q1 = inst.question("Q1a")
    assert q1.type == "single" and q1.codes() == (1, 2) and q1.missing_codes() == (9,)
    assert q1.ko == q1.en == "만족도" and "translate" in q1.note
    assert inst.question("소득").type == "numeric" and inst.missing_codes("소득") == tuple(range(990, 1000))
    assert inst.question("region").label(3) == "섬"
    out = tmp_path / "mr.yaml"
    assert main(["codebook", str(MR), "--instrument", str(out)]) == 0
    back = load_instrument(out)
    assert back.questions == inst.questions and back.mr_sets() == inst.mr_sets()
    # the drafted questionnaire is a working Survey instrument: the MR set is tabulated by its own columns
    svy = sk.Survey(data, sk.Design(), back, meta=meta)
    assert svy.valid_column("소득").isna().sum() == 1  # 999 is in the file's missing range
    assert validate(data, back, id="HHID").n_errors == 0


def test_draft_without_data_rests_on_metadata():
    data, meta = sk.read(MR)
    inst = sk.Instrument.from_meta(meta, name="hh")
    assert inst.name == "hh" and inst.id is None
    assert inst.question("Q1a").codes() == (1, 2) and inst.question("fund").type == "multi"
    assert inst.question("HHID").type == "numeric"


def test_unlabelled_codes_seen_in_the_data_become_options():
    data, meta = sk.read(MR)
    data = data.copy()
    data.loc[0, "region"] = 4  # a code the file does not label
    q = sk.Instrument.from_meta(meta, data).question("region")
    assert (
        q.codes() == (1, 2, 3, 4) and q.label(4) == "4" and "codes 4 occur in the data without a value label" in q.note
    )


def test_a_column_name_the_schema_cannot_hold_is_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,my var\n1,2\n2,3\n", encoding="utf-8")
    data, meta = sk.read(path)
    with pytest.raises(InstrumentError, match=r"questions\[1\]\.var must be a column name .*'my var'"):
        sk.Instrument.from_meta(meta, data)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "i.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_relaxed_schema_accepts_file_names_and_one_language(tmp_path):
    inst = load_instrument(
        _write(
            tmp_path,
            """
name: own
questions:
- {var: HHID, type: numeric, en: Household}
- {var: Q1a, type: single, ko: 만족도, options: [{code: 1, ko: 예}, {code: 2, en: "No"}], missing: [{code: 9, en: DK}]}
- {var: 소득, type: numeric, ko: 소득}
- {var: src, type: multi, ko: 재원, options: [{code: 1, ko: 정부}, {code: 2, ko: 기부}], columns: [s.gov, s@don]}
""",
        )
    )
    assert inst.survey == "own" and inst.title_ko == inst.title_en == "own" and inst.id is None
    assert inst.question("HHID").ko == "Household" and inst.question("Q1a").label(2, "ko") == "No"
    assert inst.columns() == ["HHID", "Q1a", "소득", "s.gov", "s@don"]
    assert inst.value_labels("ko")["s@don"] == {0: "선택 안 함", 1: "기부"}


@pytest.mark.parametrize(
    "question, message",
    [
        ("{var: 1abc, type: numeric, ko: x}", r"questions\[0\]\.var must be a column name .*not starting with a digit"),
        ("{var: 'a b', type: numeric, ko: x}", r"questions\[0\]\.var must be a column name"),
        ("{var: a, type: numeric}", r"questions\[0\] must give the wording in ko or en"),
        ("{var: a, type: single, ko: x, options: [{code: 1}]}", r"options\[0\] must give the label of code 1"),
        (
            "{var: m, type: multi, ko: x, options: [{code: 1, ko: y}], columns: [a, b]}",
            r"questions\[0\]\.columns must list one data column per option \(1\); got 2",
        ),
        (
            "{var: m, type: single, ko: x, options: [{code: 1, ko: y}], columns: [a]}",
            r"questions\[0\]\.columns must be absent for a single question",
        ),
    ],
)
def test_relaxed_schema_still_names_what_to_fix(tmp_path, question, message):
    with pytest.raises(InstrumentError, match=message):
        load_instrument(_write(tmp_path, f"name: own\nquestions:\n- {question}\n"))


def test_schema_still_rejects_duplicate_names_and_unknown_id(tmp_path):
    with pytest.raises(InstrumentError, match=r"questions\[1\]\.var must be unique"):
        load_instrument(
            _write(
                tmp_path, "name: o\nquestions:\n- {var: Q1, type: numeric, ko: a}\n- {var: Q1, type: numeric, ko: b}\n"
            )
        )
    with pytest.raises(InstrumentError, match=r"id must name a question; got 'HHID'"):
        load_instrument(_write(tmp_path, "name: o\nid: HHID\nquestions:\n- {var: Q1, type: numeric, ko: a}\n"))


def test_a_survey_on_the_drafted_questionnaire_gives_r_surveys_numbers():
    """The draft carries the file's missing codes: the estimates equal R's (tests/golden/own_spss.json)."""
    golden = json.loads((HERE / "golden" / "own_spss.json").read_text(encoding="utf-8"))
    data, meta = sk.read(HERE / "data" / "spss" / "api_missing.sav")
    draft = sk.Instrument.from_meta(meta, data)
    assert draft.missing_codes("meals9") == (99,) and draft.missing_codes("enroll_r") == tuple(range(99990, 100000))
    design = sk.Design(strata="stype_c", weights="pw", fpc="fpc")
    for svy in (sk.Survey(data, design, draft), sk.Survey(data, design, draft, meta=meta)):
        for var in ("meals9", "enroll_r"):
            est = svy.mean(var)
            want = golden[f"mean_{var}"]
            assert abs(float(est.estimate[0]) - want["estimate"]) < 1e-9 * abs(want["estimate"])
            assert abs(float(est.se[0]) - want["se"][0][0]) < 1e-9 * want["se"][0][0]
        freq = svy.frequency("awards_yes").to_frame()
        shares = freq.loc[~freq["missing"].astype(bool), "estimate"].to_numpy()
        assert list(freq["level"]) == [0, 1, 9] and list(freq["n"]) == [79, 103, 18]
        assert abs(shares - golden["freq_awards"]["estimate"]).max() < 1e-12
