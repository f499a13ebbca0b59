/**
 * Who holds a device, from the guest kernel itself (issue 15): a QEMU started by hand with -device vfio-pci (no
 * libvirt), a VF interface moved into another network namespace, libvirtd not running. Passdeck's CLI (root) and
 * web tier (uid 1500, through the helper) name the holder and refuse, with no override, what the kernel would block
 * on; the executor looks again right before its write; after the holder exits the same plans apply.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestExec, guestRun, guestWrite } from "./rig.mjs";
import { resolveAddress } from "./topology.mjs";
import { guestInventory, lanUp, rig, startHandmadeQemu, stopGuestProcess, sysfsTruth, trpcQuery, waitFor } from "./guest";

let igb: string;
const passdeck = (...args: string[]) => guestExec(["node", "dist/passdeck.mjs", ...args], { timeoutMs: 180_000 });
const driverOf = async (address: string) => (await guestExec(["readlink", `/sys/bus/pci/devices/${address}/driver`])).stdout.trim().split("/").pop() ?? "";
const numVfs = async () => (await guestRun(["cat", `/sys/bus/pci/devices/${igb}/sriov_numvfs`])).trim();

async function trpc<T>(path: string, input: unknown): Promise<T> {
  const res = await fetch(`${rig().serverUrl}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${rig().auth.token}` },
    body: JSON.stringify({ json: input }),
    signal: AbortSignal.timeout(180_000),
  });
  const body = (await res.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 800)}`);
  return body.result.data.json;
}

async function vfsOf(count: number): Promise<string[]> {
  const truth = await waitFor(`${count} VFs`, sysfsTruth, (t) => t.find((x) => x.address === igb)!.vfs.length === count, 120_000);
  return truth.find((x) => x.address === igb)!.vfs;
}

beforeAll(async () => {
  rig();
  igb = resolveAddress((await guestInventory()).devices, "igb");
  expect((await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0")).ok).toBe(true);
  await lanUp(igb);
});

afterAll(async () => {
  await guestExec(["sh", "-c", "ip netns del passdeck-ctr 2>/dev/null; pgrep -x libvirtd >/dev/null || libvirtd -d"]);
  await waitFor(
    "libvirtd to answer",
    () => guestExec(["virsh", "-q", "-c", "qemu:///system", "uri"]),
    (r) => r.code === 0,
    60_000,
  );
  await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
});

describe("libvirtd not running, the PF on a LAN with router advertisements", () => {
  it("VF count, per-VF settings, bind and restore go through with one acknowledged warning naming the SLAAC address; nothing asks about VMs", async () => {
    await guestRun(["sh", "-c", "pkill -x libvirtd; while pgrep -x libvirtd >/dev/null; do sleep 0.2; done"]);
    expect((await guestExec(["virsh", "-q", "-c", "qemu:///system", "uri"])).code).not.toBe(0);

    const count = await passdeck("vfs", "set", igb, "2", "--confirm");
    expect(count.code, count.stderr).toBe(0);
    expect(count.stdout).toContain("accepted: ");
    expect(count.stdout).toMatch(/autoconfigured \(SLAAC\) address fec0::5054:ff:fed5:7a10\/64/);
    const [vf0] = await vfsOf(2);
    for (const args of [
      ["vf", "set", igb, "0", "--mac", "02:00:00:15:00:01", "--vlan", "15"],
      ["bind", vf0!, "vfio-pci"],
      ["restore", vf0!],
    ]) {
      const r = await passdeck(...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/cannot tell|--confirm/);
    }
    expect(await driverOf(vf0!)).toBe("igbvf");
    const off = await passdeck("vfs", "set", igb, "0", "--confirm");
    expect(off.code, off.stderr).toBe(0);
    await guestRun(["libvirtd", "-d"]);
    await waitFor(
      "libvirtd to answer",
      () => guestExec(["virsh", "-q", "-c", "qemu:///system", "uri"]),
      (r) => r.code === 0,
      60_000,
    );
  });
});

describe("a QEMU started by hand holds a VF", () => {
  let vf0: string;
  let pid: number;

  it("is named by the CLI (root: its open group file) and the web tier (uid 1500: enable count and command line)", async () => {
    expect((await passdeck("vfs", "set", igb, "2", "--confirm")).code).toBe(0);
    [vf0] = (await vfsOf(2)) as [string];
    expect((await passdeck("bind", vf0, "vfio-pci")).code).toBe(0);
    // a restore planned now, saved as a file: applied after the QEMU started, only the executor stands in its way
    const saved = await passdeck("restore", vf0, "--dry-run", "--json");
    expect(saved.code, saved.stderr).toBe(0);
    expect((await guestWrite("/tmp/restore-vf0.json", JSON.stringify(JSON.parse(saved.stdout).plan))).ok).toBe(true);

    pid = await startHandmadeQemu(vf0);
    const holders = await passdeck("holders");
    expect(holders.stdout).toContain(`${vf0}  held by qemu-system-x86 pid ${pid} (VM handmade)`);
    const dev = (await guestInventory()).devices.find((d) => d.address === vf0)!;
    expect(dev.hold).toMatchObject({ kernel: "vfio-open", holders: [{ pid, command: "qemu-system-x86", guest: { name: "handmade" }, evidence: "open" }] });

    interface WebDevice {
      address: string;
      hold: { kernel: string | null; holders: { pid: number; evidence: string }[] } | null;
    }
    const web = await trpcQuery<{ device: WebDevice }>(`devices.byAddress?input=${encodeURIComponent(JSON.stringify({ json: { address: vf0 } }))}`);
    expect(web.device.hold).toMatchObject({ kernel: "vfio-open", holders: [{ pid, evidence: "declared" }] });
  });

  it("refuses the VF count, the restore and a rebind, naming it, with no override (exit 2); the web review too", async () => {
    const named = `${vf0} is held by qemu-system-x86 pid ${pid} (VM handmade)`;
    const count = await passdeck("vfs", "set", igb, "0", "--confirm", "--force");
    expect(count.code).toBe(2);
    expect(count.stderr).toContain(named);
    const restore = await passdeck("restore", vf0, "--confirm", "--force");
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain(`${vf0}: it is held by qemu-system-x86 pid ${pid} (VM handmade)`);
    const preview = await trpc<{ outcome: { kind: string; refusals?: { code: string; reason: string; override: string | null }[] } }>("plans.preview", {
      kind: "restore",
      address: vf0,
      confirm: true,
      force: true,
    });
    expect(preview.outcome.kind).toBe("refused");
    expect(preview.outcome.refusals!.map((r) => [r.code, r.override])).toEqual([["held", null]]);
    expect(preview.outcome.refusals![0]!.reason).toContain(`held by qemu-system-x86 pid ${pid} (VM handmade)`);
    expect([await driverOf(vf0), await numVfs()]).toEqual(["vfio-pci", "2"]);
  });

  it("a plan saved before the QEMU started is stopped by the executor before its write: it returns at once, and the VF keeps vfio-pci", async () => {
    const r = await passdeck("apply", "/tmp/restore-vf0.json");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Not unbinding ${vf0} from vfio-pci: ${vf0} is held by qemu-system-x86 pid ${pid} (VM handmade)`);
    expect(r.ms).toBeLessThan(60_000);
    expect(await driverOf(vf0)).toBe("vfio-pci");
  });

  it("after the QEMU exits, the same plans apply", async () => {
    await stopGuestProcess(pid, vf0);
    const again = await passdeck("apply", "/tmp/restore-vf0.json");
    expect(again.code, again.stderr).toBe(0);
    expect(await driverOf(vf0)).toBe("igbvf");
    const count = await passdeck("vfs", "set", igb, "0", "--confirm");
    expect(count.code, count.stderr).toBe(0);
    expect(await numVfs()).toBe("0");
  });
});

describe("a VF interface moved into another network namespace", () => {
  it("is held by that namespace: shown, and the VF count change is refused until it comes back", async () => {
    expect((await passdeck("vfs", "set", igb, "2", "--confirm")).code).toBe(0);
    const [, vf1] = (await vfsOf(2)) as [string, string];
    const netdev = await waitFor(
      "VF 1's interface",
      async () => (await guestExec(["ls", `/sys/bus/pci/devices/${vf1}/net`])).stdout.trim(),
      (n) => n !== "",
      60_000,
    );
    await guestRun(["sh", "-c", `ip netns add passdeck-ctr && ip link set ${netdev} netns passdeck-ctr`]);
    const alone = (await guestInventory()).devices.find((d) => d.address === vf1)!;
    expect(alone).toMatchObject({ driver: "igbvf", netdevs: [], hold: { kernel: "netns", holders: [] } });
    // the web tier (uid 1500) sees it held too, from sysfs alone
    const web = await trpcQuery<{ device: { hold: { kernel: string | null } | null } }>(
      `devices.byAddress?input=${encodeURIComponent(JSON.stringify({ json: { address: vf1 } }))}`,
    );
    expect(web.device.hold).toMatchObject({ kernel: "netns" });
    const r = await passdeck("vfs", "set", igb, "0", "--confirm", "--force");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${vf1} is held in another network namespace`);
    // a process in that namespace (as a container's init would be): root names it, from its own view of sysfs
    const pid = Number((await guestRun(["sh", "-c", "setsid ip netns exec passdeck-ctr sleep 600 </dev/null >/dev/null 2>&1 & echo $!"])).trim());
    const hostNs = (await guestRun(["readlink", "/proc/1/ns/net"])).trim();
    await waitFor(
      "sleep in the namespace",
      async () => (await guestExec(["readlink", `/proc/${pid}/ns/net`])).stdout.trim(),
      (ns) => ns !== "" && ns !== hostNs,
      30_000,
      200,
    );
    const owned = (await guestInventory()).devices.find((d) => d.address === vf1)!;
    expect(owned.hold).toMatchObject({ kernel: "netns", holders: [{ pid, command: "sleep", evidence: "netns" }] });
    // the web tier (uid 1500) cannot see whose namespace it is (that takes ptrace access, root's): it says who can
    const webOwned = await trpcQuery<{ device: { hold: unknown } }>(
      `devices.byAddress?input=${encodeURIComponent(JSON.stringify({ json: { address: vf1 } }))}`,
    );
    expect(webOwned.device.hold).toEqual({ kernel: "netns", holders: [] });
    const named = await passdeck("vfs", "set", igb, "0", "--confirm", "--force");
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`${vf1} is held in the network namespace of sleep pid ${pid}: its interface was moved there`);
    await guestRun(["sh", "-c", `kill ${pid}; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done; ip netns del passdeck-ctr`]);
    await waitFor(
      "the interface back",
      async () => (await guestExec(["ls", `/sys/bus/pci/devices/${vf1}/net`])).stdout.trim(),
      (n) => n !== "",
      30_000,
    );
    const off = await passdeck("vfs", "set", igb, "0", "--confirm");
    expect(off.code, off.stderr).toBe(0);
  });
});
