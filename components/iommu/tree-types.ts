export type { Matcher } from "@/lib/iommu-map";
export type SelectFn = (address: string) => void;
