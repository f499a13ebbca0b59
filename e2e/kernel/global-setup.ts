/**
 * Global setup for the kernel rig's Vitest and Playwright runs: boot the guest once, stop it at the end.
 * A rig that is already running (run.sh boots one for both runners) is reused and left running for its owner.
 * The browser specs run signed in as the rig's admin: the session cookie is saved where the Playwright config
 * reads its storage state.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { runningRig, startRig, stopRig } from "./rig.mjs";
import type { RigState } from "./rig.mjs";
import { RIG_STORAGE_STATE } from "./storage-state";

async function saveAdminSession(rig: RigState): Promise<void> {
  const res = await fetch(`${rig.serverUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: rig.serverUrl },
    body: JSON.stringify(rig.auth.admin),
    signal: AbortSignal.timeout(60_000),
  });
  const value = /passdeck_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
  if (res.status !== 200 || !value) throw new Error(`rig: cannot sign in as ${rig.auth.admin.name}: HTTP ${res.status} ${await res.text()}`);
  const cookie = { name: "passdeck_session", value, domain: "127.0.0.1", path: "/", expires: -1, httpOnly: true, secure: false, sameSite: "Strict" };
  mkdirSync(dirname(RIG_STORAGE_STATE), { recursive: true });
  writeFileSync(RIG_STORAGE_STATE, JSON.stringify({ cookies: [cookie], origins: [] }));
}

export default async function rigGlobalSetup(): Promise<() => Promise<void>> {
  process.env.PASSDECK_RIG_E2E = "1";
  const running = runningRig();
  if (running) {
    console.error(`rig: reusing the running rig (QEMU pid ${running.pid}, ${running.serverUrl})`);
    await saveAdminSession(running);
    return () => Promise.resolve();
  }
  const started = await startRig({ detach: false });
  await saveAdminSession(started);
  return () => {
    stopRig();
    return Promise.resolve();
  };
}
