/**
 * For tests only. The accounts' logic (limits, sessions, purges) is the same at any scrypt cost, so their tests hash at
 * 1/96 of production's (N 2^10 instead of 2^15, p 1 instead of 3); the passwords test and server/services.test.ts hold
 * production's cost, which every entry point uses.
 */
import type { ScryptParams } from "./passwords";

export const TEST_HASH_COST: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };
