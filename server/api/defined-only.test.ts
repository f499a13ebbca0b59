/** definedOnly: a parsed input's undefined fields dropped, nested ones too; everything else kept as it is. */
import { describe, expect, it } from "vitest";
import { definedOnly } from "./defined-only";

describe("definedOnly", () => {
  it("drops keys whose value is undefined, in nested objects and in arrays of objects, and keeps null, false and 0", () => {
    const input = { a: 1, b: undefined, c: { d: undefined, e: null, f: false }, g: [{ h: undefined, i: 0 }], j: "x" };
    const out = definedOnly(input);
    expect(out).toStrictEqual({ a: 1, c: { e: null, f: false }, g: [{ i: 0 }], j: "x" });
    expect(Object.keys(out)).toEqual(["a", "c", "g", "j"]);
  });

  it("leaves values that are not plain objects as they are", () => {
    const date = new Date(0);
    expect(definedOnly(date)).toBe(date);
    expect(definedOnly([1, "two", null])).toEqual([1, "two", null]);
    expect(definedOnly(undefined)).toBeUndefined();
  });
});
