/**
 * The environment, with its TypeScript types. Every variable's name, default and check live in server/env-spec.mjs
 * (plain ESM, so that scripts/start.mjs and scripts/serve.mjs read the same values without TypeScript).
 */
export type { EnvSource, PassdeckEnv } from "./env-spec.mjs";
export { demoDirs, EnvError, envSchema, MAX_CONNECTIONS, publishedHostPolicy, publishHostPolicy, readEnv } from "./env-spec.mjs";
