/**
 * zod gives an optional field the type `key?: T | undefined`; the planner's and the probes' request types say
 * `key?: T` (exactOptionalPropertyTypes). definedOnly drops the keys whose value is undefined (through nested plain
 * objects and arrays), which is what an absent key means to them, so a parsed input is passed on as it is typed.
 */
export type DefinedOnly<T> = T extends readonly (infer U)[]
  ? DefinedOnly<U>[]
  : T extends object
    ? { [K in keyof T as undefined extends T[K] ? never : K]: DefinedOnly<T[K]> } & {
        [K in keyof T as undefined extends T[K] ? K : never]?: DefinedOnly<Exclude<T[K], undefined>>;
      }
    : T;

export function definedOnly<T>(value: T): DefinedOnly<T> {
  if (Array.isArray(value)) return value.map((v: unknown) => definedOnly(v)) as DefinedOnly<T>;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, definedOnly(v)]),
    ) as DefinedOnly<T>;
  return value as DefinedOnly<T>;
}
