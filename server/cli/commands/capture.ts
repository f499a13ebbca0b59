import { defineCommand } from "../command";
import { UsageError } from "../errors";

export const command = defineCommand({
  name: "capture",
  usage: `Usage: passdeck capture <file.tar.gz>

A snapshot of the sysfs/procfs parts Passdeck reads (never config space), for a bug report; unpacked, it reproduces
this host: PASSDECK_SYS_ROOT=<dir>/sys PASSDECK_PROC_ROOT=<dir>/proc passdeck inventory`,
  options: {},
  async run(services, { positionals }) {
    const file = positionals[0];
    if (!file || !/\.tar\.gz$|\.tgz$/.test(file))
      throw new UsageError("passdeck capture needs an output file ending in .tar.gz, e.g. passdeck capture host.tar.gz");
    const roots = services.hostRoots();
    const { CaptureRecorder, writeCaptureArchive } = await import("@/server/host/capture");
    const recorder = new CaptureRecorder({ sys: roots.sysRoot, proc: roots.procRoot });
    const inv = await services.scan(recorder);
    const { recordHolders, scanHolders } = await import("@/server/host/holders");
    recordHolders(recorder, scanHolders(roots.procRoot), roots.procRoot);
    const { files, bytes } = await writeCaptureArchive(recorder, file);
    console.log(`Captured ${inv.devices.length} PCI functions (${files} files and links, ${(bytes / 1024).toFixed(1)} KiB) to ${file}.`);
    console.log(`Reproduce: mkdir host && tar -xzf ${file} -C host && PASSDECK_SYS_ROOT=$PWD/host/sys PASSDECK_PROC_ROOT=$PWD/host/proc passdeck inventory`);
    return 0;
  },
});
