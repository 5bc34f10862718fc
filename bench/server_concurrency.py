#!/usr/bin/env python
"""50 concurrent clients querying a session over loopback while a loader appends (issue 6).

Each client loops on ``POST /cubes/Trades/query`` (total quantity and row count by desk, JSON); a
loader thread appends batches of rows meanwhile, each batch adding ``qty = 1`` per row. A read is
torn if its total differs from its row count (every row has qty 1, so they must match whatever
the snapshot). Asserts no HTTP errors and no torn reads; prints p50/p99 latency and throughput.

Usage: python bench/server_concurrency.py [--clients 50] [--seconds 10] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import httpx
import numpy as np
import pandas as pd

import atoti_lab as tt


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    session = tt.Session.start()
    rng = np.random.default_rng(0)
    desks = np.array([f"desk{i}" for i in range(20)])
    start = pd.DataFrame({"Id": np.arange(args.rows), "Desk": desks[rng.integers(0, 20, args.rows)], "Qty": 1})
    table = session.read_pandas(start, table_name="Trades", keys=["Id"])
    session.create_cube(table)
    url = f"{session.url}/atoti/rest/v0/cubes/Trades/query"
    body = {"measures": ["Qty.SUM", "contributors.COUNT"], "levels": ["Desk"], "includeTotals": True}

    stop = threading.Event()
    latencies: list[float] = []
    errors: list[str] = []
    torn: list[str] = []
    lock = threading.Lock()
    loaded = [0]

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while not stop.is_set():
                t0 = time.perf_counter()
                response = http.post(url, json=body, headers={"Accept": "application/json"})
                elapsed = time.perf_counter() - t0
                if response.status_code != 200:
                    with lock:
                        errors.append(f"{response.status_code} {response.text[:200]}")
                    continue
                result = response.json()
                cols = result["columns"]
                qty, count = cols.index("Qty.SUM"), cols.index("contributors.COUNT")
                bad = [row for row in result["data"] if row[qty] != row[count]]
                with lock:
                    latencies.append(elapsed)
                    if bad:
                        torn.append(json.dumps(bad[:2]))

    def loader() -> None:
        next_id = args.rows
        while not stop.is_set():
            n = args.batch
            batch = pd.DataFrame({"Id": np.arange(next_id, next_id + n), "Desk": desks[rng.integers(0, 20, n)], "Qty": 1})
            table.load(batch)
            next_id += n
            loaded[0] += n
            time.sleep(0.01)

    threads = [threading.Thread(target=client) for _ in range(args.clients)] + [threading.Thread(target=loader)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    session.close()

    ms = sorted(x * 1000 for x in latencies)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(f"clients={args.clients} seconds={args.seconds} queries={len(ms)} ({len(ms) / wall:.0f}/s) "
          f"rows appended={loaded[0]} errors={len(errors)} torn={len(torn)}")
    print(f"latency ms: p50={p(0.50):.1f} p99={p(0.99):.1f} max={ms[-1]:.1f} mean={statistics.mean(ms):.1f}")
    assert not errors, errors[:5]
    assert not torn, torn[:5]
    assert len(ms) > 0


if __name__ == "__main__":
    main()
