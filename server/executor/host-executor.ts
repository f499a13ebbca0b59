import { KernelFs } from "@/server/host/fs";
import type { IpLink } from "@/server/host/ip-link";
import { KernelLog } from "@/server/host/kmsg";
import { KernelSysfsWriter } from "@/server/host/writer";
import type { LibvirtService } from "@/server/libvirt/service";
import { PlanExecutor } from "./executor";

/** The executor over this host's sysfs, iproute2, kernel log and libvirt: what the helper (or a root server) runs. */
export function hostExecutor(sysRoot: string, procRoot: string, ip: IpLink, libvirt: LibvirtService | null): PlanExecutor {
  return new PlanExecutor({
    sys: new KernelFs(sysRoot),
    procRoot,
    writer: new KernelSysfsWriter(sysRoot),
    ip,
    kernelLog: new KernelLog(),
    ...(libvirt ? { libvirt } : {}),
  });
}
