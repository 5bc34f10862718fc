"""Parquet reading, and the expansion of paths and globs shared by the file sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from atoti_lab._engine.load.parquet import read_parquet
from atoti_lab._engine.load.paths import expand

DICT_STRING = pa.dictionary(pa.int32(), pa.string())


def write(path: Path, data: dict[str, list[object]] | pa.Table) -> Path:
    pq.write_table(data if isinstance(data, pa.Table) else pa.table(data), path)
    return path


def test_strings_come_back_dictionary_encoded(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"city": ["Paris", "London", None, "Paris"], "qty": [1, 2, 3, 4], "price": [1.5, 2.5, 3.5, None]}
    )
    path = tmp_path / "a.parquet"
    frame.to_parquet(path)
    table = read_parquet([path])
    assert table.schema.field("city").type == DICT_STRING
    assert table.schema.field("qty").type == pa.int64()
    assert table.column("city").to_pylist() == ["Paris", "London", None, "Paris"]
    pd.testing.assert_frame_equal(
        table.to_pandas().astype({"city": object}), frame.astype({"city": object}), check_dtype=False
    )


def test_several_files_concatenate_and_stay_dictionary_encoded(tmp_path: Path) -> None:
    write(tmp_path / "p1.parquet", {"s": ["a", "b"], "n": [1, 2]})
    write(tmp_path / "p2.parquet", {"s": ["c", "a"], "n": [3, 4]})
    table = read_parquet(expand(tmp_path / "*.parquet"))
    assert table.to_pydict() == {"s": ["a", "b", "c", "a"], "n": [1, 2, 3, 4]}
    assert table.schema.field("s").type == DICT_STRING


def test_schemas_must_agree(tmp_path: Path) -> None:
    a = write(tmp_path / "a.parquet", {"s": ["a"], "n": [1]})
    b = write(tmp_path / "b.parquet", {"s": ["b"], "n": ["one"]})
    with pytest.raises(ValueError, match=r"'n'.*b\.parquet"):
        read_parquet([a, b])
    c = write(tmp_path / "c.parquet", {"s": ["c"]})
    with pytest.raises(ValueError, match=r"c\.parquet.*'n'"):
        read_parquet([a, c])
    d = write(tmp_path / "d.parquet", {"s": ["d"], "n": [4], "x": [0.5]})
    with pytest.raises(ValueError, match=r"d\.parquet.*\['x'\]"):
        read_parquet([a, d])


def test_same_atoti_type_in_other_arrow_widths_agree(tmp_path: Path) -> None:
    a = write(tmp_path / "a.parquet", pa.table({"s": pa.array(["a"], pa.string())}))
    b = write(tmp_path / "b.parquet", pa.table({"s": pa.array(["b"], pa.large_string())}))
    assert read_parquet([a, b]).column("s").to_pylist() == ["a", "b"]


def test_columns_mapping_renames_and_selects(tmp_path: Path) -> None:
    path = write(tmp_path / "a.parquet", {"city": ["Paris"], "qty": [1], "extra": [True]})
    table = read_parquet([path], columns={"qty": "Quantity", "city": "City"})
    assert table.column_names == ["Quantity", "City"]
    assert table.schema.field("City").type == DICT_STRING
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        read_parquet([path], columns={"nope": "N"})


def test_data_types_cast_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.parquet",
        {
            "id": [1, 2],
            "v": [1, 2],
            "s": ["x", "y"],
            "when": [dt.datetime(2021, 1, 1), dt.datetime(2021, 1, 2)],
        },
    )
    table = read_parquet(
        [path],
        columns={"id": "Id", "v": "V", "s": "S", "when": "When"},
        data_types={"Id": "int", "V": "double", "S": "String", "When": "LocalDate", "Absent": "int"},
    )
    assert table.schema.types == [pa.int32(), pa.float64(), DICT_STRING, pa.date32()]
    assert table.column("When").to_pylist() == [dt.date(2021, 1, 1), dt.date(2021, 1, 2)]


def test_lossy_data_types_raise(tmp_path: Path) -> None:
    path = write(tmp_path / "a.parquet", {"s": ["x"], "v": [3_000_000_000]})
    with pytest.raises(ValueError, match="'s'"):
        read_parquet([path], data_types={"s": "int"})
    with pytest.raises(ValueError, match="'v'.*3000000000"):
        read_parquet([path], data_types={"v": "int"})


def test_types_are_canonical(tmp_path: Path) -> None:
    data = pa.table(
        {
            "i8": pa.array([1], pa.int8()),
            "u32": pa.array([1], pa.uint32()),
            "ns": pa.array([0], pa.timestamp("ns")),
            "tz": pa.array([0], pa.timestamp("ms", tz="Europe/Paris")),
            "arr": pa.array([[1.0, 2.0]], pa.list_(pa.float64())),
        }
    )
    table = read_parquet([write(tmp_path / "a.parquet", data)])
    assert table.schema.types == [
        pa.int32(),
        pa.int64(),
        pa.timestamp("us"),
        pa.timestamp("us", tz="UTC"),
        pa.list_(pa.float64()),
    ]


def test_unnamed_pandas_index_is_dropped_named_one_kept(tmp_path: Path) -> None:
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index([10, 20]))
    frame.to_parquet(tmp_path / "unnamed.parquet")
    assert read_parquet([tmp_path / "unnamed.parquet"]).column_names == ["v"]
    frame.index.name = "key"
    frame.to_parquet(tmp_path / "named.parquet")
    assert read_parquet([tmp_path / "named.parquet"]).column_names == ["v", "key"]


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.parquet"):
        read_parquet([tmp_path / "nope.parquet"])


# --- paths.expand ---------------------------------------------------------------------------


def test_expand_paths_globs_and_directories(tmp_path: Path) -> None:
    (tmp_path / "d" / "deep").mkdir(parents=True)
    for name in ("d/b.csv", "d/a.csv", "d/deep/c.csv", "d/_SUCCESS", "d/.hidden", "d/x.txt"):
        (tmp_path / name).write_text("")
    assert expand(tmp_path / "d" / "a.csv") == [tmp_path / "d" / "a.csv"]
    assert expand(str(tmp_path / "d" / "*.csv")) == [tmp_path / "d" / "a.csv", tmp_path / "d" / "b.csv"]
    assert [p.name for p in expand(str(tmp_path / "d" / "**" / "*.csv"))] == ["a.csv", "b.csv", "c.csv"]
    assert [p.name for p in expand(tmp_path / "d" / "[ab].csv")] == ["a.csv", "b.csv"]
    assert [p.name for p in expand(tmp_path / "d" / "?.csv")] == ["a.csv", "b.csv"]
    assert [p.name for p in expand(tmp_path / "d")] == ["a.csv", "b.csv", "x.txt"]
    with pytest.raises(FileNotFoundError, match=r"\*\.json"):
        expand(tmp_path / "d" / "*.json")
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        expand(tmp_path / "missing.csv")


def test_expand_literal_name_with_glob_characters(tmp_path: Path) -> None:
    odd = tmp_path / "data[1].csv"
    odd.write_text("")
    assert expand(odd) == [odd]
