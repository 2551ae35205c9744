// Trust on first sight, per host rather than per resource, as OpenSSH's accept-new does:
// the first key seen for a host is appended to the known_hosts file in use
// (`knownHostsFile`, default ~/.ssh/known_hosts), and from then on every connection that
// reads that file, whatever resource or process it belongs to, is held to that key.
//
// Deciding "nobody knows this host yet, so record mine" must be atomic, or two resources
// dialing a new host at once (one of them through an attacker) could each record the key
// they saw. So the decision is taken under a lock: one queue per file inside the process,
// and an O_EXCL lock file beside it across processes. The line is added with O_APPEND in
// one write, never by rewriting the file, so OpenSSH's own concurrent additions and a
// known_hosts that is a symlink (dotfiles) survive. A path that is not a regular file
// (`/dev/null`, OpenSSH's idiom for "remember nothing") is read but never written.

import { appendFile, lstat, mkdir, open, readFile, stat, unlink } from "fs/promises";
import { dirname } from "path";
import { ConnectionConfigError } from "./errors";
import { keyTypeOfBlob, verifyHostKey, type HostKeyVerdict, type VerifyHostKeyInput } from "./hostKey";
import { knownHostsName, lookupKnownHosts, parseKnownHosts } from "./knownHosts";

/** A lock older than this was left by a process that died (the section it guards takes milliseconds). */
export const TRUST_LOCK_STALE_MS = 10_000;
/** How long to wait for another process's lock before giving up. */
export const TRUST_LOCK_WAIT_MS = 5_000;
const LOCK_POLL_MS = 25;

export interface FirstSight {
  /** The known_hosts file to record in. */
  path: string;
  host: string;
  port: number;
  /** The key blob the host presented. */
  presentedBlob: Buffer;
}

export interface FirstSightOutcome {
  /** True when this call appended the key: it is now the host's recorded key. */
  recorded: boolean;
  /** The file's text as read under the lock (with our line when recorded); undefined if absent. */
  knownHosts: string | undefined;
}

/** The lock file beside a known_hosts file. */
export function trustLockPath(path: string): string {
  return `${path}.pulumi-lvs.lock`;
}

/** The line OpenSSH would write for this host and key. */
export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  const type = keyTypeOfBlob(blob);
  if (type === undefined) throw new Error("the presented host key blob is malformed");
  return `${knownHostsName(host, port)} ${type} ${blob.toString("base64")}`;
}

const queues = new Map<string, Promise<unknown>>();

/** Run `fn` after every earlier call for the same file in this process has finished. */
function inFileQueue<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(path, settled);
  void settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path);
  });
  return next;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Hold the cross-process lock file while `fn` runs. O_EXCL never follows a planted symlink. */
async function withLockFile<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + TRUST_LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const held = await lstat(lockPath).catch(() => undefined);
      if (held !== undefined && Date.now() - held.mtimeMs > TRUST_LOCK_STALE_MS) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new Error(`${lockPath} is held by another process (if none is running, remove the file)`);
      }
      await sleep(LOCK_POLL_MS);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Append the presented key as the host's key, unless the file already lists a key for that
 * host: then nothing is written, and the caller verifies against the text returned, which
 * holds what the first resource to see the host recorded.
 * Rejects with the file system's error when the file cannot be read or written.
 */
export function recordFirstSeenHostKey(sight: FirstSight): Promise<FirstSightOutcome> {
  return inFileQueue(sight.path, async () => {
    const existing = await stat(sight.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
    if (existing !== undefined && !existing.isFile()) return { recorded: false, knownHosts: await readIfPresent(sight.path) };
    await mkdir(dirname(sight.path), { recursive: true, mode: 0o700 });
    return withLockFile(trustLockPath(sight.path), async () => {
      const text = await readIfPresent(sight.path);
      const listed = text === undefined ? undefined : lookupKnownHosts(parseKnownHosts(text), sight.host, sight.port);
      if (listed !== undefined && listed.keys.length > 0) return { recorded: false, knownHosts: text };
      const separator = text !== undefined && text !== "" && !text.endsWith("\n") ? "\n" : "";
      const line = `${separator}${knownHostsLine(sight.host, sight.port, sight.presentedBlob)}\n`;
      await appendFile(sight.path, line, { mode: 0o600, flag: "a" });
      return { recorded: true, knownHosts: `${text ?? ""}${line}` };
    });
  });
}

/**
 * Under accept-new, a key trusted only because it is new (or only by this resource's own
 * recorded fingerprint) is recorded in the known_hosts file, so every resource on the host
 * is held to it from then on.
 */
function shouldRecord(check: VerifyHostKeyInput, verdict: HostKeyVerdict): boolean {
  if (check.policy !== "accept-new") return false;
  if (verdict.source === "accepted-new") return true;
  if (verdict.source !== "accepted") return false;
  return check.knownHosts === undefined || lookupKnownHosts(parseKnownHosts(check.knownHosts), check.host, check.port).keys.length === 0;
}

/**
 * The dialer's whole host key decision: verifyHostKey on what was read before dialing,
 * then, for a first sight under accept-new, record it in `knownHostsPath`, or, if another
 * resource recorded this host meanwhile, verify against what it recorded. Rejects with
 * HostKeyMismatchError / HostKeyUnknownError, or ConnectionConfigError when the key
 * cannot be recorded.
 */
export async function trustPresentedHostKey(
  check: VerifyHostKeyInput,
  knownHostsPath: string,
  log: (message: string) => void,
): Promise<HostKeyVerdict> {
  const first = verifyHostKey(check);
  if (!shouldRecord(check, first)) return first;
  const target = check.target ?? `${check.host}:${check.port}`;
  let outcome: FirstSightOutcome;
  try {
    outcome = await recordFirstSeenHostKey({ path: knownHostsPath, host: check.host, port: check.port, presentedBlob: check.presentedBlob });
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConnectionConfigError([
      {
        path: "connection.knownHostsFile",
        message:
          `cannot record the host key of ${target} in ${knownHostsPath} (${reason}); ` +
          "make it writable, point knownHostsFile at a writable file, or pin hostKey",
      },
    ]);
  }
  if (outcome.recorded) {
    log(`${target}: recorded host key ${first.fingerprint} in ${knownHostsPath}`);
    return first;
  }
  // A fingerprint from this resource's own state keeps its precedence over the file.
  return first.source === "accepted" ? first : verifyHostKey({ ...check, knownHosts: outcome.knownHosts });
}
