/**
 * The demo host against the real kernel: the same sysfs writes on the rig's igb PF and on the "rig" demo scenario's
 * simulated kernel, and after each write the same shell loop reads both trees: the errno, sriov_numvfs, autoprobe,
 * every VF's address, driver, driver_override, physfn and group size must agree. A real kernel binds drivers
 * asynchronously (modprobe on the uevent), so the rig is polled until it settles, then compared.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errnoOf } from "@/server/host/errors";
import { getScenario } from "@/server/simulator/catalog";
import { SimulatedKernel } from "@/server/simulator/simulated-kernel";
import { vfAddressOf } from "@/lib/pci-address";
import { guestRun, guestWrite } from "./rig.mjs";
import { resolveAddress } from "./topology.mjs";
import { guestInventory, waitFor } from "./guest";

const OBSERVE = `
root=$1; pf=$2; d=$root/bus/pci/devices/$pf
name() { [ -e "$1" ] && basename "$(readlink "$1")"; }
echo "pf numvfs=$(cat $d/sriov_numvfs) autoprobe=$(cat $d/sriov_drivers_autoprobe) driver=$(name $d/driver) override=$(cat $d/driver_override)"
i=0
while [ -e "$d/virtfn$i" ]; do
  v=$(name "$d/virtfn$i"); vd=$root/bus/pci/devices/$v; g=$(name "$vd/iommu_group")
  echo "vf$i $v driver=$(name $vd/driver) override=$(cat $vd/driver_override) physfn=$(name $vd/physfn) device=$(cat $vd/device) group_members=$(ls $root/kernel/iommu_groups/$g/devices | wc -l)"
  i=$((i+1))
done
`;

const STATIC = `
d=$1/bus/pci/devices/$2
for f in vendor device class sriov_totalvfs sriov_offset sriov_stride sriov_vf_device sriov_drivers_autoprobe driver_override; do echo "$f=$(cat $d/$f)"; done
echo "driver=$(basename "$(readlink $d/driver)")"
`;

const work = mkdtempSync(join(tmpdir(), "passdeck-diff-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let kernel: SimulatedKernel;
let pf: string;

const demoSh = (script: string, ...args: string[]) => execFileSync("sh", ["-c", script, "sh", kernel.sysRoot, ...args], { encoding: "utf8" });
const rigSh = (script: string, ...args: string[]) => guestRun(["sh", "-c", script, "sh", "/sys", ...args]);

async function writeBoth(path: string, value: string): Promise<{ rig: string | null; demo: string | null }> {
  const r = await guestWrite(`/sys/${path}`, value);
  let demo: string | null = null;
  try {
    kernel.write(path, value);
  } catch (err) {
    demo = errnoOf(err) ?? String(err);
  }
  return { rig: r.ok ? null : (r.error?.code ?? "error"), demo };
}

beforeAll(async () => {
  pf = resolveAddress((await guestInventory()).devices, "igb");
  expect((await guestWrite(`/sys/bus/pci/devices/${pf}/sriov_numvfs`, "0")).ok).toBe(true);
  expect((await guestWrite(`/sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe`, "1")).ok).toBe(true);
  kernel = SimulatedKernel.create(getScenario("rig"), join(work, "rig"));
});

describe("the rig demo scenario behaves as the guest kernel", () => {
  it("has the igb PF at the same address with the same static facts", async () => {
    expect(demoSh(STATIC, pf)).toBe(await rigSh(STATIC, pf));
  });

  it("answers the same write sequence with the same errno and the same sysfs after each write", async () => {
    const vf1 = vfAddressOf(pf, 128, 2, 1)!;
    const steps: [what: string, path: string, value: string][] = [
      ["create 3 VFs", `bus/pci/devices/${pf}/sriov_numvfs`, "3"],
      ["3 → 2 without 0 first (EBUSY)", `bus/pci/devices/${pf}/sriov_numvfs`, "2"],
      ["more than sriov_totalvfs (ERANGE)", `bus/pci/devices/${pf}/sriov_numvfs`, "8"],
      ["not a number (EINVAL)", `bus/pci/devices/${pf}/sriov_numvfs`, "three"],
      ["release VF 1 from igbvf", `bus/pci/devices/${vf1}/driver/unbind`, vf1],
      ["driver_override vfio-pci", `bus/pci/devices/${vf1}/driver_override`, "vfio-pci"],
      ["drivers_probe binds vfio-pci", "bus/pci/drivers_probe", vf1],
      ["clear the override while bound", `bus/pci/devices/${vf1}/driver_override`, "\n"],
      ["release VF 1 from vfio-pci", `bus/pci/devices/${vf1}/driver/unbind`, vf1],
      ["drivers_probe gives it back to igbvf", "bus/pci/drivers_probe", vf1],
      ["remove the VFs", `bus/pci/devices/${pf}/sriov_numvfs`, "0"],
      ["autoprobe off", `bus/pci/devices/${pf}/sriov_drivers_autoprobe`, "0"],
      ["2 driverless VFs", `bus/pci/devices/${pf}/sriov_numvfs`, "2"],
      ["remove them", `bus/pci/devices/${pf}/sriov_numvfs`, "0"],
      ["autoprobe back on", `bus/pci/devices/${pf}/sriov_drivers_autoprobe`, "1"],
    ];
    const errnos: string[] = [];
    const seen: string[] = [];
    for (const [what, path, value] of steps) {
      const answer = await writeBoth(path, value);
      expect(answer.demo, `${what}: errno`).toBe(answer.rig);
      errnos.push(answer.rig ?? "ok");
      const demo = demoSh(OBSERVE, pf);
      const rig = await waitFor(
        `the rig to settle after "${what}"`,
        () => rigSh(OBSERVE, pf),
        (out) => out === demo,
        20_000,
        250,
      ).catch(() => rigSh(OBSERVE, pf));
      expect(demo, `after "${what}"`).toBe(rig);
      seen.push(demo);
    }
    // The sequence did reach the kernel's refusals, not only its happy path.
    expect(errnos.slice(0, 4)).toEqual(["ok", "EBUSY", "ERANGE", "EINVAL"]);
    // …and the states compared were the interesting ones.
    expect(seen[0]!.match(/^vf\d .*driver=igbvf .*physfn=.* group_members=1$/gm)).toHaveLength(3);
    expect(seen[6]).toContain(`vf1 ${vf1} driver=vfio-pci override=vfio-pci`);
    expect(seen[7]).toContain(`vf1 ${vf1} driver=vfio-pci override=(null)`);
    expect(seen[12]!.match(/^vf\d \S+ driver= /gm)).toHaveLength(2);
  });
});
