/** Test helpers: a simulated host with iproute2, and a "reboot" (the same scenario, freshly booted). */
import { PlanExecutor } from "@/server/executor/executor";
import { KernelFs } from "@/server/host/fs";
import { SimulatedIpLink } from "@/server/host/scenarios/simulated-ip";
import type { SimulatedKernelOptions } from "@/server/host/scenarios/simulated-kernel";
import { simulatedHost } from "@/server/plans/testing";

export type TestHost = ReturnType<typeof bootHost>;

/** A freshly booted demo host: the kernel's tree as the scenario describes it, VF settings at the drivers' defaults. */
export function bootHost(workDir: string, scenario = "server", options?: SimulatedKernelOptions) {
  const { kernel, inventory, device } = simulatedHost(workDir, scenario, options);
  const ip = new SimulatedIpLink(kernel.sysRoot);
  const executor = new PlanExecutor({
    sys: new KernelFs(kernel.sysRoot),
    writer: kernel,
    ip,
    kernelLog: { mark: () => kernel.dmesg().length, since: (mark) => kernel.dmesg().slice(mark) },
    // the simulated tree changes synchronously: waits need not wait long between looks
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
  });
  return { kernel, ip, executor, inventory, device };
}
