/** Host-side helpers for tests that run against the kernel rig's guest (see rig.mjs, topology.mjs). */
import type { InventoryJson } from "@/server/cli/format";
import { guestRun, guestSysfsTruth, runningRig, type RigState } from "./rig.mjs";

/** `passdeck inventory --json`, as the CLI inside the guest prints it. */
export type GuestInventory = InventoryJson;
export type GuestDevice = InventoryJson["devices"][number];

/** One PCI function as the guest kernel shows it in sysfs, read by the rig's agent with plain fs calls (no Passdeck code). */
export interface SysfsDevice {
  group: number;
  address: string;
  vendor: string;
  device: string;
  class: string;
  driver: string | null;
  physfn: string | null;
  totalVfs: number | null;
  numVfs: number | null;
  vfs: string[];
}

export function rig(): RigState {
  const state = runningRig();
  if (!state) throw new Error("the kernel rig is not running (the global setup boots it; or `node e2e/kernel/rig.mjs start`)");
  return state;
}

/** `passdeck inventory --json`, run inside the guest from the checkout's build. */
export async function guestInventory(): Promise<GuestInventory> {
  const out = await guestRun(["node", "dist/passdeck.mjs", "inventory", "--json"], { timeoutMs: 120_000 });
  return JSON.parse(out) as GuestInventory;
}

/** Every device in every IOMMU group with its driver/physfn/virtfn links, as the guest's sysfs shows them. */
export async function sysfsTruth(): Promise<SysfsDevice[]> {
  return (await guestSysfsTruth()).devices;
}

/** Every address under /sys/bus/pci/devices in the guest. */
export async function sysfsPciAddresses(): Promise<string[]> {
  const out = await guestRun(["ls", "/sys/bus/pci/devices"]);
  return out.split(/\s+/).filter(Boolean).sort();
}

/** A tRPC query through the forwarded port (GET, no input); superjson: { result: { data: { json } } }. */
export async function trpcQuery<T>(procedure: string): Promise<T> {
  const res = await fetch(`${rig().serverUrl}/api/trpc/${procedure}`, {
    headers: { authorization: `Bearer ${rig().auth.token}` },
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  if (!res.ok || body.result?.data?.json === undefined) {
    throw new Error(`GET /api/trpc/${procedure}: HTTP ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
  }
  return body.result.data.json;
}

/** Polls fn until ok(value) holds; throws with the last value after timeoutMs. */
export async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) {
      lastError = String(e);
      // A rig that is gone (the stall watchdog ends a guest that stays stalled) will not come back within timeoutMs.
      if (!runningRig()) throw new Error(`the rig stopped while waiting for ${what}: ${String(e)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)} ${lastError}`);
}

/**
 * A QEMU started by hand in the guest, not through libvirt (`-S`: it never runs a vCPU, it only holds the device):
 * `-device vfio-pci,host=<address> -name guest=<name>`. Resolves its pid once vfio-pci shows the device enabled
 * (the open that makes it held).
 */
export async function startHandmadeQemu(address: string, name = "handmade"): Promise<number> {
  const script = `setsid qemu-system-x86_64 -S -nodefaults -display none -machine q35 -accel tcg -m 64 -name guest=${name} -device vfio-pci,host=${address} </dev/null >/tmp/qemu-${name}.log 2>&1 & echo $!`;
  const pid = Number((await guestRun(["sh", "-c", script])).trim());
  await waitFor(
    `QEMU pid ${pid} to open ${address}`,
    async () =>
      (
        await guestRun([
          "sh",
          "-c",
          `cat /sys/bus/pci/devices/${address}/enable; kill -0 ${pid} 2>/dev/null || { echo "QEMU exited: $(cat /tmp/qemu-${name}.log)"; exit 1; }`,
        ])
      ).trim(),
    (v) => v === "1",
    60_000,
    200,
  );
  return pid;
}

/** Ends a process in the guest and waits until it is gone and the device it held is released (enable 0). */
export async function stopGuestProcess(pid: number, address: string): Promise<void> {
  await guestRun(["sh", "-c", `kill ${pid}; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done`]);
  await waitFor(
    `${address} released`,
    async () => (await guestRun(["cat", `/sys/bus/pci/devices/${address}/enable`])).trim(),
    (v) => v === "0",
    30_000,
    200,
  );
}

/**
 * The PF's link up on the rig's LAN, as a host's network manager keeps it (a driver rebind in an earlier test makes
 * a new interface, down), and the SLAAC address the LAN's router advertisement gives it, present.
 */
export async function lanUp(address: string): Promise<string> {
  const netdev = await waitFor(
    `${address}'s interface`,
    async () => (await guestRun(["ls", `/sys/bus/pci/devices/${address}/net`])).trim(),
    (n) => n !== "",
    60_000,
    200,
  );
  await guestRun(["ip", "link", "set", "dev", netdev, "up"]);
  await waitFor(
    `a SLAAC address on ${netdev}`,
    async () => await guestRun(["cat", "/proc/net/if_inet6"]),
    (t) => t.split("\n").some((l) => l.startsWith("fec0") && l.trim().endsWith(` ${netdev}`)),
    60_000,
    200,
  );
  return netdev;
}
