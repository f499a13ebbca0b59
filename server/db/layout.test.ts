/**
 * The state directories as root prepares them (the helper, at every start): owners and modes through descriptors,
 * nothing followed, a root-owned web/ handed over contents first, what cannot be made safe refused by name.
 * Runs as root (CI does); the other users are nobody (65534) and a uid nobody has (65533).
 */
import { chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareStateDirs, UnsafeStateDir, webDirOwner } from "./layout";

const work = mkdtempSync(join(tmpdir(), "passdeck-layout-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const WEB = { uid: 65534, gid: 65534 };
let n = 0;
const fresh = () => join(work, `d${n++}`);
const facts = (p: string) => {
  const st = lstatSync(p);
  return `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
};

describe("prepareStateDirs", () => {
  it("makes the layout: data dir and host/ root's with the web group, the host database 0640, web/ the web user's", () => {
    const dir = fresh();
    prepareStateDirs({ dataDir: dir, web: WEB });
    expect([facts(dir), facts(join(dir, "host")), facts(join(dir, "host", "passdeck-host.db")), facts(join(dir, "web"))]).toEqual([
      "750 0:65534",
      "750 0:65534",
      "640 0:65534",
      "750 65534:65534",
    ]);
    expect(webDirOwner(dir)).toEqual(WEB);
  });

  it("hands a root-owned web/ over contents first, nested directories included, and leaves symlinks alone", () => {
    const dir = fresh();
    mkdirSync(join(dir, "web", "tls"), { recursive: true });
    writeFileSync(join(dir, "web", "passdeck-web.db"), "", { mode: 0o644 });
    writeFileSync(join(dir, "web", "tls", "key.pem"), "", { mode: 0o600 });
    symlinkSync("/etc/hostname", join(dir, "web", "link"));
    prepareStateDirs({ dataDir: dir, web: WEB });
    expect([facts(join(dir, "web", "passdeck-web.db")), facts(join(dir, "web", "tls")), facts(join(dir, "web", "tls", "key.pem"))]).toEqual([
      "640 65534:65534",
      "750 65534:65534",
      "600 65534:65534",
    ]);
    expect(lstatSync(join(dir, "web", "link")).uid).toBe(0);
    expect(statSync("/etc/hostname").uid).toBe(0);
  });

  it("sets a planted host/ (a symlink, or a directory of another user) aside and never writes through it", () => {
    const dir = fresh();
    const target = join(work, `target${n}`);
    mkdirSync(target, { mode: 0o700 });
    mkdirSync(dir, { mode: 0o750 });
    symlinkSync(target, join(dir, "host"));
    prepareStateDirs({ dataDir: dir, web: WEB });
    expect(readdirSync(target)).toEqual([]);
    const aside = readdirSync(dir).filter((e) => e.startsWith("host.untrusted-"));
    expect(aside.map((a) => readlinkSync(join(dir, a)))).toEqual([target]);
    expect(lstatSync(join(dir, "host")).isDirectory()).toBe(true);

    const other = fresh();
    mkdirSync(join(other, "host"), { recursive: true });
    chownSync(join(other, "host"), 65534, 65534);
    writeFileSync(join(other, "host", "passdeck-host.db"), "planted");
    prepareStateDirs({ dataDir: other, web: WEB });
    expect(readdirSync(other).filter((e) => e.startsWith("host.untrusted-"))).toHaveLength(1);
    expect(facts(join(other, "host"))).toBe("750 0:65534");
    expect(statSync(join(other, "host", "passdeck-host.db")).size).toBe(0);
  });

  it("refuses what it cannot make safe, naming it: a data directory that is a symlink, a web/ of a third user", () => {
    const real = fresh();
    mkdirSync(real);
    const link = fresh();
    symlinkSync(real, link);
    expect(() => prepareStateDirs({ dataDir: link, web: WEB })).toThrow(
      new UnsafeStateDir(`the data directory ${link} is a symlink: point PASSDECK_DATA_DIR at the real directory`),
    );
    const dir = fresh();
    mkdirSync(join(dir, "web"), { recursive: true });
    chownSync(join(dir, "web"), 65533, 65533);
    expect(() => prepareStateDirs({ dataDir: dir, web: WEB })).toThrow(/belongs to uid 65533, neither root nor the web server's user \(uid 65534\)/);
  });
});
