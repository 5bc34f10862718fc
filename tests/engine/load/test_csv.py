"""CSV reading: types, options, and the rows rejected with their exact line, column and value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from atoti_lab._engine import types as T
from atoti_lab._engine.load import csv as csv_source
from atoti_lab._engine.load.csv import CsvOptions, java_to_strptime, read_csv
from atoti_lab._engine.load.paths import expand
from atoti_lab._engine.load.report import LoadIssue

DICT_STRING = pa.dictionary(pa.int32(), pa.string())


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def read(path: Path, data_types: dict[str, str] | None = None, **options: object) -> tuple[pa.Table, list[LoadIssue]]:
    return read_csv([path], CsvOptions(**options), data_types)  # type: ignore[arg-type]


def atoti_types(table: pa.Table) -> dict[str, str]:
    return {f.name: T.from_arrow(f.type) for f in table.schema}  # type: ignore[misc]


def assert_canonical(table: pa.Table) -> None:
    for f in table.schema:
        data_type = T.from_arrow(f.type)
        assert data_type is not None
        expected = {T.ARROW_TYPES[data_type], DICT_STRING} if data_type == T.STRING else {T.ARROW_TYPES[data_type]}
        assert f.type in expected, (f.name, f.type)


# --- inference and values -------------------------------------------------------------------


def test_infers_types_like_atoti_and_matches_pandas(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "big": [1, 2, 3_000_000_000],
            "price": [1.5, 2.0, -3.25],
            "city": ["Paris", "London", "New York"],
            "day": ["2021-01-01", "2021-02-28", "2021-12-31"],
            "at": ["2021-01-01T10:00:00", "2021-01-02 11:30:00", "2021-01-03T00:00:00.5"],
            "flag": ["true", "False", "TRUE"],
        }
    )
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    table, issues = read(path)
    assert issues == []
    assert atoti_types(table) == {
        "id": "int",
        "big": "long",
        "price": "double",
        "city": "String",
        "day": "LocalDate",
        "at": "LocalDateTime",
        "flag": "boolean",
    }
    assert table.schema.field("city").type == DICT_STRING
    assert_canonical(table)
    result = table.to_pandas()
    expected = pd.read_csv(path, parse_dates=["at"])
    np.testing.assert_array_equal(result["id"], expected["id"])
    np.testing.assert_array_equal(result["big"], expected["big"])
    np.testing.assert_allclose(result["price"], expected["price"])
    assert list(result["city"]) == list(expected["city"])
    assert list(result["day"]) == [dt.date.fromisoformat(d) for d in frame["day"]]
    assert list(result["at"]) == list(pd.to_datetime(frame["at"], format="ISO8601"))
    assert list(result["flag"]) == [True, False, True]


def test_time_and_zoned_values(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "z,lt\n2021-01-01T10:00:00Z,10:30:00\n2021-01-01T10:00:00+02:00,11:00:00.5\n")
    table, issues = read(path)
    assert issues == []
    assert atoti_types(table) == {"z": "ZonedDateTime", "lt": "LocalTime"}
    utc = dt.timezone.utc
    assert [v.astimezone(utc) for v in table.column("z").to_pylist()] == [
        dt.datetime(2021, 1, 1, 10, tzinfo=utc),
        dt.datetime(2021, 1, 1, 8, tzinfo=utc),
    ]
    assert table.column("lt").to_pylist() == [dt.time(10, 30), dt.time(11, 0, 0, 500000)]


def test_zoned_column_takes_values_without_offset_as_utc(tmp_path: Path) -> None:
    path = write(tmp_path, "z.csv", "z\n2021-01-01T10:00:00Z\n2021-01-01T12:00:00\n")
    table, issues = read(path, {"z": "ZonedDateTime"})
    assert issues == []
    hours = [v.hour for v in table.column("z").to_pylist()]
    assert hours == [10, 12]


def test_empty_fields_are_null_and_null_values_option(tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", "a,b,c\n1,,x\n,2.5,\n3,NA,y\n")
    table, issues = read(path, null_values=("", "NA"))
    assert issues == []
    assert atoti_types(table) == {"a": "int", "b": "double", "c": "String"}
    assert table.to_pydict() == {"a": [1, None, 3], "b": [None, 2.5, None], "c": ["x", None, "y"]}


def test_all_empty_column_is_string(tmp_path: Path) -> None:
    table, _ = read(write(tmp_path, "e.csv", "a,b\n1,\n2,\n"))
    assert atoti_types(table) == {"a": "int", "b": "String"}


def test_data_types_override_inference_and_may_name_other_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "id,qty,code\n1,2,007\n2,3,008\n")
    table, issues = read(path, {"id": "long", "qty": "double", "code": "String", "absent": "int"})
    assert issues == []
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("qty").type == pa.float64()
    assert table.column("code").to_pylist() == ["007", "008"]
    assert table.column_names == ["id", "qty", "code"]


def test_float_type(tmp_path: Path) -> None:
    table, _ = read(write(tmp_path, "f.csv", "x\n1.5\n2\n"), {"x": "float"})
    assert table.schema.field("x").type == pa.float32()
    assert table.column("x").to_pylist() == [1.5, 2.0]


# --- columns, headers, files ----------------------------------------------------------------


def test_columns_mapping_keeps_and_renames(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "city,area,country,population\nTokyo,Kanto,Japan,14094034\n")
    table, _ = read(path, columns={"city": "City", "country": "Country"})
    assert table.column_names == ["City", "Country"]
    assert table.to_pylist() == [{"City": "Tokyo", "Country": "Japan"}]


def test_columns_mapping_types_and_patterns_use_table_names(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "d,n\n01/02/2021,1\n")
    table, _ = read(path, {"N": "long"}, columns={"d": "D", "n": "N"}, date_patterns={"D": "dd/MM/yyyy"})
    assert table.to_pylist() == [{"D": dt.date(2021, 2, 1), "N": 1}]
    assert table.schema.field("N").type == pa.int64()


def test_columns_mapping_naming_absent_column_raises(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"\['zz'\].*header"):
        read(path, columns={"zz": "Z"})


def test_headerless_file_with_column_names(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "Tokyo,Japan,14094034\nMadrid,Spain,3223334\n")
    table, issues = read(path, columns=["City", "Country", "Population"])
    assert issues == []
    assert table.column_names == ["City", "Country", "Population"]
    assert table.column("Population").to_pylist() == [14094034, 3223334]
    assert table.column("City").to_pylist() == ["Tokyo", "Madrid"]


def test_glob_of_several_files_concatenates_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path, "b.csv", "id,name\n3,c\n")
    write(tmp_path, "a.csv", "id,name\n1,a\n2,b\n")
    write(tmp_path / "sub", "c.csv", "name,id\nd,4\n")  # same columns, another order
    files = expand(str(tmp_path / "**" / "*.csv"))
    assert [f.name for f in files] == ["a.csv", "b.csv", "c.csv"]
    table, issues = read_csv(files, CsvOptions())
    assert issues == []
    assert table.to_pydict() == {"id": [1, 2, 3, 4], "name": ["a", "b", "c", "d"]}
    assert table.schema.field("name").type == DICT_STRING
    assert table.column("name").num_chunks >= 1


def test_files_with_other_columns_raise(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", "id,name\n1,a\n")
    b = write(tmp_path, "b.csv", "id,other\n2,b\n")
    with pytest.raises(ValueError, match="b.csv"):
        read_csv([a, b], CsvOptions())


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_csv([tmp_path / "nope.csv"], CsvOptions())
    with pytest.raises(FileNotFoundError, match=r"\*.csv"):
        expand(tmp_path / "*.csv")


def test_header_only_file_gives_empty_table(tmp_path: Path) -> None:
    table, issues = read(write(tmp_path, "e.csv", "a,b\n"), {"a": "int"})
    assert issues == []
    assert table.num_rows == 0
    assert table.column_names == ["a", "b"]
    assert table.schema.field("a").type == pa.int32()


def test_empty_file_gives_empty_table(tmp_path: Path) -> None:
    table, issues = read(write(tmp_path, "e.csv", ""))
    assert (table.num_rows, issues) == (0, [])


def test_bom_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "\ufeffa,b\n\n1,2\r\n\r\n3,4\n")
    table, issues = read(path)
    assert issues == []
    assert table.to_pydict() == {"a": [1, 3], "b": [2, 4]}


def test_separator_option_and_inference(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "x;y\n1;a,b\n3;c\n")
    assert read(path, separator=";")[0].to_pydict() == {"x": [1, 3], "y": ["a,b", "c"]}
    assert read(path, separator=None)[0].to_pydict() == {"x": [1, 3], "y": ["a,b", "c"]}
    tab = write(tmp_path, "t.tsv", "x\ty\n1\t2\n")
    assert read(tab, separator="\t")[0].to_pydict() == {"x": [1], "y": [2]}


def test_duplicate_header_names_raise(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Duplicate.*'a'"):
        read(write(tmp_path, "d.csv", "a,a\n1,2\n"))


# --- quotes ---------------------------------------------------------------------------------


def test_quotes_processed(tmp_path: Path) -> None:
    path = write(tmp_path, "q.csv", 'a,b\n1,"x,y"\n2,"say ""hi"""\n3,"two\nlines"\n4,plain\n')
    table, issues = read(path)
    assert issues == []
    assert table.column("b").to_pylist() == ["x,y", 'say "hi"', "two\nlines", "plain"]


def test_quotes_not_processed(tmp_path: Path) -> None:
    path = write(tmp_path, "q.csv", 'a,b\n1,"x"\n2,y"z\n')
    table, issues = read(path, process_quotes=False)
    assert issues == []
    assert table.column("b").to_pylist() == ['"x"', 'y"z']


# --- bad input: reported, never raised ------------------------------------------------------


def test_rows_with_wrong_field_count_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "City,Population\nTokyo,14094034\nNew,York,8000000\nParis\nMadrid,3223334\n")
    table, issues = read(path)
    assert table.to_pydict() == {"City": ["Tokyo", "Madrid"], "Population": [14094034, 3223334]}
    source = str(path)
    assert issues == [
        LoadIssue(source, 3, None, "New,York,8000000", "expected 2 fields, found 3"),
        LoadIssue(source, 4, None, "Paris", "expected 2 fields, found 1"),
    ]


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", 'a,b\n1,"multi\nline"\n\n2,x,extra\n3,ok\n')
    table, issues = read(path)
    assert table.to_pydict() == {"a": [1, 3], "b": ["multi\nline", "ok"]}
    assert [(i.line, i.column, i.value) for i in issues] == [(5, None, "2,x,extra")]


def test_unparsable_values_are_reported_and_their_rows_dropped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "v.csv",
        "id,qty,day,price\n1,10,2021-01-01,1.5\n2,abc,2021-01-02,2.5\n3,30,2021-13-45,x\n4,40,2021-01-04,4.5\n"
        "5,3000000000,2021-02-30,5\n",
    )
    types = {"qty": "int", "day": "LocalDate", "price": "double"}
    table, issues = read(path, types)
    assert table.to_pydict() == {
        "id": [1, 4],
        "qty": [10, 40],
        "day": [dt.date(2021, 1, 1), dt.date(2021, 1, 4)],
        "price": [1.5, 4.5],
    }
    source = str(path)
    assert [(i.source, i.line, i.column, i.value) for i in issues] == [
        (source, 3, "qty", "abc"),
        (source, 4, "day", "2021-13-45"),
        (source, 4, "price", "x"),
        (source, 6, "qty", "3000000000"),
        (source, 6, "day", "2021-02-30"),
    ]
    assert issues[0].reason == "not a valid int"


def test_inferred_type_rejects_later_values_that_do_not_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_source, "SAMPLE_ROWS", 3)
    path = write(tmp_path, "late.csv", "n\n1\n2\n3\n4\nfive\n6\n")
    table, issues = read(path)
    assert table.column("n").to_pylist() == [1, 2, 3, 4, 6]
    assert [(i.line, i.column, i.value) for i in issues] == [(6, "n", "five")]


def test_only_the_bad_file_of_several_takes_the_careful_path(tmp_path: Path) -> None:
    good = write(tmp_path, "a.csv", "n,s\n1,a\n2,b\n")
    bad = write(tmp_path, "b.csv", "n,s\n3,c\noops,d\n4,e\n")
    table, issues = read_csv([good, bad], CsvOptions(), {"n": "int"})  # else "oops" makes n a String
    assert table.to_pydict() == {"n": [1, 2, 3, 4], "s": ["a", "b", "c", "e"]}
    assert [(i.source, i.line, i.value) for i in issues] == [(str(bad), 3, "oops")]
    assert table.schema.field("s").type == DICT_STRING


# --- encodings ------------------------------------------------------------------------------


def test_latin1_file_read_with_its_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "l1.csv", "city,n\nSão Paulo,1\nZürich,2\n".encode("latin-1"))
    table, issues = read(path, encoding="latin-1")
    assert issues == []
    assert table.column("city").to_pylist() == ["São Paulo", "Zürich"]


def test_invalid_utf8_bytes_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", b"city,n\nParis,1\nZ\xfcrich,2\nRome,3\n")
    table, issues = read(path)
    assert table.to_pydict() == {"city": ["Paris", "Rome"], "n": [1, 3]}
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.line, issue.column, issue.value) == (3, "city", "Z\\xfcrich")
    assert "utf-8" in issue.reason


# --- options: dates, arrays, booleans -------------------------------------------------------


def test_java_patterns_translate() -> None:
    assert java_to_strptime("dd/MM/yyyy") == "%d/%m/%Y"
    assert java_to_strptime("yyyy-MM-dd HH:mm:ss") == "%Y-%m-%d %H:%M:%S"
    assert java_to_strptime("yyyy-MM-dd'T'HH:mm:ss.SSSXXX") == "%Y-%m-%dT%H:%M:%S.%f%z"
    assert java_to_strptime("d MMM yy") == "%d %b %y"
    with pytest.raises(ValueError, match="'V'"):
        java_to_strptime("VV")


def test_date_patterns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.csv",
        "d,t,m\n01/02/2021,2021-01-01 10:00:00,Jan 5 2021\n31/02/2021,2021-01-02 11:00:00,Feb 6 2021\n"
        "5/3/2021,2021-01-03 12:30:00,Mar 7 2021\n",
    )
    patterns = {"d": "dd/MM/yyyy", "t": "yyyy-MM-dd HH:mm:ss", "m": "MMM d yyyy"}
    table, issues = read(path, date_patterns=patterns)
    assert atoti_types(table) == {"d": "LocalDate", "t": "LocalDateTime", "m": "LocalDate"}
    assert table.to_pydict() == {
        "d": [dt.date(2021, 2, 1), dt.date(2021, 3, 5)],
        "t": [dt.datetime(2021, 1, 1, 10), dt.datetime(2021, 1, 3, 12, 30)],
        "m": [dt.date(2021, 1, 5), dt.date(2021, 3, 7)],
    }
    assert [(i.line, i.column, i.value) for i in issues] == [(3, "d", "31/02/2021")]
    assert "dd/MM/yyyy" in issues[0].reason


def test_date_pattern_matches_pandas_on_many_rows(tmp_path: Path) -> None:
    days = pd.date_range("2020-01-01", periods=2000, freq="D")
    frame = pd.DataFrame({"d": days.strftime("%d/%m/%Y"), "n": range(2000)})
    path = tmp_path / "many.csv"
    frame.to_csv(path, index=False)
    table, issues = read(path, date_patterns={"d": "dd/MM/yyyy"})
    assert issues == []
    assert list(table.column("d").to_pylist()) == list(days.date)


def test_arrays_with_array_separator(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,ints,reals,names\n1,1;2;3,1.5;2,a;b\n2,4,3,c\n3,,0.5;1e3,d\n")
    table, issues = read(path, array_separator=";")
    assert issues == []
    assert atoti_types(table) == {"id": "int", "ints": "long[]", "reals": "double[]", "names": "String"}
    assert table.column("ints").to_pylist() == [[1, 2, 3], [4], None]
    assert table.column("reals").to_pylist() == [[1.5, 2.0], [3.0], [0.5, 1000.0]]
    assert table.column("names").to_pylist() == ["a;b", "c", "d"]


def test_bad_array_elements_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,v\n1,1;2\n2,3;x\n3,4;;5\n4,6\n")
    table, issues = read(path, {"v": "int[]"}, array_separator=";")
    assert table.to_pydict() == {"id": [1, 4], "v": [[1, 2], [6]]}
    assert table.schema.field("v").type == pa.list_(pa.int32())
    assert [(i.line, i.column, i.value) for i in issues] == [(3, "v", "3;x"), (4, "v", "4;;5")]


def test_booleans_with_true_and_false_values(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "f\nyes\nno\nTrue\nfalse\n\n")
    table, issues = read(path, true_values=["yes"], false_values=["no"])
    assert issues == []
    assert table.schema.field("f").type == pa.bool_()
    assert table.column("f").to_pylist() == [True, False, True, False]
    bad = write(tmp_path, "bad.csv", "f\ntrue\nmaybe\n")
    table, issues = read(bad, {"f": "boolean"})
    assert table.column("f").to_pylist() == [True]
    assert [(i.line, i.column, i.value) for i in issues] == [(3, "f", "maybe")]


# --- the fast path --------------------------------------------------------------------------


def test_clean_file_never_takes_the_careful_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    n = 50_000
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "city": rng.choice(["Paris", "London", 'New "York"'], n),
            "qty": rng.integers(0, 1000, n),
            "price": rng.random(n),
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        }
    )
    frame["day"] = frame["day"].dt.strftime("%Y-%m-%d")
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)

    def fail(*_args: object) -> None:
        raise AssertionError("the careful path was used for a clean file")

    monkeypatch.setattr(csv_source, "_read_careful", fail)
    table, issues = read(path)
    assert issues == []
    assert table.num_rows == n
    np.testing.assert_array_equal(table.column("qty").to_numpy(), frame["qty"].to_numpy())
    np.testing.assert_allclose(table.column("price").to_numpy(), frame["price"].to_numpy())
    assert table.column("city").to_pylist() == frame["city"].tolist()
    assert_canonical(table)


def test_both_paths_give_the_same_table(tmp_path: Path) -> None:
    content = "id,name,day,v,flag\n1,a,2021-01-01,1.5,true\n2,,2021-01-02,,FALSE\n3,c,,3,\n"
    clean = write(tmp_path, "clean.csv", content)
    dirty = write(tmp_path, "dirty.csv", content + "4,too,many,fields,here,!\n")
    fast, _ = read(clean)
    careful, issues = read(dirty)
    assert len(issues) == 1
    assert careful.schema == fast.schema
    assert careful.to_pylist() == fast.to_pylist()


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_careful_routes_agree_on_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str) -> None:
    lines = ["id,qty,name", "1,10,a", "", "2,x,b", "3,30", "", "", "4,40,d,extra", "5,50,e", "6,,f"]
    path = write(tmp_path, "r.csv", newline.join(lines) + newline)
    by_arrow = read(path, {"qty": "int"})

    def must_not_run(*_args: object) -> None:
        raise AssertionError("a file without multi-line records is split by Arrow")

    with monkeypatch.context() as patch:
        patch.setattr(csv_source, "_split_by_python", must_not_run)
        assert read(path, {"qty": "int"}) == by_arrow

    def fall_back(*_args: object) -> None:
        raise csv_source._Fallback

    monkeypatch.setattr(csv_source, "_split_by_arrow", fall_back)
    by_python = read(path, {"qty": "int"})
    table, issues = by_arrow
    assert table.to_pydict() == {"id": [1, 5, 6], "qty": [10, 50, None], "name": ["a", "e", "f"]}
    assert [(i.line, i.column, i.value) for i in issues] == [
        (4, "qty", "x"),
        (5, None, "3,30"),
        (8, None, "4,40,d,extra"),
    ]
    assert by_python[0].to_pylist() == table.to_pylist()
    assert by_python[1] == issues


def test_configuration_errors_raise(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match="'nope'"):
        read(path, encoding="nope")
    with pytest.raises(ValueError, match="one character"):
        read(path, separator=";;")
    with pytest.raises(ValueError, match=r"date_patterns.*\['zz'\]"):
        read(path, date_patterns={"zz": "yyyy"})
    with pytest.raises(ValueError, match="'bogus'.*'a'"):
        read(path, {"a": "bogus"})
