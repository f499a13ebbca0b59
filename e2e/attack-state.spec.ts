/**
 * Root is never tricked through a path the web user controls. A real unprivileged user (nobody, uid 65534) owns
 * the data directory the way Passdeck 0.1 left it and plants symlinks in it to root's files; then `npm start` runs
 * as root with PASSDECK_WEB_USER=nobody (the helper as root, the web server and probe agent as nobody), as on a
 * host. Root must not follow a single link, the host records must end up root's (readable, never writable, by the
 * web user), and the modes must be set again at the next start. The web user's children run in sessions of their
 * own with standard input closed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { descendants, startAttackServer, type AttackServer } from "./attack-server";

const NOBODY = "65534";
const ADMIN = { name: "hal", password: "hal's password, long" };

/** Runs node code as nobody; returns what it printed (JSON). */
function asNobody(code: string): unknown {
  const out = execFileSync("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "-e", code], { encoding: "utf8" });
  return JSON.parse(out) as unknown;
}
const errnoOf = (op: string) => `try { ${op}; console.log(JSON.stringify("done")); } catch (e) { console.log(JSON.stringify(e.code)); }`;

const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);
const owner = (path: string) => `${statSync(path).uid}:${statSync(path).gid}`;

test.describe.configure({ mode: "serial" });

let decoyDir: string;
let decoy: string;
let data: string;
let server: AttackServer | null = null;

test.beforeAll(() => {
  // root's secrets: a file and a directory only root can read
  decoyDir = mkdtempSync(join(tmpdir(), "passdeck-decoy-"));
  chmodSync(decoyDir, 0o700);
  decoy = join(decoyDir, "shadow");
  writeFileSync(decoy, "root:$6$secret:19000:0:99999:7:::\n", { mode: 0o600 });
  // the data directory as Passdeck 0.1 handed it to the web user, with the web user's plants in it
  const base = mkdtempSync(join(tmpdir(), "passdeck-state-"));
  chmodSync(base, 0o755);
  data = join(base, "data");
  mkdirSync(data, { mode: 0o750 });
  execFileSync("chown", [`${NOBODY}:${NOBODY}`, data]);
  const plants = {
    "passdeck.db": decoy, // the old database: root imports from it
    "passdeck.db-wal": decoy,
    "passdeck.db-x": decoy, // what the old start.mjs chowned as root
    "setup-code": decoy,
    host: decoyDir, // where root keeps the records now
  };
  expect(
    asNobody(
      `const fs = require("node:fs"); for (const [name, to] of Object.entries(${JSON.stringify(plants)})) fs.symlinkSync(to, ${JSON.stringify(data)} + "/" + name); console.log(JSON.stringify(fs.readdirSync(${JSON.stringify(data)}).sort()))`,
    ),
  ).toEqual(Object.keys(plants).sort());
});

test.afterAll(async () => {
  await server?.stop();
  rmSync(decoyDir, { recursive: true, force: true });
});

test("root starts through the planted links without following one; the records are root's, readable not writable by the web user", async () => {
  server = await startAttackServer({ demo: null, dataDir: data, env: { PASSDECK_WEB_USER: `${NOBODY}:${NOBODY}` } });
  // the decoys: untouched
  expect([owner(decoy), mode(decoy), readFileSync(decoy, "utf8")]).toEqual(["0:0", "600", "root:$6$secret:19000:0:99999:7:::\n"]);
  expect([owner(decoyDir), mode(decoyDir), readdirSync(decoyDir)]).toEqual(["0:0", "700", ["shadow"]]);
  // the layout: the data directory root's (the web group traverses it), host/ a real directory of root's, web/ nobody's
  expect([owner(data), mode(data)]).toEqual([`0:${NOBODY}`, "750"]);
  const host = join(data, "host");
  expect(lstatSync(host).isDirectory()).toBe(true);
  expect([owner(host), mode(host)]).toEqual([`0:${NOBODY}`, "750"]);
  expect([owner(join(host, "passdeck-host.db")), mode(join(host, "passdeck-host.db"))]).toEqual([`0:${NOBODY}`, "640"]);
  expect(owner(join(data, "web"))).toBe(`${NOBODY}:${NOBODY}`);
  // the planted host link was moved aside, never used; the other links are where they were, still links
  const aside = readdirSync(data).filter((n) => n.startsWith("host.untrusted-"));
  expect(aside).toHaveLength(1);
  expect(readlinkSync(join(data, aside[0]!))).toBe(decoyDir);
  for (const name of ["passdeck.db", "passdeck.db-wal", "passdeck.db-x", "setup-code"]) expect(lstatSync(join(data, name)).isSymbolicLink(), name).toBe(true);
  expect(server.log()).toContain(`passdeck: ${host} was a symlink: moved aside to`);

  // the old database was a link: nothing imported from it, and the audit says why
  server.cli(["user", "add", ADMIN.name, "--role", "admin"], `${ADMIN.password}\n`);
  const audit = JSON.parse(server.cli(["audit", "--json"])) as { action: string; actor: string | null; detail: string | null; peer: string | null }[];
  expect(audit.find((e) => e.actor === "passdeck upgrade")?.detail).toMatch(
    new RegExp(`^could not import the journal, desired state and audit from ${join(data, "passdeck.db")}: ELOOP`),
  );
  // the account was added by the CLI run as nobody (root does not open the web user's database); the helper wrote
  // its audit entry, labelled with the socket peer
  expect(audit.find((e) => e.action === "user-added")).toMatchObject({
    actor: "cli (nobody)",
    detail: "hal (admin)",
    peer: expect.stringMatching(/^uid 65534 \(nobody\) pid \d+ node$/),
  });

  // the web user reads the records and cannot change them, nor the directory they live in
  const db = join(host, "passdeck-host.db");
  expect(asNobody(errnoOf(`require("node:fs").readFileSync(${JSON.stringify(db)})`))).toBe("done");
  expect(asNobody(errnoOf(`require("node:fs").openSync(${JSON.stringify(db)}, "r+")`))).toBe("EACCES");
  expect(asNobody(errnoOf(`require("node:fs").unlinkSync(${JSON.stringify(db)})`))).toBe("EACCES");
  expect(asNobody(errnoOf(`require("node:fs").writeFileSync(${JSON.stringify(join(host, "evil.db"))}, "x")`))).toBe("EACCES");
  expect(asNobody(errnoOf(`require("node:fs").renameSync(${JSON.stringify(host)}, ${JSON.stringify(join(data, "gone"))})`))).toBe("EACCES");
});

test("the web server and probe agent run as nobody in sessions of their own, standard input closed", () => {
  const kids = descendants(server!.pid)
    .map((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return {
          pid,
          cmd: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "),
          uid: /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1],
          session: Number(fields[3]),
          tty: Number(fields[4]),
          stdin: readlinkSync(`/proc/${pid}/fd/0`),
        };
      } catch {
        return null;
      }
    })
    .filter((k) => k !== null && /node (scripts\/serve\.mjs|dist\/passdeck\.mjs (probe-agent|helper))/.test(k.cmd));
  const startSession = Number(readFileSync(`/proc/${server!.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[3]);
  const role = (re: RegExp) => kids.find((k) => re.test(k!.cmd))!;
  for (const [name, re, uid] of [
    ["web", /serve\.mjs/, NOBODY],
    ["agent", /probe-agent/, NOBODY],
    ["helper", /passdeck\.mjs helper/, "0"],
  ] as const) {
    const k = role(re);
    expect(k, name).toBeTruthy();
    expect([name, k.uid, k.session === startSession, k.tty, k.stdin], name).toEqual([name, uid, false, 0, "/dev/null"]);
  }
});

test("at the next start the modes are set again, whatever happened to them meanwhile", async () => {
  await server!.stop();
  server = null;
  const host = join(data, "host");
  chmodSync(host, 0o777);
  chmodSync(join(host, "passdeck-host.db"), 0o666);
  chmodSync(data, 0o777);
  server = await startAttackServer({ demo: null, dataDir: data, env: { PASSDECK_WEB_USER: `${NOBODY}:${NOBODY}` } });
  expect([mode(data), mode(host), mode(join(host, "passdeck-host.db"))]).toEqual(["750", "750", "640"]);
  // and the web user's own directory, by the web server itself (root never touches it)
  expect(mode(join(data, "web"))).toBe("750");
  expect(mode(join(data, "web", "passdeck-web.db"))).toBe("640");
  expect(spawnSync("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "test", "-w", join(host, "passdeck-host.db")]).status).toBe(1);
});
