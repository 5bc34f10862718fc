#!/usr/bin/env python
"""Time to first answer in a fresh process (issue 3): import atoti_lab, Session.start(), load the
1M-row star schema from Parquet, join, cube, first query (q3). numba's disk cache is warm (the
script runs once untimed first), as a user's second session would have it.

Usage: python bench/first_query.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import time, json
t0 = time.perf_counter()
import atoti_lab as tt
t_import = time.perf_counter()
session = tt.Session.start()
t_session = time.perf_counter()
d = {folder!r}
sales = session.read_parquet(d + "/sales.parquet", keys=["sale_id"], table_name="sales")
products = session.read_parquet(d + "/products.parquet", keys=["product"], table_name="products")
shops = session.read_parquet(d + "/shops.parquet", keys=["shop"], table_name="shops")
sales.join(products, sales["product"] == products["product"])
sales.join(shops, sales["shop"] == shops["shop"])
t_load = time.perf_counter()
cube = session.create_cube(sales)
l, m = cube.levels, cube.measures
m["revenue"] = tt.agg.sum(sales["quantity"] * sales["unit_price"])
cube.query(m["quantity.SUM"], m["revenue"], levels=[l["category"], l["country"]])
t_query = time.perf_counter()
print(json.dumps(dict(import_s=t_import - t0, session_s=t_session - t_import, load_s=t_load - t_session,
                      first_query_s=t_query - t_load, total_s=t_query - t0)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from store import data_dir

    code = CHILD.format(folder=str(data_dir(args.rows)))
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm numba's cache
    runs = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        runs.append({**json.loads(out.stdout.strip().splitlines()[-1]), "process_wall_s": wall})
    summary = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(json.dumps({"rows": args.rows, "median": summary, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
