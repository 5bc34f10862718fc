"""Static SVG snapshots of the pivot's chart views (made in Python, for GitHub and nbconvert)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pyarrow as pa
import pytest

import atoti_lab as tt
from atoti_lab import samples
from atoti_lab.widgets import Pivot, _static
from atoti_lab.widgets._query_state import CHART_VIEWS
from atoti_lab.widgets.chart_svg import chart_data, render_chart_svg

pytestmark = pytest.mark.skipif(not _static.static_path("pivot.js").is_file(), reason="front-end bundle not built")

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def cube():
    with tt.Session.start() as session:
        yield samples.sales_cube(session)


def test_chart_data_leaves_totals_out_and_pivots_columns() -> None:
    table = pa.table(
        {
            "Category": [None, "Books", "Books", "Toys"],
            "Country": [None, "France", "UK", "France"],
            "Revenue": [10.0, 3.0, 4.0, 3.0],
        }
    )
    data = chart_data(table, {"rows": 1, "columns": 1, "measures": ["Revenue"]})
    assert data.categories == ["Books", "Toys"]
    assert data.series == [("France", [3.0, 3.0]), ("UK", [4.0, None])]


@pytest.mark.parametrize("view", CHART_VIEWS)
def test_every_chart_view_is_valid_svg_with_marks(view: str) -> None:
    table = pa.table({"City": ["Lyon", "Paris", "Rome"], "A": [1.0, 5.0, 2.0], "B": [2.0, 1.0, 3.0]})
    svg = render_chart_svg(table, {"rows": 1, "columns": 0, "measures": ["A", "B"]}, view)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    marks = [e for e in root.iter() if (e.get("class") or "").startswith("atl-")]
    assert marks, view


def test_pivot_snapshot_of_a_chart_view_draws_the_query(cube) -> None:
    l, m = cube.levels, cube.measures
    w = Pivot(cube, rows=[l["Category"]], measures=[m["Revenue"]], view="clustered-column-chart")
    try:
        data, _ = w._repr_mimebundle_()
        assert "<svg" in data["text/html"]
        svg = data["image/svg+xml"]
        root = ET.fromstring(svg)
        bars = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "atl-bar"]
        expected = cube.query(m["Revenue"], levels=[l["Category"]])
        assert len(bars) == len(expected)
        # Bar heights are proportional to the values (one axis, from 0).
        heights = [float(b.get("height")) for b in bars]
        values = expected["Revenue"].tolist()
        ratios = [h / v for h, v in zip(heights, values) if v]
        assert max(ratios) == pytest.approx(min(ratios), rel=1e-2)
        labels = [t.text for t in root.iter(f"{SVG}text")]
        for category in (
            expected.index.get_level_values("Category") if isinstance(expected.index, pd.MultiIndex) else expected.index
        ):
            assert category in labels
        w.update(view="pivot-table")  # back to the table: HTML table, no SVG
        data, _ = w._repr_mimebundle_()
        assert "image/svg+xml" not in data and "<table" in data["text/html"]
    finally:
        w.close()


def test_snapshot_pie_has_one_slice_per_member(cube) -> None:
    l, m = cube.levels, cube.measures
    w = Pivot(cube, rows=[l["Country"]], measures=[m["Revenue"]], view="pie-chart")
    try:
        svg = w.snapshot_svg()
        assert svg is not None
        slices = re.findall(r'class="atl-slice"', svg)
        assert len(slices) == len(cube.query(m["Revenue"], levels=[l["Country"]]))
    finally:
        w.close()


def test_expanded_members_are_categories_like_in_the_browser() -> None:
    """Same result as js/test/chart.test.ts: a null in a level only expansions add is not a total."""
    table = pa.table(
        {
            "Continent": ["AM", "EU", "EU", "EU"],
            "Country": ["USA", "France", "France", "France"],
            "City": [None, None, "Lyon", "Paris"],
            "Revenue": [50.0, 30.0, 10.0, 20.0],
        }
    )
    info = {"rows": 3, "columns": 0, "measures": ["Revenue"], "expansion_levels": [2]}
    data = chart_data(table, info)
    assert data.categories == ["AM / USA", "EU / France", "EU / France / Lyon", "EU / France / Paris"]
    assert data.series == [("Revenue", [50.0, 30.0, 10.0, 20.0])]
    # Sorted descending: continents have no row of their own (no totals) and keep member order;
    # the cities are sorted under France.
    data = chart_data(table, info, {"measure": "Revenue", "members": [], "descending": True})
    assert data.categories == ["AM / USA", "EU / France", "EU / France / Paris", "EU / France / Lyon"]
    assert data.series == [("Revenue", [50.0, 30.0, 20.0, 10.0])]
