import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { beforeEach, describe, expect, it } from "vitest";
import widget, { renderTable } from "../src/widgets/table";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = readFileSync(join(here, "fixtures", "result.arrows"));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ipc = (columns: Record<string, any>) => tableToIPC(tableFromArrays(columns), "stream");

const cells = (el: HTMLElement) =>
  Array.from(el.querySelectorAll("tbody tr")).map((tr) =>
    Array.from(tr.children).map((cell) => cell.textContent),
  );
const headers = (el: HTMLElement) => Array.from(el.querySelectorAll("thead th")).map((th) => th.textContent);

/** A minimal stand-in for an anywidget model. */
class FakeModel {
  private listeners = new Map<string, Set<() => void>>();
  constructor(private state: Record<string, unknown>) {}
  get(key: string) {
    return this.state[key];
  }
  set(key: string, value: unknown) {
    this.state[key] = value;
    for (const cb of this.listeners.get(`change:${key}`) ?? []) cb();
  }
  on(event: string, cb: () => void) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(cb);
  }
  off(event: string, cb: () => void) {
    this.listeners.get(event)?.delete(cb);
  }
  listenerCount() {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
  save_changes() {}
  send() {}
}

let el: HTMLElement;
beforeEach(() => {
  el = document.createElement("div");
  document.body.replaceChildren(el);
});

describe("renderTable", () => {
  it("renders a header and formatted, right-aligned numeric cells", () => {
    renderTable(el, {
      data: ipc({ name: ["a", "b"], value: new Float64Array([1234.5, -0.25]), n: new Int32Array([1000, 2]) }),
      title: "Sales",
    });
    expect(el.querySelector(".atl-title")?.textContent).toBe("Sales");
    expect(headers(el)).toEqual(["name", "value", "n"]);
    expect(cells(el)).toEqual([
      ["a", "1,234.50", "1,000"],
      ["b", "-0.25", "2"],
    ]);
    const valueCell = el.querySelector("tbody tr:nth-child(2) td:nth-child(2)")!;
    expect(valueCell.classList.contains("atl-num")).toBe(true);
    expect(valueCell.classList.contains("atl-negative")).toBe(true);
    expect(el.querySelector(".atl-footer")?.textContent).toBe("2 rows \u00d7 3 columns");
  });

  it("applies per-column formats", () => {
    renderTable(el, {
      data: ipc({ share: new Float64Array([0.1234]), price: new Float64Array([5]) }),
      formats: { share: "DOUBLE[0.0%]", price: "DOUBLE[$#,##0.00]" },
    });
    expect(cells(el)).toEqual([["12.3%", "$5.00"]]);
  });

  it("renders the pyarrow fixture: index columns as row headers, text escaped", () => {
    renderTable(el, { data: fixture });
    const rows = cells(el);
    expect(headers(el)).toEqual([
      "City", "Year", "Amount", "Quantity", "Price", "Flag", "Day", "When", "WhenParis", "Vector", "Text",
    ]);
    expect(rows[0]).toEqual([
      "Paris", "2023", "1,234.50", "1", "1.25", "true", "2024-01-02", "2024-01-02 03:04:05",
      "2024-01-02 04:04:05", "[1.00, 2.50]", "<b>&amp;</b>",
    ]);
    expect(rows[2]).toEqual([
      "", "2024", "", "3", "-1,234.50", "", "1969-12-31", "2024-01-02 03:04:05.123",
      "2024-07-01 14:00:00", "", "",
    ]);
    expect(rows[3][2]).toBe("0.00123");
    const firstRow = el.querySelector("tbody tr")!;
    expect(firstRow.children[0].tagName).toBe("TH");
    expect(firstRow.children[1].tagName).toBe("TH");
    expect(firstRow.children[2].tagName).toBe("TD");
    // escaped, not parsed as markup
    expect(el.querySelector("tbody b")).toBeNull();
    expect(el.querySelectorAll("tbody .atl-null").length).toBeGreaterThan(0);
  });

  it("caps the rows put in the DOM", () => {
    renderTable(el, { data: ipc({ x: Float64Array.from({ length: 50 }, (_, i) => i) }), maxRows: 10 });
    expect(cells(el)).toHaveLength(10);
    expect(el.querySelector(".atl-footer")?.textContent).toBe("Showing 10 of 50 rows \u00d7 1 columns");
  });

  it("shows a placeholder without data and an error for bad bytes", () => {
    renderTable(el, { data: null });
    expect(el.querySelector(".atl-empty")?.textContent).toBe("No data");
    renderTable(el, { data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(el.querySelector(".atl-error")?.textContent).toMatch(/Could not decode the result/);
  });
});

describe("anywidget render", () => {
  it("renders from the model, re-renders on change:data and cleans up", async () => {
    const model = new FakeModel({
      data: new DataView(ipc({ x: new Float64Array([1]) }).buffer),
      title: "",
      formats: {},
      max_rows: 1000,
    });
    const cleanup = await widget.render({ model, el } as never);
    expect(cells(el)).toEqual([["1.00"]]);
    expect(el.classList.contains("atoti-lab")).toBe(true);

    model.set("data", ipc({ y: new Float64Array([2, 3]) }));
    expect(headers(el)).toEqual(["y"]);
    expect(cells(el)).toEqual([["2.00"], ["3.00"]]);

    model.set("formats", { y: "0.0" });
    expect(cells(el)).toEqual([["2.0"], ["3.0"]]);

    model.set("title", "New");
    expect(el.querySelector(".atl-title")?.textContent).toBe("New");

    expect(model.listenerCount()).toBe(4);
    (cleanup as () => void)();
    expect(model.listenerCount()).toBe(0);
  });
});
