/**
 * VF pools through the browser, on the wizard's "server" demo host with the machine's real libvirtd (qemu:///system):
 * throw-away pools (libvirt hostdev networks) are made and removed through the VMs page and the wizard, and each
 * result is read back with `virsh net-dumpxml --inactive` and `virsh net-info`, not only from the page. libvirt does
 * not look for the PF's interface until a pool starts, so a pool on the demo host's eno2 is defined as on the real
 * host; starting one on ens1f0 (which this machine lacks) fails as on a host whose PF has no VFs, and is rolled back.
 * The tests run in order and build on each other's state, as a user's session would.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { demoHostDir } from "./journal-dir";
import { apply, diff, virsh } from "./libvirt";
import { WIZARD } from "../playwright.config";

const PF = "0000:18:00.1"; // I350 port 2 (igb, eno2), no VFs on the demo host
const X710 = "0000:3b:00.0"; // X710 port 1 (i40e, ens1f0) with 4 VFs on the demo host; no ens1f0 on this machine
const POOL = `passdeck-e2e-${process.pid}-pool`;
const BROKEN = `passdeck-e2e-${process.pid}-x710`;
const NAME_RULE = "a pool name is 1 to 50 letters, digits, '_', '.' or '-', starting with a letter or digit";

const networks = () =>
  virsh("net-list", "--all", "--name")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
/** `virsh net-info` as a map: "Active" → "no", "Autostart" → "yes", … */
const netInfo = (name: string) =>
  new Map(
    virsh("net-info", name)
      .split("\n")
      .filter((l) => l.includes(":"))
      .map((l) => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()]),
  );
const numVfs = (address: string) => readFileSync(join(demoHostDir("wizard"), "sys/bus/pci/devices", address, "sriov_numvfs"), "utf8").trim();
const poolXml = (name: string, pf: string) => [
  "<network>",
  `  <name>${name}</name>`,
  '  <forward mode="hostdev" managed="yes">',
  `    <pf dev="${pf}"/>`,
  "  </forward>",
  "</network>",
];

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  // A real libvirtd must answer (scripts/libvirtd-up.sh starts one): without it these tests fail, never pass vacuously.
  expect(virsh("uri").trim()).toBe(WIZARD.libvirtUri);
  expect(networks()).not.toContain(POOL);
  expect(numVfs(PF)).toBe("0");
  expect(numVfs(X710)).toBe("4");
});

test.afterAll(() => {
  for (const name of [POOL, BROKEN]) {
    for (const command of ["net-destroy", "net-undefine"]) {
      try {
        virsh(command, name);
      } catch {
        /* not running, or already gone */
      }
    }
  }
});

test("New VF pool… on eno2: the name is checked in the server's words, the review warns of no VFs and shows the network XML, and libvirt then holds the pool", async ({
  page,
}) => {
  await page.goto("/vms");
  await expect(page.getByTestId("pools-unavailable")).toHaveCount(0);
  await page.getByTestId("vf-pools").getByRole("link", { name: "New VF pool…" }).click();
  await expect(page).toHaveURL(/\/wizard\?mode=pool&step=pool$/);
  await expect(page.getByRole("heading", { name: "New VF pool" })).toBeVisible();
  const review = page.getByRole("button", { name: "Review the plan" });
  await expect(review).toBeDisabled();

  // Only SR-IOV PFs with a network interface are offered, each with its interface, driver and VFs.
  const pf = page.getByLabel("PF", { exact: true });
  await expect(pf.locator(`option[value="${PF}"]`)).toHaveText(`${PF} · eno2 · igb · 0 of 7 VFs`);
  await expect(pf.locator(`option[value="${X710}"]`)).toHaveText(`${X710} · ens1f0 · i40e · 4 of 64 VFs`);
  await pf.selectOption(PF);
  await page.getByLabel("Pool name").fill("-eno2");
  await expect(page.locator("#pool-name-error")).toHaveText(NAME_RULE);
  await expect(review).toBeDisabled();
  await page.getByLabel("Pool name").fill(POOL);
  await expect(page.locator("#pool-name-error")).toHaveCount(0);
  await review.click();
  await expect(page).toHaveURL(new RegExp(`mode=pool&step=review&pool=${POOL}&pf=${PF}$`));

  // No VFs on eno2: the pool can be defined (it starts at boot once they exist), not started; that needs a yes.
  await expect(page.getByTestId("plan-title")).toHaveText("This change is refused");
  await expect(page.getByTestId("warnings").locator('[data-code="pool-no-vfs"]')).toHaveText(
    "warning eno2 has no VFs yet: the pool is defined and starts at boot (after passdeck reconcile creates the VFs), but cannot start now",
  );
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await page.getByLabel("I have read the warnings and want this anyway").check();
  await expect(page.getByTestId("plan-title")).toHaveText(`VF pool ${POOL} on eno2`);
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([
    `virsh net-define pool.xml && virsh net-autostart ${POOL}   # <forward mode='hostdev' managed='yes'><pf dev='eno2'/>`,
  ]);
  await expect(page.getByTestId("xml-changes").getByRole("heading")).toHaveText("libvirt's networks");
  const change = page.getByTestId("xml-change");
  await expect(change).toHaveCount(1);
  await expect(change).toHaveAttribute("data-op", "add");
  await expect(change.locator("figcaption")).toHaveText(`network ${POOL} — persistent config`);
  await expect(change.locator("pre")).toHaveText(diff("+", poolXml(POOL, "eno2")));
  expect(networks()).not.toContain(POOL); // the review wrote nothing

  await apply(page);
  const xml = virsh("net-dumpxml", POOL, "--inactive");
  expect(xml).toMatch(/<forward mode='hostdev' managed='yes'>\s*<pf dev='eno2'\/>\s*<\/forward>/);
  const info = netInfo(POOL);
  expect([info.get("Active"), info.get("Persistent"), info.get("Autostart")]).toEqual(["no", "yes", "yes"]);
});

test("the VMs page lists the pool: inactive, autostart, its PF eno2 linking to the device, no VFs listed, no VM configured with it", async ({ page }) => {
  await page.goto("/vms");
  const card = page.getByTestId(`pool-${POOL}`);
  await expect(card.getByRole("heading")).toHaveText(POOL);
  await expect(card.getByTestId("pool-state")).toHaveText("inactive");
  await expect(card.getByTestId("pool-autostart")).toHaveText("autostart");
  await expect(card.getByTestId("pool-pf")).toHaveText(`eno2 (${PF})`);
  await expect(card.getByTestId("pool-pf").getByRole("link", { name: PF })).toHaveAttribute("href", `/iommu?device=${PF}`);
  await expect(card.getByTestId("pool-vfs")).toHaveText("none listed: libvirt lists the PF's VFs when the pool starts");
  await expect(card.getByTestId("pool-configs")).toHaveText("no VM's config takes a VF from it");
  await expect(card.getByRole("link", { name: "Remove pool…" })).toHaveAttribute("href", `/wizard?mode=pool-delete&step=review&pool=${POOL}`);
});

test("Make a VF pool of this PF… from the IOMMU map: a second pool of the same name is refused with name-taken", async ({ page }) => {
  await page.goto(`/iommu?device=${PF}`);
  await page.getByTestId("device-detail").getByRole("link", { name: "Make a VF pool of this PF…" }).click();
  await expect(page).toHaveURL(new RegExp(`/wizard\\?mode=pool&pf=${PF}$`));
  const pf = page.getByLabel("PF", { exact: true });
  await expect(pf).toHaveValue(PF);
  // The PF's choice names the pool already on it.
  await expect(pf.locator(`option[value="${PF}"]`)).toHaveText(`${PF} · eno2 · igb · 0 of 7 VFs · pool ${POOL}`);
  await page.getByLabel("Pool name").fill(POOL);
  await page.getByRole("button", { name: "Review the plan" }).click();
  await expect(page.getByTestId("plan-title")).toHaveText("This change is refused");
  await expect(page.getByTestId("refusals").locator("li")).toHaveCount(1);
  await expect(page.getByTestId("refusals").locator('[data-code="name-taken"]')).toHaveText(`libvirt already has a network named ${POOL}`);
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await expect(page.getByTestId("xml-changes")).toHaveCount(0);
  expect(networks().filter((n) => n === POOL)).toHaveLength(1);
});

test("Remove pool… reviews the network XML to remove and takes the pool out of libvirt", async ({ page }) => {
  await page.goto("/vms");
  await page.getByTestId(`pool-${POOL}`).getByRole("link", { name: "Remove pool…" }).click();
  await expect(page).toHaveURL(new RegExp(`mode=pool-delete&step=review&pool=${POOL}$`));
  await expect(page.getByTestId("plan-title")).toHaveText(`Remove VF pool ${POOL}`);
  // Inactive: nothing to stop, only the definition to remove.
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([`virsh net-undefine ${POOL}`]);
  const change = page.getByTestId("xml-change");
  await expect(change).toHaveAttribute("data-op", "remove");
  await expect(change.locator("pre")).toHaveText(diff("-", poolXml(POOL, "eno2")));
  expect(networks()).toContain(POOL);

  await apply(page);
  expect(networks()).not.toContain(POOL);
  await page.goto("/vms");
  await expect(page.getByTestId("vf-pools").getByRole("heading", { name: "VF pools" })).toBeVisible();
  await expect(page.getByTestId(`pool-${POOL}`)).toHaveCount(0);
});

test("a pool on ens1f0 cannot start where libvirt finds no VFs: the apply names the cause and rolls the definition back", async ({ page }) => {
  await page.goto(`/wizard?mode=pool&pool=${BROKEN}&pf=${X710}`);
  // The demo host has 4 VFs on ens1f0, so the plan starts the pool; the machine's libvirtd has no ens1f0.
  await expect(page.getByTestId("plan-title")).toHaveText(`VF pool ${BROKEN} on ens1f0`);
  await expect(page.getByTestId("warnings")).toHaveCount(0);
  await expect(page.getByTestId("plan-steps").locator("code")).toHaveText([
    `virsh net-define pool.xml && virsh net-autostart ${BROKEN}   # <forward mode='hostdev' managed='yes'><pf dev='ens1f0'/>`,
    `virsh net-start ${BROKEN}`,
  ]);
  await expect(page.getByTestId("xml-change").locator("pre")).toHaveText(diff("+", poolXml(BROKEN, "ens1f0")));

  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("failed, rolled back");
  await expect(page.getByTestId("progress-step-0")).toHaveAttribute("data-status", "done");
  await expect(page.getByTestId("progress-step-1")).toHaveAttribute("data-status", "failed");
  await expect(page.getByTestId("progress-step-1").getByTestId("step-error")).toHaveAttribute("data-code", "pool-no-vfs");
  await expect(page.getByTestId("rollback-step")).toHaveAttribute("data-status", "rolled-back");
  await expect(page.getByTestId("rollback-step").locator("code")).toHaveText(`virsh net-undefine ${BROKEN}`);
  const result = page.getByTestId("apply-result");
  await expect(result).toContainText("the PF ens1f0 has no VFs, so the pool has nothing to hand out");
  await expect(result).toContainText("Fix: Create VFs on ens1f0 first (the wizard's SR-IOV flow, or passdeck vfs set), then start the pool.");
  await expect(result).toContainText("Rolled back: the host is as it was before.");
  expect(networks()).not.toContain(BROKEN);
});
