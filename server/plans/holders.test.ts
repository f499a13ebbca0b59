/**
 * Devices a live process holds, on the simulated kernel (modelled on what the rig's 6.1 kernel showed: a QEMU with
 * -device vfio-pci,host=<VF> opens the group file and vfio-pci's enable count goes to 1; an interface moved into
 * another namespace leaves its device's net/ empty). The planner, the helper's guard and the executor right before
 * its write all refuse, naming the holder; the device never loses its driver; after the holder exits, the same
 * plan applies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeHold } from "@/server/host/holders";
import { planBindVfio, planRestore, planVfCount } from "./planner";
import { guardPlan } from "./step-guard";
import { planOf, simulatedHost } from "./testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-held-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PF = "0000:01:00.0";
const VF0 = "0000:01:10.0";
const VF1 = "0000:01:10.2";
const QEMU = { pid: 812, comm: "qemu-system-x86", argv: ["qemu-system-x86_64", "-S", "-name", "guest=handmade", "-device", `vfio-pci,host=${VF0}`] };
const HELD = "held by qemu-system-x86 pid 812 (VM handmade)";

/** The rig's igb with 2 VFs, VF 0 on vfio-pci. */
async function rigWithVfioVf() {
  const host = simulatedHost(work, "rig");
  host.kernel.loadDriver("vfio-pci");
  expect((await host.executor.apply(planOf(planVfCount(host.inventory(), PF, 2, { confirm: true })))).ok).toBe(true);
  expect((await host.executor.apply(planOf(planBindVfio(host.inventory(), VF0)))).ok).toBe(true);
  return host;
}

describe("a VF a hand-started QEMU holds", () => {
  it("is held in the inventory: the kernel's enable count and the process, with its group file open", async () => {
    const host = await rigWithVfioVf();
    expect(host.device(VF0)?.hold).toBeNull();
    host.kernel.openVfio(VF0, QEMU);
    const hold = host.device(VF0)!.hold!;
    expect(hold).toMatchObject({ kernel: "vfio-open", holders: [{ pid: 812, command: "qemu-system-x86", guest: { name: "handmade" }, evidence: "open" }] });
    expect(describeHold(hold)).toBe(HELD);
    expect(host.device(VF1)?.hold).toBeNull();
  });

  it("refuses restore, a VF count change and rebinding, naming the holder, with no override", async () => {
    const host = await rigWithVfioVf();
    host.kernel.openVfio(VF0, QEMU);
    const inv = host.inventory();
    const restore = planRestore(inv, VF0, { confirm: true, force: true });
    expect(restore.kind === "refused" && restore.refusals.map((r) => [r.code, r.override])).toEqual([["held", null]]);
    expect(restore.kind === "refused" && restore.refusals[0]!.reason).toBe(
      `Passdeck will not take the driver from ${VF0}: it is ${HELD}. The kernel would wait for the holder to let go (and could leave the device with no driver): stop that VM or process first`,
    );
    const count = planVfCount(inv, PF, 0, { confirm: true, force: true });
    expect(count.kind === "refused" && count.refusals.map((r) => r.reason)).toEqual([
      `changing the count removes the existing VFs, and some are in use: ${VF0} is ${HELD}`,
    ]);
  });

  it("the helper's guard refuses a plan made before the QEMU started; the executor refuses it too, before writing", async () => {
    const host = await rigWithVfioVf();
    const restore = planOf(planRestore(host.inventory(), VF0));
    const count = planOf(planVfCount(host.inventory(), PF, 0, { confirm: true }));
    host.kernel.openVfio(VF0, QEMU);

    const guard = guardPlan(restore, host.inventory(), { kind: "none" }, { confirm: true, force: [VF0] });
    expect(guard.map((r) => [r.code, r.override])).toEqual([["held", null]]);
    expect(guard[0]!.reason).toContain(`step 1: no driver change for ${VF0}: it is ${HELD}`);
    expect(guardPlan(count, host.inventory(), { kind: "none" }, { confirm: true, force: [] }).map((r) => r.code)).toEqual(["vfs-in-use"]);

    // A guest that started between the review and the write: the executor looks again and writes nothing.
    const writesBefore = host.kernel.writes().length;
    const r1 = await host.executor.apply(restore);
    expect(r1.ok).toBe(false);
    expect(r1.steps[0]).toMatchObject({ status: "failed", error: { code: "device-held" } });
    expect(r1.steps[0]!.error!.cause).toBe(
      `Not unbinding ${VF0} from vfio-pci: ${VF0} is ${HELD}. The kernel would wait inside the write until the holder let go.`,
    );
    const r2 = await host.executor.apply(count);
    expect(r2.steps[0]).toMatchObject({ status: "failed", error: { code: "device-held" } });
    expect(host.kernel.writes().slice(writesBefore)).toEqual([]);
    expect(host.device(VF0)).toMatchObject({ driver: "vfio-pci" });
    expect(host.device(PF)?.sriov?.numVfs).toBe(2);

    // The QEMU exits: the same plans apply.
    host.kernel.endProcess(812);
    expect((await host.executor.apply(restore)).ok).toBe(true);
    expect(host.device(VF0)).toMatchObject({ driver: "igbvf", hold: null });
    expect((await host.executor.apply(count)).ok).toBe(true);
    expect(host.device(PF)?.sriov?.numVfs).toBe(0);
  });

  it("holds the whole IOMMU group through the group file, and the simulator refuses (where the kernel blocks) a write past the check", async () => {
    const host = await rigWithVfioVf();
    host.kernel.openVfio(VF0, QEMU);
    expect(() => host.kernel.write(`bus/pci/devices/${VF0}/driver/unbind`, VF0)).toThrow(/would block this write until pid 812/);
  });
});

describe("a VF whose interface a container took", () => {
  it("is held by another network namespace: no rebinding, no VF count change", async () => {
    const host = simulatedHost(work, "rig");
    expect((await host.executor.apply(planOf(planVfCount(host.inventory(), PF, 2, { confirm: true })))).ok).toBe(true);
    expect(host.device(VF1)?.netdevs.length).toBe(1);
    host.kernel.moveNetdevsOut(VF1);
    const inv = host.inventory();
    expect(inv.devices.find((d) => d.address === VF1)).toMatchObject({ driver: "igbvf", netdevs: [], hold: { kernel: "netns", holders: [] } });
    const bind = planBindVfio(inv, VF1, { confirm: true, force: true });
    expect(bind.kind === "refused" && bind.refusals.map((r) => r.code)).toEqual(["held"]);
    expect(bind.kind === "refused" && bind.refusals[0]!.reason).toContain(
      "held in another network namespace: its interface was moved into a container's (or an `ip netns`) namespace (`sudo passdeck holders` names a process in it)",
    );
    const count = planVfCount(inv, PF, 0);
    expect(count.kind === "refused" && count.refusals[0]!.reason).toContain(`${VF1} is held in another network namespace`);
  });
});

describe("the server demo's I210, held at boot by Proxmox VE's QEMU for VM 101", () => {
  const NIC = "0000:86:00.0";
  const PVE = "held by kvm pid 2817 (VM 101 router, Proxmox VE)";

  it("is held from the first scan; restore is refused naming the holder, and the kernel would block the unbind", () => {
    const host = simulatedHost(work, "server");
    const hold = host.device(NIC)!.hold!;
    expect(describeHold(hold)).toBe(PVE);
    const restore = planRestore(host.inventory(), NIC, { confirm: true, force: true, hostDriver: "igb" });
    expect(restore.kind === "refused" && restore.refusals.map((r) => [r.code, r.override])).toEqual([["held", null]]);
    expect(restore.kind === "refused" && restore.refusals[0]!.reason).toContain(`it is ${PVE}`);
    expect(() => host.kernel.write(`bus/pci/devices/${NIC}/driver/unbind`, NIC)).toThrow(/would block this write until pid 2817/);
    // with no host driver known (no journal), the holder is still named first
    const unknown = planRestore(host.inventory(), NIC);
    expect(unknown.kind === "refused" && unknown.refusals.map((r) => r.code)).toEqual(["held", "unknown-host-driver"]);

    // VM 101 shuts down: the device only sits on vfio-pci (enable 0), and the same restore is a plan.
    host.kernel.endProcess(2817);
    expect(host.device(NIC)).toMatchObject({ driver: "vfio-pci", hold: null });
    expect(planRestore(host.inventory(), NIC, { hostDriver: "igb" }).kind).toBe("plan");
  });
});
