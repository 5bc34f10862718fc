/**
 * Pivot: the anywidget front end of `atoti_lab.widgets.pivot.Pivot`.
 *
 * The kernel runs the queries; this renders them. Traits read: `state` (the query), `model` (the
 * cube's data model, for the side panel), `data` and `cross_totals` (Arrow IPC of the result),
 * `error`, `live`, `title`. Edits in the UI (side panel clicks, drag and drop, chip removal,
 * the totals box, a click on a member header to expand or collapse it in place) write `state`
 * and save it: the kernel re-runs the query and sends new `data`. The "Real time" box writes
 * `live`. A member filter asks the kernel for all the members of its level (a custom message
 * `{type: "members", id, level}`, answered with `{type: "members", id, level, members, more}`).
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { PivotGrid } from "../grid/grid";
import type { GridOptions } from "../grid/grid";
import { buildLayout } from "../grid/layout";
import { arrowColumns } from "../grid/levels";
import type { PivotLayout } from "../grid/layout";
import {
  addLevel,
  addMeasure,
  axisOf,
  describeFilter,
  levelLabel,
  matches,
  readState,
  removeFilter,
  removeLevel,
  removeMeasure,
  sameLevel,
  canDrillUp,
  cycleSort,
  expansionChild,
  isExpanded,
  memberJson,
  toggleExpansion,
  drillUp,
  filteredMembers,
  readSort,
  setMemberFilter,
  setTotals,
  setView,
  shownLevelKey,
  swapAxes,
  toggleMeasure,
} from "../grid/state";
import type { Axis, DataModel, LevelKey, PathStep, PivotState } from "../grid/state";
import { PivotChart } from "../charts/chart";
import { CHART_VIEWS, VIEW_LABELS, isChartView } from "../charts/options";
import { sortColumn, sortLayout } from "../grid/sort";
import { decodeIPC } from "../wire";
import type { WireTable } from "../wire";
import "./table.css";
import "./pivot.css";

export interface PivotTraits {
  state: PivotState;
  model: DataModel;
  data: unknown;
  cross_totals: unknown;
  error: string;
  live: boolean;
  refresh_ms: number;
  title: string;
}

/** Drag and drop payload type. */
export const DRAG_TYPE = "application/x-atoti-lab-pivot";

type DragPayload = { kind: "level"; key: LevelKey } | { kind: "measure"; name: string };

const count = new Intl.NumberFormat("en-US");

const EMPTY_HINT =
  "Click a level to put it on rows (shift+click: columns) and a measure to show its values, or drag them to the zones above.";

/** Decode the result traits; throws on corrupt bytes. Returns null when there is no result. */
export function layoutOf(data: unknown, crossTotals: unknown): PivotLayout | null {
  const main = decodeIPC(data);
  if (main.columns.length === 0) return null;
  const tables: WireTable[] = [main];
  // The level columns are also read straight from the Arrow buffers (much faster than `get`).
  const vectors = [arrowColumns(data)];
  const cross = decodeIPC(crossTotals);
  if (cross.numRows > 0) {
    tables.push(cross);
    vectors.push(arrowColumns(crossTotals));
  }
  return buildLayout(tables, undefined, vectors);
}

export class PivotView {
  readonly root: HTMLDivElement;
  readonly grid: PivotGrid;
  /** Created when a chart view is first shown (ECharts is not set up for table-only widgets). */
  private chart: PivotChart | null = null;
  private readonly chartHost: HTMLDivElement;
  private readonly viewSelect: HTMLSelectElement;
  private readonly doc: Document;
  private readonly model: AnyModel<PivotTraits>;
  private readonly title: HTMLDivElement;
  private readonly status: HTMLSpanElement;
  private readonly totalsBox: HTMLInputElement;
  private readonly liveBox: HTMLInputElement;
  private readonly panel: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly list: HTMLDivElement;
  private readonly zones: Record<"rows" | "columns" | "values" | "filters", HTMLDivElement>;
  private readonly errorBox: HTMLDivElement;
  private readonly message: HTMLDivElement;
  private readonly footer: HTMLDivElement;
  private layout: PivotLayout | null = null;
  /** The layout as shown: `layout` with the state's sort applied. */
  private shown: PivotLayout | null = null;
  private popover: HTMLElement | null = null;
  private decoded: { data: unknown; cross: unknown } | null = null;
  /** All the members of levels, from the kernel (by level key as JSON); cleared when data changes. */
  private readonly levelMembers = new Map<string, { members: unknown[]; more: number }>();
  private readonly pendingMembers = new Map<number, () => void>();
  private memberRequests = 0;
  private dataScheduled = false;
  private stateCache: { raw: unknown; state: PivotState } | null = null;
  private readonly listeners: [string, () => void][] = [];

  constructor(model: AnyModel<PivotTraits>, el: HTMLElement, gridOptions: GridOptions = {}) {
    this.model = model;
    this.doc = el.ownerDocument;
    const root = this.el("div", "atl-root atl-pivot-root");
    this.root = root;

    // Toolbar
    const toolbar = this.el("div", "atl-pivot-toolbar");
    const panelToggle = this.el("button", "atl-button atl-panel-toggle", "\u2630");
    panelToggle.type = "button";
    panelToggle.title = "Show or hide the data model";
    panelToggle.setAttribute("aria-label", "Show or hide the data model");
    panelToggle.addEventListener("click", () => root.classList.toggle("atl-panel-hidden"));
    this.title = this.el("div", "atl-title");
    const spacer = this.el("div", "atl-spacer-flex");
    const swap = this.el("button", "atl-button atl-swap", "\u21c4");
    swap.type = "button";
    swap.title = "Swap rows and columns";
    swap.setAttribute("aria-label", "Swap rows and columns");
    swap.addEventListener("click", () => this.edit(swapAxes(this.state())));
    this.totalsBox = this.checkbox("Totals", "Show the grand total and subtotals", (on) =>
      this.edit(setTotals(this.state(), on)),
    );
    this.liveBox = this.checkbox("Real time", "Update when the data changes", (on) => {
      model.set("live", on);
      model.save_changes();
    });
    this.status = this.el("span", "atl-status");
    this.viewSelect = this.el("select", "atl-view-select");
    this.viewSelect.title = "View: the table or a chart of the same query";
    this.viewSelect.setAttribute("aria-label", "View");
    for (const view of ["pivot-table", ...CHART_VIEWS] as const) {
      const option = this.el("option", undefined, VIEW_LABELS[view]);
      option.value = view;
      this.viewSelect.append(option);
    }
    this.viewSelect.addEventListener("change", () => this.edit(setView(this.state(), this.viewSelect.value)));
    toolbar.append(
      panelToggle,
      this.title,
      spacer,
      this.status,
      this.viewSelect,
      swap,
      this.totalsBox.parentElement!,
      this.liveBox.parentElement!,
    );

    // Side panel
    this.panel = this.el("aside", "atl-pivot-panel");
    this.search = this.el("input", "atl-search");
    this.search.type = "search";
    this.search.placeholder = "Search levels and measures";
    this.search.setAttribute("aria-label", "Search levels and measures");
    this.search.addEventListener("input", () => this.renderPanel());
    this.list = this.el("div", "atl-panel-list");
    this.panel.append(this.search, this.list);

    // Main area: zones, error, message, grid, footer
    const main = this.el("div", "atl-pivot-main");
    const zoneBar = this.el("div", "atl-pivot-zones");
    this.zones = {
      rows: this.zone("rows", "Rows", zoneBar),
      columns: this.zone("columns", "Columns", zoneBar),
      values: this.zone("values", "Values", zoneBar),
      filters: this.zone("filters", "Filters", zoneBar),
    };
    this.errorBox = this.el("div", "atl-error");
    this.errorBox.setAttribute("role", "alert");
    this.message = this.el("div", "atl-empty");
    this.grid = new PivotGrid(this.doc, gridOptions);
    this.footer = this.el("div", "atl-footer");
    this.chartHost = this.el("div", "atl-chart-host");
    this.chartHost.hidden = true;
    main.append(zoneBar, this.errorBox, this.message, this.grid.element, this.chartHost, this.footer);

    const body = this.el("div", "atl-pivot-body");
    body.append(this.panel, main);
    root.append(toolbar, body);
    el.replaceChildren(root);

    this.grid.element.addEventListener("click", (event) => this.onGridClick(event));
    this.grid.memberState = (axis, index, level) => this.memberState(axis, index, level);

    this.on("change:state", () => {
      this.renderZones();
      this.renderPanel();
      this.renderToolbar();
      // A view switch keeps the query: the kernel sends no new data, so redraw from the layout.
      this.scheduleData();
    });
    this.on("change:model", () => this.renderPanel());
    this.on("change:data", () => {
      this.levelMembers.clear(); // a commit may have added members
      this.scheduleData();
    });
    this.on("msg:custom", (message: unknown) => this.onCustomMessage(message));
    this.on("change:cross_totals", () => this.scheduleData());
    this.on("change:error", () => {
      this.root.classList.remove("atl-pending");
      this.renderError();
    });
    this.on("change:live", () => this.renderToolbar());
    this.on("change:title", () => this.renderToolbar());
    this.renderAll();
  }

  /** Render everything from the model now. */
  renderAll(): void {
    this.renderToolbar();
    this.renderPanel();
    this.renderZones();
    this.renderError();
    this.renderData();
  }

  destroy(): void {
    for (const [event, callback] of this.listeners) this.model.off(event, callback);
    this.listeners.length = 0;
    this.grid.destroy();
    this.chart?.destroy();
    this.closePopover();
  }

  /** The current state (the same object until the trait changes, so edits can detect no-ops). */
  state(): PivotState {
    const raw = this.model.get("state");
    if (!this.stateCache || this.stateCache.raw !== raw) this.stateCache = { raw, state: readState(raw) };
    return this.stateCache.state;
  }

  /** Write a new state (if it changed) for the kernel to run. */
  edit(next: PivotState): void {
    if (next === this.state()) return;
    this.model.set("state", next);
    this.model.save_changes();
    this.root.classList.add("atl-pending");
  }

  // -- helpers --------------------------------------------------------------------------------

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private on(event: string, callback: (...args: any[]) => void): void {
    this.model.on(event, callback);
    this.listeners.push([event, callback]);
  }

  private el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
    const node = this.doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  private checkbox(label: string, title: string, onChange: (on: boolean) => void): HTMLInputElement {
    const wrapper = this.el("label", "atl-toggle");
    wrapper.title = title;
    const input = this.el("input");
    input.type = "checkbox";
    input.addEventListener("change", () => onChange(input.checked));
    wrapper.append(input, this.doc.createTextNode(label));
    return input;
  }

  private zone(name: "rows" | "columns" | "values" | "filters", label: string, bar: HTMLElement): HTMLDivElement {
    const zone = this.el("div", `atl-zone atl-zone-${name}`);
    zone.dataset.zone = name;
    const title = this.el("span", "atl-zone-label", label);
    const chips = this.el("div", "atl-chips");
    zone.append(title, chips);
    if (name !== "filters") {
      zone.addEventListener("dragover", (event) => {
        if (!event.dataTransfer?.types.includes(DRAG_TYPE)) return;
        event.preventDefault();
        zone.classList.add("atl-drop");
      });
      zone.addEventListener("dragleave", () => zone.classList.remove("atl-drop"));
      zone.addEventListener("drop", (event) => {
        zone.classList.remove("atl-drop");
        const raw = event.dataTransfer?.getData(DRAG_TYPE);
        if (!raw) return;
        event.preventDefault();
        this.drop(JSON.parse(raw) as DragPayload, name);
      });
    }
    bar.append(zone);
    return chips;
  }

  /** Apply a drop of `payload` on a zone. */
  drop(payload: DragPayload, zone: "rows" | "columns" | "values"): void {
    const state = this.state();
    if (payload.kind === "level" && zone !== "values") this.edit(addLevel(state, payload.key, zone));
    else if (payload.kind === "measure" && zone === "values") this.edit(addMeasure(state, payload.name));
  }

  private draggable(node: HTMLElement, payload: DragPayload): void {
    node.draggable = true;
    node.addEventListener("dragstart", (event) => {
      event.dataTransfer?.setData(DRAG_TYPE, JSON.stringify(payload));
      if (event.dataTransfer) event.dataTransfer.effectAllowed = "copyMove";
    });
  }

  private chip(label: string, title: string, onRemove: () => void, payload?: DragPayload): HTMLElement {
    const chip = this.el("span", "atl-chip");
    chip.title = title;
    chip.append(this.el("span", "atl-chip-label", label));
    const remove = this.el("button", "atl-chip-remove", "\u00d7");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${label}`);
    remove.addEventListener("click", (event) => {
      event.stopPropagation();
      onRemove();
    });
    chip.append(remove);
    if (payload) this.draggable(chip, payload);
    return chip;
  }

  // -- rendering ------------------------------------------------------------------------------

  private renderToolbar(): void {
    const state = this.state();
    const title = this.model.get("title") || "";
    this.title.textContent = title;
    this.title.hidden = !title;
    this.totalsBox.checked = state.totals;
    this.viewSelect.value = state.view in VIEW_LABELS ? state.view : "pivot-table";
    this.liveBox.checked = this.model.get("live") !== false;
    this.root.classList.toggle("atl-paused", this.model.get("live") === false);
  }

  private renderZones(): void {
    const state = this.state();
    const model = this.model.get("model") as DataModel | null;
    const levelChips = (axis: Axis) =>
      state[axis].map((key) => {
        const chip = this.chip(
          levelLabel(key),
          `${key.join(" / ")} (drag to move)`,
          () => this.edit(removeLevel(this.state(), key)),
          { kind: "level", key },
        );
        if (canDrillUp(model, key)) {
          const up = this.el("button", "atl-chip-drill-up", "\u2934");
          up.type = "button";
          up.title = "Drill up: show the level above";
          up.setAttribute("aria-label", `Drill up from ${levelLabel(key)}`);
          up.addEventListener("click", (event) => {
            event.stopPropagation();
            this.edit(drillUp(this.state(), this.model.get("model") as DataModel | null, key));
          });
          chip.insertBefore(up, chip.lastChild);
        }
        return chip;
      });
    this.zones.rows.replaceChildren(...levelChips("rows"));
    this.zones.columns.replaceChildren(...levelChips("columns"));
    this.zones.values.replaceChildren(
      ...state.measures.map((name) =>
        this.chip(name, name, () => this.edit(removeMeasure(this.state(), name)), { kind: "measure", name }),
      ),
    );
    this.zones.filters.replaceChildren(
      ...state.filters.map((filter, i) => {
        const text = describeFilter(filter);
        return this.chip(text, text, () => this.edit(removeFilter(this.state(), i)));
      }),
    );
    for (const [name, chips] of Object.entries(this.zones)) {
      if (chips.children.length === 0) chips.append(this.el("span", "atl-zone-hint", name === "filters" ? "none" : "drop here"));
    }
  }

  renderPanel(): void {
    const data = this.model.get("model") as DataModel | null;
    const state = this.state();
    const query = this.search.value.trim().toLowerCase();
    const nodes: HTMLElement[] = [];
    if (!data || !Array.isArray(data.dimensions as unknown)) {
      this.list.replaceChildren(this.el("div", "atl-empty", "No data model"));
      return;
    }

    // Measures, grouped by folder
    const measures = (data.measures ?? []).filter((m) => m.visible !== false && matches(query, m.name, m.folder));
    if (measures.length) {
      nodes.push(this.el("div", "atl-section", "Measures"));
      const folders = new Map<string, typeof measures>();
      for (const m of measures) {
        const folder = m.folder ?? "";
        if (!folders.has(folder)) folders.set(folder, []);
        folders.get(folder)!.push(m);
      }
      const names = [...folders.keys()].sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)));
      for (const folder of names) {
        if (folder) nodes.push(this.el("div", "atl-folder", folder.replace(/\\/g, " / ")));
        for (const m of folders.get(folder)!) {
          const item = this.el("button", "atl-item atl-measure", m.name);
          item.type = "button";
          if (folder) item.classList.add("atl-in-folder");
          const selected = state.measures.includes(m.name);
          if (selected) item.classList.add("atl-selected");
          item.setAttribute("aria-pressed", String(selected));
          item.title = [m.description, m.formatter ? `Format: ${m.formatter}` : null, "Click: show or hide"]
            .filter(Boolean)
            .join("\n");
          item.addEventListener("click", () => this.edit(toggleMeasure(this.state(), m.name)));
          this.draggable(item, { kind: "measure", name: m.name });
          nodes.push(item);
        }
      }
    }

    // Dimensions > hierarchies > levels
    const hierarchyNodes: HTMLElement[] = [];
    for (const dimension of data.dimensions) {
      const dimensionNodes: HTMLElement[] = [];
      for (const hierarchy of dimension.hierarchies) {
        if (hierarchy.visible === false) continue;
        const single = hierarchy.levels.length === 1 && hierarchy.levels[0].name === hierarchy.name;
        const levels = hierarchy.levels.filter((level) =>
          matches(query, level.name, hierarchy.name, dimension.name),
        );
        if (!levels.length) continue;
        if (!single) dimensionNodes.push(this.el("div", "atl-hierarchy", hierarchy.name));
        for (const level of levels) {
          const key: LevelKey = [dimension.name, hierarchy.name, level.name];
          const item = this.el("button", "atl-item atl-level", level.name);
          item.type = "button";
          if (!single) item.classList.add("atl-in-hierarchy");
          const axis = axisOf(state, key);
          if (axis) {
            item.classList.add("atl-selected");
            item.append(this.el("span", "atl-badge", axis === "rows" ? "rows" : "columns"));
          }
          item.title = `${key.join(" / ")}${level.type ? ` (${level.type})` : ""}\nClick: add to rows \u00b7 Shift+click: add to columns`;
          item.addEventListener("click", (event) =>
            this.edit(addLevel(this.state(), key, event.shiftKey ? "columns" : "rows")),
          );
          this.draggable(item, { kind: "level", key });
          dimensionNodes.push(item);
        }
      }
      if (dimensionNodes.length) hierarchyNodes.push(this.el("div", "atl-dimension", dimension.name), ...dimensionNodes);
    }
    if (hierarchyNodes.length) nodes.push(this.el("div", "atl-section", "Hierarchies"), ...hierarchyNodes);
    if (!nodes.length) nodes.push(this.el("div", "atl-empty", query ? "Nothing matches" : "The cube is empty"));
    this.list.replaceChildren(...nodes);
  }

  private renderError(): void {
    const error = this.model.get("error") || "";
    this.errorBox.textContent = error;
    this.errorBox.hidden = !error;
    this.root.classList.toggle("atl-has-error", Boolean(error));
  }

  private scheduleData(): void {
    this.root.classList.remove("atl-pending");
    if (this.dataScheduled) return;
    this.dataScheduled = true;
    queueMicrotask(() => {
      this.dataScheduled = false;
      this.renderData();
    });
  }

  /** Decode the result and lay it out (only when the bytes changed), then update the grid. */
  renderData(): void {
    const data = this.model.get("data");
    const cross = this.model.get("cross_totals");
    if (!this.decoded || this.decoded.data !== data || this.decoded.cross !== cross) {
      this.decoded = { data, cross };
      try {
        this.layout = layoutOf(data, cross);
        this.root.classList.remove("atl-decode-error");
      } catch (error) {
        this.layout = null;
        this.root.classList.add("atl-decode-error");
        this.message.textContent = `Could not decode the result: ${(error as Error).message ?? error}`;
        this.message.hidden = false;
        this.grid.setLayout(null);
        this.grid.element.hidden = true;
        this.footer.textContent = "";
        return;
      }
    }
    const layout = this.layout;
    const state = this.state();
    const empty = !layout || layout.rowTuples.length === 0;
    if (!layout) {
      const nothing = !state.rows.length && !state.columns.length && !state.measures.length;
      this.message.textContent = nothing ? EMPTY_HINT : "No result yet";
    } else if (layout.rowTuples.length === 0) this.message.textContent = "No data for this query";
    this.message.hidden = !empty;
    const sort = readSort(state);
    const shown = layout && !empty ? sortLayout(layout, sort) : layout;
    this.shown = shown;
    this.grid.sortMark = null;
    if (sort && shown && shown !== layout) {
      const column = sortColumn(layout!, sort);
      if (column >= 0) this.grid.sortMark = { column, descending: sort.descending };
    }
    const view = state.view;
    const chartView = isChartView(view) ? view : null;
    this.grid.element.hidden = empty || chartView !== null;
    this.chartHost.hidden = empty || chartView === null;
    this.root.dataset.view = chartView ?? "pivot-table";
    if (chartView && layout && !empty) {
      this.grid.setLayout(null);
      if (!this.chart) {
        this.chart = new PivotChart(this.doc);
        this.chartHost.append(this.chart.element);
      }
      this.chart.draw(shown!, chartView);
    } else {
      this.chart?.clear();
      this.grid.setLayout(empty ? null : shown);
    }
    if (!layout) {
      this.footer.textContent = "";
      this.status.textContent = "";
      return;
    }
    const rows = layout.rowTuples.length;
    const columns = layout.displayColumns.length;
    this.footer.textContent =
      `${count.format(rows)} ${rows === 1 ? "row" : "rows"} \u00d7 ${count.format(columns)} ` +
      `${columns === 1 ? "column" : "columns"} (${count.format(layout.cellCount)} cells)`;
    const elapsed = layout.info.elapsedMs;
    this.status.textContent = elapsed === null ? "" : `${elapsed < 10 ? elapsed.toFixed(1) : Math.round(elapsed)} ms`;
    this.status.title = `Query #${layout.info.run}`;
  }

  // -- grid interactions: sort, drill down, member filters ------------------------------------

  private onGridClick(event: MouseEvent): void {
    const target = (event.target as HTMLElement | null)?.closest?.("th");
    const layout = this.shown;
    if (!target || !layout) return;
    if (target.classList.contains("atl-measure-header") && target.dataset.column) {
      const d = layout.displayColumns[Number(target.dataset.column)];
      if (!d || d.measure < 0) return;
      const members = layout.columnTuples.at(d.tuple).map((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v));
      this.edit(cycleSort(this.state(), layout.measures[d.measure].name, members));
    } else if (target.classList.contains("atl-level-name") && target.dataset.axis) {
      this.openMemberFilter(target.dataset.axis as Axis, Number(target.dataset.level), target);
    } else if (target.classList.contains("atl-expandable") || target.classList.contains("atl-expanded")) {
      this.onMemberClick(target);
    }
  }

  /**
   * The path (levels and members down to it) of the header of level `level` of tuple `index` on
   * `axis` of the shown grid; null on a blank or total header.
   */
  private memberPath(axis: Axis, index: number, level: number): PathStep[] | null {
    const layout = this.shown;
    if (!layout) return null;
    const tuples = axis === "rows" ? layout.rowTuples : layout.columnTuples;
    const levels = axis === "rows" ? layout.rowLevels : layout.columnLevels;
    if (index < 0 || index >= tuples.length || level >= levels.length) return null;
    const tuple = tuples.at(index);
    if (tuple[level] == null) return null;
    const model = this.model.get("model") as DataModel | null;
    const state = this.state();
    const path: PathStep[] = [];
    for (let i = 0; i <= level; i++) {
      if (tuple[i] == null) continue; // a level this member is not expanded into
      const key = shownLevelKey(model, state, axis, levels[i].name);
      if (!key) return null;
      path.push({ level: key, value: tuple[i] });
    }
    return path;
  }

  /** Whether the header can be expanded ("collapsed"), is expanded, or neither (null). */
  private memberState(axis: Axis, index: number, level: number): "expanded" | "collapsed" | null {
    const path = this.memberPath(axis, index, level);
    if (!path) return null;
    const state = this.state();
    const model = this.model.get("model") as DataModel | null;
    const members = path.map((step) => ({ level: step.level, value: memberJson(step.value) }));
    if (isExpanded(state, axis, members)) return "expanded";
    return expansionChild(state, model, axis, path[path.length - 1].level) ? "collapsed" : null;
  }

  /** Expand a member header in place (its children under it), or collapse it. */
  private onMemberClick(target: HTMLElement): void {
    const axis: Axis | null = target.classList.contains("atl-row-header")
      ? "rows"
      : target.classList.contains("atl-column-header")
        ? "columns"
        : null;
    const index = Number(axis === "rows" ? target.dataset.row : target.dataset.tuple);
    if (axis === null || Number.isNaN(index) || target.dataset.level === undefined) return;
    const path = this.memberPath(axis, index, Number(target.dataset.level));
    if (!path) return;
    this.edit(toggleExpansion(this.state(), this.model.get("model") as DataModel | null, axis, path));
  }

  /** The members of level `index` on `axis` in the current result (at most `limit`). */
  private membersOf(axis: Axis, index: number, limit = 500): unknown[] {
    const layout = this.layout;
    if (!layout) return [];
    const tuples = axis === "rows" ? layout.rowTuples : layout.columnTuples;
    const seen = new Set<unknown>();
    const out: unknown[] = [];
    for (let t = 0; t < tuples.length && out.length < limit; t++) {
      const v = tuples.at(t)[index];
      const key = v instanceof Date ? v.toISOString().slice(0, 10) : v;
      if (key != null && !seen.has(key)) {
        seen.add(key);
        out.push(key);
      }
    }
    return out;
  }

  /** The kernel's answer to a `members` request: all the members of a level. */
  private onCustomMessage(message: unknown): void {
    const m = (message ?? {}) as { type?: unknown; id?: unknown; level?: unknown; members?: unknown; more?: unknown };
    if (m.type !== "members" || typeof m.id !== "number") return;
    const done = this.pendingMembers.get(m.id);
    this.pendingMembers.delete(m.id);
    if (!Array.isArray(m.members)) return; // an error: the list from the result stays
    this.levelMembers.set(JSON.stringify(m.level), { members: m.members, more: typeof m.more === "number" ? m.more : 0 });
    done?.();
  }

  /**
   * A popover listing the members of a level, to keep some of them (an `isin` filter). It lists
   * the members in the result at once, then all the level's members once the kernel sends them.
   */
  openMemberFilter(axis: Axis, index: number, anchor?: HTMLElement): void {
    this.closePopover();
    const layout = this.layout;
    if (!layout) return;
    const levels = axis === "rows" ? layout.rowLevels : layout.columnLevels;
    const model = this.model.get("model") as DataModel | null;
    const key = levels[index] ? shownLevelKey(model, this.state(), axis, levels[index].name) : null;
    if (!key) return;
    const kept = filteredMembers(this.state(), key);
    const box = this.el("div", "atl-popover atl-member-filter");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", `Filter ${key[2]}`);
    box.append(this.el("div", "atl-popover-title", `Keep members of ${key[2]}`));
    const list = this.el("div", "atl-popover-list");
    const note = this.el("div", "atl-popover-note");
    let boxes: [HTMLInputElement, unknown][] = [];
    const fill = (members: unknown[], more: number) => {
      // Keep what the user already (un)checked when the full list arrives.
      const checked = new Map(boxes.map(([input, m]) => [String(m), input.checked]));
      for (const v of kept ?? []) if (!members.some((m) => String(m) === String(v))) members.push(v);
      list.replaceChildren();
      boxes = members.map((m) => {
        const label = this.el("label", "atl-popover-item");
        const input = this.el("input");
        input.type = "checkbox";
        input.checked = checked.get(String(m)) ?? (kept === null || kept.some((v) => String(v) === String(m)));
        input.value = String(m);
        label.append(input, this.doc.createTextNode(String(m)));
        list.append(label);
        return [input, m];
      });
      note.textContent = more > 0 ? `${count.format(more)} more members not listed` : "";
      note.hidden = more <= 0;
    };
    const cacheKey = JSON.stringify(key);
    const cached = this.levelMembers.get(cacheKey);
    fill(cached ? [...cached.members] : this.membersOf(axis, index), cached?.more ?? 0);
    if (!cached) {
      const id = ++this.memberRequests;
      this.pendingMembers.set(id, () => {
        const answer = this.levelMembers.get(cacheKey);
        if (this.popover === box && answer) fill([...answer.members], answer.more);
      });
      this.model.send({ type: "members", id, level: key });
    }
    const actions = this.el("div", "atl-popover-actions");
    const apply = this.el("button", "atl-button atl-apply", "Apply");
    apply.type = "button";
    apply.addEventListener("click", () => {
      const chosen = boxes.filter(([input]) => input.checked).map(([, m]) => m);
      this.closePopover();
      this.edit(setMemberFilter(this.state(), key, chosen.length === boxes.length ? null : chosen));
    });
    const clear = this.el("button", "atl-button atl-clear", "Clear filter");
    clear.type = "button";
    clear.addEventListener("click", () => {
      this.closePopover();
      this.edit(setMemberFilter(this.state(), key, null));
    });
    const cancel = this.el("button", "atl-button atl-cancel", "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", () => this.closePopover());
    actions.append(apply, clear, cancel);
    box.append(list, note, actions);
    if (anchor) {
      const host = this.root.getBoundingClientRect();
      const rect = anchor.getBoundingClientRect();
      box.style.left = `${Math.max(0, rect.left - host.left)}px`;
      box.style.top = `${rect.bottom - host.top}px`;
    }
    this.root.append(box);
    this.popover = box;
  }

  private closePopover(): void {
    this.popover?.remove();
    this.popover = null;
  }

  /** The current layout (for tests and tools). */
  currentLayout(): PivotLayout | null {
    return this.layout;
  }
}

/** Whether `key` is one of `keys`. */
export function includesLevel(keys: readonly LevelKey[], key: LevelKey): boolean {
  return keys.some((k) => sameLevel(k, key));
}

function render({ model, el }: RenderProps<PivotTraits>): () => void {
  el.classList.add("atoti-lab");
  const view = new PivotView(model, el);
  return () => view.destroy();
}

export default { render };
