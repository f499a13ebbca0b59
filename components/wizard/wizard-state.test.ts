import { describe, expect, it } from "vitest";
import { formatWizardState, parseWizardState, type WizardState } from "./wizard-state";

const parse = (qs: string) => parseWizardState(new URLSearchParams(qs));

describe("wizard state in the URL", () => {
  it("round-trips every field of the SR-IOV flow", () => {
    const s: WizardState = {
      mode: "sriov",
      step: "review",
      pf: "0000:18:00.1",
      count: 3,
      autoprobe: false,
      settings: { 0: { mac: "02:00:00:00:00:10", vlan: 100, trust: true }, 2: { spoofchk: false, maxTxRateMbps: 500 } },
      vfio: [1, 2],
      entry: null,
    };
    const qs = formatWizardState(s);
    expect(qs).toBe("?step=review&pf=0000:18:00.1&count=3&autoprobe=off&vf=0:mac=02:00:00:00:00:10,vlan=100,trust=on;2:spoofchk=off,maxTxRateMbps=500&vfio=1,2");
    expect(parse(qs.slice(1))).toEqual(s);
  });

  it("falls back to the first step a deep link lacks, and drops VFs past the count", () => {
    expect(parse("step=review").step).toBe("pf");
    expect(parse("step=review&pf=18:00.1")).toMatchObject({ step: "count", pf: "0000:18:00.1" });
    expect(parse("step=settings&pf=0000:18:00.1&count=2&vfio=0,5,1,1&vf=4:vlan=3")).toMatchObject({ vfio: [0, 1], settings: {} });
  });

  it("ignores what it cannot read instead of guessing", () => {
    expect(parse("pf=../../etc&step=count")).toMatchObject({ pf: null, step: "pf" });
    expect(parse("step=count&pf=0000:18:00.1&count=-3")).toMatchObject({ count: null, step: "count" });
    expect(parse("step=vfio&pf=0000:18:00.1&count=2&vf=0:vlan=abc,trust=maybe,evil=1")).toMatchObject({ settings: {} });
    expect(parse("mode=device&step=review")).toEqual({ mode: "device", step: "device", device: null, entry: null });
    expect(parse("mode=restore&device=19:10.5")).toEqual({ mode: "restore", step: "review", device: "0000:19:10.5", entry: null });
    expect(parse("mode=restore&device=nonsense")).toEqual({ mode: "device", step: "device", device: null, entry: null });
  });
});
