// Bundles the CLI (server/cli) into dist/passdeck.mjs so `npm run -s passdeck` needs no TypeScript at run time.
// Split at each command's import() (server/cli/registry.ts): the entry is small, and a command loads only its own
// chunks (dist/cli/), so `passdeck --help` or `passdeck inventory` never loads SQLite, zod or the libvirt code.
import { closeSync, constants, fchmodSync, fstatSync, openSync, rmSync } from "node:fs";
import { build } from "esbuild";

// chunk names carry a hash: old ones would pile up
rmSync("dist/cli", { recursive: true, force: true });
await build({
  entryPoints: { passdeck: "server/cli/index.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "cli/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Dependencies are bundled into the chunks that use them: zod alone is a hundred files, and resolving and opening
  // each one costs seconds where files are slow (the rig's guest reads this checkout over 9p under emulation). Native
  // addons stay outside (better-sqlite3 finds its .node file from its own directory).
  external: ["better-sqlite3"],
  // For CommonJS dependencies bundled into ESM: their require() of Node's built-ins goes through this.
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __passdeckCreateRequire } from "node:module";\nconst require = __passdeckCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});
// Runnable as ./dist/passdeck.mjs, and as the package's "bin". Made executable through a descriptor opened without
// following a link (a build as root must not chmod what a planted symlink points at), only if it is our regular file.
const fd = openSync("dist/passdeck.mjs", constants.O_RDONLY | constants.O_NOFOLLOW);
try {
  const st = fstatSync(fd);
  if (!st.isFile() || st.uid !== process.getuid?.()) throw new Error("dist/passdeck.mjs is not the regular file this build wrote");
  fchmodSync(fd, 0o755);
} finally {
  closeSync(fd);
}
