#!/usr/bin/env python
"""Live queries q2 and q3 of the shared peer workload, held open while rows arrive.

The workload is not forked: the data, the cube and the queries are those of
../shared/bench/peers.py (AtotiLabAdapter.load, .q2, .q3), asked for with ``live=True``.

1. latency: one 1,000-row append (gen_data.make_sales_batch, as peers' "upd"), then the time
   from its commit (a Store.watch_changes callback, under the commit's write lock) until both
   live results hold it (their update listener). Appends are spaced by more than the coalescing
   interval, so each one is an isolated commit; median and p90 over --reps.
2. sustained: one producer thread appends --rate rows/s in batches of --batch for --seconds;
   for each commit, lag = time until both live results hold it. Reports the max and p99 lag,
   the rate reached, RSS growth against the table's bytes, and checks that the final live
   results equal fresh queries (peers.compare, the same check peers.py uses).

    python bench/live_queries.py --rows 10000000 --seconds 60
    python bench/live_queries.py --rows 1000000 --seconds 10 --reps 20      # quick
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa


def _peers(path: str):
    sys.path.insert(0, path)
    import gen_data
    import peers

    return peers, gen_data


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Clock:
    """Commit times (by store version) and the times each live result first held a version."""

    def __init__(self, store, lives) -> None:
        self.commits: dict[int, float] = {}
        self.updates: list[list[tuple[int, float]]] = [[] for _ in lives]
        self._unwatch = store.watch_changes(lambda c: self.commits.__setitem__(c.version, time.perf_counter()))
        self._removes = [live._engine.add_listener(self._listener(i)) for i, live in enumerate(lives)]

    def _listener(self, i: int):
        log = self.updates[i]
        return lambda cells, version: log.append((version, time.perf_counter()))

    def held_at(self, version: int) -> float:
        """When the last of the live results first held `version`."""
        out = 0.0
        for log in self.updates:
            out = max(out, next(t for v, t in log if v >= version))
        return out

    def lags(self) -> list[float]:
        out = []
        for version, t in sorted(self.commits.items()):
            done = [next((u for v, u in log if v >= version), None) for log in self.updates]
            if None in done:
                continue
            out.append(max(done) - t)  # type: ignore[type-var]
        return out

    def close(self) -> None:
        self._unwatch()
        for remove in self._removes:
            remove()


def check(peers, adapter, op: str, live) -> str:
    fresh = getattr(adapter, op)()
    ref = peers.canonical(op, adapter.to_pandas(op, fresh))
    return peers.compare(op, adapter.to_pandas(op, live.result), ref)


def latency(args, peers, gen_data, adapter, lives, store) -> dict:
    dims = gen_data.Dimensions()
    clock = Clock(store, lives)
    times, finish_ms = [], []
    try:
        for i in range(args.warmup + args.reps):
            batch = gen_data.make_sales_batch(dims, args.rows, i, 1000)
            time.sleep(max(live.interval for live in lives) + 0.02)  # an isolated commit
            adapter.sales.load(batch)
            version = store.version
            for live in lives:
                assert live.wait(version, timeout=30)
            if i >= args.warmup:
                times.append(clock.held_at(version) - clock.commits[version])
                t0 = time.perf_counter()
                for live in lives:
                    live.result  # noqa: B018 - the DataFrame, built on first access
                finish_ms.append((time.perf_counter() - t0) * 1e3)
    finally:
        clock.close()
    ms = sorted(t * 1e3 for t in times)
    return {"test": "latency", "rows": args.rows, "append_rows": 1000, "reps": len(ms),
            "median_ms": round(statistics.median(ms), 3), "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 3),
            "min_ms": round(ms[0], 3), "max_ms": round(ms[-1], 3),
            "to_dataframe_both_median_ms": round(statistics.median(finish_ms), 3),
            "stats": {op: vars(live.stats) for op, live in zip(("q2", "q3"), lives)},
            "check": {op: check(peers, adapter, op, live) for op, live in zip(("q2", "q3"), lives)}}


def sustained(args, peers, gen_data, adapter, lives, store) -> dict:
    dims = gen_data.Dimensions()
    # A pool of batches reused with fresh sale_ids: generating rows is not what is measured.
    pool = [gen_data.make_sales_batch(dims, args.rows, 10_000 + i, args.batch) for i in range(16)]
    first_id = int(store.tables["sales"].row_count) + 10**9
    table = store.tables["sales"]
    gc.collect()
    rss0, bytes0 = rss(), table.nbytes()
    clock = Clock(store, lives)
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            samples.append((time.perf_counter(), rss(), table.nbytes()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sent = 0
    behind = 0.0
    loading = 0.0  # the producer's own time in load(): what bounds the rate it reaches
    start = time.perf_counter()
    n_batches = int(args.seconds * args.rate / args.batch)
    for k in range(n_batches):
        due = start + k * args.batch / args.rate
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        else:
            behind = max(behind, now - due)
        b = pool[k % len(pool)]
        ids = pa.array(np.arange(first_id + sent, first_id + sent + args.batch, dtype=np.int64))
        t0 = time.perf_counter()
        adapter.sales.load(b.set_column(0, "sale_id", ids))
        loading += time.perf_counter() - t0
        sent += args.batch
    elapsed = time.perf_counter() - start
    last = store.version
    for live in lives:
        assert live.wait(last, timeout=60)
    stop.set()
    sampler.join()
    clock.close()
    lags = sorted(clock.lags())
    gc.collect()
    rss1, bytes1 = rss(), table.nbytes()
    return {"test": "sustained", "base_rows": args.rows, "seconds": round(elapsed, 2), "rows_appended": sent,
            "batch": args.batch, "target_rows_per_s": args.rate, "rows_per_s": round(sent / elapsed),
            "producer_max_behind_schedule_ms": round(behind * 1e3, 1),
            "producer_load_ms_per_batch": round(loading / max(n_batches, 1) * 1e3, 2), "commits": len(lags),
            "max_lag_ms": round(lags[-1] * 1e3, 2), "p99_lag_ms": round(lags[int(0.99 * (len(lags) - 1))] * 1e3, 2),
            "median_lag_ms": round(statistics.median(lags) * 1e3, 2),
            "rss_growth_mb": round((rss1 - rss0) / 2**20, 1), "table_bytes_growth_mb": round((bytes1 - bytes0) / 2**20, 1),
            "rss_mb_samples": [round(r / 2**20) for _, r, _ in samples[:: max(1, len(samples) // 12)]],
            "stats": {op: vars(live.stats) for op, live in zip(("q2", "q3"), lives)},
            "check": {op: check(peers, adapter, op, live) for op, live in zip(("q2", "q3"), lives)}}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--data-dir", default="/tmp/bench-data", help="gen_data.py output (generated when missing)")
    p.add_argument("--peers", default=str(Path(__file__).resolve().parents[2] / "shared" / "bench"),
                   help="folder of peers.py and gen_data.py")
    p.add_argument("--interval", type=float, default=None,
                   help="coalescing interval of the live queries (s); the library's default when omitted")
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--rate", type=int, default=1_000_000, help="rows/s appended in the sustained test")
    p.add_argument("--batch", type=int, default=10_000)
    p.add_argument("--skip", choices=["latency", "sustained"], action="append", default=[])
    args = p.parse_args(argv)

    peers, gen_data = _peers(args.peers)
    data = gen_data.generate(args.data_dir, args.rows, verbose=False)
    adapter = peers.AtotiLabAdapter()
    t0 = time.perf_counter()
    adapter.load(peers.Paths(Path(data)))
    print(json.dumps({"test": "load", "rows": args.rows, "seconds": round(time.perf_counter() - t0, 2)}), flush=True)
    store = adapter.session._database
    plain = adapter._query
    # peers' own q2 and q3, asked for live.
    adapter._query = lambda *ms, **kw: adapter.cube.query(
        *ms, live=True, **({} if args.interval is None else {"interval": args.interval}), **kw)
    lives = [adapter.q2(), adapter.q3()]
    adapter._query = plain
    try:
        if "latency" not in args.skip:
            print(json.dumps(latency(args, peers, gen_data, adapter, lives, store)), flush=True)
        if "sustained" not in args.skip:
            print(json.dumps(sustained(args, peers, gen_data, adapter, lives, store)), flush=True)
    finally:
        for live in lives:
            live.stop()
        adapter.unload()


if __name__ == "__main__":
    main()
