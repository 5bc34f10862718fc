"""Run a fused kernel over the segments of the base table, on both cores for large scans."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .kernels import Accumulator, Shape, compile_kernel, fold_lanes, init_accumulator, merge_into

# Below this many rows a second thread costs more than it saves.
PARALLEL_ROWS = 400_000
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="atoti_lab-scan")
    return _pool


def _threads() -> int:
    return max(1, min(2, os.cpu_count() or 1, int(os.environ.get("ATOTI_LAB_THREADS", "2"))))


@dataclass
class SegmentInput:
    """The arrays one segment contributes: codes, values and validity, in the shape's order."""

    length: int
    codes: list[np.ndarray]
    values: list[np.ndarray]  # direct values are per-row arrays; lut values are shared tables
    valid: list[np.ndarray | None]  # per value: validity (only where the shape asks for it)


@dataclass
class Accumulated:
    rows: np.ndarray  # per cell: contributing rows (or 0/1 when the shape only marks cells)
    arrays: list[np.ndarray]
    present: list[np.ndarray | None]  # per accumulator: present-value counts where nullable


def run(shape: Shape, luts: list[np.ndarray], segments: list[SegmentInput], n_cells: int,
        acc_dtypes: list[np.dtype]) -> Accumulated:
    kernel = compile_kernel(shape)
    lanes = shape.lanes

    def fresh() -> Accumulated:
        rows = np.zeros(n_cells * lanes, np.int64) if shape.count_rows else np.zeros(n_cells, np.uint8)
        return Accumulated(
            rows=rows,
            arrays=[init_accumulator(a, n_cells * lanes, dt) for a, dt in zip(shape.accumulators, acc_dtypes)],
            present=[np.zeros(n_cells * lanes, np.int64) if a.nullable else None for a in shape.accumulators],
        )

    def call(seg: SegmentInput, lo: int, hi: int, out: Accumulated) -> None:
        args: list[object] = [lo, hi, n_cells, *seg.codes, *luts]
        for j, (kind, _, has_valid) in enumerate(shape.values):
            args.append(seg.values[j])
            if has_valid:
                args.append(seg.valid[j])
        if shape.count_rows or not shape.direct:
            args.append(out.rows)
        for a, acc in enumerate(shape.accumulators):
            args.append(out.arrays[a])
            if acc.nullable:
                args.append(out.present[a])
        kernel(*args)

    total = sum(s.length for s in segments)
    threads = _threads() if total >= PARALLEL_ROWS else 1
    # Split the rows into equal ranges, one accumulator set per thread, then merge.
    ranges: list[list[tuple[SegmentInput, int, int]]] = [[] for _ in range(threads)]
    per = -(-total // threads) if total else 1
    t, filled = 0, 0
    for seg in segments:
        lo = 0
        while lo < seg.length:
            hi = min(seg.length, lo + per - filled)
            ranges[t].append((seg, lo, hi))
            filled += hi - lo
            lo = hi
            if filled >= per and t < threads - 1:
                t, filled = t + 1, 0
    outs = [fresh() for _ in range(threads)]

    def work(i: int) -> None:
        for seg, lo, hi in ranges[i]:
            call(seg, lo, hi, outs[i])

    if threads == 1:
        work(0)
    else:
        list(_executor().map(work, range(threads)))
    out = outs[0]
    for other in outs[1:]:
        if shape.count_rows:
            out.rows += other.rows
        else:
            np.maximum(out.rows, other.rows, out=out.rows)
        for a, acc in enumerate(shape.accumulators):
            merge_into(acc, out.arrays[a], other.arrays[a])
            if acc.nullable:
                out.present[a] += other.present[a]
    if shape.count_rows:
        rows = fold_lanes(None, out.rows, lanes)
    else:
        rows = out.rows.astype(np.int64)  # 0/1 marks (unused in direct mode: counts come from the store)
    return Accumulated(
        rows=rows,
        arrays=[fold_lanes(acc, arr, lanes) for acc, arr in zip(shape.accumulators, out.arrays)],
        present=[fold_lanes(None, p, lanes) if p is not None else None for p in out.present],
    )


__all__ = ["Accumulator", "Accumulated", "SegmentInput", "Shape", "run"]
