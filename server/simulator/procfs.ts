/** procfs: the kernel's identity (cmdline, version, hostname), cpuinfo, modules, and the tables of the other procfs-* modules. */
import { formatCmdline } from "@/server/host/formats/cmdline";
import { type CpuinfoBlock, formatCpuinfo } from "@/server/host/formats/cpuinfo";
import type { Host } from "./host-model";
import { interrupts } from "./procfs-interrupts";
import { mountTables, swaps } from "./procfs-mounts";
import { writeProcNet } from "./procfs-net";
import type { Tree } from "./tree";

export function writeProcfs(t: Tree, h: Host): void {
  const { host } = h.spec;
  t.file("cmdline", formatCmdline(host.cmdline));
  t.attr("version", host.kernelVersion ?? defaultKernelVersion(host.kernelRelease));
  t.attr("sys/kernel/hostname", host.hostname);
  t.attr("sys/kernel/osrelease", host.kernelRelease);
  t.file("cpuinfo", cpuinfo(h));
  // /proc/mounts and /proc/net are links into /proc/self, as on a real procfs
  const { mountinfo, mounts } = mountTables(h);
  t.file("self/mountinfo", mountinfo);
  t.file("self/mounts", mounts);
  t.link("mounts", "self/mounts");
  t.file("swaps", swaps(h));
  writeProcNet(t, h);
  t.link("net", "self/net");
  t.file("interrupts", interrupts(h));
  t.file("modules", procModules(h));
}

export function procModules(h: Host): string {
  return h.modules
    .map((m) => `${m.name} ${moduleSize(m.name)} ${m.usedBy.length} ${m.usedBy.length ? `${m.usedBy.join(",")},` : "-"} Live 0x0000000000000000\n`)
    .join("");
}

function defaultKernelVersion(release: string): string {
  const ubuntu = release.endsWith("-generic");
  return ubuntu
    ? `Linux version ${release} (buildd@lcy02-amd64-080) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov  4 02:06:24 UTC 2024`
    : `Linux version ${release} (build@proxmox) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z)`;
}

function moduleSize(name: string): number {
  let hsh = 0;
  for (const c of name) hsh = (hsh * 31 + c.charCodeAt(0)) >>> 0;
  return ((hsh % 120) + 4) * 4096;
}

function cpuinfo(h: Host): string {
  const c = h.spec.host.cpu;
  const intel = c.vendor === "GenuineIntel";
  const blocks: CpuinfoBlock[] = [];
  for (let cpu = 0; cpu < 2; cpu++) {
    const lines: [string, string | number][] = [
      ["processor", cpu],
      ["vendor_id", c.vendor],
      ["cpu family", c.family],
      ["model", c.modelNumber],
      ["model name", c.model],
      ["stepping", c.stepping],
      ["microcode", intel ? "0x2c" : "0xa20120e"],
      ["cpu MHz", c.mhz.toFixed(3)],
      ["cache size", `${c.cacheKb} KB`],
      ["physical id", 0],
      ["siblings", 2],
      ["core id", cpu],
      ["cpu cores", 2],
      ["apicid", cpu * 2],
      ["initial apicid", cpu * 2],
      ["fpu", "yes"],
      ["fpu_exception", "yes"],
      ["cpuid level", intel ? 32 : 16],
      ["wp", "yes"],
      ["flags", c.flags.join(" ")],
      ...(intel && c.flags.includes("vmx")
        ? ([
            [
              "vmx flags",
              "vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad ept_1gb flexpriority apicv tsc_offset vtpr mtf vapic ept vpid unrestricted_guest vapic_reg vid ple shadow_vmcs ept_mode_based_exec tsc_scaling",
            ],
          ] as [string, string][])
        : []),
      ["bugs", intel ? "spectre_v1 spectre_v2 spec_store_bypass swapgs eibrs_pbrsb rfds bhi" : "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso"],
      ["bogomips", (c.mhz * 2).toFixed(2)],
      ...(intel ? [] : ([["TLB size", "2560 4K pages"]] as [string, string][])),
      ["clflush size", 64],
      ["cache_alignment", 64],
      ["address sizes", intel ? "46 bits physical, 48 bits virtual" : "48 bits physical, 48 bits virtual"],
      ["power management", ""],
    ];
    blocks.push(lines.map(([k, v]) => [k, String(v)]));
  }
  return formatCpuinfo(blocks);
}
