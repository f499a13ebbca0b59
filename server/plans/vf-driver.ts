/**
 * The in-tree VF driver for a PF driver: what a VF binds to on the host and what the guest needs for it
 * (guest driver parity). Unknown pairs are left null rather than guessed.
 */
const VF_DRIVER_OF: Record<string, string> = {
  igb: "igbvf",
  ixgbe: "ixgbevf",
  i40e: "iavf",
  ice: "iavf",
  ixgbevf: "ixgbevf",
  bnxt_en: "bnxt_en",
  mlx5_core: "mlx5_core",
  mlx4_core: "mlx4_core",
  qede: "qede",
  nvme: "nvme",
  be2net: "be2net",
  enic: "enic",
  cxgb4: "cxgb4vf",
  hinic: "hinic",
  octeontx2: "rvu_nicvf",
  sfc: "sfc",
};

export function vfDriverFor(pfDriver: string | null): string | null {
  return pfDriver ? (VF_DRIVER_OF[pfDriver] ?? null) : null;
}
