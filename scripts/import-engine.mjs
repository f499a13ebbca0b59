// The benchmarks import Passdeck's TypeScript modules through one esbuild bundle, written under .cache/bench so
// that its external packages (better-sqlite3, hdr-histogram-js) resolve from this checkout's node_modules.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

/**
 * `exportLines`: `export { … } from "./server/…";` statements, relative to the checkout.
 * @param {string} name
 * @param {string[]} exportLines
 * @returns {Promise<any>} the bundle's exports (typed by the caller's use: the bundle is built at run time)
 */
export async function importEngine(name, exportLines) {
  const dir = join(process.cwd(), ".cache/bench");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}.mjs`);
  await build({
    stdin: { contents: exportLines.join("\n"), resolveDir: process.cwd(), loader: "ts" },
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "warning",
  });
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- built at run time: the callers type what they use
  return import(pathToFileURL(outfile).href);
}
