"""The live pivot widget: state, data, errors, live updates and the HTML snapshot, on a real cube."""

from __future__ import annotations

import datetime as dt
import gc
import json
import threading
import time
import weakref
from collections.abc import Callable

import pandas as pd
import pyarrow as pa
import pytest

import atoti_lab as tt
from atoti_lab import samples
from atoti_lab.widgets import Pivot, _static, pivot
from atoti_lab.widgets._query_state import StateError, normalize_state, resolve_state
from atoti_lab.widgets.pivot import member_orders
from atoti_lab.widgets.table import ipc_to_arrow

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

CATEGORY = ["Products", "Category", "Category"]
COUNTRY = ["Shops", "Country", "Country"]
CITY = ["Shops", "City", "City"]

pytestmark = pytest.mark.skipif(
    not _static.static_path("pivot.js").is_file() or _static.static_path("pivot.js").stat().st_size == 0,
    reason="front-end bundle not built (npm ci && npm run build)",
)


@pytest.fixture
def session():
    with tt.Session.start() as s:
        yield s


@pytest.fixture
def cube(session):
    return samples.sales_cube(session)


@pytest.fixture
def widgets():
    """Widgets created by a test, closed at its end (their timers and subscriptions go away)."""
    created: list[Pivot] = []
    yield created
    for w in created:
        w.close()


@pytest.fixture
def make(cube, widgets) -> Callable[..., Pivot]:
    def factory(**kwargs) -> Pivot:
        w = Pivot(cube, **kwargs)
        widgets.append(w)
        return w

    return factory


def frame(data: bytes) -> pd.DataFrame:
    return ipc_to_arrow(data).to_pandas()


def assert_same(data: bytes, expected: pd.DataFrame) -> None:
    got = frame(data)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), pd.DataFrame(expected).reset_index(drop=True), check_dtype=False
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def new_sale(i: int, product: str = "P01", quantity: int = 1000) -> tuple:
    return (f"X{i:05d}", dt.date(2024, 6, 1), "S1", product, quantity)


# -- state ----------------------------------------------------------------------------------------


def test_state_from_handles_is_canonical_json(make, cube) -> None:
    l, m = cube.levels, cube.measures
    w = make(
        rows=[l["Category"]],
        columns=[l["Country"]],
        measures=[m["Revenue"], "Quantity.SUM"],
        filters=l["Country"].isin("France", "UK") & (l["Category"] == "Books"),
        totals=True,
    )
    assert w.state == {
        "cube": "Sales",
        "rows": [CATEGORY],
        "columns": [COUNTRY],
        "measures": ["Revenue", "Quantity.SUM"],
        "filters": [
            {"level": COUNTRY, "op": "isin", "values": ["France", "UK"]},
            {"level": CATEGORY, "op": "==", "value": "Books"},
        ],
        "view": "pivot-table",
        "totals": True,
        "sort": None,
        "expanded": [],
    }
    json.dumps(w.state)  # plain JSON
    assert w.get_state()["state"] == w.state  # what the browser gets
    assert w.error == ""
    assert w.live is True
    assert w.refresh_ms == 100


def test_state_round_trip_through_the_browser(make) -> None:
    w = make(rows=["Category"], measures=["Revenue"])
    new_state = {**w.state, "rows": [CITY], "measures": ["Quantity.SUM"]}
    w.set_state({"state": new_state})  # what a comm "update" message from the browser does
    assert w.state == new_state
    assert w.get_state()["state"] == new_state
    assert frame(w.data).columns.tolist() == ["City", "Quantity.SUM"]


def test_names_and_partial_keys_are_normalised(cube) -> None:
    state = normalize_state(cube, {"rows": ["Category", ("City", "City")], "measures": [cube.measures["Revenue"]]})
    assert state["rows"] == [CATEGORY, CITY]
    assert state["measures"] == ["Revenue"]
    assert state["cube"] == "Sales"


# -- data -----------------------------------------------------------------------------------------


def test_data_is_exactly_the_query(make, cube) -> None:
    l, m = cube.levels, cube.measures
    w = make(rows=[l["Category"]], columns=[l["Country"]], measures=[m["Revenue"], m["Quantity.SUM"]])
    expected = cube.query(m["Revenue"], m["Quantity.SUM"], levels=[l["Category"], l["Country"]], mode="raw")
    assert_same(w.data, expected)
    table = ipc_to_arrow(w.data)
    assert table.column_names == ["Category", "Country", "Revenue", "Quantity.SUM"]
    assert table.schema.field("Revenue").metadata[b"atoti_lab.format"] == b"DOUBLE[#,###.00]"
    assert table.schema.field("Quantity.SUM").metadata[b"atoti_lab.format"] == b"INT[#,###]"
    info = json.loads(table.schema.metadata[b"atoti_lab.pivot"])
    assert info["rows"] == 1
    assert info["columns"] == 1
    assert info["measures"] == ["Revenue", "Quantity.SUM"]
    assert json.loads(table.schema.metadata[b"atoti_lab.index_columns"]) == ["Category", "Country"]
    assert w.cross_totals == b""
    kwargs = w.query_kwargs()
    assert [lvl.name for lvl in kwargs["levels"]] == ["Category", "Country"]
    assert [m.name for m in kwargs["measures"]] == ["Revenue", "Quantity.SUM"]
    assert kwargs["mode"] == "raw"


def test_data_with_filters_and_totals(make, cube) -> None:
    l, m = cube.levels, cube.measures
    condition = l["Country"].isin("France", "UK")
    w = make(rows=[l["Category"]], columns=[l["Country"]], measures=[m["Revenue"]], filters=condition, totals=True)
    expected = cube.query(
        m["Revenue"], levels=[l["Category"], l["Country"]], filter=condition, include_totals=True, mode="raw"
    )
    assert_same(w.data, expected)
    # cross totals: the per-country totals over all categories, which include_totals does not give
    cross = frame(w.cross_totals)
    per_country = cube.query(m["Revenue"], levels=[l["Country"]], filter=condition, mode="raw")
    assert cross["Category"].isna().all()
    assert cross["Country"].tolist() == per_country["Country"].tolist() == ["France", "UK"]
    assert cross["Revenue"].tolist() == pytest.approx(per_country["Revenue"].tolist())


def test_nested_row_levels_cross_totals(make, cube) -> None:
    l, m = cube.levels, cube.measures
    w = make(rows=[l["Country"], l["City"]], columns=[l["Category"]], measures=[m["Quantity.SUM"]], totals=True)
    cross = frame(w.cross_totals)
    # depth 0: (None, None, category); depth 1: (country, None, category)
    grand = cross[cross["Country"].isna()]
    by_country = cross[cross["Country"].notna()]
    assert sorted(grand["Category"]) == ["Books", "Games", "Garden", "Kitchen", "Toys"]
    assert by_country["City"].isna().all()
    assert len(by_country) == 4 * 5
    total = cube.query(m["Quantity.SUM"], levels=[l["Country"], l["Category"]], mode="raw")
    merged = by_country.merge(total, on=["Country", "Category"], suffixes=("", "_q"))
    assert (merged["Quantity.SUM"] == merged["Quantity.SUM_q"]).all()


def test_parent_levels_of_a_hierarchy_are_row_headers(make, cube, session) -> None:
    cube.create_date_hierarchy("Calendar", column=session.tables["Sales"]["Date"], levels={"Year": "y", "Month": "M"})
    w = make(rows=[cube.levels["Month"]], columns=[cube.levels["Country"]], measures=["Revenue"])
    table = ipc_to_arrow(w.data)
    assert table.column_names == ["Year", "Month", "Country", "Revenue"]
    info = json.loads(table.schema.metadata[b"atoti_lab.pivot"])
    assert (info["rows"], info["columns"]) == (2, 1)


def test_a_state_change_from_python_reruns_the_query(make, cube) -> None:
    l, m = cube.levels, cube.measures
    w = make(rows=[l["Category"]], measures=[m["Revenue"]])
    before = w.data
    w.update(rows=[l["City"]], totals=True)
    assert w.data != before
    assert_same(w.data, cube.query(m["Revenue"], levels=[l["City"]], include_totals=True, mode="raw"))
    w.state = {**w.state, "measures": ["contributors.COUNT"]}
    assert frame(w.data).columns.tolist() == ["City", "contributors.COUNT"]


def test_an_empty_state_gives_an_empty_result(make) -> None:
    w = make()
    assert w.error == ""
    assert ipc_to_arrow(w.data).num_columns == 0
    assert "Add levels and measures" in w.snapshot_html()


# -- errors ---------------------------------------------------------------------------------------


def test_a_bad_level_sets_error_and_keeps_the_last_result(make) -> None:
    w = make(rows=["Category"], measures=["Revenue"])
    good = w.data
    w.set_state({"state": {**w.state, "rows": [["Products", "Nope", "Nope"]]}})
    assert "Unknown level" in w.error
    assert '"Nope"' in w.error
    assert "Products/Category/Category" in w.error  # lists the known levels
    assert w.data == good
    w.set_state({"state": {**w.state, "rows": [CATEGORY]}})
    assert w.error == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"measures": ["Nope"]}, "Unknown measure 'Nope'"),
        ({"measures": "Revenue"}, None),  # a lone name is fine
        ({"view": "radar"}, "Unknown view 'radar'"),
        ({"rows": [CATEGORY], "columns": [CATEGORY]}, "on both rows and columns"),
        ({"filters": [{"level": COUNTRY, "op": "<", "value": 1}]}, "unknown operator '<'"),
        ({"filters": [{"level": COUNTRY, "op": "isin", "values": 3}]}, "needs a list of 'values'"),
        ({"totals": "yes"}, "totals must be true or false"),
        ({"rows": [3]}, "Bad level 3 in rows"),
        ({"cube": "Other"}, "for cube 'Other'"),
        ({"colour": "red"}, "Unknown state keys ['colour']"),
    ],
)
def test_bad_states_give_clear_errors(make, change: dict, message: str | None) -> None:
    w = make(rows=["Category"], measures=["Revenue"])
    w.set_state({"state": {**w.state, **change}})
    if message is None:
        assert w.error == ""
    else:
        assert message in w.error


def test_the_same_error_twice_is_sent_twice(make) -> None:
    w = make(measures=["Revenue"])
    seen: list[str] = []
    w.observe(lambda change: seen.append(change["new"]), names="error")
    w.state = {**w.state, "measures": ["Nope"]}
    w.refresh()
    assert [s for s in seen if s] == [w.error, w.error]


def test_unsupported_conditions_in_a_state_are_reported(make, cube) -> None:
    w = make(rows=["Category"], measures=["Revenue"])
    w.state = {**w.state, "filters": [cube.levels["Country"] != "France"], "rows": [cube.measures["Revenue"]]}
    json.dumps(w.state)  # still syncs
    assert w.state["filters"] == [{"unsupported": 'l["Shops", "Country", "Country"] != \'France\''}]
    assert "Unknown level" in w.error


def test_unsupported_filters_raise_in_python(cube) -> None:
    with pytest.raises(StateError, match="level == value"):
        Pivot(cube, measures=["Revenue"], filters=cube.levels["Country"] != "France")
    with pytest.raises(TypeError, match="takes a cube"):
        Pivot("Sales")


def test_resolve_state_reports_unknown_levels(cube) -> None:
    with pytest.raises(StateError, match="Unknown level"):
        resolve_state(cube, {"rows": [["A", "B", "C"]]})


# -- live -----------------------------------------------------------------------------------------


def test_a_commit_updates_the_data_with_no_other_action(make, cube, session) -> None:
    l, m = cube.levels, cube.measures
    w = make(rows=[l["Category"]], measures=[m["Quantity.SUM"]])
    before = frame(w.data).set_index("Category")["Quantity.SUM"]["Books"]
    sales = session.tables["Sales"]
    sales += new_sale(1, "P01", 1000)  # P01 is a book
    assert wait_for(lambda: frame(w.data).set_index("Category")["Quantity.SUM"]["Books"] == before + 1000)
    assert_same(w.data, cube.query(m["Quantity.SUM"], levels=[l["Category"]], mode="raw"))


def test_the_widget_holds_its_queries_live_and_updates_them_from_the_committed_rows(make, cube, session) -> None:
    l, m = cube.levels, cube.measures
    w = make(rows=[l["Category"]], columns=[l["Country"]], measures=[m["Quantity.SUM"]], totals=True)
    held = w._queries.held  # the query and the row subtotals per column
    assert held >= 1
    sales = session.tables["Sales"]
    for i in range(3):
        sales += new_sale(100 + i, "P01", 10 + i)
        assert w.refresh()
        assert_same(w.data, cube.query(m["Quantity.SUM"], levels=[l["Category"], l["Country"]], include_totals=True,
                                       mode="raw"))
    stats = [q.stats for q in w._queries._held.values()]
    assert all(s.full == 0 for s in stats), stats  # appends never scanned the table again
    assert sum(s.incremental for s in stats) >= 3
    # Another state: the queries of the old one are stopped, not kept running.
    old = list(w._queries._held.values())
    w.state = {**w.state, "columns": [], "totals": False}
    assert w._queries.held == 1
    assert not any(q.running for q in old)
    w.close()
    assert w._queries.held == 0


def test_commits_to_a_joined_table_update_too(make, session) -> None:
    w = make(rows=["Country"], measures=["contributors.COUNT"])
    shops = session.tables["Shops"]
    shops += ("S1", "Paris", "Atlantis")
    assert wait_for(lambda: "Atlantis" in frame(w.data)["Country"].tolist())


def test_bursts_of_commits_coalesce(make, session) -> None:
    w = make(rows=["Category"], measures=["Quantity.SUM"], refresh_ms=300)
    runs: list[float] = []
    w.observe(lambda _: runs.append(time.monotonic()), names="data")
    sales = session.tables["Sales"]
    start = time.monotonic()
    for i in range(30):
        sales += new_sale(i, "P01", 1)
    assert wait_for(lambda: frame(w.data).set_index("Category")["Quantity.SUM"]["Books"] >= 573 + 30, timeout=3)
    elapsed = time.monotonic() - start
    assert len(runs) <= 2 + int(elapsed / 0.3) + 1
    assert len(runs) < 30


def test_live_off_stops_updates_and_live_on_catches_up(make, session) -> None:
    w = make(rows=["Category"], measures=["Quantity.SUM"], live=False)
    before = w.data
    sales = session.tables["Sales"]
    sales += new_sale(1, "P01", 5)
    time.sleep(0.4)
    assert w.data == before
    w.live = True
    assert wait_for(lambda: w.data != before)
    assert frame(w.data).set_index("Category")["Quantity.SUM"]["Books"] == 573 + 5


def test_close_unsubscribes(make, session) -> None:
    w = make(rows=["Category"], measures=["Quantity.SUM"])
    store = session._database
    listeners = len(store._listeners)
    assert w.subscribed
    w.close()
    assert not w.subscribed
    assert len(store._listeners) == listeners - 1
    before = w.data
    sales = session.tables["Sales"]
    sales += new_sale(1)
    time.sleep(0.3)
    assert w.data == before


def test_closing_the_session_stops_updates(cube, session, widgets) -> None:
    w = Pivot(cube, rows=["Category"], measures=["Revenue"])
    widgets.append(w)
    session.close()
    assert w.refresh() is False
    assert "session of this widget is closed" in w.error
    assert not w.subscribed


def test_the_store_does_not_keep_a_widget_alive(cube) -> None:
    w = Pivot(cube, rows=["Category"], measures=["Revenue"])
    ref = weakref.ref(w)
    w.close()
    del w
    gc.collect()
    assert ref() is None


def test_queries_run_off_the_committing_thread(make, session) -> None:
    w = make(rows=["Category"], measures=["Quantity.SUM"])
    threads: list[str] = []
    w.observe(lambda _: threads.append(threading.current_thread().name), names="data")
    sales = session.tables["Sales"]
    sales += new_sale(1)
    assert wait_for(lambda: bool(threads))
    assert threads[0].startswith("atoti_lab-pivot")


def test_model_follows_new_measures(make, cube, session) -> None:
    w = make(rows=["Category"], measures=["Revenue"])
    names = [m["name"] for m in w.model["measures"]]
    assert names == ["contributors.COUNT", "Quantity.SUM", "Quantity.MEAN", "Revenue"]
    revenue = next(m for m in w.model["measures"] if m["name"] == "Revenue")
    assert revenue["formatter"] == "DOUBLE[#,###.00]"
    dims = {d["name"]: [h["name"] for h in d["hierarchies"]] for d in w.model["dimensions"]}
    assert dims["Shops"] == ["City", "Country"]
    cube.measures["Double revenue"] = cube.measures["Revenue"] * 2
    cube.measures["Double revenue"].folder = "Derived"
    w.refresh()
    added = next(m for m in w.model["measures"] if m["name"] == "Double revenue")
    assert added["folder"] == "Derived"
    w.update(measures=["Double revenue"])
    assert w.error == ""


# -- display --------------------------------------------------------------------------------------


def test_snapshot_html_is_a_formatted_pivot(make, cube) -> None:
    l, m = cube.levels, cube.measures
    w = make(rows=[l["Category"]], columns=[l["Country"]], measures=[m["Revenue"]], totals=True, title="Sales & co")
    html = w.snapshot_html()
    assert "Sales &amp; co" in html
    assert "<table" in html
    assert "146,434.44" in html  # grand total, formatted
    assert "37,420.75" in html  # France over all categories (a cross total)
    assert "8,482.85" in html  # Books in France
    assert "<th>Total</th>" in html
    assert "<th>Books</th>" in html
    assert html.index(">France<") < html.index(">Germany<") < html.index(">UK<") < html.index(">USA<")
    assert "6 rows" in html
    data, _ = w._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == w.model_id
    assert data["text/html"] == html


def test_snapshot_shows_the_error(make) -> None:
    w = make(measures=["Revenue"])
    w.update(measures=["<b>"])
    assert "Unknown measure &#x27;&lt;b&gt;&#x27;" in w.snapshot_html()


def test_member_orders_follow_sorted_runs() -> None:
    columns = [[["A", "B", "B", "C"], ["Alpha", "Zeta", "Alpha", "Mid"]]]
    orders = member_orders(columns, 2)
    assert sorted(orders[1], key=orders[1].get) == ["Zeta", "Alpha", "Mid"]


def test_snapshot_of_a_large_result_is_quick_and_capped(session, widgets) -> None:
    n = 200_000
    df = pd.DataFrame(
        {"id": range(n), "r": [f"r{i // 4:06d}" for i in range(n)], "c": [f"c{i % 4}" for i in range(n)], "v": 1.0}
    )
    cube = session.create_cube(session.read_pandas(df, table_name="Big", keys=["id"]), "Big")
    w = Pivot(cube, rows=["r"], columns=["c"], measures=["v.SUM"], totals=True)
    widgets.append(w)
    start = time.perf_counter()
    html = w.snapshot_html()
    assert time.perf_counter() - start < 5
    assert "Showing 100 of 50,001 rows" in html
    assert html.count("<tr") == 2 + 100
    assert ">200,000.00<" in html  # grand total
    assert ">50,000.00<" in html  # a column total (cross total)


def test_repr_and_esm(make) -> None:
    w = make(rows=["Category"], measures=["Revenue"])
    assert repr(w) == "Pivot(cube='Sales', rows=['Category'], measures=['Revenue']; 5 rows)"
    assert w._esm == _static.static_path("pivot.js").read_text(encoding="utf-8")
    assert "export" in w._esm
    assert w._css == _static.static_path("pivot.css").read_text(encoding="utf-8")
    assert _static.static_path("pivot.js").stat().st_size < 1024 * 1024


# -- constructors ---------------------------------------------------------------------------------


def test_pivot_function_from_query_and_of_session(cube, session, widgets) -> None:
    l, m = cube.levels, cube.measures
    w = pivot(cube, rows=["Category"], measures=["Revenue"])
    widgets.append(w)
    assert isinstance(w, Pivot)
    q = Pivot.from_query(cube, [m["Revenue"]], l["Country"], filter=l["Category"] == "Books", include_totals=True)
    widgets.append(q)
    assert q.state["rows"] == [COUNTRY]
    assert q.state["totals"] is True
    assert_same(
        q.data,
        cube.query(
            m["Revenue"], levels=[l["Country"]], filter=l["Category"] == "Books", include_totals=True, mode="raw"
        ),
    )
    s = Pivot.of_session(session)
    widgets.append(s)
    assert s.state["cube"] == "Sales"
    assert s.state["rows"] == []
    with pytest.raises(ValueError, match="no cube"):
        Pivot.of_session(tt.Session.start())


def test_arrow_types_of_levels(make, cube) -> None:
    w = make(rows=["Date"], measures=["Quantity.SUM"])
    table = ipc_to_arrow(w.data)
    assert pa.types.is_date(table.schema.field("Date").type)
    assert "2024-01-01" in w.snapshot_html()


def test_switching_to_a_chart_keeps_the_query(make, cube) -> None:
    w = make(rows=["Category"], columns=["Country"], measures=["Revenue"])
    before = w.to_pandas()
    w.set_state({"state": {**w.state, "view": "stacked-column-chart"}})  # as the browser sends it
    assert w.error == ""
    assert w.state["view"] == "stacked-column-chart"
    pd.testing.assert_frame_equal(w.to_pandas(), before)
    w.update(view="plotly-line-chart")  # atoti's name for the same chart
    assert w.state["view"] == "line-chart"
    assert w.error == ""
    expected = cube.query(
        cube.measures["Revenue"], levels=[cube.levels["Category"], cube.levels["Country"]], mode="raw"
    )
    pd.testing.assert_frame_equal(
        w.to_pandas().sort_values(["Category", "Country"]).reset_index(drop=True),
        expected.sort_values(["Category", "Country"]).reset_index(drop=True),
        check_dtype=False,
    )


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns[:-1]), na_position="first").reset_index(drop=True)


def test_ui_edits_round_trip_through_the_state(make, cube) -> None:
    """Each UI interaction is an edit of the synced state; the kernel re-runs the matching query."""
    l, m = cube.levels, cube.measures
    w = make(rows=["Category"], measures=["Revenue"])
    sent: list[dict] = []
    w.observe(lambda change: sent.append(change["new"]), names="state")

    # Drill down on Category = Books, to Country (as the browser writes it).
    w.set_state(
        {"state": {**w.state, "rows": [COUNTRY], "filters": [{"level": CATEGORY, "op": "==", "value": "Books"}]}}
    )
    assert w.error == ""
    expected = cube.query(m["Revenue"], levels=[l["Country"]], filter=l["Category"] == "Books", mode="raw")
    pd.testing.assert_frame_equal(_sorted(w.to_pandas()), _sorted(expected), check_dtype=False)

    # Member filter: keep two countries.
    w.set_state({"state": {**w.state, "filters": [{"level": COUNTRY, "op": "isin", "values": ["France", "UK"]}]}})
    expected = cube.query(m["Revenue"], levels=[l["Country"]], filter=l["Country"].isin("France", "UK"), mode="raw")
    pd.testing.assert_frame_equal(_sorted(w.to_pandas()), _sorted(expected), check_dtype=False)
    assert set(w.to_pandas()["Country"]) == {"France", "UK"}

    # Totals on.
    w.set_state({"state": {**w.state, "totals": True}})
    expected = cube.query(
        m["Revenue"], levels=[l["Country"]], filter=l["Country"].isin("France", "UK"), include_totals=True, mode="raw"
    )
    pd.testing.assert_frame_equal(_sorted(w.to_pandas()), _sorted(expected), check_dtype=False)
    assert w.to_pandas()["Country"].isna().sum() == 1  # the grand total

    # Sort: kept in the state (the browser applies it); the query and its result do not change.
    before = w.data
    sort = {"measure": "Revenue", "members": [], "descending": True}
    w.set_state({"state": {**w.state, "sort": sort}})
    assert w.error == "" and w.state["sort"] == sort and w.data == before
    assert len(sent) == 4  # Python heard every edit

    # A Python change goes to the browser as a state message.
    w.update(sort=None, totals=False)
    assert w.get_state("state")["state"]["sort"] is None
    assert w.get_state("state")["state"]["totals"] is False


@pytest.mark.parametrize("sort", [{"measure": 3}, {"measure": "Revenue", "descending": "yes"}, "Revenue"])
def test_bad_sorts_are_reported(make, sort) -> None:
    w = make(rows=["Category"], measures=["Revenue"])
    w.set_state({"state": {**w.state, "sort": sort}})
    assert "Bad sort" in w.error
