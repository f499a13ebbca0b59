/** The batch limit: counted as tRPC reads the URL, refused by the route before any procedure, the same number as the client's. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/trpc/[trpc]/route";
import { batchCallCount, MAX_BATCH_CALLS } from "./limits";

const url = (path: string) => new URL(`http://127.0.0.1:7878/api/trpc/${path}`);

describe("batchCallCount", () => {
  it("counts the paths of a batch, also percent-encoded, and one for anything else", () => {
    expect(batchCallCount(url("plans.preview,plans.preview,session.me?batch=1"))).toBe(3);
    expect(batchCallCount(url("plans.preview%2Cplans.preview?batch=1"))).toBe(2);
    expect(batchCallCount(url("plans.preview,plans.preview"))).toBe(1);
    expect(batchCallCount(url("session.me?batch=1"))).toBe(1);
    expect(batchCallCount(url("a%E0%A4%A?batch=1"))).toBeNull();
  });
});

describe("the tRPC route", () => {
  it(`refuses a batch of more than ${MAX_BATCH_CALLS} calls with 413 naming the limit, before any procedure runs`, async () => {
    const paths = Array(300).fill("plans.preview").join(",");
    const input = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [i, { json: { kind: "device", address: "0000:3b:00.1" } }]));
    const res = await POST(
      new Request(url(`${paths}?batch=1`), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input) }),
    );
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { json: { message: string; data: { code: string; httpStatus: number } } } };
    expect(body.error.json.message).toBe(
      `this batch has 300 calls; a batch holds at most ${MAX_BATCH_CALLS} (MAX_BATCH_CALLS): send the calls in smaller batches`,
    );
    expect(body.error.json.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
    // a GET batch of queries too
    const get = await GET(
      new Request(
        url(
          `${Array(MAX_BATCH_CALLS + 1)
            .fill("session.me")
            .join(",")}?batch=1`,
        ),
      ),
    );
    expect(get.status).toBe(413);
  });

  it("the dashboard's batch link splits at the same number", () => {
    const client = readFileSync("lib/trpc/client.tsx", "utf8");
    expect(client).toMatch(/httpBatchLink\(.*maxItems: MAX_BATCH_CALLS/);
  });
});
