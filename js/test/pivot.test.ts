/** The pivot widget: rendering from the model traits, UI edits of `state`, and the built bundle. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Field, RecordBatch, Schema, Table, tableFromArrays, tableToIPC } from "apache-arrow";
import { beforeEach, describe, expect, it } from "vitest";
import widget, { DRAG_TYPE, PivotView } from "../src/widgets/pivot";
import type { DataModel, PivotState } from "../src/grid/state";

function pivotIPC(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  columns: Record<string, any>,
  info: { rows: number; columns: number; measures: string[]; totals?: boolean; run?: number; elapsed_ms?: number },
  formats: Record<string, string> = {},
): Uint8Array {
  const table = tableFromArrays(columns);
  const fields = table.schema.fields.map(
    (f) => new Field(f.name, f.type, true, formats[f.name] ? new Map([["atoti_lab.format", formats[f.name]]]) : new Map()),
  );
  const schema = new Schema(fields, new Map([["atoti_lab.pivot", JSON.stringify(info)]]));
  return tableToIPC(new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data))), "stream");
}

/** A minimal stand-in for an anywidget model. */
class FakeModel {
  saved = 0;
  private listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  sent: unknown[] = [];
  constructor(public values: Record<string, unknown>) {}
  get(key: string) {
    return this.values[key];
  }
  set(key: string, value: unknown) {
    this.values[key] = value;
    for (const cb of [...(this.listeners.get(`change:${key}`) ?? [])]) cb();
  }
  on(event: string, cb: (...args: unknown[]) => void) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(cb);
  }
  off(event: string, cb: () => void) {
    this.listeners.get(event)?.delete(cb);
  }
  /** What the kernel would send (a custom message). */
  emit(event: string, ...args: unknown[]) {
    for (const cb of [...(this.listeners.get(event) ?? [])]) (cb as (...a: unknown[]) => void)(...args);
  }
  listenerCount() {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
  save_changes() {
    this.saved++;
  }
  send(message: unknown) {
    this.sent.push(message);
  }
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const MODEL: DataModel = {
  cube: "Sales",
  dimensions: [
    {
      name: "Products",
      hierarchies: [{ name: "Category", levels: [{ name: "Category", type: "String" }] }],
    },
    {
      name: "Shops",
      hierarchies: [
        { name: "Country", levels: [{ name: "Country", type: "String" }] },
        { name: "Hidden", visible: false, levels: [{ name: "Hidden" }] },
      ],
    },
    {
      name: "Sales",
      hierarchies: [{ name: "Calendar", levels: [{ name: "Year" }, { name: "Month" }] }],
    },
  ],
  measures: [
    { name: "Revenue", formatter: "DOUBLE[#,##0.00]", folder: null },
    { name: "Quantity.SUM", formatter: "INT[#,###]", folder: "Quantities" },
    { name: "Secret", visible: false },
  ],
};

const STATE: PivotState = {
  cube: "Sales",
  rows: [["Products", "Category", "Category"]],
  columns: [["Shops", "Country", "Country"]],
  measures: ["Revenue"],
  filters: [{ level: ["Shops", "Country", "Country"], op: "isin", values: ["France", "UK"] }],
  view: "pivot-table",
  totals: false,
  expanded: [],
};

const DATA = pivotIPC(
  { Category: ["Books", "Books", "Toys"], Country: ["France", "UK", "France"], Revenue: [1234.5, -2, 3] },
  { rows: 1, columns: 1, measures: ["Revenue"], run: 1, elapsed_ms: 2.25 },
  { Revenue: "DOUBLE[#,##0.00]" },
);

function makeModel(overrides: Record<string, unknown> = {}) {
  return new FakeModel({
    state: STATE,
    model: MODEL,
    data: new DataView(DATA.buffer, DATA.byteOffset, DATA.byteLength),
    cross_totals: new DataView(new ArrayBuffer(0)),
    error: "",
    live: true,
    refresh_ms: 100,
    title: "",
    ...overrides,
  });
}

let el: HTMLElement;
beforeEach(() => {
  el = document.createElement("div");
  document.body.replaceChildren(el);
});

const bodyRows = () =>
  Array.from(el.querySelectorAll(".atl-grid tbody tr:not(.atl-spacer-row)")).map((tr) =>
    Array.from(tr.children)
      .filter((c) => !c.classList.contains("atl-spacer"))
      .map((c) => c.textContent),
  );
const items = (selector: string) => Array.from(el.querySelectorAll<HTMLButtonElement>(selector));
const item = (selector: string, text: string) => items(selector).find((b) => b.firstChild?.textContent === text)!;
const chips = (zone: string) =>
  Array.from(el.querySelectorAll(`.atl-zone-${zone} .atl-chip-label`)).map((c) => c.textContent);
const click = (node: Element, init: MouseEventInit = {}) =>
  node.dispatchEvent(new MouseEvent("click", { bubbles: true, ...init }));

describe("pivot widget", () => {
  it("renders the pivoted result with formatted values", async () => {
    const model = makeModel();
    const cleanup = await widget.render({ model, el } as never);
    expect(el.classList.contains("atoti-lab")).toBe(true);
    expect(bodyRows()).toEqual([
      ["Books", "1,234.50", "-2.00"],
      ["Toys", "3.00", ""],
    ]);
    expect(el.querySelector(".atl-footer")?.textContent).toBe("2 rows \u00d7 2 columns (3 cells)");
    expect(el.querySelector(".atl-status")?.textContent).toBe("2.3 ms");
    expect(el.querySelector("td.atl-negative")?.textContent).toBe("-2.00");
    expect(chips("rows")).toEqual(["Category"]);
    expect(chips("columns")).toEqual(["Country"]);
    expect(chips("values")).toEqual(["Revenue"]);
    expect(chips("filters")).toEqual(["Country in (France, UK)"]);
    (cleanup as () => void)();
    expect(model.listenerCount()).toBe(0);
  });

  it("lists the data model, hiding invisible items, and searches it", () => {
    const model = makeModel();
    const view = new PivotView(model as never, el);
    const levels = items(".atl-level").map((b) => b.firstChild?.textContent);
    expect(levels).toEqual(["Category", "Country", "Year", "Month"]);
    expect(items(".atl-measure").map((b) => b.textContent)).toEqual(["Revenue", "Quantity.SUM"]);
    expect(el.querySelector(".atl-folder")?.textContent).toBe("Quantities");
    expect(el.querySelector(".atl-hierarchy")?.textContent).toBe("Calendar");
    expect(item(".atl-level", "Category").classList.contains("atl-selected")).toBe(true);
    expect(item(".atl-measure", "Revenue").getAttribute("aria-pressed")).toBe("true");

    const search = el.querySelector<HTMLInputElement>(".atl-search")!;
    search.value = "cal";
    search.dispatchEvent(new Event("input"));
    expect(items(".atl-level").map((b) => b.firstChild?.textContent)).toEqual(["Year", "Month"]);
    expect(items(".atl-measure")).toEqual([]);
    search.value = "zzz";
    search.dispatchEvent(new Event("input"));
    expect(el.querySelector(".atl-panel-list")?.textContent).toBe("Nothing matches");
    view.destroy();
  });

  it("edits the state from the panel and the chips, and saves it", () => {
    const model = makeModel();
    const view = new PivotView(model as never, el);
    click(item(".atl-level", "Year"));
    let state = model.get("state") as PivotState;
    expect(state.rows).toEqual([
      ["Products", "Category", "Category"],
      ["Sales", "Calendar", "Year"],
    ]);
    expect(model.saved).toBe(1);
    expect(chips("rows")).toEqual(["Category", "Calendar / Year"]);
    expect(el.querySelector(".atl-pivot-root")?.classList.contains("atl-pending")).toBe(true);

    click(item(".atl-level", "Month"), { shiftKey: true }); // Calendar moves to columns
    state = model.get("state") as PivotState;
    expect(state.rows).toEqual([["Products", "Category", "Category"]]);
    expect(state.columns).toEqual([
      ["Shops", "Country", "Country"],
      ["Sales", "Calendar", "Month"],
    ]);

    click(item(".atl-measure", "Quantity.SUM"));
    expect((model.get("state") as PivotState).measures).toEqual(["Revenue", "Quantity.SUM"]);
    click(item(".atl-measure", "Revenue"));
    expect((model.get("state") as PivotState).measures).toEqual(["Quantity.SUM"]);

    const remove = el.querySelector(".atl-zone-rows .atl-chip-remove")!;
    expect(remove.getAttribute("aria-label")).toBe("Remove Category");
    click(remove);
    expect((model.get("state") as PivotState).rows).toEqual([]);
    click(el.querySelector(".atl-zone-filters .atl-chip-remove")!);
    expect((model.get("state") as PivotState).filters).toEqual([]);

    const saved = model.saved;
    click(item(".atl-level", "Country"), { shiftKey: true }); // already there: nothing sent
    expect(model.saved).toBe(saved);

    const totals = el.querySelectorAll<HTMLInputElement>(".atl-toggle input")[0];
    totals.checked = true;
    totals.dispatchEvent(new Event("change"));
    expect((model.get("state") as PivotState).totals).toBe(true);
    const live = el.querySelectorAll<HTMLInputElement>(".atl-toggle input")[1];
    expect(live.checked).toBe(true);
    live.checked = false;
    live.dispatchEvent(new Event("change"));
    expect(model.get("live")).toBe(false);
    view.destroy();
  });

  it("accepts drops of levels and measures on the zones", () => {
    const model = makeModel();
    const view = new PivotView(model as never, el);
    view.drop({ kind: "level", key: ["Sales", "Calendar", "Year"] }, "columns");
    expect((model.get("state") as PivotState).columns).toContainEqual(["Sales", "Calendar", "Year"]);
    view.drop({ kind: "measure", name: "Quantity.SUM" }, "values");
    expect((model.get("state") as PivotState).measures).toEqual(["Revenue", "Quantity.SUM"]);
    view.drop({ kind: "measure", name: "Revenue" }, "rows"); // ignored
    expect((model.get("state") as PivotState).rows).toEqual([["Products", "Category", "Category"]]);
    expect(DRAG_TYPE).toBe("application/x-atoti-lab-pivot");
    view.destroy();
  });

  it("re-renders on change:data, change:error and change:model", async () => {
    const model = makeModel();
    const view = new PivotView(model as never, el);
    model.set(
      "data",
      pivotIPC(
        { Category: ["Books"], Country: ["Spain"], Revenue: [7] },
        { rows: 1, columns: 1, measures: ["Revenue"], run: 2 },
        { Revenue: "DOUBLE[0.0]" },
      ),
    );
    await tick();
    expect(bodyRows()).toEqual([["Books", "7.0"]]);

    const errorBox = el.querySelector<HTMLElement>(".atl-error")!;
    expect(errorBox.hidden).toBe(true);
    model.set("error", "Unknown level [\"Nope\"] in rows");
    expect(errorBox.hidden).toBe(false);
    expect(errorBox.textContent).toBe('Unknown level ["Nope"] in rows');
    expect(bodyRows()).toEqual([["Books", "7.0"]]); // the last good result stays
    model.set("error", "");
    expect(errorBox.hidden).toBe(true);

    model.set("model", { ...MODEL, measures: [...MODEL.measures, { name: "New measure" }] });
    expect(items(".atl-measure").map((b) => b.textContent)).toContain("New measure");

    model.set("title", "My pivot");
    expect(el.querySelector(".atl-title")?.textContent).toBe("My pivot");
    view.destroy();
  });

  it("shows the empty state, no-data and decode errors", async () => {
    const empty: PivotState = { ...STATE, rows: [], columns: [], measures: [], filters: [] };
    const model = makeModel({ state: empty, data: new Uint8Array(0) });
    const view = new PivotView(model as never, el);
    const message = el.querySelector<HTMLElement>(".atl-pivot-main > .atl-empty")!;
    expect(message.hidden).toBe(false);
    expect(message.textContent).toMatch(/Click a level to put it on rows/);
    expect(el.querySelector<HTMLElement>(".atl-grid")!.hidden).toBe(true);

    model.set("data", pivotIPC({ Category: [] as string[], Revenue: [] as number[] }, { rows: 1, columns: 0, measures: ["Revenue"] }));
    await tick();
    expect(message.textContent).toBe("No data for this query");

    model.set("data", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    await tick();
    expect(message.textContent).toMatch(/Could not decode the result/);
    view.destroy();
  });
});

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bundle = join(root, "atoti_lab", "static", "pivot.js");

describe.skipIf(!existsSync(bundle) || readFileSync(bundle, "utf8").length === 0)("built pivot.js", () => {
  it("is self-contained and under 1 MB", () => {
    const text = readFileSync(bundle, "utf8");
    expect(text.length).toBeLessThan(1024 * 1024);
    expect(text).not.toMatch(/\bimport\s*[("'{*]/);
    expect(text).not.toMatch(/https?:\/\/(cdn|esm\.sh|unpkg|cdnjs)/);
    expect(existsSync(join(root, "atoti_lab", "static", "pivot.css"))).toBe(true);
  });

  it("renders a pivot through its default export", async () => {
    const mod = await import(/* @vite-ignore */ pathToFileURL(bundle).href);
    const model = makeModel();
    const cleanup = await mod.default.render({ model, el });
    expect(bodyRows()).toEqual([
      ["Books", "1,234.50", "-2.00"],
      ["Toys", "3.00", ""],
    ]);
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });
});

describe("pivot views", () => {
  it("switches to a chart and back, keeping the query", async () => {
    const model = makeModel();
    const view = new PivotView(model as never, el);
    const select = el.querySelector<HTMLSelectElement>(".atl-view-select")!;
    expect(select.value).toBe("pivot-table");
    select.value = "stacked-column-chart";
    select.dispatchEvent(new Event("change"));
    const state = model.get("state") as PivotState;
    expect(state.view).toBe("stacked-column-chart");
    expect({ ...state, view: "pivot-table" }).toEqual(STATE); // same query
    expect(model.saved).toBe(1);
    await tick();
    const host = el.querySelector<HTMLElement>(".atl-chart-host")!;
    expect(host.hidden).toBe(false);
    expect(el.querySelector<HTMLElement>(".atl-grid")!.hidden).toBe(true);
    expect(host.querySelector("svg")).not.toBeNull();
    expect(host.querySelector(".atl-chart")?.getAttribute("data-view")).toBe("stacked-column-chart");

    model.set("state", { ...state, view: "pivot-table" }); // from Python
    await tick();
    expect(host.hidden).toBe(true);
    expect(bodyRows()).toEqual([
      ["Books", "1,234.50", "-2.00"],
      ["Toys", "3.00", ""],
    ]);
    view.destroy();
  });
});

describe("pivot interactions", () => {
  const sorted = pivotIPC(
    { Category: ["Books", "Games", "Toys"], Revenue: [5, 30, 12] },
    { rows: 1, columns: 0, measures: ["Revenue"], run: 1 },
  );
  const flatState: PivotState = { ...STATE, columns: [], filters: [] };

  it("sorts the rows by a column: descending, ascending, then member order", async () => {
    const model = makeModel({ state: flatState, data: new DataView(sorted.buffer, sorted.byteOffset, sorted.byteLength) });
    const view = new PivotView(model as never, el);
    const header = () => el.querySelector<HTMLElement>(".atl-measure-header")!;
    const order = () => bodyRows().map((r) => r[0]);
    expect(order()).toEqual(["Books", "Games", "Toys"]);
    click(header());
    expect((model.get("state") as { sort: unknown }).sort).toEqual({ measure: "Revenue", members: [], descending: true });
    await tick();
    expect(order()).toEqual(["Games", "Toys", "Books"]);
    expect(header().getAttribute("aria-sort")).toBe("descending");
    click(header());
    await tick();
    expect(order()).toEqual(["Books", "Toys", "Games"]);
    click(header());
    await tick();
    expect((model.get("state") as { sort: unknown }).sort).toBeNull();
    expect(order()).toEqual(["Books", "Games", "Toys"]);
    view.destroy();
  });

  it("sorts hierarchically: parents by their subtotal, members within their parent, totals first", async () => {
    const data = pivotIPC(
      { Year: [null, "2023", "2023", "2023", "2024", "2024", "2024"], Month: [null, null, "01", "02", null, "01", "02"], Revenue: [100, 40, 10, 30, 60, 50, 10] },
      { rows: 2, columns: 0, measures: ["Revenue"], totals: true },
    );
    const state = { ...flatState, rows: [["Sales", "Calendar", "Month"]], totals: true, sort: { measure: "Revenue", members: [], descending: true } };
    const model = makeModel({ state, data: new DataView(data.buffer, data.byteOffset, data.byteLength) });
    const view = new PivotView(model as never, el);
    expect(bodyRows().map((r) => [r[0], r[1], r[2]])).toEqual([
      ["Total", "", "100.00"],
      ["2024", "Total", "60.00"],
      ["2024", "01", "50.00"],
      ["2024", "02", "10.00"],
      ["2023", "Total", "40.00"],
      ["2023", "02", "30.00"],
      ["2023", "01", "10.00"],
    ]);
    view.destroy();
  });

  it("drills down on a member in place and collapses it", async () => {
    const data = pivotIPC({ Year: ["2023", "2024"], Revenue: [1, 2] }, { rows: 1, columns: 0, measures: ["Revenue"] });
    const state = { ...flatState, rows: [["Sales", "Calendar", "Year"]] };
    const model = makeModel({ state, data: new DataView(data.buffer, data.byteOffset, data.byteLength) });
    const view = new PivotView(model as never, el);
    const header = () => Array.from(el.querySelectorAll(".atl-row-header")).find((th) => th.textContent === "2024")!;
    expect(header().classList.contains("atl-expandable")).toBe(true);
    click(header());
    let next = model.get("state") as PivotState;
    // In place: the level and filters stay, the member is listed as expanded.
    expect(next.rows).toEqual([["Sales", "Calendar", "Year"]]);
    expect(next.filters).toEqual([]);
    expect(next.expanded).toEqual([{ axis: "rows", members: [{ level: ["Sales", "Calendar", "Year"], value: "2024" }] }]);
    expect(model.saved).toBe(1);
    // The kernel answers with the children under 2024, the sibling 2023 unchanged.
    const expanded = pivotIPC(
      { Year: ["2023", "2024", "2024", "2024"], Month: [null, null, "01", "02"], Revenue: [1, 2, 0.5, 1.5] },
      { rows: 2, columns: 0, measures: ["Revenue"], expansion_levels: [1] } as never,
    );
    model.set("data", new DataView(expanded.buffer, expanded.byteOffset, expanded.byteLength));
    await tick();
    expect(bodyRows().map((r) => [r[0], r[1], r[2]])).toEqual([
      ["2023", "", "1.00"],
      ["2024", "", "2.00"],
      ["2024", "01", "0.50"],
      ["2024", "02", "1.50"],
    ]);
    expect(el.querySelectorAll("tbody tr.atl-total").length).toBe(0);
    expect(header().classList.contains("atl-expanded")).toBe(true);
    click(header());
    next = model.get("state") as PivotState;
    expect(next.expanded).toEqual([]);
    expect(next.rows).toEqual([["Sales", "Calendar", "Year"]]);
    view.destroy();
  });

  it("expands a member of a column level in place", () => {
    const data = pivotIPC(
      { Category: ["Books", "Books"], Year: ["2023", "2024"], Revenue: [1, 2] },
      { rows: 1, columns: 1, measures: ["Revenue"] },
    );
    const state = { ...flatState, rows: [["Products", "Category", "Category"]], columns: [["Sales", "Calendar", "Year"]] };
    const model = makeModel({ state, data: new DataView(data.buffer, data.byteOffset, data.byteLength) });
    const view = new PivotView(model as never, el);
    const header = Array.from(el.querySelectorAll(".atl-column-header")).find((th) => th.textContent === "2023")!;
    expect(header.classList.contains("atl-expandable")).toBe(true);
    expect(el.querySelector(".atl-row-header.atl-expandable")).toBeNull(); // Category has no level below
    click(header);
    expect((model.get("state") as PivotState).expanded).toEqual([
      { axis: "columns", members: [{ level: ["Sales", "Calendar", "Year"], value: "2023" }] },
    ]);
    view.destroy();
  });

  it("drills up from a level chip", () => {
    const data = pivotIPC({ Month: ["01", "02"], Revenue: [1, 2] }, { rows: 1, columns: 0, measures: ["Revenue"] });
    const state = { ...flatState, rows: [["Sales", "Calendar", "Month"]] };
    const model = makeModel({ state, data: new DataView(data.buffer, data.byteOffset, data.byteLength) });
    const view = new PivotView(model as never, el);
    click(el.querySelector(".atl-zone-rows .atl-chip-drill-up")!);
    expect((model.get("state") as PivotState).rows).toEqual([["Sales", "Calendar", "Year"]]);
    view.destroy();
  });

  it("lists all the level's members from the kernel in a member filter", () => {
    const model = makeModel({ state: flatState, data: new DataView(sorted.buffer, sorted.byteOffset, sorted.byteLength) });
    const view = new PivotView(model as never, el);
    click(el.querySelector(".atl-level-name[data-axis='rows']")!);
    const values = () => Array.from(el.querySelectorAll<HTMLInputElement>(".atl-member-filter input")).map((b) => [b.value, b.checked]);
    expect(values()).toEqual([["Books", true], ["Games", true], ["Toys", true]]); // from the result, at once
    const request = model.sent[model.sent.length - 1] as { type: string; id: number; level: unknown };
    expect(request).toMatchObject({ type: "members", level: ["Products", "Category", "Category"] });
    el.querySelectorAll<HTMLInputElement>(".atl-member-filter input")[1].checked = false;
    // The kernel answers with every member of the level, some not in the result.
    model.emit("msg:custom", { type: "members", id: request.id, level: request.level, members: ["Books", "Games", "Garden", "Toys"], more: 2 });
    expect(values()).toEqual([["Books", true], ["Games", false], ["Garden", true], ["Toys", true]]);
    expect(el.querySelector(".atl-popover-note")!.textContent).toBe("2 more members not listed");
    click(el.querySelector(".atl-member-filter .atl-apply")!);
    expect((model.get("state") as PivotState).filters).toEqual([
      { level: ["Products", "Category", "Category"], op: "isin", values: ["Books", "Garden", "Toys"] },
    ]);
    // Asked once per data: reopening uses the kernel's list.
    const sent = model.sent.length;
    click(el.querySelector(".atl-level-name[data-axis='rows']")!);
    expect(values().map(([v]) => v)).toEqual(["Books", "Games", "Garden", "Toys"]);
    expect(model.sent.length).toBe(sent);
    view.destroy();
  });

  it("filters the members of a level from its header", () => {
    const model = makeModel({ state: flatState, data: new DataView(sorted.buffer, sorted.byteOffset, sorted.byteLength) });
    const view = new PivotView(model as never, el);
    click(el.querySelector(".atl-level-name[data-axis='rows']")!);
    const boxes = Array.from(el.querySelectorAll<HTMLInputElement>(".atl-member-filter input"));
    expect(boxes.map((b) => [b.value, b.checked])).toEqual([
      ["Books", true],
      ["Games", true],
      ["Toys", true],
    ]);
    boxes[1].checked = false;
    click(el.querySelector(".atl-member-filter .atl-apply")!);
    expect((model.get("state") as PivotState).filters).toEqual([
      { level: ["Products", "Category", "Category"], op: "isin", values: ["Books", "Toys"] },
    ]);
    expect(el.querySelector(".atl-member-filter")).toBeNull();
    click(el.querySelector(".atl-level-name[data-axis='rows']")!);
    expect(Array.from(el.querySelectorAll<HTMLInputElement>(".atl-member-filter input")).map((b) => b.checked)).toEqual([true, false, true]);
    click(el.querySelector(".atl-member-filter .atl-clear")!);
    expect((model.get("state") as PivotState).filters).toEqual([]);
    view.destroy();
  });

  it("shows errors and the empty state in the widget", async () => {
    const model = makeModel({ state: { ...flatState, rows: [], measures: [] }, data: new DataView(new ArrayBuffer(0)) });
    const view = new PivotView(model as never, el);
    expect(el.querySelector<HTMLElement>(".atl-empty")!.hidden).toBe(false);
    expect(el.querySelector(".atl-pivot-main .atl-empty")?.textContent).toContain("Click a level");
    model.set("error", "Unknown measure 'Nope' in measures");
    expect(el.querySelector<HTMLElement>(".atl-error")!.hidden).toBe(false);
    expect(el.querySelector(".atl-error")?.textContent).toBe("Unknown measure 'Nope' in measures");
    model.set("error", "");
    expect(el.querySelector<HTMLElement>(".atl-error")!.hidden).toBe(true);
    view.destroy();
  });
});
