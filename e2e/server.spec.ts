import { expect, test } from "@playwright/test";
import { expectedDevice, expectedInventory, groupOf } from "./fixtures";

// Dual-socket server: SR-IOV NIC PFs (PF0 with 4 VFs), an SR-IOV NVMe, a management NIC in a bridge with the default
// route, and a BMC VGA behind a PCIe-to-PCI bridge.
const SCENARIO = "server";
const PF0 = "0000:3b:00.0";
const PF1 = "0000:3b:00.1";
const NVME = "0000:5e:00.0";
const MGMT = "0000:18:00.0";
const PCI_BRIDGE = "0000:02:00.0";
const BMC_VGA = "0000:03:00.0";
const ROUTER_NIC = "0000:86:00.0"; // I210 on vfio-pci, open by Proxmox VE's QEMU for VM 101 "router"

test.describe("server scenario", () => {
  test("the demo banner is unmistakable on every page", async ({ page }) => {
    for (const path of ["/", "/iommu", "/readiness"]) {
      await page.goto(path);
      await expect(page.getByTestId("demo-banner")).toBeVisible();
      await expect(page.getByTestId("demo-banner")).toContainText("Demo host: server — not your machine");
    }
  });

  test("PF0 shows SR-IOV numvfs/totalvfs and its VFs", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const pf = inv.devices.find((d) => d.address === PF0)!;
    expect(pf.sriov).toMatchObject({ numVfs: 4, totalVfs: 64 });
    await page.goto("/iommu");
    const row = page.getByTestId(`device-row-${PF0}`);
    await expect(row.getByTestId("sriov-badge")).toHaveText("SR-IOV 4/64");
    const pf1 = inv.devices.find((d) => d.address === PF1)!;
    await expect(page.getByTestId(`device-row-${PF1}`).getByTestId("sriov-badge")).toHaveText(`SR-IOV ${pf1.sriov!.numVfs}/${pf1.sriov!.totalVfs}`);
    const nvme = inv.devices.find((d) => d.address === NVME)!;
    await expect(page.getByTestId(`device-row-${NVME}`).getByTestId("sriov-badge")).toHaveText(`SR-IOV ${nvme.sriov!.numVfs}/${nvme.sriov!.totalVfs}`);

    // Each VF is listed, with its index, whether its groups fold into one row or share the PF's group.
    expect(pf.sriov!.vfs).toHaveLength(4);
    for (const vf of pf.sriov!.vfs) {
      const expected = inv.devices.find((d) => d.address === vf)!;
      const vfRow = page.getByTestId(`device-row-${vf}`);
      await expect(vfRow).toBeVisible();
      await expect(vfRow).toContainText(String(expected.vfIndex));
    }
    const vfGroups = new Set(pf.sriov!.vfs.map((vf) => groupOf(inv, vf).id));
    if (vfGroups.size === 4 && ![...vfGroups].includes(groupOf(inv, PF0).id)) {
      const rollup = page.getByTestId(`vf-rollup-${PF0}`);
      await expect(rollup.getByTestId("vf-rollup-label")).toHaveText(`4 VFs of ${PF0}, each in its own group (isolated)`);
      await expect(rollup.getByRole("button", { expanded: true })).toBeVisible();
    }

    // The PF's detail lists the VFs and the SR-IOV registers.
    await page
      .getByTestId(`device-row-${PF0}`)
      .getByRole("button", { name: `Details of ${PF0}` })
      .click();
    const panel = page.getByTestId("device-detail");
    await expect(panel.getByRole("heading", { level: 2 })).toHaveText(PF0);
    const full = expectedDevice(SCENARIO, PF0);
    await expect(panel).toContainText(`${full.sriov!.numVfs} of ${full.sriov!.totalVfs}`);
    if (full.sriov!.vfDeviceId) await expect(panel).toContainText(full.sriov!.vfDeviceId);
    for (const vf of full.sriov!.vfs) await expect(panel.getByTestId("detail-vf-list")).toContainText(vf);
    // A VF's detail points back at its PF.
    await panel.getByTestId("detail-vf-list").getByRole("button", { name: full.sriov!.vfs[0]! }).click();
    await expect(panel.getByRole("heading", { level: 2 })).toHaveText(full.sriov!.vfs[0]!);
    await expect(panel.getByRole("region", { name: "SR-IOV virtual function" })).toContainText(PF0);
  });

  test("the PCIe-to-PCI bridge group explains the conventional PCI reason", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const group = groupOf(inv, BMC_VGA);
    expect(group.devices).toContain(PCI_BRIDGE);
    const conventional = group.reasons.find((r) => /conventional PCI/i.test(r));
    expect(conventional, "the scenario's reasons name conventional PCI").toBeTruthy();
    await page.goto("/iommu");
    const card = page.getByTestId(`group-card-${group.id}`);
    await expect(card.getByTestId("group-reasons")).toContainText(conventional!);
    await expect(card.getByTestId(`group-verdict-${group.id}`)).toHaveText(group.verdict === "pf-with-vfs" ? "PF with VFs" : group.verdict);
    await expect(card.getByTestId(`device-row-${PCI_BRIDGE}`).getByTestId("bridge-badge")).toHaveText("PCIe-to-PCI bridge");
  });

  test("the management NIC in vmbr0 is host-critical", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const mgmt = inv.devices.find((d) => d.address === MGMT)!;
    expect(mgmt.hostCritical.length).toBeGreaterThan(0);
    await page.goto(`/iommu?device=${MGMT}`);
    const row = page.getByTestId(`device-row-${MGMT}`);
    await expect(row.getByTestId("host-critical-badge")).toBeVisible();
    for (const r of mgmt.hostCritical) await expect(row).toContainText(r);
    await expect(page.getByTestId(`group-verdict-${groupOf(inv, MGMT).id}`)).toHaveText("host-critical");
    const panel = page.getByTestId("device-detail");
    await expect(panel.getByRole("region", { name: "Network interfaces" })).toContainText("eno1");
    await expect(panel.getByRole("region", { name: "Network interfaces" })).toContainText("vmbr0");
  });

  test("the I210 VM 101's QEMU holds: the map row, the device detail and the VMs page name the holder", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const nic = inv.devices.find((d) => d.address === ROUTER_NIC)!;
    expect(nic.driver).toBe("vfio-pci");
    expect(nic.hold?.kernel).toBe("vfio-open");
    const [holder] = nic.hold!.holders;
    expect(holder).toMatchObject({ command: "kvm", manager: "proxmox", guest: { vmid: 101, name: "router" }, evidence: "open" });
    const held = `held by kvm pid ${holder!.pid} (VM 101 router, Proxmox VE)`;

    await page.goto("/iommu");
    const row = page.getByTestId(`device-row-${ROUTER_NIC}`);
    await expect(row.getByTestId("held-badge")).toHaveText("in use");
    await expect(row.getByTestId("hold-line")).toHaveText(`In use now: ${held}`);
    // only the held device carries it
    await expect(page.getByTestId("hold-line")).toHaveCount(1);

    await row.getByRole("button", { name: `Details of ${ROUTER_NIC}` }).click();
    const panel = page.getByTestId("device-detail");
    await expect(panel.getByRole("heading", { level: 2 })).toHaveText(ROUTER_NIC);
    await expect(panel.getByTestId("detail-hold-text")).toHaveText(`It is ${held}.`);
    await expect(panel.getByRole("region", { name: "In use now" })).toContainText("Passdeck changes neither its driver nor its PF's VF count while it is held");

    // This demo has no libvirt: the VMs page says so, and still lists what the kernel shows held.
    await page.goto("/vms");
    await expect(page.getByTestId("vms-unavailable")).toBeVisible();
    const outside = page.getByTestId("held-outside-libvirt");
    await expect(outside.getByRole("heading", { name: "Held outside libvirt" })).toBeVisible();
    await expect(outside).toContainText("libvirt cannot be read, so this is the kernel's view alone");
    const line = outside.getByTestId(`held-outside-${ROUTER_NIC}`);
    await expect(line.getByTestId("held-outside-hold")).toHaveText(held);
    await expect(line).toContainText("VM 101 router");
    await expect(line).toContainText("Proxmox VE");
    await expect(outside.locator("tbody tr")).toHaveCount(1);
  });

  test("the SR-IOV filter keeps the PF groups and the overview lists the PFs", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const pfs = inv.devices.filter((d) => d.sriov !== null);
    const pfGroups = new Set(pfs.map((d) => d.iommuGroup));
    await page.goto("/iommu");
    await page
      .getByRole("group", { name: "Filter by device type" })
      .getByRole("button", { name: /^SR-IOV capable/ })
      .click();
    await expect(page.getByTestId("result-count")).toHaveText(`Showing ${pfGroups.size} of ${inv.groups.length} groups`);
    for (const pf of pfs) await expect(page.getByTestId(`device-row-${pf.address}`)).toBeVisible();

    await page.goto("/");
    for (const pf of pfs) {
      await expect(page.getByTestId(`overview-pf-${pf.address}`).getByTestId("sriov-badge")).toHaveText(`SR-IOV ${pf.sriov!.numVfs}/${pf.sriov!.totalVfs}`);
    }
  });
});
