/** Chart views: ECharts options built from the pivot's cell set, theme detection, and drawing. */
import { Field, RecordBatch, Schema, Table, tableFromArrays, tableToIPC } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { CHART_VIEWS, chartData, chartOption } from "../src/charts/options";
import { isDarkTheme } from "../src/charts/theme";
import { layoutOf } from "../src/widgets/pivot";
import { PivotChart } from "../src/charts/chart";
import type { PivotLayout } from "../src/grid/layout";

function pivotIPC(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  columns: Record<string, any>,
  info: { rows: number; columns: number; measures: string[]; totals?: boolean },
  formats: Record<string, string> = {},
): Uint8Array {
  const table = tableFromArrays(columns);
  const fields = table.schema.fields.map(
    (f) => new Field(f.name, f.type, true, formats[f.name] ? new Map([["atoti_lab.format", formats[f.name]]]) : new Map()),
  );
  const schema = new Schema(fields, new Map([["atoti_lab.pivot", JSON.stringify(info)]]));
  return tableToIPC(new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data))), "stream");
}

const EMPTY = new Uint8Array(0);

/** Category x Country -> Revenue, with totals (null = total), as the kernel sends it. */
function salesLayout(): PivotLayout {
  const data = pivotIPC(
    {
      Category: [null, null, null, "Books", "Books", "Books", "Toys", "Toys"],
      Country: [null, "France", "UK", null, "France", "UK", null, "France"],
      Revenue: new Float64Array([106, 101, 5, 103, 100, 3, 3, 1]),
      Units: new Float64Array([16, 11, 5, 13, 10, 3, 3, 1]),
    },
    { rows: 1, columns: 1, measures: ["Revenue", "Units"], totals: true },
    { Revenue: "DOUBLE[#,##0.00]" },
  );
  return layoutOf(data, EMPTY)!;
}

describe("chart data", () => {
  it("takes categories from row tuples and series from column tuples x measures, without totals", () => {
    const data = chartData(salesLayout());
    expect(data.categories).toEqual(["Books", "Toys"]);
    expect(data.series.map((s) => s.name)).toEqual(["France / Revenue", "France / Units", "UK / Revenue", "UK / Units"]);
    const byName = Object.fromEntries(data.series.map((s) => [s.name, s.values]));
    expect(byName["France / Revenue"]).toEqual([100, 1]);
    expect(byName["UK / Revenue"]).toEqual([3, null]); // no Toys in the UK: no bar
    expect(byName["UK / Units"]).toEqual([3, null]);
  });

  it("keeps the grand total when there are no levels", () => {
    const data = chartData(layoutOf(pivotIPC({ Revenue: new Float64Array([42]) }, { rows: 0, columns: 0, measures: ["Revenue"] }), EMPTY)!);
    expect(data.categories).toEqual(["Total"]);
    expect(data.series).toEqual([expect.objectContaining({ name: "Revenue", values: [42] })]);
  });
});

describe("chart data with expanded members", () => {
  it("charts an expanded member and its children as categories, the kernel's snapshot alike", () => {
    // rows = [Country] (Continent above it), France expanded to its cities; no totals.
    const data = pivotIPC(
      {
        Continent: ["AM", "EU", "EU", "EU"],
        Country: ["USA", "France", "France", "France"],
        City: [null, null, "Lyon", "Paris"],
        Revenue: new Float64Array([50, 30, 10, 20]),
      },
      { rows: 3, columns: 0, measures: ["Revenue"], expansion_levels: [2] } as never,
    );
    const chart = chartData(layoutOf(data, EMPTY)!);
    expect(chart.categories).toEqual(["AM / USA", "EU / France", "EU / France / Lyon", "EU / France / Paris"]);
    expect(chart.series[0].values).toEqual([50, 30, 10, 20]);
  });
});

describe("chart options", () => {
  const layout = salesLayout();

  it("clustered and stacked columns and bars", () => {
    const columns = chartOption(layout, "clustered-column-chart");
    expect(columns.xAxis).toMatchObject({ type: "category", data: ["Books", "Toys"] });
    expect(columns.yAxis).toMatchObject({ type: "value" });
    const series = columns.series as { type: string; data: unknown[]; stack?: string }[];
    expect(series.map((s) => s.type)).toEqual(["bar", "bar", "bar", "bar"]);
    expect(series[0].data).toEqual([100, 1]);
    expect(series.every((s) => s.stack === undefined)).toBe(true);

    const stacked = chartOption(layout, "stacked-column-chart").series as { stack?: string }[];
    expect(stacked.every((s) => s.stack === "total")).toBe(true);

    const bars = chartOption(layout, "clustered-bar-chart");
    expect(bars.yAxis).toMatchObject({ type: "category", data: ["Books", "Toys"] });
    expect(bars.xAxis).toMatchObject({ type: "value" });
    const stackedBars = chartOption(layout, "stacked-bar-chart").series as { stack?: string }[];
    expect(stackedBars.every((s) => s.stack === "total")).toBe(true);
  });

  it("line and area", () => {
    const line = chartOption(layout, "line-chart").series as { type: string; areaStyle?: unknown }[];
    expect(line.every((s) => s.type === "line" && s.areaStyle === undefined)).toBe(true);
    const area = chartOption(layout, "area-chart").series as { type: string; areaStyle?: unknown }[];
    expect(area.every((s) => s.type === "line" && s.areaStyle !== undefined)).toBe(true);
  });

  it("pie: one pie per series, one slice per category", () => {
    const series = chartOption(layout, "pie-chart").series as { type: string; data: { name: string; value: number }[] }[];
    expect(series).toHaveLength(4);
    expect(series[0].type).toBe("pie");
    expect(series[0].data).toEqual([
      { name: "Books", value: 100 },
      { name: "Toys", value: 1 },
    ]);
    expect(series[2].data).toEqual([{ name: "Books", value: 3 }]); // the empty cell is no slice
  });

  it("scatter: the first measure on x, the second on y", () => {
    const flat = layoutOf(
      pivotIPC(
        { City: ["Lyon", "Paris", "Rome"], Revenue: new Float64Array([10, 20, 30]), Units: new Float64Array([1, 4, 9]) },
        { rows: 1, columns: 0, measures: ["Revenue", "Units"] },
      ),
      EMPTY,
    )!;
    const option = chartOption(flat, "scatter-plot");
    const series = option.series as { type: string; data: { name: string; value: number[] }[] }[];
    expect(series[0].type).toBe("scatter");
    expect(series[0].data).toEqual([
      { name: "Lyon", value: [10, 1] },
      { name: "Paris", value: [20, 4] },
      { name: "Rome", value: [30, 9] },
    ]);
    expect(option.xAxis).toMatchObject({ type: "value", name: "Revenue" });
  });

  it("heatmap: columns on x, rows on y, coloured by the first measure", () => {
    const option = chartOption(layout, "heatmap");
    expect(option.xAxis).toMatchObject({ data: ["France / Revenue", "UK / Revenue"] });
    expect(option.yAxis).toMatchObject({ data: ["Books", "Toys"] });
    const series = option.series as { type: string; data: number[][] }[];
    expect(series[0].type).toBe("heatmap");
    expect(series[0].data).toEqual([
      [0, 0, 100],
      [0, 1, 1],
      [1, 0, 3],
    ]);
    expect(option.visualMap).toMatchObject({ min: 1, max: 100 });
  });

  it("formats tooltips with the measures' formatters and follows the theme", () => {
    const series = chartOption(layout, "clustered-column-chart").series as { tooltip: { valueFormatter: (v: unknown) => string } }[];
    expect(series[0].tooltip.valueFormatter(1234.5)).toBe("1,234.50");
    const light = chartOption(layout, "line-chart", { dark: false });
    const dark = chartOption(layout, "line-chart", { dark: true });
    expect((light.textStyle as { color: string }).color).not.toEqual((dark.textStyle as { color: string }).color);
  });
});

describe("theme", () => {
  afterEach(() => {
    document.body.removeAttribute("data-jp-theme-light");
    document.body.className = "";
  });

  it("follows JupyterLab and VS Code", () => {
    document.body.setAttribute("data-jp-theme-light", "false");
    expect(isDarkTheme(document)).toBe(true);
    document.body.setAttribute("data-jp-theme-light", "true");
    expect(isDarkTheme(document)).toBe(false);
    document.body.removeAttribute("data-jp-theme-light");
    document.body.className = "vscode-dark";
    expect(isDarkTheme(document)).toBe(true);
    document.body.className = "vscode-light";
    expect(isDarkTheme(document)).toBe(false);
  });
});

describe("PivotChart", () => {
  it("draws every view as SVG", () => {
    const chart = new PivotChart(document);
    document.body.append(chart.element);
    for (const view of CHART_VIEWS) {
      chart.draw(salesLayout(), view);
      const svg = chart.element.querySelector("svg");
      expect(svg, view).not.toBeNull();
      expect(svg!.querySelectorAll("path, rect").length, view).toBeGreaterThan(0);
    }
    chart.destroy();
  });
});
