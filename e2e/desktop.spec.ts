import { expect, test } from "@playwright/test";
import { expectedDevice, expectedInventory, groupOf } from "./fixtures";

// Consumer desktop: GPU + HDMI audio share a group (multifunction, no ACS); the onboard NIC with the default route
// sits in the PCH root ports' group; the NVMe holds /.
const SCENARIO = "desktop";
const GPU = "0000:01:00.0";
const GPU_AUDIO = "0000:01:00.1";
const NIC = "0000:03:00.0";
const NVME = "0000:02:00.0";

test.describe("desktop scenario", () => {
  test("top bar says it is a demo host and shows host, kernel and data age", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    await page.goto("/");
    await expect(page.getByTestId("demo-banner")).toBeVisible();
    await expect(page.getByTestId("demo-banner")).toContainText("Demo host: desktop — not your machine");
    await expect(page.getByTestId("host-name")).toHaveText(inv.facts.hostname ?? "(no hostname)");
    await expect(page.getByTestId("kernel-release")).toHaveText(inv.facts.kernelRelease ?? "unknown");
    await expect(page.getByTestId("data-age")).toHaveText(/^read (just now|\d+ s ago)$/);
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
    await expect(nav.getByRole("link", { name: "IOMMU map" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Readiness" })).toBeVisible();
  });

  test("overview cards show the real counts, the verdict and the host-critical devices", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const fails = inv.readiness.filter((c) => c.status === "fail").length;
    const warns = inv.readiness.filter((c) => c.status === "warn").length;
    await page.goto("/");
    await expect(page.getByTestId("overview-group-count")).toHaveText(String(inv.groups.length));
    await expect(page.getByTestId("overview-device-count")).toHaveText(inv.devices.length.toLocaleString("en-US"));
    await expect(page.getByTestId("overview-iommu-state")).toHaveText("on");
    await expect(page.getByTestId("overview-iommu-vendor")).toContainText(inv.iommu.vendor === "amd" ? "AMD-Vi" : "Intel VT-d");
    await expect(page.getByTestId("overview-readiness-verdict")).toHaveText(
      fails === 0 ? "Ready for passthrough" : `Not ready: ${fails} ${fails === 1 ? "item fails" : "items fail"}`,
    );
    await expect(page.getByTestId("overview-fail-count")).toHaveText(`${fails} ${fails === 1 ? "fail" : "fails"}`);
    await expect(page.getByTestId("overview-warn-count")).toHaveText(`${warns} ${warns === 1 ? "warning" : "warnings"}`);

    const critical = inv.devices.filter((d) => d.hostCritical.length > 0 && d.bridge === null);
    expect(critical.map((d) => d.address)).toEqual(expect.arrayContaining([NIC, NVME]));
    for (const d of critical) {
      const item = page.getByTestId(`overview-critical-${d.address}`);
      await expect(item.getByTestId("host-critical-badge")).toBeVisible();
      for (const reason of d.hostCritical) await expect(item).toContainText(reason);
    }
    await page.getByRole("link", { name: "Open the readiness checklist" }).click();
    await expect(page).toHaveURL(/\/readiness$/);
    await expect(page.getByTestId("readiness-verdict")).toBeVisible();
  });

  test("the map shows every group; the GPU group is shared because of multifunction", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    await page.goto("/iommu");
    await expect(page.getByTestId("group-count")).toHaveText(`${inv.groups.length} IOMMU groups`);
    await expect(page.locator('[data-testid^="group-card-"]')).toHaveCount(inv.groups.length);
    await expect(page.getByTestId("result-count")).toHaveText(`Showing all ${inv.groups.length} groups`);

    const gpuGroup = groupOf(inv, GPU);
    expect(gpuGroup.devices).toContain(GPU_AUDIO);
    const card = page.getByTestId(`group-card-${gpuGroup.id}`);
    await expect(card.getByTestId(`group-verdict-${gpuGroup.id}`)).toHaveText("shared");
    await expect(card.getByTestId("group-summary")).toHaveText(gpuGroup.summary);
    await expect(card.getByTestId("group-reasons")).toContainText(/multifunction/i);
    for (const reason of gpuGroup.reasons) await expect(card.getByTestId("group-reasons")).toContainText(reason);
    const gpu = inv.devices.find((d) => d.address === GPU)!;
    const gpuRow = card.getByTestId(`device-row-${GPU}`);
    await expect(gpuRow).toContainText(`${gpu.vendorId}:${gpu.deviceId}`);
    if (gpu.driver) await expect(gpuRow).toContainText(gpu.driver);
    await expect(card.getByTestId(`device-row-${GPU_AUDIO}`)).toBeVisible();
  });

  test("the NIC with the default route is host-critical, and so is its group", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const nic = inv.devices.find((d) => d.address === NIC)!;
    const routeReason = nic.hostCritical.find((r) => r.includes("default route"));
    expect(routeReason, "the scenario's NIC carries the default route").toBeTruthy();
    await page.goto("/iommu");
    const row = page.getByTestId(`device-row-${NIC}`);
    const badge = row.getByTestId("host-critical-badge");
    await expect(badge).toBeVisible();
    await expect(badge).toHaveText("host-critical");
    await expect(badge).toHaveAttribute("title", /default route/);
    await expect(row).toContainText(routeReason!);
    const group = groupOf(inv, NIC);
    await expect(page.getByTestId(`group-verdict-${group.id}`)).toHaveText("host-critical");
    // The PCH root ports in that group are shown as ports, not as passthrough candidates.
    for (const a of group.devices.filter((a) => inv.devices.find((d) => d.address === a)?.bridge === "root-port")) {
      await expect(page.getByTestId(`device-row-${a}`).getByTestId("bridge-badge")).toHaveText("root port");
    }
  });

  test("?device= opens the detail panel with driver and link; back and close work", async ({ page }) => {
    const gpu = expectedDevice(SCENARIO, GPU);
    await page.goto(`/iommu?device=${GPU}`);
    const panel = page.getByTestId("device-detail");
    await expect(panel.getByRole("heading", { level: 2 })).toHaveText(GPU);
    await expect(panel.getByTestId("detail-driver")).toHaveText(gpu.driver ?? "no driver bound");
    expect(gpu.link, "the scenario's GPU has a PCIe link").not.toBeNull();
    const link = gpu.link!;
    await expect(panel.getByTestId("detail-link-current")).toHaveText(`${link.currentSpeed} x${link.currentWidth}`);
    await expect(panel.getByTestId("detail-link-max")).toHaveText(`${link.maxSpeed} x${link.maxWidth}`);
    await expect(panel.getByTestId("link-below-max")).toHaveCount(link.downgraded ? 1 : 0);
    await expect(panel).toContainText(`[${gpu.vendorId}]`);
    await expect(panel).toContainText(`[${gpu.deviceId}]`);
    await expect(panel).toContainText(`[${gpu.classId}]`);
    for (const p of gpu.parentChain) await expect(panel.getByTestId("detail-parent-chain")).toContainText(p);

    // Selecting another member pushes a history entry; back returns to the GPU.
    await page
      .getByTestId(`device-row-${GPU_AUDIO}`)
      .getByRole("button", { name: `Details of ${GPU_AUDIO}` })
      .click();
    await expect(page).toHaveURL(/\?device=0000:01:00\.1$/);
    await expect(panel.getByRole("heading", { level: 2 })).toHaveText(GPU_AUDIO);
    await page.goBack();
    await expect(page).toHaveURL(/\?device=0000:01:00\.0$/);
    await expect(panel.getByRole("heading", { level: 2 })).toHaveText(GPU);

    await panel.getByRole("button", { name: "Close device details" }).click();
    await expect(page.getByTestId("device-detail")).toHaveCount(0);
    await expect(page).toHaveURL(/\/iommu$/);
  });

  test("the host-critical NVMe's detail shows its mounts", async ({ page }) => {
    const nvme = expectedDevice(SCENARIO, NVME);
    await page.goto(`/iommu?device=${NVME}`);
    const panel = page.getByTestId("device-detail");
    await expect(panel.getByTestId("host-critical-reasons")).toContainText(nvme.hostCritical[0]!);
    for (const b of nvme.blockDevices) {
      await expect(panel).toContainText(b.name);
      for (const m of b.mounts) await expect(panel).toContainText(m.mountpoint);
    }
  });

  test("filters and search narrow the list, with the count", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const total = inv.groups.length;
    const byAddr = new Map(inv.devices.map((d) => [d.address, d]));
    const groupsWith = (test: (d: (typeof inv.devices)[number]) => boolean) => inv.groups.filter((g) => g.devices.some((a) => test(byAddr.get(a)!)));
    const cards = page.locator('[data-testid^="group-card-"]');
    await page.goto("/iommu");
    await expect(cards).toHaveCount(total);

    const filters = page.getByRole("group", { name: "Filter by device type" });
    await filters.getByRole("button", { name: /^GPU/ }).click();
    await expect(filters.getByRole("button", { name: /^GPU/ })).toHaveAttribute("aria-pressed", "true");
    // The discrete GPU's group, and the iGPU's if the scenario has one: nothing else.
    const gpuGroups = groupsWith((d) => d.classId.startsWith("03"));
    expect(gpuGroups.map((g) => g.id)).toContain(groupOf(inv, GPU).id);
    expect(gpuGroups.length).toBeLessThan(total);
    await expect(filters.getByRole("button", { name: /^GPU/ })).toContainText(String(gpuGroups.length));
    await expect(page.getByTestId("result-count")).toHaveText(`Showing ${gpuGroups.length} of ${total} groups`);
    await expect(cards).toHaveCount(gpuGroups.length);
    for (const g of gpuGroups) await expect(page.getByTestId(`group-card-${g.id}`)).toBeVisible();
    await expect(page.getByTestId(`group-card-${groupOf(inv, NIC).id}`)).toHaveCount(0);

    // GPU or USB controller
    await filters.getByRole("button", { name: /^USB controller/ }).click();
    const gpuOrUsb = groupsWith((d) => d.classId.startsWith("03") || d.classId.startsWith("0c03"));
    await expect(page.getByTestId("result-count")).toHaveText(`Showing ${gpuOrUsb.length} of ${total} groups`);
    await expect(cards).toHaveCount(gpuOrUsb.length);

    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect(cards).toHaveCount(total);

    // Search by vendor:device ID finds the NIC's group only.
    const nic = byAddr.get(NIC)!;
    const search = page.getByRole("searchbox", { name: "Search devices" });
    await search.fill(`${nic.vendorId}:${nic.deviceId}`);
    const nicGroups = groupsWith((d) => `${d.vendorId}:${d.deviceId}` === `${nic.vendorId}:${nic.deviceId}`);
    await expect(page.getByTestId("result-count")).toHaveText(`Showing ${nicGroups.length} of ${total} groups`);
    await expect(page.getByTestId(`group-card-${groupOf(inv, NIC).id}`)).toBeVisible();
    await expect(cards).toHaveCount(nicGroups.length);

    // By interface name, and by address.
    await search.fill(nic.netdevs[0]!);
    await expect(cards).toHaveCount(1);
    await expect(page.getByTestId(`group-card-${groupOf(inv, NIC).id}`)).toBeVisible();
    await search.fill(GPU_AUDIO);
    await expect(cards).toHaveCount(1);
    await expect(page.getByTestId(`group-card-${groupOf(inv, GPU).id}`)).toBeVisible();

    await search.fill("no-such-device-anywhere");
    await expect(cards).toHaveCount(0);
    await expect(page.getByText("No group has a device that matches.")).toBeVisible();
  });

  test("the PCIe tree shows the NIC under its root port with its group", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const nic = inv.devices.find((d) => d.address === NIC)!;
    await page.goto("/iommu");
    await page.getByRole("group", { name: "View" }).getByRole("button", { name: "PCIe tree" }).click();
    const tree = page.getByTestId("pcie-tree");
    await expect(tree).toBeVisible();
    const parent = nic.parentChain[nic.parentChain.length - 1]!;
    // The NIC's node is nested inside its parent's list item.
    const parentItem = page.locator("li", { has: page.getByTestId(`tree-node-${parent}`) }).last();
    await expect(parentItem.getByTestId(`tree-node-${NIC}`)).toBeVisible();
    await expect(page.getByTestId(`tree-node-${NIC}`).getByTestId("tree-group-chip")).toContainText(`group ${nic.iommuGroup} · host-critical`);
    await expect(page.getByTestId(`tree-node-${parent}`).getByTestId("tree-group-chip")).toContainText(`group ${nic.iommuGroup}`);
    // Every device appears once.
    await expect(tree.locator('[data-testid^="tree-node-"]')).toHaveCount(inv.devices.filter((d) => !d.physfn).length);
  });

  test("the VMs page says this demo host has no libvirt connection, and giving a device to a VM says why it cannot", async ({ page }) => {
    await page.goto("/vms");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "VMs" })).toHaveAttribute("aria-current", "page");
    const alert = page.getByTestId("vms-unavailable");
    await expect(alert).toContainText("libvirt cannot be read: this server has no libvirt connection (a demo host without PASSDECK_LIBVIRT_URI)");
    await expect(alert).toContainText("Connection: none configured.");
    await expect(page.getByTestId("node-device-check")).toHaveCount(0);
    // The VF pools section points up to the reason instead of saying it again, and offers no new pool.
    await expect(page.getByTestId("pools-unavailable")).toHaveText("VF pools are libvirt networks: they are listed here once libvirt can be read (see above).");
    await expect(page.getByText("this server has no libvirt connection")).toHaveCount(1);
    await expect(page.getByRole("link", { name: "New VF pool…" })).toHaveCount(0);

    // The GPU's detail links to the VM form, whose VM choice is off with the reason; the GPU's ROM options are there.
    await page.goto(`/iommu?device=${GPU}`);
    await page.getByTestId("device-detail").getByRole("link", { name: "Give to a VM…" }).click();
    await expect(page.getByRole("heading", { name: `Give ${GPU} to a VM` })).toBeVisible();
    await expect(page.getByLabel("VM", { exact: true })).toBeDisabled();
    await expect(page.getByTestId("vm-choice-help")).toHaveText(
      "libvirt is not available: this server has no libvirt connection (a demo host without PASSDECK_LIBVIRT_URI)",
    );
    await expect(page.getByLabel("ROM BAR")).toBeEnabled();
    await expect(page.getByRole("button", { name: "Review the plan" })).toBeDisabled();
  });

  test("readiness: verdict and the VT-d item passing", async ({ page }) => {
    const inv = expectedInventory(SCENARIO);
    const fails = inv.readiness.filter((c) => c.status === "fail").length;
    await page.goto("/readiness");
    await expect(page.getByTestId("readiness-verdict")).toContainText(
      fails === 0 ? "Ready for passthrough" : `Not ready: ${fails} ${fails === 1 ? "item fails" : "items fail"}`,
    );
    const vtd = page.getByTestId("readiness-item-firmware-iommu");
    await expect(vtd).toContainText("VT-d");
    await expect(vtd).toHaveAttribute("data-status", "pass");
    await expect(vtd.getByText("Pass", { exact: true })).toBeVisible();
    for (const c of inv.readiness) {
      const item = page.getByTestId(`readiness-item-${c.id}`);
      await expect(item).toContainText(c.title);
      await expect(item.getByTestId("observed")).toHaveText(c.observed);
      await expect(item).toHaveAttribute("data-status", c.status);
      if (c.fix) await expect(item.getByTestId("fix")).toContainText(c.fix);
    }
    await expect(page.locator('[data-testid^="readiness-item-"]')).toHaveCount(inv.readiness.length);
  });
});
