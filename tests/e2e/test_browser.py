"""The browser harness itself: chromium starts headless and runs the built pivot bundle."""

from __future__ import annotations

from atoti_lab.widgets._static import static_path


def test_chromium_runs_pages(page) -> None:
    page.set_content("<p id='p'>hello</p><script>document.getElementById('p').textContent += ' world'</script>")
    assert page.text_content("#p") == "hello world"
    assert page.evaluate("navigator.userAgent").find("Chrome") >= 0


def test_pivot_bundle_draws_a_chart_in_chromium(page) -> None:
    """The real bundle, as anywidget loads it (an ES module with `render`), on a minimal model
    holding a result made by pyarrow: the table, then a chart, are drawn by the browser."""
    import json

    import pyarrow as pa

    from atoti_lab.widgets.table import arrow_to_ipc

    table = pa.table({"Category": ["Books", "Toys"], "Revenue": [10.5, 20.25]})
    info = {"rows": 1, "columns": 0, "measures": ["Revenue"], "totals": False}
    table = table.replace_schema_metadata({b"atoti_lab.pivot": json.dumps(info).encode()})
    data = list(arrow_to_ipc(table))
    state = {
        "cube": "C",
        "rows": [["P", "Category", "Category"]],
        "columns": [],
        "measures": ["Revenue"],
        "filters": [],
        "view": "pivot-table",
        "totals": False,
    }
    page.set_content("<div id='host' style='width: 900px'></div>")
    page.add_style_tag(content=static_path("pivot.css").read_text())
    page.evaluate(
        """async ([code, data, state]) => {
            const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
            const mod = await import(url);
            const values = {state, model: {cube: "C", dimensions: [], measures: []},
                data: new DataView(new Uint8Array(data).buffer), cross_totals: new DataView(new ArrayBuffer(0)),
                error: "", live: true, refresh_ms: 100, title: ""};
            const listeners = {};
            const model = {
                get: (k) => values[k],
                set: (k, v) => { values[k] = v; (listeners["change:" + k] || []).forEach((f) => f()); },
                on: (e, f) => { (listeners[e] ||= []).push(f); },
                off: () => {}, save_changes: () => {}, send: () => {},
            };
            window.__model = model;
            await mod.default.render({model, el: document.getElementById("host")});
        }""",
        [static_path("pivot.js").read_text(), data, state],
    )
    page.wait_for_selector(".atl-grid td")
    cells = page.eval_on_selector_all(
        ".atl-grid tbody tr:not(.atl-spacer-row) td:not(.atl-spacer)", "els => els.map(e => e.textContent)"
    )
    assert cells == ["10.50", "20.25"]  # doubles: two decimals by default, as atoti shows them
    page.evaluate("window.__model.set('state', {...window.__model.get('state'), view: 'clustered-column-chart'})")
    page.wait_for_selector(".atl-chart svg path", state="attached")
    n = page.eval_on_selector_all(".atl-chart svg path", "els => els.length")
    assert n > 0
    box = page.locator(".atl-chart svg").bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100


def test_a_million_cell_pivot_is_virtualised_in_chromium(page) -> None:
    """1,000 row members x 1,000 column members (1M cells, one long row each, as the kernel sends
    them): the page keeps a small DOM and shows the right cells wherever it is scrolled."""
    import base64
    import json

    import numpy as np
    import pyarrow as pa

    from atoti_lab.widgets.table import arrow_to_ipc

    n = 1000
    rows = np.repeat(np.arange(n), n)
    cols = np.tile(np.arange(n), n)
    row_names = pa.array([f"r{i:03d}" for i in range(n)])
    col_names = pa.array([f"c{i:03d}" for i in range(n)])
    table = pa.table(
        {
            "Row": pa.DictionaryArray.from_arrays(pa.array(rows, pa.int32()), row_names),
            "Column": pa.DictionaryArray.from_arrays(pa.array(cols, pa.int32()), col_names),
            "Value": pa.array(rows * n + cols, pa.float64()),  # the cell's own index
        }
    )
    info = {"rows": 1, "columns": 1, "measures": ["Value"], "totals": False}
    table = table.replace_schema_metadata({b"atoti_lab.pivot": json.dumps(info).encode()})
    data = base64.b64encode(arrow_to_ipc(table)).decode()
    state = {
        "cube": "C",
        "rows": [["D", "Row", "Row"]],
        "columns": [["E", "Column", "Column"]],
        "measures": ["Value"],
        "filters": [],
        "view": "pivot-table",
        "totals": False,
    }
    page.set_viewport_size({"width": 1200, "height": 800})
    page.set_content("<div id='host' style='width: 1100px; height: 600px'></div>")
    page.add_style_tag(content=static_path("pivot.css").read_text())
    page.evaluate(
        """async ([code, data, state]) => {
            const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
            const mod = await import(url);
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const values = {state, model: {cube: "C", dimensions: [], measures: []},
                data: new DataView(bytes.buffer), cross_totals: new DataView(new ArrayBuffer(0)),
                error: "", live: true, refresh_ms: 100, title: ""};
            const model = {get: (k) => values[k], set: () => {}, on: () => {}, off: () => {},
                save_changes: () => {}, send: () => {}};
            await mod.default.render({model, el: document.getElementById("host")});
        }""",
        [static_path("pivot.js").read_text(), data, state],
    )
    page.wait_for_selector(".atl-grid td")
    assert page.get_attribute(".atl-grid table", "aria-rowcount") == str(n)
    assert "1,000,000 cells" in page.text_content(".atl-footer")

    def shown() -> dict:
        return page.evaluate(
            """() => {
                const rows = document.querySelectorAll(".atl-grid tbody tr:not(.atl-spacer-row)");
                const grid = document.querySelector(".atl-grid");
                const box = grid.getBoundingClientRect();
                // The first fully visible body row and its first visible value cell.
                const row = Array.from(rows).find((tr) => tr.getBoundingClientRect().top >= box.top + 60);
                const cells = Array.from(row.querySelectorAll("td:not(.atl-spacer)"));
                const cell = cells.find((td) => td.getBoundingClientRect().left >= box.left + 80);
                return {rows: rows.length, cells: document.querySelectorAll(".atl-grid td").length,
                        header: row.querySelector("th").textContent, value: cell.textContent,
                        column: cells.indexOf(cell)};
            }"""
        )

    first = shown()
    assert first["rows"] < 200 and first["cells"] < 20_000  # a window, not 1M cells
    for top, left in ((0.5, 0.5), (1.0, 1.0), (0.25, 0.75)):
        page.evaluate(
            """([top, left]) => {
                const grid = document.querySelector(".atl-grid");
                grid.scrollTop = top * (grid.scrollHeight - grid.clientHeight);
                grid.scrollLeft = left * (grid.scrollWidth - grid.clientWidth);
                grid.dispatchEvent(new Event("scroll"));
            }""",
            [top, left],
        )
        page.wait_for_timeout(100)  # one animation frame re-renders the window
        view = shown()
        assert view["rows"] < 200 and view["cells"] < 20_000
        r = int(view["header"][1:])
        value = float(view["value"].replace(",", ""))
        assert int(value) // n == r  # the cell in that row holds a value of that row
        assert abs(r - top * (n - 1)) < 40  # near where it was scrolled to
        assert abs(int(value) % n - left * (n - 1)) < 40
