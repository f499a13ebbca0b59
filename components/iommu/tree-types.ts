export type { Matcher } from "./model";
export type SelectFn = (address: string) => void;
