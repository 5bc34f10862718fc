#!/usr/bin/env node
/**
 * Bundle the front end into atoti_lab/static/ with esbuild.
 *
 *   node js/build.mjs            production build (minified ESM, es2020)
 *   node js/build.mjs --dev      unminified, inline source maps
 *   node js/build.mjs --watch    rebuild on change (implies nothing else; combine with --dev)
 *
 * Each entry gives one `<name>.js` (and `<name>.css` when the entry imports CSS). Everything is
 * bundled: the output imports nothing, so widgets work offline and without a CDN.
 */
import * as esbuild from "esbuild";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "atoti_lab", "static");

/** The bundles. Add pivot, app, ... here: `{ name, entry }` -> static/<name>.js (+ .css). */
export const ENTRIES = [
  { name: "table", entry: "js/src/widgets/table.ts" },
  { name: "pivot", entry: "js/src/widgets/pivot.ts" },
  { name: "app", entry: "js/src/app/app.ts" }, // the web app served at the session's /
];

const MAX_BYTES = 1024 * 1024; // DESIGN: each bundle stays under 1 MB minified

const args = new Set(process.argv.slice(2));
const dev = args.has("--dev");
const watch = args.has("--watch");

/** @type {import("esbuild").BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: Object.fromEntries(ENTRIES.map((e) => [e.name, e.entry])),
  outdir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  treeShaking: true,
  legalComments: dev ? "inline" : "eof",
  logLevel: "warning",
  metafile: true,
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
};

/**
 * Write static/THIRD_PARTY_LICENSES.txt: name, version, licence and licence text of every npm
 * package that ended up in a bundle (Apache-2.0 asks for its text to ship with the code).
 */
function writeLicenses(metafile) {
  const packages = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (match) packages.set(match[1], true);
    }
  }
  const sections = [...packages.keys()].sort().map((dir) => {
    const abs = resolve(root, dir);
    const pkg = JSON.parse(readFileSync(join(abs, "package.json"), "utf8"));
    const licenseFile = readdirSync(abs).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const notice = readdirSync(abs).find((f) => /^notice(\.|$)/i.test(f));
    const texts = [licenseFile, notice].filter(Boolean).map((f) => readFileSync(join(abs, f), "utf8").trim());
    return [`${pkg.name} ${pkg.version} (${pkg.license ?? "see below"})`, ...texts].join("\n\n");
  });
  const header = "Third-party software bundled in atoti_lab/static/*.js\n";
  writeFileSync(join(outdir, "THIRD_PARTY_LICENSES.txt"), [header, ...sections].join(`\n${"=".repeat(78)}\n\n`) + "\n");
  return packages.size;
}

function report(metafile) {
  let tooBig = false;
  for (const [file, info] of Object.entries(metafile.outputs)) {
    const kb = (info.bytes / 1024).toFixed(1);
    const flag = info.bytes > MAX_BYTES ? "  <-- over 1 MB" : "";
    tooBig ||= info.bytes > MAX_BYTES && !dev;
    console.log(`  ${relative(root, resolve(root, file))}  ${kb} kB${flag}`);
  }
  return tooBig;
}

if (watch) {
  mkdirSync(outdir, { recursive: true });
  const ctx = await esbuild.context({
    ...options,
    plugins: [
      {
        name: "report",
        setup(build) {
          build.onEnd((result) => {
            if (result.metafile) report(result.metafile);
          });
        },
      },
    ],
  });
  await ctx.watch();
  console.log("atoti_lab: watching js/src for changes (Ctrl+C to stop)");
} else {
  // Remove stale outputs of earlier builds (renamed entries) but keep the directory.
  mkdirSync(outdir, { recursive: true });
  for (const file of readdirSync(outdir)) {
    const path = join(outdir, file);
    if (statSync(path).isFile() && /\.(js|css|map|txt)$/.test(file)) rmSync(path);
  }
  const result = await esbuild.build(options);
  const bundled = writeLicenses(result.metafile);
  console.log(
    `atoti_lab: built ${ENTRIES.length} bundle(s) into ${relative(root, outdir)}/ (${bundled} npm packages bundled)`,
  );
  if (report(result.metafile)) {
    console.error("atoti_lab: a bundle is over 1 MB; check what got pulled in (esbuild --analyze).");
    process.exit(1);
  }
}
