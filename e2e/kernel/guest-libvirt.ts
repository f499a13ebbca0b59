/** libvirt in the rig's guest, for the tests: virsh with argument arrays, and a minimal VM that needs no OS. */
import { guestExec, guestWrite } from "./rig.mjs";

export async function virsh(...args: string[]): Promise<string> {
  const r = await guestExec(["virsh", "-q", "-c", "qemu:///system", ...args], { timeoutMs: 240_000 });
  if (r.code !== 0) throw new Error(`virsh ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A 64 MiB q35 VM without disk or OS: enough for QEMU to start with a VF (nested TCG). <acpi/> is needed: without it
 * libvirt 9.0 passes -no-acpi, which QEMU 10 no longer accepts.
 */
export async function defineGuestDomain(name: string, devices = ""): Promise<string> {
  const uuid = crypto.randomUUID();
  const xml = `<domain type='qemu'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu><features><acpi/><apic/></features><os><type arch='x86_64' machine='q35'>hvm</type></os><devices>${devices}</devices></domain>`;
  const file = `/tmp/${name}.xml`;
  const w = await guestWrite(file, xml);
  if (!w.ok) throw new Error(`cannot write ${file} in the guest: ${JSON.stringify(w.error)}`);
  await virsh("define", file);
  return uuid;
}

/** Destroys (if running) and undefines the VM; quiet when it is not there. */
export async function undefineGuestDomain(name: string): Promise<void> {
  await guestExec(["virsh", "-q", "-c", "qemu:///system", "destroy", name], { timeoutMs: 120_000 });
  await guestExec(["virsh", "-q", "-c", "qemu:///system", "undefine", name], { timeoutMs: 120_000 });
}
