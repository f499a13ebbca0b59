/**
 * The systemd units as shipped: systemd itself finds nothing to complain about, the helper's capability set is the
 * one npm start uses (helper-capabilities.json), and the web server and the probe agent run unprivileged.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const UNITS = ["passdeck-helper", "passdeck-web", "passdeck-probe", "passdeck-reconcile"].map((u) => `deploy/systemd/${u}.service`);
const settings = (file: string) => {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!]);
  }
  return (key: string) => map.get(key) ?? [];
};

describe("deploy/systemd", () => {
  it("systemd-analyze verify has nothing to say about any unit", () => {
    const run = spawnSync("systemd-analyze", ["verify", ...UNITS], { encoding: "utf8" });
    expect(run.error, "systemd-analyze is part of systemd, on every Debian host").toBeUndefined();
    expect(run.stderr.trim()).toBe("");
    expect(run.status).toBe(0);
  });

  it("the helper keeps exactly the capabilities helper-capabilities.json lists, and is hardened", () => {
    const caps = Object.keys(
      (JSON.parse(readFileSync("deploy/systemd/helper-capabilities.json", "utf8")) as { capabilities: Record<string, string> }).capabilities,
    );
    const helper = settings("deploy/systemd/passdeck-helper.service");
    expect(helper("CapabilityBoundingSet")).toEqual([caps.join(" ")]);
    expect(caps).toEqual(["CAP_NET_ADMIN", "CAP_SYSLOG", "CAP_CHOWN"]);
    for (const [key, value] of [
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
    ] as const)
      expect(helper(key), key).toEqual([value]);
    // /sys must stay writable for the helper
    expect(helper("ProtectKernelTunables")).toEqual([]);
    // bounded, and told who the web user is (its directory and group)
    expect([helper("MemoryMax"), helper("TasksMax"), helper("Environment").filter((e) => e.startsWith("PASSDECK_WEB_USER="))]).toEqual([
      ["512M"],
      ["128"],
      ["PASSDECK_WEB_USER=passdeck"],
    ]);
  });

  it("the web server and the probe agent run as passdeck with no capability at all", () => {
    for (const unit of ["passdeck-web", "passdeck-probe"]) {
      const s = settings(`deploy/systemd/${unit}.service`);
      expect([s("User"), s("CapabilityBoundingSet"), s("NoNewPrivileges"), s("ProtectSystem"), s("ProtectHome"), s("PrivateTmp")], unit).toEqual([
        ["passdeck"],
        [""],
        ["yes"],
        ["strict"],
        ["yes"],
        ["yes"],
      ]);
    }
    expect(settings("deploy/systemd/passdeck-web.service")("ProtectKernelTunables")).toEqual(["yes"]);
    // they write their own directory only; the host records stay read-only to them
    for (const unit of ["passdeck-web", "passdeck-probe"])
      expect(settings(`deploy/systemd/${unit}.service`)("ReadWritePaths"), unit).toEqual(["/var/lib/passdeck/web"]);
  });
});
