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
