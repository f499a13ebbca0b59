/** Test helper: run the CLI against a simulated host with its stdout/stderr captured and its exit code returned. */
import { vi } from "vitest";
import type { Journal } from "@/server/db/journal";
import type { DesiredStore } from "@/server/desired/store";
import { KernelFs } from "@/server/host/fs";
import type { SimulatedIpLink } from "@/server/simulator/simulated-ip";
import type { SimulatedKernel } from "@/server/simulator/simulated-kernel";
import type { LibvirtService } from "@/server/libvirt/service";
import { runCli } from "./main";

export async function runCliOn(
  argv: string[],
  host: { kernel: SimulatedKernel; ip: SimulatedIpLink },
  data: { journal: Journal; store?: DesiredStore; libvirt?: LibvirtService },
): Promise<{ code: number; out: string; err: string }> {
  vi.stubEnv("PASSDECK_SYS_ROOT", host.kernel.sysRoot);
  vi.stubEnv("PASSDECK_PROC_ROOT", host.kernel.procRoot);
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    await runCli(argv, {
      writeDeps: (inventory) => ({
        inventory,
        sys: new KernelFs(host.kernel.sysRoot),
        writer: host.kernel,
        ip: host.ip,
        journal: () => data.journal,
        ...(data.store ? { desired: () => data.store! } : {}),
        actor: "tester",
        libvirt: data.libvirt ?? null,
        kernelLog: { mark: () => host.kernel.dmesg().length, since: (m) => host.kernel.dmesg().slice(m) },
      }),
    });
  } finally {
    vi.restoreAllMocks();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out: out.join("\n"), err: err.join("\n") };
}
