/** iperf3 against a real iperf3 server on loopback, and its JSON and error texts. */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { iperfArgs, iperfNote, iperfRequestProblem, parseIperfJson, runIperf } from "./iperf";

function iperfServer(port: number): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const child = spawn("iperf3", ["-s", "-1", "--forceflush", "-p", String(port), "-B", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`iperf3 -s exited (${code}) before listening: is port ${port} taken?`)));
    // iperf3 -s prints "Server listening on <port>" once it accepts connections
    child.stdout.setEncoding("utf8").on("data", (d: string) => d.includes("listening") && resolve(() => child.kill()));
  });
}

describe("iperf3 on demand", () => {
  it("a UDP -R run against a loopback server reports the rate, RFC 3550 jitter and loss", async () => {
    const stop = await iperfServer(5299);
    try {
      const r = await runIperf({ server: "127.0.0.1", port: 5299, protocol: "udp", seconds: 1, bitrate: "5M" });
      expect(r.protocol).toBe("udp");
      expect(r.bitsPerSecond).toBeGreaterThan(4e6);
      expect(r.bitsPerSecond).toBeLessThan(6e6);
      expect(r.jitterUs).not.toBeNull();
      expect(r.jitterUs!).toBeLessThan(5000);
      expect(r.lostPercent).toBe(0);
      expect(r.packets).toBeGreaterThan(5);
      expect(iperfNote(r)).toMatch(/^iperf3 UDP ← 127\.0\.0\.1: [45]\.\d\d Mbit\/s, J \d+ µs, loss 0 %, 1 s$/);
    } finally {
      stop();
    }
  });

  it("no server: iperf3's own error, with what to check", async () => {
    await expect(runIperf({ server: "127.0.0.1", port: 5298, protocol: "tcp", seconds: 1 })).rejects.toThrow(
      /unable to connect to server.*is `iperf3 -s` running on 127\.0\.0\.1\?/,
    );
  });

  it("bad requests are refused before anything runs; arguments are an array", () => {
    expect(iperfRequestProblem({ server: "-s", protocol: "udp", seconds: 5 })).toMatch(/iperf3 server: .*no leading hyphen/);
    expect(iperfRequestProblem({ server: "10.0.0.5", protocol: "udp", seconds: 600 })).toBe("an iperf3 run lasts 1–60 s");
    expect(iperfRequestProblem({ server: "10.0.0.5", protocol: "udp", seconds: 5, bitrate: "10M; reboot" })).toMatch(/bitrate/);
    expect(iperfArgs({ server: "10.0.0.5", protocol: "udp", seconds: 5 })).toEqual(["-c", "10.0.0.5", "-J", "-t", "5", "-u", "-R", "-b", "10M"]);
    expect(
      parseIperfJson('{"end":{"sum_received":{"seconds":2,"bits_per_second":9.4e9},"sum_sent":{"retransmits":3}}}', {
        server: "h",
        protocol: "tcp",
        seconds: 2,
      }),
    ).toMatchObject({
      bitsPerSecond: 9.4e9,
      retransmits: 3,
    });
  });
});
