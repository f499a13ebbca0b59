/**
 * The one composition root: lazy (nothing opened, written or started before it is used), retried when a database
 * cannot be opened yet, wired per entry point, and the only place the entry points get their services from.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { SCRYPT_DEFAULTS } from "@/server/auth/passwords";
import { openHostDatabase } from "@/server/db/database";
import { readEnv } from "@/server/env";
import { writeScenarioByName } from "@/server/simulator/catalog";
import { createServices, must, ServiceUnavailable } from "./services";

const work = mkdtempSync(join(tmpdir(), "passdeck-services-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
let n = 0;
const fresh = (name: string) => join(work, `${name}-${n++}`);

describe("createServices", () => {
  it("opens, writes and starts nothing until a service is used (the CLI's --help costs no SQLite)", () => {
    const data = fresh("data");
    const demoDir = fresh("demo");
    for (const entry of ["cli", "web", "helper"] as const) {
      const services = createServices({ env: readEnv({ PASSDECK_DATA_DIR: data, PASSDECK_DEMO: "server", PASSDECK_DEMO_DIR: demoDir }), entry });
      expect(services.entry).toBe(entry);
    }
    expect(existsSync(data)).toBe(false);
    expect(existsSync(demoDir)).toBe(false);
  });

  it("opens only what is used: the host records without the web database, and the other way round", () => {
    const data = fresh("data");
    const services = createServices({ env: readEnv({ PASSDECK_DATA_DIR: data }), entry: "cli" });
    expect(must("host records", services.records()).mode).toBe("owner"); // root, or the records' owner, writes them
    expect(existsSync(join(data, "host"))).toBe(true);
    expect(existsSync(join(data, "web"))).toBe(false);
    expect(services.records()).toEqual(services.records()); // opened once, then kept
    const other = createServices({ env: readEnv({ PASSDECK_DATA_DIR: fresh("data") }), entry: "cli" });
    expect(must("web database", other.webDb()).name).toMatch(/web\/passdeck-web\.db$/);
    expect(existsSync(join(other.env.PASSDECK_DATA_DIR, "host"))).toBe(false);
  });

  it("accounts hash at production's scrypt cost: tests may ask the Accounts for less, the factory never does", async () => {
    const services = createServices({ env: readEnv({ PASSDECK_DATA_DIR: fresh("cost") }), entry: "cli" });
    const auth = services.auth();
    if (!auth.ok) throw new Error(auth.reason);
    await auth.service.accounts.addUser("admin", "admin", "a long enough passphrase");
    const { password_hash } = must("web database", services.webDb()).prepare("SELECT password_hash FROM users").get() as { password_hash: string };
    expect(password_hash).toMatch(new RegExp(`^scrypt\\$${SCRYPT_DEFAULTS.N}\\$${SCRYPT_DEFAULTS.r}\\$${SCRYPT_DEFAULTS.p}\\$`));
    expect(SCRYPT_DEFAULTS).toEqual({ N: 32768, r: 8, p: 3 });
  });

  it("says why a database cannot be opened, and opens it on a later use once it can", () => {
    const data = fresh("data");
    writeFileSync(data, "a file where the data directory should be");
    const services = createServices({ env: readEnv({ PASSDECK_DATA_DIR: data, PASSDECK_DEMO: "server" }), entry: "web" });
    const first = services.journal();
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.reason).toMatch(/^cannot open the Passdeck database at .*ENOTDIR/);
    expect(() => must("journal", services.records())).toThrow(ServiceUnavailable);
    rmSync(data);
    mkdirSync(data);
    expect(services.journal().ok).toBe(true);
  });

  it("a web demo with PASSDECK_DEMO_DIR gets a simulated kernel that applies plans; its records are its own", () => {
    const services = createServices({ env: readEnv({ PASSDECK_DATA_DIR: fresh("data"), PASSDECK_DEMO: "server", PASSDECK_DEMO_DIR: fresh("demo") }) });
    expect(services.kernel).not.toBeNull();
    expect(services.roots.sysRoot).toBe(services.kernel!.sysRoot);
    expect(services.writeAccess()).toMatchObject({ ok: true, mode: "demo" });
    expect(services.libvirt).toBeNull(); // a demo host never reaches the machine's own VMs
    expect(must("host records", services.records()).mode).toBe("owner");
    expect(services.inventory.get().data.source.demo).toBe("server");
  });

  it("a tree that is not a mounted sysfs is shown, not written; readOnly says why instead", () => {
    const roots = writeScenarioByName("desktop", fresh("tree"));
    const env = readEnv({ PASSDECK_SYS_ROOT: roots.sysRoot, PASSDECK_PROC_ROOT: roots.procRoot, PASSDECK_HELPER_SOCKET: fresh("sock") });
    const access = createServices({ env }).writeAccess();
    expect(access).toEqual({
      ok: false,
      reason: `${roots.sysRoot} is not a mounted sysfs (a capture or a read-only demo tree): this server can show plans but not apply them`,
    });
    expect(createServices({ env, readOnly: "read-only test host" }).writeAccess()).toEqual({ ok: false, reason: "read-only test host" });
  });

  it("the web tier reads the host records when the helper's socket exists; the helper always owns them", () => {
    const data = fresh("data");
    openHostDatabase(data).close();
    const socket = fresh("sock");
    writeFileSync(socket, "");
    const env = readEnv({ PASSDECK_DATA_DIR: data, PASSDECK_HELPER_SOCKET: socket });
    expect(must("host records", createServices({ env, entry: "web" }).records()).mode).toBe("reader");
    expect(must("host records", createServices({ env, entry: "helper" }).records()).mode).toBe("owner");
  });

  it("the CLI writes the records itself as root, and through the helper when it may not write them", () => {
    const data = fresh("data");
    openHostDatabase(data).close();
    const socket = fresh("sock");
    writeFileSync(socket, "");
    const env = readEnv({ PASSDECK_DATA_DIR: data, PASSDECK_HELPER_SOCKET: socket });
    vi.spyOn(process, "getuid").mockReturnValue(0);
    expect(must("host records", createServices({ env, entry: "cli" }).records()).mode).toBe("owner");
    vi.spyOn(process, "getuid").mockReturnValue(1000);
    // as root in this test the directory is writable anyway; a host directory that is not there cannot be written
    const elsewhere = readEnv({ PASSDECK_DATA_DIR: fresh("data"), PASSDECK_HELPER_SOCKET: socket });
    const records = createServices({ env: elsewhere, entry: "cli" }).records();
    expect(records.ok).toBe(false); // read-only open of a database that does not exist: the helper owns it
  });

  it("the helper scans the host itself with the dashboard's port; the CLI scans without it", () => {
    const env = readEnv({ PASSDECK_DEMO: "server", PASSDECK_PORT: "7001" });
    expect(createServices({ env, entry: "helper" }).roots).toMatchObject({ demo: null, servingPort: 7001 });
    expect(createServices({ env, entry: "cli" }).roots).not.toHaveProperty("servingPort");
    expect(createServices({ env, entry: "web" }).roots).toMatchObject({ demo: "server", servingPort: 7001 });
  });
});

/** The entry points and what each may no longer build by hand: the factory does. */
const ENTRY_POINTS = {
  "server/context.ts": "web",
  "server/cli/helper-command.ts": "helper",
  "server/api/testing.ts": "web",
} as const;
const HAND_WIRING = [
  "new InventoryService(",
  "openHostRecords(",
  "openWebDatabase(",
  "openHostDatabase(",
  "new PlanService(",
  "new LocalApplier(",
  "new AuthService(",
  "new ProbeStore(",
  "libvirtFor(",
  "hostExecutor(",
  "new HelperApplier(",
];
const source = (path: string) => readFileSync(join(__dirname, "..", path), "utf8");

describe("every entry point builds its services through createServices", () => {
  it.each(Object.entries(ENTRY_POINTS))("%s calls createServices (entry %s) and wires nothing by hand", (path, entry) => {
    const text = source(path);
    expect(text).toMatch(new RegExp(`createServices\\(\\{[^;]*entry: "${entry}"`));
    expect(HAND_WIRING.filter((call) => text.includes(call))).toEqual([]);
  });

  // The CLI (server/cli/main.ts, being rewritten into a command registry) adopts it next: from the day one of its
  // files calls createServices, none of them opens a database, libvirt or the helper by hand. Its commands may still
  // build what they make of an open database (a ProbeStore, an AuthService without the purge timer).
  const cliFiles = readdirSync(join(__dirname, "cli"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "helper-command.ts" && f !== "testing.ts")
    .map((f) => ({ path: `server/cli/${f}`, text: source(`server/cli/${f}`) }));
  const cliAdopted = cliFiles.some((f) => f.text.includes("createServices("));
  it.runIf(cliAdopted)("the CLI calls createServices for the cli entry and opens nothing by hand", () => {
    expect(cliFiles.some((f) => /createServices\(\{[^;]*entry: "cli"/.test(f.text))).toBe(true);
    const opening = HAND_WIRING.filter((call) => !["new AuthService(", "new ProbeStore("].includes(call));
    expect(cliFiles.flatMap((f) => opening.filter((call) => f.text.includes(call)).map((call) => `${f.path}: ${call}`))).toEqual([]);
  });

  it("the web context is the factory's: getContext calls it once per process, for the web entry", async () => {
    vi.resetModules();
    const factory = await import("./services");
    const spy = vi.spyOn(factory, "createServices");
    const { getContext } = await import("./context");
    vi.stubEnv("PASSDECK_DEMO", "desktop");
    vi.stubEnv("PASSDECK_SYS_ROOT", writeScenarioByName("desktop", fresh("tree")).sysRoot);
    try {
      getContext();
      getContext();
    } finally {
      vi.unstubAllEnvs();
    }
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![0]).toMatchObject({ entry: "web" });
  });
});
