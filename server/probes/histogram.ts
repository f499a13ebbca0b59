/**
 * A mergeable latency histogram: HdrHistogram's log-linear buckets (hdr-histogram-js, 3 significant digits, so
 * values below 2,048 µs are exact and larger ones within 0.1 %) kept as a sparse map of bucket → count.
 *
 * Why not store hdr-histogram-js's own compressed encoding: decoding one allocates the whole counts array (70 kB for
 * a 1 µs – 60 s range), 37 µs per decode+add here, which makes a year-range query over a million rollups take
 * seconds. The sparse form (a few dozen occupied buckets per 10 s) decodes in about a microsecond and adds
 * exactly the same counts.
 */
// The one class, not the package's index: the index loads its encoders, pako and a WebAssembly build (~90 ms on a
// host, seconds in the rig's emulated guest) into every CLI command that opens the records.
import * as int32 from "hdr-histogram-js/dist/Int32Histogram.js";

/** RTTs above a minute are not RTTs: they are clamped into the top bucket. */
const HIGHEST_US = 60_000_000;
// A JsHistogram only for its bucket arithmetic (the Histogram interface build() returns does not declare it).
// Node's ESM import of this CommonJS file gives module.exports as the default ({ default: class }); bundlers give the
// class itself.
const Int32Histogram = typeof int32.default === "function" ? int32.default : (int32.default as unknown as { default: typeof int32.default }).default;
const bucketing = new Int32Histogram(1, HIGHEST_US, 3);

/** The lowest value of the bucket `us` falls into: every value of a bucket is stored as this one. */
export function bucketOf(us: number): number {
  const v = Math.min(Math.max(0, Math.round(us)), HIGHEST_US);
  return bucketing.lowestEquivalentValue(v);
}

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private sorted: [number, number][] | null = null;

  record(us: number, count = 1): void {
    const b = bucketOf(us);
    this.counts.set(b, (this.counts.get(b) ?? 0) + count);
    this.total += count;
    this.sorted = null;
  }

  add(other: LatencyHistogram): this {
    for (const [b, c] of other.counts) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.total += other.total;
    this.sorted = null;
    return this;
  }

  /** Adds an encoded histogram without building an object for it. */
  addEncoded(buf: Uint8Array): this {
    const pairs = asUint32(buf);
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      this.counts.set(pairs[i]!, (this.counts.get(pairs[i]!) ?? 0) + pairs[i + 1]!);
      this.total += pairs[i + 1]!;
    }
    this.sorted = null;
    return this;
  }

  get count(): number {
    return this.total;
  }

  private buckets(): [number, number][] {
    this.sorted ??= [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
    return this.sorted;
  }

  get min(): number | null {
    return this.total ? this.buckets()[0]![0] : null;
  }

  get max(): number | null {
    return this.total ? this.buckets().at(-1)![0] : null;
  }

  /** Nearest rank, as stats.ts percentile(): the value at rank ceil(q·N). */
  percentile(q: number): number | null {
    if (!this.total) return null;
    const rank = Math.min(this.total, Math.max(1, Math.ceil(q * this.total)));
    let seen = 0;
    for (const [b, c] of this.buckets()) {
      seen += c;
      if (seen >= rank) return b;
    }
    return this.buckets().at(-1)![0];
  }

  /** How many recorded values are ≤ `us` (bucket-exact). */
  countAtOrBelow(us: number): number {
    let n = 0;
    for (const [b, c] of this.buckets()) {
      if (b > us) break;
      n += c;
    }
    return n;
  }

  mean(): number | null {
    if (!this.total) return null;
    let sum = 0;
    for (const [b, c] of this.buckets()) sum += b * c;
    return sum / this.total;
  }

  /** [bucket, count] ascending, for CDFs and exports. */
  entries(): readonly [number, number][] {
    return this.buckets();
  }

  /** Little-endian uint32 pairs (bucket, count), ascending. */
  encode(): Buffer {
    const pairs = new Uint32Array(this.counts.size * 2);
    this.buckets().forEach(([b, c], i) => {
      pairs[i * 2] = b;
      pairs[i * 2 + 1] = c;
    });
    return Buffer.from(pairs.buffer);
  }

  static decode(buf: Uint8Array): LatencyHistogram {
    return new LatencyHistogram().addEncoded(buf);
  }

  static of(values: Iterable<number>): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const v of values) h.record(v);
    return h;
  }
}

function asUint32(buf: Uint8Array): Uint32Array {
  // SQLite hands back Buffers that may share a larger, unaligned ArrayBuffer.
  if (buf.byteOffset % 4 === 0) return new Uint32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  return new Uint32Array(Uint8Array.from(buf).buffer);
}
