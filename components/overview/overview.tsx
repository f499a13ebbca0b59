"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { useDevices, useReadiness, useSummary } from "@/components/data/queries";
import { deviceName, plural } from "@/components/data/format";
import { HeldBadge, HostCriticalBadge, HostNoticeBadge, SriovBadge } from "@/components/iommu/badges";
import { describeHold, isHeld } from "@/lib/holds";
import { countStatuses, verdictText } from "@/components/readiness/status";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader, CardTitle } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { CheckIcon, CrossIcon, WarnIcon } from "@/components/ui/icons";
import { ErrorPanel, Loading } from "@/components/ui/states";

function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div>
      <div className="text-xs text-slate-500">{label}</div>
      <div className="text-2xl font-semibold text-slate-900 tabular-nums" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

const linkCls = "font-medium text-blue-700 underline underline-offset-2 hover:text-blue-900";

export function Overview() {
  const summary = useSummary();
  const readiness = useReadiness();
  const devices = useDevices();
  if (summary.isPending) return <Loading what="the host" />;
  if (summary.isError) return <ErrorPanel error={summary.error} what="the host" />;
  const s = summary.data;
  const { iommu, cpu } = s.facts;
  const counts = readiness.data ? countStatuses(readiness.data.checks) : null;
  const all = devices.data?.devices ?? [];
  const pfs = all.filter((d) => d.sriov !== null);
  const critical = all.filter((d) => d.hostCritical.length > 0 && d.bridge === null);
  const noticed = all.filter((d) => d.hostCritical.length === 0 && d.hostNotices.length > 0);
  const held = all.filter((d) => isHeld(d.hold));
  const byClass = [
    ["GPU", all.filter((d) => d.classId.startsWith("03")).length],
    ["NIC", all.filter((d) => d.classId.startsWith("02") && d.physfn === null).length],
    ["VF", all.filter((d) => d.physfn !== null).length],
    ["Storage", all.filter((d) => d.classId.startsWith("01")).length],
    ["USB", all.filter((d) => d.classId.startsWith("0c03")).length],
    ["Bridges/ports", all.filter((d) => d.bridge !== null).length],
  ] as const;

  return (
    <div>
      <h1 className="text-xl font-semibold tracking-tight">Overview</h1>
      <p className="mt-1 text-sm text-slate-600">
        What this host offers for PCIe passthrough and SR-IOV, read from sysfs. Nothing on this page changes the host.
      </p>
      <div className="mt-4 grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        <Card data-testid="card-readiness" className={cn("border-l-4", s.ready ? "border-l-emerald-500" : "border-l-red-600")}>
          <CardHeader>
            <CardTitle>Readiness</CardTitle>
          </CardHeader>
          <CardBody>
            <p
              data-testid="overview-readiness-verdict"
              className={cn("flex items-center gap-2 text-lg font-semibold", s.ready ? "text-emerald-800" : "text-red-800")}
            >
              {s.ready ? <CheckIcon width={18} height={18} /> : <CrossIcon width={18} height={18} />}
              {verdictText(s.ready, counts?.fail ?? 0)}
            </p>
            {counts ? (
              <p className="mt-1 text-sm">
                <span data-testid="overview-fail-count">{plural(counts.fail, "fail")}</span>,{" "}
                <span data-testid="overview-warn-count">{plural(counts.warn, "warning")}</span>, {counts.pass} pass, {counts.info} info
              </p>
            ) : null}
            <p className="mt-2">
              <Link href="/readiness" className={linkCls}>
                Open the readiness checklist
              </Link>
            </p>
          </CardBody>
        </Card>

        <Card data-testid="card-iommu" className={cn("border-l-4", iommu.enabled ? "border-l-emerald-500" : "border-l-red-600")}>
          <CardHeader>
            <CardTitle>IOMMU</CardTitle>
            <Badge tone={iommu.enabled ? "green" : "red"} data-testid="overview-iommu-state">
              {iommu.enabled ? <CheckIcon /> : <CrossIcon />}
              {iommu.enabled ? "on" : "off"}
            </Badge>
          </CardHeader>
          <CardBody>
            <div className="grid grid-cols-2 gap-3">
              <Stat label="IOMMU groups" value={s.groupCount} testId="overview-group-count" />
              <Stat label="Not isolated" value={s.sharedGroupCount} testId="overview-shared-count" />
            </div>
            <dl className="mt-2 grid grid-cols-[8rem_minmax(0,1fr)] gap-y-0.5 text-[13px]">
              <dt className="text-slate-500">Vendor</dt>
              <dd data-testid="overview-iommu-vendor">
                {iommu.vendor === "intel" ? "Intel VT-d" : iommu.vendor === "amd" ? "AMD-Vi" : "none detected"}
                {iommu.acpiTable ? <span className="text-slate-500"> (ACPI {iommu.acpiTable})</span> : null}
              </dd>
              <dt className="text-slate-500">Units</dt>
              <dd className="font-mono">{iommu.units.length ? iommu.units.join(", ") : "none"}</dd>
              <dt className="text-slate-500">Interrupt remap</dt>
              <dd>{iommu.interruptRemapping}</dd>
            </dl>
            <p className="mt-2">
              <Link href="/iommu" className={linkCls}>
                {iommu.enabled ? "Open the IOMMU group map" : "Why there is no group map"}
              </Link>
            </p>
          </CardBody>
        </Card>

        <Card data-testid="card-devices">
          <CardHeader>
            <CardTitle>PCI devices</CardTitle>
          </CardHeader>
          <CardBody>
            <Stat label="PCI functions" value={s.deviceCount.toLocaleString("en-US")} testId="overview-device-count" />
            <ul className="mt-2 flex flex-wrap gap-1.5 text-xs">
              {byClass
                .filter(([, n]) => n > 0)
                .map(([label, n]) => (
                  <li key={label}>
                    <Badge tone="neutral">
                      {label} <span className="font-mono">{n}</span>
                    </Badge>
                  </li>
                ))}
            </ul>
            <dl className="mt-2 grid grid-cols-[8rem_minmax(0,1fr)] gap-y-0.5 text-[13px]">
              <dt className="text-slate-500">CPU</dt>
              <dd>
                {cpu.model ?? "unknown"} <span className="text-slate-500">({cpu.virtualization ? `${cpu.virtualization}` : "no vmx/svm"})</span>
              </dd>
              <dt className="text-slate-500">vfio-pci</dt>
              <dd>{s.facts.vfio.pciDriverLoaded ? "loaded" : "not loaded"}</dd>
              <dt className="text-slate-500">Default route</dt>
              <dd className="font-mono">
                {[
                  s.facts.defaultRoute.ipv4 && `${s.facts.defaultRoute.ipv4} (IPv4)`,
                  s.facts.defaultRoute.ipv6 && `${s.facts.defaultRoute.ipv6} (IPv6)`,
                  ...s.facts.defaultRoute.ipv6Ra.map((i) => `${i} (IPv6, router-advertised)`),
                ]
                  .filter(Boolean)
                  .join(", ") || "none"}
              </dd>
            </dl>
          </CardBody>
        </Card>

        <Card data-testid="card-sriov">
          <CardHeader>
            <CardTitle>SR-IOV physical functions</CardTitle>
            <span className="text-xs text-slate-500">{s.physicalFunctionCount}</span>
          </CardHeader>
          <CardBody>
            {pfs.length === 0 ? (
              <p className="text-slate-500">No SR-IOV capable device (no sriov_totalvfs anywhere).</p>
            ) : (
              <ul className="space-y-1.5">
                {pfs.map((d) => (
                  <li key={d.address} data-testid={`overview-pf-${d.address}`} className="flex flex-wrap items-center gap-x-2 gap-y-0.5">
                    <Link href={`/iommu?device=${d.address}`} className="font-mono text-[13px] text-blue-800 hover:underline">
                      {d.address}
                    </Link>
                    <SriovBadge sriov={d.sriov!} />
                    <span className="min-w-0 truncate text-[13px] text-slate-700">{deviceName(d)}</span>
                    {d.sriov!.totalVfs === 0 ? <Badge tone="amber">totalvfs 0: off in firmware</Badge> : null}
                  </li>
                ))}
              </ul>
            )}
          </CardBody>
        </Card>

        <Card data-testid="card-host-critical" className="border-l-4 border-l-red-600">
          <CardHeader>
            <CardTitle>Host-critical devices</CardTitle>
            <span className="text-xs text-slate-500">{s.hostCriticalCount}</span>
          </CardHeader>
          <CardBody>
            <p className="mb-2 text-[13px] text-slate-600">Passing one of these through cuts the host off from its disk or network.</p>
            {critical.length === 0 ? (
              <p className="text-slate-500">None found.</p>
            ) : (
              <ul className="space-y-2">
                {critical.map((d) => (
                  <li key={d.address} data-testid={`overview-critical-${d.address}`}>
                    <div className="flex flex-wrap items-center gap-2">
                      <Link href={`/iommu?device=${d.address}`} className="font-mono text-[13px] text-blue-800 hover:underline">
                        {d.address}
                      </Link>
                      <HostCriticalBadge reasons={d.hostCritical} />
                      <span className="min-w-0 truncate text-[13px]">{deviceName(d)}</span>
                    </div>
                    <ul className="ml-4 list-disc text-[13px] text-red-900">
                      {d.hostCritical.map((r) => (
                        <li key={r}>{r}</li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
            )}
            {noticed.length > 0 ? (
              <div className="mt-3 border-t border-slate-100 pt-2" data-testid="overview-host-notices">
                <p className="mb-1 text-[13px] text-slate-600">Not host-critical, but a change drops what the host has there (acknowledge to go on):</p>
                <ul className="space-y-2">
                  {noticed.map((d) => (
                    <li key={d.address} data-testid={`overview-notice-${d.address}`}>
                      <div className="flex flex-wrap items-center gap-2">
                        <Link href={`/iommu?device=${d.address}`} className="font-mono text-[13px] text-blue-800 hover:underline">
                          {d.address}
                        </Link>
                        <HostNoticeBadge notices={d.hostNotices} />
                        <span className="min-w-0 truncate text-[13px]">{deviceName(d)}</span>
                      </div>
                      <ul className="ml-4 list-disc text-[13px] text-amber-900">
                        {d.hostNotices.map((r) => (
                          <li key={r}>Host notice: {r}</li>
                        ))}
                      </ul>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
          </CardBody>
        </Card>

        <Card data-testid="card-held" className={cn(held.length > 0 && "border-l-4 border-l-sky-500")}>
          <CardHeader>
            <CardTitle>In use now</CardTitle>
            <span className="text-xs text-slate-500" data-testid="overview-held-count">
              {held.length}
            </span>
          </CardHeader>
          <CardBody>
            <p className="mb-2 text-[13px] text-slate-600">
              Devices a process has open (a VM&apos;s QEMU, by any manager) or whose interface a namespace took, as the kernel shows: no plan unbinds them or
              changes their VF count until they are released.
            </p>
            {held.length === 0 ? (
              <p className="text-slate-500">None: no device is open through vfio-pci, no interface was moved away.</p>
            ) : (
              <ul className="space-y-1.5">
                {held.map((d) => (
                  <li key={d.address} data-testid={`overview-held-${d.address}`}>
                    <div className="flex flex-wrap items-center gap-2">
                      <Link href={`/iommu?device=${d.address}`} className="font-mono text-[13px] text-blue-800 hover:underline">
                        {d.address}
                      </Link>
                      <HeldBadge hold={d.hold!} />
                      <span className="min-w-0 truncate text-[13px]">{deviceName(d)}</span>
                    </div>
                    <p className="ml-4 text-[13px] text-sky-950" data-testid="overview-held-text">
                      {describeHold(d.hold!)}
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </CardBody>
        </Card>

        <Card data-testid="card-warnings" className={cn(s.warnings.length > 0 && "border-l-4 border-l-amber-500")}>
          <CardHeader>
            <CardTitle>Scan warnings</CardTitle>
            <span className="text-xs text-slate-500">{s.warnings.length}</span>
          </CardHeader>
          <CardBody>
            {s.warnings.length === 0 ? (
              <p className="text-slate-500">None: every attribute Passdeck looks for was readable.</p>
            ) : (
              <ul className="space-y-1 text-[13px]">
                {s.warnings.map((w) => (
                  <li key={w} className="flex gap-1.5 text-amber-950">
                    <WarnIcon className="mt-0.5 shrink-0" />
                    <span className="break-words">{w}</span>
                  </li>
                ))}
              </ul>
            )}
          </CardBody>
        </Card>
      </div>
    </div>
  );
}
