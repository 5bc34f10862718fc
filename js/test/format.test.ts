import { describe, expect, it } from "vitest";
import {
  dateParts,
  formatDuration,
  formatFloatDefault,
  formatNumber,
  makeFormatter,
  parseFormat,
  parseNumberPattern,
} from "../src/format";

const num = (pattern: string, value: number | bigint | string) => {
  const parsed = parseNumberPattern(pattern);
  if (!parsed) throw new Error(`bad pattern ${pattern}`);
  return formatNumber(value, parsed);
};

describe("number patterns", () => {
  it("formats atoti's usual patterns", () => {
    expect(num("#,###.00", 1234.5)).toBe("1,234.50");
    expect(num("#,###.00", 0.5)).toBe(".50"); // no required integer digit, as Java prints it
    expect(num("#,###", 1234567)).toBe("1,234,567");
    expect(num("#,##0.0#", 3.14159)).toBe("3.14");
    expect(num("#,##0.0#", 3)).toBe("3.0");
    expect(num("0.00%", 0.1234)).toBe("12.34%");
    expect(num("#,##0.00 '€'", -1234.567)).toBe("-1,234.57 €");
    expect(num("$#,##0.00;($#,##0.00)", -5)).toBe("($5.00)");
    expect(num("$#,##0.00;($#,##0.00)", 5)).toBe("$5.00");
    expect(num("000", 7)).toBe("007");
    expect(num("'#'0", 7)).toBe("#7");
    expect(num("0''", 7)).toBe("7'");
  });

  it("rounds the exact binary value half to even and keeps the sign of a negative zero, as atoti", () => {
    expect(num("0.00", 2.675)).toBe("2.67"); // 2.674999...
    expect(num("0.00", 1.005)).toBe("1.00"); // 1.00499...
    expect(num("0.00", 0.125)).toBe("0.12"); // exactly half: to even
    expect(num("0.00", 0.375)).toBe("0.38");
    expect(num("0.00", -2.675)).toBe("-2.67");
    expect(num("0.00", -0.001)).toBe("-0.00");
    expect(num("0", -0.4)).toBe("-0");
  });

  it("handles bigints, decimal strings and non-finite numbers", () => {
    expect(num("#,##0", 2n ** 60n)).toBe("1,152,921,504,606,846,976");
    expect(num("#,##0", -3n)).toBe("-3");
    expect(num("#,##0.00", "-1234.50")).toBe("-1,234.50");
    expect(num("0.0", Number.NaN)).toBe("NaN");
    expect(num("0.0", Number.POSITIVE_INFINITY)).toBe("\u221e");
    expect(num("0.0", Number.NEGATIVE_INFINITY)).toBe("-\u221e");
  });

  it("rejects unsupported patterns", () => {
    expect(parseNumberPattern("0.###E0")).toBeNull();
    expect(parseNumberPattern("abc")).toBeNull();
    expect(parseFormat("ARRAY[',';0;#.00]")).toBeNull();
    expect(parseFormat("")).toBeNull();
  });

  it("unwraps atoti's type wrappers", () => {
    expect(parseFormat("DOUBLE[#,##0.00]")?.type).toBe("number");
    expect(parseFormat("INT[#,###]")?.type).toBe("number");
    expect(parseFormat("DATE[yyyy-MM-dd]")?.type).toBe("date");
    expect(parseFormat("dd/MM/yyyy", "date")?.type).toBe("date");
  });
});

describe("default formatting", () => {
  it("floats use two decimals, small values three significant digits", () => {
    expect(formatFloatDefault(1234.5)).toBe("1,234.50");
    expect(formatFloatDefault(-0.5)).toBe("-0.50");
    expect(formatFloatDefault(0)).toBe("0.00");
    expect(formatFloatDefault(0.001234)).toBe("0.00123");
    expect(formatFloatDefault(-0.00999999)).toBe("-0.01");
  });

  it("formats each kind", () => {
    expect(makeFormatter("int")(1234567)).toBe("1,234,567");
    expect(makeFormatter("int", { raw: true })(2024)).toBe("2024");
    expect(makeFormatter("float", { raw: true })(0.1)).toBe("0.1");
    expect(makeFormatter("decimal")("-1234.50")).toBe("-1,234.50");
    expect(makeFormatter("bool")(true)).toBe("true");
    expect(makeFormatter("string")("<b>")).toBe("<b>");
    expect(makeFormatter("float")(null)).toBe("");
    expect(makeFormatter("date")(Date.UTC(2024, 0, 2))).toBe("2024-01-02");
    expect(makeFormatter("timestamp")(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe("2024-01-02 03:04:05");
    expect(makeFormatter("timestamp")(Date.UTC(2024, 0, 2, 3, 4, 5, 120))).toBe("2024-01-02 03:04:05.120");
    expect(makeFormatter("list", { elementKind: "float" })([1, 2.5])).toBe("[1.00, 2.50]");
    expect(makeFormatter("list", { elementKind: "int" })(Array.from({ length: 12 }, (_, i) => i))).toBe(
      "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, \u2026]",
    );
    expect(makeFormatter("duration", { unit: "us" })(90_061_500_000n)).toBe("1d 01:01:01.500");
    expect(makeFormatter("time", { unit: "us" })(3_723_000_000n)).toBe("01:02:03");
  });

  it("applies formats, and falls back to the default on a bad one", () => {
    expect(makeFormatter("float", { format: "DOUBLE[0.0%]" })(0.256)).toBe("25.6%");
    expect(makeFormatter("float", { format: "DOUBLE[nonsense" })(1)).toBe("1.00");
    expect(makeFormatter("date", { format: "DATE[dd/MM/yyyy]" })(Date.UTC(2024, 0, 2))).toBe("02/01/2024");
    expect(makeFormatter("timestamp", { format: "DATE[d MMM yy, h:mm a]" })(Date.UTC(2024, 6, 4, 15, 7))).toBe(
      "4 Jul 24, 3:07 PM",
    );
  });
});

describe("dates", () => {
  it("shows wall-clock time in the column's time zone", () => {
    const fmt = makeFormatter("timestamp", { timezone: "Europe/Paris" });
    expect(fmt(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe("2024-01-02 04:04:05");
    expect(fmt(Date.UTC(2024, 6, 1, 12))).toBe("2024-07-01 14:00:00");
    expect(dateParts(0, "Not/AZone").hour).toBe(0);
  });

  it("handles instants before the epoch", () => {
    expect(makeFormatter("timestamp")(-1)).toBe("1969-12-31 23:59:59.999");
    expect(formatDuration(-1500n, "ms")).toBe("-00:00:01.500");
  });
});
