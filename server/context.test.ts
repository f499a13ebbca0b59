import { describe, expect, it } from "vitest";
import { readEnv } from "./env";
import { webWritesRefusal } from "./context";

describe("applying from the browser", () => {
  it("is allowed on loopback, refused beyond it without authentication, unless the network is declared isolated", () => {
    expect(webWritesRefusal(readEnv({}))).toBeNull();
    expect(webWritesRefusal(readEnv({ PASSDECK_HOST: "::1" }))).toBeNull();
    expect(webWritesRefusal(readEnv({ PASSDECK_HOST: "0.0.0.0" }))).toMatch(/listens on 0\.0\.0\.0 without authentication.*applying from the browser is off/);
    expect(webWritesRefusal(readEnv({ PASSDECK_HOST: "0.0.0.0", PASSDECK_UNSAFE_WEB_WRITES: "1" }))).toBeNull();
    expect(() => readEnv({ PASSDECK_UNSAFE_WEB_WRITES: "yes" })).toThrow(/PASSDECK_UNSAFE_WEB_WRITES/);
  });
});
