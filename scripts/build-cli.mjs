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
  packages: "external",
  banner: { js: "#!/usr/bin/env node" },
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
