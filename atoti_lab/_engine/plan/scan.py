"""The scan of a query: its leaf aggregates, computed by one fused kernel over the base table.

Inputs are the lookup tables the planner built (source column -> cell contribution, EXCLUDED for
filtered-out members) and row masks for conditions spanning several columns. The scan decides the
kernel's shape (code arrays, values, operand expressions, accumulators), feeds it each segment and
returns per-cell accumulators; distinct counts are computed beside it as (cell, value) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import types as T
from ..backends.memory import execute
from ..backends.memory.kernels import Accumulator, Shape, combine_at, lanes_for
from ..expr.condition import ColumnRef
from ..expr.measure import Agg, Col, Lit, Node, Op, columns_of
from ..store.encoded import code_counts, column_codes
from ..store.table import TableSnapshot
from . import array_scan
from .evaluate import ORDER_STATISTICS, accumulator_parts, is_integer_type
from .levels import join_path

if TYPE_CHECKING:
    from .query import QueryRunner


# Leaf aggregations computed from distinct (cell, value code) pairs: tt.agg.count_distinct, distinct
# and single_value of a column that is not numeric.
DISTINCT_PAIRS = ("count_distinct", "distinct", "single_member")


class ScanError(ValueError):
    pass


@dataclass
class ScanResult:
    accumulated: execute.Accumulated  # per cell
    accumulators: list[Accumulator]
    acc_of_leaf: dict[Agg, int]
    distinct: dict[Agg, np.ndarray]  # per distinct count: (2, n) array of (cell, value code) pairs
    # per median / quantile: every present (cell, value), sorted by cell then value
    samples: dict[Agg, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # arrays hook: per SUM/MEAN of an array column, (ids of the cells with rows, their sums); see array_scan.py
    vectors: dict[Agg, tuple[np.ndarray, array_scan.VectorSums]] = field(default_factory=dict)


class Scan:
    def __init__(self, runner: QueryRunner, snap: TableSnapshot, luts: dict[str, np.ndarray],
                 masks: dict[str, tuple[np.ndarray, ...]], n_cells: int) -> None:
        self.runner = runner
        self.base = runner.model.base_table
        self.base_store = runner.store.tables[self.base]
        self.snap = snap
        self.luts = luts
        self.masks = masks
        self.n_cells = n_cells
        self.code_sources: list[str] = list(luts)  # code arrays c0..: keyed ones first
        self.value_slots: list[tuple[str, Any]] = []  # ("direct", column) or ("lut", (source, table))
        self.value_index: dict[ColumnRef, int] = {}
        self.value_nullable: dict[int, bool] = {}

    # -- operands -------------------------------------------------------------------------------
    def _value(self, ref: ColumnRef) -> int:
        """Index of the kernel value reading column `ref` (registered on first use)."""
        if ref in self.value_index:
            return self.value_index[ref]
        j = len(self.value_slots)
        if ref.table == self.base:
            spec = self.base_store.columns[ref.column]
            self.value_slots.append(("direct", ref.column))
            # Missing values: NaN in float columns, a validity mask in integer ones.
            has_mask = any(v is not None for v in self.snap.valid[ref.column])
            self.value_nullable[j] = has_mask or (spec.nullable and spec.data_type in (T.FLOAT, T.DOUBLE))
        else:
            source, table = self.runner.joined_values(ref)
            if source not in self.code_sources:
                self.code_sources.append(source)
            self.value_slots.append(("lut", (source, table)))
            self.value_nullable[j] = table.dtype.kind == "f" and bool(np.isnan(table).any())
        self.value_index[ref] = j
        return j

    def _expression(self, node: Node) -> str:
        """A row expression as kernel source over the row's values V0, V1..."""
        if isinstance(node, Col):
            return f"V{self._value(node.ref)}"
        if isinstance(node, Lit):
            return repr(float(node.value) if isinstance(node.value, float) else node.value)
        if isinstance(node, Op):
            args = [self._expression(a) for a in node.args]
            if node.op == "neg":
                return f"(-{args[0]})"
            if node.op == "abs":
                return f"abs({args[0]})"
            return f"({args[0]} {node.op} {args[1]})"
        raise ScanError(f"Cannot aggregate {node!r} row by row.")

    # -- the scan -------------------------------------------------------------------------------
    def run(self, leaves: list[Agg], count_rows: bool = False) -> ScanResult:
        """`count_rows`: always count the rows of each cell (live queries need counts, not marks,
        to retract rows and to merge partial scans)."""
        vector_leaves = [leaf for leaf in leaves  # arrays hook
                         if leaf.func not in DISTINCT_PAIRS and array_scan.is_array_leaf(self, leaf)]
        fused = [leaf for leaf in leaves if leaf.func not in DISTINCT_PAIRS and leaf.func not in ORDER_STATISTICS
                 and leaf not in vector_leaves]
        operands: list[str] = []
        accumulators: list[Accumulator] = []
        acc_dtypes: list[np.dtype] = []
        acc_of_leaf: dict[Agg, int] = {}
        for leaf in fused:
            if leaf.operand is None or leaf.func == "count":
                continue  # row counts come with every scan
            text = self._expression(leaf.operand)
            if text not in operands:
                operands.append(text)
            nullable = any(self.value_nullable[self.value_index[c]] for c in columns_of(leaf.operand))
            # Averages need the count of present values even when none is missing (without a row
            # count in the scan, rows only mark the cells that have some).
            nullable = nullable or leaf.func in ("mean", "var", "std")
            integer = is_integer_type(self.runner.operand_type(leaf.operand))
            acc_of_leaf[leaf] = len(accumulators)
            for func in accumulator_parts(leaf.func):
                accumulators.append(Accumulator(func, operands.index(text), nullable))
                acc_dtypes.append(np.dtype(np.int64 if integer and func != "square_sum" else np.float64))

        keyed = [s for s in self.code_sources if s in self.luts]
        # One grouping column and no filter on it: aggregate by its codes, fold into cells after.
        direct = len(keyed) == 1 and not (self.luts[keyed[0]] < 0).any()
        width = len(self.luts[keyed[0]]) if direct else self.n_cells
        with_mask = {j for j, (kind, col) in enumerate(self.value_slots)
                     if kind == "direct" and any(v is not None for v in self.snap.valid[col])}
        shape = Shape(
            n_codes=len(self.code_sources),
            keyed=tuple(range(len(keyed))),
            values=tuple((kind, self.code_sources.index(payload[0]) if kind == "lut" else -1, j in with_mask)
                         for j, (kind, payload) in enumerate(self.value_slots)),
            operands=tuple(operands),
            accumulators=tuple(accumulators),
            count_rows=count_rows or any(leaf.func == "count" or leaf.operand is None for leaf in fused),
            lanes=lanes_for(width),
            direct=direct,
        )
        codes = {s: self.masks[s] if s in self.masks else column_codes(self.base_store, s, self.snap)[1]
                 for s in self.code_sources}
        segments = [self._segment(i, codes, with_mask) for i in range(len(self.snap.lengths))]
        if direct:
            acc = execute.run(shape, [], segments, width, acc_dtypes)
            counts = None if shape.count_rows else code_counts(self.base_store, keyed[0], self.snap)
            acc = _fold_codes(acc, shape, self.luts[keyed[0]], self.n_cells, counts)
        else:
            acc = execute.run(shape, [_narrow(self.luts[s], self.n_cells) for s in keyed], segments,
                              self.n_cells, acc_dtypes)
        distinct = {leaf: self._distinct_pairs(leaf, codes) for leaf in leaves if leaf.func in DISTINCT_PAIRS}
        samples = {leaf: self._samples(leaf, codes) for leaf in leaves if leaf.func in ORDER_STATISTICS}
        # arrays hook: element-wise sums of array columns over the cells the kernel found rows in.
        vectors = {}
        if vector_leaves:
            cells = np.flatnonzero(acc.rows > 0)
            try:
                vectors = {leaf: (cells, array_scan.scan_leaf(self, leaf, codes, cells)) for leaf in vector_leaves}
            except array_scan.RaggedArrays as e:
                raise ScanError(str(e)) from None
        return ScanResult(acc, accumulators, acc_of_leaf, distinct, samples, vectors)

    def _segment(self, i: int, codes: dict[str, tuple[np.ndarray, ...]], with_mask: set[int]) -> execute.SegmentInput:
        length = self.snap.lengths[i]
        values, valid = [], []
        for j, (kind, payload) in enumerate(self.value_slots):
            if kind == "direct":
                values.append(self.snap.columns[payload][i])
                v = self.snap.valid[payload][i]
                # Segments without missing values share the shape of those with some.
                valid.append(v if v is not None or j not in with_mask else np.ones(length, np.bool_))
            else:
                values.append(payload[1])
                valid.append(None)
        return execute.SegmentInput(length, [codes[s][i] for s in self.code_sources], values, valid)

    def _row_cells(self, i: int, codes: dict[str, tuple[np.ndarray, ...]]) -> np.ndarray:
        """The cell of each row of segment i (negative for rows that filters leave out)."""
        key = np.zeros(self.snap.lengths[i], np.int64)
        for s in self.code_sources:
            if s in self.luts:
                key += self.luts[s][codes[s][i]]
        return key

    def _row_values(self, node: Node, i: int) -> tuple[np.ndarray, np.ndarray]:
        """A row expression over the rows of segment i, as float64 values and where they are present."""
        length = self.snap.lengths[i]
        if isinstance(node, Lit):
            return np.full(length, float(node.value)), np.ones(length, np.bool_)
        if isinstance(node, Col):
            ref = node.ref
            if ref.table == self.base:
                values = np.asarray(self.snap.columns[ref.column][i], np.float64)
                valid = self.snap.valid[ref.column][i]
                ok = ~np.isnan(values) if valid is None else valid & ~np.isnan(values)
                return values, ok
            source, table = self.runner.joined_values(ref)
            values = np.asarray(table, np.float64)[column_codes(self.base_store, source, self.snap)[1][i]]
            return values, ~np.isnan(values)
        if isinstance(node, Op):
            parts = [self._row_values(a, i) for a in node.args]
            ok = np.logical_and.reduce([p[1] for p in parts])
            x = parts[0][0]
            with np.errstate(all="ignore"):
                if node.op == "neg":
                    return -x, ok
                if node.op == "abs":
                    return np.abs(x), ok
                y = parts[1][0]
                ops = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "//": np.floor_divide,
                       "%": np.mod, "**": np.power}
                if node.op not in ops:
                    raise ScanError(f"Cannot aggregate {node!r} row by row.")
                values = ops[node.op](x, y)
            return values, ok & ~np.isnan(values)
        raise ScanError(f"Cannot aggregate {node!r} row by row.")

    def _samples(self, leaf: Agg, codes: dict[str, tuple[np.ndarray, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """Every present (cell, value) of an order statistic's operand, sorted by cell then value."""
        assert leaf.operand is not None
        cells, values = [], []
        for i in range(len(self.snap.lengths)):
            key = self._row_cells(i, codes)
            v, ok = self._row_values(leaf.operand, i)
            keep = ok & (key >= 0)
            cells.append(key[keep])
            values.append(v[keep])
        if not cells:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        cell, value = np.concatenate(cells), np.concatenate(values)
        order = np.lexsort((value, cell))
        return cell[order], value[order]

    def _distinct_pairs(self, leaf: Agg, codes: dict[str, tuple[np.ndarray, ...]]) -> np.ndarray:
        """Distinct (cell, value code) pairs of a distinct count."""
        if not isinstance(leaf.operand, Col):
            raise ScanError(f"{leaf.func} takes a single column.")
        ref = leaf.operand.ref
        store, snap = self.runner.store, self.snap
        if ref.table == self.base:
            vdict, vcodes = column_codes(self.base_store, ref.column, snap)
            value_codes = [c.astype(np.int64) for c in vcodes]
        else:
            path = join_path(store, self.base, ref.table)
            source = path[0].mapping[0][0]
            sdict, scodes = column_codes(self.base_store, source, snap)
            vdict, per_code = self.runner.resolver.follow(path, source, sdict, ref.column)
            value_codes = [per_code[c] for c in scodes]
        n_values = max(len(vdict), 1)
        parts = []
        for i in range(len(snap.lengths)):
            key = self._row_cells(i, codes)
            keep = key >= 0
            parts.append(np.unique(key[keep] * n_values + value_codes[i][keep]))
        pairs = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
        return np.stack([pairs // n_values, pairs % n_values]) if len(pairs) else np.empty((2, 0), np.int64)


def _narrow(lut: np.ndarray, n_cells: int) -> np.ndarray:
    """int32 lookup tables when cells allow: half the cache footprint in the scan."""
    if n_cells >= 1 << 30:
        return lut
    return np.where(lut < 0, -(1 << 30), lut).astype(np.int32)


def _fold_codes(acc: execute.Accumulated, shape: Shape, lut: np.ndarray, n_cells: int,
                counts: np.ndarray | None) -> execute.Accumulated:
    """Accumulators per source code -> per cell (several codes may share a member)."""

    def fold(func: str, values: np.ndarray) -> np.ndarray:
        return combine_at(func, values, lut, n_cells)

    rows = fold("sum", acc.rows if counts is None else counts[: len(lut)])
    arrays = [fold(a.func, arr) for a, arr in zip(shape.accumulators, acc.arrays)]
    present = [fold("sum", p) if p is not None else None for p in acc.present]
    return execute.Accumulated(rows, arrays, present)


__all__ = ["Scan", "ScanError", "ScanResult"]
