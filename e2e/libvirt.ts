/** The machine's libvirtd for the wizard specs (qemu:///system): virsh with argument arrays; a review's XML diff and its apply. */
import { execFileSync } from "node:child_process";
import { expect, type Page } from "@playwright/test";
import { WIZARD } from "../playwright.config";

/** virsh's output; its error output goes into the thrown error, not onto the console. */
export const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", WIZARD.libvirtUri, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LC_ALL: "C" },
  });

/** Presses Apply on the review and waits for every step to be applied and read back. */
export async function apply(page: Page) {
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("apply-status")).toHaveText("applied");
  await expect(page.getByTestId("apply-result")).toContainText("Applied and verified");
}

/** An XML diff block as the review shows it: "+ " or "- " before each line. */
export const diff = (sign: "+" | "-", lines: string[]) => lines.map((l) => `${sign} ${l}`).join("\n");
