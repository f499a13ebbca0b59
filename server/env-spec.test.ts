/** The environment's one place: every variable's default, the messages for bad values, and nobody else reading it. */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { demoDirs, EnvError, MAX_CONNECTIONS, publishedHostPolicy, publishHostPolicy, readEnv } from "./env-spec.mjs";
import { buildHostPolicy } from "./http/hosts.mjs";

const ROOT = join(__dirname, "..");

/** The problems readEnv reports for this environment (none: []). */
function problems(source: Record<string, string>): string[] {
  try {
    readEnv(source);
    return [];
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    return err.problems;
  }
}

describe("readEnv defaults", () => {
  it("fills in every default the server, the CLI and scripts/start.mjs and serve.mjs used", () => {
    expect(readEnv({})).toEqual({
      PASSDECK_SYS_ROOT: "/sys",
      PASSDECK_PROC_ROOT: "/proc",
      PASSDECK_DATA_DIR: "/var/lib/passdeck",
      // start.mjs and serve.mjs: 127.0.0.1 and 7878
      PASSDECK_HOST: "127.0.0.1",
      PASSDECK_PORT: 7878,
      // serve.mjs: 32
      PASSDECK_MAX_CONNECTIONS_PER_SOURCE: 32,
      // start.mjs: /run/passdeck/helper.sock
      PASSDECK_HELPER_SOCKET: "/run/passdeck/helper.sock",
      PASSDECK_CONFIRM_WINDOW_S: 60,
      // start.mjs: the probe agent runs unless PASSDECK_PROBE_AGENT=0
      PASSDECK_PROBE_AGENT: true,
      PASSDECK_KEEP_RAW: 48 * 3_600_000,
      PASSDECK_KEEP_10S: 30 * 86_400_000,
      PASSDECK_KEEP_1M: 365 * 86_400_000,
      PASSDECK_KEEP_1H: 5 * 365 * 86_400_000,
    });
  });

  it("takes an empty variable for an unset one, and ignores variables that are not Passdeck's", () => {
    expect(readEnv({ PASSDECK_HOST: "", PASSDECK_PORT: "", PASSDECK_TLS: "", HOME: "/root" })).toEqual(readEnv({}));
  });

  it("reads what is set: numbers as numbers, lists as given, PASSDECK_PROBE_AGENT=0 alone turns the agent off", () => {
    const env = readEnv({
      PASSDECK_HOST: "0.0.0.0",
      PASSDECK_PORT: "8443",
      PASSDECK_MAX_CONNECTIONS_PER_SOURCE: "64",
      PASSDECK_CONFIRM_WINDOW_S: "120",
      PASSDECK_TLS: "files",
      PASSDECK_TLS_CERT: "/etc/passdeck/cert.pem",
      PASSDECK_TLS_KEY: "/etc/passdeck/key.pem",
      PASSDECK_ALLOWED_HOSTS: "hv.example.lan,hv.example.lan:8443",
      PASSDECK_TRUSTED_PROXY: "127.0.0.1",
      PASSDECK_WEB_USER: "997:997",
      PASSDECK_HELPER_GROUP: "passdeck",
      PASSDECK_PROBE_AGENT: "0",
    });
    expect(env).toMatchObject({
      PASSDECK_HOST: "0.0.0.0",
      PASSDECK_PORT: 8443,
      PASSDECK_MAX_CONNECTIONS_PER_SOURCE: 64,
      PASSDECK_CONFIRM_WINDOW_S: 120,
      PASSDECK_TLS: "files",
      PASSDECK_TLS_CERT: "/etc/passdeck/cert.pem",
      PASSDECK_TLS_KEY: "/etc/passdeck/key.pem",
      PASSDECK_ALLOWED_HOSTS: "hv.example.lan,hv.example.lan:8443",
      PASSDECK_TRUSTED_PROXY: "127.0.0.1",
      PASSDECK_WEB_USER: "997:997",
      PASSDECK_HELPER_GROUP: "passdeck",
      PASSDECK_PROBE_AGENT: false,
    });
    expect(readEnv({ PASSDECK_PROBE_AGENT: "1" }).PASSDECK_PROBE_AGENT).toBe(true);
    expect(readEnv({ PASSDECK_PROBE_AGENT: "no" }).PASSDECK_PROBE_AGENT).toBe(true);
    expect(readEnv({ PASSDECK_MAX_CONNECTIONS_PER_SOURCE: String(MAX_CONNECTIONS) }).PASSDECK_MAX_CONNECTIONS_PER_SOURCE).toBe(1024);
  });
});

describe("readEnv refuses a bad value, naming the variable and what it takes", () => {
  it("in the words scripts/serve.mjs always printed (e2e/attack-http.spec.ts checks them there)", () => {
    expect(problems({ PASSDECK_PORT: "0" })).toEqual(['PASSDECK_PORT is a port number (1-65535), not "0"']);
    expect(problems({ PASSDECK_PORT: "http" })).toEqual(['PASSDECK_PORT is a port number (1-65535), not "http"']);
    expect(problems({ PASSDECK_MAX_CONNECTIONS_PER_SOURCE: "lots" })).toEqual([
      'PASSDECK_MAX_CONNECTIONS_PER_SOURCE is a whole number of connections from 1 to 1024, not "lots"',
    ]);
    expect(problems({ PASSDECK_TLS: "on" })).toEqual([
      'PASSDECK_TLS is "self-signed" (a certificate made on first start), "files" (with PASSDECK_TLS_CERT and PASSDECK_TLS_KEY) or "off" (plain HTTP), not "on"',
    ]);
    expect(problems({ PASSDECK_ALLOWED_HOSTS: "hv.example.lan,https://hv.example.lan/" })).toEqual([
      'PASSDECK_ALLOWED_HOSTS: "https://hv.example.lan/" is not a host name: give names or addresses, each optionally with :port, separated by commas, without a scheme, path or wildcard (e.g. PASSDECK_ALLOWED_HOSTS=hv.example.lan,192.0.2.10,[2001:db8::10],hv.example.lan:8443)',
    ]);
    expect(problems({ PASSDECK_TRUSTED_PROXY: "proxy.lan" })[0]).toMatch(/^PASSDECK_TRUSTED_PROXY: "proxy.lan" is not an IP address/);
  });

  it("takes only digits for the connection cap, as serve.mjs did (no 1e1, 0x20, 32.0 or spaces)", () => {
    for (const text of ["1e1", "0x20", "32.0", " 32", "0", "1025"])
      expect(problems({ PASSDECK_MAX_CONNECTIONS_PER_SOURCE: text })).toEqual([
        `PASSDECK_MAX_CONNECTIONS_PER_SOURCE is a whole number of connections from 1 to 1024, not "${text}"`,
      ]);
  });

  it("names the other variables too, every bad one at once, and the server's message keeps its prefix", () => {
    expect(problems({ PASSDECK_CONFIRM_WINDOW_S: "2" })).toEqual(['PASSDECK_CONFIRM_WINDOW_S is a whole number of seconds from 5 to 3600, not "2"']);
    expect(problems({ PASSDECK_WEB_USER: "Web User" })).toEqual(['PASSDECK_WEB_USER is a user name (e.g. passdeck) or uid:gid (e.g. 997:997), not "Web User"']);
    expect(problems({ PASSDECK_PORT: "99999", PASSDECK_KEEP_RAW: "5m" })).toEqual([
      'PASSDECK_PORT is a port number (1-65535), not "99999"',
      'PASSDECK_KEEP_RAW: "5m" is not a duration of at least an hour (e.g. 48h, 30d, 1y)',
    ]);
    expect(() => readEnv({ PASSDECK_PORT: "99999" })).toThrow('Invalid Passdeck environment: PASSDECK_PORT is a port number (1-65535), not "99999"');
  });
});

describe("demoDirs (npm run demo)", () => {
  it("keeps the demo in .cache/demo/<scenario> and its data inside, unless PASSDECK_DEMO_DIR or PASSDECK_DATA_DIR say otherwise", () => {
    expect(demoDirs("server", {})).toEqual({ demoDir: resolve(".cache/demo/server"), dataDir: resolve(".cache/demo/server/data") });
    expect(demoDirs("server", { PASSDECK_DEMO_DIR: "", PASSDECK_DATA_DIR: "" })).toEqual(demoDirs("server", {}));
    expect(demoDirs("server", { PASSDECK_DEMO_DIR: "demo-here" })).toEqual({ demoDir: resolve("demo-here"), dataDir: resolve("demo-here/data") });
    expect(demoDirs("server", { PASSDECK_DATA_DIR: "/srv/passdeck" }).dataDir).toBe("/srv/passdeck");
  });
});

describe("the published Host allow-list", () => {
  it("goes from serve.mjs to Next's code in the same process through PASSDECK_HOST_POLICY", () => {
    const env: Record<string, string | undefined> = {};
    expect(publishedHostPolicy(env)).toBeUndefined();
    const policy = buildHostPolicy({ bindHost: "127.0.0.1", port: 7878, scheme: "http", facts: { addresses: [], hostnames: ["hv"] } });
    publishHostPolicy(policy, env);
    expect(JSON.parse(publishedHostPolicy(env) ?? "null")).toEqual(policy);
  });
});

describe("boundaries", () => {
  function sources(dir: string): string[] {
    return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === "node_modules" || entry.name.startsWith(".") ? [] : sources(rel);
      return /\.(ts|tsx|mjs)$/.test(entry.name) ? [rel] : [];
    });
  }
  const isTest = (f: string) => /\.(test|spec)\.tsx?$/.test(f) || /^(playwright|vitest)\.config\.ts$/.test(f);
  /** process.env.PASSDECK_*, process.env["PASSDECK_*"], or process.env handed on whole (read elsewhere); a spread into a child's environment is fine. */
  const readsPassdeckEnv = /(?<!\.\.\.)\bprocess\.env\b(?!\s*(\.(?!PASSDECK_)\w|\[\s*["'`](?!PASSDECK_)))/;
  const allowed = new Map([
    ["server/env-spec.mjs", "the one place"],
    ["server/env-roots.mjs", "the one place's zod-free part: the roots a scan reads, for the CLI's fast start"],
    // Browser code may not import server/ (boundaries.test.ts); it reads the port only while Next renders on the
    // server, and its fallback is checked against the default below.
    ["lib/trpc/client.tsx", "client bundle"],
  ]);

  it("no file outside server/env-spec.mjs reads a PASSDECK_* variable from process.env (tests and e2e aside)", () => {
    const roots = readdirSync(ROOT).filter((f) => /\.(ts|mjs)$/.test(f));
    const offenders = ["app", "components", "lib", "server", "scripts"]
      .flatMap(sources)
      .concat(roots)
      .filter((f) => !isTest(f) && !allowed.has(f))
      .flatMap((f) =>
        readFileSync(join(ROOT, f), "utf8")
          .split("\n")
          .filter((line) => readsPassdeckEnv.test(line))
          .map((line) => `${f}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it("the check itself: a read, a bracketed read and process.env handed on are caught; a spread and other variables are not", () => {
    for (const line of ["const p = process.env.PASSDECK_PORT;", 'x = process.env["PASSDECK_HOST"]', "f(process.env)", "const { PASSDECK_HOST } = process.env;"])
      expect(readsPassdeckEnv.test(line), line).toBe(true);
    for (const line of ["env: { ...process.env, LC_ALL: 'C' }", "process.env.NODE_ENV === 'development'", "Number(process.env.BENCH_RUNS ?? 30)"])
      expect(readsPassdeckEnv.test(line), line).toBe(false);
  });

  it("the browser's fallback port is the default", () => {
    const fallback = /process\.env\.PASSDECK_PORT \?\? (\d+)/.exec(readFileSync(join(ROOT, "lib/trpc/client.tsx"), "utf8"))?.[1];
    expect(Number(fallback)).toBe(readEnv({}).PASSDECK_PORT);
  });
});
