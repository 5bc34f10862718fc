/**
 * Smoke test of the built bundle (atoti_lab/static/table.js), as anywidget loads it: an ES
 * module whose default export has `render`. Skipped until `npm run build` has run.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bundle = join(root, "atoti_lab", "static", "table.js");

describe.skipIf(!existsSync(bundle))("built table.js", () => {
  it("is self-contained and under 1 MB", () => {
    const text = readFileSync(bundle, "utf8");
    expect(text.length).toBeLessThan(1024 * 1024);
    expect(text).not.toMatch(/\bimport\s*[("'{*]/); // no imports left: everything bundled
    expect(text).not.toMatch(/https?:\/\/(cdn|esm\.sh|unpkg|cdnjs)/);
  });

  it("renders a table through its default export", async () => {
    const mod = await import(/* @vite-ignore */ pathToFileURL(bundle).href);
    const el = document.createElement("div");
    const data = tableToIPC(tableFromArrays({ k: ["a"], v: new Float64Array([1234.5]) }), "stream");
    const model = {
      get: (key: string) => ({ data: new DataView(data.buffer), title: "T", formats: {}, max_rows: 10 })[key],
      on: () => {},
      off: () => {},
    };
    await mod.default.render({ model, el });
    expect(Array.from(el.querySelectorAll("td")).map((td) => td.textContent)).toEqual(["a", "1,234.50"]);
  });
});

const pivotBundle = join(root, "atoti_lab", "static", "pivot.js");

describe.skipIf(!existsSync(pivotBundle))("built pivot.js", () => {
  it("holds the grid and the tree-shaken charts in under 1 MB, with nothing to fetch", () => {
    const text = readFileSync(pivotBundle, "utf8");
    expect(Buffer.byteLength(text, "utf8")).toBeLessThan(1024 * 1024);
    expect(text).not.toMatch(/\bimport\s*[("'{*]/);
    expect(text).not.toMatch(/https?:\/\/(cdn|esm\.sh|unpkg|cdnjs)/);
    expect(text).toContain("stacked-column-chart"); // the chart views made it in
  });
});
