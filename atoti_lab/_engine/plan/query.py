"""cube.query: plan a query over the model and the store, run it, return a CellSet.

Plan: the queried levels, with the levels above them in their hierarchies, are the *grouping
levels*; each cell is one combination of their members, numbered in mixed radix so that cell order
is member order. Every grouping level contributes ``member index * stride`` through a lookup table
over the codes of its source column; levels sharing a source share one table, and a filter on a
level excludes members by writing EXCLUDED into the same table. Leaf aggregates of all queried
measures then run in one fused kernel (see backends/memory/kernels.py); measures built on top of
them are computed per cell; totals are re-aggregated from the leaf cells' accumulators (so MEAN
and distinct counts are right at every level).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from .. import types as T
from ..backends.memory import execute
from ..backends.memory.kernels import EXCLUDED, Accumulator, Shape, lanes_for
from ..expr.condition import And, ColumnRef, Compare, IsIn, IsNull, LevelRef, Node, Not, Or, conjuncts, subjects
from ..expr.measure import Agg, Col, Lit, MeasureRef, Op, columns_of
from ..model.cube import CubeModel, HierarchyDef, LevelDef
from ..store.database import Store
from ..store.encoded import code_counts, column_codes
from .evaluate import Vec, evaluate, finalize, is_integer_type, leaf_aggregates, result_type
from .levels import LevelMembers, LevelResolver, join_path

# Dense cell arrays above this size would cost more memory than the scan saves.
MAX_CELLS = 1 << 26


@dataclass(frozen=True)
class QuerySpec:
    measures: tuple[str, ...]
    levels: tuple[LevelRef, ...] = ()
    filter: Node | None = None
    include_totals: bool = False
    include_empty_rows: bool = False


@dataclass
class GroupLevel:
    ref: LevelRef
    hierarchy: HierarchyDef
    definition: LevelDef
    members: LevelMembers


@dataclass
class CellSet:
    levels: list[GroupLevel]
    member_index: list[np.ndarray]  # per grouping level, per row: member index, -1 on total rows
    values: dict[str, Vec]
    types: dict[str, str]

    @property
    def row_count(self) -> int:
        return len(self.member_index[0]) if self.member_index else (len(next(iter(self.values.values()))) if self.values else 1)


class QueryError(ValueError):
    pass


def grouping_levels(model: CubeModel, refs: tuple[LevelRef, ...]) -> list[tuple[LevelRef, HierarchyDef, LevelDef]]:
    depth: dict[tuple[str, str], int] = {}
    for ref in refs:
        h = model.hierarchies.get((ref.dimension, ref.hierarchy))
        if h is None:
            raise QueryError(f"The cube has no hierarchy {ref.dimension}/{ref.hierarchy}.")
        names = [lvl.name for lvl in h.levels]
        if ref.level not in names:
            raise QueryError(f"Hierarchy {ref.dimension}/{ref.hierarchy} has no level {ref.level!r}.")
        depth[h.key] = max(depth.get(h.key, -1), names.index(ref.level))
    out = []
    for key, d in depth.items():
        h = model.hierarchies[key]
        for lvl in h.levels[: d + 1]:
            out.append((LevelRef(h.dimension, h.name, lvl.name), h, lvl))
    return out


def _level_def(model: CubeModel, ref: LevelRef) -> LevelDef:
    h = model.hierarchies.get((ref.dimension, ref.hierarchy))
    lvl = next((x for x in h.levels if x.name == ref.level), None) if h is not None else None
    if lvl is None:
        raise QueryError(f"The cube has no level {ref}.")
    return lvl


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _coerce(sample: Any, value: Any) -> Any:
    """Filter values written as text for date levels are accepted, as in atoti."""
    import datetime as dt

    if isinstance(value, str) and isinstance(sample, dt.datetime):
        return dt.datetime.fromisoformat(value)
    if isinstance(value, str) and isinstance(sample, dt.date):
        return dt.date.fromisoformat(value)
    return value


def _test_members(node: Node, values: list[Any]) -> np.ndarray:
    """Which member values satisfy a condition on one level."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(node, IsNull):
        return np.array([v is None for v in values], np.bool_)
    if isinstance(node, IsIn):
        wanted = {_coerce(sample, v) for v in node.values}
        return np.array([v in wanted for v in values], np.bool_)
    assert isinstance(node, Compare)
    target = _coerce(sample, node.value)
    op = _OPS[node.op]
    out = []
    for v in values:
        if node.op in ("==", "!="):
            out.append(op(v, target))
        else:
            try:
                out.append(v is not None and target is not None and bool(op(v, target)))
            except TypeError:
                raise QueryError(f"Cannot compare the members of {node.subject} with {node.value!r}.") from None
    return np.array(out, np.bool_)


class QueryRunner:
    """Runs queries on one cube; keeps the level lookup tables between queries."""

    def __init__(self, store: Store, model: CubeModel) -> None:
        self.store = store
        self.model = model
        self.resolver = LevelResolver(store, model.base_table)

    # -- filters --------------------------------------------------------------------------------
    def _codes_allowed(self, node: Node) -> tuple[str, np.ndarray]:
        """(source, allowed per source code) for a condition whose levels share one source."""
        refs = subjects(node)
        members = {ref: self.resolver.members(_level_def(self.model, ref)) for ref in refs}
        sources = {m.source for m in members.values()}
        if len(sources) != 1:
            raise QueryError(
                "A filter combining levels of different columns with `|` or `~` is not supported yet; "
                "combine such conditions with `&`."
            )
        source = sources.pop()

        def walk(n: Node) -> np.ndarray:
            if isinstance(n, And):
                out = walk(n.parts[0])
                for p in n.parts[1:]:
                    out = out & walk(p)
                return out
            if isinstance(n, Or):
                out = walk(n.parts[0])
                for p in n.parts[1:]:
                    out = out | walk(p)
                return out
            if isinstance(n, Not):
                return ~walk(n.part)
            m = members[n.subject]  # type: ignore[union-attr]
            return _test_members(n, m.values)[m.member_of_code] if len(m.values) else np.zeros(0, np.bool_)

        return source, walk(node)

    # -- the query ------------------------------------------------------------------------------
    def run(self, spec: QuerySpec) -> CellSet:
        with self.store.read():
            self.resolver._snaps.clear()
            return self._run(spec)

    def _run(self, spec: QuerySpec) -> CellSet:
        model, base = self.model, self.model.base_table
        base_store = self.store.tables[base]
        snap = self.resolver.snapshot(base)
        grouping = grouping_levels(model, spec.levels)
        groups = [GroupLevel(ref, h, lvl, self.resolver.members(lvl)) for ref, h, lvl in grouping]
        cards = [len(g.members.values) for g in groups]
        strides = [1] * len(groups)
        for i in range(len(groups) - 2, -1, -1):
            strides[i] = strides[i + 1] * max(cards[i + 1], 1)
        n_cells = math.prod(cards) if groups else 1
        if n_cells > MAX_CELLS:
            raise QueryError(f"The query has {n_cells:,} possible cells, more than {MAX_CELLS:,}: filter it or query fewer levels.")

        luts: dict[str, np.ndarray] = {}
        for g, stride in zip(groups, strides):
            m = g.members
            lut = luts.setdefault(m.source, np.zeros(len(m.member_of_code), np.int64))
            lut += m.member_of_code * stride
        conditions = list(conjuncts(spec.filter)) if spec.filter is not None else []
        grouped = {(r.dimension, r.hierarchy) for r, _, _ in grouping}
        filtered = {(s.dimension, s.hierarchy) for c in conditions for s in subjects(c)}
        for h in model.hierarchies.values():
            # A slicing hierarchy that the query does not mention shows its first member only.
            if h.slicing and h.key not in grouped and h.key not in filtered:
                first = self.resolver.members(h.levels[0])
                if first.values:
                    conditions.append(Compare(LevelRef(h.dimension, h.name, h.levels[0].name), "==", first.values[0]))
        for cond in conditions:
            source, allowed = self._codes_allowed(cond)
            lut = luts.setdefault(source, np.zeros(len(allowed), np.int64))
            lut[~allowed] = EXCLUDED

        # Leaf aggregates of every queried measure.
        nodes = {name: md.node for name, md in model.measures.items()}
        for name in spec.measures:
            if name not in nodes:
                raise QueryError(f"The cube has no measure {name!r}.")
        leaves: list[Agg] = []
        for name in spec.measures:
            for leaf in leaf_aggregates(MeasureRef(name), nodes):
                if leaf not in leaves:
                    leaves.append(leaf)

        code_sources = list(luts)
        value_slots: list[tuple[str, Any]] = []  # ("direct", column) or ("lut", (source, values))
        value_index: dict[ColumnRef, int] = {}
        value_nullable: dict[int, bool] = {}

        def value_of(ref: ColumnRef) -> int:
            if ref in value_index:
                return value_index[ref]
            j = len(value_slots)
            if ref.table == base:
                spec_ = base_store.columns[ref.column]
                value_slots.append(("direct", ref.column))
                # Missing values: NaN in float columns, a validity mask in integer ones.
                has_mask = any(v is not None for v in snap.valid[ref.column])
                value_nullable[j] = has_mask or (spec_.nullable and spec_.data_type in (T.FLOAT, T.DOUBLE))
            else:
                source, table = self._joined_values(ref)
                if source not in code_sources:
                    code_sources.append(source)
                value_slots.append(("lut", (source, table)))
                value_nullable[j] = table.dtype.kind == "f" and bool(np.isnan(table).any())
            value_index[ref] = j
            return j

        def expression(node: Node) -> str:
            if isinstance(node, Col):
                return f"V{value_of(node.ref)}"
            if isinstance(node, Lit):
                return repr(float(node.value) if isinstance(node.value, float) else node.value)
            if isinstance(node, Op):
                args = [expression(a) for a in node.args]
                if node.op == "neg":
                    return f"(-{args[0]})"
                if node.op == "abs":
                    return f"abs({args[0]})"
                return f"({args[0]} {node.op} {args[1]})"
            raise QueryError(f"Cannot aggregate {node!r} row by row.")

        fused = [leaf for leaf in leaves if leaf.func != "count_distinct"]
        operands: list[str] = []
        accumulators: list[Accumulator] = []
        acc_dtypes: list[np.dtype] = []
        acc_of_leaf: dict[Agg, int] = {}
        for leaf in fused:
            if leaf.operand is None or leaf.func == "count":
                continue
            text = expression(leaf.operand)
            if text not in operands:
                operands.append(text)
            used = [value_index[c] for c in columns_of(leaf.operand)]
            nullable = any(value_nullable[j] for j in used)
            func = {"mean": "sum"}.get(leaf.func, leaf.func)
            acc = Accumulator(func, operands.index(text), nullable or leaf.func == "mean")
            operand_type = self._operand_type(leaf.operand)
            acc_of_leaf[leaf] = len(accumulators)
            accumulators.append(acc)
            acc_dtypes.append(np.dtype(np.int64 if is_integer_type(operand_type) else np.float64))

        valid_columns = {j for j, (kind, col) in enumerate(value_slots)
                         if kind == "direct" and any(v is not None for v in snap.valid[col])}
        shape = Shape(
            n_codes=len(code_sources),
            keyed=tuple(i for i, s in enumerate(code_sources) if s in luts),
            values=tuple((kind, code_sources.index(payload[0]) if kind == "lut" else -1, j in valid_columns)
                         for j, (kind, payload) in enumerate(value_slots)),
            operands=tuple(operands),
            accumulators=tuple(accumulators),
            count_rows=any(leaf.func == "count" or leaf.operand is None for leaf in fused),
            lanes=1,
        )
        keyed = [s for s in code_sources if s in luts]
        # One grouping column and no filter on it: aggregate by its codes, fold into cells after.
        direct = len(keyed) == 1 and not (luts[keyed[0]] < 0).any()
        width = len(luts[keyed[0]]) if direct else n_cells
        shape = replace(shape, direct=direct, lanes=lanes_for(width))
        codes_per_source = {s: column_codes(base_store, s, snap)[1] for s in code_sources}
        segments = []
        for i, length in enumerate(snap.lengths):
            seg_values, seg_valid = [], []
            for j, (kind, payload) in enumerate(value_slots):
                if kind == "direct":
                    seg_values.append(snap.columns[payload][i])
                    v = snap.valid[payload][i]
                    seg_valid.append(v if v is not None or j not in valid_columns else np.ones(length, np.bool_))
                else:
                    seg_values.append(payload[1])
                    seg_valid.append(None)
            segments.append(execute.SegmentInput(length, [codes_per_source[s][i] for s in code_sources],
                                                 seg_values, seg_valid))
        if direct:
            acc = execute.run(shape, [], segments, width, acc_dtypes)
            acc = _fold_codes(acc, shape, luts[keyed[0]], n_cells,
                              None if shape.count_rows else code_counts(base_store, keyed[0], snap))
        else:
            key_luts = [_narrow(luts[s], n_cells) for s in keyed]
            acc = execute.run(shape, key_luts, segments, n_cells, acc_dtypes)

        distinct = {leaf: self._distinct_pairs(leaf, luts, code_sources, codes_per_source, snap)
                    for leaf in leaves if leaf.func == "count_distinct"}

        cells = np.flatnonzero(acc.rows > 0)
        if spec.include_empty_rows and groups:
            cells = self._empty_rows(groups, cells, strides, cards)

        # Cell accumulators of the leaf cells, compacted; totals regroup them by prefix.
        leaf_state = _State(acc.rows[cells], [a[cells] for a in acc.arrays],
                            [p[cells] if p is not None else None for p in acc.present],
                            {leaf: _pairs_at(pairs, cells) for leaf, pairs in distinct.items()})
        states = [(len(groups), cells, leaf_state)]
        if spec.include_totals:
            for p in range(len(groups)):
                if not self._total_allowed(groups, p):
                    continue
                key = cells // strides[p - 1] if p else np.zeros(len(cells), np.int64)
                states.append((p, key, leaf_state.regroup(key, accumulators)))

        # Row order: members in order, each total or subtotal before the rows it sums.
        blocks_index: list[np.ndarray] = [[] for _ in groups]  # type: ignore[misc]
        blocks_state: list[tuple[int, _State]] = []
        for p, keys, state in states:
            unique_keys = keys if p == len(groups) else np.unique(keys)
            idx = []
            for i, g in enumerate(groups):
                if i < p:
                    stride_p = strides[p - 1] if p else 1
                    cell_ids = unique_keys * stride_p
                    idx.append((cell_ids // strides[i]) % max(cards[i], 1))
                else:
                    idx.append(np.full(len(unique_keys), -1, np.int64))
            for i in range(len(groups)):
                blocks_index[i].append(idx[i])
            blocks_state.append((p, state))
        member_index = [np.concatenate(b) if b else np.empty(0, np.int64) for b in blocks_index]
        if len(states) > 1:
            # Totals sort before the members they sum: -1 comes first on each level.
            order = np.lexsort(tuple(reversed(member_index)))
        else:
            order = np.arange(len(cells))  # cells are numbered in member order already

        values: dict[str, Vec] = {}
        types: dict[str, str] = {}
        for name in spec.measures:
            md = model.measures[name]
            types[name] = md.data_type
            parts = [self._measure_values(name, nodes, state, accumulators, acc_of_leaf) for _, state in blocks_state]
            values[name] = Vec(np.concatenate([v.values for v in parts])[order] if parts else np.empty(0),
                               np.concatenate([v.present for v in parts])[order] if parts else np.empty(0, np.bool_))
        if not groups and not spec.measures:
            values = {}
        return CellSet(groups, [m[order] for m in member_index], values, types)

    def _total_allowed(self, groups: list[GroupLevel], p: int) -> bool:
        """A prefix that leaves out a whole slicing hierarchy has no total row."""
        kept = {g.hierarchy.key for g in groups[:p]}
        return not any(g.hierarchy.slicing and g.hierarchy.key not in kept for g in groups[p:])

    def _empty_rows(self, groups: list[GroupLevel], cells: np.ndarray, strides: list[int], cards: list[int]) -> np.ndarray:
        """Every combination of the hierarchies' existing member paths."""
        per_h: dict[tuple[str, str], list[int]] = {}
        for i, g in enumerate(groups):
            per_h.setdefault(g.hierarchy.key, []).append(i)
        combos = np.zeros(1, np.int64)
        for idxs in per_h.values():
            part = sum(((cells // strides[i]) % max(cards[i], 1)) * strides[i] for i in idxs)
            part = np.unique(part)
            combos = (combos[:, None] + part[None, :]).ravel()
        return np.unique(np.concatenate([combos, cells]))

    def _operand_type(self, node: Node) -> str:
        return result_type(node, self._column_type, lambda name: self.model.measures[name].data_type)

    def _column_type(self, ref: object) -> str:
        assert isinstance(ref, ColumnRef)
        return self.store.tables[ref.table].columns[ref.column].data_type

    def _joined_values(self, ref: ColumnRef) -> tuple[str, np.ndarray]:
        """A numeric column of a joined table as a table over the codes of a base source column."""
        spec = self.store.tables[ref.table].columns[ref.column]
        lvl = LevelDef(ref.column, ref, None, data_type=spec.data_type)
        path = join_path(self.store, self.model.base_table, ref.table)
        source = path[0].mapping[0][0]
        base_store = self.store.tables[self.model.base_table]
        source_dict, _ = column_codes(base_store, source, self.resolver.snapshot(self.model.base_table))
        final_dict, codes = self.resolver._follow(path, source, source_dict, ref.column)
        raw = [final_dict.key(int(c)) for c in codes]
        if spec.data_type in (T.INT, T.LONG) and all(v is not None for v in raw):
            return source, np.array(raw, np.int64)
        del lvl
        return source, np.array([np.nan if v is None else v for v in raw], np.float64)

    def _distinct_pairs(self, leaf: Agg, luts: dict[str, np.ndarray], code_sources: list[str],
                        codes_per_source: dict[str, tuple[np.ndarray, ...]], snap: Any) -> np.ndarray:
        """Distinct (cell, value code) pairs of a distinct count, as cell * n_values + code."""
        cols = columns_of(leaf.operand)
        if len(cols) != 1 or not isinstance(leaf.operand, Col):
            raise QueryError("count_distinct takes a single column.")
        ref = cols[0]
        base_store = self.store.tables[self.model.base_table]
        if ref.table == self.model.base_table:
            vdict, vcodes = column_codes(base_store, ref.column, snap)
            value_codes = [c.astype(np.int64) for c in vcodes]
        else:
            source = join_path(self.store, self.model.base_table, ref.table)[0].mapping[0][0]
            sdict, scodes = column_codes(base_store, source, snap)
            vdict, per_code = self.resolver._follow(join_path(self.store, self.model.base_table, ref.table),
                                                    source, sdict, ref.column)
            value_codes = [per_code[c] for c in scodes]
        n_values = max(len(vdict), 1)
        parts = []
        for i in range(len(snap.lengths)):
            key = np.zeros(snap.lengths[i], np.int64)
            for s in code_sources:
                if s in luts:
                    key += luts[s][codes_per_source[s][i]]
            keep = key >= 0
            parts.append(np.unique(key[keep] * n_values + value_codes[i][keep]))
        pairs = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
        return np.stack([pairs // n_values, pairs % n_values]) if len(pairs) else np.empty((2, 0), np.int64)

    def _measure_values(self, name: str, nodes: dict[str, Node], state: _State, accumulators: list[Accumulator],
                        acc_of_leaf: dict[Agg, int]) -> Vec:
        n = len(state.rows)
        cache: dict[str, Vec] = {}

        def leaf(agg: Agg) -> Vec:
            if agg.func == "count_distinct":
                counts = state.distinct_counts(agg)
                return Vec(counts, counts > 0)
            if agg.operand is None or agg.func == "count":
                return finalize("count", None, None, state.rows, True)
            a = acc_of_leaf[agg]
            integer = is_integer_type(self._operand_type(agg.operand))
            return finalize(agg.func, state.arrays[a], state.present[a], state.rows, integer)

        def measure(ref: str) -> Vec:
            if ref not in cache:
                cache[ref] = evaluate(nodes[ref], leaf, measure, n)
            return cache[ref]

        return measure(name)


def _narrow(lut: np.ndarray, n_cells: int) -> np.ndarray:
    """int32 lookup tables when cells allow: half the cache footprint in the scan."""
    if n_cells >= 1 << 30:
        return lut
    return np.where(lut < 0, -(1 << 30), lut).astype(np.int32)


def _fold_codes(acc: execute.Accumulated, shape: Shape, lut: np.ndarray, n_cells: int,
                counts: np.ndarray | None) -> execute.Accumulated:
    """Accumulators per source code -> per cell (several codes may share a member)."""

    def fold(func: str, values: np.ndarray) -> np.ndarray:
        if func in ("min", "max"):
            fill = (np.inf if func == "min" else -np.inf) if values.dtype.kind == "f" else \
                (np.iinfo(np.int64).max if func == "min" else np.iinfo(np.int64).min)
            out = np.full(n_cells, fill, values.dtype)
            (np.minimum if func == "min" else np.maximum).at(out, lut, values)
            return out
        out = np.zeros(n_cells, values.dtype)
        np.add.at(out, lut, values)
        return out

    rows = fold("sum", acc.rows if counts is None else counts[: len(lut)])
    arrays = [fold(a.func, arr) for a, arr in zip(shape.accumulators, acc.arrays)]
    present = [fold("sum", p) if p is not None else None for p in acc.present]
    return execute.Accumulated(rows, arrays, present)


class _State:
    """Accumulators of some cells (leaf cells, or totals built from them)."""

    def __init__(self, rows: np.ndarray, arrays: list[np.ndarray], present: list[np.ndarray | None],
                 pairs: dict[Agg, np.ndarray]) -> None:
        self.rows, self.arrays, self.present, self.pairs = rows, arrays, present, pairs

    def regroup(self, key: np.ndarray, accumulators: list[Accumulator]) -> _State:
        groups, inverse = np.unique(key, return_inverse=True)
        n = len(groups)
        rows = np.zeros(n, np.int64)
        np.add.at(rows, inverse, self.rows)
        arrays = []
        for acc, arr in zip(accumulators, self.arrays):
            if acc.func == "min":
                out = np.full(n, np.inf if arr.dtype.kind == "f" else np.iinfo(np.int64).max, arr.dtype)
                np.minimum.at(out, inverse, arr)
            elif acc.func == "max":
                out = np.full(n, -np.inf if arr.dtype.kind == "f" else np.iinfo(np.int64).min, arr.dtype)
                np.maximum.at(out, inverse, arr)
            else:
                out = np.zeros(n, arr.dtype)
                np.add.at(out, inverse, arr)
            arrays.append(out)
        present = []
        for p in self.present:
            if p is None:
                present.append(None)
            else:
                out = np.zeros(n, np.int64)
                np.add.at(out, inverse, p)
                present.append(out)
        pairs = {}
        for leaf, (cell_pos, codes) in self.pairs.items():
            merged = np.unique(inverse[cell_pos] * (int(codes.max(initial=0)) + 1) + codes)
            width = int(codes.max(initial=0)) + 1
            pairs[leaf] = (merged // width, merged % width)
        return _State(rows, arrays, present, pairs)

    def distinct_counts(self, leaf: Agg) -> np.ndarray:
        cell_pos, _ = self.pairs[leaf]
        return np.bincount(cell_pos, minlength=len(self.rows)).astype(np.int64)


def _pairs_at(pairs: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairs re-expressed against the positions of `cells` (the compacted leaf cells)."""
    cell_ids, codes = pairs
    pos = np.searchsorted(cells, cell_ids)
    ok = (pos < len(cells)) & (cells[np.minimum(pos, len(cells) - 1)] == cell_ids) if len(cells) else np.zeros(len(cell_ids), np.bool_)
    return pos[ok], codes[ok]
