/**
 * PivotGrid: a virtualised HTML table of a `PivotLayout`.
 *
 * Only the visible rows (fixed height) and columns (widths estimated from their contents) are in
 * the DOM, between spacer rows and columns that keep the scroll extent; headers stick to the top
 * and row headers to the left (CSS `position: sticky`). Scrolling re-renders at most once per
 * animation frame, and only when the viewport leaves the rendered window (which has an overscan
 * margin), so 100k+ rows scroll smoothly. A new layout keeps the scroll position, so live
 * updates do not jump.
 */
import type { PivotLayout } from "./layout";
import { covers, fixedWindow, prefixOffsets, variableWindow } from "./virtual";
import type { Range } from "./virtual";

export interface GridOptions {
  /** Row height in px (body and header rows). */
  rowHeight?: number;
  /** Rows rendered above and below the visible ones. */
  overscanRows?: number;
  /** Columns rendered left and right of the visible ones. */
  overscanColumns?: number;
  /** Average character width in px, to size columns from their texts. */
  charWidth?: number;
  /** Viewport used while the grid is not laid out by the browser (clientHeight/Width = 0). */
  fallbackHeight?: number;
  fallbackWidth?: number;
}

export interface GridWindow {
  readonly rows: Range;
  readonly columns: Range;
}

const DEFAULTS: Required<GridOptions> = {
  rowHeight: 26,
  overscanRows: 20,
  overscanColumns: 4,
  charWidth: 7.5,
  fallbackHeight: 480,
  fallbackWidth: 1200,
};

const MIN_WIDTH = 56;
const MAX_WIDTH = 360;
const PADDING = 22;
const SAMPLE_ROWS = 200;

export interface ColumnWidths {
  readonly rowHeaders: number[];
  readonly columns: Float64Array;
}

/** Column widths from the longest texts of a sample of rows and of the headers. */
export function estimateWidths(layout: PivotLayout, charWidth = DEFAULTS.charWidth): ColumnWidths {
  const width = (chars: number) => Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.ceil(chars * charWidth + PADDING)));
  const n = layout.rowTuples.length;
  const sample: number[] = [];
  if (n <= SAMPLE_ROWS) for (let r = 0; r < n; r++) sample.push(r);
  else {
    for (let r = 0; r < SAMPLE_ROWS / 2; r++) sample.push(r);
    const step = (n - SAMPLE_ROWS / 2) / (SAMPLE_ROWS / 2);
    for (let i = 0; i < SAMPLE_ROWS / 2; i++) sample.push(Math.floor(SAMPLE_ROWS / 2 + i * step));
  }
  const rowHeaders = layout.rowLevels.map((level, i) => {
    let chars = level.name.length;
    // +2: room for the expand/collapse mark of a member that can be drilled down.
    for (const r of sample) chars = Math.max(chars, layout.rowLabels(r)[i].length + 2);
    return width(chars);
  });
  const columns = new Float64Array(layout.displayColumns.length);
  const tupleLabels = new Map<number, string[]>();
  layout.displayColumns.forEach((d, c) => {
    let labels = tupleLabels.get(d.tuple);
    if (!labels) {
      labels = layout.columnLabels(d.tuple);
      tupleLabels.set(d.tuple, labels);
    }
    // Outer levels span several columns; only the innermost label must fit in one.
    let chars = labels.length ? labels[labels.length - 1].length : 0;
    if (d.measure >= 0) chars = Math.max(chars, layout.measures[d.measure].name.length);
    for (const r of sample) chars = Math.max(chars, layout.text(r, c).length);
    columns[c] = width(chars);
  });
  return { rowHeaders, columns };
}

function isNegative(value: unknown): boolean {
  if (typeof value === "number" || typeof value === "bigint") return value < 0;
  if (typeof value === "string") return value.startsWith("-");
  return false;
}

export class PivotGrid {
  readonly element: HTMLDivElement;
  private readonly doc: Document;
  private readonly options: Required<GridOptions>;
  private readonly table: HTMLTableElement;
  private layout: PivotLayout | null = null;
  /** The display column the rows are sorted by (marked in its header), or null. */
  sortMark: { column: number; descending: boolean } | null = null;
  /**
   * Whether a member header can be expanded ("collapsed"), is expanded, or neither (null): such
   * headers get the classes `atl-expandable` / `atl-expanded` (a disclosure mark; a click toggles).
   */
  memberState: ((axis: "rows" | "columns", index: number, level: number) => "expanded" | "collapsed" | null) | null =
    null;
  private widths: ColumnWidths = { rowHeaders: [], columns: new Float64Array(0) };
  private offsets: Float64Array = new Float64Array(1);
  private rowHeaderLeft: number[] = [];
  private rowHeaderWidth = 0;
  private rendered: GridWindow | null = null;
  private frame = 0;
  private readonly onScroll = () => {
    if (this.frame) return;
    const raf = this.doc.defaultView?.requestAnimationFrame;
    if (!raf) {
      this.update();
      return;
    }
    this.frame = raf(() => {
      this.frame = 0;
      this.update();
    });
  };

  constructor(doc: Document, options: GridOptions = {}) {
    this.doc = doc;
    this.options = { ...DEFAULTS, ...options };
    this.element = doc.createElement("div");
    this.element.className = "atl-grid";
    this.element.tabIndex = 0;
    this.element.style.setProperty("--atl-row-height", `${this.options.rowHeight}px`);
    this.table = doc.createElement("table");
    this.table.className = "atl-grid-table";
    this.table.setAttribute("role", "grid");
    this.element.append(this.table);
    this.element.addEventListener("scroll", this.onScroll, { passive: true });
  }

  /** Show `layout` (null: nothing), keeping the scroll position. */
  setLayout(layout: PivotLayout | null): void {
    this.layout = layout;
    if (layout) {
      this.widths = estimateWidths(layout, this.options.charWidth);
      this.offsets = prefixOffsets(this.widths.columns);
      this.rowHeaderLeft = [];
      let left = 0;
      for (const w of this.widths.rowHeaders) {
        this.rowHeaderLeft.push(left);
        left += w;
      }
      this.rowHeaderWidth = left;
    }
    this.rendered = null;
    this.update(true);
  }

  /** The visible rows and columns for the current scroll position (without overscan). */
  visibleWindow(): GridWindow {
    const layout = this.layout;
    if (!layout) return { rows: { start: 0, end: 0 }, columns: { start: 0, end: 0 } };
    const { rowHeight } = this.options;
    const height = this.element.clientHeight || this.options.fallbackHeight;
    const width = this.element.clientWidth || this.options.fallbackWidth;
    const headerHeight = this.headerRows() * rowHeight;
    return {
      rows: fixedWindow(this.element.scrollTop, height - headerHeight, rowHeight, layout.rowTuples.length),
      columns: variableWindow(this.offsets, this.element.scrollLeft, width - this.rowHeaderWidth),
    };
  }

  /** The window in the DOM (visible plus overscan), or null before the first render. */
  renderedWindow(): GridWindow | null {
    return this.rendered;
  }

  /** Re-render if the viewport left the rendered window (or always, with `force`). */
  update(force = false): void {
    const layout = this.layout;
    if (!layout) {
      this.table.replaceChildren();
      this.rendered = null;
      return;
    }
    const visible = this.visibleWindow();
    if (!force && this.rendered && covers(this.rendered.rows, visible.rows) && covers(this.rendered.columns, visible.columns)) {
      return;
    }
    const { overscanRows, overscanColumns } = this.options;
    const nRows = layout.rowTuples.length;
    const nColumns = layout.displayColumns.length;
    const window: GridWindow = {
      rows: {
        start: Math.max(0, visible.rows.start - overscanRows),
        end: Math.min(nRows, visible.rows.end + overscanRows),
      },
      columns: {
        start: Math.max(0, visible.columns.start - overscanColumns),
        end: Math.min(nColumns, visible.columns.end + overscanColumns),
      },
    };
    this.render(layout, window);
    this.rendered = window;
  }

  destroy(): void {
    this.element.removeEventListener("scroll", this.onScroll);
    if (this.frame) this.doc.defaultView?.cancelAnimationFrame?.(this.frame);
    this.frame = 0;
    this.layout = null;
    this.element.remove();
  }

  private headerRows(): number {
    const layout = this.layout;
    return layout ? layout.columnLevels.length + 1 : 0;
  }

  private el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
    const node = this.doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  private render(layout: PivotLayout, window: GridWindow): void {
    const { rowHeight } = this.options;
    const { rows, columns } = window;
    const nColumns = layout.displayColumns.length;
    const totalColumnsWidth = this.offsets[nColumns];
    const leftSpace = this.offsets[columns.start];
    const rightSpace = totalColumnsWidth - this.offsets[columns.end];
    const nRowLevels = layout.rowLevels.length;
    this.table.style.width = `${this.rowHeaderWidth + totalColumnsWidth}px`;

    // Columns: row headers, left spacer, visible columns, right spacer.
    const colgroup = this.el("colgroup");
    const col = (w: number, className?: string) => {
      const c = this.el("col", className);
      c.style.width = `${w}px`;
      colgroup.append(c);
    };
    this.widths.rowHeaders.forEach((w) => col(w, "atl-col-header"));
    if (leftSpace > 0) col(leftSpace, "atl-col-spacer");
    for (let c = columns.start; c < columns.end; c++) col(this.widths.columns[c]);
    if (rightSpace > 0) col(rightSpace, "atl-col-spacer");
    const span = colgroup.children.length;

    const spacerCell = (tag: "td" | "th", width: number) => {
      const cell = this.el(tag, "atl-spacer");
      cell.setAttribute("aria-hidden", "true");
      cell.dataset.width = String(width);
      return cell;
    };
    const sticky = (cell: HTMLElement, top: number | null, left: number | null) => {
      if (top !== null) cell.style.top = `${top}px`;
      if (left !== null) cell.style.left = `${left}px`;
    };

    // Header: one row per column level, then the measures row (with the row level names).
    const thead = this.el("thead");
    const nColumnLevels = layout.columnLevels.length;
    const columnLabels = new Map<number, string[]>();
    const labelsOf = (tuple: number) => {
      let labels = columnLabels.get(tuple);
      if (!labels) {
        labels = layout.columnLabels(tuple);
        columnLabels.set(tuple, labels);
      }
      return labels;
    };
    for (let k = 0; k < nColumnLevels; k++) {
      const tr = this.el("tr", "atl-header-row");
      const top = k * rowHeight;
      if (nRowLevels > 0) {
        const corner = this.el("th", "atl-corner atl-level-name", layout.columnLevels[k].name);
        corner.colSpan = nRowLevels;
        corner.dataset.axis = "columns";
        corner.dataset.level = String(k);
        sticky(corner, top, 0);
        tr.append(corner);
      }
      if (leftSpace > 0) tr.append(spacerCell("th", leftSpace));
      let c = columns.start;
      while (c < columns.end) {
        const tuple = layout.displayColumns[c].tuple;
        const prefix = layout.columnTuples.at(tuple);
        let end = c + 1;
        while (end < columns.end) {
          const other = layout.columnTuples.at(layout.displayColumns[end].tuple);
          let same = true;
          for (let i = 0; i <= k; i++) {
            if (other[i] !== prefix[i]) {
              same = false;
              break;
            }
          }
          if (!same) break;
          end++;
        }
        const label = labelsOf(tuple)[k];
        const th = this.el("th", "atl-column-header", label);
        th.dataset.level = String(k);
        th.dataset.tuple = String(tuple);
        if (prefix.slice(0, k + 1).some((v, i) => v == null && !layout.expansionLevels.columns.has(i))) {
          th.classList.add("atl-total");
        }
        this.markMember(th, "columns", tuple, k);
        th.colSpan = end - c;
        th.title = label;
        sticky(th, top, null);
        tr.append(th);
        c = end;
      }
      if (rightSpace > 0) tr.append(spacerCell("th", rightSpace));
      thead.append(tr);
    }
    const measureRow = this.el("tr", "atl-header-row atl-measure-row");
    const top = nColumnLevels * rowHeight;
    layout.rowLevels.forEach((level, i) => {
      const th = this.el("th", "atl-corner atl-level-name", level.name);
      th.title = `${level.name}: click to filter its members`;
      th.dataset.axis = "rows";
      th.dataset.level = String(i);
      sticky(th, top, this.rowHeaderLeft[i]);
      measureRow.append(th);
    });
    if (leftSpace > 0) measureRow.append(spacerCell("th", leftSpace));
    for (let c = columns.start; c < columns.end; c++) {
      const d = layout.displayColumns[c];
      const name = d.measure >= 0 ? layout.measures[d.measure].name : "";
      const th = this.el("th", "atl-measure-header", name);
      if (d.measure >= 0 && layout.measures[d.measure].numeric) th.classList.add("atl-num");
      th.title = name ? `${name}: click to sort the rows` : "";
      th.dataset.column = String(c);
      if (this.sortMark?.column === c) {
        th.classList.add(this.sortMark.descending ? "atl-sorted-desc" : "atl-sorted-asc");
        th.setAttribute("aria-sort", this.sortMark.descending ? "descending" : "ascending");
      }
      sticky(th, top, null);
      measureRow.append(th);
    }
    if (rightSpace > 0) measureRow.append(spacerCell("th", rightSpace));
    thead.append(measureRow);

    // Body: spacer, visible rows, spacer.
    const tbody = this.el("tbody");
    const spacerRow = (height: number) => {
      const tr = this.el("tr", "atl-spacer-row");
      const td = this.el("td");
      td.colSpan = span;
      td.style.height = `${height}px`;
      tr.append(td);
      return tr;
    };
    if (rows.start > 0) tbody.append(spacerRow(rows.start * rowHeight));
    const fragment = this.doc.createDocumentFragment();
    for (let r = rows.start; r < rows.end; r++) {
      const tr = this.el("tr");
      const total = layout.isTotalRow(r);
      if (total) tr.className = "atl-total";
      tr.setAttribute("aria-rowindex", String(r + 1));
      const labels = layout.rowLabels(r);
      const tuple = layout.rowTuples.at(r);
      const previous = r > 0 ? layout.rowTuples.at(r - 1) : null;
      for (let i = 0; i < nRowLevels; i++) {
        const th = this.el("th", "atl-row-header", labels[i]);
        th.scope = "row";
        th.dataset.level = String(i);
        th.dataset.row = String(r);
        if (labels[i]) th.title = labels[i];
        if (previous && tuple[i] != null) {
          let repeat = true;
          for (let k = 0; k <= i; k++) {
            if (previous[k] !== tuple[k]) {
              repeat = false;
              break;
            }
          }
          if (repeat) th.classList.add("atl-repeat");
        }
        if (!th.classList.contains("atl-repeat")) this.markMember(th, "rows", r, i);
        sticky(th, null, this.rowHeaderLeft[i]);
        tr.append(th);
      }
      if (leftSpace > 0) tr.append(spacerCell("td", leftSpace));
      for (let c = columns.start; c < columns.end; c++) {
        const td = this.el("td");
        const d = layout.displayColumns[c];
        const value = layout.value(r, c);
        let className = d.measure >= 0 && layout.measures[d.measure].numeric ? "atl-num" : "";
        if (value == null) className += " atl-null";
        else {
          if (className && isNegative(value)) className += " atl-negative";
          td.textContent = layout.text(r, c);
        }
        if (layout.isTotalColumn(d.tuple)) className += " atl-total";
        if (className) td.className = className.trim();
        tr.append(td);
      }
      if (rightSpace > 0) tr.append(spacerCell("td", rightSpace));
      fragment.append(tr);
    }
    tbody.append(fragment);
    const below = layout.rowTuples.length - rows.end;
    if (below > 0) tbody.append(spacerRow(below * rowHeight));

    this.table.setAttribute("aria-rowcount", String(layout.rowTuples.length));
    this.table.setAttribute("aria-colcount", String(nRowLevels + nColumns));
    this.table.replaceChildren(colgroup, thead, tbody);
  }

  private markMember(th: HTMLElement, axis: "rows" | "columns", index: number, level: number): void {
    const state = this.memberState?.(axis, index, level) ?? null;
    if (state === null) return;
    th.classList.add(state === "expanded" ? "atl-expanded" : "atl-expandable");
    th.setAttribute("aria-expanded", String(state === "expanded"));
  }
}
