/**
 * Decoding of the Arrow IPC bytes that atoti_lab sends to the browser.
 *
 * Mirrors `atoti_lab/_wire`: a result is one Arrow IPC *stream* (schema + record batches).
 * The widgets only need column-wise access with a coarse "kind" that drives formatting and
 * alignment, so that is all this module exposes; apache-arrow stays an implementation detail
 * (and only its IPC reader ends up in the bundle).
 */
// Deep imports: the package root (Arrow.dom.mjs) registers DOM-stream adapters as side
// effects, which drags the IPC writer and all builders into the bundle (~90 kB more).
import { Type } from "apache-arrow/enum";
import { RecordBatchReader } from "apache-arrow/ipc/reader";
import { Table } from "apache-arrow/table";
import type { DataType } from "apache-arrow/type";
import type { Field } from "apache-arrow/schema";

/** Coarse value kind of a column, used to pick a formatter and the cell alignment. */
export type ColumnKind =
  | "int"
  | "float"
  | "decimal"
  | "bool"
  | "string"
  | "date"
  | "timestamp"
  | "time"
  | "duration"
  | "list"
  | "other";

export interface WireColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Arrow's own description of the type, e.g. `Float64`, `Timestamp<MICROSECOND>`. */
  readonly arrowType: string;
  /** For `timestamp`: the IANA time zone of the column, if any. */
  readonly timezone: string | null;
  /** For `duration` and `time`: the unit of the raw integer values. */
  readonly unit: "s" | "ms" | "us" | "ns" | null;
  /** For `list`: the kind of the elements. */
  readonly elementKind: ColumnKind | null;
  /** Field-level metadata (e.g. `atoti_lab.format`). */
  readonly metadata: ReadonlyMap<string, string>;
  readonly length: number;
  /**
   * Value at `row`, normalised: `null` for missing values; numbers, bigints, strings and
   * booleans as is; dates and timestamps as epoch milliseconds (a number, fractional for
   * sub-millisecond units); decimals as a
   * decimal string (`"-3.50"`); durations and times as bigint/number in `unit`; lists as
   * arrays of normalised values.
   */
  get(row: number): unknown;
}

export interface WireTable {
  readonly numRows: number;
  readonly columns: readonly WireColumn[];
  /** Schema-level metadata. */
  readonly metadata: ReadonlyMap<string, string>;
  /** Names of the columns that are the index (cube levels) of the result, from the metadata. */
  readonly indexColumns: readonly string[];
}

/** Schema metadata key holding a JSON list of the index (level) column names. */
export const INDEX_COLUMNS_KEY = "atoti_lab.index_columns";
/** Field metadata key holding the display format of a column (e.g. `DOUBLE[#,##0.00]`). */
export const FORMAT_KEY = "atoti_lab.format";

const EMPTY_TABLE: WireTable = {
  numRows: 0,
  columns: [],
  metadata: new Map(),
  indexColumns: [],
};

/**
 * Coerce what a widget model hands us for a `Bytes` trait into a `Uint8Array`.
 *
 * ipywidgets gives a `DataView`, other hosts an `ArrayBuffer` or a typed array; an unset trait
 * is `null`/empty. Returns `null` when there is nothing to decode.
 */
export function asBytes(value: unknown): Uint8Array | null {
  if (value == null) return null;
  let bytes: Uint8Array | null = null;
  if (value instanceof Uint8Array) bytes = value;
  else if (ArrayBuffer.isView(value)) {
    bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
  else if (isArrayBufferLike(value)) bytes = new Uint8Array(value as ArrayBuffer);
  else if (typeof value === "string") bytes = base64ToBytes(value);
  else {
    throw new TypeError(`atoti_lab: cannot read Arrow bytes from a ${describe(value)}`);
  }
  return bytes.byteLength === 0 ? null : bytes;
}

/** Decode Arrow IPC stream (or file) bytes into columns. Empty input gives an empty table. */
export function decodeIPC(value: unknown): WireTable {
  const bytes = asBytes(value);
  if (bytes === null) return EMPTY_TABLE;
  const reader = RecordBatchReader.from(bytes);
  const batches = reader.readAll();
  const table = new Table(reader.schema, batches);
  const columns = table.schema.fields.map((field, i) => {
    const vector = table.getChildAt(i);
    return makeColumn(field, vector ? (row: number) => vector.get(row) : () => null, table.numRows);
  });
  const metadata = table.schema.metadata;
  return { numRows: table.numRows, columns, metadata, indexColumns: parseIndexColumns(metadata) };
}

function parseIndexColumns(metadata: ReadonlyMap<string, string>): string[] {
  const raw = metadata.get(INDEX_COLUMNS_KEY);
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

function makeColumn(
  field: Field,
  rawGet: (row: number) => unknown,
  length: number,
): WireColumn {
  const type = valueType(field.type);
  const kind = kindOf(type);
  const normalise = normaliser(type, kind);
  const elementType = kind === "list" ? valueType(type.children[0]?.type) : null;
  return {
    name: field.name,
    kind,
    arrowType: String(field.type),
    timezone: kind === "timestamp" ? ((type as { timezone?: string | null }).timezone ?? null) : null,
    unit: unitOf(type, kind),
    elementKind: elementType ? kindOf(elementType) : null,
    metadata: field.metadata,
    length,
    get: (row) => {
      const value = rawGet(row);
      return value == null ? null : normalise(value);
    },
  };
}

/** The type of the values: dictionary-encoded columns are described by their dictionary. */
function valueType(type: DataType | undefined): DataType {
  let t = type as DataType;
  while (t && t.typeId === Type.Dictionary) t = (t as unknown as { dictionary: DataType }).dictionary;
  return t;
}

export function kindOf(type: DataType | undefined): ColumnKind {
  if (!type) return "other";
  switch (type.typeId) {
    case Type.Int:
      return "int";
    case Type.Float:
      return "float";
    case Type.Decimal:
      return "decimal";
    case Type.Bool:
      return "bool";
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Utf8View:
      return "string";
    case Type.Date:
      return "date";
    case Type.Timestamp:
      return "timestamp";
    case Type.Time:
      return "time";
    case Type.Duration:
      return "duration";
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList:
      return "list";
    default:
      return "other";
  }
}

const UNITS = ["s", "ms", "us", "ns"] as const;

function unitOf(type: DataType, kind: ColumnKind): WireColumn["unit"] {
  if (kind !== "duration" && kind !== "time") return null;
  const unit = (type as { unit?: number }).unit;
  return typeof unit === "number" ? (UNITS[unit] ?? null) : null;
}

function normaliser(type: DataType, kind: ColumnKind): (value: unknown) => unknown {
  switch (kind) {
    case "decimal": {
      const scale = (type as { scale?: number }).scale ?? 0;
      return (value) => decimalToString(String(value), scale);
    }
    case "date":
    case "timestamp":
      return (value) => (value instanceof Date ? value.getTime() : Number(value));
    case "list": {
      const element = valueType(type.children[0]?.type);
      const inner = normaliser(element, kindOf(element));
      return (value) => {
        const out: unknown[] = [];
        for (const v of value as Iterable<unknown>) out.push(v == null ? null : inner(v));
        return out;
      };
    }
    default:
      return (value) => value;
  }
}

/** `("-350", 2)` -> `"-3.50"`. */
export function decimalToString(unscaled: string, scale: number): string {
  if (scale <= 0) return scale === 0 ? unscaled : unscaled + "0".repeat(-scale);
  const negative = unscaled.startsWith("-");
  const digits = (negative ? unscaled.slice(1) : unscaled).padStart(scale + 1, "0");
  const point = digits.length - scale;
  return `${negative ? "-" : ""}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function isArrayBufferLike(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ArrayBuffer).byteLength === "number" &&
    typeof (value as ArrayBuffer).slice === "function" &&
    Object.prototype.toString.call(value).endsWith("ArrayBuffer]")
  );
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function describe(value: unknown): string {
  return typeof value === "object" ? Object.prototype.toString.call(value) : typeof value;
}
