/**
 * The journal page on the server demo host. The entries are made for real: plans applied by the executor to the
 * same scenario's simulated kernel and journaled into the data directory the demo server reads.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { openHostDatabase } from "@/server/db/database";
import { Journal } from "@/server/db/journal";
import { applyJournaled } from "@/server/executor/journaled-apply";
import { planVfCount } from "@/server/plans/planner";
import { planOf, simulatedHost } from "@/server/plans/testing";
import { journalDir } from "./journal-dir";

const PF = "0000:3b:00.1";

test("the journal lists applied and rolled-back plans with their steps and the decoded failure", async ({ page }) => {
  const journal = new Journal(openHostDatabase(journalDir("server")));
  const work = mkdtempSync(join(tmpdir(), "passdeck-e2e-journal-"));
  const meta = { actor: "e2e", source: "cli" as const };

  const ok = simulatedHost(work);
  const applied = await applyJournaled(ok.executor, journal, planOf(planVfCount(ok.inventory(), PF, 3)), meta, () => null);
  const short = simulatedHost(work, "server", { pfQuirks: { [PF]: { maxVfs: 2 } } });
  const failed = await applyJournaled(short.executor, journal, planOf(planVfCount(short.inventory(), PF, 3)), meta, () => null);
  expect([applied.result.ok, failed.result.ok]).toEqual([true, false]);

  await page.goto("/journal");
  const good = page.getByTestId(`journal-entry-${applied.entryId}`);
  await expect(good).toContainText(`Set ${PF} to 3 VFs`);
  await expect(good.getByTestId("journal-status")).toHaveText("applied");
  await expect(good).toContainText("e2e via cli · 2 done");

  const bad = page.getByTestId(`journal-entry-${failed.entryId}`);
  await expect(bad.getByTestId("journal-status")).toHaveText("failed, rolled back");
  await bad.getByRole("button").click();
  const steps = bad.getByTestId("journal-step");
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toContainText(`echo 3 > bus/pci/devices/${PF}/sriov_numvfs`);
  await expect(steps.nth(0)).toContainText(failed.result.steps[0]!.error!.cause);
  await expect(steps.nth(1)).toContainText("rolled-back");
  await expect(steps.nth(1)).toContainText(`echo 0 > bus/pci/devices/${PF}/sriov_numvfs`);
});
