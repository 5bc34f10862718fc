/**
 * The pivot grid: layout of a long result into row x column tuples, virtual windows, state
 * edits and the virtualised DOM table.
 */
import {
  Field,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Table,
  Utf8,
  tableFromArrays,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import type { Vector } from "apache-arrow";
import { beforeEach, describe, expect, it } from "vitest";
import { PivotGrid, estimateWidths } from "../src/grid/grid";
import { buildLayout, memberRanks, pivotInfo, tupleArray, tupleLabels } from "../src/grid/layout";
import { sortLayout } from "../src/grid/sort";
import type { PivotLayout } from "../src/grid/layout";
import {
  EMPTY_STATE,
  addLevel,
  addMeasure,
  axisOf,
  describeFilter,
  readState,
  removeFilter,
  removeLevel,
  removeMeasure,
  setTotals,
  swapAxes,
  toggleMeasure,
  collapse,
  drillDown,
  expansionChild,
  isExpanded,
  toggleExpansion,
} from "../src/grid/state";
import type { LevelKey, PivotState } from "../src/grid/state";
import { StringInterner, arrowColumns, fastCodes } from "../src/grid/levels";
import type { MemberIndex } from "../src/grid/levels";
import { covers, fixedWindow, prefixOffsets, variableWindow } from "../src/grid/virtual";
import { decodeIPC } from "../src/wire";

interface Info {
  rows: number;
  columns: number;
  measures: string[];
  totals?: boolean;
  run?: number;
  elapsed_ms?: number;
}

/** Arrow IPC bytes as the kernel sends them: `atoti_lab.pivot` metadata, formats on measures. */
function pivotIPC(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  columns: Record<string, any>,
  info: Info,
  formats: Record<string, string> = {},
): Uint8Array {
  const table = tableFromArrays(columns);
  const names = table.schema.fields.map((f) => f.name);
  const fields = table.schema.fields.map(
    (f) => new Field(f.name, f.type, true, formats[f.name] ? new Map([["atoti_lab.format", formats[f.name]]]) : new Map()),
  );
  const schema = new Schema(
    fields,
    new Map([
      ["atoti_lab.pivot", JSON.stringify(info)],
      ["atoti_lab.index_columns", JSON.stringify(names.slice(0, info.rows + info.columns))],
    ]),
  );
  return tableToIPC(new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data))), "stream");
}

const layoutOf = (...tables: Uint8Array[]) => buildLayout(tables.map((t) => decodeIPC(t)));
/** The layout as the widget builds it: level columns read from the Arrow buffers. */
const fastLayoutOf = (...tables: Uint8Array[]) =>
  buildLayout(
    tables.map((t) => decodeIPC(t)),
    undefined,
    tables.map((t) => arrowColumns(t)),
  );

/** Like pivotIPC, with plain (not dictionary-encoded) UTF-8 level columns, as pyarrow sends them. */
function plainIPC(levels: Record<string, (string | null)[]>, values: Record<string, number[]>, info: Info): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const [name, v] of Object.entries(levels)) vectors[name] = vectorFromArray(v, new Utf8());
  for (const [name, v] of Object.entries(values)) vectors[name] = vectorFromArray(v, new Float64());
  const table = new Table(vectors);
  const schema = new Schema(table.schema.fields, new Map([["atoti_lab.pivot", JSON.stringify(info)]]));
  return tableToIPC(new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data))), "stream");
}

/** The grid as text: header labels per column tuple, then row labels + cell texts. */
function grid(layout: PivotLayout): string[][] {
  return tupleArray(layout.rowTuples).map((_, r) => [
    ...layout.rowLabels(r),
    ...layout.displayColumns.map((_, c) => layout.text(r, c)),
  ]);
}

// cube.query(Revenue, levels=[Category, Country], include_totals=True, mode="raw"), as the engine
// orders it: totals first, then members in member order. "UK" never sells Toys.
const TOTALS = pivotIPC(
  {
    Category: [null, "Books", "Books", "Books", "Toys", "Toys"],
    Country: [null, null, "France", "UK", null, "France"],
    Revenue: [60.5, 30.25, 10, 20.25, 30.25, 30.25],
  },
  { rows: 1, columns: 1, measures: ["Revenue"], totals: true, run: 3, elapsed_ms: 1.5 },
  { Revenue: "DOUBLE[#,##0.00]" },
);
// The row subtotals per column that include_totals does not give (the widget's cross_totals).
const CROSS = pivotIPC(
  { Category: [null, null], Country: ["France", "UK"], Revenue: [40.25, 20.25] },
  { rows: 1, columns: 1, measures: ["Revenue"], totals: true },
  { Revenue: "DOUBLE[#,##0.00]" },
);

describe("pivotInfo", () => {
  it("reads the axes from the metadata", () => {
    const info = pivotInfo(decodeIPC(TOTALS));
    expect(info).toEqual({ rows: 1, columns: 1, measures: ["Revenue"], totals: true, run: 3, elapsedMs: 1.5, expansionLevels: [] });
  });

  it("falls back to index columns as rows when the metadata is missing or wrong", () => {
    const bytes = pivotIPC({ a: ["x"], b: ["y"], m: [1] }, { rows: 5, columns: 0, measures: ["m"] });
    const info = pivotInfo(decodeIPC(bytes));
    // index columns are the first rows + columns = 5 names, clipped to a and b, m
    expect(info.rows).toBe(3);
    const plain = decodeIPC(tableToIPC(tableFromArrays({ m: [1] }), "stream"));
    expect(pivotInfo(plain)).toMatchObject({ rows: 0, columns: 0, measures: ["m"] });
  });
});

describe("buildLayout", () => {
  it("pivots rows x columns x measures, totals first, blank empty cells", () => {
    const layout = layoutOf(TOTALS);
    expect(layout.rowLevels.map((l) => l.name)).toEqual(["Category"]);
    expect(layout.columnLevels.map((l) => l.name)).toEqual(["Country"]);
    expect(tupleArray(layout.rowTuples)).toEqual([[null], ["Books"], ["Toys"]]);
    expect(tupleArray(layout.columnTuples)).toEqual([[null], ["France"], ["UK"]]);
    expect(layout.columnLabels(0)).toEqual(["Total"]);
    expect(grid(layout)).toEqual([
      ["Total", "60.50", "", ""],
      ["Books", "30.25", "10.00", "20.25"],
      ["Toys", "30.25", "30.25", ""],
    ]);
    expect(layout.value(2, 2)).toBeNull();
    expect(layout.isTotalRow(0)).toBe(true);
    expect(layout.isTotalRow(1)).toBe(false);
    expect(layout.isTotalColumn(0)).toBe(true);
    expect(layout.cellCount).toBe(6);
  });

  it("fills the total row from the cross totals", () => {
    const layout = layoutOf(TOTALS, CROSS);
    expect(grid(layout)[0]).toEqual(["Total", "60.50", "40.25", "20.25"]);
    expect(layout.cellCount).toBe(8);
  });

  it("ignores cross totals whose columns differ", () => {
    const other = pivotIPC({ x: [1] }, { rows: 0, columns: 0, measures: ["x"] });
    expect(grid(layoutOf(TOTALS, other))[0]).toEqual(["Total", "60.50", "", ""]);
  });

  it("orders column tuples by member order even when the first rows miss members", () => {
    // Member order: Custom order Zeta < Alpha; the first row only has Alpha.
    const bytes = pivotIPC(
      {
        City: ["A", "B", "B", "C"],
        Letter: ["Alpha", "Zeta", "Alpha", "Mid"],
        n: new Int32Array([1, 2, 3, 4]),
      },
      { rows: 1, columns: 1, measures: ["n"] },
    );
    const layout = layoutOf(bytes);
    // From row B: Zeta before Alpha; Mid only appears alone (after the others in appearance).
    expect(tupleArray(layout.columnTuples)).toEqual([["Zeta"], ["Alpha"], ["Mid"]]);
    expect(grid(layout)).toEqual([
      ["A", "", "1", ""],
      ["B", "2", "3", ""],
      ["C", "", "", "4"],
    ]);
  });

  it("nests two row levels with subtotals and labels them", () => {
    const bytes = pivotIPC(
      {
        Year: [null, 2023, 2023, 2023, 2024, 2024],
        Month: [null, null, 1, 2, null, 1],
        Qty: new Int32Array([10, 4, 1, 3, 6, 6]),
      },
      { rows: 2, columns: 0, measures: ["Qty"], totals: true },
    );
    const layout = layoutOf(bytes);
    expect(tupleArray(layout.rowTuples)).toEqual([
      [null, null],
      [2023, null],
      [2023, 1],
      [2023, 2],
      [2024, null],
      [2024, 1],
    ]);
    expect(grid(layout)).toEqual([
      ["Total", "", "10"],
      ["2023", "Total", "4"],
      ["2023", "1", "1"],
      ["2023", "2", "3"],
      ["2024", "Total", "6"],
      ["2024", "1", "6"],
    ]);
    expect(layout.displayColumns).toEqual([{ tuple: 0, measure: 0 }]);
  });

  it("puts several measures under each column tuple", () => {
    const bytes = pivotIPC(
      { Country: ["France", "UK"], a: [1.5, 2.5], b: new Int32Array([1000, 2000]) },
      { rows: 0, columns: 1, measures: ["a", "b"] },
      { a: "DOUBLE[0.0]", b: "INT[#,###]" },
    );
    const layout = layoutOf(bytes);
    expect(tupleArray(layout.rowTuples)).toEqual([[]]);
    expect(layout.displayColumns).toEqual([
      { tuple: 0, measure: 0 },
      { tuple: 0, measure: 1 },
      { tuple: 1, measure: 0 },
      { tuple: 1, measure: 1 },
    ]);
    expect(grid(layout)).toEqual([["1.5", "1,000", "2.5", "2,000"]]);
  });

  it("shows level members only when there are no measures", () => {
    const bytes = pivotIPC({ Category: ["Books", "Toys"] }, { rows: 1, columns: 0, measures: [] });
    const layout = layoutOf(bytes);
    expect(layout.displayColumns).toEqual([]);
    expect(grid(layout)).toEqual([["Books"], ["Toys"]]);
  });

  it("lays out an empty result as no rows", () => {
    const bytes = pivotIPC({ Category: [] as string[], m: [] as number[] }, { rows: 1, columns: 0, measures: ["m"] });
    const layout = layoutOf(bytes);
    expect(tupleArray(layout.rowTuples)).toEqual([]);
    expect(layout.displayColumns).toEqual([{ tuple: 0, measure: 0 }]);
  });

  it("lays out 100k cells quickly", () => {
    const n = 100_000;
    const rows = Array.from({ length: n }, (_, i) => `r${String(Math.floor(i / 4)).padStart(6, "0")}`);
    const cols = Array.from({ length: n }, (_, i) => `c${i % 4}`);
    const values = Float64Array.from({ length: n }, (_, i) => i);
    const bytes = pivotIPC({ R: rows, C: cols, v: values }, { rows: 1, columns: 1, measures: ["v"] });
    const start = performance.now();
    const layout = layoutOf(bytes);
    const elapsed = performance.now() - start;
    expect(layout.rowTuples.length).toBe(n / 4);
    expect(layout.columnTuples.length).toBe(4);
    expect(layout.text(n / 4 - 1, 3)).toBe("99,999.00");
    expect(elapsed).toBeLessThan(3000);
  });
});

describe("fast level reading", () => {
  it("gives the same layout from plain UTF-8 columns, with nulls, and cross totals", () => {
    const info = { rows: 1, columns: 1, measures: ["Revenue"], totals: true };
    const main = plainIPC(
      { Category: [null, "Books", "Books", "Books", "Toys", "Toys"], Country: [null, null, "France", "UK", null, "France"] },
      { Revenue: [60.5, 30.25, 10, 20.25, 30.25, 30.25] },
      info,
    );
    const cross = plainIPC({ Category: [null, null], Country: ["France", "UK"] }, { Revenue: [40.25, 20.25] }, info);
    expect(arrowColumns(main)![0]!.type.typeId).toBe(new Utf8().typeId);
    const fast = fastLayoutOf(main, cross);
    const slow = layoutOf(main, cross);
    expect(tupleArray(fast.rowTuples)).toEqual([[null], ["Books"], ["Toys"]]);
    expect(tupleArray(fast.columnTuples)).toEqual([[null], ["France"], ["UK"]]);
    expect(grid(fast)).toEqual(grid(slow));
    expect(grid(fast)).toEqual([
      ["Total", "60.50", "40.25", "20.25"],
      ["Books", "30.25", "10.00", "20.25"],
      ["Toys", "30.25", "30.25", ""],
    ]);
  });

  it("reads dictionary-encoded columns the same way", () => {
    expect(grid(fastLayoutOf(TOTALS, CROSS))).toEqual(grid(layoutOf(TOTALS, CROSS)));
  });

  it("interns strings by their bytes, across buffers, decoding on demand", () => {
    const interner = new StringInterner();
    const encoder = new TextEncoder();
    const a = interner.addBuffer(encoder.encode("héllo|world|héllo"));
    const b = interner.addBuffer(encoder.encode("xworld"));
    const h = interner.intern(a, 0, 6);
    const w = interner.intern(a, 7, 5);
    expect(interner.intern(a, 13, 6)).toBe(h);
    expect(interner.intern(b, 1, 5)).toBe(w);
    expect(interner.size).toBe(2);
    expect(interner.value(h)).toBe("héllo");
    expect(interner.value(w)).toBe("world");
    const many = interner.addBuffer(encoder.encode(Array.from({ length: 5000 }, (_, i) => `k${String(i).padStart(4, "0")}`).join("")));
    for (let i = 0; i < 5000; i++) expect(interner.intern(many, i * 5, 5)).toBe(i + 2);
    for (let i = 0; i < 5000; i += 499) expect(interner.intern(many, i * 5, 5)).toBe(i + 2); // after rehashes
    expect(interner.value(4999 + 2)).toBe("k4999");
  });

  it("reads number columns, 64-bit integers as bigint, nulls as -1", () => {
    const into = (): MemberIndex => ({ index: new Map(), members: [] });
    const ints = into();
    expect(Array.from(fastCodes(vectorFromArray([3, null, 3, 1], new Int32()), ints)!)).toEqual([0, -1, 0, 1]);
    expect(ints.members).toEqual([3, 1]);
    const longs = into();
    expect(Array.from(fastCodes(vectorFromArray([5n, 5n, 7n], new Int64()), longs)!)).toEqual([0, 0, 1]);
    expect(longs.members).toEqual([5n, 7n]);
    const dict = into();
    const table = tableFromArrays({ s: ["x", "y", "x"] });
    expect(Array.from(fastCodes(table.getChild("s")!, dict)!)).toEqual([0, 1, 0]);
    expect(dict.members).toEqual(["x", "y"]);
  });

  it("lays out 300k plain cells in reasonable time", { timeout: 30_000 }, () => {
    const n = 300_000;
    const rows = Array.from({ length: n }, (_, i) => `r${String(Math.floor(i / 10)).padStart(6, "0")}`);
    const cols = Array.from({ length: n }, (_, i) => `c${i % 10}`);
    const bytes = plainIPC({ R: rows, C: cols }, { v: Array.from({ length: n }, (_, i) => i) }, { rows: 1, columns: 1, measures: ["v"] });
    const start = performance.now();
    const layout = fastLayoutOf(bytes);
    const elapsed = performance.now() - start;
    expect(layout.rowTuples.length).toBe(n / 10);
    expect(layout.displayColumns.length).toBe(10);
    expect(layout.rowLabels(n / 10 - 1)).toEqual(["r029999"]);
    expect(layout.text(n / 10 - 1, 9)).toBe("299,999.00");
    expect(elapsed).toBeLessThan(3000);
  });
});

describe("memberRanks", () => {
  it("orders members consistently with every run of rows", () => {
    const ranks = memberRanks([[["a", "a", "b", "b"], ["y", "x", "x", "z"]]], 2);
    expect([...ranks[0].entries()]).toEqual([["a", 0], ["b", 1]]);
    expect([...ranks[1].entries()].sort((p, q) => p[1] - q[1]).map((e) => e[0])).toEqual(["y", "x", "z"]);
  });

  it("survives contradictory input", () => {
    const ranks = memberRanks([[["a", "b", "a"]]], 1);
    expect(ranks[0].size).toBe(2);
  });

  it("labels totals", () => {
    expect(tupleLabels([null, null], ["", ""])).toEqual(["Total", ""]);
    expect(tupleLabels(["Books", null], ["Books", ""])).toEqual(["Books", "Total"]);
  });
});

describe("virtual windows", () => {
  it("computes the visible rows of a fixed-height list", () => {
    expect(fixedWindow(0, 100, 25, 1000)).toEqual({ start: 0, end: 4 });
    expect(fixedWindow(30, 100, 25, 1000)).toEqual({ start: 1, end: 6 });
    expect(fixedWindow(30, 100, 25, 1000, 2)).toEqual({ start: 0, end: 8 });
    expect(fixedWindow(24_990, 100, 25, 1000)).toEqual({ start: 999, end: 1000 });
    expect(fixedWindow(-50, 100, 25, 3)).toEqual({ start: 0, end: 3 });
    expect(fixedWindow(0, 100, 25, 0)).toEqual({ start: 0, end: 0 });
    expect(fixedWindow(0, 0, 25, 10)).toEqual({ start: 0, end: 1 });
  });

  it("computes the visible columns of varying widths", () => {
    const offsets = prefixOffsets([100, 50, 50, 200, 100]);
    expect(Array.from(offsets)).toEqual([0, 100, 150, 200, 400, 500]);
    expect(variableWindow(offsets, 0, 120)).toEqual({ start: 0, end: 2 });
    expect(variableWindow(offsets, 160, 100)).toEqual({ start: 2, end: 4 });
    expect(variableWindow(offsets, 160, 100, 1)).toEqual({ start: 1, end: 5 });
    expect(variableWindow(offsets, 1000, 100)).toEqual({ start: 4, end: 5 });
    expect(variableWindow(prefixOffsets([]), 0, 100)).toEqual({ start: 0, end: 0 });
  });

  it("tells whether a rendered window covers the visible one", () => {
    expect(covers(null, { start: 0, end: 1 })).toBe(false);
    expect(covers({ start: 0, end: 50 }, { start: 10, end: 30 })).toBe(true);
    expect(covers({ start: 0, end: 50 }, { start: 40, end: 60 })).toBe(false);
    expect(covers({ start: 0, end: 0 }, { start: 0, end: 0 })).toBe(true);
  });
});

describe("state edits", () => {
  const category: LevelKey = ["Products", "Category", "Category"];
  const country: LevelKey = ["Shops", "Country", "Country"];
  const year: LevelKey = ["Sales", "Calendar", "Year"];
  const month: LevelKey = ["Sales", "Calendar", "Month"];
  const base: PivotState = { ...EMPTY_STATE, cube: "Sales" };

  it("adds levels to an axis, moving hierarchies between axes", () => {
    let s = addLevel(base, category, "rows");
    expect(s.rows).toEqual([category]);
    expect(addLevel(s, category, "rows")).toBe(s); // no change, same object
    s = addLevel(s, country, "columns");
    expect(axisOf(s, country)).toBe("columns");
    s = addLevel(s, year, "columns");
    s = addLevel(s, month, "rows"); // the Calendar hierarchy leaves the columns
    expect(s.rows).toEqual([category, month]);
    expect(s.columns).toEqual([country]);
    s = addLevel(s, month, "rows", 0);
    expect(s.rows).toEqual([month, category]);
    s = removeLevel(s, month);
    expect(s.rows).toEqual([category]);
    expect(removeLevel(s, month)).toBe(s);
  });

  it("toggles, adds and removes measures", () => {
    let s = toggleMeasure(base, "Revenue");
    expect(s.measures).toEqual(["Revenue"]);
    s = addMeasure(s, "Qty");
    expect(addMeasure(s, "Qty")).toBe(s);
    expect(addMeasure(s, "Qty", 0).measures).toEqual(["Qty", "Revenue"]);
    expect(toggleMeasure(s, "Revenue").measures).toEqual(["Qty"]);
    expect(removeMeasure(s, "Nope")).toBe(s);
  });

  it("edits filters, totals and axes", () => {
    const s: PivotState = {
      ...base,
      rows: [category],
      filters: [
        { level: country, op: "==", value: "France" },
        { level: category, op: "isin", values: ["Books", "Toys"] },
      ],
    };
    expect(describeFilter(s.filters[0])).toBe("Country = France");
    expect(describeFilter(s.filters[1])).toBe("Category in (Books, Toys)");
    expect(removeFilter(s, 0).filters).toEqual([s.filters[1]]);
    expect(removeFilter(s, 5)).toBe(s);
    expect(setTotals(s, false)).toBe(s);
    expect(setTotals(s, true).totals).toBe(true);
    expect(swapAxes(s)).toMatchObject({ rows: [], columns: [category] });
  });

  it("reads whatever the trait holds", () => {
    expect(readState(null)).toEqual(EMPTY_STATE);
    expect(readState({ rows: "bad", totals: 1, cube: "C" })).toMatchObject({ rows: [], totals: false, cube: "C" });
  });
});

describe("PivotGrid", () => {
  let grid: PivotGrid;
  beforeEach(() => {
    document.body.replaceChildren();
    grid = new PivotGrid(document, { rowHeight: 20, overscanRows: 5, overscanColumns: 1, fallbackHeight: 200, fallbackWidth: 600 });
    document.body.append(grid.element);
  });

  const bodyRows = () => Array.from(grid.element.querySelectorAll("tbody tr:not(.atl-spacer-row)"));
  const texts = (tr: Element) =>
    Array.from(tr.children)
      .filter((c) => !c.classList.contains("atl-spacer"))
      .map((c) => c.textContent);

  it("renders headers with spans, row headers and formatted cells", () => {
    grid.setLayout(layoutOf(TOTALS, CROSS));
    const headerRows = Array.from(grid.element.querySelectorAll("thead tr"));
    expect(headerRows.map(texts)).toEqual([
      ["Country", "Total", "France", "UK"],
      ["Category", "Revenue", "Revenue", "Revenue"],
    ]);
    expect(bodyRows().map(texts)).toEqual([
      ["Total", "60.50", "40.25", "20.25"],
      ["Books", "30.25", "10.00", "20.25"],
      ["Toys", "30.25", "30.25", ""],
    ]);
    const empty = bodyRows()[2].children[3];
    expect(empty.classList.contains("atl-null")).toBe(true);
    expect(bodyRows()[0].classList.contains("atl-total")).toBe(true);
    expect(bodyRows()[1].children[0].tagName).toBe("TH");
    expect(grid.element.querySelector("td.atl-num")).not.toBeNull();
  });

  it("spans outer column headers over the inner columns and measures", () => {
    const bytes = pivotIPC(
      { Year: [2023, 2023, 2024], Month: [1, 2, 1], a: [1, 2, 3], b: [4, 5, 6] },
      { rows: 0, columns: 2, measures: ["a", "b"] },
    );
    grid.setLayout(layoutOf(bytes));
    const first = grid.element.querySelector("thead tr")!;
    const spans = Array.from(first.children).map((c) => [c.textContent, (c as HTMLTableCellElement).colSpan]);
    expect(spans).toEqual([
      ["2023", 4],
      ["2024", 2],
    ]);
  });

  it("renders only a window of 100k rows and moves it when scrolled", () => {
    const n = 100_000;
    const bytes = pivotIPC(
      { id: Array.from({ length: n }, (_, i) => `row ${String(i).padStart(6, "0")}`), v: Float64Array.from({ length: n }, (_, i) => i) },
      { rows: 1, columns: 0, measures: ["v"] },
    );
    grid.setLayout(layoutOf(bytes));
    // 200px viewport - 20px header = 9 visible rows (+ partial), + 5 overscan
    expect(bodyRows().length).toBeLessThan(30);
    expect(texts(bodyRows()[0])).toEqual(["row 000000", "0.00"]);
    const spacers = grid.element.querySelectorAll("tbody tr.atl-spacer-row td");
    expect((spacers[spacers.length - 1] as HTMLElement).style.height).toMatch(/px$/);

    grid.element.scrollTop = 50_000 * 20;
    grid.update();
    const window = grid.renderedWindow()!;
    expect(window.rows.start).toBeGreaterThan(49_000);
    expect(window.rows.end).toBeLessThan(50_030);
    const visible = bodyRows().map((tr) => tr.children[0].textContent);
    expect(visible).toContain("row 050000");
    const top = grid.element.querySelector("tbody tr.atl-spacer-row td") as HTMLElement;
    expect(top.style.height).toBe(`${window.rows.start * 20}px`);

    // A small scroll inside the rendered window does not re-render.
    const before = grid.element.querySelector("tbody tr:not(.atl-spacer-row)");
    grid.element.scrollTop += 20;
    grid.update();
    expect(grid.element.querySelector("tbody tr:not(.atl-spacer-row)")).toBe(before);
  });

  it("virtualises columns too", () => {
    const n = 500;
    const bytes = pivotIPC(
      { c: Array.from({ length: n }, (_, i) => `col${String(i).padStart(3, "0")}`), v: Float64Array.from({ length: n }, (_, i) => i) },
      { rows: 0, columns: 1, measures: ["v"] },
    );
    const layout = layoutOf(bytes);
    grid.setLayout(layout);
    const rendered = grid.renderedWindow()!;
    expect(rendered.columns.end).toBeLessThan(30);
    const widths = estimateWidths(layout);
    expect(widths.columns.length).toBe(n);
    grid.element.scrollLeft = widths.columns.slice(0, 250).reduce((a, b) => a + b, 0);
    grid.update();
    const headers = Array.from(grid.element.querySelectorAll("thead tr:first-child th:not(.atl-spacer)")).map(
      (th) => th.textContent,
    );
    expect(headers).toContain("col250");
    expect(headers).not.toContain("col000");
  });

  it("keeps the scroll position on a new layout and clears on null", () => {
    const n = 1000;
    const make = (offset: number) =>
      layoutOf(
        pivotIPC(
          { id: Array.from({ length: n }, (_, i) => `r${String(i).padStart(4, "0")}`), v: Float64Array.from({ length: n }, (_, i) => i + offset) },
          { rows: 1, columns: 0, measures: ["v"] },
        ),
      );
    grid.setLayout(make(0));
    grid.element.scrollTop = 500 * 20;
    grid.update();
    grid.setLayout(make(1));
    expect(grid.element.scrollTop).toBe(500 * 20);
    expect(bodyRows().map((tr) => tr.children[0].textContent)).toContain("r0500");
    grid.setLayout(null);
    expect(grid.element.querySelector("tbody")).toBeNull();
  });
});

describe("drill down in place", () => {
  const geo = (level: string): LevelKey => ["Shops", "Geo", level];
  const MODEL = {
    cube: "Sales",
    dimensions: [{ name: "Shops", hierarchies: [{ name: "Geo", levels: [{ name: "Continent" }, { name: "Country" }, { name: "City" }] }] }],
    measures: [],
  };
  const base: PivotState = { ...EMPTY_STATE, rows: [geo("Country")], measures: ["Revenue"] };
  const france = [
    { level: geo("Continent"), value: "EU" },
    { level: geo("Country"), value: "France" },
  ];

  it("expands a member, keeps the levels, and collapses it with the ones below", () => {
    expect(expansionChild(base, MODEL, "rows", geo("Country"))).toEqual(geo("City"));
    expect(expansionChild(base, MODEL, "rows", geo("Continent"))).toBeNull(); // Country is shown anyway
    expect(expansionChild(base, MODEL, "rows", geo("City"))).toBeNull(); // deepest level
    const expanded = drillDown(base, MODEL, "rows", france);
    expect(expanded.rows).toEqual(base.rows);
    expect(expanded.filters).toEqual([]);
    expect(expanded.expanded).toEqual([{ axis: "rows", members: france }]);
    expect(isExpanded(expanded, "rows", france)).toBe(true);
    expect(drillDown(expanded, MODEL, "rows", france)).toBe(expanded);
    const nested = { ...expanded, expanded: [...expanded.expanded, { axis: "rows" as const, members: [...france, { level: geo("City"), value: "Paris" }] }] };
    expect(collapse(nested, "rows", france).expanded).toEqual([]);
    expect(toggleExpansion(expanded, MODEL, "rows", france).expanded).toEqual([]);
  });

  it("drops expansions whose hierarchy leaves the axis, and swaps them with the axes", () => {
    const expanded = drillDown(base, MODEL, "rows", france);
    expect(removeLevel(expanded, geo("Country")).expanded).toEqual([]);
    expect(addLevel(expanded, geo("Country"), "columns").expanded).toEqual([]);
    expect(swapAxes(expanded).expanded).toEqual([{ axis: "columns", members: france }]);
  });

  // Rows of the kernel's result for rows=[Country] (+ Continent above it), France expanded to its cities.
  const EXPANDED = pivotIPC(
    {
      Continent: ["AM", "EU", "EU", "EU", "EU"],
      Country: ["USA", "France", "France", "France", "Germany"],
      City: [null, null, "Lyon", "Paris", null],
      Revenue: [50, 30, 10, 20, 40],
    },
    { rows: 3, columns: 0, measures: ["Revenue"], expansion_levels: [2] } as never,
  );

  it("lays out collapsed members with a blank child header, not as totals", () => {
    const layout = buildLayout([decodeIPC(EXPANDED)]);
    expect(tupleArray(layout.rowTuples)).toEqual([
      ["AM", "USA", null],
      ["EU", "France", null],
      ["EU", "France", "Lyon"],
      ["EU", "France", "Paris"],
      ["EU", "Germany", null],
    ]);
    expect(layout.rowLabels(1)).toEqual(["EU", "France", ""]);
    expect(Array.from({ length: 5 }, (_, r) => layout.isTotalRow(r))).toEqual([false, false, false, false, false]);
    expect(tupleLabels(["EU", null, null], ["EU", "", ""], new Set([2]))).toEqual(["EU", "Total", ""]);
  });

  it("sorts siblings at every depth, children staying under their parent", () => {
    const layout = buildLayout([decodeIPC(EXPANDED)]);
    const sorted = sortLayout(layout, { measure: "Revenue", members: [], descending: true });
    // Continents have no row of their own (no totals): they keep member order; countries and
    // cities are sorted within their parent, the expanded France above its cities.
    expect(tupleArray(sorted.rowTuples).map((t) => t.join("/"))).toEqual([
      "AM/USA/",
      "EU/Germany/",
      "EU/France/",
      "EU/France/Paris",
      "EU/France/Lyon",
    ]);
  });
});
