// Typed errors of the SSH transport.
//
// Every error is built only from safe fields (user, host, port, argv, exit code, trimmed
// stderr) and its text is passed through `redactSecrets` as a second line of defence: a
// host that echoes a password into stderr must not leak it into `pulumi up` output.
// Errors never keep the underlying library error as `cause`, because util.inspect would
// print it (and whatever it references) verbatim; only its redacted message is kept.

import { redactSecrets } from "./redact";

/** Longest stderr excerpt an error carries; the tail is kept because that is where tools complain. */
export const MAX_STDERR_CHARS = 2048;

export { MIN_EMBEDDED_SECRET_CHARS, redactSecrets } from "./redact";

/** Keep the last `max` characters of a trimmed stderr, marking the cut. */
export function trimStderr(stderr: string, max = MAX_STDERR_CHARS): string {
  const t = stderr.trim();
  return t.length <= max ? t : `…${t.slice(t.length - max + 1)}`;
}

/** Base class of every error pulumi-lvs raises on purpose. */
export class LvsError extends Error {
  /** Which SSH hop failed: "target", or "proxy" for the jump host (nested proxies add more). */
  hop: string | undefined;

  constructor(message: string, secrets: readonly string[] = []) {
    super(redactSecrets(message, secrets));
    this.name = new.target.name;
  }

  /**
   * A copy of this error whose message is prefixed with `<label>: ` (pulumi-command's
   * convention for the jump host). A copy, not a mutation, because a pooled proxy dial is
   * shared by callers that connect to the proxy host directly and must see it unlabelled.
   */
  labelledHop(label: string): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this);
    const message = `${label}: ${this.message}`;
    Object.defineProperty(copy, "message", { value: message, writable: true, configurable: true });
    copy.hop = this.hop === undefined || this.hop === "target" ? label : `${label}: ${this.hop}`;
    copy.stack = `${this.name}: ${message}\n${(this.stack ?? "").split("\n").slice(1).join("\n")}`;
    return copy;
  }

  /** JSON carries the same safe fields as the message, never more. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), name: this.name, message: this.message };
  }
}

/** Where an SSH connection points, already rendered by describeConnection. */
interface Endpoint {
  /** e.g. `lab@127.0.0.1:2201 (via root@127.0.0.1:2202)` */
  target: string;
}

/** TCP connect / SSH handshake failed (not auth, not host key). */
export class SshDialError extends LvsError {
  readonly target: string;
  readonly attempts: number;
  readonly reason: string;
  /** True when the failure may go away by itself (refused, reset, timeout) and is worth retrying. */
  transient: boolean;
  /** What to do next, when the generic advice does not fit. */
  readonly hint: string | undefined;

  constructor(
    f: Endpoint & { reason: string; attempts?: number; transient?: boolean; hint?: string },
    secrets: readonly string[] = [],
  ) {
    const attempts = f.attempts ?? 1;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
    super(
      `could not connect to ${f.target}${tries}: ${f.reason}. ` +
        (f.hint ?? "Check that the host is up, that sshd listens on that address and port, and that no firewall drops the connection."),
      secrets,
    );
    this.target = f.target;
    this.attempts = attempts;
    this.reason = redactSecrets(f.reason, secrets);
    this.transient = f.transient ?? false;
    this.hint = f.hint;
    this.hop = "target";
  }

  /** The same failure, now known to have been tried `attempts` times. */
  withAttempts(attempts: number): SshDialError {
    const hint = this.hint === undefined ? {} : { hint: this.hint };
    return new SshDialError({ target: this.target, reason: this.reason, attempts, transient: this.transient, ...hint });
  }
}

/** The server refused every authentication method we offered. */
export class SshAuthError extends LvsError {
  readonly target: string;
  /** Methods we had credentials for and offered. */
  readonly methodsOffered: readonly string[];
  /** Methods the host said it accepts (from its USERAUTH_FAILURE reply). */
  readonly methodsAccepted: readonly string[];

  constructor(
    f: Endpoint & { methodsOffered: readonly string[]; methodsAccepted: readonly string[]; detail?: string },
    secrets: readonly string[] = [],
  ) {
    const tried = f.methodsOffered.length ? f.methodsOffered.join(", ") : "none";
    const accepted = f.methodsAccepted.length ? f.methodsAccepted.join(", ") : "unknown";
    super(
      `authentication to ${f.target} failed: the host refused every method offered (offered: ${tried}; ` +
        `the host accepts: ${accepted})${f.detail ? `: ${f.detail}` : ""}. ` +
        "Check that the user exists on the host, that its ~/.ssh/authorized_keys holds the public half of " +
        "`privateKey` (or that `password`/`agentSocket` is right), and that sshd permits that user.",
      secrets,
    );
    this.target = f.target;
    this.methodsOffered = [...f.methodsOffered];
    this.methodsAccepted = [...f.methodsAccepted];
    this.hop = "target";
  }
}

/** The host presented a key other than the one we trust for it (or one marked @revoked). */
export class HostKeyMismatchError extends LvsError {
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly expectedFingerprint: string;
  readonly presentedFingerprint: string;
  /** Where the expected key came from: "pinned", "accepted", "known_hosts" or "revoked". */
  readonly expectedSource: string;

  constructor(f: Endpoint & { host: string; port: number; expected: string; presented: string; source: string; detail?: string }) {
    const detail = f.detail ? ` (${f.detail})` : "";
    const where =
      f.source === "pinned"
        ? "the pinned `hostKey`"
        : f.source === "accepted"
          ? "the host key accepted earlier (`acceptedHostKey`)"
          : "known_hosts";
    super(
      f.source === "revoked"
        ? `host key verification failed for ${f.target}: the host presented ${f.presented}, ` +
            `which known_hosts marks @revoked${detail}. Do not connect until the host has a new key; ` +
            "then pin the new key with `hostKey`."
        : `host key verification failed for ${f.target}: the host presented a different host key. ` +
            `Expected ${f.expected} (from ${where}), presented ${f.presented}${detail}. ` +
            "This can mean the host was reinstalled or that someone is intercepting the connection. " +
            "Confirm the new key out of band (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host), " +
            "then update `hostKey`/`acceptedHostKey` or the known_hosts entry.",
    );
    this.target = f.target;
    this.host = f.host;
    this.port = f.port;
    this.expectedFingerprint = f.expected;
    this.presentedFingerprint = f.presented;
    this.expectedSource = f.source;
    this.hop = "target";
  }
}

/** Strict policy and nothing to verify the host against. */
export class HostKeyUnknownError extends LvsError {
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly presentedFingerprint: string;

  constructor(f: Endpoint & { host: string; port: number; presented: string }) {
    super(
      `host key of ${f.target} is unknown: no \`hostKey\` is pinned and known_hosts has no entry for it; ` +
        `the host presented ${f.presented}. Verify that fingerprint out of band, then pin it with ` +
        '`hostKey: "<that fingerprint or the public key line>"`, add it to known_hosts, or set ' +
        '`hostKeyPolicy: "accept-new"` to trust the first key seen and enforce it afterwards.',
    );
    this.target = f.target;
    this.host = f.host;
    this.port = f.port;
    this.presentedFingerprint = f.presented;
    this.hop = "target";
  }
}

/** Fields every command error shares. */
interface CommandFacts extends Endpoint {
  /** The command line as sent, rendered with quoteShellArg. */
  command: string;
}

/** The remote command ran and exited non-zero. */
export class RemoteCommandError extends LvsError {
  readonly target: string;
  readonly command: string;
  readonly exitCode: number;
  readonly stderr: string;

  constructor(f: CommandFacts & { exitCode: number; stderr: string }, secrets: readonly string[] = []) {
    const stderr = trimStderr(redactSecrets(f.stderr, secrets));
    super(
      `command on ${f.target} exited with code ${f.exitCode}: ${f.command}\n` +
        (stderr ? `stderr:\n${stderr}` : "(no stderr output)"),
      secrets,
    );
    this.target = f.target;
    this.command = redactSecrets(f.command, secrets);
    this.exitCode = f.exitCode;
    this.stderr = stderr;
  }
}

/** `sudo -n` refused because the user's sudoers entry wants a password. */
export class SudoPasswordRequiredError extends LvsError {
  readonly target: string;
  readonly command: string;

  constructor(f: CommandFacts, secrets: readonly string[] = []) {
    super(
      `sudo on ${f.target} requires a password for: ${f.command}. ` +
        "pulumi-lvs runs sudo non-interactively (`sudo -n`). Grant this user NOPASSWD for these commands " +
        "in /etc/sudoers.d, or connect as root (`user: \"root\"`).",
      secrets,
    );
    this.target = f.target;
    this.command = redactSecrets(f.command, secrets);
  }
}

/** The command did not finish in time; its channel was closed. */
export class CommandTimeoutError extends LvsError {
  readonly target: string;
  readonly command: string;
  readonly timeoutMs: number;

  constructor(f: CommandFacts & { timeoutMs: number }, secrets: readonly string[] = []) {
    super(
      `command on ${f.target} did not finish within ${f.timeoutMs} ms: ${f.command}. ` +
        "The channel was closed, but the command may still be running on the host; check there before " +
        "retrying, or raise `timeouts.commandMs`.",
      secrets,
    );
    this.target = f.target;
    this.command = redactSecrets(f.command, secrets);
    this.timeoutMs = f.timeoutMs;
  }
}

/** The connection dropped after the command was sent: it may or may not have run. */
export class SshConnectionLostError extends LvsError {
  readonly target: string;
  readonly command: string;

  constructor(f: CommandFacts & { reason: string }, secrets: readonly string[] = []) {
    super(
      `connection to ${f.target} was lost while running: ${f.command} (${f.reason}). ` +
        "The command may or may not have completed; it was not re-run. Check the host's state, then retry.",
      secrets,
    );
    this.target = f.target;
    this.command = redactSecrets(f.command, secrets);
  }
}

/** The host refused to open a session channel on a live connection. */
export class SshChannelError extends LvsError {
  readonly target: string;

  constructor(f: Endpoint & { reason: string }, secrets: readonly string[] = []) {
    super(
      `could not open a session on ${f.target}: ${f.reason}. The command was not run. ` +
        "The host kept refusing new sessions: sshd limits them per connection (MaxSessions, 10 by default), " +
        "and other clients may share it; lower `maxChannels` or raise MaxSessions in sshd_config.",
      secrets,
    );
    this.target = f.target;
  }
}

/** One validation problem: dotted property path and what is wrong. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The connection settings are invalid; lists every problem at once. */
export class ConnectionConfigError extends LvsError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], secrets: readonly string[] = []) {
    const safe = issues.map((i) => ({ path: i.path, message: redactSecrets(i.message, secrets) }));
    super(
      `invalid SSH connection settings (${safe.length} problem${safe.length === 1 ? "" : "s"}):\n` +
        safe.map((i) => `  ${i.path}: ${i.message}`).join("\n"),
      secrets,
    );
    this.issues = safe;
  }
}

/** An argv element cannot be passed through a POSIX shell. The content is never shown. */
export class UnsafeArgumentError extends LvsError {
  readonly index: number;

  constructor(f: { index: number; reason: string; hint?: string }) {
    super(
      `argument ${f.index} of the command ${f.reason}. ` +
        (f.hint ?? "A shell argument cannot carry it; remove it (send binary data on stdin instead)."),
    );
    this.index = f.index;
  }
}

/** A retried operation that is not a dial failed every time. */
export class RetryExhaustedError extends LvsError {
  readonly label: string;
  readonly attempts: number;

  constructor(f: { label: string; attempts: number; lastMessage: string }) {
    super(`${f.label}: failed after ${f.attempts} attempt${f.attempts === 1 ? "" : "s"}: ${f.lastMessage}`);
    this.label = f.label;
    this.attempts = f.attempts;
  }
}
