import { describe, expect, it } from "vitest";
import { describeStep, ipLinkVfArgs } from "./plan";

describe("describeStep (the dry-run text)", () => {
  it("prints the exact sysfs writes and ip commands a plan would run", () => {
    expect(describeStep({ kind: "write-attribute", device: "0000:3b:00.0", attribute: "sriov_numvfs", value: "0" })).toBe(
      "echo 0 > bus/pci/devices/0000:3b:00.0/sriov_numvfs",
    );
    expect(describeStep({ kind: "write-attribute", device: "0000:3b:02.0", attribute: "driver_override", value: "" })).toBe(
      "echo '' > bus/pci/devices/0000:3b:02.0/driver_override",
    );
    expect(describeStep({ kind: "probe-driver", device: "0000:3b:02.0", expectDriver: "vfio-pci" })).toBe(
      "echo 0000:3b:02.0 > bus/pci/drivers_probe   # expect vfio-pci",
    );
    expect(describeStep({ kind: "probe-driver", device: "0000:3b:02.0", expectDriver: "iavf", explicit: true })).toBe(
      "echo 0000:3b:02.0 > bus/pci/drivers/iavf/bind",
    );
    expect(describeStep({ kind: "wait-for", condition: { kind: "vf-count", pf: "0000:3b:00.0", count: 4 }, timeoutMs: 120_000 })).toBe(
      "# wait up to 120 s until 0000:3b:00.0 has 4 VFs (virtfn links with physfn)",
    );
  });

  it("builds ip's argument array with every setting in iproute2's order", () => {
    expect(ipLinkVfArgs("ens1f0", 2, { mac: "02:00:00:00:00:01", vlan: 100, qos: 0, trust: true }).join(" ")).toBe(
      "link set dev ens1f0 vf 2 mac 02:00:00:00:00:01 vlan 100 qos 0 trust on",
    );
    expect(ipLinkVfArgs("ens1f0", 0, { spoofchk: false, state: "auto", minTxRateMbps: 10, maxTxRateMbps: 1000 })).toEqual([
      "link",
      "set",
      "dev",
      "ens1f0",
      "vf",
      "0",
      "spoofchk",
      "off",
      "state",
      "auto",
      "min_tx_rate",
      "10",
      "max_tx_rate",
      "1000",
    ]);
  });
});
