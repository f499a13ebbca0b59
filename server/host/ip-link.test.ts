import { describe, expect, it } from "vitest";
import { parseVfInfo } from "./ip-link";

describe("parseVfInfo", () => {
  it("reads igb's vfinfo_list as the kernel rig showed it", () => {
    // Verbatim shape from `ip -j link show <igb pf>` in the rig (kernel 6.1, iproute2 6.1).
    const json = JSON.stringify([
      {
        ifname: "eth1",
        vfinfo_list: [
          {
            vf: 0,
            link_type: "ether",
            address: "02:11:22:33:44:55",
            broadcast: "ff:ff:ff:ff:ff:ff",
            vlan_list: [{ vlan: 100 }],
            rate: { max_tx: 0, min_tx: 0 },
            spoofchk: false,
            link_state: "auto",
            trust: true,
          },
          {
            vf: 1,
            link_type: "ether",
            address: "00:00:00:00:00:00",
            broadcast: "ff:ff:ff:ff:ff:ff",
            vlan_list: [{}],
            rate: { max_tx: 0, min_tx: 0 },
            spoofchk: true,
            link_state: "auto",
            trust: false,
          },
        ],
      },
    ]);
    expect(parseVfInfo(json)).toEqual([
      { vf: 0, mac: "02:11:22:33:44:55", vlan: 100, qos: 0, spoofchk: false, trust: true, linkState: "auto", minTxRate: 0, maxTxRate: 0 },
      { vf: 1, mac: "00:00:00:00:00:00", vlan: 0, qos: 0, spoofchk: true, trust: false, linkState: "auto", minTxRate: 0, maxTxRate: 0 },
    ]);
  });

  it('accepts the pre-5.3 "mac" key and flat vlan/qos, and a PF without VFs', () => {
    expect(parseVfInfo(JSON.stringify([{ vfinfo_list: [{ vf: 3, mac: "02:AA:00:00:00:01", vlan: 7, qos: 2, tx_rate: 100 }] }]))[0]).toMatchObject({
      vf: 3,
      mac: "02:aa:00:00:00:01",
      vlan: 7,
      qos: 2,
      maxTxRate: 100,
      spoofchk: null,
      trust: null,
    });
    expect(parseVfInfo(JSON.stringify([{ ifname: "eno1" }]))).toEqual([]);
  });
});
