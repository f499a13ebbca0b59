/**
 * Who holds a VFIO device, read from procfs trees laid out as the kernel lays them out: a Proxmox VE QEMU on the
 * legacy group API, a libvirt QEMU on iommufd, a QEMU started by hand, and the processes that do not count. The
 * last test reads this machine's real /proc as an unprivileged user: what it may not read is counted, not guessed.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { KernelFs } from "./fs";
import {
  classifyFdTarget,
  describeHold,
  describeHolder,
  holdersByDevice,
  kernelHold,
  managerFromCgroup,
  netnsOwners,
  parseQemuCommandLine,
  scanHolders,
} from "./holders";

const work = mkdtempSync(join(tmpdir(), "passdeck-holders-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface FakeProcess {
  pid: number;
  comm: string;
  argv: string[];
  fds: string[];
  cgroup: string;
  uid?: number;
  startTicks?: number;
}

function procTree(processes: FakeProcess[]): string {
  const root = mkdtempSync(join(work, "proc-"));
  writeFileSync(join(root, "stat"), "cpu  1 2 3 4\nbtime 1796630400\nprocesses 9\n");
  for (const p of processes) {
    const dir = join(root, String(p.pid));
    mkdirSync(join(dir, "fd"), { recursive: true });
    writeFileSync(join(dir, "comm"), `${p.comm}\n`);
    writeFileSync(join(dir, "cmdline"), p.argv.map((a) => `${a}\0`).join(""));
    writeFileSync(join(dir, "status"), `Name:\t${p.comm}\nUid:\t${p.uid ?? 0}\t${p.uid ?? 0}\t${p.uid ?? 0}\t${p.uid ?? 0}\n`);
    // stat: pid (comm) state, then fields 4…; field 22 (index 19 after the comm) is the start time in ticks
    writeFileSync(join(dir, "stat"), `${p.pid} (${p.comm}) S ${Array.from({ length: 18 }, () => "0").join(" ")} ${p.startTicks ?? 12_345} 0 0\n`);
    writeFileSync(join(dir, "cgroup"), `${p.cgroup}\n`);
    p.fds.forEach((target, i) => symlinkSync(target, join(dir, "fd", String(i))));
  }
  return root;
}

const PVE_QEMU: FakeProcess = {
  pid: 4242,
  comm: "kvm",
  argv: [
    "/usr/bin/kvm",
    "-id",
    "101",
    "-name",
    "router,debug-threads=on",
    "-device",
    "vfio-pci,host=0000:3b:02.1,id=hostpci0,bus=ich9-pcie-port-1,addr=0x0",
    "-m",
    "2048",
  ],
  fds: ["/dev/null", "socket:[1234]", "/dev/vfio/vfio", "/dev/vfio/12", "anon_inode:[vfio-device]"],
  cgroup: "0::/qemu.slice/101.scope",
};
const LIBVIRT_QEMU: FakeProcess = {
  pid: 5000,
  comm: "qemu-system-x86",
  argv: [
    "/usr/bin/qemu-system-x86_64",
    "-name",
    "guest=web,debug-threads=on",
    "-uuid",
    "0f0e0d0c-0b0a-0908-0706-050403020100",
    "-device",
    '{"driver":"vfio-pci","host":"0000:3b:02.2","id":"hostdev0","bus":"pci.3"}',
  ],
  fds: ["/dev/iommu", "/dev/vfio/devices/vfio0"],
  cgroup: "0::/machine.slice/machine-qemu\\x2d3\\x2dweb.scope/libvirt/emulator",
  uid: 64055,
};
const HANDMADE: FakeProcess = {
  pid: 6000,
  comm: "qemu-system-x86",
  argv: ["qemu-system-x86_64", "-S", "-nographic", "-name", "guest=handmade", "-device", "vfio-pci,host=3b:02.3"],
  fds: ["/dev/vfio/vfio", "/dev/vfio/14"],
  cgroup: "0::/user.slice/user-0.slice/session-1.scope",
};
const BYSTANDERS: FakeProcess[] = [
  { pid: 1, comm: "systemd", argv: ["/sbin/init"], fds: ["/dev/null", "/dev/kmsg"], cgroup: "0::/init.scope" },
  // a QEMU without passthrough
  {
    pid: 7000,
    comm: "qemu-system-x86",
    argv: ["qemu-system-x86_64", "-device", "virtio-net-pci,netdev=n0"],
    fds: ["/dev/kvm", "/dev/net/tun"],
    cgroup: "0::/user.slice",
  },
];

describe("holders from procfs", () => {
  it("classifies the VFIO files a process can hold, and nothing else", () => {
    expect(
      [
        "/dev/vfio/12",
        "/dev/vfio/noiommu-3",
        "/dev/vfio/devices/vfio7",
        "/dev/vfio/vfio",
        "/dev/iommu",
        "/dev/vfio",
        "/dev/vfio/12x",
        "/dev/kvm",
        "anon_inode:[vfio-device]",
      ].map(classifyFdTarget),
    ).toEqual([
      { kind: "vfio-group", group: 12 },
      { kind: "vfio-group", group: 3 },
      { kind: "vfio-device", cdev: "vfio7" },
      { kind: "vfio-container" },
      { kind: "iommufd" },
      null,
      null,
      null,
      null,
    ]);
  });

  it("reads what a QEMU says about itself: PVE's -id and name, libvirt's guest= and JSON -device, a bare host=", () => {
    expect(parseQemuCommandLine(PVE_QEMU.argv)).toEqual({ guest: { name: "router", uuid: null, vmid: 101 }, declared: ["0000:3b:02.1"] });
    expect(parseQemuCommandLine(LIBVIRT_QEMU.argv)).toEqual({
      guest: { name: "web", uuid: "0f0e0d0c-0b0a-0908-0706-050403020100", vmid: null },
      declared: ["0000:3b:02.2"],
    });
    expect(parseQemuCommandLine(HANDMADE.argv)).toEqual({ guest: { name: "handmade", uuid: null, vmid: null }, declared: ["0000:3b:02.3"] });
    // a comma in a name is written ",," on QEMU's command line
    expect(
      parseQemuCommandLine(["qemu-system-x86_64", "-name", "guest=a,,b,debug-threads=on", "-device", "vfio-pci,sysfsdev=/sys/bus/pci/devices/0000:65:00.0"]),
    ).toEqual({
      guest: { name: "a,b", uuid: null, vmid: null },
      declared: ["0000:65:00.0"],
    });
    expect(parseQemuCommandLine(["/usr/sbin/sshd", "-D"])).toBeNull();
  });

  it("tells the manager from the cgroup: libvirt, Proxmox VE, LXC, none", () => {
    expect(managerFromCgroup(LIBVIRT_QEMU.cgroup)).toEqual({ manager: "libvirt", path: "/machine.slice/machine-qemu\\x2d3\\x2dweb.scope/libvirt/emulator" });
    expect(managerFromCgroup(PVE_QEMU.cgroup).manager).toBe("proxmox");
    expect(managerFromCgroup("0::/lxc.payload.105/init.scope").manager).toBe("lxc");
    expect(managerFromCgroup("12:pids:/\n1:name=systemd:/lxc/105\n").manager).toBe("lxc");
    expect(managerFromCgroup(HANDMADE.cgroup).manager).toBeNull();
  });

  it("finds the holders in a procfs tree and maps them to devices: a group file holds its whole group, a cdev its device", () => {
    const root = procTree([PVE_QEMU, LIBVIRT_QEMU, HANDMADE, ...BYSTANDERS]);
    const scan = scanHolders(root);
    expect(scan.unreadable).toEqual({ count: 0, uids: [] });
    expect(scan.processes.map((p) => [p.pid, p.command, p.manager, p.files, p.declared])).toEqual([
      [4242, "kvm", "proxmox", [{ kind: "vfio-container" }, { kind: "vfio-group", group: 12 }], ["0000:3b:02.1"]],
      [5000, "qemu-system-x86", "libvirt", [{ kind: "iommufd" }, { kind: "vfio-device", cdev: "vfio0" }], ["0000:3b:02.2"]],
      [6000, "qemu-system-x86", null, [{ kind: "vfio-container" }, { kind: "vfio-group", group: 14 }], ["0000:3b:02.3"]],
    ]);
    // btime 1796630400 s + 12,345 ticks (123.45 s)
    expect(scan.processes[0]!.startedAt).toBe(new Date(1796630400_000 + 123_450).toISOString());
    const byDevice = holdersByDevice(
      scan,
      [
        { id: 12, devices: ["0000:3b:02.1"] },
        { id: 13, devices: ["0000:3b:02.2"] },
        { id: 14, devices: ["0000:3b:02.3", "0000:3b:02.4"] },
      ],
      { vfio0: "0000:3b:02.2" },
    );
    expect(Object.fromEntries(Object.entries(byDevice).map(([a, hs]) => [a, hs.map((h) => `${describeHolder(h)} [${h.evidence}]`)]))).toEqual({
      "0000:3b:02.1": ["kvm pid 4242 (VM 101 router, Proxmox VE) [open]"],
      "0000:3b:02.2": ["qemu-system-x86 pid 5000 (VM web, libvirt) [open]"],
      "0000:3b:02.3": ["qemu-system-x86 pid 6000 (VM handmade) [open]"],
      // the group's other device: held too, though the command line does not name it
      "0000:3b:02.4": ["qemu-system-x86 pid 6000 (VM handmade) [open]"],
    });
  });

  it("names the namespace a VF's interface was moved into by its first process, from that process's own sysfs view", () => {
    const LXC_INIT: FakeProcess = { pid: 3100, comm: "systemd", argv: ["/sbin/init"], fds: [], cgroup: "0::/lxc.payload.ct101/init.scope", startTicks: 500 };
    const LXC_CHILD: FakeProcess = { pid: 3150, comm: "sshd", argv: ["sshd"], fds: [], cgroup: "0::/lxc.payload.ct101/system.slice/ssh.service" };
    const root = procTree([...BYSTANDERS, LXC_INIT, LXC_CHILD]);
    // /proc/<pid>/ns/net as the kernel shows it; self is the host's namespace
    mkdirSync(join(root, "self", "ns"), { recursive: true });
    symlinkSync("net:[4026531840]", join(root, "self", "ns", "net"));
    for (const [pid, ns] of [
      [1, "net:[4026531840]"],
      [7000, "net:[4026531840]"],
      [3100, "net:[4026532411]"],
      [3150, "net:[4026532411]"],
    ] as const) {
      mkdirSync(join(root, String(pid), "ns"), { recursive: true });
      symlinkSync(ns, join(root, String(pid), "ns", "net"));
    }
    // the container's sysfs (its own mount, in its namespace) shows eth0 on the VF
    mkdirSync(join(root, "3100", "root", "sys", "class", "net", "eth0"), { recursive: true });
    symlinkSync("../../../0000:3b:02.5", join(root, "3100", "root", "sys", "class", "net", "eth0", "device"));
    expect(netnsOwners(root, ["0000:3b:02.5", "0000:3b:02.6"])).toEqual({
      "0000:3b:02.5": {
        pid: 3100,
        command: "systemd",
        guest: null,
        manager: "lxc",
        startedAt: new Date(1796630400_000 + 5_000).toISOString(),
        evidence: "netns",
      },
    });
    expect(describeHold({ kernel: "netns", holders: [netnsOwners(root, ["0000:3b:02.5"])["0000:3b:02.5"]!] })).toBe(
      "held in the network namespace of systemd pid 3100 (LXC): its interface was moved there",
    );
  });

  it("on this machine's /proc as nobody: other users' open files are counted as unreadable, not guessed", () => {
    const script = `const { scanHolders } = require(${JSON.stringify(join(work, "holders.cjs"))}); process.stdout.write(JSON.stringify(scanHolders("/proc").unreadable));`;
    chmodSync(work, 0o755); // nobody loads the module from here
    buildSync({
      entryPoints: [join(__dirname, "holders.ts")],
      outfile: join(work, "holders.cjs"),
      bundle: true,
      platform: "node",
      format: "cjs",
      logLevel: "silent",
    });
    const run = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const unreadable = JSON.parse(run.stdout) as { count: number; uids: number[] };
    // at least this test's own root processes, and nobody's own fds were readable
    expect(unreadable.count).toBeGreaterThan(0);
    expect(unreadable.uids).toContain(0);
    expect(unreadable.uids).not.toContain(65534);
  });
});

describe("kernelHold", () => {
  const sysRoot = mkdtempSync(join(work, "sys-"));
  const dir = "devices/pci0000:00/0000:00:1f.6";
  mkdirSync(join(sysRoot, dir, "net"), { recursive: true }); // an interface moved to another namespace: net/ empty
  const sys = new KernelFs(sysRoot);
  const nic = { address: "0000:00:1f.6", sysfsPath: dir, driver: "e1000e", iommuGroup: 7 };

  it("sees an interface moved to another namespace in an empty net/", () => {
    expect(kernelHold(sys, nic)).toBe("netns");
    expect(kernelHold(sys, nic, new Set(["net", "vendor"]))).toBe("netns");
  });

  it("does not look for net/ where the scan's listing of the device has none", () => {
    expect(kernelHold(sys, nic, new Set(["vendor", "driver"]))).toBeNull();
  });
});
