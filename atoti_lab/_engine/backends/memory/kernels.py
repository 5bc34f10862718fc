"""Fused aggregation kernels, generated per query *shape* and compiled by numba.

One pass over the fact rows does everything: the cell of a row is the sum of small lookup tables
indexed by the row's codes (mixed-radix group key; a filtered-out member maps to a large negative
number, so filters cost nothing extra), then each aggregate's operand is computed from the row's
values and accumulated into that cell. Reading codes and values once is the memory-bandwidth
floor of the query.

The shape (how many code arrays and lookup tables, the operand expressions, the aggregations)
decides the generated source; the data (lookup tables, arrays, sizes) are arguments. Sources are
written to a cache folder and imported, so ``numba.njit(cache=True)`` keeps the machine code on
disk: a new process pays only for loading it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# A member that a filter excludes: any sum with it stays negative.
EXCLUDED = -(1 << 62)


@dataclass(frozen=True)
class Accumulator:
    """One per-cell array the kernel fills."""

    func: str  # "sum", "square_sum", "long", "short", "prod", "min", "max", "count"
    operand: int  # index into Shape.operands; -1 for counting rows
    nullable: bool  # the operand can be missing: keep a count of present values


@dataclass(frozen=True)
class Shape:
    n_codes: int  # code arrays c0.. (distinct base columns read as codes)
    keyed: tuple[int, ...]  # which code arrays have a key lookup table (l<i>)
    values: tuple[tuple[str, int, bool], ...]  # per value v<j>: ("direct"|"lut", code array, has validity)
    operands: tuple[str, ...]  # Python expressions over V0.. (value j of the row)
    accumulators: tuple[Accumulator, ...]
    count_rows: bool  # count rows per cell (else only mark the cells that have rows)
    lanes: int  # 1 or 4 copies of each accumulator, see below
    direct: bool = False  # one code array, no lookup table: cells are its codes, nothing to mark


def lanes_for(n_cells: int) -> int:
    """Rows that hit the same cell within the CPU's reorder window stall on the read-modify-write of
    that cell; spreading consecutive rows over 4 copies of the accumulators (merged at the end)
    makes the scatter loop several times faster while the copies stay in cache."""
    return 4 if n_cells <= 1 << 16 else 1


def _loads(shape: Shape, lane: int) -> list[str]:
    """Read row `i + lane`: its cell (k<lane>) and its values (V<j>_<lane>)."""
    r = f"i + {lane}" if lane else "i"
    if shape.direct:
        key = f"c0[{r}]"
    else:
        key = " + ".join(f"l{i}[c{i}[{r}]]" for i in shape.keyed) or "0"
    out = [f"k{lane} = {key}"]
    for v, (kind, code, _) in enumerate(shape.values):
        out.append(f"V{v}_{lane} = v{v}[{r}]" if kind == "direct" else f"V{v}_{lane} = v{v}[c{code}[{r}]]")
    return out


def _updates(shape: Shape, lane: int) -> list[str]:
    """Accumulate the row read by _loads(lane) into accumulator lane `lane`."""
    r = f"i + {lane}" if lane else "i"
    body = [f"j = {lane} * m + k{lane}" if lane else f"j = k{lane}"]
    if shape.count_rows:
        body.append("rows[j] += 1")
    elif not shape.direct:
        body.append(f"touched[k{lane}] = 1")
    used = [sorted({v for v in range(len(shape.values)) if f"V{v}" in op}) for op in shape.operands]
    for o, op in enumerate(shape.operands):
        for v in range(len(shape.values)):
            op = op.replace(f"V{v}", f"V{v}_{lane}")
        body.append(f"x{o} = {op}")
    for a, acc in enumerate(shape.accumulators):
        if acc.func == "count":
            continue
        x = f"x{acc.operand}"
        if acc.func == "sum":
            lines = [f"a{a}[j] += {x}"]
        elif acc.func == "square_sum":
            lines = [f"a{a}[j] += {x} * {x}"]
        elif acc.func in ("long", "short"):  # sums of the positive / negative values
            lines = [f"if {x} {'>' if acc.func == 'long' else '<'} 0:", f"    a{a}[j] += {x}"]
        elif acc.func == "prod":
            lines = [f"a{a}[j] *= {x}"]
        elif acc.func in ("min", "max"):
            cmp = "<" if acc.func == "min" else ">"
            lines = [f"if {x} {cmp} a{a}[j]:", f"    a{a}[j] = {x}"]
        else:
            raise ValueError(f"unknown accumulator {acc.func}")
        if acc.nullable:
            checks = [f"{x} == {x}"]  # NaN is missing
            checks += [f"m{v}[{r}]" for v in used[acc.operand] if shape.values[v][2]]
            body.append(f"if {' and '.join(checks)}:")
            body += [f"    n{a}[j] += 1"] + [f"    {line}" for line in lines]
        else:
            body += lines
    if not shape.keyed or shape.direct:
        return body
    return [f"if k{lane} >= 0:"] + [f"    {line}" for line in body]


def source(shape: Shape) -> str:
    """The Python source of the kernel for `shape`."""
    params = ["lo", "hi", "m"]
    params += [f"c{i}" for i in range(shape.n_codes)]
    params += [f"l{i}" for i in shape.keyed if not shape.direct]
    for j, (kind, _, valid) in enumerate(shape.values):
        params.append(f"v{j}")
        if valid:
            params.append(f"m{j}")
    if shape.count_rows or not shape.direct:
        params.append("rows" if shape.count_rows else "touched")
    for a, acc in enumerate(shape.accumulators):
        params.append(f"a{a}")
        if acc.nullable:
            params.append(f"n{a}")
    # All reads of a group of rows come before its writes: the compiler cannot prove that the
    # accumulators do not alias the inputs, so interleaving would serialise the loads.
    body = ["    i = lo"]
    if shape.lanes > 1:
        body.append(f"    end = lo + (hi - lo) // {shape.lanes} * {shape.lanes}")
        body.append("    while i < end:")
        for lane in range(shape.lanes):
            body += [f"        {line}" for line in _loads(shape, lane)]
        for lane in range(shape.lanes):
            body += [f"        {line}" for line in _updates(shape, lane)]
        body.append(f"        i += {shape.lanes}")
    body.append("    while i < hi:")
    body += [f"        {line}" for line in _loads(shape, 0) + _updates(shape, 0)]
    body.append("        i += 1")
    head = [
        "# generated by atoti_lab._engine.backends.memory.kernels; safe to delete",
        "from numba import njit",
        "",
        "",
        '@njit(cache=True, nogil=True, error_model="numpy")',
        f"def kernel({', '.join(params)}):",
    ]
    return "\n".join(head + body) + "\n"


_lock = threading.Lock()
_compiled: dict[Shape, Callable] = {}


def cache_dir() -> Path:
    """Where generated kernel sources (and numba's cache of their machine code) live."""
    root = os.environ.get("ATOTI_LAB_KERNEL_CACHE")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "atoti_lab" / "kernels"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:
        return Path(tempfile.gettempdir()) / "atoti_lab-kernels"


def compile_kernel(shape: Shape) -> Callable:
    with _lock:
        fn = _compiled.get(shape)
        if fn is not None:
            return fn
        text = source(shape)
        digest = hashlib.sha1(text.encode()).hexdigest()[:16]
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"k_{digest}.py"
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            os.replace(tmp, path)  # atomic: concurrent processes never import half a file
        name = f"atoti_lab_kernel_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        fn = _compiled[shape] = module.kernel
        return fn


def _identity(func: str, dtype: np.dtype) -> float | int:
    """The value an accumulator starts from (and that combining with leaves unchanged)."""
    floating = dtype.kind == "f"
    if func == "min":
        return np.inf if floating else np.iinfo(np.int64).max
    if func == "max":
        return -np.inf if floating else np.iinfo(np.int64).min
    return 1 if func == "prod" else 0


def init_accumulator(acc: Accumulator, size: int, dtype: np.dtype) -> np.ndarray:
    if acc.func == "square_sum":
        return np.zeros(size, np.float64)
    out_dtype = np.dtype(np.float64 if dtype.kind == "f" else np.int64)
    return np.full(size, _identity(acc.func, out_dtype), out_dtype)


_COMBINE = {"min": np.minimum, "max": np.maximum, "prod": np.multiply}


def merge_into(acc: Accumulator, target: np.ndarray, other: np.ndarray) -> None:
    """Combine the partial results of two row ranges (or two lanes)."""
    _COMBINE.get(acc.func, np.add)(target, other, out=target)


def combine_at(func: str, values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Partial results of an accumulator combined by group (`group`: each value's group, 0..n-1):
    totals from leaf cells, cells from source codes."""
    out = np.full(n, _identity(func, values.dtype), values.dtype)
    _COMBINE.get(func, np.add).at(out, group, values)
    return out


def fold_lanes(acc: Accumulator | None, array: np.ndarray, lanes: int) -> np.ndarray:
    """One value per cell from the `lanes` copies laid end to end (acc None: row counts)."""
    if lanes == 1:
        return array
    parts = array.reshape(lanes, -1)
    out = parts[0].copy()
    for lane in parts[1:]:
        if acc is None:
            out += lane
        else:
            merge_into(acc, out, lane)
    return out
