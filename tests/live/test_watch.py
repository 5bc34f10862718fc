"""The folder watcher with real files in a temp folder and its real threads.

Waits are bounded polls (``wait_until``); the watcher polls every 50 ms and lets files settle for
100 ms, so a file normally loads within a few tenths of a second.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import atoti_lab as tt
from atoti_lab._engine.live.watch import WatchTarget, looks_complete
from atoti_lab._engine.load.csv import CsvOptions
from atoti_lab.watch import Watcher, watch

FAST = {"interval": 0.05, "settle": 0.1}
HEADER = "ID,Date,Product,Quantity\n"


def wait_until(predicate, timeout: float = 10.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def rows(table) -> dict[int, tuple]:
    frame = table.query()
    return {int(r.ID): (str(r.Date), r.Product, int(r.Quantity)) for r in frame.itertuples()}


@pytest.fixture
def session():
    with tt.Session.start() as s:
        yield s


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    write(folder / "day1.csv", HEADER + "1,2021-05-01,Tea,3\n2,2021-05-01,Coffee,4\n")
    return folder


@pytest.fixture
def sales(session, folder):
    return session.read_csv(str(folder / "*.csv"), table_name="Sales", keys=["ID"])


@pytest.fixture
def watcher(session, folder, sales):
    with watch(session, str(folder / "*.csv"), sales, **FAST) as w:
        yield w


# --- created -----------------------------------------------------------------------------------


def test_a_created_file_is_loaded(watcher: Watcher, folder: Path, sales) -> None:
    assert len(sales) == 2 and watcher.running
    write(folder / "day2.csv", HEADER + "3,2021-05-02,Tea,1\n4,2021-05-02,Cake,2\n")
    assert wait_until(lambda: len(watcher.files_loaded) == 1)
    assert rows(sales)[4] == ("2021-05-02", "Cake", 2)
    loaded = watcher.files_loaded[0]
    assert (loaded.rows, loaded.dropped, loaded.rejected) == (2, 0, 0)
    assert loaded.path == str(folder / "day2.csv")
    assert sales.loading_report.source == str(folder / "day2.csv")
    assert watcher.errors == [] and watcher.pending == []


def test_files_not_matching_the_glob_or_hidden_are_ignored(watcher: Watcher, folder: Path, sales) -> None:
    write(folder / "notes.txt", "not a csv\n")
    write(folder / ".day3.csv.part", HEADER + "9,2021-05-03,Tea,1\n")
    write(folder / "day3.csv", HEADER + "5,2021-05-03,Tea,1\n")
    assert wait_until(lambda: len(watcher.files_loaded) == 1)
    time.sleep(0.3)  # time for stray loads to show up
    assert [f.path for f in watcher.files_loaded] == [str(folder / "day3.csv")]
    assert sorted(rows(sales)) == [1, 2, 5]


def test_a_file_renamed_into_place_is_loaded_once(watcher: Watcher, folder: Path, sales) -> None:
    temporary = folder / ".day2.csv.tmp"  # how careful writers publish a file: write, then rename
    write(temporary, HEADER + "3,2021-05-02,Tea,1\n")
    os.replace(temporary, folder / "day2.csv")
    assert wait_until(lambda: 3 in rows(sales))
    time.sleep(0.3)
    assert len(watcher.files_loaded) == 1


def test_existing_files_are_left_alone_unless_asked(session, folder: Path) -> None:
    table = session.create_table("T", data_types={"ID": "int", "Date": "LocalDate", "Product": "String",
                                                  "Quantity": "int"}, keys=["ID"])
    with watch(session, str(folder / "*.csv"), table, **FAST) as w:
        time.sleep(0.3)
        assert len(table) == 0 and w.files_loaded == []
    with watch(session, str(folder / "*.csv"), table, existing=True, **FAST) as w:
        assert len(table) == 2  # loaded before watch() returned
        assert [f.path for f in w.files_loaded] == [str(folder / "day1.csv")]


def test_a_present_file_that_changes_is_loaded(watcher: Watcher, folder: Path, sales) -> None:
    write(folder / "day1.csv", HEADER + "1,2021-05-01,Tea,30\n2,2021-05-01,Coffee,4\n")
    assert wait_until(lambda: rows(sales)[1][2] == 30)


# --- modified ----------------------------------------------------------------------------------


def test_a_modified_file_replaces_its_rows_in_one_commit(session, watcher: Watcher, folder: Path, sales) -> None:
    write(folder / "day2.csv", HEADER + "3,2021-05-02,Tea,1\n4,2021-05-02,Cake,2\n5,2021-05-02,Tea,5\n")
    assert wait_until(lambda: len(sales) == 5)
    commits = []
    unsubscribe = session._database.subscribe(commits.append)
    try:
        # Row 3 is corrected, row 4 cancelled, row 5 unchanged, row 6 new.
        write(folder / "day2.csv", HEADER + "3,2021-05-02,Tea,7\n5,2021-05-02,Tea,5\n6,2021-05-02,Cake,1\n")
        assert wait_until(lambda: len(watcher.files_loaded) == 2)
    finally:
        unsubscribe()
    assert rows(sales) == {
        1: ("2021-05-01", "Tea", 3), 2: ("2021-05-01", "Coffee", 4),
        3: ("2021-05-02", "Tea", 7), 5: ("2021-05-02", "Tea", 5), 6: ("2021-05-02", "Cake", 1),
    }
    last = watcher.files_loaded[-1]
    assert (last.rows, last.dropped) == (3, 1)
    assert len(commits) == 1 and commits[0].tables == {"Sales"}


def test_modified_file_with_two_key_columns(session, tmp_path: Path) -> None:
    table = session.create_table("Stock", data_types={"Shop": "String", "Day": "LocalDate", "Qty": "int"},
                                 keys=["Shop", "Day"])
    path = tmp_path / "stock.csv"
    with watch(session, str(path), table, **FAST) as w:
        write(path, "Shop,Day,Qty\nNorth,2021-05-01,1\nNorth,2021-05-02,2\nSouth,2021-05-01,3\nSouth,2021-05-02,4\n")
        assert wait_until(lambda: len(table) == 4)
        write(path, "Shop,Day,Qty\nNorth,2021-05-02,20\nSouth,2021-05-01,30\n")
        assert wait_until(lambda: len(w.files_loaded) == 2)
    assert sorted((r.Shop, str(r.Day), r.Qty) for r in table.query().itertuples()) == [
        ("North", "2021-05-02", 20), ("South", "2021-05-01", 30),
    ]
    assert w.files_loaded[-1].dropped == 2


def test_without_keys_a_modified_file_is_appended_again(session, tmp_path: Path) -> None:
    table = session.create_table("Log", data_types={"Event": "String", "N": "int"})
    path = tmp_path / "log.csv"
    with watch(session, str(tmp_path), table, **FAST) as w:
        write(path, "Event,N\na,1\n")
        assert wait_until(lambda: len(table) == 1)
        write(path, "Event,N\na,1\nb,2\n")
        assert wait_until(lambda: len(w.files_loaded) == 2)
    assert len(table) == 3


def test_a_deleted_file_keeps_its_rows_and_a_new_one_starts_afresh(watcher: Watcher, folder: Path, sales) -> None:
    path = folder / "day2.csv"
    write(path, HEADER + "3,2021-05-02,Tea,1\n")
    assert wait_until(lambda: len(sales) == 3)
    path.unlink()
    time.sleep(0.3)
    assert len(sales) == 3
    write(path, HEADER + "4,2021-05-02,Cake,2\n")
    assert wait_until(lambda: len(sales) == 4)  # row 3 stays: it came from the deleted file


def test_a_file_replaced_by_a_rename_replaces_its_rows(watcher: Watcher, folder: Path, sales, tmp_path) -> None:
    path = folder / "day2.csv"
    write(path, HEADER + "3,2021-05-02,Tea,1\n4,2021-05-02,Cake,2\n")
    assert wait_until(lambda: len(sales) == 4)
    staged = tmp_path / "day2.csv.staged"  # written outside the folder, then renamed over the file
    write(staged, HEADER + "3,2021-05-02,Tea,9\n")
    os.replace(staged, path)
    assert wait_until(lambda: len(watcher.files_loaded) == 2)
    assert rows(sales)[3][2] == 9 and 4 not in rows(sales)


# --- being written -----------------------------------------------------------------------------


def test_a_half_written_file_waits_until_complete(session, watcher: Watcher, folder: Path, sales) -> None:
    path = folder / "day2.csv"
    with open(path, "w", encoding="utf-8") as file:
        file.write(HEADER + "3,2021-05-02,Tea,1\n4,2021-05-0")  # the writer stops mid-record
        file.flush()
        assert wait_until(lambda: watcher.pending == [str(path)], timeout=5)
        time.sleep(0.5)  # several settle periods: still not loaded
        assert watcher.files_loaded == [] and len(sales) == 2
        file.write("2,Cake,2\n")
    assert wait_until(lambda: len(watcher.files_loaded) == 1)
    time.sleep(0.3)
    assert len(watcher.files_loaded) == 1  # loaded once, whole
    assert watcher.files_loaded[0].rejected == 0 and sales.loading_report.issues == []
    assert rows(sales)[4] == ("2021-05-02", "Cake", 2)


def test_a_file_growing_is_loaded_once_it_stops(session, folder: Path, sales) -> None:
    path = folder / "day2.csv"
    with watch(session, str(folder / "*.csv"), sales, interval=0.05, settle=0.6) as w:
        with open(path, "w", encoding="utf-8") as file:
            file.write(HEADER)
            for i in range(3, 13):  # whole lines, one every 0.05 s: the size keeps changing
                file.write(f"{i},2021-05-02,Tea,1\n")
                file.flush()
                time.sleep(0.05)
        assert wait_until(lambda: len(sales) == 12)
        time.sleep(0.3)
        assert [f.rows for f in w.files_loaded] == [10]


def test_a_truncated_file_is_loaded_after_max_wait(session, folder: Path, sales) -> None:
    path = folder / "day2.csv"
    with watch(session, str(folder / "*.csv"), sales, interval=0.05, settle=0.05, max_wait=0.6) as w:
        write(path, HEADER + "3,2021-05-02,Tea,1\n4,2021-05")
        assert wait_until(lambda: len(w.files_loaded) == 1)
    assert w.files_loaded[0].rows == 1 and w.files_loaded[0].rejected == 1
    assert sales.loading_report.issues[0].line == 3


def test_looks_complete(tmp_path: Path) -> None:
    options = CsvOptions()
    cases = {
        "": False,
        "ID,Date": False,
        HEADER: False,  # only the header so far
        HEADER + "1,2021-05-01,Tea,3\n": True,
        HEADER + "1,2021-05-01,Tea,3": True,  # no final line break, but a whole record
        HEADER + "1,2021-05-01,Te": False,
        HEADER + '1,2021-05-01,"Tea, green",3': True,
        HEADER + '1,2021-05-01,"Tea, gr': False,
    }
    for i, (text, expected) in enumerate(cases.items()):
        path = tmp_path / f"f{i}.csv"
        write(path, text)
        assert looks_complete(path, options) is expected, text
    headerless = CsvOptions(columns=["ID", "Date", "Product", "Quantity"])
    write(tmp_path / "h.csv", "1,2021-05-01,Tea,3")
    assert looks_complete(tmp_path / "h.csv", headerless)
    pq.write_table(pa.table({"a": [1]}), tmp_path / "x.parquet")
    assert looks_complete(tmp_path / "x.parquet", options)
    (tmp_path / "y.parquet").write_bytes((tmp_path / "x.parquet").read_bytes()[:-3])
    assert not looks_complete(tmp_path / "y.parquet", options)


# --- malformed ---------------------------------------------------------------------------------


def test_bad_rows_are_reported_and_the_rest_loaded(watcher: Watcher, folder: Path, sales) -> None:
    write(folder / "day2.csv", HEADER + "3,2021-05-02,Tea,1\n4,2021-05-02,Cake,lots\n5,2021-05-02\n")
    assert wait_until(lambda: len(watcher.files_loaded) == 1)
    assert watcher.files_loaded[0].rejected == 2 and sorted(rows(sales)) == [1, 2, 3]
    report = sales.loading_report
    assert report.source == str(folder / "day2.csv") and report.rows_loaded == 1
    assert [(i.line, i.column, i.value) for i in report.issues] == [(3, "Quantity", "lots"), (4, None, "5,2021-05-02")]
    assert watcher.errors == []


def test_an_unreadable_file_is_an_error_and_the_watcher_goes_on(session, folder: Path, sales) -> None:
    seen = []
    with watch(session, str(folder / "*.csv"), sales, on_error=lambda path, error: seen.append(path), **FAST) as w:
        write(folder / "bad.csv", "ID,Date,Product,Quantity,Colour\n3,2021-05-02,Tea,1,red\n")
        assert wait_until(lambda: len(w.errors) == 1)
        write(folder / "day2.csv", HEADER + "4,2021-05-02,Cake,2\n")
        assert wait_until(lambda: len(w.files_loaded) == 1)
        assert w.running
    error = w.errors[0]
    assert error.path == str(folder / "bad.csv") and "Colour" in str(error.error)
    assert seen == [str(folder / "bad.csv")]
    assert sorted(rows(sales)) == [1, 2, 4]
    log = session.logs_path.read_text(encoding="utf-8")
    assert "could not load" in log and "bad.csv" in log


def test_a_failing_on_error_callback_does_not_stop_the_watcher(session, folder: Path, sales) -> None:
    def explode(path, error):
        raise RuntimeError("callback failed")

    with watch(session, str(folder / "*.csv"), sales, on_error=explode, **FAST) as w:
        write(folder / "bad.csv", "Nope\n1\n")
        assert wait_until(lambda: len(w.errors) == 1)
        write(folder / "day2.csv", HEADER + "4,2021-05-02,Cake,2\n")
        assert wait_until(lambda: len(sales) == 3)


# --- stop --------------------------------------------------------------------------------------


def _watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("atoti_lab-watch")]


def test_stop_stops_watching(session, folder: Path, sales) -> None:
    before = len(_watch_threads())
    w = watch(session, str(folder / "*.csv"), sales, **FAST)
    assert len(_watch_threads()) == before + 1
    w.stop()
    assert not w.running and len(_watch_threads()) == before
    write(folder / "day2.csv", HEADER + "3,2021-05-02,Tea,1\n")
    time.sleep(0.4)
    assert len(sales) == 2 and w.files_loaded == []
    w.stop()  # twice is fine
    assert "stopped" in repr(w)


def test_closing_the_session_stops_its_watchers(folder: Path) -> None:
    session = tt.Session.start()
    table = session.read_csv(str(folder / "*.csv"), table_name="Sales", keys=["ID"])
    w = watch(session, str(folder / "*.csv"), table, **FAST)
    session.close()
    assert wait_until(lambda: not w.running, timeout=5)
    w.stop()


def test_native_observer(session, folder: Path, sales) -> None:
    try:
        w = watch(session, str(folder / "*.csv"), sales, polling=False, **FAST)
    except OSError as error:  # e.g. no inotify watches left on this machine
        pytest.skip(f"native observer unavailable: {error}")
    with w:
        write(folder / "day2.csv", HEADER + "3,2021-05-02,Tea,1\n")
        assert wait_until(lambda: len(sales) == 3)


def test_parquet_files(session, tmp_path: Path) -> None:
    table = session.create_table("P", data_types={"ID": "int", "Qty": "double"}, keys=["ID"])
    with watch(session, str(tmp_path / "**" / "*.parquet"), table, **FAST) as w:
        (tmp_path / "2021" / "05").mkdir(parents=True)
        pq.write_table(pa.table({"ID": pa.array([1, 2], pa.int32()), "Qty": [1.5, 2.5]}), tmp_path / "2021" / "05" / "a.parquet")
        assert wait_until(lambda: len(table) == 2)
        assert w.files_loaded[0].path == str(tmp_path / "2021" / "05" / "a.parquet")


def test_argument_errors(session, folder: Path, sales) -> None:
    with pytest.raises(FileNotFoundError, match="no folder"):
        watch(session, str(folder / "missing" / "*.csv"), sales)
    with pytest.raises(TypeError, match="Unknown CSV options"):
        watch(session, str(folder / "*.csv"), sales, csv_options={"sep": ";"})
    with pytest.raises(KeyError):
        watch(session, str(folder / "*.csv"), "Nope")


def test_csv_options_are_used(session, tmp_path: Path) -> None:
    table = session.create_table("S", data_types={"ID": "int", "Day": "LocalDate"}, keys=["ID"])
    with watch(session, str(tmp_path), table, csv_options={"separator": ";", "date_patterns": {"Day": "dd/MM/yyyy"}},
               **FAST):
        write(tmp_path / "a.csv", "ID;Day\n1;03/05/2021\n")
        assert wait_until(lambda: len(table) == 1)
    assert str(table.query()["Day"][0]) == "2021-05-03"


# --- what is watched ---------------------------------------------------------------------------


def test_watch_targets(tmp_path: Path) -> None:
    glob_target = WatchTarget.parse("data/current/*.csv")
    assert (glob_target.base, glob_target.parts, glob_target.recursive) == ("data/current", ("*.csv",), False)
    assert glob_target.matches("data/current/a.csv")
    assert not glob_target.matches("data/current/a.txt")
    assert not glob_target.matches("data/current/sub/a.csv")
    assert not glob_target.matches("data/current/.a.csv")
    assert not glob_target.matches("data/other/a.csv")
    assert glob_target.display(os.path.abspath("data/current/a.csv")) == os.path.join("data", "current", "a.csv")

    deep = WatchTarget.parse("data/**/*.csv")
    assert deep.recursive and deep.matches("data/a.csv") and deep.matches("data/x/y/a.csv")

    (tmp_path / "d").mkdir()
    folder = WatchTarget.parse(tmp_path / "d")
    assert folder.folder_mode and folder.matches(tmp_path / "d" / "a.csv")
    assert not folder.matches(tmp_path / "d" / "_SUCCESS")

    write(tmp_path / "d" / "a[1].csv", "x\n")  # an existing file is that file, even with glob characters
    one = WatchTarget.parse(tmp_path / "d" / "a[1].csv")
    assert one.matches(tmp_path / "d" / "a[1].csv") and not one.matches(tmp_path / "d" / "a1.csv")

    assert WatchTarget.parse(tmp_path / "d" / "a[2].csv").matches(tmp_path / "d" / "a2.csv")  # absent: a glob

    bare = WatchTarget.parse("*.csv")
    assert bare.base == "" and bare.matches("x.csv") and bare.display(os.path.abspath("x.csv")) == "x.csv"
