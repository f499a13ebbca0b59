import { describe, expect, it } from "vitest";
import { describeStep } from "./plan";

describe("describeStep (the dry-run text)", () => {
  it("prints the exact sysfs writes and ip commands a plan would run", () => {
    expect(describeStep({ kind: "write-attribute", device: "0000:3b:00.0", attribute: "sriov_numvfs", value: "0" })).toBe(
      "echo 0 > bus/pci/devices/0000:3b:00.0/sriov_numvfs",
    );
    expect(describeStep({ kind: "write-attribute", device: "0000:3b:02.0", attribute: "driver_override", value: "" })).toBe(
      "echo '' > bus/pci/devices/0000:3b:02.0/driver_override",
    );
    expect(describeStep({ kind: "probe-driver", device: "0000:3b:02.0" })).toBe("echo 0000:3b:02.0 > bus/pci/drivers_probe");
    expect(
      describeStep({ kind: "set-vf", pf: "0000:3b:00.0", netdev: "ens1f0", vf: 2, settings: { mac: "02:00:00:00:00:01", vlan: 100, qos: 0, trust: true } }),
    ).toBe("ip link set ens1f0 vf 2 mac 02:00:00:00:00:01 vlan 100 qos 0 trust on");
    expect(describeStep({ kind: "wait-for", condition: { kind: "vf-count", pf: "0000:3b:00.0", count: 4 }, timeoutMs: 120_000 })).toBe(
      "# wait up to 120 s until 0000:3b:00.0 has 4 virtfn links",
    );
  });
});
