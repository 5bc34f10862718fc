/**
 * ResultTable: the anywidget front end of `atoti_lab.widgets.table.ResultTable`.
 *
 * Renders the Arrow IPC bytes of the `data` trait as an HTML table and re-renders when
 * `data`, `title`, `formats` or `max_rows` change.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { columnFormatter } from "../format";
import { decodeIPC } from "../wire";
import type { ColumnKind, WireTable } from "../wire";
import "./table.css";

export interface TableModel {
  data: unknown;
  title: string;
  formats: Record<string, string> | null;
  max_rows: number;
}

export interface TableState {
  data: unknown;
  title?: string;
  formats?: Record<string, string> | null;
  /** At most this many rows are put in the DOM (default 1000); `<= 0` means all. */
  maxRows?: number;
}

export const DEFAULT_MAX_ROWS = 1000;

const NUMERIC_KINDS = new Set<ColumnKind>(["int", "float", "decimal", "duration"]);

const count = new Intl.NumberFormat("en-US");

function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Render `state` into `container`, replacing what was there. */
export function renderTable(container: HTMLElement, state: TableState): void {
  const doc = container.ownerDocument;
  const root = element(doc, "div", "atl-root atl-result-table");
  if (state.title) root.append(element(doc, "div", "atl-title", state.title));

  let table: WireTable;
  try {
    table = decodeIPC(state.data);
  } catch (error) {
    root.append(
      element(doc, "div", "atl-error", `Could not decode the result: ${(error as Error).message ?? error}`),
    );
    container.replaceChildren(root);
    return;
  }

  if (table.columns.length === 0) {
    root.append(element(doc, "div", "atl-empty", "No data"));
    container.replaceChildren(root);
    return;
  }

  const maxRows = state.maxRows ?? DEFAULT_MAX_ROWS;
  const shown = maxRows > 0 ? Math.min(table.numRows, maxRows) : table.numRows;
  const index = new Set(table.indexColumns);
  const columns = table.columns.map((column) => ({
    column,
    isIndex: index.has(column.name),
    numeric: NUMERIC_KINDS.has(column.kind),
    format: columnFormatter(column, state.formats, index.has(column.name)),
  }));

  const scroll = element(doc, "div", "atl-scroll");
  const htmlTable = element(doc, "table", "atl-table");
  const headRow = element(doc, "tr");
  for (const c of columns) {
    const th = element(doc, "th", c.isIndex ? "atl-index" : c.numeric ? "atl-num" : undefined, c.column.name);
    th.scope = "col";
    th.title = `${c.column.name}: ${c.column.arrowType}`;
    headRow.append(th);
  }
  const head = element(doc, "thead");
  head.append(headRow);
  htmlTable.append(head);

  const body = element(doc, "tbody");
  const fragment = doc.createDocumentFragment();
  for (let row = 0; row < shown; row++) {
    const tr = element(doc, "tr");
    for (const c of columns) {
      const value = c.column.get(row);
      const cell = element(doc, c.isIndex ? "th" : "td");
      if (c.isIndex) (cell as HTMLTableCellElement).scope = "row";
      let className = c.isIndex ? "atl-index" : c.numeric ? "atl-num" : "";
      if (value == null) className += " atl-null";
      else if (c.numeric && isNegative(value)) className += " atl-negative";
      if (className) cell.className = className.trim();
      cell.textContent = c.format(value);
      tr.append(cell);
    }
    fragment.append(tr);
  }
  body.append(fragment);
  htmlTable.append(body);
  scroll.append(htmlTable);
  root.append(scroll);

  const footer =
    shown < table.numRows
      ? `Showing ${count.format(shown)} of ${count.format(table.numRows)} rows`
      : `${count.format(table.numRows)} ${table.numRows === 1 ? "row" : "rows"}`;
  root.append(element(doc, "div", "atl-footer", `${footer} \u00d7 ${count.format(columns.length)} columns`));
  container.replaceChildren(root);
}

function isNegative(value: unknown): boolean {
  if (typeof value === "number" || typeof value === "bigint") return value < 0;
  if (typeof value === "string") return value.startsWith("-");
  return false;
}

function stateOf(model: AnyModel<TableModel>): TableState {
  return {
    data: model.get("data"),
    title: model.get("title"),
    formats: model.get("formats"),
    maxRows: model.get("max_rows"),
  };
}

const EVENTS = ["change:data", "change:title", "change:formats", "change:max_rows"];

function render({ model, el }: RenderProps<TableModel>): () => void {
  el.classList.add("atoti-lab");
  const update = () => renderTable(el, stateOf(model));
  update();
  for (const event of EVENTS) model.on(event, update);
  return () => {
    for (const event of EVENTS) model.off(event, update);
  };
}

export default { render };
