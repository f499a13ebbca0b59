/** The bound on concurrent scrypt: a few run, a few wait their turn, the rest are refused at once. */
import { describe, expect, it } from "vitest";
import { hashPassword, ScryptBusy, ScryptGate, scryptConcurrency, scryptGate, verifyPassword } from "./passwords";

/** A job that runs until released, to hold a slot for as long as the test wants. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { job: () => done.then(() => "ran"), release };
}

describe("scryptConcurrency", () => {
  it("is half the CPUs, at least one", () => {
    expect([1, 2, 3, 4, 16].map((n) => scryptConcurrency(n))).toEqual([1, 1, 1, 2, 8]);
    expect(scryptGate.limit).toBe(scryptConcurrency());
  });
});

describe("ScryptGate", () => {
  it("runs `limit` at once, queues `queue` more in order, refuses the rest with ScryptBusy", async () => {
    const gate = new ScryptGate(2, 1);
    const jobs = [held(), held(), held()];
    const order: number[] = [];
    const runs = jobs.map((j, i) => gate.run(() => (order.push(i), j.job())));
    expect(gate.load()).toEqual({ running: 2, waiting: 1 });
    const refused = gate.run(() => Promise.resolve("never"));
    await expect(refused).rejects.toBeInstanceOf(ScryptBusy);
    await expect(refused).rejects.toThrow("the server is busy checking other sign-ins: try again in a moment");
    expect(order).toEqual([0, 1]);
    jobs[1]!.release();
    await runs[1];
    // the freed slot went to the one waiting, not to a newcomer
    expect(gate.load()).toEqual({ running: 2, waiting: 0 });
    expect(order).toEqual([0, 1, 2]);
    jobs[0]!.release();
    jobs[2]!.release();
    expect(await Promise.all(runs)).toEqual(["ran", "ran", "ran"]);
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  it("frees the slot when the job fails", async () => {
    const gate = new ScryptGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error("scrypt failed")))).rejects.toThrow("scrypt failed");
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
    expect(await gate.run(() => Promise.resolve(7))).toBe(7);
  });

  it("every password check and hash of the process goes through the one gate", async () => {
    const hash = await hashPassword("correct horse battery");
    const capacity = scryptGate.limit + scryptGate.queue;
    const results = await Promise.allSettled(Array.from({ length: capacity + 3 }, () => verifyPassword("correct horse battery", hash)));
    expect(results.filter((r) => r.status === "fulfilled" && r.value === true)).toHaveLength(capacity);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused).toHaveLength(3);
    expect(refused.every((r) => r.reason instanceof ScryptBusy)).toBe(true);
    // …and hashing a new user's password too
    const hashes = await Promise.allSettled(Array.from({ length: capacity + 1 }, () => hashPassword("another long password")));
    expect(hashes.filter((r) => r.status === "rejected" && r.reason instanceof ScryptBusy)).toHaveLength(1);
    expect(scryptGate.load()).toEqual({ running: 0, waiting: 0 });
  });
});
