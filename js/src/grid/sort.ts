/**
 * Sorting the rows of a pivot by one of its columns, as a view over a `PivotLayout` (the cells
 * are not copied: row r of the sorted layout is row `order[r]` of the source).
 *
 * The innermost row level is sorted within its parent (rows sharing the outer levels stay
 * together, their total first), so subtotals still sit above their members; with one row level
 * it is a plain sort. Empty cells go last either way; ties keep member order.
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

/** The row order of `layout` sorted by `sort` (null when the sort does not apply). */
export function sortedOrder(layout: PivotLayout, sort: SortState): Int32Array | null {
  const column = sortColumn(layout, sort);
  if (column < 0) return null;
  const n = layout.rowTuples.length;
  const depth = layout.rowLevels.length;
  const order = new Int32Array(n);
  const sign = sort.descending ? -1 : 1;
  const parentOf = (r: number) => layout.rowTuples.at(r).slice(0, Math.max(0, depth - 1));
  let out = 0;
  let start = 0;
  while (start < n) {
    // A group: consecutive rows with the same outer levels (the tuple order keeps them together).
    const parent = parentOf(start);
    let end = start + 1;
    while (end < n && parentOf(end).every((v, i) => v === parent[i])) end++;
    const fixed: number[] = [];
    const members: number[] = [];
    for (let r = start; r < end; r++) (depth > 0 && layout.rowTuples.at(r)[depth - 1] == null ? fixed : members).push(r);
    const values = new Map(members.map((r) => [r, layout.value(r, column)]));
    members.sort((a, b) => {
      const va = values.get(a);
      const vb = values.get(b);
      if (va == null || vb == null) return va == null ? (vb == null ? a - b : 1) : -1;
      return sign * compareValues(va, vb) || a - b;
    });
    for (const r of fixed) order[out++] = r;
    for (const r of members) order[out++] = r;
    start = end;
  }
  return order;
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
