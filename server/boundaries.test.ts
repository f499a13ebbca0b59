/** The architecture's rules, checked over the source tree so a review cannot miss them. */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|tsx|mjs)$/.test(entry.name)) out.push(rel);
  }
  return out;
}
const isTest = (f: string) => /\.test\.ts$|\.spec\.ts$/.test(f);
/** app/'s pages and layouts without "use client" are server components: they run only on the server. */
const isServerComponent = (f: string) => /^app\/(.*\/)?(page|layout)\.tsx$/.test(f) && !/^\s*["']use client["']/.test(readFileSync(join(ROOT, f), "utf8"));
const SERVER_PREFETCH_IMPORT = /^import \{ Prefetched \} from "@\/server\/api\/prefetch";$/;

describe("boundaries", () => {
  it("only server/host (and the env defaults) name /sys or /proc", () => {
    const offenders = ["app", "components", "lib", "server", "scripts"]
      .flatMap(sources)
      .filter((f) => !f.startsWith("server/host/") && f !== "server/env-spec.mjs" && f !== "server/env-roots.mjs" && !isTest(f))
      .filter((f) => /["'`]\/(sys|proc)(\/|["'`])/.test(readFileSync(join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("client code imports only types from server/", () => {
    const offenders = ["app", "components", "lib"]
      .flatMap(sources)
      // route handlers (app/api/**, app/**/route.ts such as GET /metrics) run only on the server
      .filter((f) => !f.startsWith("app/api/") && !/(^|\/)route\.ts$/.test(f))
      .flatMap((f) =>
        readFileSync(join(ROOT, f), "utf8")
          .split("\n")
          .filter((line) => /from\s+["'](@\/server|\.\.\/.*server)\//.test(line) && !/^\s*import\s+type\b/.test(line))
          // a page's or the layout's server component prefetches its first screen through this server-only module
          .filter((line) => !(isServerComponent(f) && SERVER_PREFETCH_IMPORT.test(line)))
          .map((line) => `${f}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it("the prefetch module pages import is server-only: a client component importing it fails the build", () => {
    const first = readFileSync(join(ROOT, "server/api/prefetch.tsx"), "utf8")
      .split("\n")
      .find((line) => line.startsWith("import "));
    expect(first).toBe('import "server-only";');
  });

  it("nothing runs a shell string: child processes take argument arrays", () => {
    const offenders = ["server", "app", "scripts"]
      .flatMap(sources)
      .filter((f) => !isTest(f))
      .filter((f) => /(?<![.\w])(exec|execSync)\(|shell:\s*true/.test(readFileSync(join(ROOT, f), "utf8")))
      .map((f) => relative(ROOT, join(ROOT, f)));
    expect(offenders).toEqual([]);
  });
});
