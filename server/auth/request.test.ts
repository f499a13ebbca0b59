import { describe, expect, it } from "vitest";
import { bearerToken, cookieValue, crossOriginRefusal, sessionCookie } from "./request";

const h = (o: Record<string, string>) => new Headers(o);

describe("what a request says about its caller", () => {
  it("finds the session cookie among others and the bearer token", () => {
    expect(cookieValue(h({ cookie: "a=1; passdeck_session=abc.def; b=2" }), "passdeck_session")).toBe("abc.def");
    expect(cookieValue(h({ cookie: "xpassdeck_session=1" }), "passdeck_session")).toBeNull();
    expect(bearerToken(h({ authorization: "Bearer pdk_xyz" }))).toBe("pdk_xyz");
    expect(bearerToken(h({ authorization: "Basic dXNlcjpwdw==" }))).toBeNull();
  });

  it("accepts a mutation only from the dashboard's own origin", () => {
    expect(crossOriginRefusal(h({ origin: "http://10.0.0.5:7878", host: "10.0.0.5:7878" }))).toBeNull();
    expect(crossOriginRefusal(h({ origin: "https://hv.lan:7878", host: "hv.lan:7878", "x-forwarded-proto": "https" }))).toBeNull();
    expect(crossOriginRefusal(h({ origin: "http://evil.example", host: "10.0.0.5:7878" }))).toBe(
      "this request comes from http://evil.example, not from Passdeck's own pages at http://10.0.0.5:7878: changes are only accepted from the dashboard itself (scripts use an API token)",
    );
    // the scheme matters: a page on plain http of the same host is another origin than the TLS dashboard
    expect(crossOriginRefusal(h({ origin: "http://hv.lan:7878", host: "hv.lan:7878", "x-forwarded-proto": "https" }))).toMatch(/comes from http:\/\/hv\.lan/);
    expect(crossOriginRefusal(h({ "sec-fetch-site": "same-origin", host: "hv.lan" }))).toBeNull();
    expect(crossOriginRefusal(h({ "sec-fetch-site": "cross-site", host: "hv.lan" }))).toMatch(/cross-site, not same-origin/);
    expect(crossOriginRefusal(h({ host: "hv.lan" }))).toMatch(/no Origin header.*API token/);
  });

  it("writes the cookie HttpOnly, SameSite=Strict, and Secure only over TLS", () => {
    expect(sessionCookie("v", { maxAgeS: 43200, secure: false })).toBe("passdeck_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
    expect(sessionCookie("v", { maxAgeS: 43200, secure: true })).toBe("passdeck_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure");
    expect(sessionCookie("v", { maxAgeS: 0, secure: false })).toBe("passdeck_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  });
});
