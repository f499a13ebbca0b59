/**
 * A VF given to a VM through the browser, on a real kernel and a real libvirtd (inside the rig's guest): the wizard
 * creates the VF with a MAC and VLAN and attaches it to a small VM (no disk, no OS); the VM starts (nested TCG),
 * the guest kernel shows the VF on vfio-pci and the PF shows the MAC/VLAN libvirt set; a VF count change is refused
 * while it runs; after the VM stops libvirt restores the VF's MAC and VLAN. Checked with sysfs, ip(8) and virsh.
 */
import { expect, test, type Page } from "@playwright/test";
import { guestExec, guestWrite } from "./rig.mjs";
import { resolveAddress } from "./topology.mjs";
import { guestInventory, lanUp, sysfsTruth } from "./guest";
import { defineGuestDomain, undefineGuestDomain, virsh } from "./guest-libvirt";

test.describe.configure({ mode: "serial" });

const VM = "rig-vm";
const MAC = "02:11:22:33:44:77";
const VLAN = 42;
/** Applying under TCG, and starting a nested TCG VM (~15–40 s). */
const SLOW_MS = 180_000;
let igb: string;
let netdev: string;
let uuid: string;

test.beforeAll(async () => {
  const inv = await guestInventory();
  igb = resolveAddress(inv.devices, "igb");
  netdev = inv.devices.find((d) => d.address === igb)!.netdevs[0]!;
  expect((await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0")).ok).toBe(true);
  await lanUp(igb);
  // libvirt sets a VF's MAC/VLAN through its PF and refuses to start the VM while the PF is down.
  expect((await guestExec(["ip", "link", "set", netdev, "up"])).code).toBe(0);
  uuid = await defineGuestDomain(VM);
});

test.afterAll(async () => {
  await undefineGuestDomain(VM);
  await guestExec(["sh", "-c", `virsh -q -c qemu:///system net-destroy ${netdev}-vfs; virsh -q -c qemu:///system net-undefine ${netdev}-vfs`]);
  await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
});

/** The igb PF's link is up on the rig's LAN: its SLAAC address is a host notice, acknowledged with the tick. */
async function acknowledgeSlaac(page: Page) {
  await expect(page.getByTestId("warnings")).toContainText("autoconfigured (SLAAC) address fec0::");
  await page.getByText("I have read the warnings and want this anyway").click();
}

async function vf0(): Promise<Record<string, unknown>> {
  const shown = JSON.parse((await guestExec(["ip", "-j", "link", "show", "dev", netdev])).stdout) as { vfinfo_list?: Record<string, unknown>[] }[];
  return shown[0]!.vfinfo_list![0]!;
}

test("the wizard gives a new VF with MAC and VLAN to a VM; started, the VM has it on vfio-pci with libvirt's MAC/VLAN on the PF", async ({ page }) => {
  test.setTimeout(6 * 60_000);
  await page.goto("/wizard");
  await page.getByRole("button", { name: `Choose ${igb}` }).click();
  await page.getByLabel("Number of VFs (0 removes them)").fill("1");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("VF 0 mac").fill(MAC);
  await page.getByLabel("VF 0 vlan").fill(String(VLAN));
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("VF 0 to vfio-pci").check();
  await page.getByLabel("VF 0 VM").selectOption({ label: `${VM} (shut off)` });
  await page.getByRole("button", { name: "Review the plan" }).click();
  await acknowledgeSlaac(page);

  const xml = page.getByTestId("xml-change");
  await expect(xml).toHaveCount(1);
  await expect(xml).toContainText(`<mac address="${MAC}"/>`);
  await expect(xml).toContainText(`<tag id="${VLAN}"/>`);
  await expect(page.getByTestId("plan-steps").locator("code").last()).toContainText(
    `virsh attach-device ${VM} --file device.xml --config   # <interface type='hostdev'>`,
  );
  await expect(page.getByTestId("plan-steps").locator("code").last()).toContainText(`mac ${MAC} vlan ${VLAN}`);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied", { timeout: SLOW_MS });

  const vf = (await sysfsTruth()).find((t) => t.address === igb)!.vfs[0]!;
  expect(await virsh("dumpxml", uuid, "--inactive")).toMatch(
    new RegExp(
      `<interface type='hostdev' managed='yes'>\\s*<mac address='${MAC}'/>\\s*<source>\\s*${addressPattern(vf)}\\s*</source>\\s*<vlan>\\s*<tag id='${VLAN}'/>`,
    ),
  );
  // The MAC/VLAN are the VM's, set by libvirt at start: the plan did not set them through ip link.
  expect(await vf0()).toMatchObject({ vf: 0, address: "00:00:00:00:00:00" });

  await virsh("start", VM);
  expect((await virsh("domstate", VM)).trim()).toBe("running");
  const truth = (await sysfsTruth()).find((t) => t.address === vf)!;
  expect(truth.driver).toBe("vfio-pci");
  expect((await guestExec(["test", "-c", `/dev/vfio/${truth.group}`])).code).toBe(0);
  expect(await vf0()).toMatchObject({ vf: 0, address: MAC, vlan_list: [{ vlan: VLAN }] });

  // The VMs page: the running VM holds the VF in both definitions, with the caveat.
  await page.goto("/vms");
  const card = page.getByTestId(`vm-${uuid}`);
  await expect(card.getByTestId("vm-state")).toHaveText("running");
  await expect(card).toContainText(vf);
  await expect(card).toContainText(MAC);
  await expect(card.getByTestId("passthrough-caveat")).toContainText("snapshot");
  // libvirt's record and the kernel's agree: libvirt's QEMU for this VM holds the VF, and no disagreement is shown
  const kernelSays = card.getByTestId(`vm-device-${vf}`).getByTestId("device-kernel-hold");
  await expect(kernelSays).toContainText(new RegExp(`^held by qemu-system-x86 pid \\d+ \\(VM ${VM}\\b`));
  await expect(kernelSays.getByTestId("hold-disagreement")).toHaveCount(0);
  await expect(page.getByTestId("held-outside-libvirt")).toHaveCount(0);
});

test("a VF count change is refused while the VM runs, because the VM holds the VF", async ({ page }) => {
  await page.goto(`/wizard?step=review&pf=${igb}&count=2`);
  await expect(page.getByTestId("refusals")).toContainText(`is in use by the running VM ${VM}`);
  // the kernel's view agrees: libvirt's QEMU has the VF open (vfio-pci enabled it), its command line names the VM
  await expect(page.getByTestId("refusals")).toContainText(new RegExp(`is held by qemu-system-x86 pid \\d+ \\(VM ${VM}`));
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  expect((await guestExec(["cat", `/sys/bus/pci/devices/${igb}/sriov_numvfs`])).stdout.trim()).toBe("1");
});

test("when the VM stops, libvirt restores the VF's MAC and VLAN; the VF stays on vfio-pci, where Passdeck put it", async () => {
  await virsh("destroy", VM);
  const after = await vf0();
  expect(after).toMatchObject({ vf: 0, address: "00:00:00:00:00:00" });
  expect((after.vlan_list as Record<string, unknown>[] | undefined)?.[0]?.vlan ?? 0).toBe(0);
  const vf = (await sysfsTruth()).find((t) => t.address === igb)!.vfs[0]!;
  expect((await sysfsTruth()).find((t) => t.address === vf)!.driver).toBe("vfio-pci");
});

function addressPattern(address: string): string {
  const [dom, bus, rest] = address.split(":");
  const [slot, fn] = rest!.split(".");
  return `<address type='pci' domain='0x${dom}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/>`;
}

test("the wizard leaves a VF to a VF pool: the pool is created after the VFs, started, and lists them", async ({ page }) => {
  test.setTimeout(4 * 60_000);
  const pool = `${netdev}-vfs`;
  await page.goto(`/wizard?step=vfio&pf=${igb}&count=1`);
  await page.getByLabel("VF 0 to vfio-pci").check();
  await page.getByLabel("VF 0 VM").selectOption({ label: `a new VF pool ${pool}` });
  await page.getByRole("button", { name: "Review the plan" }).click();
  await expect(page.getByTestId("pool-vf-notes")).toContainText(`left to the VF pool ${pool}`);
  const codes = page.getByTestId("plan-steps").locator("code");
  await expect(codes.nth(-2)).toHaveText(
    `virsh net-define pool.xml && virsh net-autostart ${pool}   # <forward mode='hostdev' managed='yes'><pf dev='${netdev}'/>`,
  );
  await expect(codes.last()).toHaveText(`virsh net-start ${pool}`);
  const tick = page.getByText("I have read the warnings and want this anyway");
  if (await tick.isVisible()) await tick.click(); // the VF count stays: the PF's SLAAC notice is not raised
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied", { timeout: SLOW_MS });
  const vf = (await sysfsTruth()).find((t) => t.address === igb)!.vfs[0]!;
  const live = await virsh("net-dumpxml", pool);
  expect(live).toContain(`<pf dev='${netdev}'/>`);
  expect(live).toContain(addressPattern(vf));
  expect(await virsh("net-info", pool)).toMatch(/Active:\s+yes[\s\S]*Autostart:\s+yes/);
});
