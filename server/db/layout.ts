/**
 * Where Passdeck keeps its state, split by who owns it, so that root never acts inside a directory a less
 * privileged user can write:
 *
 *   <data dir>/            root, 0750, group = the web server's group (traverse only)
 *     host/                root, 0750: the host records (journal, desired state, audit), written by root only;
 *       passdeck-host.db   0640: the web server's group may read it
 *     web/                 the web server's user, 0750: accounts, sessions, tokens, latency, setup code, TLS
 *       passdeck-web.db    never opened by root
 *
 * Without privilege separation (a demo, a developer's server, root serving alone) one user owns all of it.
 * `prepareStateDirs` is run by root (the helper at its start) to set owners and modes at every start, not only when
 * the directories are created; it only ever changes things through descriptors opened without following symlinks.
 */
import {
  constants,
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  type Stats,
} from "node:fs";
import { join, resolve } from "node:path";

export const HOST_DB_FILE = "passdeck-host.db";
export const WEB_DB_FILE = "passdeck-web.db";
/** the one database of Passdeck before the split (0.1): imported once by each side (legacy.ts) */
export const LEGACY_DB_FILE = "passdeck.db";

export const hostDir = (dataDir: string) => join(/*turbopackIgnore: true*/ resolve(dataDir), "host");
export const webDir = (dataDir: string) => join(/*turbopackIgnore: true*/ resolve(dataDir), "web");

export interface Owner {
  uid: number;
  gid: number;
}

export class UnsafeStateDir extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeStateDir";
  }
}

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
// O_NONBLOCK: a FIFO planted where a file should be must not hang the open
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Runs `fn` on a descriptor of `path` opened without following a symlink, and checks what it is first. */
function withDescriptor<T>(path: string, kind: "dir" | "file", fn: (fd: number, st: Stats) => T): T {
  const fd = openSync(path, kind === "dir" ? DIR_FLAGS : FILE_FLAGS);
  try {
    const st = fstatSync(fd);
    if (kind === "dir" ? !st.isDirectory() : !st.isFile()) throw new UnsafeStateDir(`${path} is not a ${kind === "dir" ? "directory" : "regular file"}`);
    return fn(fd, st);
  } finally {
    closeSync(fd);
  }
}

/** Owner and mode set through the descriptor (fchown/fchmod), never by path. */
function setThrough(fd: number, st: Stats, owner: Owner, mode: number): void {
  if (st.uid !== owner.uid || st.gid !== owner.gid) fchownSync(fd, owner.uid, owner.gid);
  if ((st.mode & 0o7777) !== mode) fchmodSync(fd, mode);
}

/**
 * A directory entry of a root-owned directory that must be a real directory: a symlink or a non-directory found
 * there (planted before the parent was root's) is moved aside, never followed.
 */
function ensureRealDir(path: string, mode: number): Stats {
  const st = lstatOrNull(path);
  if (st && !st.isDirectory()) {
    const aside = `${path}.untrusted-${Date.now()}`;
    renameSync(path, aside);
    console.error(`passdeck: ${path} was ${st.isSymbolicLink() ? "a symlink" : "not a directory"}: moved aside to ${aside}`);
  }
  if (!st?.isDirectory()) mkdirSync(path, { mode });
  return lstatSync(path);
}

/**
 * Hands a directory tree that only root could write until now to `owner`: contents first (through descriptors,
 * no symlink followed, symlinks themselves left alone), the directory last, so nothing is ever changed inside a
 * directory the new owner could already write.
 */
function handOver(path: string, owner: Owner, dirMode: number): void {
  for (const name of readdirSync(path)) {
    const entry = join(path, name);
    const st = lstatSync(entry);
    if (st.isDirectory()) handOver(entry, owner, 0o750);
    else if (st.isFile()) withDescriptor(entry, "file", (fd, fst) => setThrough(fd, fst, owner, fst.mode & 0o640));
  }
  withDescriptor(path, "dir", (fd, st) => setThrough(fd, st, owner, dirMode));
}

export interface PrepareOptions {
  dataDir: string;
  /** the web server's user; null when root serves alone (then root owns everything) */
  web: Owner | null;
}

/**
 * Root only, at every start: the data directory and host/ root's (the web group may traverse and read), web/ the
 * web user's, modes set explicitly. Throws UnsafeStateDir when something cannot be made safe (a data directory
 * that is a symlink, a web/ owned by a third user).
 */
export function prepareStateDirs({ dataDir, web }: PrepareOptions): { dataDir: string; host: string; web: string } {
  const root = resolve(dataDir);
  const group = web?.gid ?? 0;
  const rootOwned: Owner = { uid: 0, gid: group };
  const st = lstatOrNull(root);
  if (st?.isSymbolicLink()) throw new UnsafeStateDir(`the data directory ${root} is a symlink: point PASSDECK_DATA_DIR at the real directory`);
  if (st && !st.isDirectory()) throw new UnsafeStateDir(`the data directory ${root} is not a directory`);
  if (!st) mkdirSync(root, { recursive: true, mode: 0o750 });
  // An older Passdeck gave the whole directory to the web user: from now on it is root's (its entries are checked
  // below). By path, not following a link: its parent (/var/lib) is root's, so nobody can swap it in between, and
  // root cannot open another user's 0750 directory to change it through a descriptor (no CAP_DAC_OVERRIDE).
  if (st && st.uid !== 0) lchownSync(root, 0, group);
  withDescriptor(root, "dir", (fd, s) => setThrough(fd, s, rootOwned, 0o750));

  const host = join(root, "host");
  const hostSt = ensureRealDir(host, 0o750);
  if (hostSt.uid !== 0) {
    // Made by someone else while they could write the data directory: not ours to trust, set aside.
    const aside = `${host}.untrusted-${Date.now()}`;
    renameSync(host, aside);
    mkdirSync(host, { mode: 0o750 });
    console.error(`passdeck: ${host} was not root's (uid ${hostSt.uid}): moved aside to ${aside}`);
  }
  withDescriptor(host, "dir", (fd, s) => setThrough(fd, s, rootOwned, 0o750));
  keepHostFiles(dataDir, group);

  const webPath = join(root, "web");
  const webSt = ensureRealDir(webPath, 0o750);
  const webOwner: Owner = web ?? { uid: 0, gid: 0 };
  // Root-owned (new, or from a root-only run): handed over whole. The web user's own directory is theirs to keep
  // (openWebDatabase sets its modes as that user); root only looks at it.
  if (webSt.uid === 0) handOver(webPath, webOwner, 0o750);
  else if (webSt.uid !== webOwner.uid)
    throw new UnsafeStateDir(
      `${webPath} belongs to uid ${webSt.uid}, neither root nor the web server's user (uid ${webOwner.uid}): check PASSDECK_WEB_USER, or remove the directory`,
    );
  // Stray files an older Passdeck left in the data directory stay where they are; root never opens them by path.
  return { dataDir: root, host, web: webPath };
}

/**
 * The host records' files: root's, readable by the web group, at every start. The database file is made here, empty
 * (SQLite takes an empty file for a new database), so it has the web group from its first moment: a file takes
 * root's group when SQLite creates it, and a setgid directory would need CAP_FSETID. Run before this process opens
 * the database: closing a descriptor of it afterwards would drop the process's SQLite locks.
 */
export function keepHostFiles(dataDir: string, group: number): void {
  const host = hostDir(dataDir);
  try {
    closeSync(openSync(join(host, HOST_DB_FILE), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o640));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  for (const name of readdirSync(host)) {
    const entry = join(host, name);
    if (lstatSync(entry).isFile() && name.startsWith(HOST_DB_FILE)) withDescriptor(entry, "file", (fd, s) => setThrough(fd, s, { uid: 0, gid: group }, 0o640));
  }
}

/**
 * The modes of this process's own directory and files in it, set through descriptors where this process owns
 * them (anything else is left alone: not ours to change).
 */
export function keepOwnModes(dir: string, dirMode: number, files: string[], fileMode: number): void {
  const me = process.getuid?.() ?? -1;
  const fix = (path: string, kind: "dir" | "file", mode: number) => {
    try {
      withDescriptor(path, kind, (fd, st) => {
        if (st.uid === me && (st.mode & 0o7777) !== mode) fchmodSync(fd, mode);
      });
    } catch (err) {
      // not there (yet): opening the database says what is wrong with the directory, naming it
      if (!["ENOENT", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "")) throw err;
    }
  };
  fix(dir, "dir", dirMode);
  for (const f of files) fix(join(dir, f), "file", fileMode);
}

/**
 * The owner of the web tier's directory when it is not the calling (root) process: the CLI then runs web-tier
 * commands as that user instead of opening its files as root. Null when root may open them (root owns web/, or it
 * does not exist yet).
 */
export function webDirOwner(dataDir: string): Owner | null {
  const st = lstatOrNull(webDir(dataDir));
  if (!st || !st.isDirectory() || st.uid === 0) return null;
  return { uid: st.uid, gid: st.gid };
}
