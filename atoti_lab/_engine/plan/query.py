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

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import types as T
from ..backends.memory.kernels import EXCLUDED
from ..expr.condition import And, ColumnRef, Compare, IsIn, IsNull, LevelRef, Node, Not, Or, conjuncts, subjects
from ..expr.measure import Agg, MeasureRef
from ..model.cube import CubeModel, HierarchyDef, LevelDef
from ..store.database import Store
from ..store.encoded import column_codes
from ..store.table import TableSnapshot
from .array_scan import vectors_at
from .cells import State, leaf_values, pairs_at, result_rows
from .context import CellContext
from .distinct import value_dictionary
from .evaluate import Vec, is_integer_type, leaf_aggregates, result_type
from .grid import Grid
from .levels import LevelMembers, LevelResolver, join_path
from .members import OPS as _OPS
from .members import MemberTestError, test_members
from .navigation import NavigationError, required_levels, variant_filter
from .scan import Scan, ScanError, ScanResult

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
class Prepared:
    """A planned query: what the scan needs and what turns its accumulators into a result."""

    spec: QuerySpec
    snap: TableSnapshot
    groups: list[GroupLevel]  # the grid's levels: those the query shows, then what navigation needs
    shown: list[int]  # positions in `groups` of the levels the result shows
    cards: list[int]
    strides: list[int]
    n_cells: int
    luts: dict[str, np.ndarray]
    masks: dict[str, tuple[np.ndarray, ...]]
    nodes: dict[str, Node]
    outputs: dict[str, Node]
    leaves: list[Agg]
    measure_conditions: list[Node]


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


class QueryRunner:
    """Runs queries on one cube; keeps the level lookup tables between queries."""

    def __init__(self, store: Store, model: CubeModel) -> None:
        self.store = store
        self.model = model
        self.resolver = LevelResolver(store, model.base_table)

    # -- filters --------------------------------------------------------------------------------
    def _allowed(self, node: Node) -> tuple[list[str], Callable[[dict[str, np.ndarray]], np.ndarray]]:
        """The source columns a level condition reads, and a function from their codes (one array
        per source, aligned) to which of those entries satisfy it."""
        refs = subjects(node)
        members = {ref: self.resolver.members(_level_def(self.model, ref)) for ref in refs}

        def walk(n: Node, codes: dict[str, np.ndarray]) -> np.ndarray:
            if isinstance(n, And):
                out = walk(n.parts[0], codes)
                for p in n.parts[1:]:
                    out = out & walk(p, codes)
                return out
            if isinstance(n, Or):
                out = walk(n.parts[0], codes)
                for p in n.parts[1:]:
                    out = out | walk(p, codes)
                return out
            if isinstance(n, Not):
                return ~walk(n.part, codes)
            m = members[n.subject]  # type: ignore[union-attr]
            member_ok = test_members(n, m.values)
            per_code = member_ok[m.member_of_code] if len(m.values) else np.zeros(len(m.member_of_code), np.bool_)
            return per_code[codes[m.source]]

        return sorted({m.source for m in members.values()}), lambda codes: walk(node, codes)

    # -- the query ------------------------------------------------------------------------------
    def run(self, spec: QuerySpec) -> CellSet:
        with self.store.read():
            self.resolver.new_snapshots()
            try:
                return self._run(spec)
            except MemberTestError as e:
                raise QueryError(str(e)) from None

    def _run(self, spec: QuerySpec) -> CellSet:
        prepared = self.prepare(spec)
        return self.finish(prepared, self.scan(prepared))

    def prepare(self, spec: QuerySpec) -> Prepared:
        """Plan `spec` on the current snapshot: grouping levels, lookup tables, leaf aggregates."""
        model = self.model
        snap = self.resolver.snapshot(model.base_table)
        nodes = {name: md.node for name, md in model.measures.items()}
        level_conditions, measure_conditions = _split_filter(spec.filter)
        outputs: dict[str, Node] = {name: MeasureRef(name) for name in spec.measures}
        for i, cond in enumerate(measure_conditions):
            for j, operand in enumerate(_measure_operands(cond)):
                outputs[f"\0condition{i}.{j}"] = operand
        unknown = sorted({ref for node in outputs.values() for ref in _refs(node) if ref not in nodes})
        if unknown:
            raise QueryError(f"The cube has no measure {unknown[0]!r}.")
        shown_refs = [(r.dimension, r.hierarchy, r.level) for r, _, _ in grouping_levels(model, spec.levels)]
        # Navigation may need levels the query does not show (e.g. a cumulative scope's level).
        grouping = grouping_levels(model, spec.levels + tuple(required_levels(outputs.values(), nodes)))
        groups = [GroupLevel(ref, h, lvl, self.resolver.members(lvl)) for ref, h, lvl in grouping]
        cards = [len(g.members.values) for g in groups]
        strides = [1] * len(groups)
        for i in range(len(groups) - 2, -1, -1):
            strides[i] = strides[i + 1] * max(cards[i + 1], 1)
        n_cells = math.prod(cards) if groups else 1
        if n_cells > MAX_CELLS:
            raise QueryError(f"The query has {n_cells:,} possible cells, more than {MAX_CELLS:,}: "
                             "filter it or query fewer levels.")
        luts = self._grouping_tables(groups, strides)
        masks = self._apply_filters(level_conditions, grouping, luts, snap)
        shown = [i for i, g in enumerate(groups) if (g.ref.dimension, g.ref.hierarchy, g.ref.level) in shown_refs]
        leaves: list[Agg] = []
        for node in outputs.values():
            leaves += [leaf for leaf in leaf_aggregates(node, nodes) if leaf not in leaves]
        return Prepared(spec, snap, groups, shown, cards, strides, n_cells, luts, masks, nodes, outputs, leaves,
                        measure_conditions)

    def scan(self, prepared: Prepared, snap: TableSnapshot | None = None, *,
             masks: dict[str, tuple[np.ndarray, ...]] | None = None, count_rows: bool = False) -> ScanResult:
        """Per-cell accumulators of the prepared query's leaf aggregates over `snap` (by default the
        snapshot it was prepared on; a snapshot of new rows only gives their contribution, and
        then `masks` are the row masks of multi-column filters for those rows, see delta_masks)."""
        p = prepared
        try:
            return Scan(self, snap or p.snap, p.luts, p.masks if masks is None else masks,
                        p.n_cells).run(p.leaves, count_rows)
        except ScanError as e:
            raise QueryError(str(e)) from None

    def delta_masks(self, prepared: Prepared, snap: TableSnapshot) -> dict[str, tuple[np.ndarray, ...]]:
        """The row masks of the prepared query's multi-column filters over the rows of `snap`."""
        if not prepared.masks:
            return {}
        level_conditions, _ = _split_filter(prepared.spec.filter)
        grouping = [(g.ref, g.hierarchy, g.definition) for g in prepared.groups]
        scratch = {k: v.copy() for k, v in prepared.luts.items()}
        return self._apply_filters(level_conditions, grouping, scratch, snap)

    def finish(self, prepared: Prepared, scanned: ScanResult) -> CellSet:
        """The result rows (totals, measures, measure filters) from the leaf cells' accumulators."""
        spec, groups, shown = prepared.spec, prepared.groups, prepared.shown
        outputs, nodes, measure_conditions = prepared.outputs, prepared.nodes, prepared.measure_conditions
        grid = self._grid(prepared, scanned)
        shown_groups = [groups[i] for i in shown]
        totals = [p for p in range(len(shown)) if _total_allowed(shown_groups, p)] if spec.include_totals else []
        loc = result_rows(grid, shown, totals, spec.include_empty_rows)
        n_rows = len(loc[0]) if loc else 1
        variants: dict[object, Grid] = {}

        def variant(key: Any) -> Grid:
            """The grid scanned under another level filter (apply_filters=False, tt.filter)."""
            level_filter = _split_filter(spec.filter)[0]
            parts = variant_filter(level_filter, key)
            if parts == level_filter:
                return grid
            if key not in variants:
                levels = tuple(g.ref for g in groups)
                new_filter = None if not parts else parts[0] if len(parts) == 1 else And(tuple(parts))
                other = self.prepare(QuerySpec(spec.measures, levels, new_filter))
                variants[key] = self._grid(other, self.scan(other))
            return variants[key]

        ctx = CellContext(grid, loc, n_rows, nodes, variant)
        try:
            values = {name: ctx.value(node) for name, node in outputs.items()}
        except (NavigationError, MemberTestError) as e:
            raise QueryError(str(e)) from None
        member_index = [loc[i] for i in shown]
        hidden = {k: values.pop(k) for k in list(values) if k.startswith("\0")}
        if measure_conditions:
            vec_of = {outputs[k]: v for k, v in hidden.items()}
            keep = np.logical_and.reduce([_measure_test(c, vec_of) for c in measure_conditions])
            member_index = [m[keep] for m in member_index]
            values = {k: Vec(v.values[keep], v.present[keep]) for k, v in values.items()}
        if values and not spec.include_empty_rows:
            # Rows where every queried measure is empty are left out, as atoti does.
            keep = np.logical_or.reduce([v.present for v in values.values()])
            if not keep.all():
                member_index = [m[keep] for m in member_index]
                values = {k: Vec(v.values[keep], v.present[keep]) for k, v in values.items()}
        types = {name: self.model.measures[name].data_type for name in spec.measures}
        return CellSet(shown_groups, member_index, values, types)

    def _grid(self, prepared: Prepared, scanned: ScanResult) -> Grid:
        acc = scanned.accumulated
        cells = np.flatnonzero(acc.rows > 0)
        leaf_state = State(acc.rows[cells], [a[cells] for a in acc.arrays],
                           [p[cells] if p is not None else None for p in acc.present],
                           {leaf: pairs_at(pairs, cells) for leaf, pairs in scanned.distinct.items()},
                           {leaf: pairs_at(pairs, cells) for leaf, pairs in scanned.samples.items()},
                           {leaf: vectors_at(found, v, cells) for leaf, (found, v) in scanned.vectors.items()})

        def leaf_value(state: State, agg: Agg) -> Vec:
            return leaf_values(state, agg, scanned.acc_of_leaf, lambda node: is_integer_type(self.operand_type(node)),
                               lambda ref: value_dictionary(self, ref))

        return Grid(prepared.groups, prepared.strides, prepared.cards, cells, leaf_state,
                    lambda state, inverse: state.regroup(inverse, scanned.accumulators), leaf_value)

    def _grouping_tables(self, groups: list[GroupLevel], strides: list[int]) -> dict[str, np.ndarray]:
        """Per source column: code -> sum of its grouping levels' member index * stride."""
        luts: dict[str, np.ndarray] = {}
        for g, stride in zip(groups, strides):
            m = g.members
            lut = luts.setdefault(m.source, np.zeros(len(m.member_of_code), np.int64))
            lut += m.member_of_code * stride
        return luts

    def _apply_filters(self, conditions: list[Node], grouping: list, luts: dict[str, np.ndarray],
                       snap: TableSnapshot) -> dict[str, tuple[np.ndarray, ...]]:
        """Fold level conditions into the lookup tables; returns row masks for the conditions that
        span several columns (each becomes one more keyed code array of the scan)."""
        conditions = list(conditions)
        grouped = {(r.dimension, r.hierarchy) for r, _, _ in grouping}
        filtered = {(s.dimension, s.hierarchy) for c in conditions for s in subjects(c)}
        for h in self.model.hierarchies.values():
            # A slicing hierarchy that the query does not mention shows its first member only.
            if h.slicing and h.key not in grouped and h.key not in filtered:
                first = self.resolver.members(h.levels[0])
                if first.values:
                    conditions.append(Compare(LevelRef(h.dimension, h.name, h.levels[0].name), "==", first.values[0]))
        base_store = self.store.tables[self.model.base_table]
        masks: dict[str, tuple[np.ndarray, ...]] = {}
        for cond in conditions:
            sources, test = self._allowed(cond)
            if len(sources) == 1:
                # Excluded members get EXCLUDED in their source's table: filtering costs nothing.
                source = sources[0]
                size = len(column_codes(base_store, source, snap)[0])
                lut = luts.setdefault(source, np.zeros(size, np.int64))
                lut[~test({source: np.arange(len(lut))})] = EXCLUDED
            else:
                # Tested row by row once; the mask joins the scan with the table [EXCLUDED, 0].
                per_source = {src: column_codes(base_store, src, snap)[1] for src in sources}
                name = f"\0filter{len(masks)}"
                masks[name] = tuple(test({src: per_source[src][i] for src in sources}).astype(np.uint8)
                                    for i in range(len(snap.lengths)))
                luts[name] = np.array([EXCLUDED, 0], np.int64)
        return masks

    # -- types and joined values ----------------------------------------------------------------
    def operand_type(self, node: Node) -> str:
        return result_type(node, self._column_type, lambda name: self.model.measures[name].data_type)

    def _column_type(self, ref: object) -> str:
        assert isinstance(ref, ColumnRef)
        return self.store.tables[ref.table].columns[ref.column].data_type

    def joined_values(self, ref: ColumnRef) -> tuple[str, np.ndarray]:
        """A numeric column of a joined table as a table over the codes of a base source column."""
        spec = self.store.tables[ref.table].columns[ref.column]
        path = join_path(self.store, self.model.base_table, ref.table)
        source = path[0].mapping[0][0]
        base_store = self.store.tables[self.model.base_table]
        source_dict, _ = column_codes(base_store, source, self.resolver.snapshot(self.model.base_table))
        final_dict, codes = self.resolver.follow(path, source, source_dict, ref.column)
        raw = [final_dict.key(int(c)) for c in codes]
        if spec.data_type in (T.INT, T.LONG) and all(v is not None for v in raw):
            return source, np.array(raw, np.int64)
        return source, np.array([np.nan if v is None else v for v in raw], np.float64)


def _split_filter(node: Node | None) -> tuple[list[Node], list[Node]]:
    """The filter's conjuncts on levels (applied in the scan) and on measures (applied to rows)."""
    levels, measures = [], []
    for cond in conjuncts(node) if node is not None else ():
        kinds = {isinstance(s, LevelRef) for s in subjects(cond)}
        if kinds == {True}:
            levels.append(cond)
        elif kinds == {False}:
            measures.append(cond)
        else:
            raise QueryError("A filter cannot mix levels and measures inside `|` or `~`: combine them with `&`.")
    return levels, measures


def _measure_operands(cond: Node) -> list[Any]:
    """The measure expressions a measure condition compares (subjects, and measures compared to)."""
    found: list[Any] = []
    for n in conjuncts(cond) if not isinstance(cond, (Or, Not)) else [cond]:
        if isinstance(n, (Or, And)):
            parts = list(n.parts)
        elif isinstance(n, Not):
            parts = [n.part]
        else:
            parts = []
        for p in parts:
            found += [x for x in _measure_operands(p) if x not in found]
        if isinstance(n, (Compare, IsIn, IsNull)):
            for x in (n.subject, getattr(n, "value", None)):
                # Constants (numbers, strings, dates: e.g. a max_member of a date level) are not operands.
                if x is not None and not isinstance(x, (int, float, str, bool, dt.date, dt.time)) and x not in found:
                    found.append(x)
    return found


def _refs(node: Node) -> set[str]:
    from ..expr.measure import measure_refs

    return {node.name} if isinstance(node, MeasureRef) else measure_refs(node)


def _measure_test(cond: Node, vec_of: dict[Node, Vec]) -> np.ndarray:
    """Rows whose measure values satisfy `cond` (an empty value satisfies nothing but isnull)."""
    if isinstance(cond, And):
        return np.logical_and.reduce([_measure_test(p, vec_of) for p in cond.parts])
    if isinstance(cond, Or):
        return np.logical_or.reduce([_measure_test(p, vec_of) for p in cond.parts])
    if isinstance(cond, Not):
        return ~_measure_test(cond.part, vec_of)
    vec = vec_of[cond.subject]  # type: ignore[union-attr]
    if isinstance(cond, IsNull):
        return ~vec.present
    if isinstance(cond, IsIn):
        return vec.present & np.isin(vec.values, [v for v in cond.values if v is not None])
    assert isinstance(cond, Compare)
    other = vec_of.get(cond.value) if not isinstance(cond.value, (int, float)) else None
    right = other.values if other is not None else cond.value
    with np.errstate(invalid="ignore"):
        result = _OPS[cond.op](vec.values, right)
    present = vec.present & (other.present if other is not None else True)
    return np.asarray(result, np.bool_) & present


def _total_allowed(groups: list[GroupLevel], p: int) -> bool:
    """A prefix that leaves out a whole slicing hierarchy has no total row."""
    kept = {g.hierarchy.key for g in groups[:p]}
    return not any(g.hierarchy.slicing and g.hierarchy.key not in kept for g in groups[p:])
