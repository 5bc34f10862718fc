/**
 * Display formatting of cell values.
 *
 * Format strings follow atoti's formatters: an optional type wrapper around a Java-style
 * pattern, e.g. `DOUBLE[#,##0.00]`, `INT[#,###]`, `DOUBLE[0.0%]`, `DOUBLE[$#,##0.00;($#,##0.00)]`,
 * `DATE[yyyy-MM-dd]`, `DATE[dd/MM/yyyy HH:mm]`. A bare pattern (`#,##0.0`) works too.
 *
 * Supported number patterns: prefix and suffix text (quote with `'...'`), `0` (required digit),
 * `#` (optional digit), `,` (grouping, always by 3), `.` (decimal point), `%` (x100) and `‰`
 * (x1000) in the affixes, and a negative sub-pattern after `;` (only its affixes are used).
 * Unlike Java at least one integer digit is always shown (`#.00` gives `0.50`, not `.50`).
 * Rounding is half away from zero on the shortest decimal representation of the number.
 *
 * Date patterns: `yyyy yy MMMM MMM MM M dd d HH H hh h mm ss SSS a`, other letters must be quoted.
 *
 * Defaults without a format: integers `#,##0`; floats `#,##0.00`, except non-zero values
 * below 0.01 in magnitude, which keep 3 significant digits; decimals keep their scale; dates
 * `yyyy-MM-dd`; timestamps `yyyy-MM-dd HH:mm:ss` (plus `.SSS` when the milliseconds are not
 * zero), shown as wall-clock time in the column's time zone; booleans `true`/`false`; missing
 * values are empty. Index (level) columns are shown raw: numbers without grouping.
 *
 * The Python HTML snapshot (`atoti_lab/widgets/table.py`) implements the same rules; keep
 * them in step.
 */
import type { ColumnKind, WireColumn } from "./wire";

export type Formatter = (value: unknown) => string;

export interface NumberPattern {
  readonly prefix: string;
  readonly suffix: string;
  readonly negativePrefix: string;
  readonly negativeSuffix: string;
  readonly minInt: number;
  readonly minFrac: number;
  readonly maxFrac: number;
  readonly grouping: boolean;
  readonly multiplier: number;
}

export type ParsedFormat =
  | { readonly type: "number"; readonly pattern: NumberPattern }
  | { readonly type: "date"; readonly tokens: readonly DateToken[] };

export type DateToken = { readonly literal: string } | { readonly field: string };

const DATE_WRAPPERS = new Set(["DATE", "LOCALDATE", "LOCALDATETIME", "ZONEDDATETIME", "TIME", "LOCALTIME"]);
const NUMBER_WRAPPERS = new Set(["DOUBLE", "FLOAT", "INT", "LONG", "DECIMAL", "NUMBER", "SHORT"]);
const TEMPORAL_KINDS = new Set<ColumnKind>(["date", "timestamp", "time"]);

/** Parse a format string; `null` when it is empty, unsupported or not valid for `kind`. */
export function parseFormat(spec: string | null | undefined, kind?: ColumnKind): ParsedFormat | null {
  if (!spec) return null;
  let body = spec.trim();
  let wrapper: string | null = null;
  const match = /^([A-Za-z_]+)\[([\s\S]*)\]$/.exec(body);
  if (match) {
    wrapper = match[1].toUpperCase();
    body = match[2];
  }
  const asDate =
    wrapper !== null ? DATE_WRAPPERS.has(wrapper) : kind !== undefined && TEMPORAL_KINDS.has(kind);
  if (asDate) {
    const tokens = parseDatePattern(body);
    return tokens ? { type: "date", tokens } : null;
  }
  if (wrapper !== null && !NUMBER_WRAPPERS.has(wrapper)) return null;
  const pattern = parseNumberPattern(body);
  return pattern ? { type: "number", pattern } : null;
}

/** Parse a Java DecimalFormat-style pattern (the supported subset); `null` if unsupported. */
export function parseNumberPattern(text: string): NumberPattern | null {
  const parts = splitUnquoted(text, ";");
  const positive = parseSubPattern(parts[0]);
  if (!positive) return null;
  const negative = parts.length > 1 ? parseSubPattern(parts[1], true) : null;
  return {
    prefix: positive.prefix,
    suffix: positive.suffix,
    negativePrefix: negative ? negative.prefix : `-${positive.prefix}`,
    negativeSuffix: negative ? negative.suffix : positive.suffix,
    minInt: positive.minInt, // 0 for `#,###.00`: Java prints 0.5 as ".50"
    minFrac: Math.min(positive.minFrac, 20),
    maxFrac: Math.min(positive.maxFrac, 20),
    grouping: positive.grouping,
    multiplier: positive.multiplier,
  };
}

interface SubPattern {
  prefix: string;
  suffix: string;
  minInt: number;
  minFrac: number;
  maxFrac: number;
  grouping: boolean;
  multiplier: number;
}

function parseSubPattern(text: string, affixesOnly = false): SubPattern | null {
  let i = 0;
  let multiplier = 1;
  const affix = (stopAtNumber: boolean): string => {
    let out = "";
    while (i < text.length) {
      const c = text[i];
      if (c === "'") {
        const end = text.indexOf("'", i + 1);
        if (end === i + 1) out += "'";
        else out += text.slice(i + 1, end === -1 ? text.length : end);
        i = end === -1 ? text.length : end + 1;
        continue;
      }
      if (stopAtNumber && "#0,.".includes(c)) break;
      if (c === "%") multiplier = 100;
      else if (c === "\u2030") multiplier = 1000;
      out += c;
      i++;
    }
    return out;
  };
  const prefix = affix(true);
  const start = i;
  while (i < text.length && "#0,.".includes(text[i])) i++;
  const number = text.slice(start, i);
  if (!number && !affixesOnly) return null;
  if (i < text.length && /[0-9#E]/.test(text[i]) && !affixesOnly) return null; // e.g. scientific
  const suffix = affix(false);
  const [intPart, fracPart = ""] = number.split(".", 2);
  if (number.split(".").length > 2 && !affixesOnly) return null;
  const count = (s: string, c: string) => s.split(c).length - 1;
  return {
    prefix,
    suffix,
    minInt: count(intPart, "0"),
    minFrac: count(fracPart, "0"),
    maxFrac: count(fracPart, "0") + count(fracPart, "#"),
    grouping: intPart.includes(","),
    multiplier,
  };
}

function splitUnquoted(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let current = "";
  for (const c of text) {
    if (c === "'") quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const DATE_FIELDS = ["yyyy", "yy", "MMMM", "MMM", "MM", "M", "dd", "d", "HH", "H", "hh", "h", "mm", "ss", "SSS", "a"];

/** Tokenise a date pattern; `null` when it uses an unsupported letter. */
export function parseDatePattern(text: string): DateToken[] | null {
  const tokens: DateToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      tokens.push({ literal: end === i + 1 ? "'" : text.slice(i + 1, end === -1 ? text.length : end) });
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (j < text.length && text[j] === c) j++;
      const run = text.slice(i, j);
      const field = DATE_FIELDS.find((f) => f === run) ?? (c === "y" && run.length > 4 ? "yyyy" : undefined);
      if (!field) return null;
      tokens.push({ field });
      i = j;
      continue;
    }
    tokens.push({ literal: c });
    i++;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Numbers

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let nf = numberFormats.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat("en-US", { ...options, signDisplay: "never" });
    numberFormats.set(key, nf);
  }
  return nf;
}

type Numeric = number | bigint | string;

function isNegative(value: Numeric): boolean {
  if (typeof value === "string") return value.trim().startsWith("-");
  return value < 0 || Object.is(value, -0);
}

function absolute(value: Numeric): Numeric {
  if (typeof value === "string") return value.trim().replace(/^[-+]/, "");
  if (typeof value === "bigint") return value < 0n ? -value : value;
  return Math.abs(value);
}

function signed(text: string, negative: boolean, pattern: NumberPattern): string {
  // As Java's DecimalFormat (and the kernel's formatter): a negative value keeps its sign even
  // when it rounds to zero ("-0.00").
  return negative
    ? `${pattern.negativePrefix}${text}${pattern.negativeSuffix}`
    : `${pattern.prefix}${text}${pattern.suffix}`;
}

/**
 * The exact decimal value of a double, as text: 2.675 is 2.67499999999999982236431605997495353221893310546875.
 * atoti (Java) rounds this exact value, half to even; so does the kernel's formatter
 * (atoti_lab/_engine/result/formatter.py), and so do we, giving Intl the exact text.
 */
export function exactDecimal(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return BigInt(x).toString();
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? "-" : "";
  const exponentBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent = -1074; // subnormal
  if (exponentBits !== 0) {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  // x = mantissa * 2^exponent with exponent < 0 (x is not an integer) = mantissa * 5^-e / 10^-e
  const scale = -exponent;
  const digits = (mantissa * 5n ** BigInt(scale)).toString().padStart(scale + 1, "0");
  const point = digits.length - scale;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`.replace(/0+$/, "");
}

/** Format a number (or bigint, or decimal string) with a parsed pattern. */
export function formatNumber(value: Numeric, pattern: NumberPattern): string {
  let v: Numeric = value;
  if (pattern.multiplier !== 1) {
    v = typeof v === "bigint" ? v * BigInt(pattern.multiplier) : Number(v) * pattern.multiplier;
  }
  if (typeof v === "number" && !Number.isFinite(v)) return nonFinite(v);
  const magnitude = absolute(v);
  let text = numberFormat({
    minimumIntegerDigits: Math.max(1, pattern.minInt),
    minimumFractionDigits: pattern.minFrac,
    maximumFractionDigits: Math.max(pattern.minFrac, pattern.maxFrac),
    useGrouping: pattern.grouping,
    roundingMode: "halfEven",
  } as Intl.NumberFormatOptions).format((typeof magnitude === "number" ? exactDecimal(magnitude) : magnitude) as unknown as number);
  // No integer digit is required (`#,###.00`): a zero integer part is left out when a fraction is shown.
  if (pattern.minInt === 0 && text.startsWith("0.")) text = text.slice(1);
  return signed(text, isNegative(v), pattern);
}

function nonFinite(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  return v > 0 ? "\u221e" : "-\u221e";
}

const PLAIN: NumberPattern = {
  prefix: "",
  suffix: "",
  negativePrefix: "-",
  negativeSuffix: "",
  minInt: 1,
  minFrac: 0,
  maxFrac: 0,
  grouping: true,
  multiplier: 1,
};
export const DEFAULT_INT_PATTERN: NumberPattern = PLAIN;
export const DEFAULT_FLOAT_PATTERN: NumberPattern = { ...PLAIN, minFrac: 2, maxFrac: 2 };

/** Default float display: `#,##0.00`, but 3 significant digits for 0 < |x| < 0.01. */
export function formatFloatDefault(value: number): string {
  if (!Number.isFinite(value)) return nonFinite(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && magnitude < 0.01) {
    const text = numberFormat({ maximumSignificantDigits: 3, useGrouping: true }).format(magnitude);
    return signed(text, value < 0, PLAIN);
  }
  return formatNumber(value, DEFAULT_FLOAT_PATTERN);
}

/** Decimal strings keep their scale: `"-1234.50"` -> `"-1,234.50"`. */
export function formatDecimalDefault(value: string): string {
  const scale = value.includes(".") ? value.length - value.indexOf(".") - 1 : 0;
  return formatNumber(value, { ...PLAIN, minFrac: scale, maxFrac: scale });
}

// ---------------------------------------------------------------------------------------------
// Dates and times

export interface DateParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormat(timeZone: string): Intl.DateTimeFormat | null {
  if (!zoneFormats.has(timeZone)) {
    let dtf: Intl.DateTimeFormat | null = null;
    try {
      dtf = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      dtf = null; // unknown zone (or a fixed offset ICU does not know): fall back to UTC
    }
    zoneFormats.set(timeZone, dtf);
  }
  return zoneFormats.get(timeZone) ?? null;
}

/** Calendar parts of an epoch-milliseconds instant, in UTC or in the given IANA zone. */
export function dateParts(epochMs: number, timeZone?: string | null): DateParts {
  const millisecond = ((epochMs % 1000) + 1000) % 1000;
  const dtf = timeZone ? zoneFormat(timeZone) : null;
  if (dtf) {
    const parts: Record<string, number> = {};
    for (const p of dtf.formatToParts(epochMs)) {
      if (p.type !== "literal") parts[p.type] = Number(p.value);
    }
    return {
      year: parts.year,
      month: parts.month,
      day: parts.day,
      hour: parts.hour % 24,
      minute: parts.minute,
      second: parts.second,
      millisecond,
    };
  }
  const d = new Date(epochMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export function formatDateParts(parts: DateParts, tokens: readonly DateToken[]): string {
  let out = "";
  for (const token of tokens) {
    if ("literal" in token) {
      out += token.literal;
      continue;
    }
    switch (token.field) {
      case "yyyy": out += parts.year < 0 ? `-${pad(-parts.year, 4)}` : pad(parts.year, 4); break;
      case "yy": out += pad(((parts.year % 100) + 100) % 100); break;
      case "MMMM": out += MONTHS[parts.month - 1]; break;
      case "MMM": out += MONTHS[parts.month - 1].slice(0, 3); break;
      case "MM": out += pad(parts.month); break;
      case "M": out += String(parts.month); break;
      case "dd": out += pad(parts.day); break;
      case "d": out += String(parts.day); break;
      case "HH": out += pad(parts.hour); break;
      case "H": out += String(parts.hour); break;
      case "hh": out += pad(((parts.hour + 11) % 12) + 1); break;
      case "h": out += String(((parts.hour + 11) % 12) + 1); break;
      case "mm": out += pad(parts.minute); break;
      case "ss": out += pad(parts.second); break;
      case "SSS": out += pad(parts.millisecond, 3); break;
      case "a": out += parts.hour < 12 ? "AM" : "PM"; break;
    }
  }
  return out;
}

const DATE_TOKENS = parseDatePattern("yyyy-MM-dd")!;
const DATETIME_TOKENS = parseDatePattern("yyyy-MM-dd HH:mm:ss")!;
const DATETIME_MS_TOKENS = parseDatePattern("yyyy-MM-dd HH:mm:ss.SSS")!;
const CLOCK_TOKENS = parseDatePattern("HH:mm:ss")!;
const CLOCK_MS_TOKENS = parseDatePattern("HH:mm:ss.SSS")!;

const UNIT_PER_MS: Record<string, number> = { s: 0.001, ms: 1, us: 1000, ns: 1_000_000 };

/** Convert an integer in `unit` to milliseconds (as a number). */
function toMillis(value: unknown, unit: string | null): number {
  const perMs = UNIT_PER_MS[unit ?? "ms"] ?? 1;
  if (typeof value === "bigint") {
    if (perMs >= 1) {
      const p = BigInt(perMs);
      // keep the fraction of a millisecond so that .SSS truncates like Python does
      return Number(value / p) + Number(value % p) / perMs;
    }
    return Number(value) / perMs;
  }
  return Number(value) / perMs;
}

/** `[-][Nd ]HH:mm:ss[.SSS]` for durations. */
export function formatDuration(value: unknown, unit: string | null): string {
  let ms = toMillis(value, unit);
  const negative = ms < 0;
  ms = Math.trunc(Math.abs(ms));
  const days = Math.floor(ms / 86_400_000);
  const rest = ms % 86_400_000;
  const parts: DateParts = {
    year: 0, month: 1, day: 1,
    hour: Math.floor(rest / 3_600_000),
    minute: Math.floor((rest % 3_600_000) / 60_000),
    second: Math.floor((rest % 60_000) / 1000),
    millisecond: rest % 1000,
  };
  const clock = formatDateParts(parts, parts.millisecond ? CLOCK_MS_TOKENS : CLOCK_TOKENS);
  return `${negative ? "-" : ""}${days ? `${days}d ` : ""}${clock}`;
}

// ---------------------------------------------------------------------------------------------
// Column formatters

export interface FormatterOptions {
  /** Format string (see module docs); invalid or unsupported ones fall back to the defaults. */
  format?: string | null;
  /** Raw display, used for index (level) columns: no grouping, no rounding. */
  raw?: boolean;
  timezone?: string | null;
  unit?: string | null;
  elementKind?: ColumnKind | null;
}

const MAX_LIST_ITEMS = 10;

/** A formatter for the values of one column. Missing values format as `""`. Never throws. */
export function makeFormatter(kind: ColumnKind, options: FormatterOptions = {}): Formatter {
  const inner = makeValueFormatter(kind, options);
  return (value) => {
    if (value == null) return "";
    try {
      return inner(value);
    } catch {
      return String(value);
    }
  };
}

/** The formatter for a decoded column, picking the format from `formats` or the field metadata. */
export function columnFormatter(
  column: WireColumn,
  formats: Readonly<Record<string, string>> | null | undefined,
  raw = false,
): Formatter {
  const format = formats?.[column.name] ?? column.metadata.get("atoti_lab.format") ?? null;
  return makeFormatter(column.kind, {
    format,
    raw,
    timezone: column.timezone,
    unit: column.unit,
    elementKind: column.elementKind,
  });
}

function makeValueFormatter(kind: ColumnKind, options: FormatterOptions): Formatter {
  const parsed = parseFormat(options.format, kind);
  switch (kind) {
    case "int":
    case "float":
    case "decimal": {
      if (parsed?.type === "number") {
        const pattern = parsed.pattern;
        return (v) => formatNumber(v as Numeric, pattern);
      }
      if (options.raw) return (v) => String(v);
      if (kind === "int") return (v) => formatNumber(v as Numeric, DEFAULT_INT_PATTERN);
      if (kind === "decimal") return (v) => formatDecimalDefault(String(v));
      return (v) => formatFloatDefault(Number(v));
    }
    case "date":
    case "timestamp": {
      const zone = kind === "timestamp" ? options.timezone : null;
      if (parsed?.type === "date") {
        const tokens = parsed.tokens;
        return (v) => formatDateParts(dateParts(Math.floor(v as number), zone), tokens);
      }
      if (kind === "date") return (v) => formatDateParts(dateParts(v as number), DATE_TOKENS);
      return (v) => {
        const parts = dateParts(Math.floor(v as number), zone);
        return formatDateParts(parts, parts.millisecond ? DATETIME_MS_TOKENS : DATETIME_TOKENS);
      };
    }
    case "time": {
      const tokens = parsed?.type === "date" ? parsed.tokens : null;
      return (v) => {
        const ms = Math.floor(toMillis(v, options.unit ?? null));
        const parts = dateParts(ms, null);
        if (tokens) return formatDateParts(parts, tokens);
        return formatDateParts(parts, parts.millisecond ? CLOCK_MS_TOKENS : CLOCK_TOKENS);
      };
    }
    case "duration":
      return (v) => formatDuration(v, options.unit ?? null);
    case "bool":
      return (v) => (v ? "true" : "false");
    case "string":
      return (v) => String(v);
    case "list": {
      const element = makeFormatter(options.elementKind ?? "other", { ...options, elementKind: null });
      return (v) => {
        const items = v as unknown[];
        const shown = items.slice(0, MAX_LIST_ITEMS).map(element);
        if (items.length > MAX_LIST_ITEMS) shown.push("\u2026");
        return `[${shown.join(", ")}]`;
      };
    }
    default:
      return (v) => (typeof v === "object" ? safeJson(v) : String(v));
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
