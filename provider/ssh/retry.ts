// The one retry helper (pulumi-command's shape): label, attempt limit, "attempt n of N"
// logs, capped exponential backoff, and the last error wrapped with the count.
//
// Only failures that can go away by waiting are retried: a host that is still booting or
// restarting sshd refuses or resets connections for a while. Authentication, host-key and
// command errors are final; retrying them would only hide the real problem (or, for a
// command, run it twice).

import { LvsError, RetryExhaustedError, SshDialError } from "./errors";

export interface RetryOptions {
  /** Total tries, including the first (≥ 1). */
  attempts: number;
  /** Delay after the first failure; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
  isRetryable: (err: unknown) => boolean;
  /** Injected in tests so no real time passes. */
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
  /** Builds the error thrown when every attempt failed; by default it names the count. */
  giveUp?: (lastError: unknown, attempts: number) => Error;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before attempt `n + 1` after `n` failures: base·2^(n-1), capped. */
export function backoffDelay(failures: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, failures - 1));
}

function defaultGiveUp(label: string) {
  return (err: unknown, attempts: number): Error => {
    // A dial error knows how to say "after N attempts" in its own words.
    if (err instanceof SshDialError) {
      const e = err.withAttempts(attempts);
      return err.hop && err.hop !== "target" ? e.labelledHop(err.hop) : e;
    }
    const lastMessage = err instanceof Error ? err.message : String(err);
    return new RetryExhaustedError({ label, attempts, lastMessage });
  };
}

/**
 * Run `fn` until it succeeds, a non-retryable error occurs (rethrown unchanged), or
 * `attempts` tries have failed (then `giveUp` wraps the last error with the count).
 */
export async function withRetry<T>(label: string, fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = Math.max(1, Math.floor(opts.attempts));
  const sleep = opts.sleep ?? realSleep;
  const giveUp = opts.giveUp ?? defaultGiveUp(label);
  for (let attempt = 1; ; attempt++) {
    opts.log?.(`${label}: attempt ${attempt} of ${attempts}`);
    try {
      return await fn(attempt);
    } catch (err) {
      if (!opts.isRetryable(err)) throw err;
      if (attempt >= attempts) throw giveUp(err, attempt);
      const delay = backoffDelay(attempt, opts.baseDelayMs, opts.maxDelayMs);
      opts.log?.(`${label}: attempt ${attempt} failed (${err instanceof Error ? err.message : String(err)}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}

// Socket-level errors that mean "nobody answered yet" or "the connection broke", as
// opposed to "the host said no".
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);
const TRANSIENT_MESSAGES = [
  /Timed out while waiting for handshake/i,
  /Connection lost before handshake/i,
  /\bECONNREFUSED\b|\bECONNRESET\b|\bETIMEDOUT\b|\bEHOSTUNREACH\b/,
];

/** Is this a dial failure worth another try? Typed errors decide for themselves. */
export function isTransientDialError(err: unknown): boolean {
  if (err instanceof SshDialError) return err.transient;
  if (err instanceof LvsError) return false;
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  return TRANSIENT_MESSAGES.some((re) => re.test(err.message));
}
