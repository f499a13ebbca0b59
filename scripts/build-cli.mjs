// Bundles the CLI (server/cli) into dist/passdeck.mjs so `npm run -s passdeck` needs no TypeScript at run time.
import { build } from "esbuild";

await build({
  entryPoints: ["server/cli/index.ts"],
  outfile: "dist/passdeck.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
