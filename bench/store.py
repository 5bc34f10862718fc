#!/usr/bin/env python
"""Store benchmarks (issue 2), each against a peer measured in the same run.

* read_parquet of the sales table (keyed on sale_id) vs pyarrow.parquet.read_table of the file;
* resident memory added by the loaded table, key index included, in bytes per row
  (measured in a fresh child process: RSS after load minus RSS before, after gc and malloc_trim);
* appending 1,000 new keyed rows to the loaded table (median of many appends).

Data: the shared star-schema generator (../shared/bench/gen_data.py); nothing here forks it.

Usage:
    python bench/store.py --rows 10000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "bench"


def data_dir(rows: int) -> Path:
    sys.path.insert(0, str(SHARED))
    import gen_data

    out = Path(gen_data.DEFAULT_CACHE_DIR) / f"rows_{rows}"
    if not (out / "sales.parquet").exists():
        subprocess.run([sys.executable, str(SHARED / "gen_data.py"), "--rows", str(rows)], check=True)
    return out


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle() -> None:
    import ctypes

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def child_memory(path: str) -> None:
    """Runs in a fresh process: bytes per row added by loading the table."""
    import atoti_lab as tt

    session = tt.Session.start()
    settle()
    before = rss()
    table = session.read_parquet(path, keys=["sale_id"], table_name="sales")
    settle()
    after = rss()
    n = len(table)
    store = table._store
    print(json.dumps({"rows": n, "rss_added": after - before, "bytes_per_row": (after - before) / n,
                      "store_bytes_per_row": store.nbytes() / n}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--child-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        child_memory(args.child_memory)
        return
    folder = data_dir(args.rows)
    sales = str(folder / "sales.parquet")

    import numpy as np
    import pyarrow.parquet as pq

    import atoti_lab as tt

    sys.path.insert(0, str(SHARED))
    import gen_data

    results: dict[str, object] = {"rows": args.rows}
    peer, ours = [], []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        table = pq.read_table(sales)
        peer.append(time.perf_counter() - t0)
        del table
        session = tt.Session.start()
        t0 = time.perf_counter()
        session.read_parquet(sales, keys=["sale_id"], table_name="sales")
        ours.append(time.perf_counter() - t0)
        session.close()
        del session
        gc.collect()
    results["pyarrow_read_table_s"] = statistics.median(peer)
    results["read_parquet_s"] = statistics.median(ours)
    results["read_parquet_ratio"] = results["read_parquet_s"] / results["pyarrow_read_table_s"]

    out = subprocess.run([sys.executable, __file__, "--child-memory", sales], capture_output=True, text=True, check=True)
    results.update(json.loads(out.stdout.strip().splitlines()[-1]))

    session = tt.Session.start()
    table = session.read_parquet(sales, keys=["sale_id"], table_name="sales")
    dims = gen_data.Dimensions()
    batches = [gen_data.make_sales_batch(dims, args.rows, i, 1000) for i in range(200)]
    times = []
    for batch in batches:
        t0 = time.perf_counter()
        table.load(batch)
        times.append(time.perf_counter() - t0)
    results["append_1000_keyed_ms_median"] = 1000 * statistics.median(times)
    results["append_1000_keyed_ms_p90"] = 1000 * float(np.percentile(times, 90))
    results["rows_after_appends"] = len(table)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
