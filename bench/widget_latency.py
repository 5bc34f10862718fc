#!/usr/bin/env python
"""Live pivot latency in a real browser (issue 5): from a commit in the kernel to the updated grid
painted, for a 1,000-cell view over the 1M-row star schema.

A JupyterLab server (this venv's) runs in a temp directory; Debian's chromium (Playwright) opens a
notebook whose first cell loads the data, joins, builds the cube and shows a pivot of
country (20) x category (50) -> quantity.SUM: 1,000 cells. In the page a MutationObserver on the
grid records, for each change, the time of the frame after it (requestAnimationFrame, then a
task: the paint has happened). The second cell appends 1,000 new sales rows (``table.load``) every
``--interval`` seconds, noting the time of each commit. Both times are read on the machine's wall
clock (``time.time()`` in the kernel, ``performance.timeOrigin + performance.now()`` in the page),
so a latency is paint time minus commit time. The widget's live throttle (``refresh_ms``, 100 ms
by default) only delays a re-run that comes within 100 ms of the last one; commits here are
further apart.

Usage:
    python bench/widget_latency.py [--rows 1000000] [--commits 30] [--interval 0.5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from store import SHARED, data_dir  # noqa: E402

from tests._browser import jupyter_server, launch, printed_json, run_cell, write_notebook  # noqa: E402

TOKEN = "atoti-lab-bench"

SETUP = """\
import json, sys, time
sys.path.insert(0, {shared!r})
import gen_data
import atoti_lab as tt
from atoti_lab.widgets import Pivot

d = {folder!r}
session = tt.Session.start()
sales = session.read_parquet(d + "/sales.parquet", keys=["sale_id"], table_name="sales")
products = session.read_parquet(d + "/products.parquet", keys=["product"], table_name="products")
shops = session.read_parquet(d + "/shops.parquet", keys=["shop"], table_name="shops")
sales.join(products, sales["product"] == products["product"])
sales.join(shops, sales["shop"] == shops["shop"])
cube = session.create_cube(sales)
l, m = cube.levels, cube.measures
w = Pivot(cube, rows=[l["country"]], columns=[l["category"]], measures=[m["quantity.SUM"]])
print("CELLS:" + json.dumps(len(w.to_pandas())))
w"""

COMMITS = """\
import pyarrow.parquet as pq
base = pq.read_table(d + "/sales.parquet")
rows = base.num_rows
commits = []
for k in range({commits}):
    batch = base.slice((k * 1000) % (rows - 1000), 1000)
    batch = batch.set_column(0, "sale_id", pa_ids(rows + 1 + k * 1000, 1000))
    time.sleep({interval})
    t = time.time() * 1000
    sales.load(batch)
    commits.append(t)
time.sleep(1.0)
print("COMMITS:" + json.dumps(commits))"""

HELPERS = """\
import pyarrow as pa
def pa_ids(first, n):
    return pa.array(range(first, first + n), pa.int64())"""

OBSERVE = """() => {
    window.__paints = [];
    const grid = document.querySelector('.atl-grid');
    const observer = new MutationObserver(() => {
        requestAnimationFrame(() => setTimeout(() => {
            window.__paints.push(performance.timeOrigin + performance.now());
        }, 0));
    });
    observer.observe(grid, {childList: true, subtree: true, characterData: true});
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--commits", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    folder = str(data_dir(args.rows))
    setup = SETUP.format(shared=str(SHARED), folder=folder)
    commits_cell = COMMITS.format(commits=args.commits, interval=args.interval)
    with tempfile.TemporaryDirectory() as tmp, jupyter_server(Path(tmp), token=TOKEN) as base, launch() as browser:
        write_notebook(Path(tmp) / "work" / "bench.ipynb", [HELPERS, setup, commits_cell])
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.set_default_timeout(600_000)
        page.goto(f"{base}/lab/tree/bench.ipynb?token={TOKEN}")
        page.locator(".jp-Notebook .jp-Cell").nth(2).wait_for()
        run_cell(page, 0)
        run_cell(page, 1)
        cells = printed_json(page, "CELLS:", timeout_ms=600_000)
        page.wait_for_function(
            "() => document.querySelectorAll('.atl-grid tbody td:not(.atl-spacer)').length > 0", timeout=120_000
        )
        shown = page.eval_on_selector_all(".atl-grid tbody td:not(.atl-spacer)", "els => els.length")
        page.evaluate(OBSERVE)
        run_cell(page, 2)
        commits = printed_json(page, "COMMITS:", timeout_ms=600_000)
        paints = page.evaluate("() => window.__paints")
    latencies = []
    for i, t in enumerate(commits):
        limit = commits[i + 1] if i + 1 < len(commits) else float("inf")
        after = [p for p in paints if t <= p < limit]
        if after:
            latencies.append(after[0] - t)
    result = {
        "rows": args.rows,
        "result_cells": cells,
        "cells_in_dom": shown,
        "commits": len(commits),
        "updates_painted": len(latencies),
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p90_ms": round(sorted(latencies)[int(0.9 * (len(latencies) - 1))], 1) if latencies else None,
        "min_ms": round(min(latencies), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "latencies_ms": [round(x, 1) for x in latencies],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
