/**
 * Pages and route handlers are bundled apart by Next, each with its own copy of server/context.ts: the services are
 * built once per process, by a route, and a page only borrows them (vi.resetModules gives a second copy here).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";

const work = mkdtempSync(join(tmpdir(), "passdeck-context-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  delete (globalThis as Record<symbol, unknown>)[Symbol.for("passdeck.web-services")];
});

/** A fresh copy of the module, as another bundle would load it, and a spy on the services factory. */
async function freshCopy() {
  vi.resetModules();
  const factory = await import("./services");
  const spy = vi.spyOn(factory, "createServices");
  return { ...(await import("./context")), spy };
}

describe("the web context across bundles", () => {
  it("a page gets no context, and builds no services, before a route has built them", async () => {
    const page = await freshCopy();
    expect(page.existingContext(new Headers())).toBeNull();
    expect(page.spy).not.toHaveBeenCalled();
  });

  it("a page borrows the route's services and reads the caller from its own headers", async () => {
    vi.stubEnv("PASSDECK_DATA_DIR", join(work, "data"));
    const route = await freshCopy();
    const routeContext = route.getContext(null);
    expect(route.spy).toHaveBeenCalledTimes(1);

    const page = await freshCopy();
    const pageContext = page.existingContext(new Headers({ "x-forwarded-for": "192.0.2.7", cookie: "passdeck_session=not-a-session" }));
    expect(page.spy).not.toHaveBeenCalled();
    expect(pageContext?.auth).toBe(routeContext.auth);
    expect(pageContext?.origin).toBe("192.0.2.7");
    // an unknown session cookie is nobody, as it is for the tRPC route
    expect(pageContext?.caller).toBeNull();
    // and a route in the page's copy does not build a second set either
    page.getContext(null);
    expect(page.spy).not.toHaveBeenCalled();
  });
});
