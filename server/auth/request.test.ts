import { describe, expect, it } from "vitest";
import { buildHostPolicy } from "@/server/http/hosts.mjs";
import { bearerToken, cookieValue, crossOriginRefusal, sessionCookie, sessionCookieName, sessionToken } from "./request";

const h = (o: Record<string, string>) => new Headers(o);
/** A host at 10.0.0.5 named hv.lan, serving on 7878. */
const policy = buildHostPolicy({ bindHost: "0.0.0.0", port: 7878, scheme: "http", facts: { addresses: ["10.0.0.5", "fe80::5"], hostnames: ["hv.lan"] } });

describe("what a request says about its caller", () => {
  it("finds the session cookie among others and the bearer token", () => {
    expect(cookieValue(h({ cookie: "a=1; passdeck_session=abc.def; b=2" }), "passdeck_session")).toBe("abc.def");
    expect(cookieValue(h({ cookie: "xpassdeck_session=1" }), "passdeck_session")).toBeNull();
    expect(bearerToken(h({ authorization: "Bearer pdk_xyz" }))).toBe("pdk_xyz");
    expect(bearerToken(h({ authorization: "Basic dXNlcjpwdw==" }))).toBeNull();
  });

  it("reads the cookie under the name the scheme uses: under TLS only the __Host- one", () => {
    expect([sessionCookieName(false), sessionCookieName(true)]).toEqual(["passdeck_session", "__Host-passdeck_session"]);
    const both = "passdeck_session=plain; __Host-passdeck_session=secure";
    expect(sessionToken(h({ cookie: both }))).toBe("plain");
    expect(sessionToken(h({ cookie: both, "x-forwarded-proto": "https" }))).toBe("secure");
    // A cookie planted without the prefix (by a plain-HTTP page, or another host's) is not read under TLS.
    expect(sessionToken(h({ cookie: "passdeck_session=planted", "x-forwarded-proto": "https" }))).toBeNull();
  });

  it("accepts a mutation only from the dashboard's own origin: a name on the allow-list, this scheme and port", () => {
    const refusal = (o: Record<string, string>) => crossOriginRefusal(h(o), policy);
    expect(refusal({ origin: "http://10.0.0.5:7878", host: "10.0.0.5:7878" })).toBeNull();
    expect(refusal({ origin: "https://hv.lan:7878", host: "hv.lan:7878", "x-forwarded-proto": "https" })).toBeNull();
    // Another name of this same host, same scheme and port: the same server.
    expect(refusal({ origin: "http://hv.lan:7878", host: "10.0.0.5:7878" })).toBeNull();
    expect(refusal({ origin: "http://evil.example", host: "10.0.0.5:7878" })).toBe(
      "this request comes from http://evil.example, not from Passdeck's own pages at http://10.0.0.5:7878: changes are only accepted from the dashboard itself (scripts use an API token)",
    );
    // DNS rebinding: the attacker's name in both Origin and Host, so they match each other but not the list.
    expect(refusal({ origin: "http://rebind.attacker.example:7878", host: "rebind.attacker.example:7878" })).toMatch(
      /^this request comes from http:\/\/rebind\.attacker\.example:7878, not from Passdeck's own pages/,
    );
    // the scheme matters: a page on plain http of the same host is another origin than the TLS dashboard
    expect(refusal({ origin: "http://hv.lan:7878", host: "hv.lan:7878", "x-forwarded-proto": "https" })).toMatch(/comes from http:\/\/hv\.lan/);
    // so does the port: another service on this host is another origin
    expect(refusal({ origin: "http://hv.lan:8080", host: "hv.lan:7878" })).toMatch(/comes from http:\/\/hv\.lan:8080/);
    expect(refusal({ origin: "null", host: "hv.lan:7878" })).toMatch(/comes from null/);
    expect(refusal({ "sec-fetch-site": "same-origin", host: "hv.lan" })).toBeNull();
    expect(refusal({ "sec-fetch-site": "cross-site", host: "hv.lan" })).toMatch(/cross-site, not same-origin/);
    expect(refusal({ host: "hv.lan" })).toMatch(/no Origin header.*API token/);
  });

  it("writes the cookie HttpOnly, SameSite=Strict, and over TLS Secure under the __Host- prefix", () => {
    expect(sessionCookie("v", { maxAgeS: 43200, secure: false })).toBe("passdeck_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
    expect(sessionCookie("v", { maxAgeS: 43200, secure: true })).toBe("__Host-passdeck_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure");
    expect(sessionCookie("v", { maxAgeS: 0, secure: false })).toBe("passdeck_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    expect(sessionCookie("v", { maxAgeS: 0, secure: true })).toBe("__Host-passdeck_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
  });
});
