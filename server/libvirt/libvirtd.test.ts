/**
 * Against the real libvirtd on qemu:///system that the test command starts (scripts/test.sh): domains defined here,
 * devices attached and detached through Passdeck's planner, executor and CLI, read back with `virsh dumpxml`.
 * Addresses come from the simulated "server" host: libvirt does not check a stopped domain's host addresses.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runCliOn } from "@/server/cli/testing";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { PlanExecutor } from "@/server/executor/executor";
import { KernelFs } from "@/server/host/fs";
import { simulatedHost } from "@/server/plans/testing";
import { planAttach } from "@/server/plans/vm";
import { domainXml, hostdevXml } from "./testing";
import { LibvirtService } from "./service";
import { Virsh } from "./virsh";

// A real daemon beside other test files in parallel: a test of ten CLI runs and virsh calls needs more than 20 s.
vi.setConfig({ testTimeout: 60_000 });

const URI = "qemu:///system";
const work = mkdtempSync(join(tmpdir(), "passdeck-libvirtd-"));
const prefix = `passdeck-test-${process.pid}`;
const defined: string[] = [];
const pools: string[] = [];
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });

function define(name: string, devices: string[] = []): string {
  const uuid = crypto.randomUUID();
  const file = join(work, `${defined.length}.xml`);
  writeFileSync(file, domainXml(name, uuid, devices));
  virsh("define", file);
  defined.push(uuid);
  return uuid;
}

beforeAll(() => {
  // The test command starts libvirtd; without it these tests must fail loudly, not pass vacuously.
  expect(virsh("uri").trim()).toBe(URI);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});
afterAll(() => {
  for (const net of pools) {
    try {
      virsh("net-destroy", net);
    } catch {
      /* not running */
    }
    try {
      virsh("net-undefine", net);
    } catch {
      /* already gone */
    }
  }
  for (const uuid of defined) {
    try {
      virsh("undefine", uuid);
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

const libvirt = new LibvirtService(new Virsh(URI));
const journal = new Journal(openHostDatabase(join(work, "data")));
const VF0 = "0000:3b:02.0";

describe("the adapter on a real libvirtd", () => {
  it("lists a defined domain with its state, size and host devices, by UUID", async () => {
    const uuid = define(`${prefix}-list`, [hostdevXml("0000:5e:00.0", false)]);
    const view = await libvirt.view(true);
    if (!view.ok) throw new Error(view.reason.cause);
    const d = view.domains.find((x) => x.uuid === uuid)!;
    expect({
      name: d.name,
      state: d.state,
      active: d.active,
      persistent: d.persistent,
      autostart: d.autostart,
      vcpus: d.vcpus,
      memoryKiB: d.memoryKiB,
    }).toEqual({
      name: `${prefix}-list`,
      state: "shut off",
      active: false,
      persistent: true,
      autostart: false,
      vcpus: 1,
      memoryKiB: 65536,
    });
    expect(d.live).toBeNull();
    expect(d.config!.hostdevs.map((h) => [h.address, h.managed])).toEqual([["0000:5e:00.0", false]]);
    expect(view.inUse["0000:5e:00.0"]!.map((h) => h.domain.name)).toContain(`${prefix}-list`);
  });

  it("reads devices it does not pass through (USB, mdev) without crashing, and lists only the PCI ones", async () => {
    const uuid = define(`${prefix}-foreign`, [
      "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product id='0xc52b'/></source></hostdev>",
      "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>",
      hostdevXml("0000:5e:00.0"),
    ]);
    const d = await libvirt.domains.get(uuid);
    expect(d.xmlError).toBeNull();
    expect(d.config!.hostdevs.map((h) => h.address)).toEqual(["0000:5e:00.0"]);
  });

  it("says why when libvirt cannot be reached, and when virsh is not installed", async () => {
    const down = await new LibvirtService(new Virsh("qemu+unix:///system?socket=/nonexistent/libvirt-sock")).view(true);
    expect(down.ok).toBe(false);
    if (!down.ok) expect(down.reason.code).toBe("libvirt-unreachable");
    const missing = await new LibvirtService(new Virsh(URI, "/nonexistent/virsh")).view(true);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect([missing.reason.code, missing.reason.fix]).toEqual(["libvirt-missing", expect.stringContaining("apt install libvirt-clients")]);
  });
});

describe("attach and detach through the executor", () => {
  it("attaches a VF as <interface type='hostdev'> with MAC and VLAN to the persistent config, verified by dumpxml --inactive", async () => {
    const host = simulatedHost(work, "server", undefined, libvirt);
    const uuid = define(`${prefix}-attach`);
    const view = await libvirt.view(true);
    if (!view.ok) throw new Error(view.reason.cause);
    const plan = planAttach(host.inventory(), view.domains, { domain: uuid, address: VF0, mac: "02:aa:bb:00:00:01", vlan: 42 });
    if (plan.outcome.kind !== "plan") throw new Error(JSON.stringify(plan.outcome));
    const result = await host.executor.apply(plan.outcome.plan);
    expect(result.steps.map((s) => s.error?.cause ?? s.status)).toEqual(["done"]);
    const xml = virsh("dumpxml", uuid, "--inactive");
    expect(xml).toMatch(
      /<interface type='hostdev' managed='yes'>\s*<mac address='02:aa:bb:00:00:01'\/>\s*<source>\s*<address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x0'\/>\s*<\/source>\s*<vlan>\s*<tag id='42'\/>\s*<\/vlan>/,
    );
  });

  it("rolls the config attach back when a later step fails", async () => {
    const host = simulatedHost(work, "server", undefined, libvirt);
    const uuid = define(`${prefix}-rollback`);
    const view = await libvirt.view(true);
    if (!view.ok) throw new Error(view.reason.cause);
    const attach = planAttach(host.inventory(), view.domains, { domain: uuid, address: "0000:5e:00.0" }, { confirm: true });
    if (attach.outcome.kind !== "plan") throw new Error(JSON.stringify(attach.outcome));
    const failing = {
      kind: "attach-device" as const,
      domain: { uuid: "00000000-0000-4000-8000-00000000dead", name: "gone" },
      device: { type: "hostdev" as const, address: "0000:5e:00.0", managed: true },
      target: "config" as const,
    };
    const plan = { ...attach.outcome.plan, steps: [...attach.outcome.plan.steps, { step: failing, summary: "to a VM that does not exist", inverse: null }] };
    const result = await new PlanExecutor({ sys: new KernelFs(host.kernel.sysRoot), writer: host.kernel, ip: host.ip, libvirt }).apply(plan);
    expect(result.ok).toBe(false);
    expect(result.steps.map((s) => [s.index, s.status])).toEqual([
      [0, "done"],
      [1, "failed"],
      [0, "rolled-back"],
    ]);
    expect(result.steps[1]!.error!.code).toBe("no-such-domain");
    expect(virsh("dumpxml", uuid, "--inactive")).not.toContain("bus='0x5e'");
  });
});

describe("passdeck vm (CLI) on a real libvirtd", () => {
  it("vm attach --dry-run prints the XML and changes nothing; vm attach applies and journals; vm list --json shows it", async () => {
    const host = simulatedHost(work, "server");
    const name = `${prefix}-cli`;
    const uuid = define(name);
    const dry = await runCliOn(["vm", "attach", name, "3b:02.1", "--mac", "02:AA:BB:00:00:02", "--vlan", "7", "--dry-run"], host, { journal, libvirt });
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`virsh attach-device ${name} --file device.xml --config`);
    expect(dry.out).toContain(`+ <interface type="hostdev" managed="yes">`);
    expect(dry.out).toContain(`+   <mac address="02:aa:bb:00:00:02"/>`);
    expect(virsh("dumpxml", uuid, "--inactive")).not.toContain("<interface type='hostdev'");

    const applied = await runCliOn(["vm", "attach", name, "3b:02.1", "--mac", "02:aa:bb:00:00:02", "--vlan", "7"], host, { journal, libvirt });
    expect(applied.code).toBe(0);
    expect(virsh("dumpxml", uuid, "--inactive")).toMatch(
      /<mac address='02:aa:bb:00:00:02'\/>[\s\S]*bus='0x3b' slot='0x02' function='0x1'[\s\S]*<tag id='7'\/>/,
    );
    const entry = journal.get(journal.list({ limit: 1 })[0]!.id)!;
    expect((entry.plan as { steps: { step: unknown }[] }).steps[0]!.step).toMatchObject({ kind: "attach-device", domain: { uuid, name }, target: "config" });

    const list = await runCliOn(["vm", "list", "--json"], host, { journal, libvirt });
    expect(list.code).toBe(0);
    const row = (JSON.parse(list.out) as { name: string; state: string; devices: unknown[] }[]).find((r) => r.name === name)!;
    expect(row.state).toBe("shut off");
    expect(row.devices).toEqual([
      {
        address: "0000:3b:02.1",
        as: "interface",
        in: ["config"],
        managed: true,
        mac: "02:aa:bb:00:00:02",
        vlan: [7],
        host: {
          name: expect.stringContaining("Virtual Function"),
          driver: "iavf",
          iommuGroup: 17,
          vf: { pf: "0000:3b:00.0", index: 1, settings: expect.objectContaining({ vf: 1 }) },
        },
      },
    ]);

    // The same VF to a second VM is refused: one device, one VM.
    const other = `${prefix}-cli-other`;
    define(other);
    const twice = await runCliOn(["vm", "attach", other, "3b:02.1"], host, { journal, libvirt });
    expect(twice.code).toBe(2);
    expect(twice.err).toContain(`0000:3b:02.1 is already given to the VM ${name} (in its config)`);

    const detached = await runCliOn(["vm", "detach", name, "0000:3b:02.1"], host, { journal, libvirt });
    expect(detached.code).toBe(0);
    expect(virsh("dumpxml", uuid, "--inactive")).not.toContain("<interface type='hostdev'");
  });

  it("passes a VM name with shell metacharacters as one argument: nothing runs, the VM is found", async () => {
    const host = simulatedHost(work, "server");
    // libvirt refuses '/' in a name, so the marker is relative: a shell would create it in the working directory.
    const marker = `passdeck-pwned-${process.pid}`;
    const name = `${prefix} $(touch ${marker}); \`touch ${marker}\` | touch ${marker}`;
    const uuid = define(name);
    const r = await runCliOn(["vm", "attach", name, "0000:3b:02.2"], host, { journal, libvirt });
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(existsSync(join(process.cwd(), marker))).toBe(false);
    expect(virsh("dumpxml", uuid, "--inactive")).toContain("slot='0x02' function='0x2'");
  });

  it("refuses bad input with the reason and exit 2: a VM named like an option, a broadcast MAC, a VLAN out of range", async () => {
    const host = simulatedHost(work, "server");
    const opt = await runCliOn(["vm", "attach", "--", "--help", "3b:02.0"], host, { journal, libvirt });
    expect([opt.code, opt.err]).toEqual([2, expect.stringContaining("a VM name starting with '-' would read as a virsh option")]);
    const mac = await runCliOn(["vm", "attach", "x", "3b:02.0", "--mac", "ff:ff:ff:ff:ff:ff"], host, { journal, libvirt });
    expect([mac.code, mac.err]).toEqual([2, expect.stringContaining("multicast")]);
    const vlan = await runCliOn(["vm", "attach", "x", "3b:02.0", "--vlan", "4095"], host, { journal, libvirt });
    expect([vlan.code, vlan.err]).toEqual([2, expect.stringContaining("--vlan takes 1 to 4094")]);
    const none = await runCliOn(["vm", "attach", `${prefix}-nope`, "3b:02.0"], host, { journal, libvirt });
    expect([none.code, none.err]).toEqual([2, expect.stringContaining(`there is no VM "${prefix}-nope" in libvirt`)]);
  });
});

describe("all functions of a GPU on a real libvirtd", () => {
  it("vm attach --all-functions puts the GPU and its audio function in one guest slot behind a root port libvirt adds", async () => {
    const host = simulatedHost(work, "desktop");
    const name = `${prefix}-gpu`;
    const uuid = define(name);
    const r = await runCliOn(["vm", "attach", name, "0000:01:00.0", "--all-functions", "--rom-bar", "off", "--confirm"], host, { journal, libvirt });
    expect([r.code, r.err]).toEqual([0, ""]);
    const xml = virsh("dumpxml", uuid, "--inactive");
    const d = (await libvirt.domains.get(uuid)).config!;
    const bus = Math.max(...d.pciControllerIndexes);
    const hex = `0x${bus.toString(16).padStart(2, "0")}`;
    expect(d.hostdevs.map((h) => [h.address, h.guestAddress, h.multifunction, h.rom.bar])).toEqual([
      ["0000:01:00.0", `0000:${hex.slice(2)}:00.0`, true, "off"],
      ["0000:01:00.1", `0000:${hex.slice(2)}:00.1`, false, null],
    ]);
    // The guest bus is the root port libvirt added for it.
    expect(xml).toMatch(new RegExp(`<controller type='pci' index='${bus}' model='pcie-root-port'>`));
  });
});

describe("VF pools (hostdev networks) on a real libvirtd", () => {
  it("pool create defines a managed hostdev network on the PF's interface, started at boot; a VM takes a VF from it by MAC; pool delete removes it", async () => {
    const host = simulatedHost(work, "server");
    const name = `pd-pool-${process.pid}`;
    pools.push(name);
    // eno2 (0000:18:00.1) has no VFs yet: the pool is defined and autostarted, not started (a warning to confirm).
    const refused = await runCliOn(["pool", "create", name, "0000:18:00.1"], host, { journal, libvirt });
    expect([refused.code, refused.err]).toEqual([2, expect.stringContaining("eno2 has no VFs yet")]);
    const created = await runCliOn(["pool", "create", name, "0000:18:00.1", "--confirm"], host, { journal, libvirt });
    expect([created.code, created.err]).toEqual([0, ""]);
    expect(virsh("net-dumpxml", name, "--inactive")).toMatch(
      new RegExp(`<name>${name}</name>[\\s\\S]*<forward mode='hostdev' managed='yes'>\\s*<pf dev='eno2'/>\\s*</forward>`),
    );
    expect(virsh("net-info", name)).toMatch(/Autostart:\s+yes/);
    const list = await runCliOn(["pool", "list", "--json"], host, { journal, libvirt });
    expect((JSON.parse(list.out) as { name: string }[]).find((p) => p.name === name)).toEqual({
      name,
      active: false,
      autostart: true,
      pfs: [{ netdev: "eno2", address: "0000:18:00.1" }],
      vfs: [],
      handedOut: [],
      usedByConfigs: [],
      xmlError: null,
    });

    // A VM takes "any free VF" of the pool: <interface type='network'> with a MAC and VLAN, in its config.
    const vm = `${prefix}-pooled`;
    const uuid = define(vm);
    const attached = await runCliOn(["vm", "attach", vm, "--pool", name, "--vlan", "7", "--confirm"], host, { journal, libvirt });
    expect([attached.code, attached.err]).toEqual([0, ""]);
    const iface = /<interface type='network'>[\s\S]*?<\/interface>/.exec(virsh("dumpxml", uuid, "--inactive"))?.[0] ?? "";
    const mac = /<mac address='([0-9a-f:]+)'\/>/.exec(iface)?.[1];
    expect(mac).toMatch(/^52:54:00:/);
    expect(iface).toContain(`<source network='${name}'/>`);
    expect(iface).toMatch(/<vlan>\s*<tag id='7'\/>\s*<\/vlan>/);
    const rows = JSON.parse((await runCliOn(["vm", "list", "--json"], host, { journal, libvirt })).out) as { name: string; networkInterfaces: unknown[] }[];
    expect(rows.find((r) => r.name === vm)!.networkInterfaces).toEqual([{ network: name, mac, vlan: [7] }]);
    const pooled = (
      JSON.parse((await runCliOn(["pool", "list", "--json"], host, { journal, libvirt })).out) as { name: string; usedByConfigs: string[] }[]
    ).find((p) => p.name === name)!;
    expect(pooled.usedByConfigs).toEqual([vm]);
    const inUse = await runCliOn(["pool", "delete", name], host, { journal, libvirt });
    expect([inUse.code, inUse.err]).toEqual([2, expect.stringContaining(`the VM ${vm} takes its VF from ${name}`)]);
    const detached = await runCliOn(["vm", "detach", vm, "--mac", mac!], host, { journal, libvirt });
    expect([detached.code, detached.err]).toEqual([0, ""]);
    expect(virsh("dumpxml", uuid, "--inactive")).not.toContain("<interface type='network'>");

    const deleted = await runCliOn(["pool", "delete", name], host, { journal, libvirt });
    expect([deleted.code, deleted.err]).toEqual([0, ""]);
    expect(virsh("net-list", "--all", "--name")).not.toContain(name);
  });

  it("a pool that libvirt cannot start is rolled back: the failure is decoded and the network is gone", async () => {
    const host = simulatedHost(work, "server");
    const name = `pd-pool-fail-${process.pid}`;
    pools.push(name);
    // ens1f0 has 4 VFs on the simulated host, so the plan starts the pool; this machine has no ens1f0.
    const r = await runCliOn(["pool", "create", name, "0000:3b:00.0"], host, { journal, libvirt });
    expect(r.code).toBe(1);
    expect(r.out).toContain("[done] virsh net-define pool.xml");
    // libvirt finds no VFs on an interface this machine does not have: decoded as such.
    expect(r.err).toContain("the PF ens1f0 has no VFs, so the pool has nothing to hand out");
    expect(r.err).toContain("rolled back");
    expect(virsh("net-list", "--all", "--name")).not.toContain(name);
  });
});
