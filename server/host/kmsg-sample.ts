/**
 * /dev/kmsg as the kernel prints it (records, dictionary lines, \xNN escapes), with an SR-IOV failure: shared by the
 * parser's tests and the decoder's, which read the same records.
 */
export const SAMPLE_KMSG = [
  "6,1517,12871000001,-;igb 0000:01:00.0: Intel(R) Gigabit Ethernet Network Connection",
  " SUBSYSTEM=pci",
  " DEVICE=+pci:0000:01:00.0",
  "4,1518,12873345123,-;ixgbe 0000:05:00.0: not enough MMIO resources for SR-IOV",
  " SUBSYSTEM=pci",
  " DEVICE=+pci:0000:05:00.0",
  "3,1519,12873345200,-,caller=T812;ixgbe 0000:05:00.0: Failed to enable PCI sriov: -12",
  "6,1520,12873345300,-;path with backslash \\x5c and tab\\x09end",
  "",
].join("\n");
