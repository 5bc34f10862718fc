/**
 * The front end formats measures exactly as the kernel does: the cases in
 * fixtures/format_cases.json hold the kernel formatter's output (atoti_lab/_engine/result/formatter.py,
 * checked against it by tests/widgets/test_format_cases.py), and the widgets must print the same.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exactDecimal, makeFormatter } from "../src/format";

interface Case {
  type: "double" | "long" | "date";
  format: string;
  value: number | string;
  expected: string;
}

const cases: Case[] = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures", "format_cases.json"), "utf8"),
);

describe("formatting cases shared with the kernel", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThan(100));

  it.each(cases.map((c) => [`${c.format} ${c.value}`, c] as const))("%s", (_name, c) => {
    const kind = c.type === "double" ? "float" : c.type === "long" ? "int" : "date";
    const value = c.type === "date" ? Date.parse(`${c.value}T00:00:00Z`) : c.value;
    expect(makeFormatter(kind, { format: c.format })(value)).toBe(c.expected);
  });
});

describe("exactDecimal", () => {
  it("gives the exact value of a double", () => {
    expect(exactDecimal(2.675)).toBe("2.67499999999999982236431605997495353221893310546875");
    expect(exactDecimal(0.5)).toBe("0.5");
    expect(exactDecimal(-0.125)).toBe("-0.125");
    expect(exactDecimal(1e21)).toBe("1000000000000000000000");
    expect(exactDecimal(5e-324)).toMatch(/^0\.0{323}49406564584124654/);
  });
});
