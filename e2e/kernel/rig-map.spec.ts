/**
 * The IOMMU map page, served by Passdeck inside the kernel rig's guest and opened through the forwarded port: the
 * groups the guest kernel shares for real reasons, the SR-IOV PFs and the host-critical virtio NIC. The UI
 * assertions stay few and use the map's test ids and visible text; the data itself is checked in rig.test.ts.
 */
import { expect, test } from "@playwright/test";
import { expectedGroups, resolveAddress } from "./topology.mjs";
import { guestInventory, sysfsTruth, waitFor, type GuestInventory } from "./guest";
import { guestWrite } from "./rig.mjs";

let inv: GuestInventory;
test.beforeAll(async () => {
  inv = await guestInventory();
});

const groupIdOf = (address: string) => inv.groups.find((g) => g.devices.includes(address))!.id;

test("the IOMMU map from inside the guest shows the shared groups, the SR-IOV PFs and the host-critical NIC", async ({ page }) => {
  await page.goto("/iommu");

  for (const [id, words, verdict] of [
    ["e1000", "PCIe-to-PCI bridge", "shared"],
    ["gpu", "multifunction", "shared"],
    ["e1000e", "lacks ACS", "isolated"],
    ["nvme_sw", "lacks ACS", "isolated"],
  ] as const) {
    const address = resolveAddress(inv.devices, id);
    const gid = groupIdOf(address);
    const card = page.getByTestId(`group-card-${gid}`);
    await card.scrollIntoViewIfNeeded();
    await expect(card, `group of ${id}`).toBeVisible();
    await expect(card.getByTestId(`group-verdict-${gid}`)).toContainText(verdict);
    await expect(card).toContainText(words);
    const expected = expectedGroups.find((g) => g.members.includes(id))!;
    for (const member of expected.members) {
      await expect(card.getByTestId(`device-row-${resolveAddress(inv.devices, member)}`)).toBeVisible();
    }
  }

  for (const [id, total] of [
    ["igb", 7],
    ["nvme_sriov", 4],
  ] as const) {
    const row = page.getByTestId(`device-row-${resolveAddress(inv.devices, id)}`).first();
    await row.scrollIntoViewIfNeeded();
    await expect(row.getByText(new RegExp(`^SR-IOV \\d+/${total}$`))).toBeVisible();
  }

  const nic = page.getByTestId(`device-row-${resolveAddress(inv.devices, "fwd")}`).first();
  await nic.scrollIntoViewIfNeeded();
  await expect(nic.getByTestId("host-critical-badge")).toBeVisible();
  await expect(nic).toContainText("default");
});

test("after VFs are enabled in the guest kernel, the map shows them under their PF, each in its own group", async ({ page }) => {
  const pf = resolveAddress(inv.devices, "igb");
  const numvfs = `/sys/bus/pci/devices/${pf}/sriov_numvfs`;
  // From the booted state or an earlier test's VFs, end at exactly 2 (0 first: the kernel refuses non-zero to non-zero).
  expect((await guestWrite(numvfs, "0")).ok).toBe(true);
  expect((await guestWrite(numvfs, "2")).ok).toBe(true);
  const truth = await waitFor("2 igb VFs bound to igbvf", sysfsTruth, (t) => t.filter((x) => x.physfn === pf && x.driver === "igbvf").length === 2, 120_000);
  const vfs = truth.find((t) => t.address === pf)!.vfs;
  expect(vfs).toHaveLength(2);

  // The server caches a scan for 2 s: reload until the PF's badge shows the new count.
  await expect(async () => {
    await page.goto("/iommu");
    await expect(page.getByTestId(`device-row-${pf}`).first().getByText("SR-IOV 2/7")).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });

  const rollup = page.getByTestId(`vf-rollup-${pf}`);
  await rollup.scrollIntoViewIfNeeded();
  await expect(rollup.getByTestId("vf-rollup-label")).toContainText(`2 VFs of ${pf}, each in its own group`);
  for (const [i, vf] of vfs.entries()) {
    const group = truth.find((t) => t.address === vf)!.group;
    const row = rollup.getByTestId(`device-row-${vf}`);
    await expect(row).toBeVisible();
    await expect(row.getByTestId(`group-row-${group}`)).toHaveText(String(group));
    await expect(row).toContainText("igbvf");
    await expect(row.locator("td").nth(1)).toHaveText(String(i));
  }
});
