"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC, type RouterOutputs } from "@/lib/trpc/client";

export type Summary = RouterOutputs["host"]["summary"];
export type GroupList = RouterOutputs["groups"]["list"];
export type DeviceList = RouterOutputs["devices"]["list"];
export type MapFirstScreenData = RouterOutputs["groups"]["firstScreen"];
export type ReadinessList = RouterOutputs["readiness"]["list"];
export type VmList = RouterOutputs["vms"]["list"];

export function useSummary() {
  const trpc = useTRPC();
  return useQuery(trpc.host.summary.queryOptions());
}

export function useGroups() {
  const trpc = useTRPC();
  return useQuery(trpc.groups.list.queryOptions());
}

export function useDevices() {
  const trpc = useTRPC();
  return useQuery(trpc.devices.list.queryOptions());
}

/**
 * The IOMMU map's first screen as the page handed it over (server/api/prefetch.tsx); never fetched by the browser,
 * which asks for groups.list and devices.list instead.
 */
export function useMapFirstScreen() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.groups.firstScreen.queryOptions(), enabled: false });
}

export function useReadiness() {
  const trpc = useTRPC();
  return useQuery(trpc.readiness.list.queryOptions());
}

/** libvirt's VMs with the devices they hold; `available: false` says why when libvirt cannot be read. */
export function useVms() {
  const trpc = useTRPC();
  return useQuery(trpc.vms.list.queryOptions());
}

/** VF pools (libvirt hostdev networks); `available: false` says why when libvirt cannot be read. */
export function usePools() {
  const trpc = useTRPC();
  return useQuery(trpc.vms.pools.queryOptions());
}
