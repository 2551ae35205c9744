// The host-wide locks that serialise changes on one host (the IPVS rules file, the ARP
// registry, a keepalived node), as one shell function every constant script includes.
//
// Why not /run/lock: it is world-writable, so a local user can plant a symlink where a
// lock file will be opened as root (where protected_symlinks is off), or hold the flock
// and stall every change forever. Our locks live in a directory of their own under /run
// (root-only, tmpfs, so a reboot frees them), which the function creates 0700 and refuses
// to use unless it is a real directory owned by the user running it (root) with mode 700.
// Nobody else can then create anything inside it, so the lock file cannot be a planted
// link (it is checked anyway).
//
// The wait is bounded, and strictly below the command's own timeout: a command that could
// not get the lock in time exits by itself, with EXIT code 75 and the holder's line (pid,
// script, start time, written by each holder after acquiring) on stderr, before we give
// up on it, so nothing runs on the host after we reported failure.

import { LvsError } from "../ssh";

/** The root-only directory of every pulumi-lvs lock. */
export const HOST_LOCK_DIRECTORY = "/run/pulumi-lvs";

/** Exit codes of host_lock (75 is sysexits' EX_TEMPFAIL: try again later). */
export const HOST_LOCK_EXIT = {
  timeout: 75,
  unsafeDirectory: 76,
} as const;

const TIMEOUT_MARKER = "pulumi-lvs-lock-timeout:";
const UNSAFE_MARKER = "pulumi-lvs-lock-unsafe:";

/** The longest any change waits for a lock: longer means something is stuck. */
export const MAX_HOST_LOCK_WAIT_SECONDS = 120;

/**
 * Shell text defining `host_lock LOCK_FILE WAIT_SECONDS`: holds LOCK_FILE on fd 9 for the
 * rest of the script (and whatever it execs), or exits 75/76. Paste it into a constant
 * script; the lock file and the wait reach it as positional parameters or constants.
 */
export const HOST_LOCK_FUNCTION = `host_lock() {
  lock_dir=$(dirname -- "$1")
  mkdir -p -m 0700 -- "$lock_dir" 2>/dev/null || true
  if [ -L "$lock_dir" ] || [ ! -d "$lock_dir" ] || [ "$(stat -c '%u %a' -- "$lock_dir")" != "$(id -u) 700" ] || [ -L "$1" ]; then
    echo "${UNSAFE_MARKER} $lock_dir must be a directory (not a link) owned by $(id -un) with mode 0700; remove it and retry" >&2
    exit ${HOST_LOCK_EXIT.unsafeDirectory}
  fi
  exec 9>>"$1"
  if ! flock -w "$2" 9; then
    echo "${TIMEOUT_MARKER} $1 is held by $(cat -- "$1.holder" 2>/dev/null || echo 'an unknown process')" >&2
    exit ${HOST_LOCK_EXIT.timeout}
  fi
  printf 'pid %s (%s) since %s\\n' "$$" "$0" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$1.holder"
}`;

/** The path of a named lock in HOST_LOCK_DIRECTORY. */
export function hostLockFile(name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`not a lock name: ${JSON.stringify(name)}`);
  return `${HOST_LOCK_DIRECTORY}/${name}.lock`;
}

/**
 * How long a command with this timeout may wait for a lock (`flock -w`, seconds with
 * millisecond precision): half of the timeout, so the command still has the other half to
 * run once it holds the lock, and at most MAX_HOST_LOCK_WAIT_SECONDS.
 */
export function hostLockWaitSeconds(commandTimeoutMs: number): string {
  return (hostLockWaitMs(commandTimeoutMs) / 1000).toFixed(3);
}

/** hostLockWaitSeconds in milliseconds, for a caller that waits on this side as long. */
export function hostLockWaitMs(commandTimeoutMs: number): number {
  return Math.max(1, Math.min(MAX_HOST_LOCK_WAIT_SECONDS * 1000, Math.floor(commandTimeoutMs / 2)));
}

/** Another change held the host's lock for longer than this one could wait. */
export class HostLockTimeoutError extends LvsError {
  readonly host: string;
  readonly lock: string;
  readonly holder: string;

  constructor(f: { host: string; lock: string; holder: string }) {
    super(
      `could not lock ${f.lock} on ${f.host} in time: it is held by ${f.holder}. Nothing was changed. ` +
        "Another pulumi-lvs change on this host is still running (wait for it and retry); if that process is gone " +
        "or stuck, stop it on the host, then retry.",
    );
    this.host = f.host;
    this.lock = f.lock;
    this.holder = f.holder;
  }
}

/** The lock directory on the host is not ours alone; nothing was changed. */
export class HostLockDirectoryError extends LvsError {
  readonly host: string;

  constructor(f: { host: string; detail: string }) {
    super(`refusing to take a lock on ${f.host}: ${f.detail}. Nothing was changed.`);
    this.host = f.host;
  }
}

/** The typed error for a command that failed in host_lock, or undefined if it failed otherwise. */
export function hostLockFailure(host: string, exitCode: number, stderr: string): LvsError | undefined {
  const line = (marker: string) => stderr.split("\n").find((l) => l.startsWith(marker))?.slice(marker.length).trim();
  const timeout = exitCode === HOST_LOCK_EXIT.timeout ? line(TIMEOUT_MARKER) : undefined;
  if (timeout !== undefined) {
    const m = /^(\S+) is held by (.*)$/.exec(timeout);
    return new HostLockTimeoutError({ host, lock: m?.[1] ?? "the host lock", holder: m?.[2] ?? timeout });
  }
  const unsafe = exitCode === HOST_LOCK_EXIT.unsafeDirectory ? line(UNSAFE_MARKER) : undefined;
  if (unsafe !== undefined) return new HostLockDirectoryError({ host, detail: unsafe });
  return undefined;
}
