"""The pivot widget end to end, in a real JupyterLab 4 and in the Notebook 7 page.

A Jupyter server (this venv's, so the kernel imports this atoti_lab) runs on a free port in a temp
directory; chromium opens a notebook whose cells build a small cube and show ``session.widget``.
The test adds a level and a measure by clicking in the widget, compares the grid read from the DOM
with ``cube.query`` run by the kernel (printed by the next cell), commits rows in another cell
and waits for the grid to show the new values by itself, then switches to a chart. Screenshots
go to ``test-artifacts/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests._browser import artifact_path, jupyter_server, printed_json, require_browser, run_cell, write_notebook

pytest.importorskip("jupyterlab")
pytest.importorskip("notebook")
pytest.importorskip("anywidget")

TOKEN = "atoti-lab-e2e"
CELL_TIMEOUT_MS = 180_000  # the first query compiles the numba kernels on a cold cache

SETUP = """\
import json
import pandas as pd
import atoti_lab as tt

session = tt.Session.start()
df = pd.DataFrame({
    "Id": [1, 2, 3, 4, 5, 6],
    "City": ["Lyon", "Paris", "Lyon", "Rome", "Paris", "Rome"],
    "Category": ["Books", "Toys", "Toys", "Books", "Books", "Toys"],
    "Amount": [10.5, 20.0, 30.25, 40.0, 50.0, 60.75],
})
table = session.read_pandas(df, table_name="Sales", keys=["Id"])
cube = session.create_cube(table)
w = session.widget
w"""

# Runs the widget's query (its state, edited in the browser) with cube.query, as plain JSON.
REPORT = """\
def report(tag):
    kw = w.query_kwargs()
    result = cube.query(*kw.pop("measures"), **kw)
    print(tag + json.dumps({"state": w.state, "rows": result.astype(object).values.tolist()}))
report("BEFORE:")"""

COMMIT = """\
table += [(7, "Lyon", "Books", 1000.0), (8, "Milan", "Toys", 5.0)]
report("AFTER:")"""


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A Jupyter server (JupyterLab and Notebook 7 pages) on a free port, in a temp directory."""
    require_browser()
    root = tmp_path_factory.mktemp("jupyter")
    with jupyter_server(root, token=TOKEN) as base:
        yield {"base": base, "work": root / "work", "log": root / "server.log"}


def _grid(page: Any) -> list[list[str]]:
    """The grid's body rows as shown: row headers then cells (virtualisation spacers left out)."""
    return page.eval_on_selector_all(
        ".atl-grid tbody tr:not(.atl-spacer-row)",
        """rows => rows.map(tr => Array.from(tr.children)
            .filter(c => !c.classList.contains('atl-spacer'))
            .map(c => c.textContent))""",
    )


def _as_numbers(grid: list[list[str]]) -> dict[str, float]:
    return {row[0]: float(row[1].replace(",", "")) for row in grid}


def _expected(printed: dict[str, Any]) -> dict[str, float]:
    return {str(city): float(value) for city, value in printed["rows"]}


@pytest.mark.parametrize("front_end", ["lab", "notebook"])
def test_pivot_widget_end_to_end(jupyter: dict[str, Any], page: Any, front_end: str) -> None:
    name = f"pivot-{front_end}.ipynb"
    write_notebook(jupyter["work"] / name, [SETUP, REPORT, COMMIT])
    url = f"{jupyter['base']}/{'lab/tree' if front_end == 'lab' else 'notebooks'}/{name}?token={TOKEN}"
    page.goto(url)
    # The kernel is ready when its status says idle; the first cell can run before, it queues.
    page.locator(".jp-Notebook .jp-Cell").nth(2).wait_for(timeout=120_000)
    try:
        run_cell(page, 0)
        root = page.locator(".atl-pivot-root")
        root.wait_for(timeout=CELL_TIMEOUT_MS)
        assert page.locator(".atl-empty").first.is_visible()  # the empty state says what to do

        # Add a level and a measure through the UI.
        page.locator(".atl-level", has_text="City").first.click()
        page.locator(".atl-measure", has_text="Amount.SUM").first.click()
        page.wait_for_function(
            "() => document.querySelectorAll('.atl-grid tbody td:not(.atl-spacer)').length === 3",
            timeout=CELL_TIMEOUT_MS,
        )
        shown = _as_numbers(_grid(page))

        # Python sees the UI's edits, and cube.query on them gives what the grid shows.
        run_cell(page, 1)
        before = printed_json(page, "BEFORE:")
        assert before["state"]["rows"] == [["Sales", "City", "City"]]
        assert before["state"]["measures"] == ["Amount.SUM"]
        assert shown == pytest.approx(_expected(before))
        assert shown == pytest.approx({"Lyon": 40.75, "Paris": 70.0, "Rome": 100.75})  # by hand

        # A commit in another cell: the grid follows with no action on the widget.
        run_cell(page, 2)
        after = printed_json(page, "AFTER:")
        expected = _expected(after)
        assert expected["Lyon"] == pytest.approx(1040.75)
        page.wait_for_function(
            "() => document.querySelectorAll('.atl-grid tbody td:not(.atl-spacer)').length === 4",
            timeout=30_000,
        )
        assert _as_numbers(_grid(page)) == pytest.approx(expected)
        page.screenshot(path=str(artifact_path(f"pivot-{front_end}-table.png")), full_page=True)

        # Switch to a chart: the same query, drawn.
        page.locator(".atl-view-select").select_option("clustered-column-chart")
        page.wait_for_selector(".atl-chart svg path", state="attached", timeout=30_000)
        box = page.locator(".atl-chart svg").bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200
        bars = page.eval_on_selector_all(".atl-chart svg path", "els => els.length")
        assert bars >= 4
        deadline = time.monotonic() + 30
        while page.evaluate("() => document.querySelector('.atl-pivot-root').dataset.view") != "clustered-column-chart":
            assert time.monotonic() < deadline
            page.wait_for_timeout(100)
        page.screenshot(path=str(artifact_path(f"pivot-{front_end}-chart.png")), full_page=True)
    except Exception:
        page.screenshot(path=str(artifact_path(f"pivot-{front_end}-failure.png")), full_page=True)
        print(jupyter["log"].read_text()[-4000:])
        print("console errors:", getattr(page, "console_errors", []))
        raise


DRILL_SETUP = """\
import json
import pandas as pd
import atoti_lab as tt

session = tt.Session.start()
df = pd.DataFrame({
    "Id": [1, 2, 3, 4, 5],
    "Country": ["France", "France", "France", "Italy", "Spain"],
    "City": ["Paris", "Lyon", "Paris", "Rome", "Madrid"],
    "Amount": [1.0, 2.0, 4.0, 8.0, 16.0],
})
table = session.read_pandas(df, table_name="Sales", keys=["Id"])
cube = session.create_cube(table, mode="manual")
cube.hierarchies["Geo"] = [table["Country"], table["City"]]
cube.measures["Amount"] = tt.agg.sum(table["Amount"])
l = cube.levels
w = tt.widgets.Pivot(cube, rows=[l["Country"]], measures=["Amount"], filters=[l["Country"].isin("France", "Italy")])
w"""

DRILL_REPORT = """\
print("DRILL:" + json.dumps({"expanded": w.state["expanded"], "filters": w.state["filters"],
    "rows": w.to_pandas().astype(object).where(w.to_pandas().notna(), None).values.tolist()}))"""


def test_drill_down_in_place_and_member_filter_in_jupyterlab(jupyter: dict[str, Any], page: Any) -> None:
    """Clicking a member expands it in place (the kernel sends its children's cells), clicking it
    again collapses it; the member filter lists members the result does not hold (asked from the
    kernel by a custom message)."""
    name = "drill-lab.ipynb"
    write_notebook(jupyter["work"] / name, [DRILL_SETUP, DRILL_REPORT])
    # Its own workspace: the other tests' notebooks do not reopen beside it.
    page.goto(f"{jupyter['base']}/lab/workspaces/drill/tree/{name}?reset&token={TOKEN}")
    page.locator(".jp-Notebook .jp-Cell").nth(1).wait_for(timeout=120_000)
    try:
        run_cell(page, 0)
        page.wait_for_function(
            "() => document.querySelectorAll('.atl-grid tbody td:not(.atl-spacer)').length === 2",
            timeout=CELL_TIMEOUT_MS,
        )
        assert _grid(page) == [["France", "7.00"], ["Italy", "8.00"]]  # Spain is filtered out

        page.locator(".atl-row-header.atl-expandable", has_text="France").first.click()
        page.wait_for_function(
            "() => document.querySelectorAll('.atl-grid tbody td:not(.atl-spacer)').length === 4",
            timeout=30_000,
        )
        grid = _grid(page)
        assert grid == [
            ["France", "", "7.00"],
            ["France", "Lyon", "2.00"],
            ["France", "Paris", "5.00"],
            ["Italy", "", "8.00"],
        ]
        run_cell(page, 1)
        report = printed_json(page, "DRILL:")
        assert report["expanded"] == [
            {"axis": "rows", "members": [{"level": ["Sales", "Geo", "Country"], "value": "France"}]}
        ]
        assert sorted(map(tuple, report["rows"]), key=str) == sorted(
            [("France", None, 7.0), ("France", "Lyon", 2.0), ("France", "Paris", 5.0), ("Italy", None, 8.0)], key=str
        )
        page.screenshot(path=str(artifact_path("pivot-lab-expanded.png")), full_page=True)

        # Collapse: back to one row per country.
        page.locator(".atl-row-header.atl-expanded", has_text="France").first.click()
        page.wait_for_function(
            "() => document.querySelectorAll('.atl-grid tbody td:not(.atl-spacer)').length === 2",
            timeout=30_000,
        )

        # The member filter lists Spain too (filtered out of the result), from the kernel.
        page.locator(".atl-level-name[data-axis='rows']").first.click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.atl-member-filter input')).map(i => i.value).includes('Spain')",
            timeout=30_000,
        )
        values = page.eval_on_selector_all(".atl-member-filter input", "els => els.map(e => e.value)")
        assert values == ["France", "Italy", "Spain"]
    except Exception:
        page.screenshot(path=str(artifact_path("drill-lab-failure.png")), full_page=True)
        print(jupyter["log"].read_text()[-4000:])
        print("console errors:", getattr(page, "console_errors", []))
        raise
