"""Tables through the public API: creation, loading from every source, keys, joins, drops, transactions."""

from __future__ import annotations

import datetime as dt
import threading
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import atoti_lab as tt
from atoti_lab.errors import LoadWarning


@pytest.fixture
def session():
    with tt.Session.start() as s:
        yield s


def test_create_table_types_defaults_and_keys(session):
    table = session.create_table(
        "Example",
        data_types={"Id": tt.type.STRING, "Qty": "int", "Price": "double", "Day": "LocalDate", "Ok": "boolean"},
        keys={"Id"},
        default_values={"Qty": 0},
    )
    assert table.keys == ("Id",)
    assert table.columns == ["Id", "Qty", "Price", "Day", "Ok"]
    assert table["Qty"].data_type == "int" and table["Day"].data_type == "LocalDate"
    assert table["Id"].default_value == "N/A"
    assert table["Qty"].default_value == 0
    assert table["Price"].default_value is None  # nullable
    assert table["Day"].default_value == dt.date(1970, 1, 1)
    assert table["Ok"].default_value is False
    table += ("a", None, None, None, None)
    row = table.head().loc["a"]
    assert row["Qty"] == 0 and np.isnan(row["Price"]) and row["Day"] == dt.date(1970, 1, 1)


def test_types_argument_is_deprecated_but_works(session):
    with pytest.warns(FutureWarning, match="data_types"):
        table = session.create_table("Old", types={"Id": "String"})
    assert table["Id"].data_type == "String"


def test_bad_table_definitions_are_named(session):
    with pytest.raises(ValueError, match="Unknown data type 'text' for column 'x'"):
        session.create_table("T", data_types={"x": "text"})
    with pytest.raises(ValueError, match="Key columns \\['y'\\]"):
        session.create_table("T", data_types={"x": "int"}, keys=["y"])
    with pytest.raises(ValueError, match="cannot have None"):
        session.create_table("T", data_types={"x": "int"}, keys=["x"], default_values={"x": None})
    with pytest.raises(ValueError, match="does not match its type"):
        session.create_table("T", data_types={"x": "int"}, default_values={"x": "zero"})
    assert "T" not in session.tables


def test_keyed_table_upserts_and_plain_table_appends(session):
    keyed = session.create_table("K", data_types={"Id": "String", "V": "double"}, keys=["Id"])
    plain = session.create_table("P", data_types={"Id": "String", "V": "double"})
    for table in (keyed, plain):
        table += [("a", 1.0), ("b", 2.0)]
        table += ("a", 3.0)
    assert len(keyed) == 2 and keyed.head().loc["a", "V"] == 3.0
    assert len(plain) == 3 and plain.row_count == 3


def test_read_pandas_infers_types_and_head_is_indexed_by_keys(session):
    df = pd.DataFrame({
        "City": ["Paris", "Berlin", "Paris"],
        "Year": np.array([2023, 2024, 2024], dtype=np.int64),
        "Small": np.array([1, 2, 3], dtype=np.int32),
        "Price": [1.5, 2.5, 3.5],
        "When": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
    })
    table = session.read_pandas(df, table_name="Prices", keys=["City", "Year"])
    assert {c: table[c].data_type for c in table} == {
        "City": "String", "Year": "long", "Small": "int", "Price": "double", "When": "LocalDateTime",
    }
    head = table.head(10)
    assert head.index.names == ["City", "Year"]
    assert head.loc[("Paris", 2024), "Price"] == 3.5


def test_read_arrow_numpy_parquet_csv(session, tmp_path):
    arrow = pa.table({"k": ["x", "y"], "v": [1.0, 2.0]})
    assert len(session.read_arrow(arrow, table_name="A", keys=["k"])) == 2
    numbers = np.array([[1, 10], [2, 20], [3, 30]])
    t = session.read_numpy(numbers, columns=["a", "b"], table_name="N")
    assert t.query().sort_values("a")["b"].tolist() == [10, 20, 30]
    pq.write_table(pa.table({"id": [1, 2, 3], "s": ["u", "v", "w"]}), tmp_path / "part1.parquet")
    pq.write_table(pa.table({"id": [4], "s": ["z"]}), tmp_path / "part2.parquet")
    parquet = session.read_parquet(str(tmp_path / "part*.parquet"), keys=["id"], table_name="Pq")
    assert sorted(parquet.query()["s"]) == ["u", "v", "w", "z"]
    (tmp_path / "data.csv").write_text("Id;Amount;Day\nA;1,5;01/02/2024\nB;2;03/02/2024\n")
    csv = session.read_csv(tmp_path / "data.csv", separator=";", keys=["Id"], table_name="Csv",
                           data_types={"Amount": "String"}, date_patterns={"Day": "dd/MM/yyyy"})
    assert csv["Day"].data_type == "LocalDate"
    assert csv.head().loc["A", "Day"] == dt.date(2024, 2, 1)


def test_bad_csv_rows_are_reported_and_good_rows_kept(session, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("ID,Qty,Date\n1,5,2024-01-01\n2,oops,2024-01-02\n3,7\n4,8,2024-01-04\n")
    with pytest.warns(LoadWarning, match="could not be loaded"):
        table = session.read_csv(path, keys=["ID"], table_name="Sales", data_types={"Qty": "int", "Date": "LocalDate"})
    assert sorted(table.query()["ID"].tolist()) == [1, 4]
    issues = table.loading_report.issues
    assert [(i.line, i.column) for i in issues] == [(3, "Qty"), (4, None)]
    assert issues[0].value == "oops"
    # a later bad load into the same table keeps what is there
    bad = tmp_path / "more.csv"
    bad.write_text("ID,Qty,Date\n5,x,2024-01-05\n")
    with pytest.warns(LoadWarning):
        table.load(tt.CsvLoad(bad))
    assert len(table) == 2


def test_load_with_missing_key_or_unknown_column_changes_nothing(session):
    table = session.create_table("T", data_types={"Id": "String", "V": "double"}, keys=["Id"])
    table += ("a", 1.0)
    with pytest.raises(ValueError, match="Id"):
        table.load(pd.DataFrame({"V": [2.0]}))
    with pytest.raises(ValueError, match="Nope"):
        table.load(pd.DataFrame({"Id": ["b"], "V": [2.0], "Nope": [1]}))
    with pytest.raises(ValueError):
        table.load(pd.DataFrame({"Id": ["b"], "V": ["not a number"]}))
    assert table.query()["Id"].tolist() == ["a"]


def test_drop_and_query_with_conditions(session):
    table = session.read_pandas(
        pd.DataFrame({"Id": list("abcdef"), "Country": ["FR", "DE", "FR", "UK", "DE", "FR"], "V": range(6)}),
        table_name="T", keys=["Id"],
    )
    got = table.query("Id", "V", filter=(table["Country"] == "FR") & (table["V"] > 0))
    assert got.sort_values("Id")["Id"].tolist() == ["c", "f"]
    assert table.drop(table["Country"].isin("DE", "UK")) == 3
    assert sorted(table.query()["Id"]) == ["a", "c", "f"]
    with pytest.raises(TypeError, match="`&`"):
        bool(table["V"] > 1)
    assert table.drop() == 3 and len(table) == 0


def test_join_and_schema(session):
    a = session.create_table("Table a", data_types={"foo": "String", "bar": "int"}, default_values={"bar": None})
    b = session.create_table("Table b", data_types={"bar": "int", "baz": "LocalDate"}, keys={"bar"})
    c = session.create_table("Table c", data_types={"foo": "String", "xyz": "double"}, keys=["foo", "xyz"])
    a.join(b, a["bar"] == b["bar"])
    a.join(c, a["foo"] == c["foo"])
    lines = str(session.tables.schema).splitlines()
    assert lines[0] == "erDiagram"
    assert '    nullable int "bar"' in lines and '    non-null int PK "bar"' in lines
    assert '  "Table a" }o--o| "Table b" : "`bar` == `bar`"' in lines
    assert '  "Table a" }o..o{ "Table c" : "`foo` == `foo`"' in lines
    with pytest.raises(ValueError, match="types differ"):
        a.join(c, a["bar"] == c["xyz"])
    with pytest.raises(ValueError, match="cycle"):
        b.join(a, b["bar"] == a["bar"])


def test_transaction_is_all_or_nothing(session):
    table = session.create_table("T", data_types={"Id": "String", "V": "int"}, keys=["Id"])
    table += ("a", 1)
    with pytest.raises(RuntimeError):
        with session.tables.data_transaction():
            table += ("b", 2)
            table += ("a", 10)
            raise RuntimeError("abort")
    assert table.query().to_dict("records") == [{"Id": "a", "V": 1}]
    with pytest.warns(FutureWarning):
        with session.start_transaction():
            table += ("c", 3)
    assert len(table) == 2


def test_concurrent_reader_sees_before_or_after_a_load(session):
    table = session.create_table("T", data_types={"Id": "long", "V": "long"}, keys=["Id"])
    table.load(pd.DataFrame({"Id": np.arange(1000), "V": np.ones(1000, np.int64)}))
    totals, stop = set(), threading.Event()

    def read() -> None:
        while not stop.is_set():
            totals.add(int(table.query()["V"].sum()))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(20):
        # each load moves one unit between halves, keeping the total at 1000 once committed
        with session.tables.data_transaction():
            table.load(pd.DataFrame({"Id": np.arange(500), "V": np.full(500, 2, np.int64)}))
            table.load(pd.DataFrame({"Id": np.arange(500, 1000), "V": np.zeros(500, np.int64)}))
    stop.set()
    reader.join()
    assert totals == {1000}


def test_session_lifecycle(tmp_path):
    first = tt.Session(name="lab", port=0)
    second = tt.Session(name="lab")
    assert first.closed and not second.closed  # same name: the older one is closed
    unnamed = tt.Session(name=None)
    assert not second.closed
    second.create_table("T", data_types={"x": "int"})
    log = second.logs_path.read_text()
    assert "Created table 'T'" in log
    second.close()
    assert second.closed
    with pytest.raises(tt.errors.SessionClosedError if hasattr(tt, "errors") else Exception):
        second.tables  # noqa: B018
    unnamed.close()
    with tt.Session.start(tt.SessionConfig(logging=tt.LoggingConfig(destination=tmp_path / "s.log"))) as s:
        assert s.logs_path == tmp_path / "s.log" and s.ready
        s.ready = False
        assert not s.ready
    assert s.closed


def test_wait_returns_when_closed_from_another_thread():
    session = tt.Session.start()
    threading.Timer(0.05, session.close).start()
    session.wait()
    assert session.closed


def test_no_warnings_for_clean_loads(session):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session.read_pandas(pd.DataFrame({"a": [1]}), table_name="T")


def test_session_serves_http_on_its_port_and_frees_it():
    import socket

    import httpx

    session = tt.Session.start()
    url, port = session.url, session.port
    assert port > 0 and url == f"http://127.0.0.1:{port}"
    assert httpx.get(f"{url}/versions/rest").status_code == 200
    session.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # the port is free again


def test_unreferenced_session_is_closed_by_the_garbage_collector():
    import gc
    import socket

    session = tt.Session(name="collected")
    port, log = session.port, session.logs_path
    del session
    gc.collect()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    assert "started" in log.read_text()
