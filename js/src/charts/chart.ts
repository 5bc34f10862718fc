/**
 * PivotChart: draws a chart view of a `PivotLayout` with ECharts, tree-shaken (only the chart
 * kinds and components below are bundled) and rendered as SVG (crisp, small, and readable by
 * tests and screenshots). Resizes with its element; follows the front end's light/dark theme.
 */
import { init, use } from "echarts/core";
import type { ECharts, EChartsCoreOption } from "echarts/core";
import { BarChart, HeatmapChart, LineChart, PieChart, ScatterChart } from "echarts/charts";
import {
  AriaComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import type { PivotLayout } from "../grid/layout";
import { chartOption } from "./options";
import type { ChartView } from "./options";
import { isDarkTheme, watchTheme } from "./theme";

use([
  BarChart,
  LineChart,
  PieChart,
  ScatterChart,
  HeatmapChart,
  AriaComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  SVGRenderer,
]);

export class PivotChart {
  readonly element: HTMLDivElement;
  private chart: ECharts | null = null;
  private dark: boolean;
  private last: { layout: PivotLayout; view: ChartView } | null = null;
  private readonly stopTheme: () => void;
  private readonly resizeObserver: ResizeObserver | null = null;

  constructor(doc: Document) {
    this.element = doc.createElement("div");
    this.element.className = "atl-chart";
    this.dark = isDarkTheme(doc);
    this.stopTheme = watchTheme(doc, (dark) => {
      this.dark = dark;
      if (this.last) this.draw(this.last.layout, this.last.view);
    });
    const Observer = doc.defaultView?.ResizeObserver;
    if (Observer) {
      this.resizeObserver = new Observer(() => this.chart?.resize());
      this.resizeObserver.observe(this.element);
    }
  }

  /** Draw `view` of `layout` (replacing what was drawn). */
  draw(layout: PivotLayout, view: ChartView): void {
    this.last = { layout, view };
    if (!this.chart) {
      // ECharts needs a sized element; a hidden one (0 x 0) gets a default size until resized.
      const width = this.element.clientWidth || 800;
      const height = this.element.clientHeight || 400;
      this.chart = init(this.element, undefined, { renderer: "svg", width, height });
      this.element.style.removeProperty("width");
    }
    const option = chartOption(layout, view, { dark: this.dark }) as EChartsCoreOption;
    this.chart.setOption(option, { notMerge: true, lazyUpdate: false });
    this.element.dataset.view = view;
    this.element.classList.toggle("atl-dark", this.dark);
  }

  /** Follow the element's size (after it is shown again). */
  resize(): void {
    if (!this.chart) return;
    const width = this.element.clientWidth;
    const height = this.element.clientHeight;
    if (width && height) this.chart.resize({ width, height });
  }

  clear(): void {
    this.last = null;
    this.chart?.clear();
  }

  destroy(): void {
    this.stopTheme();
    this.resizeObserver?.disconnect();
    this.chart?.dispose();
    this.chart = null;
    this.element.remove();
  }
}
