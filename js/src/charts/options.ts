/**
 * Chart views of the pivot: ECharts options built from the same `PivotLayout` the grid shows.
 *
 * Categories are the row tuples, series the display columns (column tuple x measure). Totals are
 * left out (a chart of members next to their sum misleads), except that a layout made only of
 * totals (no levels) still draws its one value. Pie charts draw one pie per series; scatter
 * plots put the first measure on x and the second on y (one point per row tuple); heatmaps put
 * the column tuples on x, the row tuples on y and colour by the first measure.
 *
 * This module is pure (no DOM, no ECharts import), so the options are unit-tested as data; the
 * Python snapshot (`atoti_lab/widgets/chart_svg.py`) follows the same rules.
 */
import type { PivotLayout } from "../grid/layout";

/** The chart views, as the `view` of the pivot's state. */
export const CHART_VIEWS = [
  "clustered-column-chart",
  "stacked-column-chart",
  "clustered-bar-chart",
  "stacked-bar-chart",
  "line-chart",
  "area-chart",
  "pie-chart",
  "scatter-plot",
  "heatmap",
] as const;

export type ChartView = (typeof CHART_VIEWS)[number];

export const VIEW_LABELS: Record<"pivot-table" | ChartView, string> = {
  "pivot-table": "Table",
  "clustered-column-chart": "Columns",
  "stacked-column-chart": "Stacked columns",
  "clustered-bar-chart": "Bars",
  "stacked-bar-chart": "Stacked bars",
  "line-chart": "Line",
  "area-chart": "Area",
  "pie-chart": "Pie",
  "scatter-plot": "Scatter",
  "heatmap": "Heatmap",
};

export function isChartView(view: string): view is ChartView {
  return (CHART_VIEWS as readonly string[]).includes(view);
}

/** Above this many categories a chart shows the first ones only (ECharts would freeze the page). */
export const MAX_CATEGORIES = 2000;
/** Above this many series, the first ones only. */
export const MAX_SERIES = 50;

export interface ChartSeries {
  readonly name: string;
  /** Index into `layout.displayColumns`. */
  readonly column: number;
  readonly measure: number;
  /** One value per category (null: no cell). */
  readonly values: (number | null)[];
}

/** What a chart shows, extracted from a layout: numbers only, totals removed. */
export interface ChartData {
  readonly categories: string[];
  /** Row index in the layout of each category. */
  readonly rows: number[];
  readonly series: ChartSeries[];
  /** Categories or series left out by the limits. */
  readonly truncated: boolean;
  readonly measures: string[];
}

function toNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** Label of a tuple: its non-empty header labels joined by " / " ("Total" for the grand total). */
function joinLabels(labels: readonly string[]): string {
  const parts = labels.filter((s) => s !== "");
  return parts.length ? parts.join(" / ") : "Total";
}

/** The categories and series of a layout (see the module comment). */
export function chartData(layout: PivotLayout): ChartData {
  const rows: number[] = [];
  const nRows = layout.rowTuples.length;
  const keepTotals = layout.rowLevels.length === 0;
  let truncated = false;
  for (let r = 0; r < nRows; r++) {
    if (!keepTotals && layout.isTotalRow(r)) continue;
    if (rows.length >= MAX_CATEGORIES) {
      truncated = true;
      break;
    }
    rows.push(r);
  }
  const categories = rows.map((r) => (layout.rowLevels.length ? joinLabels(layout.rowLabels(r)) : "Total"));
  const series: ChartSeries[] = [];
  const keepColumnTotals = layout.columnLevels.length === 0;
  layout.displayColumns.forEach((d, c) => {
    if (d.measure < 0) return;
    if (!keepColumnTotals && layout.isTotalColumn(d.tuple)) return;
    if (!layout.measures[d.measure].numeric) return;
    if (series.length >= MAX_SERIES) {
      truncated = true;
      return;
    }
    const columnLabel = layout.columnLevels.length ? joinLabels(layout.columnLabels(d.tuple)) : "";
    const measure = layout.measures[d.measure].name;
    const name = columnLabel ? (layout.measures.length > 1 ? `${columnLabel} / ${measure}` : columnLabel) : measure;
    series.push({ name, column: c, measure: d.measure, values: rows.map((r) => toNumber(layout.value(r, c))) });
  });
  return { categories, rows, series, truncated, measures: layout.measures.map((m) => m.name) };
}

export interface ChartTheme {
  readonly dark: boolean;
}

const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];
const PALETTE_DARK = ["#4992ff", "#7cffb2", "#fddd60", "#ff6e76", "#58d9f9", "#05c091", "#ff8a45", "#8d48e3", "#dd79ff"];

/** Colours of text, axes and split lines for a theme. */
export function themeColors(theme: ChartTheme): { text: string; axis: string; split: string; palette: string[] } {
  return theme.dark
    ? { text: "#d4d4d4", axis: "#8a8a8a", split: "#3a3a3a", palette: PALETTE_DARK }
    : { text: "#333333", axis: "#6e7079", split: "#e0e6f1", palette: PALETTE };
}

/** A plain-object ECharts option (typed loosely: the chart module checks it against ECharts). */
export type ChartOption = Record<string, unknown>;

/**
 * The ECharts option of `view` for `layout`. `format(seriesIndex, value)` formats values as the
 * grid does (the measures' formatters), for tooltips and labels.
 */
export function chartOption(layout: PivotLayout, view: ChartView, theme: ChartTheme = { dark: false }): ChartOption {
  const data = chartData(layout);
  const colors = themeColors(theme);
  const base: ChartOption = {
    backgroundColor: "transparent",
    color: colors.palette,
    textStyle: { color: colors.text },
    animation: false, // live updates redraw often; animations would lag behind the data
    aria: { enabled: true },
  };
  const legend = { type: "scroll", top: 0, textStyle: { color: colors.text } };
  const formatterOf = (measure: number) => (value: unknown) => {
    const format = layout.measures[measure]?.format;
    return format !== undefined && value != null ? format(value) : String(value ?? "");
  };
  const valueAxis = {
    type: "value",
    axisLabel: { color: colors.text },
    axisLine: { lineStyle: { color: colors.axis } },
    splitLine: { lineStyle: { color: colors.split } },
  };
  const categoryAxis = {
    type: "category",
    data: data.categories,
    axisLabel: { color: colors.text, hideOverlap: true },
    axisLine: { lineStyle: { color: colors.axis } },
  };

  if (view === "pie-chart") {
    const n = Math.max(1, data.series.length);
    const series = data.series.map((s, i) => ({
      type: "pie",
      name: s.name,
      radius: ["0%", `${Math.min(70, Math.floor(140 / n))}%`],
      center: [`${((i + 0.5) / n) * 100}%`, "55%"],
      data: data.categories
        .map((name, k) => ({ name, value: s.values[k] }))
        .filter((d) => d.value !== null && d.value >= 0),
      label: { color: colors.text },
      tooltip: { valueFormatter: formatterOf(s.measure) },
    }));
    return { ...base, legend, tooltip: { trigger: "item" }, series };
  }

  if (view === "scatter-plot") {
    // One point per row tuple: the first measure on x, the second on y (or the category index).
    const xs = data.series[0];
    const ys = data.series.length > 1 ? data.series[1] : null;
    const points = data.categories
      .map((name, k) => ({ name, value: ys ? [xs?.values[k], ys.values[k]] : [k, xs?.values[k]] }))
      .filter((p) => p.value.every((v) => v != null));
    return {
      ...base,
      tooltip: { trigger: "item" },
      grid: { left: 60, right: 30, top: 40, bottom: 50 },
      xAxis: ys ? { ...valueAxis, name: xs?.name ?? "", nameLocation: "middle", nameGap: 28 } : { ...categoryAxis },
      yAxis: { ...valueAxis, name: ys?.name ?? xs?.name ?? "" },
      series: [{ type: "scatter", name: ys ? `${xs?.name} x ${ys.name}` : (xs?.name ?? ""), data: ys ? points : points.map((p) => p.value[1]), symbolSize: 8 }],
    };
  }

  if (view === "heatmap") {
    // x: the column tuples of the first measure; y: the row tuples.
    const columns = data.series.filter((s) => s.measure === (data.series[0]?.measure ?? 0));
    const cells: [number, number, number][] = [];
    let min = Infinity;
    let max = -Infinity;
    columns.forEach((s, x) =>
      s.values.forEach((v, y) => {
        if (v === null) return;
        cells.push([x, y, v]);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }),
    );
    if (!cells.length) min = max = 0;
    return {
      ...base,
      tooltip: { position: "top" },
      grid: { left: 100, right: 30, top: 20, bottom: 80 },
      xAxis: { ...categoryAxis, data: columns.map((s) => s.name), splitArea: { show: true } },
      yAxis: { ...categoryAxis, data: data.categories, splitArea: { show: true } },
      visualMap: {
        min,
        max,
        calculable: true,
        orient: "horizontal",
        left: "center",
        bottom: 10,
        textStyle: { color: colors.text },
      },
      series: [{ type: "heatmap", name: columns[0] ? layout.measures[columns[0].measure].name : "", data: cells }],
    };
  }

  const horizontal = view === "clustered-bar-chart" || view === "stacked-bar-chart";
  const stacked = view === "stacked-column-chart" || view === "stacked-bar-chart";
  const line = view === "line-chart" || view === "area-chart";
  const series = data.series.map((s) => ({
    type: line ? "line" : "bar",
    name: s.name,
    data: s.values,
    ...(stacked ? { stack: "total" } : {}),
    ...(view === "area-chart" ? { areaStyle: { opacity: 0.35 } } : {}),
    ...(line ? { showSymbol: data.categories.length <= 100 } : {}),
    tooltip: { valueFormatter: formatterOf(s.measure) },
  }));
  return {
    ...base,
    legend,
    tooltip: { trigger: "axis", axisPointer: { type: line ? "line" : "shadow" } },
    grid: { left: 16, right: 24, top: 36, bottom: 16 }, // ECharts 6 keeps axis labels inside by default
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
    ...(data.categories.length > 60 ? { dataZoom: [{ type: "inside", [horizontal ? "yAxisIndex" : "xAxisIndex"]: 0 }] } : {}),
    series,
  };
}
