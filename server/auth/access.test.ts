/** Every procedure declares its role, in one table; mutations that change anything need admin. */
import { describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { allowed, PROCEDURE_ACCESS } from "./access";

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: "query" | "mutation" | "subscription" } }>;

describe("PROCEDURE_ACCESS", () => {
  it("names exactly the router's procedures", () => {
    expect(Object.keys(PROCEDURE_ACCESS).sort()).toEqual(Object.keys(procedures).sort());
  });

  it("every mutation needs admin, except a plan preview (it changes nothing)", () => {
    const open = Object.entries(procedures)
      .filter(([path, p]) => p._def.type === "mutation" && PROCEDURE_ACCESS[path as keyof typeof PROCEDURE_ACCESS] !== "admin")
      .map(([path]) => path);
    expect(open).toEqual(["plans.preview"]);
  });

  it("nothing is public yet; a viewer reads, an admin does everything", () => {
    expect(Object.values(PROCEDURE_ACCESS as Record<string, string>).filter((a) => a === "public")).toEqual([]);
    expect(allowed("viewer", null)).toBe(false);
    expect(allowed("viewer", "viewer")).toBe(true);
    expect(allowed("admin", "viewer")).toBe(false);
    expect(allowed("admin", "admin")).toBe(true);
    expect(allowed("public", null)).toBe(true);
  });
});
