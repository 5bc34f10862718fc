/**
 * Fast reading of level columns straight from Arrow buffers, for the pivot layout.
 *
 * `WireColumn.get` costs about a microsecond per value (chunk lookup, type dispatch, UTF-8
 * decoding of every string); a 1M-row result would spend seconds there. Level columns are
 * strings (plain or dictionary-encoded) or numbers in nearly every result, and for those the
 * buffers are read directly: dictionary values are decoded once per dictionary entry, and a
 * string equal to the one on the previous row (results are sorted, so outer levels repeat) is
 * not decoded again. Other types return null and the caller uses `get`.
 */
import { Type } from "apache-arrow/enum";
import { RecordBatchReader } from "apache-arrow/ipc/reader";
import { Table } from "apache-arrow/table";
import type { Data } from "apache-arrow/data";
import type { Vector } from "apache-arrow/vector";
import { asBytes } from "../wire";

/** The members of a level: how many, and the value of each code. */
export interface Members {
  readonly size: number;
  value(code: number): unknown;
}

/** The members of a level as they are being factorised: value -> code, code -> value. */
export interface MemberIndex {
  readonly index: Map<unknown, number>;
  readonly members: unknown[];
}

/** Members kept in a Map (any value type). */
export function mapMembers(into: MemberIndex): Members {
  return {
    get size() {
      return into.members.length;
    },
    value: (code) => into.members[code],
  };
}

export function codeOf(into: MemberIndex, value: unknown): number {
  let code = into.index.get(value);
  if (code === undefined) {
    code = into.members.length;
    into.index.set(value, code);
    into.members.push(value);
  }
  return code;
}

/** The Arrow columns of IPC bytes (null when empty); decoded separately from `decodeIPC`. */
export function arrowColumns(value: unknown): (Vector | null)[] | null {
  const bytes = asBytes(value);
  if (bytes === null) return null;
  const reader = RecordBatchReader.from(bytes);
  const table = new Table(reader.schema, reader.readAll());
  return table.schema.fields.map((_, i) => table.getChildAt(i));
}

const decoder = new TextDecoder();

function decodeString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let out = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, end));
      out += String.fromCharCode(c);
    }
    return out;
  }
  return decoder.decode(bytes.subarray(start, end));
}

function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

const valid = (data: Data, i: number): boolean => data.nullCount === 0 || data.getValid(i);

/** Codes of the strings of a UTF-8 chunk into `out` from `at` (-1 for null); `codeFor(start, length)`
 * gives the code of the bytes there. Sorted results repeat the outer levels row after row, so each
 * row is first compared with the previous one. */
function utf8Codes(data: Data, out: Int32Array, at: number, codeFor: (start: number, length: number) => number): void {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  let previousStart = -1;
  let previousLength = -1;
  let previousCode = -1;
  for (let i = 0; i < data.length; i++) {
    if (!valid(data, i)) {
      out[at + i] = -1;
      continue;
    }
    const start = offsets[i];
    const length = offsets[i + 1] - start;
    if (length === previousLength && previousStart >= 0 && sameBytes(bytes, start, previousStart, length)) {
      out[at + i] = previousCode;
      continue;
    }
    const code = codeFor(start, length);
    out[at + i] = code;
    previousStart = start;
    previousLength = length;
    previousCode = code;
  }
}

function utf8Chunk(data: Data, into: MemberIndex, out: Int32Array, at: number): void {
  const bytes = data.values as Uint8Array;
  utf8Codes(data, out, at, (start, length) => codeOf(into, decodeString(bytes, start, start + length)));
}

function numberChunk(data: Data, into: MemberIndex, out: Int32Array, at: number): void {
  const values = data.values as ArrayLike<number | bigint>;
  let previous: number | bigint | undefined;
  let previousCode = -1;
  for (let i = 0; i < data.length; i++) {
    if (!valid(data, i)) {
      out[at + i] = -1;
      continue;
    }
    const v = values[i];
    if (previousCode >= 0 && v === previous) {
      out[at + i] = previousCode;
      continue;
    }
    previous = v;
    previousCode = codeOf(into, v);
    out[at + i] = previousCode;
  }
}

function dictionaryChunk(data: Data, into: MemberIndex, out: Int32Array, at: number): boolean {
  const dictionary = data.dictionary;
  if (!dictionary) return false;
  const kind = dictionary.type.typeId;
  if (kind !== Type.Utf8 && kind !== Type.Int && kind !== Type.Float) return false;
  const indices = data.values as ArrayLike<number>;
  const codes = new Int32Array(dictionary.length).fill(-2); // dictionary index -> code, -2: not yet
  for (let i = 0; i < data.length; i++) {
    if (!valid(data, i)) {
      out[at + i] = -1;
      continue;
    }
    const k = Number(indices[i]);
    let code = codes[k];
    if (code === -2) {
      const v = dictionary.get(k);
      code = v == null ? -1 : codeOf(into, v);
      codes[k] = code;
    }
    out[at + i] = code;
  }
  return true;
}

/**
 * Codes of the values of `vector` in `into` (-1 for null), or null when its type has no fast
 * path (then read the column with `get`).
 */
export function fastCodes(vector: Vector | null, into: MemberIndex): Int32Array | null {
  if (!vector) return null;
  const typeId = vector.type.typeId;
  // 64-bit integers come back as bigint from `get` and the normalised wire values keep them so.
  const supported =
    typeId === Type.Utf8 ||
    typeId === Type.Dictionary ||
    typeId === Type.Int ||
    (typeId === Type.Float && (vector.type as { precision?: number }).precision !== 0);
  if (!supported) return null;
  const out = new Int32Array(vector.length);
  let at = 0;
  for (const data of vector.data as Data[]) {
    if (typeId === Type.Utf8) utf8Chunk(data, into, out, at);
    else if (typeId === Type.Dictionary) {
      if (!dictionaryChunk(data, into, out, at)) return null;
    } else numberChunk(data, into, out, at);
    at += data.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Strings without decoding them: an open-addressing hash table over the UTF-8 bytes.

/**
 * Interns UTF-8 strings given as byte ranges of Arrow buffers: equal bytes get the same code,
 * numbered by first appearance. Nothing is decoded until `value(code)` is asked for (the grid
 * only shows a few hundred members at a time), and no JavaScript string or Map entry is made
 * per row: a level with a million distinct members costs typed-array work only.
 */
export class StringInterner implements Members {
  private buffers: Uint8Array[] = [];
  private memberBuffer = new Int32Array(1024);
  private memberStart = new Int32Array(1024);
  private memberLength = new Int32Array(1024);
  private memberHash = new Int32Array(1024);
  private slots = new Int32Array(2048); // code + 1, 0: empty
  private decoded: (string | undefined)[] = [];
  size = 0;

  /** Register a buffer; returns its id for `intern`. */
  addBuffer(bytes: Uint8Array): number {
    this.buffers.push(bytes);
    return this.buffers.length - 1;
  }

  intern(buffer: number, start: number, length: number): number {
    const bytes = this.buffers[buffer];
    let hash = 0x811c9dc5;
    for (let i = start; i < start + length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) break;
      const code = entry - 1;
      if (this.memberHash[code] === hash && this.memberLength[code] === length && this.equal(code, bytes, start, length)) {
        return code;
      }
      slot = (slot + 1) & mask;
    }
    const code = this.size++;
    if (code >= this.memberBuffer.length) this.growMembers();
    this.memberBuffer[code] = buffer;
    this.memberStart[code] = start;
    this.memberLength[code] = length;
    this.memberHash[code] = hash;
    this.slots[slot] = code + 1;
    if (this.size * 2 > this.slots.length) this.rehash();
    return code;
  }

  value(code: number): string {
    let text = this.decoded[code];
    if (text === undefined) {
      const start = this.memberStart[code];
      text = decodeString(this.buffers[this.memberBuffer[code]], start, start + this.memberLength[code]);
      this.decoded[code] = text;
    }
    return text;
  }

  private equal(code: number, bytes: Uint8Array, start: number, length: number): boolean {
    const other = this.buffers[this.memberBuffer[code]];
    const at = this.memberStart[code];
    for (let i = 0; i < length; i++) if (other[at + i] !== bytes[start + i]) return false;
    return true;
  }

  private growMembers(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.memberBuffer = grow(this.memberBuffer);
    this.memberStart = grow(this.memberStart);
    this.memberLength = grow(this.memberLength);
    this.memberHash = grow(this.memberHash);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let code = 0; code < this.size; code++) {
      let slot = this.memberHash[code] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = code + 1;
    }
    this.slots = slots;
  }
}

/** Whether the fast string path can read every vector (UTF-8 strings, or all-null columns). */
export function allUtf8(vectors: readonly (Vector | null | undefined)[]): boolean {
  return vectors.every(
    (v) => v != null && (v.type.typeId === Type.Utf8 || (v.type.typeId === Type.Null && v.length >= 0)),
  );
}

/** Codes of the strings of `vector` in `interner` (-1 for null); the vector must pass `allUtf8`. */
export function internCodes(vector: Vector, interner: StringInterner): Int32Array {
  const out = new Int32Array(vector.length);
  if (vector.type.typeId === Type.Null) {
    out.fill(-1);
    return out;
  }
  let at = 0;
  for (const data of vector.data as Data[]) {
    const buffer = interner.addBuffer(data.values as Uint8Array);
    utf8Codes(data, out, at, (start, length) => interner.intern(buffer, start, length));
    at += data.length;
  }
  return out;
}
