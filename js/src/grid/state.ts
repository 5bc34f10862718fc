/**
 * The pivot's query state (the `state` trait, mirrored from `atoti_lab/widgets/_query_state.py`)
 * and the edits the UI makes to it. Edits are pure: they return a new state, or the same object
 * when nothing changes (so that the widget does not send a no-op to the kernel).
 */

/** `[dimension, hierarchy, level]`. */
export type LevelKey = readonly [string, string, string];

export type Axis = "rows" | "columns";

export type FilterState =
  | { readonly level: LevelKey; readonly op: "=="; readonly value: unknown }
  | { readonly level: LevelKey; readonly op: "isin"; readonly values: readonly unknown[] };

export interface PivotState {
  readonly cube: string;
  readonly rows: readonly LevelKey[];
  readonly columns: readonly LevelKey[];
  readonly measures: readonly string[];
  readonly filters: readonly FilterState[];
  readonly view: string;
  readonly totals: boolean;
  /** Members drilled down in place (see `toggleExpansion`). */
  readonly expanded: readonly Expansion[];
}

/** One step of a member path: a level and its member. */
export interface PathStep {
  readonly level: LevelKey;
  readonly value: unknown;
}

/**
 * A member expanded in place on `axis`: `members` is its path (the header members of its row or
 * column down to it); the next level of its hierarchy is shown under it, siblings unchanged.
 */
export interface Expansion {
  readonly axis: Axis;
  readonly members: readonly PathStep[];
}

/** The cube's data model as the kernel sends it (the `model` trait). */
export interface DataModel {
  readonly cube: string;
  readonly dimensions: readonly {
    readonly name: string;
    readonly hierarchies: readonly {
      readonly name: string;
      readonly slicing?: boolean;
      readonly visible?: boolean;
      readonly levels: readonly { readonly name: string; readonly type?: string }[];
    }[];
  }[];
  readonly measures: readonly {
    readonly name: string;
    readonly folder?: string | null;
    readonly formatter?: string | null;
    readonly type?: string;
    readonly visible?: boolean;
    readonly description?: string | null;
  }[];
}

export const EMPTY_STATE: PivotState = {
  cube: "",
  rows: [],
  columns: [],
  measures: [],
  filters: [],
  view: "pivot-table",
  totals: false,
  expanded: [],
};

const isKey = (value: unknown): value is LevelKey =>
  Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === "string");

/** A state from whatever the trait holds (missing keys defaulted, bad entries kept out of edits). */
export function readState(value: unknown): PivotState {
  const raw = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  return {
    ...raw,
    cube: typeof raw.cube === "string" ? raw.cube : "",
    rows: list(raw.rows) as LevelKey[],
    columns: list(raw.columns) as LevelKey[],
    measures: list(raw.measures) as string[],
    filters: list(raw.filters) as FilterState[],
    view: typeof raw.view === "string" ? raw.view : "pivot-table",
    totals: raw.totals === true,
    expanded: list(raw.expanded) as Expansion[],
  };
}

export const sameLevel = (a: unknown, b: LevelKey): boolean =>
  isKey(a) && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

const sameHierarchy = (a: unknown, b: LevelKey): boolean => isKey(a) && a[0] === b[0] && a[1] === b[1];

/** Which axis holds `key` (null: none). */
export function axisOf(state: PivotState, key: LevelKey): Axis | null {
  if (state.rows.some((k) => sameLevel(k, key))) return "rows";
  if (state.columns.some((k) => sameLevel(k, key))) return "columns";
  return null;
}

/**
 * Put `key` on `axis` (at `index`, default the end). A hierarchy goes on one axis: the levels of
 * the same hierarchy on the other axis are removed. A level already on `axis` is moved.
 */
export function addLevel(state: PivotState, key: LevelKey, axis: Axis, index?: number): PivotState {
  const other: Axis = axis === "rows" ? "columns" : "rows";
  const current = state[axis];
  const at = current.findIndex((k) => sameLevel(k, key));
  if (at >= 0 && (index === undefined || index === at)) {
    if (!state[other].some((k) => sameHierarchy(k, key))) return state;
  }
  const without = current.filter((k) => !sameLevel(k, key));
  let position = index === undefined ? without.length : Math.max(0, Math.min(index, without.length));
  if (at >= 0 && index !== undefined && at < index) position = Math.max(0, position - 1);
  const next = [...without.slice(0, position), [key[0], key[1], key[2]] as LevelKey, ...without.slice(position)];
  return pruneExpansions({
    ...state,
    [axis]: next,
    [other]: state[other].filter((k) => !sameHierarchy(k, key)),
  });
}

export function removeLevel(state: PivotState, key: LevelKey): PivotState {
  if (axisOf(state, key) === null) return state;
  return pruneExpansions({
    ...state,
    rows: state.rows.filter((k) => !sameLevel(k, key)),
    columns: state.columns.filter((k) => !sameLevel(k, key)),
  });
}

/** Drop the expansions whose path uses a hierarchy no longer on their axis (the kernel ignores them). */
export function pruneExpansions(state: PivotState): PivotState {
  const kept = state.expanded.filter(
    (e) =>
      Array.isArray(e?.members) &&
      e.members.every((step) => state[e.axis]?.some((k) => sameHierarchy(step.level, k))),
  );
  return kept.length === state.expanded.length ? state : { ...state, expanded: kept };
}

/** Add `name` to the measures if absent, else remove it. */
export function toggleMeasure(state: PivotState, name: string): PivotState {
  return state.measures.includes(name)
    ? { ...state, measures: state.measures.filter((m) => m !== name) }
    : { ...state, measures: [...state.measures, name] };
}

export function addMeasure(state: PivotState, name: string, index?: number): PivotState {
  const without = state.measures.filter((m) => m !== name);
  const position = index === undefined ? without.length : Math.max(0, Math.min(index, without.length));
  const next = [...without.slice(0, position), name, ...without.slice(position)];
  if (next.length === state.measures.length && next.every((m, i) => m === state.measures[i])) return state;
  return { ...state, measures: next };
}

export function removeMeasure(state: PivotState, name: string): PivotState {
  return state.measures.includes(name) ? { ...state, measures: state.measures.filter((m) => m !== name) } : state;
}

export function removeFilter(state: PivotState, index: number): PivotState {
  if (index < 0 || index >= state.filters.length) return state;
  return { ...state, filters: state.filters.filter((_, i) => i !== index) };
}

export function setTotals(state: PivotState, totals: boolean): PivotState {
  return state.totals === totals ? state : { ...state, totals };
}

/** Rows become columns and columns rows. */
export function swapAxes(state: PivotState): PivotState {
  if (state.rows.length === 0 && state.columns.length === 0) return state;
  const flip = (axis: Axis): Axis => (axis === "rows" ? "columns" : "rows");
  return {
    ...state,
    rows: state.columns,
    columns: state.rows,
    expanded: state.expanded.map((e) => ({ ...e, axis: flip(e.axis) })),
  };
}

/** A short text for a filter chip: `Country = France`, `Category in (Books, Toys)`. */
export function describeFilter(filter: FilterState): string {
  const name = isKey(filter.level) ? filter.level[2] : String(filter.level);
  const show = (v: unknown) => (v === null ? "null" : String(v));
  if (filter.op === "==") return `${name} = ${show(filter.value)}`;
  if (filter.op === "isin") return `${name} in (${(filter.values ?? []).map(show).join(", ")})`;
  return `${name} ${String((filter as { op: unknown }).op)} \u2026`;
}

/** The label of a level: its name, or `hierarchy / level` when the hierarchy has another name. */
export function levelLabel(key: LevelKey): string {
  return key[1] === key[2] ? key[2] : `${key[1]} / ${key[2]}`;
}

/** Whether `text` (lower-cased search) matches any of `fields`. */
export function matches(text: string, ...fields: (string | null | undefined)[]): boolean {
  if (!text) return true;
  return fields.some((f) => f != null && f.toLowerCase().includes(text));
}

/** Show the same query as another view (the table or a chart kind). */
export function setView(state: PivotState, view: string): PivotState {
  return state.view === view ? state : { ...state, view };
}

// -- sort, drill down/up, member filters ------------------------------------------------------

/**
 * Sort of the rows by the values of one column of the grid: a measure under a column tuple
 * (`members`: its column-level values, [] without column levels). Rows are reordered within their
 * parent (the innermost row level is sorted, totals stay first), as `sortLayout` does.
 */
export interface SortState {
  readonly measure: string;
  readonly members: readonly unknown[];
  readonly descending: boolean;
}

export function readSort(state: PivotState): SortState | null {
  const raw = (state as unknown as { sort?: unknown }).sort;
  if (!raw || typeof raw !== "object") return null;
  const s = raw as Record<string, unknown>;
  if (typeof s.measure !== "string") return null;
  return { measure: s.measure, members: Array.isArray(s.members) ? s.members : [], descending: s.descending !== false };
}

const sameMembers = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Next sort of a column header click: descending, then ascending, then none. */
export function cycleSort(state: PivotState, measure: string, members: readonly unknown[]): PivotState {
  const current = readSort(state);
  let sort: SortState | null;
  if (!current || current.measure !== measure || !sameMembers(current.members, members)) {
    sort = { measure, members: [...members], descending: true };
  } else if (current.descending) sort = { ...current, descending: false };
  else sort = null;
  return { ...state, sort } as PivotState;
}

/** The levels of the hierarchy of `key`, from the data model ([] when unknown). */
export function hierarchyLevels(model: DataModel | null, key: LevelKey): string[] {
  const dimension = model?.dimensions?.find((d) => d.name === key[0]);
  const hierarchy = dimension?.hierarchies.find((h) => h.name === key[1]);
  return hierarchy ? hierarchy.levels.map((l) => l.name) : [];
}

/**
 * The full key of a level shown on `axis` under the name `name`: the level itself or one above it
 * in the hierarchy of a level on that axis (the grid shows the parents of a queried level).
 */
export function shownLevelKey(model: DataModel | null, state: PivotState, axis: Axis, name: string): LevelKey | null {
  for (const key of state[axis]) {
    if (key[2] === name) return key;
    if (hierarchyLevels(model, key).includes(name)) return [key[0], key[1], name];
  }
  return null;
}

/** A JSON-able member value for a filter (dates as ISO text, as the kernel sends them back). */
export function memberJson(value: unknown): unknown {
  return jsonMember(value);
}

function jsonMember(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === "bigint") return Number(value);
  return value;
}

/**
 * The level under `key` in its hierarchy when expanding its members adds it to `axis`: null when
 * `key` is the deepest level, or when that level is asked on the axis anyway.
 */
export function expansionChild(state: PivotState, model: DataModel | null, axis: Axis, key: LevelKey): LevelKey | null {
  const levels = hierarchyLevels(model, key);
  const at = levels.indexOf(key[2]);
  if (at < 0 || at + 1 >= levels.length) return null;
  const asked = Math.max(
    -1,
    ...state[axis].filter((k) => sameHierarchy(k, key)).map((k) => levels.indexOf(k[2])),
  );
  return at + 1 > asked ? [key[0], key[1], levels[at + 1]] : null;
}

const samePath = (a: readonly PathStep[], b: readonly PathStep[]) =>
  a.length === b.length && a.every((step, i) => sameLevel(step.level, b[i].level) && step.value === b[i].value);

const startsWith = (path: readonly PathStep[], prefix: readonly PathStep[]) =>
  path.length >= prefix.length && samePath(path.slice(0, prefix.length), prefix);

/** Whether the member at the end of `path` is expanded on `axis`. */
export function isExpanded(state: PivotState, axis: Axis, path: readonly PathStep[]): boolean {
  return state.expanded.some((e) => e.axis === axis && Array.isArray(e.members) && samePath(e.members, path));
}

/**
 * Drill down on the member at the end of `path` (on `axis`): show its children under it, in place.
 * Unchanged when it is already expanded, a total, or has no level under it to add.
 */
export function drillDown(state: PivotState, model: DataModel | null, axis: Axis, path: readonly PathStep[]): PivotState {
  const last = path[path.length - 1];
  if (!last || path.some((step) => step.value == null)) return state;
  if (!expansionChild(state, model, axis, last.level) || isExpanded(state, axis, path)) return state;
  const members = path.map((step) => ({ level: [...step.level] as unknown as LevelKey, value: jsonMember(step.value) }));
  return { ...state, expanded: [...state.expanded, { axis, members }] };
}

/** Collapse the member at the end of `path`: its expansion and those below it go. */
export function collapse(state: PivotState, axis: Axis, path: readonly PathStep[]): PivotState {
  const members = path.map((step) => ({ level: step.level, value: jsonMember(step.value) }));
  const kept = state.expanded.filter((e) => !(e.axis === axis && Array.isArray(e.members) && startsWith(e.members, members)));
  return kept.length === state.expanded.length ? state : { ...state, expanded: kept };
}

/** Expand the member at the end of `path`, or collapse it when expanded. */
export function toggleExpansion(state: PivotState, model: DataModel | null, axis: Axis, path: readonly PathStep[]): PivotState {
  const members = path.map((step) => ({ level: step.level, value: jsonMember(step.value) }));
  return isExpanded(state, axis, members) ? collapse(state, axis, members) : drillDown(state, model, axis, path);
}

/** Whether the level `key` has a level above it in its hierarchy. */
export function canDrillUp(model: DataModel | null, key: LevelKey): boolean {
  return hierarchyLevels(model, key).indexOf(key[2]) > 0;
}

/** Drill up from level `key`: show its parent level instead (members expanded in that hierarchy collapse). */
export function drillUp(state: PivotState, model: DataModel | null, key: LevelKey): PivotState {
  const levels = hierarchyLevels(model, key);
  const at = levels.indexOf(key[2]);
  const axis = axisOf(state, key);
  if (at <= 0 || axis === null) return state;
  const parent: LevelKey = [key[0], key[1], levels[at - 1]];
  return {
    ...state,
    [axis]: state[axis].map((k) => (sameLevel(k, key) ? parent : k)),
    expanded: state.expanded.filter(
      (e) => !(e.axis === axis && Array.isArray(e.members) && e.members.some((step) => sameHierarchy(step.level, key))),
    ),
  };
}

/** The values an `isin`/`==` filter on `key` keeps (null: no filter on it). */
export function filteredMembers(state: PivotState, key: LevelKey): unknown[] | null {
  const filter = state.filters.find((f) => sameLevel(f.level, key));
  if (!filter) return null;
  return filter.op === "==" ? [filter.value] : [...(filter.values ?? [])];
}

/** Keep only `values` of level `key` (an `isin` filter replacing any filter on it); null removes it. */
export function setMemberFilter(state: PivotState, key: LevelKey, values: readonly unknown[] | null): PivotState {
  const others = state.filters.filter((f) => !sameLevel(f.level, key));
  if (values === null) return others.length === state.filters.length ? state : { ...state, filters: others };
  return { ...state, filters: [...others, { level: key, op: "isin", values: values.map(jsonMember) }] };
}
