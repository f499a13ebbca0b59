/** Test helpers: a simulated host with iproute2, and a "reboot" (the same scenario, freshly booted). */
import type { SimulatedKernelOptions } from "@/server/simulator/simulated-kernel";
import { simulatedHost } from "@/server/plans/testing";

export type TestHost = ReturnType<typeof bootHost>;

/** A freshly booted demo host: the kernel's tree as the scenario describes it, VF settings at the drivers' defaults. */
export function bootHost(workDir: string, scenario = "server", options?: SimulatedKernelOptions) {
  return simulatedHost(workDir, scenario, options);
}
