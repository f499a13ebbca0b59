/** Every procedure declares its role, in one table; mutations that change anything need admin. */
import { describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCaller } from "@/server/api/root";
import { errorOf, TEST_ADMIN, writableContext } from "@/server/api/testing";
import { allowed, PROCEDURE_ACCESS } from "./access";
import type { Caller } from "./request";

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

  it("only session.me is public; a viewer reads, an admin does everything", () => {
    expect(
      Object.entries(PROCEDURE_ACCESS as Record<string, string>)
        .filter(([, a]) => a === "public")
        .map(([p]) => p),
    ).toEqual(["session.me"]);
    expect(allowed("viewer", null)).toBe(false);
    expect(allowed("viewer", "viewer")).toBe(true);
    expect(allowed("admin", "viewer")).toBe(false);
    expect(allowed("admin", "admin")).toBe(true);
    expect(allowed("public", null)).toBe(true);
  });
});

describe("the guard on every procedure", () => {
  const work = mkdtempSync(join(tmpdir(), "passdeck-guard-"));
  const base = writableContext(work).ctx;
  const viewer: Caller = { name: "vera", role: "viewer", via: "session", source: "192.0.2.7", crossOrigin: null };
  const call = (caller: Caller | null, path: string) => {
    const proxy = createCaller({ ...base, caller }) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
    const [noun, verb] = path.split(".") as [string, string];
    // The guard runs before the input is parsed: an empty input reaches it for every procedure.
    return proxy[noun]![verb]!({});
  };

  it.each(Object.keys(PROCEDURE_ACCESS).filter((p) => PROCEDURE_ACCESS[p as keyof typeof PROCEDURE_ACCESS] !== "public"))(
    "%s refuses a caller who has not signed in",
    async (path) => {
      const err = await errorOf(call(null, path));
      expect(err.code).toBe("UNAUTHORIZED");
      expect(err.message).toMatch(/sign in first/);
    },
  );

  it.each(Object.keys(PROCEDURE_ACCESS).filter((p) => PROCEDURE_ACCESS[p as keyof typeof PROCEDURE_ACCESS] === "admin"))(
    "%s refuses a viewer",
    async (path) => {
      const err = await errorOf(call(viewer, path));
      expect(err.code).toBe("FORBIDDEN");
      expect(err.message).toBe(`${path} needs the admin role; vera is a viewer`);
    },
  );

  it("a cookie mutation from another origin is refused even for an admin; the same one with a token is audited", async () => {
    const forged: Caller = { ...TEST_ADMIN, crossOrigin: "this request comes from http://evil.example" };
    const err = await errorOf(call(forged, "markers.annotate"));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/evil\.example/);
    // reads are not mutations: SameSite=Strict keeps the cookie off them, and CORS keeps the answer from the page
    await expect(call(forged, "targets.list")).resolves.toBeTruthy();

    const { ctx, auth } = writableContext(mkdtempSync(join(tmpdir(), "passdeck-guard-")));
    const token: Caller = { name: "token ci", role: "admin", via: "token", source: "192.0.2.9", crossOrigin: null };
    await createCaller({ ...ctx, caller: token }).markers.annotate({ atMs: Date.now(), text: "from a script" });
    const audited = auth.audit.list().find((e) => e.action === "token-mutation");
    expect(audited).toMatchObject({ actor: "token ci", source: "192.0.2.9", detail: "markers.annotate" });
  });
});
