/** tokens.create takes an optional expiry as the CLI does; tokens.list shows it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCaller } from "../root";
import { errorOf, writableContext } from "../testing";

const work = mkdtempSync(join(tmpdir(), "passdeck-tokens-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("tokens", () => {
  const { ctx, auth } = writableContext(work);
  const api = createCaller(ctx);

  it("creates a token that expires after the duration given, and lists the expiry", async () => {
    const before = Date.now();
    const t = await api.tokens.create({ name: "ci", role: "viewer", expires: "90d" });
    expect(t.expiresAt).toBeGreaterThanOrEqual(before + 90 * 86_400_000);
    expect(t.expiresAt).toBeLessThanOrEqual(Date.now() + 90 * 86_400_000);
    const forever = await api.tokens.create({ name: "prometheus", role: "viewer" });
    expect(forever.expiresAt).toBeNull();
    expect((await api.tokens.list()).map((x) => [x.name, x.expiresAt])).toEqual([
      ["ci", t.expiresAt],
      ["prometheus", null],
    ]);
    expect(auth.accounts.tokenRole(t.token)).toMatchObject({ name: "ci" });
  });

  it.each([
    ["ninety days", 'the expiry "ninety days" is not a duration: give one like 90d, 12h or 30m'],
    ["0s", 'the expiry "0s" is not a duration: give one like 90d, 12h or 30m'],
    ["20y", "the expiry 20y is longer than 10 years: leave it out for a token that does not expire"],
  ])("refuses the expiry %j with the reason", async (expires, message) => {
    const err = await errorOf(api.tokens.create({ name: "x", role: "viewer", expires }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(JSON.parse(err.message)).toEqual([{ code: "custom", message, path: ["expires"] }]);
  });
});
