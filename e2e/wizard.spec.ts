/**
 * The passthrough wizard on its own "server" demo host, which applies plans to a simulated kernel: the checks read
 * the host tree the server changed (sriov_numvfs, driver links) and what its `ip` reports, not only the page.
 * The tests run in order and build on each other's state, as a user's session would.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { demoHostDir } from "./journal-dir";

const PF = "0000:18:00.1"; // I350 port 2 (igb, 7 VFs at offset 0x180 stride 4): VFs 19:10.1, 19:10.5, 19:11.1 …
const MGMT = "0000:18:00.0"; // carries the default route through vmbr0
const sys = join(demoHostDir("wizard"), "sys");
const numvfs = () => readFileSync(join(sys, "bus/pci/devices", PF, "sriov_numvfs"), "utf8").trim();
const driverOf = (address: string) => {
  try {
    return basename(readlinkSync(join(sys, "bus/pci/devices", address, "driver")));
  } catch {
    return null;
  }
};

test.describe.configure({ mode: "serial" });

async function toReview(page: Page, count: number, fill: (page: Page) => Promise<void>, vfio: number[]) {
  await page.goto("/wizard");
  await page.getByRole("button", { name: `Choose ${PF}` }).click();
  await page.getByLabel("Number of VFs (0 removes them)").fill(String(count));
  await page.getByRole("button", { name: "Next" }).click();
  await fill(page);
  await page.getByRole("button", { name: "Next" }).click();
  for (const i of vfio) await page.getByLabel(`VF ${i} to vfio-pci`).check();
  await page.getByRole("button", { name: "Review the plan" }).click();
}

test("creates 3 VFs, sets MAC+VLAN+trust on one, binds another to vfio-pci, with live progress", async ({ page }) => {
  expect(numvfs()).toBe("0");
  await toReview(
    page,
    3,
    async (p) => {
      // A VLAN out of range is named and blocks the step until fixed.
      await p.getByLabel("VF 0 vlan").fill("4095");
      await expect(p.getByTestId("settings-errors")).toContainText("VF 0: VLAN 4095 is out of range: 0–4094");
      await expect(p.getByRole("button", { name: "Next" })).toBeDisabled();
      await p.getByLabel("VF 0 vlan").fill("100");
      await p.getByLabel("VF 0 mac").fill("02:00:00:00:00:10");
      await p.getByLabel("VF 0 trust").selectOption("on");
    },
    [1],
  );

  await expect(page.getByTestId("plan-title")).toHaveText(`3 VFs on ${PF} (eno2), settings on 1, 1 to vfio-pci`);
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([
    `echo 3 > bus/pci/devices/${PF}/sriov_numvfs`,
    `# wait up to 120 s until ${PF} has 3 VFs (virtfn links with physfn)`,
    "ip link set dev eno2 vf 0 mac 02:00:00:00:00:10 vlan 100 trust on",
    `# check that bus/pci/devices/${PF}/virtfn1 is 0000:19:10.5 (wait up to 10 s)`,
    "echo 0000:19:10.5 > bus/pci/devices/0000:19:10.5/driver/unbind   # from igbvf",
    "echo vfio-pci > bus/pci/devices/0000:19:10.5/driver_override",
    "echo 0000:19:10.5 > bus/pci/drivers_probe   # expect vfio-pci",
  ]);
  await expect(page.getByTestId("review-vf-1")).toContainText("0000:19:10.5");
  await expect(page.getByTestId("review-vf-1")).toContainText("vfio-pci");
  await expect(page.getByTestId("guest-driver")).toContainText("igbvf");
  expect(numvfs()).toBe("0"); // the review wrote nothing

  // Back walks to the vfio step with the choice kept; forward returns to the same review.
  await page.goBack();
  await expect(page.getByLabel("VF 1 to vfio-pci")).toBeChecked();
  await page.goForward();
  await expect(page.getByTestId("plan-steps").locator("li")).toHaveCount(7);

  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied");
  for (let i = 0; i < 7; i++) await expect(page.getByTestId(`progress-step-${i}`)).toHaveAttribute("data-status", "done");
  await expect(page.getByTestId("apply-result")).toContainText("Applied and verified");

  expect(numvfs()).toBe("3");
  expect([driverOf("0000:19:10.1"), driverOf("0000:19:10.5"), driverOf("0000:19:11.1")]).toEqual(["igbvf", "vfio-pci", "igbvf"]);

  // The PF's detail reads the VF settings back from the driver (vfinfo_list).
  await page.goto(`/iommu?device=${PF}`);
  const vf0 = page.getByTestId("vf-settings-0");
  await expect(vf0).toContainText("02:00:00:00:00:10");
  await expect(vf0.locator("td").nth(2)).toHaveText("100");
  await expect(vf0.locator("td").nth(4)).toHaveText("on");
});

test("the boot state page lists what was applied and that the host matches it", async ({ page }) => {
  await page.goto("/desired");
  await expect(page.getByTestId("drift-summary")).toHaveText("The host matches the desired state.");
  const rows = page.getByTestId("drift-row");
  await expect(rows.filter({ hasText: "VF count" })).toContainText("3");
  await expect(rows.filter({ hasText: "0000:19:10.5" })).toContainText("vfio-pci");
});

test("a setting igb refuses is reported per setting, and the plan rolls back", async ({ page }) => {
  await toReview(
    page,
    3,
    async (p) => {
      await p.getByLabel("VF 2 mac").fill("02:00:00:00:00:12");
      await p.getByLabel("VF 2 state").selectOption("disable");
    },
    [],
  );
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText(["ip link set dev eno2 vf 2 mac 02:00:00:00:00:12 state disable"]);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("failed, rolled back");
  const error = page.getByTestId("progress-step-0").getByTestId("step-error");
  await expect(error).toHaveAttribute("data-code", "vf-setting-unsupported");
  await expect(error).toContainText("state");
  await expect(error).toContainText("igb");
  // The MAC has no undo (igb refuses the zero MAC back), so it is set last: the refused state left nothing to undo.
  await expect(page.getByTestId("rollback-step")).toHaveCount(0);
  await expect(page.getByTestId("apply-result")).toContainText("Rolled back: the host is as it was before.");

  await page.goto(`/iommu?device=${PF}`);
  await expect(page.getByTestId("vf-settings-2")).not.toContainText("02:00:00:00:00:12");
  expect(numvfs()).toBe("3");
});

test("a VF that only sits on vfio-pci, opened by nobody, does not stop a count change: the plan is offered", async ({ page }) => {
  await page.goto(`/wizard?step=review&pf=${PF}&count=2`);
  await expect(page.getByTestId("plan-steps").locator("code").first()).toHaveText(`echo 0 > bus/pci/devices/${PF}/sriov_numvfs`);
  await expect(page.getByTestId("refusals")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Apply" })).toBeEnabled();
  expect(numvfs()).toBe("3");
});

test("giving back a device a VM's QEMU holds is refused, naming the holder, with no override", async ({ page }) => {
  const NIC = "0000:86:00.0"; // I210 on vfio-pci, open by Proxmox VE's QEMU for VM 101 "router"
  await page.goto(`/iommu?device=${NIC}`);
  await expect(page.getByTestId("device-detail").getByTestId("detail-hold-text")).toContainText("held by kvm pid");
  await page.getByRole("link", { name: "Give back to the host driver…" }).click();
  await expect(page.getByTestId("refusals")).toContainText(
    `Passdeck will not take the driver from ${NIC}: it is held by kvm pid 2817 (VM 101 router, Proxmox VE). The kernel would wait for the holder to let go`,
  );
  await expect(page.getByTestId("refusals").locator('li[data-code="held"]')).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  expect(driverOf(NIC)).toBe("vfio-pci");
});

test("the overview lists what is in use now, and the whole-device picker does not offer a held device", async ({ page }) => {
  const NIC = "0000:86:00.0";
  await page.goto("/");
  await expect(page.getByTestId("overview-held-count")).toHaveText("1");
  await expect(page.getByTestId(`overview-held-${NIC}`).getByTestId("overview-held-text")).toHaveText("held by kvm pid 2817 (VM 101 router, Proxmox VE)");
  await page.goto("/wizard?mode=device");
  await expect(page.getByRole("button", { name: `Pass through ${NIC}` })).toBeDisabled();
  await expect(page.getByTestId("pick-held")).toHaveText(
    `Not now: ${NIC} is held by kvm pid 2817 (VM 101 router, Proxmox VE); its group moves only once it is released.`,
  );
  await expect(page.getByRole("button", { name: "Pass through 0000:3b:00.1" })).toBeEnabled();
});

test("a host-critical PF needs the typed address before Apply is offered", async ({ page }) => {
  await page.goto(`/wizard?step=review&pf=${MGMT}&count=2`);
  await expect(page.getByTestId("warnings")).toContainText("carries the default route");
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await page.getByLabel("Type the address to confirm a host-critical change").fill("0000:18:00");
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await page.getByLabel("Type the address to confirm a host-critical change").fill(MGMT);
  await expect(page.getByTestId("plan-steps").locator("code").first()).toHaveText(`echo 2 > bus/pci/devices/${MGMT}/sriov_numvfs`);
  await expect(page.getByRole("button", { name: "Apply" })).toBeEnabled();
});

test("a whole device: its group's endpoints go to vfio-pci together, the host's losses are listed, and it goes back", async ({ page }) => {
  const NIC = "0000:3b:00.1"; // X710 port 2: no VFs, alone in its group
  await page.goto("/wizard?mode=device");
  await page.getByRole("button", { name: `Pass through ${NIC}` }).click();
  await expect(page.getByTestId("host-loses")).toContainText("network interface ens1f1");
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([
    `echo ${NIC} > bus/pci/devices/${NIC}/driver/unbind   # from i40e`,
    `echo vfio-pci > bus/pci/devices/${NIC}/driver_override`,
    `echo ${NIC} > bus/pci/drivers_probe   # expect vfio-pci`,
  ]);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied");
  expect(driverOf(NIC)).toBe("vfio-pci");

  // The result is a link: reloading it shows the journal's record of the same apply.
  await page.getByRole("button", { name: "Keep this result as a link" }).click();
  await expect(page).toHaveURL(/step=result.*entry=\d+/);
  await page.reload();
  await expect(page.getByTestId("entry-status")).toHaveText("applied");

  // Back to the host from the map: the journal knows it came from i40e.
  await page.goto(`/iommu?device=${NIC}`);
  await page.getByRole("link", { name: "Give back to the host driver…" }).click();
  await expect(page.getByTestId("plan-steps").locator("code").last()).toHaveText(`echo ${NIC} > bus/pci/drivers_probe   # expect i40e`);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied");
  expect(driverOf(NIC)).toBe("i40e");
});
