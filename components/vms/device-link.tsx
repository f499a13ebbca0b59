import Link from "next/link";

/** A PCI address linking to the IOMMU map's device detail. */
export function DeviceLink({ address }: { address: string }) {
  return (
    <Link href={`/iommu?device=${address}`} className="font-mono text-blue-800 hover:underline">
      {address}
    </Link>
  );
}
