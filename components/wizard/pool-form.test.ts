import { describe, expect, it } from "vitest";
import type { PciDevice } from "@/server/host/types";
import { checkPoolForm, pfChoiceText, poolCreateRequest, poolPfs, toPoolForm } from "./pool-form";

const NAME_RULE = "a pool name is 1 to 50 letters, digits, '_', '.' or '-', starting with a letter or digit";
const device = (address: string, patch: Partial<PciDevice>) => ({ address, driver: null, sriov: null, netdevs: [], ...patch }) as unknown as PciDevice;
const sriov = (numVfs: number, totalVfs: number) => ({ numVfs, totalVfs }) as PciDevice["sriov"];
const netdev = (name: string) => [{ name }] as PciDevice["netdevs"];
const i350 = device("0000:18:00.1", { driver: "igb", sriov: sriov(0, 7), netdevs: netdev("eno2") });
const x710 = device("0000:3b:00.0", { driver: "i40e", sriov: sriov(4, 64), netdevs: netdev("ens1f0") });
const nvme = device("0000:5e:00.0", { driver: "nvme", sriov: sriov(0, 32) }); // SR-IOV, but no interface to name
const onVfio = device("0000:86:00.0", { driver: "vfio-pci", sriov: sriov(0, 8) }); // its interface went with its driver
const vf = device("0000:3b:02.1", { driver: "iavf", netdevs: netdev("ens1f0v1") });
const pfs = poolPfs([i350, nvme, x710, onVfio, vf]);

describe("the New VF pool form", () => {
  it("offers the SR-IOV PFs that have a network interface, as the server plans pools", () => {
    expect(pfs.map((d) => d.address)).toEqual(["0000:18:00.1", "0000:3b:00.0"]);
  });

  it("takes a name the server takes, and the PF", () => {
    expect(checkPoolForm({ name: "eno2.vfs_1", pf: i350.address }, pfs)).toEqual({ pool: "eno2.vfs_1", pf: i350.address, errors: {} });
    expect(checkPoolForm({ name: "p".repeat(50), pf: x710.address }, pfs).errors).toEqual({});
  });

  it("names each mistake, the name's in the server's words", () => {
    for (const name of ["", "-vfs", ".vfs", "my pool", "vfs/eno2", "p".repeat(51), "pöol"])
      expect(checkPoolForm({ name, pf: i350.address }, pfs), name).toEqual({ pool: null, pf: i350.address, errors: { name: NAME_RULE } });
    expect(checkPoolForm({ name: "vfs", pf: "" }, pfs).errors).toEqual({ pf: "choose the PF the pool hands out VFs of" });
    expect(checkPoolForm({ name: "vfs", pf: nvme.address }, pfs)).toEqual({
      pool: "vfs",
      pf: null,
      errors: { pf: "0000:5e:00.0 is not an SR-IOV PF with a network interface on this host" },
    });
  });

  it("says of each PF its interface, driver, VFs and the pools already on it", () => {
    expect(pfChoiceText(i350, [])).toBe("0000:18:00.1 · eno2 · igb · 0 of 7 VFs");
    const pools = [
      { name: "a", pfs: [{ address: x710.address }] },
      { name: "b", pfs: [{ address: null }] },
      { name: "c", pfs: [{ address: x710.address }] },
    ];
    expect(pfChoiceText(x710, pools)).toBe("0000:3b:00.0 · ens1f0 · i40e · 4 of 64 VFs · pool a, c");
  });

  it("turns the URL state into the form and the preview request", () => {
    expect(toPoolForm({ mode: "pool", step: "pool", pool: null, pf: i350.address, entry: null })).toEqual({ name: "", pf: i350.address });
    expect(poolCreateRequest({ mode: "pool", step: "review", pool: "vfs", pf: x710.address, entry: null })).toEqual({
      kind: "pool-create",
      name: "vfs",
      pf: x710.address,
    });
  });
});
