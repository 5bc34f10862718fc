"""Derived measures vs their leaves, on the shared star-schema workload (issue 4's speed target).

Loads the bench data through the shared peers.py adapter (the same cube as bench/peers.sh), then
times, by category x month: the leaf aggregations alone (quantity.SUM, revenue), and five derived
measures on them (a ratio, a parent_value share, a shift over months, a cumulative sum, a where).
Target: derived <= 1.5x leaves. The query cache is off so every run computes.

Usage: .venv/bin/python bench/measures.py [--rows 10000000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["ATOTI_LAB_QUERY_CACHE"] = "0"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
sys.path.insert(0, str(SHARED))

import gen_data  # noqa: E402
import peers  # noqa: E402

import atoti_lab as tt  # noqa: E402


def _median_ms(fns: list, runs: int) -> list[float]:
    """Median time of each function; runs alternate between them, so that a shared machine's
    noise falls on all of them alike."""
    for fn in fns:
        fn()  # compile the kernel shape and fill lookup caches
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, spent in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            spent.append((time.perf_counter() - t0) * 1000)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--data-dir", default=gen_data.DEFAULT_CACHE_DIR)
    args = parser.parse_args()
    data_dir = gen_data.data_dir_for(args.data_dir, args.rows)
    if not (data_dir / "sales.parquet").exists():
        raise SystemExit(f"No bench data in {data_dir}: run python {SHARED / 'gen_data.py'} --rows {args.rows}")
    adapter = peers.AtotiLabAdapter()
    adapter.load(peers.Paths(data_dir))
    cube, l, m = adapter.cube, adapter.l, adapter.m
    h = cube.hierarchies
    dates = h[("sales", "date_parts")] if ("sales", "date_parts") in h else h["date_parts"]
    m["avg price"] = m["revenue"] / m["quantity.SUM"]
    m["share of year"] = m["revenue"] / tt.parent_value(m["revenue"], degrees={dates: 1})
    m["previous month"] = tt.shift(m["revenue"], dates, offset=-1)
    m["running revenue"] = tt.agg.sum(m["revenue"], scope=tt.CumulativeScope(l["month"]))
    m["big months"] = tt.where(m["revenue"] > 1_000_000, m["revenue"], 0)
    levels = [l["category"], l["year"], l["month"]]
    leaves = [m["quantity.SUM"], m["revenue"]]
    derived = [m["avg price"], m["share of year"], m["previous month"], m["running revenue"], m["big months"]]
    result = cube.query(*derived, levels=levels)
    leaf_ms, derived_ms = _median_ms([lambda: cube.query(*leaves, levels=levels),
                                      lambda: cube.query(*derived, levels=levels)], args.runs)
    print(f"rows={args.rows:,} cells={len(result)}")
    print(f"leaves only (2 measures):       {leaf_ms:8.1f} ms")
    print(f"five derived measures:          {derived_ms:8.1f} ms")
    print(f"ratio derived / leaves:         {derived_ms / leaf_ms:8.2f}  (target <= 1.5)")
    adapter.unload()


if __name__ == "__main__":
    main()
