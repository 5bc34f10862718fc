/**
 * Sorting the rows of a pivot by one of its columns, as a view over a `PivotLayout` (the cells
 * are not copied: row r of the sorted layout is row `order[r]` of the source).
 *
 * Rows are sorted within their parent (see `sortedOrder`), so subtotals and expanded members
 * still sit above their children; with one row level it is a plain sort. Empty cells go last
 * either way; ties keep member order.
 */
import type { PivotLayout, TupleList } from "./layout";
import type { SortState } from "./state";

/** The display column a sort refers to, or -1 when the layout has no such column. */
export function sortColumn(layout: PivotLayout, sort: SortState): number {
  const measure = layout.measures.findIndex((m) => m.name === sort.measure);
  if (measure < 0) return -1;
  return layout.displayColumns.findIndex((d) => {
    if (d.measure !== measure) return false;
    const tuple = layout.columnTuples.at(d.tuple);
    return tuple.length === sort.members.length && tuple.every((v, i) => sameValue(v, sort.members[i]));
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a == null || b == null) return a == null && b == null;
  if (a instanceof Date) return a.toISOString().slice(0, 10) === b || a.getTime() === (b as Date)?.getTime?.();
  if (typeof a === "bigint") return Number(a) === b;
  return a === b;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  return String(a).localeCompare(String(b));
}

/**
 * The row order of `layout` sorted by `sort` (null when the sort does not apply).
 *
 * Hierarchical: the rows sharing levels 0..j-1 are split by their member of level j; the rows
 * with no member there (the parent's own row: a total, or a member not expanded) stay first, and
 * the groups are ordered by the value of their own row (the one with no member below level j),
 * each group sorted the same way one level down. A level whose groups do not all have their own
 * row (no totals, nothing expanded) keeps member order, so that without totals only the innermost
 * level is sorted, within its parent.
 */
export function sortedOrder(layout: PivotLayout, sort: SortState): Int32Array | null {
  const column = sortColumn(layout, sort);
  if (column < 0) return null;
  const n = layout.rowTuples.length;
  const depth = layout.rowLevels.length;
  const sign = sort.descending ? -1 : 1;
  const tuple = (r: number) => layout.rowTuples.at(r);
  const compare = (va: unknown, vb: unknown, a: number, b: number) => {
    if (va == null || vb == null) return va == null ? (vb == null ? a - b : 1) : -1;
    return sign * compareValues(va, vb) || a - b;
  };
  // The innermost level: each row with a member is its own group (the common, large case).
  const sortLeaves = (rows: number[], j: number): number[] => {
    const heads: number[] = [];
    const members: number[] = [];
    for (const r of rows) (tuple(r)[j] == null ? heads : members).push(r);
    const values = members.map((r) => layout.value(r, column));
    if (values.every((v) => v == null || typeof v === "number")) {
      const numbers = Float64Array.from(values, (v) => (v == null ? NaN : (v as number)));
      const index = Int32Array.from(members, (_, i) => i);
      index.sort((a, b) => {
        const va = numbers[a];
        const vb = numbers[b];
        if (Number.isNaN(va) || Number.isNaN(vb)) return Number.isNaN(va) ? (Number.isNaN(vb) ? a - b : 1) : -1;
        return sign * (va - vb) || a - b;
      });
      return [...heads, ...Array.from(index, (i) => members[i])];
    }
    const index = members.map((_, i) => i);
    index.sort((a, b) => compare(values[a], values[b], a, b));
    return [...heads, ...index.map((i) => members[i])];
  };
  // rows: consecutive source rows sharing levels 0..j-1; returns them in sorted order.
  const sortGroup = (rows: number[], j: number): number[] => {
    if (j >= depth || rows.length < 2) return rows;
    if (j === depth - 1) return sortLeaves(rows, j);
    const heads: number[] = [];
    const groups: number[][] = [];
    let previous: unknown = undefined;
    for (const r of rows) {
      const v = tuple(r)[j];
      if (v == null) heads.push(r);
      else {
        if (groups.length === 0 || v !== previous) groups.push([]);
        groups[groups.length - 1].push(r);
        previous = v;
      }
    }
    const sorted = groups.map((g) => sortGroup(g, j + 1));
    const ownRow = (g: number[]) => g.find((r) => tuple(r).slice(j + 1).every((v) => v == null));
    const owners = sorted.map(ownRow);
    if (owners.every((o) => o !== undefined)) {
      const values = owners.map((o) => layout.value(o!, column));
      const index = sorted.map((_, i) => i);
      index.sort((a, b) => compare(values[a], values[b], a, b));
      return [...heads, ...index.flatMap((i) => sorted[i])];
    }
    return [...heads, ...sorted.flat()];
  };
  return Int32Array.from(sortGroup(Array.from({ length: n }, (_, r) => r), 0));
}

/** `layout` with its rows in `order`. */
export function reorderRows(layout: PivotLayout, order: Int32Array): PivotLayout {
  const rowTuples: TupleList = { length: order.length, at: (r) => layout.rowTuples.at(order[r]) };
  return {
    ...layout,
    rowTuples,
    value: (r, c) => layout.value(order[r], c),
    text: (r, c) => layout.text(order[r], c),
    rowLabels: (r) => layout.rowLabels(order[r]),
    columnLabels: (t) => layout.columnLabels(t),
    isTotalRow: (r) => layout.isTotalRow(order[r]),
    isTotalColumn: (t) => layout.isTotalColumn(t),
  };
}

/** `layout` sorted by `sort` (itself when there is no sort or it does not apply). */
export function sortLayout(layout: PivotLayout, sort: SortState | null): PivotLayout {
  if (!sort) return layout;
  const order = sortedOrder(layout, sort);
  return order ? reorderRows(layout, order) : layout;
}
