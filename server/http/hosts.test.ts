/** The Host allow-list, the Origin rule and the X-Forwarded-* rule, as serve.mjs and request.ts apply them. */
import { describe, expect, it } from "vitest";
import {
  buildHostPolicy,
  forwardedView,
  hostRefusal,
  isLoopbackHost,
  misdirectedText,
  normalizeAddress,
  originAllowed,
  parseAllowedHosts,
  parseAuthority,
  parseTrustedProxies,
  tlsChoice,
  type HostPolicy,
} from "./hosts.mjs";

const FACTS = { addresses: ["127.0.0.1", "::1", "192.0.2.10", "2001:db8::10", "fe80::1"], hostnames: ["hv.example.lan"] };
const policy = (over: Partial<Parameters<typeof buildHostPolicy>[0]> = {}): HostPolicy =>
  buildHostPolicy({ bindHost: "0.0.0.0", port: 7878, scheme: "https", facts: FACTS, ...over });

describe("the Host allow-list", () => {
  it("holds localhost, this host's addresses (IPv6 in brackets) and names, PASSDECK_HOST and PASSDECK_ALLOWED_HOSTS", () => {
    expect(policy({ allowedHosts: "dash.example.org, [2001:db8::99],hv.example.lan:8443" })).toEqual({
      scheme: "https",
      port: 7878,
      names: ["localhost", "127.0.0.1", "[::1]", "192.0.2.10", "[2001:db8::10]", "[fe80::1]", "hv.example.lan", "hv", "dash.example.org", "[2001:db8::99]"],
      extra: [{ name: "hv.example.lan", port: 8443 }],
      trustedProxies: [],
    });
    // a wildcard is no name; a named PASSDECK_HOST is
    expect(policy({ bindHost: "::" }).names).not.toContain("[::]");
    expect(policy({ bindHost: "HV-Public.Example.org." }).names).toContain("hv-public.example.org");
    expect(policy({ bindHost: "2001:db8::7" }).names).toContain("[2001:db8::7]");
  });

  it("answers to an allowed name on its own port only; a name given with :port on that port too", () => {
    const p = policy({ allowedHosts: "dash.example.org,hv.example.lan:8443" });
    const direct = (host: string | undefined) => hostRefusal(host, p, { scheme: "https", proxied: false });
    for (const ok of [
      "127.0.0.1:7878",
      "localhost:7878",
      "LOCALHOST.:7878",
      "[::1]:7878",
      "[0:0::1]:7878",
      "192.0.2.10:7878",
      "hv:7878",
      "dash.example.org:7878",
      "hv.example.lan:8443",
    ])
      expect(direct(ok), ok).toBeNull();
    expect(direct("rebind.attacker.example:7878")).toBe("this server does not answer to the name rebind.attacker.example");
    expect(direct("127.0.0.1.nip.io:7878")).toBe("this server does not answer to the name 127.0.0.1.nip.io");
    expect(direct("hv.example.lan:9999")).toBe("this server answers to hv.example.lan on port 7878, not 9999");
    // no port: the scheme's own (443 here), which is not 7878
    expect(direct("dash.example.org")).toBe("this server answers to dash.example.org on port 7878, not 443");
    expect(direct(undefined)).toBe("the request names no host (it has no Host header)");
    for (const bad of ["user@127.0.0.1:7878", "127.0.0.1:7878/x", "127.0.0.1:99999", "http://127.0.0.1:7878", "[::1", "a b", ":7878"])
      expect(direct(bad), bad).toMatch(/is not a host name or address$/);
  });

  it("behind a trusted proxy the name must still be allowed; the port is the proxy's", () => {
    const p = policy({ allowedHosts: "dash.example.org" });
    expect(hostRefusal("dash.example.org", p, { scheme: "https", proxied: true })).toBeNull();
    expect(hostRefusal("dash.example.org:8443", p, { scheme: "https", proxied: true })).toBeNull();
    expect(hostRefusal("rebind.attacker.example", p, { scheme: "https", proxied: true })).toBe(
      "this server does not answer to the name rebind.attacker.example",
    );
  });

  it("the 421 text names the host and how to allow it", () => {
    const p = policy();
    expect(misdirectedText("rebind.attacker.example:7878", "this server does not answer to the name rebind.attacker.example", p)).toBe(
      "421 Misdirected Request: this server does not answer to the name rebind.attacker.example.\n" +
        "Passdeck answers only to the names and addresses of its host, so that a web page elsewhere cannot reach it under a name of its own (DNS rebinding).\n" +
        "If rebind.attacker.example is a name of this host, add it to PASSDECK_ALLOWED_HOSTS (comma-separated, e.g. PASSDECK_ALLOWED_HOSTS=rebind.attacker.example) and restart Passdeck.\n",
    );
    // a port forward: the name with the port the client used
    expect(misdirectedText("fwd.example:17878", "this server does not answer to the name fwd.example", p)).toMatch(
      /PASSDECK_ALLOWED_HOSTS=fwd\.example:17878\)/,
    );
    expect(misdirectedText(undefined, "the request names no host (it has no Host header)", p)).toMatch(/with PASSDECK_ALLOWED_HOSTS \(comma-separated\)\.\n$/);
  });

  it("refuses bad PASSDECK_ALLOWED_HOSTS and PASSDECK_TRUSTED_PROXY entries by name", () => {
    expect(parseAllowedHosts(" a.example , ,b.example:8443,::1")).toEqual({ names: ["a.example", "[::1]"], extra: [{ name: "b.example", port: 8443 }] });
    expect(() => parseAllowedHosts("ok.example,https://hv.example/,*.example,0.0.0.0")).toThrow(
      'PASSDECK_ALLOWED_HOSTS: "https://hv.example/", "*.example", "0.0.0.0" are not host names: give names or addresses, each optionally with :port, separated by commas, without a scheme, path or wildcard (e.g. PASSDECK_ALLOWED_HOSTS=hv.example.lan,192.0.2.10,[2001:db8::10],hv.example.lan:8443)',
    );
    expect(() => parseAllowedHosts("hv.example:0")).toThrow(/^PASSDECK_ALLOWED_HOSTS: "hv.example:0" is not a host name/);
    expect(parseTrustedProxies("127.0.0.1, ::ffff:192.0.2.5,[2001:DB8::5]")).toEqual(["127.0.0.1", "192.0.2.5", "2001:db8::5"]);
    expect(() => parseTrustedProxies("proxy.lan")).toThrow(/^PASSDECK_TRUSTED_PROXY: "proxy.lan" is not an IP address: give each reverse proxy's address/);
    expect(() => policy({ trustedProxies: "10.0.0.0/8" })).toThrow(/"10\.0\.0\.0\/8" is not an IP address/);
  });

  it("knows loopback, normalizes addresses and authorities, and applies TLS beyond loopback unless told off", () => {
    expect(["127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"].every(isLoopbackHost)).toBe(true);
    expect(["0.0.0.0", "::", "192.0.2.10", "hv.example.lan", "128.0.0.1"].some(isLoopbackHost)).toBe(false);
    expect([normalizeAddress("::ffff:192.0.2.7"), normalizeAddress("2001:DB8:0:0::7"), normalizeAddress("nope")]).toEqual(["192.0.2.7", "2001:db8::7", null]);
    expect(parseAuthority("HV.Example.LAN:443")).toEqual({ name: "hv.example.lan", port: 443 });
    expect(parseAuthority("[2001:DB8::1]")).toEqual({ name: "[2001:db8::1]", port: null });
    expect([
      tlsChoice("127.0.0.1", undefined),
      tlsChoice("0.0.0.0", undefined),
      tlsChoice("0.0.0.0", ""),
      tlsChoice("0.0.0.0", "off"),
      tlsChoice("127.0.0.1", "files"),
    ]).toEqual(["off", "self-signed", "self-signed", "off", "files"]);
    expect(() => tlsChoice("0.0.0.0", "on")).toThrow(
      'PASSDECK_TLS is "self-signed" (a certificate made on first start), "files" (with PASSDECK_TLS_CERT and PASSDECK_TLS_KEY) or "off" (plain HTTP), not "on"',
    );
  });
});

describe("the Origin of a signed-in change", () => {
  const p = policy({ allowedHosts: "dash.example.org" });
  const served = { scheme: "https", host: "192.0.2.10:7878" };
  it("is this server: an allowed name with the scheme and port the request was served on", () => {
    expect(originAllowed("https://192.0.2.10:7878", served, p)).toBe(true);
    expect(originAllowed("https://hv.example.lan:7878", served, p)).toBe(true);
    expect(originAllowed("https://[2001:db8::10]:7878", served, p)).toBe(true);
    // behind a proxy on 443: the origin has no port, nor has the forwarded host
    expect(originAllowed("https://dash.example.org", { scheme: "https", host: "dash.example.org" }, p)).toBe(true);
  });

  it("is not a rebinding name, another scheme or port, or anything but a bare origin", () => {
    for (const origin of [
      "https://rebind.attacker.example:7878",
      "http://192.0.2.10:7878",
      "https://192.0.2.10:8443",
      "https://192.0.2.10",
      "https://192.0.2.10:7878/",
      "https://user@192.0.2.10:7878",
      "null",
      "",
      "https://dash.example.org.attacker.example:7878",
    ])
      expect(originAllowed(origin, served, p), origin).toBe(false);
    // the attacker's name in Host too changes nothing: the list decides, not Host
    expect(originAllowed("https://rebind.attacker.example:7878", { scheme: "https", host: "rebind.attacker.example:7878" }, p)).toBe(false);
  });
});

describe("X-Forwarded-* from a trusted proxy only", () => {
  const p = policy({ allowedHosts: "passdeck.example", trustedProxies: "127.0.0.2,192.0.2.53" });
  const headers = { host: "127.0.0.1:7878", "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https", "x-forwarded-host": "passdeck.example" };

  it("from the proxy: the client is the rightmost address that is not a proxy, and scheme and host are the proxy's word", () => {
    expect(forwardedView({ peer: "127.0.0.2", headers, tls: false, policy: p })).toEqual({
      client: "198.51.100.7",
      scheme: "https",
      host: "passdeck.example",
      proxied: true,
    });
    // IPv4-mapped peer on a dual-stack socket is the same proxy
    expect(forwardedView({ peer: "::ffff:127.0.0.2", headers, tls: false, policy: p }).client).toBe("198.51.100.7");
    // the client's own claims lie left of what the proxies appended
    const chained = { ...headers, "x-forwarded-for": "203.0.113.66, 198.51.100.7, 192.0.2.53" };
    expect(forwardedView({ peer: "127.0.0.2", headers: chained, tls: false, policy: p }).client).toBe("198.51.100.7");
    expect(forwardedView({ peer: "127.0.0.2", headers: { ...headers, "x-forwarded-for": "[2001:db8::7]:4711" }, tls: false, policy: p }).client).toBe(
      "2001:db8::7",
    );
    expect(forwardedView({ peer: "127.0.0.2", headers: { ...headers, "x-forwarded-for": "198.51.100.7:4711" }, tls: false, policy: p }).client).toBe(
      "198.51.100.7",
    );
    // a garbled entry leaves the proxy as the source, never what lies left of it
    expect(forwardedView({ peer: "127.0.0.2", headers: { ...headers, "x-forwarded-for": "203.0.113.66, unknown" }, tls: false, policy: p }).client).toBe(
      "127.0.0.2",
    );
    // no forwarded host: the Host the proxy passed on; an odd proto: the socket's scheme
    expect(forwardedView({ peer: "127.0.0.2", headers: { host: "passdeck.example", "x-forwarded-proto": "gopher" }, tls: false, policy: p })).toEqual({
      client: "127.0.0.2",
      scheme: "http",
      host: "passdeck.example",
      proxied: true,
    });
  });

  it("from anyone else: the socket is the fact and the headers are ignored", () => {
    expect(forwardedView({ peer: "127.0.0.1", headers, tls: false, policy: p })).toEqual({
      client: "127.0.0.1",
      scheme: "http",
      host: "127.0.0.1:7878",
      proxied: false,
    });
    expect(forwardedView({ peer: "::ffff:192.0.2.99", headers, tls: true, policy: p })).toEqual({
      client: "192.0.2.99",
      scheme: "https",
      host: "127.0.0.1:7878",
      proxied: false,
    });
    // a forwarded host from a stranger does not make a foreign Host acceptable
    const view = forwardedView({ peer: "127.0.0.1", headers: { ...headers, host: "rebind.attacker.example:7878" }, tls: false, policy: p });
    expect(hostRefusal(view.host, p, { scheme: view.scheme, proxied: view.proxied })).toBe("this server does not answer to the name rebind.attacker.example");
  });
});
