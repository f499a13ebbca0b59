/**
 * Global setup for the kernel rig's Vitest and Playwright runs: boot the guest once, stop it at the end.
 * A rig that is already running (run.sh boots one for both runners) is reused and left running for its owner.
 */
import { runningRig, startRig, stopRig } from "./rig.mjs";

export default async function rigGlobalSetup(): Promise<() => Promise<void>> {
  process.env.PASSDECK_RIG_E2E = "1";
  const running = runningRig();
  if (running) {
    console.error(`rig: reusing the running rig (QEMU pid ${running.pid}, ${running.serverUrl})`);
    return async () => {};
  }
  await startRig({ detach: false });
  return async () => {
    stopRig();
  };
}
