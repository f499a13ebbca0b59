// The map's model is shared with the server, which cuts the first screen from it (server/api/routers/groups.ts).
export * from "@/lib/iommu-map";
