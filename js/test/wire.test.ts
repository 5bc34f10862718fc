import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tableFromArrays, tableToIPC, vectorFromArray, Table, Int64, Dictionary, Utf8, Int32 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { asBytes, decimalToString, decodeIPC } from "../src/wire";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(join(here, "fixtures", name));

function column(table: ReturnType<typeof decodeIPC>, name: string) {
  const c = table.columns.find((col) => col.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
}

const values = (c: { length: number; get(i: number): unknown }) =>
  Array.from({ length: c.length }, (_, i) => c.get(i));

describe("decodeIPC", () => {
  it("decodes a stream built by apache-arrow's tableToIPC", () => {
    const source = tableFromArrays({
      name: ["a", "b", "c"],
      value: new Float64Array([1.5, -2, 3.25]),
      count: new Int32Array([1, 2, 3]),
    });
    const bytes = tableToIPC(source, "stream");
    const table = decodeIPC(bytes);
    expect(table.numRows).toBe(3);
    expect(table.columns.map((c) => c.name)).toEqual(["name", "value", "count"]);
    expect(table.columns.map((c) => c.kind)).toEqual(["string", "float", "int"]);
    expect(values(column(table, "name"))).toEqual(["a", "b", "c"]);
    expect(values(column(table, "value"))).toEqual([1.5, -2, 3.25]);
    expect(values(column(table, "count"))).toEqual([1, 2, 3]);
  });

  it("accepts DataView, ArrayBuffer and IPC file format", () => {
    const source = tableFromArrays({ x: new Float64Array([1, 2]) });
    const stream = tableToIPC(source, "stream");
    const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    expect(decodeIPC(view).numRows).toBe(2);
    expect(decodeIPC(stream.slice().buffer).numRows).toBe(2);
    expect(decodeIPC(tableToIPC(source, "file")).numRows).toBe(2);
  });

  it("treats missing or empty bytes as an empty table", () => {
    for (const empty of [null, undefined, new Uint8Array(0), new DataView(new ArrayBuffer(0))]) {
      const table = decodeIPC(empty);
      expect(table.numRows).toBe(0);
      expect(table.columns).toEqual([]);
    }
  });

  it("rejects things that are not bytes", () => {
    expect(() => asBytes({ some: "object" })).toThrow(/cannot read Arrow bytes/);
  });

  it("keeps nulls, bigints and dictionary values", () => {
    const source = new Table({
      big: vectorFromArray([2n ** 60n, null, -3n], new Int64()),
      cat: vectorFromArray(["x", "y", "x"], new Dictionary(new Utf8(), new Int32())),
    });
    const table = decodeIPC(tableToIPC(source));
    expect(column(table, "big").kind).toBe("int");
    expect(values(column(table, "big"))).toEqual([2n ** 60n, null, -3n]);
    expect(column(table, "cat").kind).toBe("string");
    expect(values(column(table, "cat"))).toEqual(["x", "y", "x"]);
  });

  it("decodes the pyarrow fixture (several batches, all kinds)", () => {
    const table = decodeIPC(fixture("result.arrows"));
    expect(table.numRows).toBe(4);
    expect(table.indexColumns).toEqual(["City", "Year"]);
    expect(table.columns.map((c) => [c.name, c.kind])).toEqual([
      ["City", "string"],
      ["Year", "int"],
      ["Amount", "float"],
      ["Quantity", "int"],
      ["Price", "decimal"],
      ["Flag", "bool"],
      ["Day", "date"],
      ["When", "timestamp"],
      ["WhenParis", "timestamp"],
      ["Vector", "list"],
      ["Text", "string"],
    ]);
    expect(values(column(table, "City"))).toEqual(["Paris", "London", null, "Paris"]);
    expect(values(column(table, "Year"))).toEqual([2023n, 2024n, 2024n, 2025n]);
    expect(values(column(table, "Amount"))).toEqual([1234.5, -0.5, null, 0.001234]);
    expect(values(column(table, "Price"))).toEqual(["1.25", null, "-1234.50", "0.00"]);
    expect(values(column(table, "Flag"))).toEqual([true, false, null, true]);
    expect(values(column(table, "Day"))).toEqual([Date.UTC(2024, 0, 2), null, -86_400_000, Date.UTC(2000, 1, 29)]);
    expect(Math.floor(column(table, "When").get(2) as number)).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 123));
    expect(column(table, "WhenParis").timezone).toBe("Europe/Paris");
    expect(column(table, "Vector").elementKind).toBe("float");
    expect(values(column(table, "Vector"))).toEqual([[1, 2.5], [], null, [0.5]]);
    expect(values(column(table, "Text"))).toEqual(["<b>&amp;</b>", "é", "", null]);
  });
});

describe("decimalToString", () => {
  it("places the decimal point", () => {
    expect(decimalToString("-350", 2)).toBe("-3.50");
    expect(decimalToString("5", 3)).toBe("0.005");
    expect(decimalToString("-5", 3)).toBe("-0.005");
    expect(decimalToString("12", 0)).toBe("12");
    expect(decimalToString("12", -2)).toBe("1200");
  });
});
