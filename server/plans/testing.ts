/** Test helpers: a demo host with its simulated kernel and an executor wired to it, and plan unwrapping. */
import { join } from "node:path";
import { PlanExecutor } from "@/server/executor/executor";
import type { Plan } from "@/server/executor/plan";
import { KernelFs } from "@/server/host/fs";
import { getScenario } from "@/server/simulator/catalog";
import { SimulatedIpLink } from "@/server/simulator/simulated-ip";
import { SimulatedKernel, type SimulatedKernelOptions } from "@/server/simulator/simulated-kernel";
import { scanInventory } from "@/server/inventory/scan";
import type { LibvirtService } from "@/server/libvirt/service";
import type { PlanOutcome } from "./planner";

let counter = 0;

export function simulatedHost(workDir: string, scenario = "server", options?: SimulatedKernelOptions, libvirt: LibvirtService | null = null) {
  const kernel = SimulatedKernel.create(getScenario(scenario), join(workDir, `${scenario}-${counter++}`), options);
  const ip = new SimulatedIpLink(kernel.sysRoot);
  const executor = new PlanExecutor({
    sys: new KernelFs(kernel.sysRoot),
    writer: kernel,
    ip,
    ...(libvirt ? { libvirt } : {}),
    kernelLog: { mark: () => kernel.dmesg().length, since: (mark) => kernel.dmesg().slice(mark) },
    procRoot: kernel.procRoot,
    // Waits poll the simulated tree, which changes synchronously: no need to wait long between looks.
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
  });
  const inventory = () => scanInventory({ sysRoot: kernel.sysRoot, procRoot: kernel.procRoot });
  const device = (address: string) => inventory().devices.find((d) => d.address === address);
  return { kernel, executor, inventory, device, ip };
}

export function planOf(o: PlanOutcome): Plan {
  if (o.kind !== "plan") throw new Error(`expected a plan: ${JSON.stringify(o)}`);
  return o.plan;
}
