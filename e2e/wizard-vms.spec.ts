/**
 * VMs through the browser, on the wizard's "server" demo host with the machine's real libvirtd (qemu:///system):
 * throw-away domains are defined here, devices are given and taken back through the wizard and the VMs page, and
 * each result is read back with `virsh dumpxml --inactive`, not only from the page. libvirt does not check a stopped
 * domain's host addresses, so the demo host's addresses go into the persistent config as they would on the real one.
 * The tests run in order and build on each other's state, as a user's session would.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { expect, test } from "@playwright/test";
import { domainXml } from "@/server/libvirt/testing";
import { expectedInventory, groupOf } from "./fixtures";
import { demoHostDir } from "./journal-dir";
import { apply, diff, virsh } from "./libvirt";
import { WIZARD } from "../playwright.config";

const PF = "0000:3b:00.0"; // X710 port 1 (i40e, ens1f0) with 4 VFs on iavf: 0000:3b:02.0–02.3
const VF1 = "0000:3b:02.1";
const NVME = "0000:5e:00.0"; // Samsung PM1735, alone in its group, nothing mounted
const MAC = "02:aa:bb:cc:00:01";

const inactiveXml = (uuid: string) => virsh("dumpxml", uuid, "--inactive");
/** The `<interface type='hostdev'>` / `<hostdev>` elements of a domain's persistent config, as libvirt wrote them. */
const elements = (xml: string, tag: "interface" | "hostdev") => xml.match(new RegExp(`<${tag}\\b[^>]*>[\\s\\S]*?</${tag}>`, "g")) ?? [];
const driverOf = (address: string) => basename(readlinkSync(join(demoHostDir("wizard"), "sys/bus/pci/devices", address, "driver")));

const work = mkdtempSync(join(tmpdir(), "passdeck-e2e-vms-"));
const defined: string[] = [];
function define(suffix: string): { uuid: string; name: string } {
  const vm = { uuid: randomUUID(), name: `passdeck-e2e-${process.pid}-${suffix}` };
  const file = join(work, `${suffix}.xml`);
  writeFileSync(file, domainXml(vm.name, vm.uuid));
  virsh("define", file);
  defined.push(vm.uuid);
  return vm;
}

let a: { uuid: string; name: string };
let b: { uuid: string; name: string };

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  // A real libvirtd must answer (scripts/libvirtd-up.sh starts one): without it these tests fail, never pass vacuously.
  expect(virsh("uri").trim()).toBe(WIZARD.libvirtUri);
  a = define("a");
  b = define("b");
});

test.afterAll(() => {
  for (const uuid of defined) {
    try {
      virsh("undefine", uuid);
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

const VF1_XML = [
  '<interface type="hostdev" managed="yes">',
  `  <mac address="${MAC}"/>`,
  "  <source>",
  '    <address type="pci" domain="0x0000" bus="0x3b" slot="0x02" function="0x1"/>',
  "  </source>",
  "  <vlan>",
  '    <tag id="42"/>',
  "  </vlan>",
  "</interface>",
];

test("the SR-IOV wizard gives VF 1 to a VM with its MAC and VLAN in the interface XML, which is what libvirt then holds", async ({ page }) => {
  expect(driverOf(VF1)).toBe("iavf");
  await page.goto("/wizard");
  await page.getByRole("button", { name: `Choose ${PF}` }).click();
  await expect(page.getByLabel("Number of VFs (0 removes them)")).toHaveValue("4");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("VF 1 mac").fill(MAC);
  await page.getByLabel("VF 1 vlan").fill("42");
  await page.getByRole("button", { name: "Next" }).click();
  // Only a VF going to vfio-pci can go to a VM.
  await expect(page.getByLabel("VF 1 VM")).toHaveCount(0);
  await page.getByLabel("VF 1 to vfio-pci").check();
  await expect(page.getByLabel("VF 1 VM").locator("option", { hasText: a.name })).toHaveText(`${a.name} (shut off)`);
  await page.getByLabel("VF 1 VM").selectOption(a.uuid);
  await page.getByRole("button", { name: "Review the plan" }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]vm=1:${a.uuid}(&|$)`));

  await expect(page.getByTestId("plan-title")).toHaveText(`4 VFs on ${PF} (ens1f0), settings on 1, 1 to vfio-pci, 1 to a VM`);
  await expect(page.getByTestId("review-vf-1")).toContainText(a.name);
  await expect(page.getByTestId("vm-vf-notes")).toHaveText(
    `VF 1 goes to ${a.name} as a network interface: libvirt sets its MAC ${MAC} and VLAN 42 through the PF when the VM starts, and restores them when it stops.`,
  );
  // The MAC and VLAN go into the VM's XML, not through `ip link`: nothing is set on the PF now.
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([
    `echo ${VF1} > bus/pci/devices/${VF1}/driver/unbind   # from iavf`,
    `echo vfio-pci > bus/pci/devices/${VF1}/driver_override`,
    `echo ${VF1} > bus/pci/drivers_probe   # expect vfio-pci`,
    `virsh attach-device ${a.name} --file device.xml --config   # <interface type='hostdev'> ${VF1} mac ${MAC} vlan 42`,
  ]);
  const change = page.getByTestId("xml-change");
  await expect(change).toHaveCount(1);
  await expect(change).toHaveAttribute("data-op", "add");
  await expect(change.locator("figcaption")).toHaveText(`${a.name} — persistent config`);
  await expect(change.locator("pre")).toHaveText(diff("+", VF1_XML));
  expect(elements(inactiveXml(a.uuid), "interface")).toEqual([]); // the review wrote nothing

  await apply(page);
  expect(driverOf(VF1)).toBe("vfio-pci");
  const [iface, ...more] = elements(inactiveXml(a.uuid), "interface");
  expect(more).toEqual([]);
  expect(iface).toMatch(/^<interface type='hostdev' managed='yes'>/);
  expect(iface).toContain(`<mac address='${MAC}'/>`);
  expect(iface).toMatch(/<source>\s*<address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x1'\/>\s*<\/source>/);
  expect(iface).toMatch(/<vlan>\s*<tag id='42'\/>\s*<\/vlan>/);
});

test("the VMs page lists the VM with the VF: how, where, group, driver, MAC/VLAN, the PF's settings, and the caveat", async ({ page }) => {
  const inv = expectedInventory(WIZARD.scenario);
  await page.goto("/vms");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "VMs" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("libvirt-uri")).toHaveText(WIZARD.libvirtUri);
  const card = page.getByTestId(`vm-${a.uuid}`);
  await expect(card.getByRole("heading")).toHaveText(a.name);
  await expect(card.getByTestId("vm-state")).toHaveText("shut off");
  await expect(card.getByTestId("vm-autostart")).toHaveText("no autostart");
  await expect(card.getByTestId("vm-size")).toHaveText("1 vCPU · 64 MiB");
  await expect(card.getByTestId("passthrough-caveat")).toContainText("Snapshots and live migration do not work with passthrough devices");

  const row = card.getByTestId(`vm-device-${VF1}`);
  await expect(row.getByRole("link", { name: VF1 })).toHaveAttribute("href", `/iommu?device=${VF1}`);
  await expect(row.getByTestId("device-how")).toHaveText("network VF interface, managed (libvirt moves it to vfio-pci and back)");
  await expect(row.getByTestId("device-held-in")).toHaveText("persistent config: at the next start");
  await expect(row.getByTestId("device-group")).toHaveText(String(groupOf(inv, VF1).id));
  await expect(row.getByTestId("device-driver")).toHaveText("vfio-pci");
  await expect(row.getByTestId("device-vf")).toContainText(`VF 1 of ${PF}`);
  await expect(row.getByTestId("vf-xml")).toHaveText(`MAC ${MAC} · VLAN 42`);
  // What the simulated X710 reports for VF 1 through its PF: the driver's defaults (the MAC and VLAN are libvirt's, at start).
  await expect(row.getByTestId("vf-pf-settings")).toHaveText("the PF reports: spoof check on, trust off, link auto");

  const other = page.getByTestId(`vm-${b.uuid}`);
  await expect(other.getByTestId("vm-no-devices")).toHaveText("No host PCI devices.");
  await expect(other.getByTestId("passthrough-caveat")).toHaveCount(0);
  // libvirt describes the machine it runs on, which has none of the demo host's devices: listed, not hidden.
  await expect(page.getByTestId("node-devices-disagree")).toContainText("This is a demo host");
  await expect(page.getByTestId(`node-disagreement-${PF}`)).toContainText("no node device");
});

test("Take back from VM… reviews the XML to remove and takes the VF out of the VM's config", async ({ page }) => {
  await page.goto("/vms");
  await page.getByTestId(`vm-${a.uuid}`).getByTestId(`vm-device-${VF1}`).getByRole("link", { name: "Take back from VM…" }).click();
  await expect(page).toHaveURL(new RegExp(`mode=vm-detach&step=review&device=${VF1}&domain=${a.uuid}$`));
  await expect(page.getByTestId("plan-title")).toHaveText(`Take ${VF1} from ${a.name}`);
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([
    `virsh detach-device ${a.name} --file device.xml --config   # <interface type='hostdev'> ${VF1} mac ${MAC} vlan 42`,
  ]);
  const change = page.getByTestId("xml-change");
  await expect(change).toHaveAttribute("data-op", "remove");
  await expect(change.locator("figcaption")).toHaveText(`${a.name} — persistent config`);
  await expect(change.locator("pre")).toHaveText(diff("-", VF1_XML));
  expect(elements(inactiveXml(a.uuid), "interface")).toHaveLength(1);

  await apply(page);
  expect(elements(inactiveXml(a.uuid), "interface")).toEqual([]);
  expect(driverOf(VF1)).toBe("vfio-pci"); // libvirt's side only: the VF stays ready for a VM
  await page.goto("/vms");
  await expect(page.getByTestId(`vm-${a.uuid}`).getByTestId("vm-no-devices")).toBeVisible();
});

test("Give to a VM… from the IOMMU map gives the NVMe with ROM BAR off, as the XML diff shows", async ({ page }) => {
  await page.goto(`/iommu?device=${NVME}`);
  await page.getByTestId("device-detail").getByRole("link", { name: "Give to a VM…" }).click();
  await expect(page).toHaveURL(new RegExp(`mode=vm&device=${NVME}$`));
  const review = page.getByRole("button", { name: "Review the plan" });
  await expect(review).toBeDisabled(); // no VM chosen yet
  await page.getByLabel("VM", { exact: true }).selectOption(a.uuid);
  await page.getByLabel("ROM BAR").selectOption("off");
  // A relative ROM file is named on the field in the server's words, and holds the review back.
  await page.getByLabel(/^ROM file/).fill("gpu.rom");
  await expect(page.locator("#vm-romfile-error")).toHaveText("must be an absolute path such as /usr/share/vgabios/gpu.rom");
  await expect(review).toBeDisabled();
  await page.getByLabel(/^ROM file/).fill("");
  await review.click();
  await expect(page).toHaveURL(new RegExp(`mode=vm&step=review&device=${NVME}&domain=${a.uuid}&rombar=off$`));

  await expect(page.getByTestId("plan-title")).toHaveText(`Give ${NVME} to ${a.name}`);
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([
    `virsh attach-device ${a.name} --file device.xml --config   # <hostdev> ${NVME} (managed, rom bar off)`,
  ]);
  const change = page.getByTestId("xml-change");
  await expect(change.locator("figcaption")).toHaveText(`${a.name} — persistent config`);
  await expect(change.locator("pre")).toHaveText(
    diff("+", [
      '<hostdev mode="subsystem" type="pci" managed="yes">',
      "  <source>",
      '    <address domain="0x0000" bus="0x5e" slot="0x00" function="0x0"/>',
      "  </source>",
      '  <rom bar="off"/>',
      "</hostdev>",
    ]),
  );
  await apply(page);
  const [hostdev, ...more] = elements(inactiveXml(a.uuid), "hostdev");
  expect(more).toEqual([]);
  expect(hostdev).toMatch(/^<hostdev mode='subsystem' type='pci' managed='yes'>/);
  expect(hostdev).toMatch(/<source>\s*<address domain='0x0000' bus='0x5e' slot='0x00' function='0x0'\/>\s*<\/source>/);
  expect(hostdev).toContain("<rom bar='off'/>");
});

test("a second VM cannot take the NVMe the first one has: the review refuses, naming the first VM", async ({ page }) => {
  await page.goto(`/iommu?device=${NVME}`);
  const detail = page.getByTestId("device-detail");
  await expect(detail.getByTestId("detail-vms")).toHaveText(`${a.name} persistent config: at the next start`);
  await detail.getByRole("link", { name: "Give to a VM…" }).click();
  await expect(page.getByTestId("vm-holders")).toHaveText(`Already given to ${a.name} (persistent config: at the next start): a device can belong to one VM.`);
  await page.getByLabel("VM", { exact: true }).selectOption(b.uuid);
  await page.getByRole("button", { name: "Review the plan" }).click();
  await expect(page.getByTestId("plan-title")).toHaveText("This change is refused");
  await expect(page.getByTestId("refusals").locator('[data-code="device-in-other-vm"]')).toHaveText(
    `${NVME} is already given to the VM ${a.name} (in its config): a device can belong to one VM. Detach it there first, or pick another VF.`,
  );
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await expect(page.getByTestId("xml-changes")).toHaveCount(0);
  expect(elements(inactiveXml(b.uuid), "hostdev")).toEqual([]);
  expect(elements(inactiveXml(a.uuid), "hostdev")).toHaveLength(1);
});

test("All functions: the X710's second port takes its first along, as one multifunction device behind a new root port", async ({ page }) => {
  const port1 = "0000:3b:00.1";
  // The new guest bus is the next controller index past those libvirt gave the VM at define.
  const bus = Math.max(...[...inactiveXml(b.uuid).matchAll(/<controller type='pci' index='(\d+)'/g)].map((m) => Number(m[1]))) + 1;
  const busHex = `0x${bus.toString(16).padStart(2, "0")}`;
  await page.goto(`/wizard?mode=vm&device=${port1}`);
  await page.getByLabel("VM", { exact: true }).selectOption(b.uuid);
  await expect(page.getByTestId("all-functions")).toContainText(`also ${PF}`);
  await page.getByText(/^All functions: also/).click();
  await page.getByLabel("Placement in the guest").selectOption("pcie");
  await page.getByRole("button", { name: "Review the plan" }).click();
  await expect(page).toHaveURL(/&all=1/);
  await expect(page.getByTestId("plan-title")).toHaveText(`Give 0000:3b:00 (all 2 functions) to ${b.name}, behind a new PCIe root port (guest bus ${bus})`);
  await expect(page.getByTestId("xml-change").first().locator("pre")).toContainText(
    `+   <address type="pci" domain="0x0000" bus="${busHex}" slot="0x00" function="0x0" multifunction="on"/>`,
  );
  // Port 0 carries the host's VFs and is up: warnings to accept, nothing host-critical.
  const tick = page.getByText("I have read the warnings and want this anyway");
  if (await tick.isVisible()) await tick.click();
  await apply(page);
  const hostdevs = elements(inactiveXml(b.uuid), "hostdev");
  expect(
    hostdevs.map((h) => [
      /<source>\s*<address domain='0x0000' bus='0x3b' slot='0x00' function='(0x\d)'/.exec(h)?.[1],
      /<address type='pci' domain='0x0000' bus='(0x[0-9a-f]+)' slot='0x00' function='(0x\d)'( multifunction='on')?\/>/.exec(h)?.slice(1),
    ]),
  ).toEqual([
    ["0x0", [busHex, "0x0", " multifunction='on'"]],
    ["0x1", [busHex, "0x1", undefined]],
  ]);
  // libvirt added the root port the new bus number names.
  expect(inactiveXml(b.uuid)).toMatch(new RegExp(`<controller type='pci' index='${bus}' model='pcie-root-port'>`));
});

test("a VM's interfaces on libvirt networks (a VF pool's 'any free VF') are listed with MAC and VLAN", async ({ page }) => {
  const vm = { uuid: randomUUID(), name: `passdeck-e2e-${process.pid}-net` };
  const file = join(work, "net.xml");
  writeFileSync(
    file,
    domainXml(vm.name, vm.uuid, [
      "<interface type='network'><mac address='52:54:00:12:34:56'/><source network='default'/><vlan><tag id='9'/></vlan></interface>",
    ]),
  );
  virsh("define", file);
  defined.push(vm.uuid);
  await page.goto("/vms");
  await expect(page.getByTestId(`vm-${vm.uuid}`).getByTestId("vm-network-interfaces")).toHaveText(
    "Interface on the network default (MAC 52:54:00:12:34:56, VLAN 9): on a VF pool, libvirt hands it a free VF when the VM starts.",
  );
});
