/**
 * Pivot layout: a long query result (one row per cell: level columns, then measure columns) as a
 * grid of row tuples x column tuples x measures.
 *
 * The kernel sends `cube.query(*measures, levels=rows + columns, include_totals=..., mode="raw")`
 * with schema metadata `atoti_lab.pivot` = `{"rows": R, "columns": C, "measures": [...]}`: the
 * first R columns are the row levels (the levels above a queried level included), the next C
 * the column levels, then the measures. A null level value stands for a total, except in
 * the levels only expanded members add (`expansion_levels`), where it means "not expanded". With totals on
 * both axes a second table (`cross_totals`, same columns) holds the row subtotals per column.
 *
 * Ordering: results list cells in member order (level after level, totals first), so each
 * level's member order is recovered from the result itself (see `levelRanks`) and tuples are
 * sorted by it, totals first. The same rules are implemented for the HTML snapshot in
 * `atoti_lab/widgets/pivot.py`; keep them in step.
 */
import { columnFormatter } from "../format";
import type { Formatter } from "../format";
import type { Vector } from "apache-arrow/vector";
import type { ColumnKind, WireTable } from "../wire";
import { StringInterner, allUtf8, codeOf, fastCodes, internCodes, mapMembers } from "./levels";
import type { MemberIndex, Members } from "./levels";

export const PIVOT_KEY = "atoti_lab.pivot";

export interface PivotInfo {
  /** Number of leading row-level columns. */
  readonly rows: number;
  /** Number of column-level columns after them. */
  readonly columns: number;
  readonly measures: readonly string[];
  readonly totals: boolean;
  /** Sequence number of the query run in the kernel. */
  readonly run: number;
  readonly elapsedMs: number | null;
  /**
   * Level columns (indices over rows then columns) that only expanded members add: a null there
   * means "not expanded" (a blank header), not a total.
   */
  readonly expansionLevels: readonly number[];
}

export type Tuple = readonly unknown[];

/** A list of member tuples, built on demand (a 1M-row result does not allocate 1M arrays). */
export interface TupleList {
  readonly length: number;
  at(index: number): Tuple;
}

/** The tuples of a list as an array (for tests and small lists). */
export function tupleArray(list: TupleList): Tuple[] {
  return Array.from({ length: list.length }, (_, i) => list.at(i));
}

export interface AxisLevel {
  readonly name: string;
  readonly column: number;
  readonly format: Formatter;
}

export interface MeasureColumn {
  readonly name: string;
  readonly column: number;
  readonly format: Formatter;
  readonly numeric: boolean;
}

export interface DisplayColumn {
  /** Index into `columnTuples`. */
  readonly tuple: number;
  /** Index into `measures`, or -1 when there are no measures. */
  readonly measure: number;
}

export interface PivotLayout {
  readonly info: PivotInfo;
  readonly rowLevels: readonly AxisLevel[];
  readonly columnLevels: readonly AxisLevel[];
  readonly measures: readonly MeasureColumn[];
  /** Distinct row tuples, sorted (totals first); one empty tuple when there are no row levels (and some data). */
  readonly rowTuples: TupleList;
  /** Distinct column tuples, sorted (totals first); one empty tuple when there are no column levels. */
  readonly columnTuples: TupleList;
  readonly displayColumns: readonly DisplayColumn[];
  /** Number of source rows (cells) laid out. */
  readonly cellCount: number;
  /** The raw value of a body cell; `null` when empty. */
  value(row: number, displayColumn: number): unknown;
  /** The formatted text of a body cell; `""` when empty. */
  text(row: number, displayColumn: number): string;
  /** Header labels of a row tuple (one per row level). */
  rowLabels(row: number): string[];
  /** Header labels of a column tuple (one per column level). */
  columnLabels(tuple: number): string[];
  isTotalRow(row: number): boolean;
  isTotalColumn(tuple: number): boolean;
  /** Indices (within the axis) of the levels only expanded members add. */
  readonly expansionLevels: { readonly rows: ReadonlySet<number>; readonly columns: ReadonlySet<number> };
}

const NUMERIC_KINDS = new Set<ColumnKind>(["int", "float", "decimal", "duration"]);

/** An axis with at most this many tuples is deduplicated with a Set rather than a sort. */
const SMALL_AXIS = 4096;

/** Above this many row x column tuples, cells go in a Map instead of a dense array. */
const DENSE_LIMIT = 1 << 24;

/** Read the `atoti_lab.pivot` metadata; without it every index column is a row level. */
export function pivotInfo(table: WireTable): PivotInfo {
  const raw = table.metadata.get(PIVOT_KEY);
  let parsed: Record<string, unknown> = {};
  if (raw) {
    try {
      const value: unknown = JSON.parse(raw);
      if (value && typeof value === "object") parsed = value as Record<string, unknown>;
    } catch {
      parsed = {};
    }
  }
  const n = table.columns.length;
  let measures = Array.isArray(parsed.measures) ? parsed.measures.map(String) : null;
  let rows = typeof parsed.rows === "number" ? parsed.rows : -1;
  let columns = typeof parsed.columns === "number" ? parsed.columns : 0;
  if (measures === null || rows < 0 || rows + columns + measures.length !== n) {
    const index = new Set(table.indexColumns);
    const levels = table.columns.filter((c) => index.has(c.name)).length;
    rows = levels;
    columns = 0;
    measures = table.columns.slice(levels).map((c) => c.name);
  }
  return {
    rows,
    columns,
    measures,
    totals: parsed.totals === true,
    run: typeof parsed.run === "number" ? parsed.run : 0,
    elapsedMs: typeof parsed.elapsed_ms === "number" ? parsed.elapsed_ms : null,
    expansionLevels: Array.isArray(parsed.expansion_levels)
      ? parsed.expansion_levels.filter((i): i is number => typeof i === "number" && i >= 0 && i < rows + columns)
      : [],
  };
}

function sameSchema(a: WireTable, b: WireTable): boolean {
  return (
    a.columns.length === b.columns.length &&
    a.columns.every((c, i) => c.name === b.columns[i].name)
  );
}

/**
 * The members of one level over all tables: `codes[t][r]` is the code of the value of row r of
 * table t (-1 for a total), codes numbered by first appearance; `members.value(code)` is the value.
 */
export interface Factorized {
  readonly codes: Int32Array[];
  readonly members: Members;
}

export interface ColumnLike {
  readonly length: number;
  get(row: number): unknown;
}

/**
 * Factorise the values of a level column in each table. `vectors[t]`, when given, is the Arrow
 * vector of the column, read through its buffers where its type allows (see levels.ts).
 */
export function factorize(columns: readonly ColumnLike[], vectors?: readonly (Vector | null | undefined)[]): Factorized {
  if (vectors && vectors.length === columns.length && allUtf8(vectors)) {
    const interner = new StringInterner();
    return { codes: vectors.map((v) => internCodes(v!, interner)), members: interner };
  }
  const into: MemberIndex = { index: new Map(), members: [] };
  const codes = columns.map((column, t) => {
    const fast = vectors?.[t] ? fastCodes(vectors[t]!, into) : null;
    if (fast && fast.length === column.length) return fast;
    const out = new Int32Array(column.length);
    for (let r = 0; r < column.length; r++) {
      const v = column.get(r);
      out[r] = v == null ? -1 : codeOf(into, v);
    }
    return out;
  });
  return { codes, members: mapMembers(into) };
}

/**
 * The rank of each member (by code) of level j, given the codes of levels 0..j per table.
 *
 * Two consecutive rows of a table that agree on the levels before j and hold different members
 * a then b of level j say that a comes before b. Ranks are a topological order of these
 * constraints, ties broken by first appearance. Fast path: when first appearance already meets
 * every constraint (the common case), it is the order. A cycle, which sorted input never makes,
 * falls back to appearance order for the members involved.
 */
export function levelRanks(levels: readonly Factorized[], j: number): Int32Array {
  const n = levels[j].members.size;
  const tables = levels[j].codes.length;
  const samePrefix = (t: number, r: number) => {
    for (let k = 0; k < j; k++) {
      const codes = levels[k].codes[t];
      if (codes[r - 1] !== codes[r]) return false;
    }
    return true;
  };
  let consistent = true;
  for (let t = 0; t < tables && consistent; t++) {
    const codes = levels[j].codes[t];
    for (let r = 1; r < codes.length; r++) {
      const a = codes[r - 1];
      const b = codes[r];
      if (a > b && b >= 0 && samePrefix(t, r)) {
        consistent = false;
        break;
      }
    }
  }
  const rank = new Int32Array(n);
  if (consistent) {
    for (let c = 0; c < n; c++) rank[c] = c;
    return rank;
  }
  // Kahn's algorithm over the constraint graph; the ready set is a min-heap of codes.
  const edges = new Map<number, Set<number>>();
  const indegree = new Int32Array(n);
  for (let t = 0; t < tables; t++) {
    const codes = levels[j].codes[t];
    for (let r = 1; r < codes.length; r++) {
      const a = codes[r - 1];
      const b = codes[r];
      if (a < 0 || b < 0 || a === b || !samePrefix(t, r)) continue;
      let next = edges.get(a);
      if (!next) edges.set(a, (next = new Set()));
      if (!next.has(b)) {
        next.add(b);
        indegree[b]++;
      }
    }
  }
  const heap: number[] = [];
  const push = (v: number) => {
    heap.push(v);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= heap[i]) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  for (let c = 0; c < n; c++) if (indegree[c] === 0) push(c);
  rank.fill(-1);
  let next = 0;
  while (heap.length > 0) {
    const v = pop();
    rank[v] = next++;
    for (const w of edges.get(v) ?? []) if (--indegree[w] === 0) push(w);
  }
  for (let c = 0; c < n; c++) if (rank[c] < 0) rank[c] = next++;
  return rank;
}

/**
 * Member ranks of each level, from plain values: `levels[t][j]` are the values of level j in
 * table t (null: a total). See `levelRanks`.
 */
export function memberRanks(levels: readonly (readonly unknown[][])[], nLevels: number): Map<unknown, number>[] {
  const factorized = Array.from({ length: nLevels }, (_, j) =>
    factorize(levels.map((table) => ({ length: table[j].length, get: (r: number) => table[j][r] }))),
  );
  return factorized.map((f, j) => {
    const rank = levelRanks(factorized, j);
    return new Map(Array.from({ length: f.members.size }, (_, code) => [f.members.value(code), rank[code]]));
  });
}

/**
 * Labels of a member tuple: the first total level says "Total", the ones below it are blank.
 * A null in one of `blank` (levels only expansions add: not expanded there) is blank, not a total.
 */
export function tupleLabels(values: Tuple, texts: readonly string[], blank?: ReadonlySet<number>): string[] {
  const out: string[] = [];
  let total = false;
  for (let i = 0; i < values.length; i++) {
    if (values[i] == null && blank?.has(i)) out.push("");
    else if (values[i] == null) {
      out.push(total ? "" : "Total");
      total = true;
    } else out.push(texts[i]);
  }
  return out;
}

/**
 * An axis of the pivot: the distinct tuples of its levels, sorted, and the tuple of each source
 * row. Each level contributes `rank + 1` (0 for a total) to a mixed-radix key, most significant
 * first, so that numeric key order is tuple order; keys are sorted as a Float64Array and found
 * by binary search, with no per-row Map. When the radix product exceeds 2^53 the keys are
 * zero-padded strings in a Map instead.
 */
class AxisIndex {
  /** Per table, per row: the index of the row's tuple in sorted order. */
  readonly tupleOf: Int32Array[];
  /** Per tuple: [table, row] of a source row holding it. */
  private readonly firstTable: Int32Array;
  private readonly firstRow: Int32Array;
  readonly count: number;

  constructor(
    private readonly levels: readonly Factorized[],
    ranks: readonly Int32Array[],
    lengths: readonly number[],
  ) {
    const radices = levels.map((f) => f.members.size + 1);
    let product = 1;
    for (const r of radices) product *= r;
    const total = lengths.reduce((a, b) => a + b, 0);
    const codeRank = (i: number, t: number, r: number) => {
      const code = levels[i].codes[t][r];
      return code < 0 ? 0 : ranks[i][code] + 1;
    };
    this.tupleOf = lengths.map((n) => new Int32Array(n));
    if (product <= Number.MAX_SAFE_INTEGER) {
      const keys = new Float64Array(total);
      let g = 0;
      lengths.forEach((n, t) => {
        for (let r = 0; r < n; r++, g++) {
          let key = 0;
          for (let i = 0; i < levels.length; i++) key = key * radices[i] + codeRank(i, t, r);
          keys[g] = key;
        }
      });
      // Results come sorted: when each table's keys are, merge their runs instead of sorting.
      const starts: number[] = [];
      let sortedTables = true;
      g = 0;
      lengths.forEach((n) => {
        starts.push(g);
        for (let r = 1; r < n && sortedTables; r++) if (keys[g + r] < keys[g + r - 1]) sortedTables = false;
        g += n;
      });
      let distinct: Float64Array;
      if (sortedTables) {
        let merged = new Float64Array(0);
        lengths.forEach((n, t) => {
          const runs: number[] = [];
          for (let r = 0; r < n; r++) {
            const key = keys[starts[t] + r];
            if (r === 0 || key !== runs[runs.length - 1]) runs.push(key);
          }
          const out = new Float64Array(merged.length + runs.length);
          let i = 0;
          let j = 0;
          let k = 0;
          while (i < merged.length || j < runs.length) {
            const next = j >= runs.length || (i < merged.length && merged[i] <= runs[j]) ? merged[i++] : runs[j++];
            if (k === 0 || out[k - 1] !== next) out[k++] = next;
          }
          merged = out.subarray(0, k);
        });
        distinct = merged;
      } else {
        // Few distinct keys (a column axis cycling through its members): dedupe with a Set.
        const seen = new Set<number>();
        for (let i = 0; i < total && seen.size <= SMALL_AXIS; i++) seen.add(keys[i]);
        if (seen.size <= SMALL_AXIS) distinct = Float64Array.from(seen).sort();
        else {
          const sorted = keys.slice().sort();
          let unique = 0;
          for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[unique++] = sorted[i];
          distinct = sorted.subarray(0, unique);
        }
      }
      const unique = distinct.length;
      this.count = unique;
      this.firstTable = new Int32Array(unique).fill(-1);
      this.firstRow = new Int32Array(unique);
      g = 0;
      const small = unique <= SMALL_AXIS ? new Map(Array.from(distinct, (k, i) => [k, i])) : null;
      lengths.forEach((n, t) => {
        const out = this.tupleOf[t];
        let last = -1;
        let lastKey = NaN;
        for (let r = 0; r < n; r++, g++) {
          const key = keys[g];
          // sorted input: the same key as the previous row, or the next one, most of the time
          let at: number;
          if (key === lastKey) at = last;
          else if (last + 1 < unique && distinct[last + 1] === key) at = last + 1;
          else if (small) at = small.get(key)!;
          else {
            let low = 0;
            let high = unique - 1;
            while (low < high) {
              const mid = (low + high) >> 1;
              if (distinct[mid] < key) low = mid + 1;
              else high = mid;
            }
            at = low;
          }
          out[r] = at;
          last = at;
          lastKey = key;
          if (this.firstTable[at] < 0) {
            this.firstTable[at] = t;
            this.firstRow[at] = r;
          }
        }
      });
    } else {
      const width = String(Math.max(...radices)).length;
      const keyOf = (t: number, r: number) => {
        let key = "";
        for (let i = 0; i < levels.length; i++) key += String(codeRank(i, t, r)).padStart(width, "0");
        return key;
      };
      const first = new Map<string, [number, number]>();
      lengths.forEach((n, t) => {
        for (let r = 0; r < n; r++) {
          const key = keyOf(t, r);
          if (!first.has(key)) first.set(key, [t, r]);
        }
      });
      const sortedKeys = [...first.keys()].sort();
      const index = new Map(sortedKeys.map((k, i) => [k, i]));
      this.count = sortedKeys.length;
      this.firstTable = Int32Array.from(sortedKeys, (k) => first.get(k)![0]);
      this.firstRow = Int32Array.from(sortedKeys, (k) => first.get(k)![1]);
      lengths.forEach((n, t) => {
        for (let r = 0; r < n; r++) this.tupleOf[t][r] = index.get(keyOf(t, r))!;
      });
    }
  }

  /** The member values of tuple `index`. */
  tuple(index: number): unknown[] {
    const t = this.firstTable[index];
    const r = this.firstRow[index];
    return this.levels.map((f) => {
      const code = f.codes[t][r];
      return code < 0 ? null : f.members.value(code);
    });
  }
}

/** A TupleList over an axis, with a small cache (grids ask for the same tuples again). */
function tupleList(axis: AxisIndex, count: number): TupleList {
  const cache = new Map<number, Tuple>();
  return {
    length: count,
    at(index: number): Tuple {
      if (index < 0 || index >= count) throw new RangeError(`No tuple ${index} (${count} tuples)`);
      if (axis.count === 0) return [];
      let tuple = cache.get(index);
      if (!tuple) {
        if (cache.size >= 4096) cache.clear();
        tuple = axis.tuple(index);
        cache.set(index, tuple);
      }
      return tuple;
    },
  };
}

/**
 * Lay out `tables` (the result, then optional cross totals with the same columns) as a pivot.
 * Tables whose columns differ from the first one's are ignored.
 */
export function buildLayout(
  tables: readonly WireTable[],
  info?: PivotInfo,
  vectors?: readonly ((Vector | null)[] | null)[],
): PivotLayout {
  const keep = tables.map((t, i) => i === 0 || (t.numRows > 0 && sameSchema(tables[0], t)));
  const sources = tables.filter((_, i) => keep[i]);
  const sourceVectors = vectors ? vectors.filter((_, i) => keep[i]) : null;
  const main = sources[0];
  const meta = info ?? pivotInfo(main);
  const nLevels = meta.rows + meta.columns;
  const rowLevels: AxisLevel[] = [];
  const columnLevels: AxisLevel[] = [];
  main.columns.slice(0, nLevels).forEach((column, i) => {
    const level = { name: column.name, column: i, format: columnFormatter(column, null, true) };
    (i < meta.rows ? rowLevels : columnLevels).push(level);
  });
  const measures: MeasureColumn[] = main.columns.slice(nLevels).map((column, i) => ({
    name: column.name,
    column: nLevels + i,
    format: columnFormatter(column, null, false),
    numeric: NUMERIC_KINDS.has(column.kind),
  }));

  const levels = Array.from({ length: nLevels }, (_, j) =>
    factorize(
      sources.map((t) => t.columns[j]),
      sourceVectors?.map((v) => v?.[j] ?? null),
    ),
  );
  const ranks = levels.map((_, j) => levelRanks(levels, j));
  const lengths = sources.map((t) => t.numRows);
  const total = lengths.reduce((a, b) => a + b, 0);
  const rowAxis = new AxisIndex(levels.slice(0, meta.rows), ranks.slice(0, meta.rows), lengths);
  const columnAxis = new AxisIndex(levels.slice(meta.rows), ranks.slice(meta.rows), lengths);
  const rowTuples = tupleList(rowAxis, rowAxis.count);
  // Without data there is still one (empty) column tuple, so that the measures have headers.
  const nColumnTuples = Math.max(columnAxis.count, 1);
  const columnTuples = tupleList(columnAxis, nColumnTuples);

  // Cells: (row tuple, column tuple) -> source, encoded as offset of table + row.
  const offsets: number[] = [];
  lengths.reduce((at, n) => {
    offsets.push(at);
    return at + n;
  }, 0);
  const size = rowAxis.count * nColumnTuples;
  const dense = size <= DENSE_LIMIT ? new Int32Array(size).fill(-1) : null;
  const sparse = dense ? null : new Map<number, number>();
  sources.forEach((_, t) => {
    const rows = rowAxis.tupleOf[t];
    const columns = columnAxis.tupleOf[t];
    for (let r = 0; r < lengths[t]; r++) {
      const at = rows[r] * nColumnTuples + columns[r];
      if (dense) dense[at] = offsets[t] + r;
      else sparse!.set(at, offsets[t] + r);
    }
  });
  const sourceOf = (row: number, tuple: number): number => {
    const at = row * nColumnTuples + tuple;
    return dense ? dense[at] : (sparse!.get(at) ?? -1);
  };
  const locate = (g: number): [number, number] => {
    let t = offsets.length - 1;
    while (t > 0 && offsets[t] > g) t--;
    return [t, g - offsets[t]];
  };

  const displayColumns: DisplayColumn[] = [];
  const perTuple = measures.length > 0 ? measures.length : meta.columns > 0 ? 1 : 0;
  for (let t = 0; t < nColumnTuples; t++) {
    for (let m = 0; m < perTuple; m++) displayColumns.push({ tuple: t, measure: measures.length > 0 ? m : -1 });
  }

  const value = (row: number, displayColumn: number): unknown => {
    const d = displayColumns[displayColumn];
    if (!d || d.measure < 0) return null;
    const g = sourceOf(row, d.tuple);
    if (g < 0) return null;
    const [t, r] = locate(g);
    return sources[t].columns[measures[d.measure].column].get(r);
  };
  const expansionLevels = {
    rows: new Set(meta.expansionLevels.filter((i) => i < meta.rows)),
    columns: new Set(meta.expansionLevels.filter((i) => i >= meta.rows).map((i) => i - meta.rows)),
  };
  const labels = (tuple: Tuple, axisLevels: readonly AxisLevel[], blank: ReadonlySet<number>) =>
    tupleLabels(
      tuple,
      tuple.map((v, i) => (v == null ? "" : axisLevels[i].format(v))),
      blank,
    );
  const hasTotal = (tuple: Tuple, blank: ReadonlySet<number>) => tuple.some((v, i) => v == null && !blank.has(i));
  const totalColumns = new Uint8Array(nColumnTuples);
  for (let c = 0; c < nColumnTuples; c++) totalColumns[c] = hasTotal(columnTuples.at(c), expansionLevels.columns) ? 1 : 0;

  return {
    info: meta,
    rowLevels,
    columnLevels,
    measures,
    rowTuples,
    columnTuples,
    displayColumns,
    cellCount: total,
    value,
    text(row, displayColumn) {
      const v = value(row, displayColumn);
      if (v == null) return "";
      return measures[displayColumns[displayColumn].measure].format(v);
    },
    rowLabels: (row) => labels(rowTuples.at(row), rowLevels, expansionLevels.rows),
    columnLabels: (tuple) => labels(columnTuples.at(tuple), columnLevels, expansionLevels.columns),
    isTotalRow: (row) => hasTotal(rowTuples.at(row), expansionLevels.rows),
    expansionLevels,
    isTotalColumn: (tuple) => totalColumns[tuple] === 1,
  };
}
