/**
 * The passthrough wizard in a browser on the host, against Passdeck running as root inside the kernel rig's guest:
 * every write reaches the guest's real sysfs and iproute2, and every check reads the guest kernel back through a
 * plain shell loop (sysfsTruth) or ip(8) itself, not through Passdeck.
 */
import { expect, test, type Page } from "@playwright/test";
import { guestExec, guestWrite, rebootRig } from "./rig.mjs";
import { resolveAddress } from "./topology.mjs";
import { guestInventory, lanUp, startHandmadeQemu, stopGuestProcess, sysfsTruth } from "./guest";

test.describe.configure({ mode: "serial" });

let igb: string;
let fwd: string;
let netdev: string;
const MAC = "02:11:22:33:44:66";
/** Applying under TCG: creating VFs alone takes the guest ~10 s. */
const APPLY_MS = 180_000;

test.beforeAll(async () => {
  const inv = await guestInventory();
  igb = resolveAddress(inv.devices, "igb");
  fwd = resolveAddress(inv.devices, "fwd");
  netdev = inv.devices.find((d) => d.address === igb)!.netdevs[0]!;
  // Start from no VFs whatever an earlier test left.
  const r = await guestWrite(`/sys/bus/pci/devices/${igb}/sriov_numvfs`, "0");
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  await lanUp(igb);
});

async function vfinfo(): Promise<Record<string, unknown>[]> {
  const shown = JSON.parse((await guestExec(["ip", "-j", "link", "show", "dev", netdev])).stdout) as { vfinfo_list?: Record<string, unknown>[] }[];
  return shown[0]!.vfinfo_list ?? [];
}

/** What the first test's wizard run leaves in the guest kernel, read without Passdeck; reconcile must restore it. */
async function expectWizardResult() {
  const truth = await sysfsTruth();
  const pf = truth.find((t) => t.address === igb)!;
  expect(pf.numVfs).toBe(3);
  const [vf0, vf1, vf2] = pf.vfs.map((a) => truth.find((t) => t.address === a)!);
  expect([vf0!.driver, vf1!.driver, vf2!.driver]).toEqual(["igbvf", "vfio-pci", "igbvf"]);
  expect((await guestExec(["test", "-c", `/dev/vfio/${vf1!.group}`])).code).toBe(0);
  expect((await guestExec(["cat", `/sys/bus/pci/devices/${vf1!.address}/driver_override`])).stdout.trim()).toBe("vfio-pci");
  expect((await vfinfo())[0]).toMatchObject({ vf: 0, address: MAC, vlan_list: [{ vlan: 100 }], trust: true });
}

async function settingsStep(page: Page, count: number) {
  await page.goto("/wizard");
  await page.getByRole("button", { name: `Choose ${igb}` }).click();
  await page.getByLabel("Number of VFs (0 removes them)").fill(String(count));
  await page.getByRole("button", { name: "Next" }).click();
}

test("the wizard creates 3 VFs, sets MAC+VLAN+trust on VF 0 and binds VF 1 to vfio-pci; the guest kernel agrees", async ({ page }) => {
  await settingsStep(page, 3);
  await page.getByLabel("VF 0 mac").fill(MAC);
  await page.getByLabel("VF 0 vlan").fill("100");
  await page.getByLabel("VF 0 trust").selectOption("on");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("VF 1 to vfio-pci").check();
  await page.getByRole("button", { name: "Review the plan" }).click();
  // The PF's link is up on the rig's LAN, which advertises a prefix: an address nobody configured, acknowledged.
  await expect(page.getByTestId("warnings")).toContainText("autoconfigured (SLAAC) address fec0::5054:ff:fed5:7a10/64");
  await expect(page.getByTestId("warnings")).not.toContainText("host-critical");
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await page.getByText("I have read the warnings and want this anyway").click();
  await expect(page.getByTestId("plan-steps").locator("code").first()).toHaveText(`echo 3 > bus/pci/devices/${igb}/sriov_numvfs`);
  await expect(page.getByTestId("guest-driver")).toContainText("igbvf");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied", { timeout: APPLY_MS });
  await expect(page.getByTestId("apply-result")).toContainText("Applied and verified");

  await expectWizardResult();
});

test("link state on igb is reported as unsupported by igb, for that setting, and nothing is left changed", async ({ page }) => {
  await settingsStep(page, 3);
  await page.getByLabel("VF 2 state").selectOption("disable");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Review the plan" }).click();
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([`ip link set dev ${netdev} vf 2 state disable`]);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("failed, rolled back", { timeout: APPLY_MS });
  const error = page.getByTestId("progress-step-0").getByTestId("step-error");
  await expect(error).toHaveAttribute("data-code", "vf-setting-unsupported");
  await expect(error).toContainText(`igb (the driver of ${netdev}) does not support setting the link state of a VF`);
  expect((await vfinfo())[2]).toMatchObject({ vf: 2, link_state: "auto" });
});

test("a VF count change while a QEMU started by hand holds VF 1 is refused, naming it; once it exits the same plan may go", async ({ page }) => {
  const vf1 = (await sysfsTruth()).find((t) => t.address === igb)!.vfs[1]!;
  const pid = await startHandmadeQemu(vf1);
  try {
    await page.goto(`/wizard?step=review&pf=${igb}&count=2`);
    // the web tier (uid 1500) reads it without ptrace: vfio-pci's enable count, and the QEMU's command line
    await expect(page.getByTestId("refusals")).toContainText(`${vf1} is held by qemu-system-x86 pid ${pid} (VM handmade)`);
    await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
    expect((await guestExec(["cat", `/sys/bus/pci/devices/${igb}/sriov_numvfs`])).stdout.trim()).toBe("3");
    // the IOMMU map names it too: the VF's row and its detail
    await page.goto(`/iommu?device=${vf1}`);
    await expect(page.getByTestId(`device-row-${vf1}`).getByTestId("hold-line")).toContainText(`held by qemu-system-x86 pid ${pid} (VM handmade)`);
    await expect(page.getByTestId("device-detail").getByTestId("detail-hold-text")).toContainText(`held by qemu-system-x86 pid ${pid} (VM handmade)`);
  } finally {
    await stopGuestProcess(pid, vf1);
  }
  await page.goto(`/wizard?step=review&pf=${igb}&count=2`);
  await expect(page.getByTestId("warnings")).toContainText("autoconfigured (SLAAC) address");
  await expect(page.getByTestId("refusals")).toHaveCount(0);
  await page.getByText("I have read the warnings and want this anyway").click();
  await expect(page.getByTestId("plan-steps").locator("code").first()).toHaveText(`echo 0 > bus/pci/devices/${igb}/sriov_numvfs`);
  await expect(page.getByRole("button", { name: "Apply" })).toBeEnabled();
});

test("the forwarded NIC the browser comes through cannot be taken without the typed force", async ({ page }) => {
  await page.goto(`/wizard?mode=device&step=review&device=${fwd}`);
  await expect(page.getByTestId("warnings")).toContainText("default route");
  // Read from the guest's /proc/net/tcp: this browser's own connection, through QEMU's port forward.
  await expect(page.getByTestId("warnings")).toContainText("carries this dashboard: a browser is connected to 10.0.2.15");
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  expect((await sysfsTruth()).find((t) => t.address === fwd)!.driver).toBe("virtio-pci");
});

/** A plan saved earlier and applied as it is (`passdeck apply`): nothing re-plans it, so the kernel answers. */
function savedPlan(id: string, value: string) {
  return {
    id,
    title: `Set ${igb} to ${value} VFs (saved earlier)`,
    createdAt: new Date().toISOString(),
    steps: [
      {
        step: { kind: "write-attribute", device: igb, attribute: "sriov_numvfs", value },
        summary: `Create ${value} VFs`,
        inverse: { kind: "write-attribute", device: igb, attribute: "sriov_numvfs", value: "0" },
      },
    ],
  };
}

test("the kernel's own EBUSY and ERANGE, forced with saved plans, are decoded in the CLI and the journal page, and change nothing", async ({ page }) => {
  for (const [id, value, words, errno] of [
    ["rig-ebusy", "2", `${igb} already has 3 VFs; the kernel changes the VF count only from 0`, "EBUSY"],
    ["rig-erange", "8", "at most 7", "ERANGE"],
  ] as const) {
    const file = `/tmp/${id}.json`;
    expect((await guestWrite(file, JSON.stringify(savedPlan(id, value)))).ok).toBe(true);
    const r = await guestExec(["node", "dist/passdeck.mjs", "apply", file], { timeoutMs: 120_000 });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain(words);
    expect(r.stderr).toContain(`[${errno}]`);
    expect(r.stderr).toContain("rolled back: the host is as it was before");
  }
  const truth = await sysfsTruth();
  const pf = truth.find((t) => t.address === igb)!;
  expect(pf.numVfs).toBe(3);
  expect(truth.find((t) => t.address === pf.vfs[1])!.driver).toBe("vfio-pci");

  await page.goto("/journal");
  const entry = page.locator("li", { hasText: `Set ${igb} to 2 VFs (saved earlier)` }).first();
  await expect(entry.getByTestId("journal-status")).toHaveText("failed, rolled back");
  await entry.getByRole("button").first().click();
  await expect(entry.getByTestId("journal-step").first()).toContainText(`${igb} already has 3 VFs`);
});

test("after a reboot with the same data directory the boot state shows the drift, and passdeck reconcile puts it back", async ({ page }) => {
  test.setTimeout(600_000);
  await rebootRig();
  expect((await guestExec(["cat", `/sys/bus/pci/devices/${igb}/sriov_numvfs`])).stdout.trim()).toBe("0");

  await page.goto("/desired");
  await expect(page.getByTestId("drift-summary")).toContainText("reconcile would put back");
  const countRow = page.getByTestId("drift-row").filter({ has: page.getByRole("cell", { name: "VF count", exact: true }) });
  await expect(countRow).toHaveAttribute("data-status", "drift");
  await expect(countRow.getByRole("cell").nth(2)).toHaveText("3");
  await expect(countRow.getByRole("cell").nth(3)).toHaveText("0");

  const r = await guestExec(["node", "dist/passdeck.mjs", "reconcile"], { timeoutMs: 400_000 });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toContain("Reconciled: the host matches the desired state.");

  await expectWizardResult();

  await page.reload();
  await expect(page.getByTestId("drift-summary")).toHaveText("The host matches the desired state.");
  // Reconcile went through the journal like every other change.
  await page.goto("/journal");
  await expect(page.getByText("via reconcile").first()).toBeVisible();
});
