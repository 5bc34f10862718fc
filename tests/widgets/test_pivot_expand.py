"""Drill down in place (the ``expanded`` state), the sort in the static snapshots and the member lists of member filters, on a real cube."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab.widgets import Pivot, _static
from atoti_lab.widgets.chart_svg import chart_data
from atoti_lab.widgets.pivot import pivot_info

pytestmark = pytest.mark.skipif(
    not _static.static_path("pivot.js").is_file() or _static.static_path("pivot.js").stat().st_size == 0,
    reason="front-end bundle not built (npm ci && npm run build)",
)

FACTS = pd.DataFrame(
    {
        "Continent": ["EU", "EU", "EU", "EU", "AM", "AM"],
        "Country": ["France", "France", "France", "Germany", "USA", "USA"],
        "City": ["Paris", "Lyon", "Paris", "Berlin", "NYC", "Boston"],
        "Category": ["Books", "Toys", "Toys", "Books", "Books", "Toys"],
        "Amount": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
    }
)

COUNTRY = ["Shops", "Geo", "Country"]
CONTINENT = ["Shops", "Geo", "Continent"]
CITY = ["Shops", "Geo", "City"]
CATEGORY = ["Products", "Category", "Category"]


def path(*steps: tuple[list[str], str]) -> list[dict]:
    return [{"level": level, "value": value} for level, value in steps]


FRANCE = path((CONTINENT, "EU"), (COUNTRY, "France"))


@pytest.fixture
def cube():
    with tt.Session.start() as session:
        table = session.read_pandas(FACTS, table_name="Facts")
        cube = session.create_cube(table, mode="manual")
        cube.hierarchies["Shops", "Geo"] = [table["Continent"], table["Country"], table["City"]]
        cube.hierarchies["Products", "Category"] = [table["Category"]]
        cube.measures["Amount"] = tt.agg.sum(table["Amount"])
        yield cube


@pytest.fixture
def make(cube):
    created: list[Pivot] = []

    def factory(**kwargs) -> Pivot:
        widget = Pivot(cube, **kwargs)
        created.append(widget)
        return widget

    yield factory
    for widget in created:
        widget.close()


def rows_of(widget: Pivot) -> list[tuple]:
    df = widget.to_pandas()
    return [tuple(None if pd.isna(v) else v for v in row) for row in df.itertuples(index=False)]


def expected_rows(by: list[str], facts: pd.DataFrame = FACTS, pad: int = 0) -> set[tuple]:
    sums = facts.groupby(by)["Amount"].sum()
    return {(*(k if isinstance(k, tuple) else (k,)), *([None] * pad), v) for k, v in sums.items()}


def test_expanding_a_member_adds_only_its_children(make) -> None:
    w = make(rows=[COUNTRY], measures=["Amount"])
    before = rows_of(w)
    w.state = {**w.state, "expanded": [{"axis": "rows", "members": FRANCE}]}
    assert w.error == ""
    assert w.state["rows"] == [COUNTRY]  # in place: the asked levels do not change
    assert pivot_info(w.to_arrow())["expansion_levels"] == [2]
    got = rows_of(w)
    # The siblings as they were (a null City: not expanded), plus France's cities, nothing else.
    siblings = expected_rows(["Continent", "Country"], pad=1)
    children = expected_rows(["Continent", "Country", "City"], FACTS[FACTS["Country"] == "France"])
    assert set(got) == siblings | children
    assert len(got) == len(siblings) + len(children)
    assert {(c, k, None, v) for c, k, v in before} == siblings
    # Parents come before their children, members in order.
    assert [r[:3] for r in got] == [
        ("AM", "USA", None),
        ("EU", "France", None),
        ("EU", "France", "Lyon"),
        ("EU", "France", "Paris"),
        ("EU", "Germany", None),
    ]

    # Drill up: collapsing gives back the first result.
    w.state = {**w.state, "expanded": []}
    assert rows_of(w) == before


def test_nested_expansions_and_columns(make) -> None:
    w = make(rows=[CONTINENT], columns=[CATEGORY], measures=["Amount"])
    eu = path((CONTINENT, "EU"))
    w.state = {
        **w.state,
        "expanded": [{"axis": "rows", "members": eu}, {"axis": "rows", "members": FRANCE}],
    }
    assert w.error == ""
    got = set(rows_of(w))
    eu_facts = FACTS[FACTS["Continent"] == "EU"]
    expected = (
        {(c, None, None, cat, v) for (c, cat, v) in expected_rows(["Continent", "Category"])}
        | {(c, k, None, cat, v) for (c, k, cat, v) in expected_rows(["Continent", "Country", "Category"], eu_facts)}
        | expected_rows(["Continent", "Country", "City", "Category"], FACTS[FACTS["Country"] == "France"])
    )
    assert got == expected

    # A member of a column level expands the same way.
    w.state = {
        **w.state,
        "rows": [CATEGORY],
        "columns": [CONTINENT],
        "expanded": [{"axis": "columns", "members": path((CONTINENT, "AM"))}],
    }
    assert w.error == ""
    got = set(rows_of(w))
    expected = {(cat, c, None, v) for (cat, c, v) in expected_rows(["Category", "Continent"])} | expected_rows(
        ["Category", "Continent", "Country"], FACTS[FACTS["Continent"] == "AM"]
    )
    assert got == expected


def test_expanded_with_totals_keeps_every_total_once(make, cube) -> None:
    l, m = cube.levels, cube.measures
    w = make(rows=[COUNTRY], columns=[CATEGORY], measures=["Amount"], totals=True)
    base = set(rows_of(w))
    w.state = {**w.state, "expanded": [{"axis": "rows", "members": FRANCE}]}
    got = rows_of(w)
    assert len(got) == len(set(got))
    parents = {r for r in got if r[2] is None}
    assert parents == {(a, b, None, c, v) for a, b, c, v in base}
    children = {r for r in got if r[2] is not None}
    expected = cube.query(
        m["Amount"],
        levels=[l["City"], l["Category"]],
        filter=l["Country"] == "France",
        include_totals=True,
        mode="raw",
    )
    expected = expected[expected["City"].notna()]
    assert children == {
        (r.Continent, r.Country, r.City, None if pd.isna(r.Category) else r.Category, r.Amount)
        for r in expected.itertuples()
    }


@pytest.mark.parametrize(
    ("expanded", "message"),
    [
        ([{"axis": "rows", "members": path((CONTINENT, "EU"), (COUNTRY, "France"), (CITY, "Paris"))}], "deepest level"),
        ([{"axis": "sideways", "members": FRANCE}], "Bad expanded entry 1"),
        ([{"axis": "rows", "members": []}], "'members' is empty"),
        ([{"axis": "rows", "members": path((CONTINENT, None))}], "total (null) cannot be expanded"),
        ([{"axis": "rows", "members": path((["Shops", "Geo", "Planet"], "Earth"))}], "Unknown level"),
        ("France", "expanded must be a list"),
    ],
)
def test_bad_expansions_are_shown_and_keep_the_last_result(make, expanded, message) -> None:
    w = make(rows=[COUNTRY], measures=["Amount"])
    before = w.data
    w.state = {**w.state, "expanded": expanded}
    assert message in w.error
    assert w.data == before


def test_an_expansion_whose_hierarchy_left_the_axis_is_ignored(make) -> None:
    w = make(rows=[CATEGORY], columns=[COUNTRY], measures=["Amount"])
    before = rows_of(w)
    w.state = {**w.state, "expanded": [{"axis": "rows", "members": FRANCE}]}
    assert w.error == ""
    assert rows_of(w) == before


def test_snapshot_shows_collapsed_members_as_members(make) -> None:
    w = make(rows=[COUNTRY], measures=["Amount"], totals=True)
    w.state = {**w.state, "expanded": [{"axis": "rows", "members": FRANCE}]}
    html = w.snapshot_html()
    body = html.split("<tbody>")[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    heads = [re.findall(r"<th>(.*?)</th>", r) for r in rows]
    assert heads == [
        ["Total", "", ""],
        ["AM", "Total", ""],
        ["AM", "USA", ""],
        ["EU", "Total", ""],
        ["EU", "France", ""],  # expanded: a member, not a total
        ["EU", "France", "Lyon"],
        ["EU", "France", "Paris"],
        ["EU", "Germany", ""],
    ]
    assert body.count('class="atl-total"') == 3  # the grand total and the continents' subtotals


def _snapshot_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]


def test_snapshot_table_follows_the_sort(make) -> None:
    w = make(rows=[CONTINENT], columns=[CATEGORY], measures=["Amount"], totals=True)
    w.state = {**w.state, "expanded": [{"axis": "rows", "members": path((CONTINENT, "EU"))}]}
    unsorted = _snapshot_rows(w.snapshot_html())
    # Sort by Amount under Toys, ascending: the order computed from the facts.
    w.state = {**w.state, "sort": {"measure": "Amount", "members": ["Toys"], "descending": False}}
    got = _snapshot_rows(w.snapshot_html())
    assert sorted(map(tuple, got)) == sorted(map(tuple, unsorted))  # same rows, reordered
    toys = FACTS[FACTS["Category"] == "Toys"]
    continents = toys.groupby("Continent")["Amount"].sum().sort_values().index.tolist()
    eu_countries = (
        toys[toys["Continent"] == "EU"].groupby("Country")["Amount"].sum().reindex(["France", "Germany"])
    ).sort_values(na_position="last")
    expected_order = [("Total", "")]
    for continent in continents:
        expected_order.append((continent, ""))
        if continent == "EU":
            expected_order.extend(("EU", country) for country in eu_countries.index)
    assert [tuple(r[:2]) for r in got] == expected_order

    # Descending on a column tuple that does not exist: member order.
    w.state = {**w.state, "sort": {"measure": "Amount", "members": ["Games"], "descending": True}}
    assert _snapshot_rows(w.snapshot_html()) == unsorted


def test_snapshot_chart_follows_the_sort(make) -> None:
    w = make(rows=[COUNTRY], measures=["Amount"], view="clustered-column-chart")
    table = w.to_arrow()
    unsorted = chart_data(table, pivot_info(table))
    assert unsorted.categories == ["AM / USA", "EU / France", "EU / Germany"]
    w.state = {**w.state, "sort": {"measure": "Amount", "members": [], "descending": True}}
    amounts = FACTS.groupby("Country")["Amount"].sum().sort_values(ascending=False)
    continent = dict(zip(FACTS["Country"], FACTS["Continent"]))
    # No totals: continents keep member order, countries are sorted within them.
    expected = [f"{c} / {k}" for c in ["AM", "EU"] for k in amounts.index if continent[k] == c]
    data = chart_data(table, pivot_info(table), w.state["sort"])
    assert data.categories == expected
    assert data.series[0][1] == [amounts[name.split(" / ")[1]] for name in expected]
    svg = w.snapshot_svg()
    labels = re.findall(r">(AM / USA|EU / France|EU / Germany)<", svg)
    assert labels == expected


def test_member_filter_lists_every_member_of_the_level(make, cube, monkeypatch) -> None:
    """The browser asks for a level's members: all of the cube's, even those the result filters out."""
    w = make(rows=[COUNTRY], measures=["Amount"], filters=[cube.levels["Country"] == "France"])
    assert set(w.to_pandas()["Country"]) == {"France"}
    sent: list[dict] = []
    monkeypatch.setattr(w, "send", sent.append)
    w._on_custom_message(w, {"type": "members", "id": 7, "level": COUNTRY}, [])
    assert sent == [
        {"type": "members", "id": 7, "level": COUNTRY, "members": sorted(FACTS["Country"].unique()), "more": 0}
    ]
    assert w.members(cube.levels["City"]) == sorted(FACTS["City"].unique())
    w._on_custom_message(w, {"type": "members", "id": 8, "level": ["Shops", "Geo", "Planet"]}, [])
    assert sent[-1]["id"] == 8 and "Unknown level" in sent[-1]["error"]
    w._on_custom_message(w, {"type": "something else"}, [])
    assert len(sent) == 2


def test_member_list_is_capped(cube) -> None:
    from atoti_lab.widgets._query_state import level_members

    members, more = level_members(cube, CITY, limit=2)
    assert members == sorted(FACTS["City"].unique())[:2]
    assert more == FACTS["City"].nunique() - 2


def test_pieces_with_dictionary_levels_are_merged_in_member_order() -> None:
    """Levels may come as dictionary arrays (categoricals): the merged result is still in order."""
    import pyarrow as pa

    from atoti_lab.widgets._expansions import pad_and_sort

    country, city = ("D", "Geo", "Country"), ("D", "Geo", "City")
    base = pa.table({"Country": pa.array(["Spain", "France"]).dictionary_encode(), "V": [3.0, 1.0]})
    child = pa.table({"Country": ["France"], "City": ["Paris"], "V": [1.0]})
    merged = pad_and_sort([(base, (country,)), (child, (country, city))], [country, city])
    assert merged.column_names == ["Country", "City", "V"]
    assert [tuple(r.values()) for r in merged.to_pylist()] == [
        ("France", None, 1.0),
        ("France", "Paris", 1.0),
        ("Spain", None, 3.0),
    ]


def test_sorted_rows_puts_empty_values_last_and_keeps_ties() -> None:
    from decimal import Decimal

    from atoti_lab.widgets._sort import sorted_rows

    rows = [("a",), ("b",), ("c",), ("d",), ("e",)]
    values = [2.0, float("nan"), 5.0, None, 2.0]
    assert sorted_rows(rows, values, descending=True) == [2, 0, 4, 1, 3]
    assert sorted_rows(rows, values, descending=False) == [0, 4, 2, 1, 3]
    decimals = [Decimal("10.5"), Decimal("9.25"), Decimal(100), None, Decimal(-1)]
    assert sorted_rows(rows, decimals, descending=True) == [2, 0, 1, 4, 3]  # as numbers, not text


def test_update_sets_expanded_from_python(make) -> None:
    w = make(rows=[COUNTRY], measures=["Amount"])
    w.update(expanded=[{"axis": "rows", "members": FRANCE}])
    assert w.error == ""
    assert w.get_state("state")["state"]["expanded"] == [{"axis": "rows", "members": FRANCE}]
    assert {r[2] for r in rows_of(w)} == {None, "Lyon", "Paris"}
