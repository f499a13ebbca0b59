/** MAC addresses for VFs: validation and a generator for stable, locally administered unicast addresses. */
/** A MAC in canonical form: six lowercase hex pairs separated by ':'. */
export const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Unicast (lowest bit of the first byte clear) and not all zeros: what a VF or a guest interface can take. */
export const isUnicastMac = (mac: string): boolean => (Number.parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== "00:00:00:00:00:00";

export type MacCheck = { ok: true; mac: string } | { ok: false; error: string };

export function checkMac(input: string): MacCheck {
  const mac = input.trim().toLowerCase().replace(/-/g, ":");
  if (!MAC_PATTERN.test(mac)) return { ok: false, error: `${JSON.stringify(input)} is not a MAC address: expected six hex pairs such as 02:11:22:33:44:55` };
  const first = Number.parseInt(mac.slice(0, 2), 16);
  if (first & 1) return { ok: false, error: `${mac} is a multicast address (lowest bit of the first byte set): a VF needs a unicast MAC` };
  if (mac === "00:00:00:00:00:00") return { ok: false, error: "00:00:00:00:00:00 is not a usable MAC (igb and bnx2x refuse it)" };
  return { ok: true, mac };
}

/**
 * A locally administered unicast MAC (02:…) derived from the PF's permanent MAC and the VF index, so the same VF
 * gets the same MAC on every boot and on every run of the wizard, and two PFs never collide by accident.
 */
export function stableVfMac(pfMac: string, vfIndex: number): string {
  // FNV-1a over "pfMac/index": tiny, deterministic and available in the browser as well as on the server.
  let hash = 0x811c9dc5;
  for (const ch of `${pfMac.toLowerCase()}/${vfIndex}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  let hash2 = Math.imul(hash ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  hash2 ^= hash2 >>> 13;
  const bytes = [0x02, (hash >>> 24) & 0xff, (hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff, (hash2 >>> 8) & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}
