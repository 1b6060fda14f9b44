"""surveykit.io on real files written by other software (PSPP 1.6.2, R haven 2.5.1).

The files and the scripts that made them are in tests/data/spss/ (make_files.sh rebuilds them).
Expected labels and codes below are the INPUTS those scripts wrote (org_survey.sps,
workers_haven.R / workers_haven.json), so every assertion compares our reader with what
another program put in the file.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveykit import io
from surveykit.errors import DataError, ReadError, RecodedTextWarning
from surveykit.io import FileMeta, MissingSpec

SPSS = Path(__file__).parent / "data" / "spss"
HAVEN = json.loads((SPSS / "workers_haven.json").read_text(encoding="utf-8"))

JOIN_LABELS = {1: "전혀 없다", 2: "별로 없다", 3: "약간 있다", 4: "매우 있다", 9: "모름/무응답"}
STAFF_LABELS = {997: "해당 없음", 998: "모름", 999: "무응답"}
# org_survey.sps, section 1: the data lines, "." = system-missing
ORG_JOIN = [4, 3, 9, np.nan, 1, 2, 4, np.nan]
ORG_FEE = [1, 2, 9, 99, 3, np.nan, 2, 1]
ORG_STAFF = [3, 12, 998, np.nan, 997, 5, 999, 7]
ORG_NAMES = [
    "똠방각하 협동조합",
    "가나다 사회적기업",
    "마을 부엌",
    "서울 돌봄 협동조합",
    "",
    "Social Venture Lab",
    "다솜 자활센터",
    "희망 나눔",
]
CP949_NAMES = ORG_NAMES[:4]  # org_survey.sps, section 2


def assert_same_codes(got: pd.Series, expected: list[float]) -> None:
    """Exact equality, NaN where expected is NaN (codes are small integers: no tolerance)."""
    got_arr = got.to_numpy(dtype=float)
    exp_arr = np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(got_arr), np.isnan(exp_arr))
    np.testing.assert_array_equal(got_arr[~np.isnan(exp_arr)], exp_arr[~np.isnan(exp_arr)])


# ----------------------------------------------------------------------------- PSPP .sav/.zsav


@pytest.fixture(scope="module")
def org() -> tuple[pd.DataFrame, FileMeta]:
    return io.read(SPSS / "org_utf8.sav")


def test_pspp_sav_labels_exact(org):
    data, meta = org
    assert meta.format == "sav" and meta.encoding == "utf-8" and meta.encoding_note is None
    assert meta.n_rows == 8 and meta.columns == tuple(data.columns)
    assert meta.variable_labels["join_intent"] == "향후 공제 가입 의향"
    assert meta.variable_labels["fund_mutual"] == "자금조달: 제3섹터 공제"
    assert meta.value_labels["join_intent"] == JOIN_LABELS
    assert meta.value_labels["join_intent"][4] == "매우 있다"
    assert meta.value_labels["staff"] == STAFF_LABELS
    assert meta.value_labels["org_type"][5] == "소셜벤처/NPO"


def test_pspp_sav_user_missing_kept_as_codes(org):
    data, meta = org
    assert meta.missing["join_intent"] == MissingSpec(values=(9,))
    assert meta.missing["fee"] == MissingSpec(values=(9, 99))
    assert meta.missing["staff"] == MissingSpec(ranges=((997, 999),))
    assert set(meta.missing) == {"join_intent", "fee", "staff"}
    assert_same_codes(data["join_intent"], ORG_JOIN)
    assert_same_codes(data["fee"], ORG_FEE)
    assert_same_codes(data["staff"], ORG_STAFF)
    assert data["join_intent"].iloc[2] == 9  # 모름/무응답 is still 9, not NaN
    # NaN count equals the number of system-missing "." in the syntax file
    assert data["join_intent"].isna().sum() == 2
    assert data["staff"].isna().sum() == 1
    flags = meta.missing["staff"].is_missing(data["staff"])
    assert flags.tolist() == [False, False, True, False, True, False, True, False]


def test_pspp_sav_types_measure_formats_mrsets(org):
    data, meta = org
    assert data["join_intent"].dtype == np.float64
    assert not any(isinstance(d, pd.CategoricalDtype) for d in data.dtypes)
    assert data["org_name"].tolist() == ORG_NAMES
    assert pd.api.types.is_string_dtype(data["org_name"])
    assert meta.measure["join_intent"] == "ordinal"
    assert meta.measure["org_type"] == "nominal"
    assert meta.measure["staff"] == "scale"
    assert meta.formats["org_name"] == "A30" and meta.formats["fee"] == "F2.0"
    assert meta.mr_sets["funding"]["label"] == "자금조달 방법"
    assert meta.mr_sets["funding"]["variable_list"] == ["fund_rel", "fund_bank", "fund_mutual"]
    assert meta.mr_sets["funding"]["counted_value"] == 1


def test_zsav_reads_the_same_as_sav(org):
    data, meta = io.read(SPSS / "org_utf8.zsav")
    pd.testing.assert_frame_equal(data, org[0])
    assert meta.format == "zsav"
    same = ("variable_labels", "value_labels", "missing", "measure", "mr_sets", "formats")
    assert all(getattr(meta, f) == getattr(org[1], f) for f in same)


def test_user_missing_false_blanks_codes_but_keeps_spec(org):
    data, meta = io.read(SPSS / "org_utf8.sav", user_missing=False)
    assert data["join_intent"].isna().sum() == 3  # 2 system + one 9
    assert data["fee"].isna().sum() == 3  # 1 system + 9 + 99
    assert data["staff"].isna().sum() == 4  # 1 system + 998, 997, 999
    assert meta.missing == org[1].missing
    assert org[0]["join_intent"].iloc[2] == 9  # the first read is untouched


def test_columns_subset_in_order_and_mrsets_filtered():
    data, meta = io.read(SPSS / "org_utf8.sav", columns=["fee", "join_intent"])
    assert list(data.columns) == ["fee", "join_intent"] and meta.columns == ("fee", "join_intent")
    assert set(meta.value_labels) == {"fee", "join_intent"}
    assert meta.mr_sets == {}
    data, _ = io.read(SPSS / "org_utf8.sav", columns="staff")
    assert list(data.columns) == ["staff"]


def test_columns_unknown_names_file_and_suggests():
    with pytest.raises(DataError) as err:
        io.read(SPSS / "org_utf8.sav", columns=["join_intnet"])
    msg = str(err.value)
    assert "org_utf8.sav" in msg and "'join_intnet'" in msg and "Did you mean 'join_intent'" in msg


# ----------------------------------------------------------------------------- encodings


def _assert_cp949_content(data: pd.DataFrame, meta: FileMeta) -> None:
    assert meta.variable_labels["join_intent"] == "향후 공제 가입 의향"
    assert meta.value_labels["join_intent"] == JOIN_LABELS
    assert meta.value_labels["staff"] == STAFF_LABELS
    assert data["org_name"].tolist() == CP949_NAMES  # 똠 survives: cp949, not euc-kr
    assert meta.missing["join_intent"] == MissingSpec(values=(9,))
    assert_same_codes(data["join_intent"], [4, 3, 9, np.nan])


@pytest.mark.parametrize("name", ["org_cp949.sav", "org_cp949_noenc.sav"])
def test_cp949_file_with_or_without_encoding_record(name):
    data, meta = io.read(SPSS / name)  # filterwarnings=error: no RecodedTextWarning here
    assert meta.encoding == "cp949" and meta.encoding_note is None
    _assert_cp949_content(data, meta)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("org_cp949_as1252.sav", "mojibake"),
        ("org_cp949_asutf8.sav", "not valid in the declared encoding"),
    ],
)
def test_lying_header_is_redecoded_as_cp949(name, reason):
    with pytest.warns(RecodedTextWarning, match="re-decoded as cp949") as record:
        data, meta = io.read(SPSS / name)
    assert len(record) == 1 and name in str(record[0].message)
    assert meta.encoding == "cp949"
    assert meta.encoding_note.startswith("re-decoded as cp949") and reason in meta.encoding_note
    _assert_cp949_content(data, meta)


def test_explicit_encoding_is_trusted():
    data, meta = io.read(SPSS / "org_cp949_as1252.sav", encoding="cp949")
    _assert_cp949_content(data, meta)
    _, meta = io.read(SPSS / "org_cp949.sav", encoding="latin-1")  # no repair when asked
    assert meta.value_labels["join_intent"][4] == "매우 있다".encode("cp949").decode("latin-1")
    assert meta.encoding == "iso8859-1"  # Python's canonical codec name


def test_euc_kr_request_reads_as_cp949():
    data, meta = io.read(SPSS / "org_cp949.sav", encoding="EUC-KR")
    _assert_cp949_content(data, meta)
    assert meta.encoding == "cp949" and "euc-kr" in meta.encoding_note


def test_honest_western_file_is_not_repaired():
    data, meta = io.read(SPSS / "org_cp1252.sav")  # must not warn
    assert meta.encoding == "cp1252"
    assert meta.variable_labels["size"] == "Größe der Organisation (Schätzung)"
    assert meta.value_labels["size"] == {1: "très petite", 2: "mittelgroß", 9: "ne sait pas"}
    assert data["city"].tolist() == ["Zürich", "Besançon", "Malmö"]


def test_unknown_encoding_names_file_and_fix():
    with pytest.raises(ReadError, match=r"org_cp949\.sav.*'klingon'.*cp949"):
        io.read(SPSS / "org_cp949.sav", encoding="klingon")


def test_wrong_explicit_encoding_that_fails_names_fix():
    with pytest.raises(ReadError, match=r"org_cp949_as1252\.sav.*encoding='utf-8'.*'cp949'"):
        io.read(SPSS / "org_cp949_as1252.sav", encoding="utf-8")


# ----------------------------------------------------------------------------- .por, haven


def test_portable_file_from_pspp():
    data, meta = io.read(SPSS / "org.por")
    assert meta.format == "por" and meta.columns == ("ID", "JOIN_INT", "STAFF")  # .por: 8 chars
    assert meta.value_labels["JOIN_INT"][9] == "Don't know/no answer"
    assert meta.variable_labels["STAFF"] == "Full-time staff"
    # documented limitation: pyreadstat turns .por user-missing codes into NaN, drops the spec
    assert meta.missing == {} and "user-missing" in meta.notes[0]
    assert_same_codes(data["JOIN_INT"], [4, 3, np.nan, np.nan])
    assert_same_codes(data["STAFF"], [3, 12, np.nan, np.nan])


def _haven_spec(entry: dict) -> MissingSpec:
    values = entry.get("values", [])
    values = tuple(values if isinstance(values, list) else [values])
    rng = entry.get("range")
    return MissingSpec(values=values, ranges=((rng[0], rng[1]),) if rng else ())


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_haven_files_match_what_r_wrote(suffix):
    data, meta = io.read(SPSS / f"workers_haven{suffix}")
    assert list(data.columns) == HAVEN["columns"] and meta.n_rows == HAVEN["n_rows"]
    assert meta.variable_labels == HAVEN["variable_labels"]
    for var, labels in HAVEN["value_labels"].items():
        assert meta.value_labels[var] == {code: label for label, code in labels.items()}
    for var, values in HAVEN["data"].items():
        if var == "job":
            assert data[var].tolist() == values
        else:
            assert_same_codes(data[var], [np.nan if v is None else v for v in values])
            assert data[var].isna().sum() == HAVEN["system_missing"][var]
    assert data["join_intent"].iloc[1] == 9


def test_haven_sav_user_missing_specs():
    _, meta = io.read(SPSS / "workers_haven.sav")
    assert meta.missing == {v: _haven_spec(e) for v, e in HAVEN["user_missing"].items()}


def test_haven_dta_has_no_user_missing():
    # Stata has no user-missing codes: haven's write_dta keeps 9 as a plain labelled value
    data, meta = io.read(SPSS / "workers_haven.dta")
    assert meta.format == "dta" and meta.missing == {}
    assert meta.value_labels["join_intent"][9] == "모름/무응답"


# ----------------------------------------------------------------------------- MissingSpec


def test_missing_spec_is_missing():
    spec = MissingSpec(values=(9, -1), ranges=((97, 99),))
    got = spec.is_missing(np.array([9, 96, 97, 98.5, 99, 100, np.nan, -1, 1]))
    assert got.tolist() == [True, False, True, True, True, False, False, True, False]
    strings = MissingSpec(values=("DK",))
    assert strings.is_missing(pd.Series(["a", "DK", None])).tolist() == [False, True, False]


def test_missing_spec_coerce():
    assert MissingSpec.coerce(9) == MissingSpec(values=(9,))
    assert MissingSpec.coerce([9, 99.0]) == MissingSpec(values=(9, 99))
    got = MissingSpec.coerce({"values": [9], "ranges": [(97, 99)]})
    assert got == MissingSpec(values=(9,), ranges=((97, 99),))
    with pytest.raises(DataError, match="'q1'.*'values' and 'ranges'"):
        MissingSpec.coerce({"codes": [9]}, variable="q1")


# ----------------------------------------------------------------------------- FileMeta


def test_filemeta_frozen_and_serialisable(org):
    meta = org[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.n_rows = 3
    plain = json.loads(json.dumps(meta.to_dict(), ensure_ascii=False))
    assert plain["value_labels"]["join_intent"]["4"] == "매우 있다"
    assert plain["missing"]["staff"] == {"values": [], "ranges": [[997, 999]]}
    frame = meta.to_frame()
    row = frame.set_index("variable").loc["fee"]
    assert row["missing"] == "9, 99" and row["n_value_labels"] == 5
    assert "향후 공제 가입 의향" in str(meta.summary())


# ----------------------------------------------------------------------------- read errors


def test_missing_file(tmp_path):
    path = tmp_path / "nope.sav"
    with pytest.raises(FileNotFoundError) as err:
        io.read(path)
    assert isinstance(err.value, ReadError)
    assert "nope.sav" in str(err.value) and "No such file or directory" in str(err.value)


def test_directory(tmp_path):
    folder = tmp_path / "survey.sav"
    folder.mkdir()
    with pytest.raises(ReadError, match=r"survey\.sav.*directory.*file inside"):
        io.read(folder)


def test_unsupported_suffix_lists_supported(tmp_path):
    path = tmp_path / "data.sas7bdat"
    path.write_bytes(b"x")
    with pytest.raises(ReadError, match=r"data\.sas7bdat.*\.sav, \.zsav, \.por, \.dta, \.csv"):
        io.read(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.sav"
    path.write_bytes(b"")
    with pytest.raises(ReadError, match=r"empty\.sav.*empty.*Re-export"):
        io.read(path)


@pytest.mark.parametrize("keep", [100, 600, 2000])
def test_truncated_sav(tmp_path, keep):
    path = tmp_path / "cut.sav"
    path.write_bytes((SPSS / "org_utf8.sav").read_bytes()[:keep])
    with pytest.raises(ReadError, match=r"cut\.sav.*truncated, corrupt.*Re-export"):
        io.read(path)


def test_not_an_spss_file(tmp_path):
    path = tmp_path / "fake.sav"
    path.write_text("id,q1\n1,2\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"fake\.sav.*Re-export"):
        io.read(path)


# ----------------------------------------------------------------------------- writing


def _demo_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1.0, 2.0, 3.0, 4.0],
            "q5": [4.0, 9.0, np.nan, 1.0],
            "staff": [3.0, 998.0, 12.0, np.nan],
            "name": ["똠방각하", "", "가나다", "희망"],
        }
    )


def test_write_sav_round_trip(tmp_path):
    frame = _demo_frame()
    before = frame.copy()
    out = io.write_sav(
        frame,
        tmp_path / "out.sav",
        variable_labels={"q5": "향후 공제 가입 의향"},
        value_labels={"q5": JOIN_LABELS, "staff": STAFF_LABELS},
        missing={"q5": [9], "staff": {"ranges": [(997, 999)]}},
        measure={"q5": "ordinal", "staff": "scale"},
    )
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    data, meta = io.read(out)
    assert meta.value_labels["q5"] == JOIN_LABELS and meta.value_labels["staff"] == STAFF_LABELS
    assert meta.variable_labels["q5"] == "향후 공제 가입 의향"
    assert meta.missing == {"q5": MissingSpec(values=(9,)), "staff": MissingSpec(ranges=((997, 999),))}
    assert meta.measure["q5"] == "ordinal" and meta.encoding == "utf-8"
    assert_same_codes(data["q5"], [4, 9, np.nan, 1])
    assert data["name"].tolist() == before["name"].tolist()
    assert [p.name for p in tmp_path.iterdir()] == ["out.sav"]  # no temp file left


def test_write_sav_round_trip_of_pspp_file(tmp_path, org):
    data, meta = org
    out = io.write_sav(
        data,
        tmp_path / "copy.zsav",
        variable_labels=meta.variable_labels,
        value_labels=meta.value_labels,
        missing=meta.missing,
        measure=meta.measure,
        compress=True,
    )
    again, meta2 = io.read(out)
    pd.testing.assert_frame_equal(again, data, check_like=False)
    same = ("variable_labels", "value_labels", "missing", "measure")
    assert all(getattr(meta2, f) == getattr(meta, f) for f in same)
    assert meta2.mr_sets == {}  # documented: write_sav cannot write MR sets


def test_write_refuses_to_overwrite_its_input(tmp_path):
    path = tmp_path / "org.sav"
    shutil.copy(SPSS / "org_utf8.sav", path)
    original = path.read_bytes()
    data, meta = io.read(path)
    with pytest.raises(DataError, match=r"org\.sav.*input file.*new path"):
        io.write_sav(data, path, value_labels=meta.value_labels)
    with pytest.raises(DataError, match="input file"):
        io.write_sav(data[["id", "fee"]], path)  # attrs survive selection
    assert path.read_bytes() == original
    io.write_sav(data, tmp_path / "other.sav")  # another target is fine


def test_write_failure_leaves_nothing(tmp_path):
    bad = pd.DataFrame({"bad name": [1.0]})
    with pytest.raises(DataError, match=r"out\.sav.*column names"):
        io.write_sav(bad, tmp_path / "out.sav")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"missing": {"q5": [1, 2, 3, 9]}}, r"'q5'.*at most 3 codes.*got 4 codes"),
        ({"missing": {"q5": {"values": [1, 2], "ranges": [(7, 9)]}}}, r"1 range plus 1 code"),
        ({"measure": {"q5": "interval"}}, r"measure of 'q5'.*nominal, ordinal, scale"),
        ({"value_labels": {"q55": {1: "a"}}}, r"value_labels.*'q55'.*Did you mean 'q5'"),
    ],
)
def test_write_sav_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(DataError, match=match):
        io.write_sav(_demo_frame(), tmp_path / "out.sav", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_write_sav_suffix_must_match_compress(tmp_path):
    with pytest.raises(DataError, match=r"out\.sav.*\.zsav.*compress=True"):
        io.write_sav(_demo_frame(), tmp_path / "out.sav", compress=True)


# ----------------------------------------------------------------------------- csv, xlsx, parquet


def test_write_csv_bom_and_round_trip(tmp_path):
    frame = _demo_frame()
    out = io.write_csv(frame, tmp_path / "out.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,q5")
    data, meta = io.read(out)
    assert meta.format == "csv" and meta.encoding == "utf-8" and meta.value_labels == {}
    assert_same_codes(data["q5"], [4, 9, np.nan, 1])
    assert data["name"].fillna("").tolist() == frame["name"].tolist()


def test_cp949_csv_is_detected(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes("id,name\n1,똠방각하\n2,모름\n".encode("cp949"))
    with pytest.warns(RecodedTextWarning, match=r"legacy\.csv.*re-decoded as cp949"):
        data, meta = io.read(path)
    assert data["name"].tolist() == ["똠방각하", "모름"] and meta.encoding == "cp949"
    data, _ = io.read(path, encoding="cp949")  # explicit: no warning
    assert data["name"].tolist() == ["똠방각하", "모름"]


def test_csv_errors(tmp_path):
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"blank\.csv.*header row"):
        io.read(blank)
    good = tmp_path / "good.csv"
    good.write_text("id,q5\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"good\.csv.*'q_5'.*Did you mean 'q5'"):
        io.read(good, columns=["q_5"])


def test_xlsx_and_parquet(tmp_path):
    frame = _demo_frame()
    frame.to_excel(tmp_path / "d.xlsx", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    for name in ("d.xlsx", "d.parquet"):
        data, meta = io.read(tmp_path / name, columns=["q5", "name"])
        assert list(data.columns) == ["q5", "name"] and meta.n_rows == 4
        assert_same_codes(data["q5"], [4, 9, np.nan, 1])
        assert data["name"].fillna("").tolist() == frame["name"].tolist()
    with pytest.raises(ReadError, match=r"d\.parquet.*Drop the encoding"):
        io.read(tmp_path / "d.parquet", encoding="cp949")


def test_corrupt_parquet_and_xlsx(tmp_path):
    for name in ("bad.parquet", "bad.xlsx"):
        (tmp_path / name).write_bytes(b"not really " * 20)
        with pytest.raises(ReadError, match=rf"{name.replace('.', '[.]')}.*Re-"):
            io.read(tmp_path / name)


# ----------------------------------------------------------------------------- properties

_codes_st = st.lists(st.integers(min_value=-9, max_value=999), min_size=1, max_size=30)
_discrete_st = st.lists(st.integers(-9, 999), min_size=1, max_size=3, unique=True).map(
    lambda v: MissingSpec(values=tuple(sorted(v)))
)
# width >= 1: a range lo == hi reads back as the discrete code lo (same meaning)
_range_st = st.tuples(st.integers(-9, 500), st.integers(1, 499), st.lists(st.integers(-9, 999), max_size=1)).map(
    lambda t: MissingSpec(values=tuple(t[2]), ranges=((t[0], t[0] + t[1]),))
)
_spec_st = st.one_of(_discrete_st, _range_st)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(codes=_codes_st, spec=_spec_st)
def test_missing_specs_survive_write_read(tmp_path, codes, spec):
    frame = pd.DataFrame({"q": np.asarray(codes, dtype=float)})
    out = io.write_sav(frame, tmp_path / "p.sav", missing={"q": spec})
    data, meta = io.read(out)
    assert meta.missing["q"] == spec
    np.testing.assert_array_equal(data["q"].to_numpy(), frame["q"].to_numpy())  # codes kept
    blanked, _ = io.read(out, user_missing=False)
    np.testing.assert_array_equal(blanked["q"].isna().to_numpy(), spec.is_missing(codes))


# ----------------------------------------------------------------------------- our files in R

WRITTEN = json.loads((SPSS / "surveykit_written_haven.json").read_text(encoding="utf-8"))


def _assert_agrees_with_haven(path: Path) -> None:
    data, meta = io.read(path)
    assert list(data.columns) == WRITTEN["columns"]
    assert meta.variable_labels == WRITTEN["variable_labels"]
    for var, labels in WRITTEN["value_labels"].items():
        assert meta.value_labels[var] == {code: label for label, code in labels.items()}
    for var, na in WRITTEN["user_missing"].items():
        expected = MissingSpec(
            values=tuple(na["values"]), ranges=((na["range"][0], na["range"][1]),) if na["range"] else ()
        )
        assert meta.missing[var] == expected
        assert meta.missing[var].is_missing(data[var]).tolist() == WRITTEN["is_user_missing"][var]
    assert set(meta.missing) == set(WRITTEN["user_missing"])
    for var, values in WRITTEN["data"].items():
        if var == "org_name":
            assert data[var].tolist() == values
        else:
            assert_same_codes(data[var], [np.nan if v is None else v for v in values])


def test_haven_reads_our_committed_file_as_we_do():
    _assert_agrees_with_haven(SPSS / "surveykit_written.sav")


def test_current_write_sav_still_writes_what_haven_read(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("surveykit_written", SPSS / "surveykit_written.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _assert_agrees_with_haven(module.main(tmp_path / "again.sav"))


def test_duplicate_column_names_are_refused(tmp_path):
    # pandas renames a repeated 'id' to 'id.1' silently; surveykit refuses the file
    import pandas as pd
    import pytest

    from surveykit.errors import ReadError
    from surveykit.io import read

    csv = tmp_path / "dup.csv"
    csv.write_text("id,age,id\n1,30,2\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"dup.csv' must be unique; got 'id' at columns 1, 3"):
        read(csv)
    xlsx = tmp_path / "dup.xlsx"
    pd.DataFrame([[1, 2, 3]], columns=["a", "b", "c"]).rename(columns={"c": "a"}).to_excel(xlsx, index=False)
    with pytest.raises(ReadError, match=r"dup.xlsx' must be unique; got 'a' at columns 1, 3"):
        read(xlsx)


def test_parquet_columns_are_pushed_into_the_reader(tmp_path, monkeypatch):
    import pandas as pd

    import surveykit as sk

    path = tmp_path / "wide.parquet"
    pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0], "c": ["x", "y"]}).to_parquet(path)
    seen = []
    real = pd.read_parquet

    def spy(*args, **kwargs):
        seen.append(kwargs.get("columns"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pd, "read_parquet", spy)
    data, _ = sk.read(path, columns=["c", "a"])
    assert seen == [["c", "a"]] and list(data.columns) == ["c", "a"]
    with pytest.raises(sk.DataError, match=r"got 'd', which the file lacks \(3 variables\)"):
        sk.read(path, columns=["d"])
    assert len(seen) == 1  # the lacking column is found from the schema, before any data are read
