"""The public ways to get a pivot widget: ``session.widget``, ``session.visualize(name)``,
``tt.widgets.Pivot(...)`` and ``cube.query(...).widget()``; each shows the query it stands for."""

from __future__ import annotations

import pandas as pd
import pytest

import atoti_lab as tt
from atoti_lab import samples
from atoti_lab.widgets import Pivot, _static

pytestmark = pytest.mark.skipif(
    not _static.static_path("pivot.js").is_file() or _static.static_path("pivot.js").stat().st_size == 0,
    reason="front-end bundle not built (npm ci && npm run build)",
)


@pytest.fixture
def session():
    with tt.Session.start() as s:
        yield s


def _same(widget: Pivot, expected: pd.DataFrame) -> None:
    got = widget.to_pandas()
    pd.testing.assert_frame_equal(
        got.sort_values(list(got.columns[:-1]), na_position="first").reset_index(drop=True),
        expected.sort_values(list(expected.columns[:-1]), na_position="first").reset_index(drop=True),
        check_dtype=False,
    )


def test_session_widget_and_visualize(session) -> None:
    with pytest.raises(ValueError, match="no cube yet"):
        session.widget  # noqa: B018 - the property makes the widget
    cube = samples.sales_cube(session)
    w = session.widget
    v = session.visualize("Revenue by city")
    try:
        assert isinstance(w, Pivot) and isinstance(v, Pivot)
        assert w.state["cube"] == v.state["cube"] == cube.name
        assert v.title == "Revenue by city"
        assert w.error == "" and w.to_arrow().num_columns == 0  # the empty state
        assert "Add levels and measures" in w.snapshot_html()
    finally:
        w.close()
        v.close()


def test_tt_widgets_pivot_with_filters_and_view(session) -> None:
    cube = samples.sales_cube(session)
    l, m = cube.levels, cube.measures
    w = tt.widgets.Pivot(
        cube,
        rows=[l["Category"]],
        columns=[l["Country"]],
        measures=[m["Revenue"]],
        filters=[l["Country"].isin("France", "UK"), l["Category"] == "Books"],
        view="plotly-stacked-column-chart",
    )
    try:
        assert w.state["view"] == "stacked-column-chart"
        assert w.error == ""
        _same(
            w,
            cube.query(
                m["Revenue"],
                levels=[l["Category"], l["Country"]],
                filter=l["Country"].isin("France", "UK") & (l["Category"] == "Books"),
                mode="raw",
            ),
        )
        bundle, _ = w._repr_mimebundle_()
        assert bundle["image/svg+xml"].startswith("<svg")  # the chart view's static snapshot
    finally:
        w.close()


def test_query_result_widget_is_the_same_query_live(session) -> None:
    cube = samples.sales_cube(session)
    l, m = cube.levels, cube.measures
    result = cube.query(m["Revenue"], levels=[l["City"]], filter=l["Country"] == "France", include_totals=True)
    w = result.widget()
    try:
        assert w.state["rows"] == [["Shops", "City", "City"]]
        assert w.state["totals"] is True
        expected = cube.query(
            m["Revenue"], levels=[l["City"]], filter=l["Country"] == "France", include_totals=True, mode="raw"
        )
        _same(w, expected)
    finally:
        w.close()
