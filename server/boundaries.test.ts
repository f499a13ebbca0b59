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
/** the simulator's /proc/self/mountinfo, whose rows name /sys and /proc as mountpoints */
const SIMULATED_MOUNT_TABLE = "server/simulator/procfs-mounts.ts";
/** what server/simulator/ may use of server/host/: the formats it prints, the interfaces it implements, plain types */
const SIMULATOR_MAY_IMPORT = /^@\/server\/host\/(formats\/[\w-]+|writer|ip-link|types)$/;

/** Every module specifier a file imports (static imports, re-exports and dynamic import()). */
function importsOf(f: string): string[] {
  const text = readFileSync(join(ROOT, f), "utf8");
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)].map((m) => m[1]!);
}
/** app/'s pages and layouts without "use client" are server components: they run only on the server. */
const isServerComponent = (f: string) => /^app\/(.*\/)?(page|layout)\.tsx$/.test(f) && !/^\s*["']use client["']/.test(readFileSync(join(ROOT, f), "utf8"));
const SERVER_PREFETCH_IMPORT = /^import \{ Prefetched \} from "@\/server\/api\/prefetch";$/;

describe("boundaries", () => {
  // server/host/ reads the host; server/simulator/ writes only into the temporary trees it is given, and names /sys
  // and /proc only as text it prints there (the mount table's mountpoints)
  it("only server/host (and the env defaults) name /sys or /proc", () => {
    const offenders = ["app", "components", "lib", "server", "scripts"]
      .flatMap(sources)
      .filter((f) => !f.startsWith("server/host/") && f !== "server/env-spec.mjs" && f !== "server/env-roots.mjs" && !isTest(f))
      .filter((f) => f !== SIMULATED_MOUNT_TABLE)
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

  it("server/host/ does not import the simulator", () => {
    const offenders = sources("server/host")
      .flatMap((f) => importsOf(f).map((spec) => ({ f, spec })))
      .filter(({ spec }) => /(^@\/server\/simulator\/|(^|\/)simulator\/)/.test(spec))
      .map(({ f, spec }) => `${f}: ${spec}`);
    expect(offenders).toEqual([]);
  });

  it("server/simulator/ uses of server/host/ only the formats, the writer and ip-link interfaces, and types", () => {
    const offenders = sources("server/simulator")
      .filter((f) => !isTest(f))
      .flatMap((f) => importsOf(f).map((spec) => ({ f, spec })))
      .filter(({ spec }) => /^@\/server\/host\/|^\.\.\/host\/|^\.\.\/\.\.\/server\/host\//.test(spec) && !SIMULATOR_MAY_IMPORT.test(spec))
      .map(({ f, spec }) => `${f}: ${spec}`);
    expect(offenders).toEqual([]);
  });

  it("server/host/formats/ is pure: text in, values out, no fs and no process", () => {
    const offenders = sources("server/host/formats")
      .filter((f) => !isTest(f))
      .flatMap((f) => [
        ...importsOf(f)
          .filter((spec) => !spec.startsWith("./"))
          .map((spec) => `${f}: imports ${spec}`),
        ...(/\bprocess\.|\brequire\(/.test(readFileSync(join(ROOT, f), "utf8")) ? [`${f}: uses process or require`] : []),
      ]);
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
