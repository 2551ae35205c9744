// Running one command on a host: argv in, { exitCode, stdout, stderr } out.
//
// The command is rendered from argv by renderCommandLine (never interpolated), optionally
// behind `sudo -n --`, and run on a pooled connection. A command is re-sent only when we
// know it never reached the host (the channel could not even be opened); once the exec
// request is out, a lost connection is reported, never papered over by a second run.

import { constants as osConstants } from "os";
import type { ClientChannel } from "ssh2";
import { describeConnection, parseSshConnection, secretsOf, type SshConnection, type SshConnectionInput } from "./connection";
import {
  CommandTimeoutError,
  RemoteCommandError,
  SshChannelError,
  SshConnectionLostError,
  SudoPasswordRequiredError,
  redactSecrets,
} from "./errors";
import type { HostKeySource } from "./hostKey";
import { sshLog } from "./log";
import { acquireConnection, countExec, evict, sshPoolConfig, withChannelSlot, type PooledConnection } from "./pool";
import { quoteShellArg, renderCommandLine } from "./quote";

export interface ExecOptions {
  /** Sent on the command's stdin, then EOF. Never logged. Without it stdin is closed at once. */
  stdin?: string | Buffer;
  /**
   * A reply within the same command: stdin stays open after `stdin`, and once the command's
   * stdout ends with `marker` on a line of its own, what `reply` makes of the stdout so far
   * is sent, then EOF. One remote command where a read followed by a write would take two
   * (the command can keep a lock across both). If `reply` throws, stdin is closed without
   * it and the command fails with that error. Never logged.
   */
  answer?: ExecAnswer;
  /** Overrides `timeouts.commandMs` of the connection. */
  timeoutMs?: number;
  /** Overrides the connection's `sudo`. */
  sudo?: boolean;
}

export interface ExecAnswer {
  marker: string;
  reply: (stdoutSoFar: string) => string | Buffer;
}

export interface ExecResult {
  /** The exit status; 128 + signal number when the command was killed by a signal. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set when the command was killed by a signal (e.g. "SIGKILL"). */
  signal?: string;
}

export interface ConnectionInfo {
  hostKeyFingerprint: string;
  hostKeySource: HostKeySource;
}

// What `sudo -n` prints when the sudoers entry wants a password (wording varies by version).
const SUDO_NEEDS_PASSWORD = /^sudo: (a password is required|a terminal is required|no tty present and no askpass program)/m;

/** The channel never reached "command sent": re-running elsewhere is safe. */
class NotSentError extends Error {}

/** A live host refused to open a session channel: nothing ran; the same connection may take it later. */
class ChannelRefusedError extends Error {}

function toConnection(connection: SshConnectionInput | SshConnection): SshConnection {
  return parseSshConnection(connection);
}

/**
 * The command line as errors and logs show it. A secret passed as an argument appears
 * there shell-quoted (`it's` as `'it'\''s'`), so that form is redacted as well.
 */
export function redactCommandLine(command: string, secrets: readonly string[]): string {
  const quoted = secrets.flatMap((secret) => {
    try {
      const q = quoteShellArg(secret);
      return q === secret ? [] : [q];
    } catch {
      return []; // unquotable (NUL): such an argument is refused before it is ever sent
    }
  });
  return redactSecrets(command, [...quoted, ...secrets]);
}

/** The argv actually sent: `sudo -n -- argv` when sudo applies (argv-level, then quoted). */
export function effectiveArgv(conn: SshConnection, argv: readonly string[], sudo?: boolean): string[] {
  return (sudo ?? conn.sudo) ? ["sudo", "-n", "--", ...argv] : [...argv];
}

function exitCodeOf(code: number | null | undefined, signal: string | undefined): number {
  if (typeof code === "number") return code;
  const n = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return n !== undefined ? 128 + n : 255;
}

/**
 * Best effort: ask sshd to SIGKILL the command (RFC 4254 "signal"). OpenSSH acts on it only
 * for sessions without root privileges: for root, and so for anything run through sudo,
 * it answers "session signalling requires privilege separation" and the command keeps
 * running, which is why the timeout error says it may still be running.
 * ssh2's public `channel.signal()` stays silent once we have sent EOF on stdin, which we
 * always have, so the request goes through its protocol object; if that internal shape
 * ever changes we just skip the kill.
 */
function killRemote(channel: ClientChannel): void {
  const internals = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  const id = internals.outgoing?.id;
  const protocol = internals._client?._protocol;
  if (typeof id !== "number" || typeof protocol?.signal !== "function") return;
  if (internals.outgoing?.state !== "open" && internals.outgoing?.state !== "eof") return;
  try {
    protocol.signal(id, "KILL");
  } catch {
    // connection already gone
  }
}

/** Open a session, run `command`, collect output. Rejects with NotSentError if it provably never ran. */
function runOnChannel(
  pc: PooledConnection,
  command: string,
  stdin: string | Buffer | undefined,
  answer: ExecAnswer | undefined,
  timeoutMs: number,
  facts: { target: string; shown: string; secrets: string[] },
): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let done = false;
    const finish = (err: Error | undefined, result?: ExecResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(result!);
    };
    const timer = setTimeout(() => {
      finish(new CommandTimeoutError({ target: facts.target, command: facts.shown, timeoutMs }, facts.secrets));
      if (channel) {
        killRemote(channel);
        channel.close();
      }
    }, timeoutMs);

    const onOpened = (err: (Error & { reason?: unknown }) | undefined, stream: ClientChannel): void => {
      if (err) {
        // ssh2 reports "Unable to exec" once the exec request itself was sent: the host
        // either refused it (connection alive) or the connection died with it in flight,
        // in which case the command may have run. Any other error is from opening the
        // channel: a refusal by a live host (it carries the host's `reason`), or the
        // connection dying before anything was sent.
        if (err.message === "Unable to exec") {
          return finish(
            pc.alive
              ? new SshChannelError({ target: facts.target, reason: "the host refused the exec request" }, facts.secrets)
              : new SshConnectionLostError({ target: facts.target, command: facts.shown, reason: "the connection dropped" }, facts.secrets),
          );
        }
        if (pc.alive && err.reason !== undefined) return finish(new ChannelRefusedError(err.message));
        return finish(new NotSentError(err.message));
      }
      if (done) {
        stream.close(); // timed out while opening
        return;
      }
      channel = stream;
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let exit: { code: number | null | undefined; signal: string | undefined } | undefined;
      // The last bytes of stdout, to see the answer's marker arrive (chunks split anywhere).
      let pending = answer;
      const awaited = pending ? Buffer.from(`${pending.marker}\n`) : undefined;
      let tail = Buffer.alloc(0);
      let replyError: Error | undefined;
      stream.on("data", (d: Buffer) => {
        out.push(d);
        if (!awaited || !pending) return;
        tail = Buffer.concat([tail, d]).subarray(-awaited.length);
        if (!tail.equals(awaited)) return;
        const reply = pending.reply;
        pending = undefined;
        let message: string | Buffer;
        try {
          message = reply(Buffer.concat(out).toString("utf8"));
        } catch (err) {
          // EOF without the reply: the command gives up on its own; this error is the cause.
          replyError = err as Error;
          stream.end();
          return;
        }
        stream.end(message);
      });
      stream.stderr.on("data", (d: Buffer) => errOut.push(d));
      stream.on("exit", (code: number | null, signal?: string) => {
        exit = { code, signal: signal ?? undefined };
      });
      const settle = (): void => {
        if (!exit) {
          const reason = pc.alive ? "the channel closed without an exit status" : "the connection dropped";
          return finish(new SshConnectionLostError({ target: facts.target, command: facts.shown, reason }, facts.secrets));
        }
        // The reply could not be made: that, not the exit it led to, is what went wrong. (A
        // command that ends without asking, having failed before that point, is a plain result.)
        if (replyError) return finish(replyError);
        // Decode after concatenating so multi-byte characters split across packets survive.
        const result: ExecResult = {
          exitCode: exitCodeOf(exit.code, exit.signal),
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(errOut).toString("utf8"),
          ...(exit.signal ? { signal: exit.signal } : {}),
        };
        finish(undefined, result);
      };
      // "close" follows the end of stdout; stderr is a separate stream and may still be
      // delivering its last chunk, so wait for it too.
      stream.on("close", () => {
        if (stream.stderr.readableEnded || stream.stderr.destroyed) return settle();
        stream.stderr.once("end", settle);
        stream.stderr.once("close", settle);
      });
      stream.on("error", () => undefined); // surfaced through "close" without an exit status
      if (pending) {
        if (stdin !== undefined) stream.write(stdin);
      } else if (stdin !== undefined) stream.end(stdin);
      else stream.end();
    };

    try {
      pc.client.exec(command, onOpened);
    } catch (e) {
      finish(new NotSentError((e as Error).message)); // "Not connected": nothing was sent
    }
  });
}

/**
 * Run argv on the host and return its exit code and output; a non-zero exit is a result,
 * not an error. Throws for transport failures, timeouts, and a sudo that needs a password.
 */
export async function exec(
  connection: SshConnectionInput | SshConnection,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const conn = toConnection(connection);
  const useSudo = opts.sudo ?? conn.sudo;
  const fullArgv = effectiveArgv(conn, argv, useSudo);
  const command = renderCommandLine(fullArgv); // throws UnsafeArgumentError before any dial
  const secrets = secretsOf(conn);
  const target = describeConnection(conn);
  const shown = redactCommandLine(command, secrets);
  const timeoutMs = opts.timeoutMs ?? conn.timeouts.commandMs;
  countExec();

  let reconnects = 0;
  let refusals = 0;
  for (;;) {
    const pc = await acquireConnection(conn);
    try {
      sshLog(`${target}: exec ${shown}`);
      const result = await withChannelSlot(pc, () => {
        // Queued behind other channels, the connection may have died meanwhile.
        if (!pc.alive) throw new NotSentError("the connection closed while the command was queued");
        return runOnChannel(pc, command, opts.stdin, opts.answer, timeoutMs, { target, shown, secrets });
      });
      sshLog(`${target}: exit ${result.exitCode}`);
      if (useSudo && result.exitCode === 1 && SUDO_NEEDS_PASSWORD.test(result.stderr)) {
        throw new SudoPasswordRequiredError({ target, command: shown }, secrets);
      }
      return result;
    } catch (e) {
      if (e instanceof ChannelRefusedError) {
        // Outside the slot, so the channels that are still open can finish meanwhile.
        const { channelOpenAttempts, channelOpenDelayMs, sleep } = sshPoolConfig();
        if (++refusals >= channelOpenAttempts) throw new SshChannelError({ target, reason: e.message }, secrets);
        sshLog(`${target}: session refused (${e.message}), attempt ${refusals} of ${channelOpenAttempts}; retrying`);
        await sleep(channelOpenDelayMs * refusals);
        continue;
      }
      if (!(e instanceof NotSentError)) throw e;
      evict(pc, e.message);
      if (++reconnects > 1) {
        throw new SshConnectionLostError({ target, command: shown, reason: `${e.message}; the command was not sent` }, secrets);
      }
      sshLog(`${target}: connection lost before the command was sent (${e.message}); reconnecting`);
    }
  }
}

/** Like exec, but a non-zero exit throws RemoteCommandError (with trimmed stderr). */
export async function run(
  connection: SshConnectionInput | SshConnection,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const conn = toConnection(connection);
  const result = await exec(conn, argv, opts);
  if (result.exitCode !== 0) {
    const secrets = secretsOf(conn);
    const shown = redactCommandLine(renderCommandLine(effectiveArgv(conn, argv, opts.sudo)), secrets);
    const { exitCode, stderr } = result;
    throw new RemoteCommandError({ target: describeConnection(conn), command: shown, exitCode, stderr }, secrets);
  }
  return result;
}

/**
 * Connect (or reuse the pooled connection) and report how the host key was trusted, so a
 * caller under `hostKeyPolicy: "accept-new"` can record the fingerprint as `acceptedHostKey`.
 */
export async function connectionInfo(connection: SshConnectionInput | SshConnection): Promise<ConnectionInfo> {
  const pc = await acquireConnection(toConnection(connection));
  return { hostKeyFingerprint: pc.verdict.fingerprint, hostKeySource: pc.verdict.source };
}
