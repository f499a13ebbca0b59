/**
 * Every mutation, 10,000 generated inputs each, against a demo host whose simulated kernel logs every write. Each
 * input is a valid request with one field (or the whole input) replaced by something hostile: path traversal, NUL
 * and control bytes, overlong strings, wrong types, huge or fractional numbers, shell metacharacters (not for free
 * text, where they are legitimate content, nor for passwords, which may be anything). Every one must be refused
 * with a 4xx that names what was wrong; the kernel's write log, ip(8) and the database must show nothing at all.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { appRouter, createCaller } from "./root";
import { writableContext } from "./testing";

const RUNS = 10_000;
const work = mkdtempSync(join(tmpdir(), "passdeck-fuzz-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const { ctx, host, probes, auth } = writableContext(work);
const ipRun = vi.spyOn(host.ip, "run");
const api = createCaller(ctx) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;

// ---- hostile values, by category
const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const traversal = fc.oneof(
  fc.constantFrom("../../../../etc/passwd", "0000:18:00.0/../../../../dev/sda", "/sys/bus/pci/devices/0000:18:00.0/remove", "..", "./", "0000:18:00.0/remove"),
  fc.tuple(word, fc.constantFrom("/../", "/./", "/"), word).map(([a, s, b]) => `${a}${s}${b}`),
);
const control = fc
  .tuple(
    word,
    fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)),
    word,
  )
  .map(([a, c, b]) => `${a}${c}${b}`);
const overlong = fc.integer({ min: 1_100, max: 200_000 }).map((n) => "A".repeat(n));
const shell = fc
  .tuple(word, fc.constantFrom(";", "|", "&&", "$(", "`", ">", "<", "'", '"', "*", "?", "{", "}", "\\", " ", "!"), word)
  .map(([a, m, b]) => `${a}${m}${b}`);
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.dictionary(word, word, { maxKeys: 3 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -1, -0.5, 0.5, 2 ** 64, Number.POSITIVE_INFINITY, Number.NaN),
  fc.double({ noDefaultInfinity: true, noNaN: true }).filter((d) => !Number.isInteger(d)),
  fc.bigInt({ min: 2n ** 70n, max: 2n ** 80n }).map((b) => Number(b)),
);

const IDENT = fc.oneof(traversal, control, overlong, shell, wrongType, hugeNumber);
/** free text (notes, labels): any printable character is content; control bytes, length and type are not */
const TEXT = fc.oneof(control, overlong, wrongType, hugeNumber);
/** passwords may be anything printable of 12+; only the type and the length are refused */
const SECRET = fc.oneof(overlong, wrongType, hugeNumber, fc.constant(""), fc.constant("short"));
const NUMBER = fc.oneof(hugeNumber, wrongType, traversal, shell);
/** ids start at 1 */
const ID = fc.oneof(NUMBER, fc.constant(0));

const PF = "0000:18:00.1";
const PLAN_ID = "3f2b6c1e-9f0a-4d3b-8c1e-2a4b6c8d0e1f";
interface Spec {
  base: Record<string, unknown>;
  fields: Record<string, fc.Arbitrary<unknown>>;
}

/** A valid input for each mutation and what may go wrong in each field. */
const MUTATIONS: Record<string, Spec> = {
  "plans.preview": { base: { kind: "sriov", pf: PF, count: 2, autoprobe: true, vfs: [] }, fields: { kind: IDENT, pf: IDENT, count: NUMBER } },
  "plans.execute": { base: { planId: PLAN_ID }, fields: { planId: IDENT } },
  "plans.confirm": { base: { planId: PLAN_ID }, fields: { planId: IDENT } },
  "plans.revert": { base: { planId: PLAN_ID }, fields: { planId: IDENT } },
  "desired.forget": { base: { address: PF }, fields: { address: IDENT } },
  "targets.add": {
    base: { address: "192.0.2.1", intervalMs: 1000, label: "lab" },
    fields: { address: IDENT, intervalMs: NUMBER, timeoutMs: NUMBER, kind: IDENT, port: NUMBER, label: TEXT },
  },
  "targets.remove": { base: { id: 1 }, fields: { id: ID } },
  "latency.iperf": { base: { server: "192.0.2.1", seconds: 5 }, fields: { server: IDENT, seconds: NUMBER, port: NUMBER, protocol: IDENT, bitrate: IDENT } },
  "markers.annotate": { base: { atMs: 1_700_000_000_000, text: "upgrade" }, fields: { atMs: NUMBER, text: TEXT } },
  "markers.removeNote": { base: { id: 1 }, fields: { id: ID } },
  "users.add": { base: { name: "carol", role: "viewer", password: "a long enough password" }, fields: { name: IDENT, role: IDENT, password: SECRET } },
  "users.disable": { base: { name: "carol" }, fields: { name: IDENT } },
  "tokens.create": { base: { name: "ci", role: "viewer", expires: "90d" }, fields: { name: TEXT, role: IDENT, expires: IDENT } },
  "tokens.revoke": { base: { id: 1 }, fields: { id: ID } },
};

/** One bad field in an otherwise good input; now and then the whole input is the hostile value. */
function hostileInputs(spec: Spec): fc.Arbitrary<unknown> {
  const oneField = fc.constantFrom(...Object.keys(spec.fields)).chain((field) => spec.fields[field]!.map((value) => ({ ...spec.base, [field]: value })));
  return fc.oneof({ arbitrary: oneField, weight: 9 }, { arbitrary: IDENT, weight: 1 });
}

const mutations = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)
  .filter(([, p]) => p._def.type === "mutation")
  .map(([path]) => path);

describe("fuzzing every mutation", () => {
  it("has hostile inputs for every mutation the router has", () => {
    expect(Object.keys(MUTATIONS).sort()).toEqual([...mutations].sort());
  });

  // The valid inputs above, to be sure the refusals below are about the hostile field: each is refused only for a
  // reason of the host (no such plan, no such target…), never by its validation.
  it.each(mutations)(
    "%s: 10,000 hostile inputs are refused with a 4xx that says what is wrong",
    async (path) => {
      const [noun, verb] = path.split(".") as [string, string];
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(hostileInputs(MUTATIONS[path]!), async (input) => {
          let error: unknown = null;
          try {
            await api[noun]![verb]!(input);
          } catch (err) {
            error = err;
          }
          if (!(error instanceof TRPCError)) throw new Error(`accepted or crashed: ${String(error)} for ${JSON.stringify(input)?.slice(0, 200)}`);
          const status = getHTTPStatusCodeFromError(error);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status < 400 || status >= 500) throw new Error(`HTTP ${status} (${error.message}) for ${JSON.stringify(input)?.slice(0, 200)}`);
          if (error.message.trim().length < 10) throw new Error(`an unclear message "${error.message}"`);
        }),
        { numRuns: RUNS, seed: 7 },
      );
      expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
      expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    },
    120_000,
  );

  it("afterwards, nothing was written: no sysfs write, no ip link set, no target, note, user or token", () => {
    expect(host.kernel.writes()).toEqual([]);
    expect(ipRun.mock.calls.filter(([args]) => args.includes("set"))).toEqual([]);
    expect(probes.targets.all()).toEqual([]);
    expect(probes.notes.between(0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(auth.accounts.users()).toEqual([]);
    expect(auth.accounts.tokens()).toEqual([]);
  });
});
