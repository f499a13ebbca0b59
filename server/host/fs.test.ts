import { posix } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveLink } from "./fs";

describe("resolveLink", () => {
  it("resolves sysfs's relative links as join does", () => {
    expect(resolveLink("bus/pci/devices/0000:86:00.0", "../../../devices/pci0000:80/0000:80:02.0/0000:86:00.0")).toBe(
      "devices/pci0000:80/0000:80:02.0/0000:86:00.0",
    );
    expect(resolveLink("class/net/eno1", "../../devices/pci0000:00/0000:00:1f.6/net/eno1")).toBe("devices/pci0000:00/0000:00:1f.6/net/eno1");
  });

  it("gives what path.posix.join(dirname(link), target) gives, for any link and target", () => {
    const segment = fc.constantFrom("", ".", "..", "a", "b", "0000:00:1f.6", "pci0000:00", "...", ".x");
    const path = fc.array(segment, { maxLength: 7 }).map((s) => s.join("/"));
    const rooted = fc.tuple(fc.boolean(), path).map(([abs, p]) => (abs ? `/${p}` : p));
    fc.assert(
      fc.property(rooted, rooted, (link, target) => {
        expect(resolveLink(link, target)).toBe(posix.join(posix.dirname(link), target));
      }),
      { numRuns: 5000 },
    );
  });
});
