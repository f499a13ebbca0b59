import type { KernelFs } from "@/server/host/fs";
import { errnoOf } from "@/server/host/errors";
import { describeHold, isHeld, readHoldsFor } from "@/server/host/holders";
import type { SysfsWriter } from "@/server/host/writer";
import { validatePlan } from "./allow-list";
import { readVfInfo, type IpLink, type VfInfo } from "@/server/host/ip-link";
import { decodeIpLinkVfError, decodeShortfall, decodeSysfsWriteError, type Decoded, type SysfsAttribute, type VfSetting } from "./decode";
import { describeGuestDevice, describeStep, ipLinkVfArgs, type Plan, type PlanResult, type PlanStep, type StepReport, type VfSettings } from "./plan";
import { parseDomainXml } from "@/server/libvirt/domain-xml";
import { LibvirtError } from "@/server/libvirt/errors";
import { buildGuestDeviceXml, definitionHasAddress, definitionHolds } from "@/server/libvirt/hostdev-xml";
import { targetWords, type Domains } from "@/server/libvirt/domains";
import type { Networks } from "@/server/libvirt/networks";

export interface ExecutorDeps {
  /** reads for preconditions and read-back */
  sys: KernelFs;
  /** the only writer */
  writer: SysfsWriter;
  /** the kernel log (/dev/kmsg when readable): a mark before a write, the lines logged since after it */
  kernelLog?: { mark: () => number; since: (mark: number) => string[] };
  /** iproute2, for per-VF settings through the PF */
  ip?: IpLink;
  /** libvirt, for attaching devices to VMs and for VF pools */
  libvirt?: {
    domains: Pick<Domains, "dumpXml" | "attachDevice" | "detachDevice">;
    networks: Pick<Networks, "get" | "definePool" | "start" | "stop" | "undefine">;
  };
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /**
   * the procfs root: with it, an unbind or a VF count change first looks again for holders (a guest may have
   * started since the plan was reviewed), since the kernel would wait for them, without end, inside the write
   */
  procRoot?: string;
}

export class PlanBusy extends Error {
  constructor(readonly runningPlanId: string) {
    super(`another plan (${runningPlanId}) is being applied on this host; wait for it to finish`);
    this.name = "PlanBusy";
  }
}

class StepFailed extends Error {
  /**
   * `applied`: the write went through but the read-back disagrees (fewer VFs than asked), so it must be undone too.
   * `keep`: for a step applied only in part (VF settings before a refused one), which settings of the inverse to run.
   */
  constructor(
    readonly decoded: Decoded,
    readonly applied = false,
    readonly keep: (keyof VfSettings)[] | null = null,
  ) {
    super(decoded.cause);
  }
}

const POLL_MS = 100;
const LIVE_DETACH_WAIT_MS = 10_000;

/**
 * Runs plans one at a time: each step's precondition is re-read, the write is made, the result is read back;
 * on the first failure the steps already done are undone in reverse, each undo verified the same way.
 */
export class PlanExecutor {
  private running: string | null = null;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly deps: ExecutorDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = deps.now ?? (() => Date.now());
  }

  get busyWith(): string | null {
    return this.running;
  }

  async apply(untrusted: unknown, onStep: (report: StepReport) => void = () => undefined): Promise<PlanResult> {
    const plan: Plan = validatePlan(untrusted);
    if (this.running) throw new PlanBusy(this.running);
    this.running = plan.id;
    // A progress listener that throws (a closed browser stream) must never turn into a failed step or stop a rollback.
    const report = (r: StepReport) => {
      try {
        onStep(r);
      } catch {
        /* the journal and the result still have it */
      }
    };
    try {
      return await this.run(plan, report);
    } finally {
      this.running = null;
    }
  }

  private async run(plan: Plan, onStep: (report: StepReport) => void): Promise<PlanResult> {
    const reports: StepReport[] = [];
    const done: { index: number; inverse: PlanStep | null }[] = [];
    for (const [index, planned] of plan.steps.entries()) {
      const started = this.now();
      try {
        await this.perform(planned.step, planned.inverse);
        done.push({ index, inverse: planned.inverse });
        const report: StepReport = { index, status: "done", command: describeStep(planned.step), ms: this.now() - started };
        reports.push(report);
        onStep(report);
      } catch (err) {
        const decoded = err instanceof StepFailed ? err.decoded : unexpected(err);
        const report: StepReport = { index, status: "failed", command: describeStep(planned.step), ms: this.now() - started, error: decoded };
        reports.push(report);
        onStep(report);
        if (err instanceof StepFailed && err.applied) done.push({ index, inverse: partialInverse(planned.inverse, err.keep) });
        const rolledBack = await this.rollBack(done, reports, onStep);
        return { planId: plan.id, ok: false, steps: reports, rolledBack };
      }
    }
    return { planId: plan.id, ok: true, steps: reports, rolledBack: null };
  }

  private async rollBack(done: { index: number; inverse: PlanStep | null }[], reports: StepReport[], onStep: (r: StepReport) => void): Promise<boolean> {
    let clean = true;
    for (const { index, inverse } of [...done].reverse()) {
      if (!inverse) continue;
      const started = this.now();
      try {
        await this.perform(inverse);
        const r: StepReport = { index, status: "rolled-back", command: describeStep(inverse), ms: this.now() - started };
        reports.push(r);
        onStep(r);
      } catch (err) {
        clean = false;
        const r: StepReport = {
          index,
          status: "rollback-failed",
          command: describeStep(inverse),
          ms: this.now() - started,
          error: err instanceof StepFailed ? err.decoded : unexpected(err),
        };
        reports.push(r);
        onStep(r);
      }
    }
    return clean;
  }

  private driverOf(device: string): string | null {
    const link = this.deps.sys.readLinkOptional(`bus/pci/devices/${device}/driver`);
    return link === null ? null : link.slice(link.lastIndexOf("/") + 1);
  }

  /** Fails the step, before any write, when a process or another namespace holds one of these devices now. */
  private refuseHeld(devices: string[], what: string): void {
    if (this.deps.procRoot === undefined) return;
    const holds = readHoldsFor(this.deps.sys, this.deps.procRoot, devices);
    const held = Object.entries(holds).filter(([, h]) => isHeld(h));
    if (held.length === 0) return;
    throw new StepFailed({
      code: "device-held",
      cause: `Not ${what}: ${held.map(([a, h]) => `${a} is ${describeHold(h)}`).join("; ")}. The kernel would wait inside the write until the holder let go.`,
      fix: "Stop the VM or process that holds it (or detach the device from it), then apply the plan again.",
      errno: null,
      kernelLines: [],
    });
  }

  private requireDevice(device: string): void {
    if (!this.deps.sys.exists(`bus/pci/devices/${device}`))
      throw new StepFailed({
        code: "device-gone",
        cause: `${device} no longer exists on this host (removed since the plan was made)`,
        fix: "Refresh the page and make the plan again.",
        errno: null,
        kernelLines: [],
      });
  }

  /** One step: precondition, write, read-back. Throws StepFailed with the decoded cause. */
  private async perform(step: PlanStep, inverse: PlanStep | null = null): Promise<void> {
    switch (step.kind) {
      case "write-attribute": {
        this.requireDevice(step.device);
        const rel = `bus/pci/devices/${step.device}/${step.attribute}`;
        // A zero-length write never reaches the kernel's store(): clearing driver_override takes a newline, as `echo > …` sends.
        const raw = step.value === "" ? "\n" : step.value;
        if (step.attribute === "sriov_numvfs") {
          const vfs = (this.deps.sys.listOptional(`bus/pci/devices/${step.device}`) ?? []).filter((e) => /^virtfn\d+$/.test(e));
          const addresses = vfs.map((v) => this.deps.sys.readLinkOptional(`bus/pci/devices/${step.device}/${v}`)).filter((t): t is string => t !== null);
          if (addresses.length > 0 && String(addresses.length) !== step.value)
            this.refuseHeld(
              addresses.map((t) => t.slice(t.lastIndexOf("/") + 1)),
              `changing ${step.device}'s VF count (it removes these VFs)`,
            );
        }
        const lines = this.write(rel, raw, { attribute: step.attribute, device: step.device, value: step.value });
        const back = (this.deps.sys.readOptional(rel) ?? "").trim();
        if (step.attribute === "sriov_numvfs") {
          // Drivers may enable fewer VFs than asked and still return success: only the read-back tells.
          const got = Number.parseInt(back, 10);
          if (got !== Number(step.value)) throw new StepFailed(decodeShortfall(Number(step.value), Number.isFinite(got) ? got : 0, lines), true);
        } else {
          const normalised = back === "(null)" ? "" : back;
          if (normalised !== step.value) throw new StepFailed(readBackMismatch(rel, step.value, back), true);
        }
        return;
      }
      case "unbind-driver": {
        this.requireDevice(step.device);
        const current = this.driverOf(step.device);
        if (current === null) return; // already unbound: the goal holds
        if (current !== step.driver) throw new StepFailed(stateChanged(step.device, step.driver, current));
        this.refuseHeld([step.device], `unbinding ${step.device} from ${current}`);
        this.write(`bus/pci/devices/${step.device}/driver/unbind`, step.device, { attribute: "unbind", device: step.device, value: step.device });
        const after = this.driverOf(step.device);
        if (after !== null) throw new StepFailed(readBackMismatch(`bus/pci/devices/${step.device}/driver`, "(no driver)", after));
        return;
      }
      case "probe-driver": {
        this.requireDevice(step.device);
        const current = this.driverOf(step.device);
        if (current === step.expectDriver) return;
        if (current !== null) throw new StepFailed(stateChanged(step.device, "(no driver)", current));
        const attribute = step.explicit ? "bind" : "drivers_probe";
        const rel = step.explicit ? `bus/pci/drivers/${step.expectDriver}/bind` : "bus/pci/drivers_probe";
        const lines = this.write(rel, step.device, { attribute, device: step.device, value: step.device }, step.expectDriver);
        // drivers_probe returns success even when no driver took the device: only the link tells.
        if (this.driverOf(step.device) !== step.expectDriver)
          throw new StepFailed(
            decodeSysfsWriteError({
              attribute,
              device: step.device,
              value: step.device,
              errno: null,
              kernelLog: lines,
              context: { ...this.context(step.device), targetDriver: step.expectDriver },
            }),
          );
        return;
      }
      case "set-vf":
        return this.setVf(step, inverse?.kind === "set-vf" ? inverse.settings : {});
      case "attach-device":
      case "detach-device":
        return this.changeDomain(step);
      case "define-pool":
      case "undefine-pool":
      case "start-pool":
      case "stop-pool":
        return this.changePool(step);
      case "wait-for": {
        const condition = step.condition;
        const deadline = this.now() + step.timeoutMs;
        if (condition.kind === "vf-address") {
          for (;;) {
            const target = this.deps.sys.readLinkOptional(`bus/pci/devices/${condition.pf}/virtfn${condition.vf}`);
            const actual = target === null ? null : target.slice(target.lastIndexOf("/") + 1);
            if (actual === condition.address) return;
            if (this.now() >= deadline)
              throw new StepFailed({
                code: "vf-address-differs",
                cause: `VF ${condition.vf} of ${condition.pf} is ${actual ?? "missing"}, not ${condition.address} as computed from sriov_offset/sriov_stride`,
                fix: "Nothing was bound. Refresh the page and make the plan again from the VFs that now exist.",
                errno: null,
                kernelLines: [],
              });
            await this.sleep(POLL_MS);
          }
        }
        const { pf, count } = condition;
        for (;;) {
          if (this.vfCountReached(pf, count)) return;
          if (this.now() >= deadline)
            throw new StepFailed(
              decodeSysfsWriteError({
                attribute: "sriov_numvfs",
                device: pf,
                value: String(count),
                errno: null,
                kernelLog: [],
                context: { timedOut: true },
              }),
            );
          await this.sleep(POLL_MS);
        }
      }
    }
  }

  /**
   * One `ip link set … vf N <setting>` per setting, so a setting the driver refuses (igb and `state`) is reported
   * as that setting, unsupported by that driver; then every setting is read back from vfinfo_list.
   */
  private async setVf(step: Extract<PlanStep, { kind: "set-vf" }>, undoable: VfSettings): Promise<void> {
    const ip = this.deps.ip;
    if (!ip)
      throw new StepFailed({
        code: "iproute2-missing",
        cause: "iproute2 is not available to this executor",
        fix: "Install iproute2.",
        errno: null,
        kernelLines: [],
      });
    this.requireDevice(step.pf);
    const pfDriver = this.driverOf(step.pf);
    const appliedKeys: (keyof VfSettings)[] = [];
    // Settings the plan cannot undo (a first MAC: drivers refuse the zero MAC back) go last, so a refused setting
    // never leaves one of them behind.
    const parts = splitSettings(step.settings);
    const ordered = [
      ...parts.filter(([, part]) => Object.keys(part).every((k) => k in undoable)),
      ...parts.filter(([, part]) => !Object.keys(part).every((k) => k in undoable)),
    ];
    for (const [setting, part, value] of ordered) {
      const r = await ip.run(ipLinkVfArgs(step.netdev, step.vf, part));
      if (r.code !== 0)
        throw new StepFailed(
          decodeIpLinkVfError({ setting, pfNetdev: step.netdev, pfDriver, vf: step.vf, value, stderr: r.stderr, exitCode: r.code }),
          appliedKeys.length > 0,
          appliedKeys,
        );
      appliedKeys.push(...(Object.keys(part) as (keyof VfSettings)[]));
    }
    const info = (await readVfInfo(ip, step.netdev)).find((v) => v.vf === step.vf);
    const mismatch = info ? firstMismatch(step.settings, info) : "the VF is missing from vfinfo_list";
    if (mismatch)
      throw new StepFailed(
        {
          code: "vf-setting-not-kept",
          cause: `${step.netdev} VF ${step.vf}: ip accepted the settings but vfinfo_list does not show ${mismatch}: the ${pfDriver ?? "PF"} driver did not keep it`,
          fix: `Check the kernel log (dmesg) for ${pfDriver ?? "the driver"}'s message; some drivers apply a VF setting only while the VF's driver is loaded, or only when the PF link is up.`,
          errno: null,
          kernelLines: [],
        },
        true,
      );
  }

  /**
   * Attach or detach through libvirt, then read the definition back: the device must be there (with its MAC and VLAN)
   * or gone. A live detach completes when the guest lets go, so its read-back waits a little.
   */
  private async changeDomain(step: Extract<PlanStep, { kind: "attach-device" | "detach-device" }>): Promise<void> {
    const libvirt = this.libvirt().domains;
    const attach = step.kind === "attach-device";
    const what = `${describeGuestDevice(step.device)} ${attach ? "to" : "from"} ${step.domain.name}`;
    const read = async () => parseDomainXml(await libvirt.dumpXml(step.domain.uuid, step.target));
    const named = step.device.type === "pool" ? `a VF from ${step.device.network} with MAC ${step.device.mac}` : step.device.address;
    try {
      const before = await read();
      if (attach && (step.device.type === "pool" ? definitionHolds(before, step.device) : definitionHasAddress(before, step.device.address)))
        throw new StepFailed({
          code: "already-attached",
          cause: `${step.domain.name}'s ${targetWords(step.target)} already has ${named}`,
          fix: "Refresh the VM page; detach it first to change how it is attached.",
          errno: null,
          kernelLines: [],
        });
      if (!attach && !definitionHolds(before, step.device)) return; // already gone: the goal holds
      const xml = buildGuestDeviceXml(step.device);
      if (attach) await libvirt.attachDevice(step.domain.uuid, xml, step.target, what);
      else await libvirt.detachDevice(step.domain.uuid, xml, step.target, what);
      const deadline = this.now() + (attach || step.target === "config" ? 0 : LIVE_DETACH_WAIT_MS);
      for (;;) {
        const after = await read();
        if (definitionHolds(after, step.device) === attach) return;
        if (this.now() >= deadline)
          throw new StepFailed(
            attach
              ? readBackMismatch(`${step.domain.name}'s ${targetWords(step.target)}`, describeGuestDevice(step.device), "without it (or with another MAC/VLAN)")
              : {
                  code: "guest-did-not-release",
                  cause: `${step.domain.name} still has ${named} ${LIVE_DETACH_WAIT_MS / 1000} s after the unplug request: PCIe hot-unplug needs the guest OS to agree`,
                  fix: "Shut the VM down and detach from its persistent config, or release the device inside the guest first.",
                  errno: null,
                  kernelLines: [],
                },
            attach,
          );
        await this.sleep(POLL_MS * 5);
      }
    } catch (err) {
      if (err instanceof LibvirtError) throw new StepFailed(err.decoded);
      throw err;
    }
  }

  private libvirt(): NonNullable<ExecutorDeps["libvirt"]> {
    if (!this.deps.libvirt)
      throw new StepFailed({
        code: "libvirt-missing",
        cause: "libvirt is not available to this executor",
        fix: "Install libvirt and set PASSDECK_LIBVIRT_URI.",
        errno: null,
        kernelLines: [],
      });
    return this.deps.libvirt;
  }

  /** A VF pool defined, started, stopped or removed, each read back with net-info/net-dumpxml. */
  private async changePool(step: Extract<PlanStep, { kind: "define-pool" | "undefine-pool" | "start-pool" | "stop-pool" }>): Promise<void> {
    const networks = this.libvirt().networks;
    const { name, netdev } = step.pool;
    const fail = (code: string, cause: string, fix: string, applied = false) => new StepFailed({ code, cause, fix, errno: null, kernelLines: [] }, applied);
    try {
      const before = await networks.get(name);
      switch (step.kind) {
        case "define-pool": {
          if (before) throw fail("pool-exists", `libvirt already has a network named ${name}`, "Pick another name, or refresh to see it.");
          await networks.definePool(name, netdev);
          const after = await networks.get(name);
          const d = after?.definition;
          if (!after || d?.forwardMode !== "hostdev" || d.pfs.join() !== netdev || !after.autostart)
            throw fail(
              "read-back-mismatch",
              `after net-define, libvirt's network ${name} is not a hostdev pool on ${netdev} that starts at boot`,
              "Check libvirtd's log.",
              after !== null,
            );
          return;
        }
        case "undefine-pool": {
          if (!before) return;
          if (before.active) throw fail("pool-active", `the VF pool ${name} is running`, "Stop it first (the plan does so when nothing uses it).");
          await networks.undefine(name);
          if (await networks.get(name)) throw fail("read-back-mismatch", `libvirt still has the network ${name} after net-undefine`, "Check libvirtd's log.");
          return;
        }
        case "start-pool": {
          if (!before) throw fail("no-such-pool", `libvirt has no network named ${name}`, "Refresh and make the plan again.");
          if (before.active) return;
          await networks.start(name);
          if (!(await networks.get(name))?.active)
            throw fail("read-back-mismatch", `the VF pool ${name} is not active after net-start`, "Check libvirtd's log.", true);
          return;
        }
        case "stop-pool": {
          if (!before?.active) return;
          const used = before.definition?.connections ?? 0;
          if (used > 0)
            throw fail(
              "pool-in-use",
              `the VF pool ${name} has ${used} VF${used === 1 ? "" : "s"} handed to running VMs`,
              "Shut those VMs down first: stopping the pool would not take their VFs back.",
            );
          await networks.stop(name);
          if ((await networks.get(name))?.active)
            throw fail("read-back-mismatch", `the VF pool ${name} is still active after net-destroy`, "Check libvirtd's log.", true);
          return;
        }
      }
    } catch (err) {
      if (err instanceof LibvirtError) throw new StepFailed(err.decoded);
      throw err;
    }
  }

  private vfCountReached(pf: string, count: number): boolean {
    const numvfs = Number.parseInt(this.deps.sys.readOptional(`bus/pci/devices/${pf}/sriov_numvfs`) ?? "-1", 10);
    if (numvfs !== count) return false;
    for (let i = 0; i < count; i++) {
      const target = this.deps.sys.readLinkOptional(`bus/pci/devices/${pf}/virtfn${i}`);
      if (target === null) return false;
      const vf = target.slice(target.lastIndexOf("/") + 1);
      if (this.deps.sys.readLinkOptional(`bus/pci/devices/${vf}/physfn`) === null) return false;
    }
    return this.deps.sys.readLinkOptional(`bus/pci/devices/${pf}/virtfn${count}`) === null;
  }

  /** Sysfs context the decoder uses to name numbers and drivers in its advice. */
  private context(device: string) {
    const int = (name: string) => {
      const n = Number.parseInt(this.deps.sys.readOptional(`bus/pci/devices/${device}/${name}`) ?? "", 10);
      return Number.isFinite(n) ? n : null;
    };
    return { totalVfs: int("sriov_totalvfs"), currentVfs: int("sriov_numvfs"), driver: this.driverOf(device) };
  }

  /** Writes through the one writer; returns the kernel log lines logged meanwhile, or throws the decoded refusal. */
  private write(rel: string, value: string, what: { attribute: SysfsAttribute; device: string; value: string }, targetDriver?: string): string[] {
    const log = this.deps.kernelLog;
    const mark = log?.mark() ?? 0;
    try {
      this.deps.writer.write(rel, value);
    } catch (err) {
      throw new StepFailed(
        decodeSysfsWriteError({
          ...what,
          errno: errnoOf(err) ?? null,
          kernelLog: log ? log.since(mark) : [],
          context: { ...this.context(what.device), ...(targetDriver ? { targetDriver } : {}) },
        }),
      );
    }
    return log ? log.since(mark) : [];
  }
}

/** The inverse of a set-vf step cut down to the settings that were applied before one was refused. */
function partialInverse(inverse: PlanStep | null, keep: (keyof VfSettings)[] | null): PlanStep | null {
  if (!inverse || keep === null || inverse.kind !== "set-vf") return inverse;
  const settings = Object.fromEntries(Object.entries(inverse.settings).filter(([k]) => keep.includes(k as keyof VfSettings))) as VfSettings;
  return Object.keys(settings).length > 0 ? { ...inverse, settings } : null;
}

/** The settings in iproute2's order, each with the part of the settings it sets (vlan carries its qos). */
function splitSettings(s: VfSettings): [VfSetting, VfSettings, string][] {
  const out: [VfSetting, VfSettings, string][] = [];
  if (s.mac !== undefined) out.push(["mac", { mac: s.mac }, s.mac]);
  if (s.vlan !== undefined) out.push(["vlan", { vlan: s.vlan, ...(s.qos !== undefined ? { qos: s.qos } : {}) }, String(s.vlan)]);
  if (s.spoofchk !== undefined) out.push(["spoofchk", { spoofchk: s.spoofchk }, s.spoofchk ? "on" : "off"]);
  if (s.trust !== undefined) out.push(["trust", { trust: s.trust }, s.trust ? "on" : "off"]);
  if (s.state !== undefined) out.push(["state", { state: s.state }, s.state]);
  if (s.minTxRateMbps !== undefined) out.push(["min_tx_rate", { minTxRateMbps: s.minTxRateMbps }, String(s.minTxRateMbps)]);
  if (s.maxTxRateMbps !== undefined) out.push(["max_tx_rate", { maxTxRateMbps: s.maxTxRateMbps }, String(s.maxTxRateMbps)]);
  return out;
}

/** The first setting vfinfo_list does not show as asked, in words; null when all match. */
function firstMismatch(s: VfSettings, v: VfInfo): string | null {
  if (s.mac !== undefined && v.mac !== s.mac) return `mac ${s.mac} (reads ${v.mac})`;
  if (s.vlan !== undefined && v.vlan !== s.vlan) return `vlan ${s.vlan} (reads ${v.vlan})`;
  if (s.qos !== undefined && v.qos !== s.qos) return `qos ${s.qos} (reads ${v.qos})`;
  if (s.spoofchk !== undefined && v.spoofchk !== null && v.spoofchk !== s.spoofchk) return `spoofchk ${s.spoofchk ? "on" : "off"}`;
  if (s.trust !== undefined && v.trust !== null && v.trust !== s.trust) return `trust ${s.trust ? "on" : "off"}`;
  if (s.state !== undefined && v.linkState !== null && v.linkState !== s.state) return `state ${s.state} (reads ${v.linkState})`;
  if (s.maxTxRateMbps !== undefined && v.maxTxRate !== null && v.maxTxRate !== s.maxTxRateMbps) return `max_tx_rate ${s.maxTxRateMbps} (reads ${v.maxTxRate})`;
  if (s.minTxRateMbps !== undefined && v.minTxRate !== null && v.minTxRate !== s.minTxRateMbps) return `min_tx_rate ${s.minTxRateMbps} (reads ${v.minTxRate})`;
  return null;
}

function stateChanged(device: string, expected: string, actual: string): Decoded {
  return {
    code: "state-changed",
    cause: `${device} is bound to ${actual}, not ${expected} as when the plan was made: something else changed the host meanwhile`,
    fix: "Refresh and make the plan again from the current state.",
    errno: null,
    kernelLines: [],
  };
}

function readBackMismatch(rel: string, wanted: string, got: string): Decoded {
  return {
    code: "read-back-mismatch",
    cause: `${rel} reads back ${JSON.stringify(got)} after writing ${JSON.stringify(wanted)}: the kernel did not keep the value`,
    fix: "Check the kernel log (dmesg) for the driver's complaint, then retry.",
    errno: null,
    kernelLines: [],
  };
}

function unexpected(err: unknown): Decoded {
  return {
    code: "unexpected",
    cause: err instanceof Error ? err.message : String(err),
    fix: "This is a Passdeck bug or an unreadable host file; the message names the path.",
    errno: errnoOf(err) ?? null,
    kernelLines: [],
  };
}
