import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next";

const ORIGIN = "http://10.0.0.5:7878";
/** What ?next= gives the form: URLSearchParams decodes percent escapes, as the page's useSearchParams does. */
const fromQuery = (query: string) => new URLSearchParams(query).get("next");

describe("safeNext: where the sign-in form goes", () => {
  it("keeps a path on this server, with its query and fragment", () => {
    expect(safeNext("/wizard", ORIGIN)).toBe("http://10.0.0.5:7878/wizard");
    expect(safeNext(fromQuery("next=%2Fjournal%3Fx%3D1"), ORIGIN)).toBe("http://10.0.0.5:7878/journal?x=1");
    expect(safeNext("/latency#live", ORIGIN)).toBe("http://10.0.0.5:7878/latency#live");
    expect(safeNext(null, ORIGIN)).toBe("http://10.0.0.5:7878/");
  });

  it("sends every way out of this origin home instead", () => {
    const attacks = [
      fromQuery("next=/%09/evil.example"),
      fromQuery("next=/%0a/evil.example"),
      fromQuery("next=/%0d%0a/evil.example"),
      "//evil.example",
      "https://evil.example",
      "/\\evil.example",
      "\\/evil.example",
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " //evil.example",
      "http://10.0.0.5:7878.evil.example/",
      "http://10.0.0.5:7879/",
      "https://10.0.0.5:7878/",
      "data:text/html,<script>alert(1)</script>",
    ];
    for (const raw of attacks) {
      const to = safeNext(raw, ORIGIN);
      expect(new URL(to).origin, String(raw)).toBe(ORIGIN);
      expect(to, String(raw)).toBe("http://10.0.0.5:7878/");
    }
  });

  it("a path that normalizes to //host stays a path on this origin", () => {
    const to = safeNext("/.//evil.example", ORIGIN);
    expect(new URL(to).origin).toBe(ORIGIN);
    expect(to).toBe("http://10.0.0.5:7878//evil.example");
    // Loaded as given, the result cannot leave: it is absolute.
    expect(new URL(to, ORIGIN).host).toBe("10.0.0.5:7878");
  });

  it("an absolute URL on this very origin is refused too: next= is a path", () => {
    expect(safeNext("http://10.0.0.5:7878/wizard", ORIGIN)).toBe("http://10.0.0.5:7878/");
  });
});
