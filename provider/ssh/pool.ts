// The per-process connection pool.
//
// The Pulumi engine runs every dynamic resource of a program in one provider process, and
// a cluster's resources all talk to the same few hosts, often concurrently. One
// authenticated connection per (host, port, user, identity, trust settings, proxy chain)
// keeps that to one handshake per host instead of one per command, and a per-connection
// semaphore keeps us under sshd's MaxSessions (10 by default), which would otherwise refuse
// the 11th concurrent channel.
//
// Only the pool's settings, statistics and close/reset are public. What exec needs of a
// live connection is `@internal` and stripped from the published declarations, because it
// names ssh2's types, which a user of the package does not get.

import { createHash, createHmac, randomBytes } from "crypto";
import type { Socket } from "net";
import type { Duplex } from "stream";
import type { Client } from "ssh2";
import { describeConnection, type SshConnection } from "./connection";
import { dialOnce, forwardThrough } from "./dial";
import { LvsError, SshDialError } from "./errors";
import type { HostKeyVerdict } from "./hostKey";
import { sshLog } from "./log";
import { isTransientDialError, realSleep, withRetry } from "./retry";
import { Semaphore } from "./semaphore";

// ---------------------------------------------------------------- configuration and stats

export interface SshPoolConfig {
  /** Close a connection after it has had no channel open for this long. */
  idleMs: number;
  /** Dial attempts per connection (transient failures only). */
  dialAttempts: number;
  dialBaseDelayMs: number;
  dialMaxDelayMs: number;
  /**
   * Tries to open a session channel that a live host refused. sshd frees a finished
   * session only after it has processed the close, so a new channel that arrives in the
   * same read is refused ("no more sessions") although we stayed under MaxSessions.
   * A refused open never ran anything, so trying again shortly is always safe.
   */
  channelOpenAttempts: number;
  channelOpenDelayMs: number;
  /** Injected by tests to skip real backoff waits. */
  sleep: (ms: number) => Promise<void>;
}

const DEFAULT_CONFIG: SshPoolConfig = {
  idleMs: 3000,
  dialAttempts: 5,
  dialBaseDelayMs: 500,
  dialMaxDelayMs: 8000,
  channelOpenAttempts: 8,
  channelOpenDelayMs: 50,
  sleep: realSleep,
};
let config: SshPoolConfig = { ...DEFAULT_CONFIG };

/** @internal The current settings (exec reads the channel retry policy from here). */
export function sshPoolConfig(): Readonly<SshPoolConfig> {
  return config;
}

/** Change pool settings; returns the previous ones so a test can restore them. */
export function configureSshPool(changes: Partial<SshPoolConfig>): SshPoolConfig {
  const previous = config;
  config = { ...config, ...changes };
  return previous;
}

export interface SshPoolStats {
  /** Successful authenticated connects since the last reset (jump hosts included). */
  handshakes: number;
  /** Dial attempts, successful or not. */
  dials: number;
  openConnections: number;
  execs: number;
}

const counters = { handshakes: 0, dials: 0, execs: 0 };

export function sshPoolStats(): SshPoolStats {
  return { ...counters, openConnections: pool.size };
}

/** @internal */
export function countExec(): void {
  counters.execs++;
}

// ---------------------------------------------------------------- entries

/** @internal A live pooled connection, as exec sees it. */
export interface PooledConnection {
  readonly target: string;
  readonly client: Client;
  readonly verdict: HostKeyVerdict;
  /** False once the connection errored, closed or was evicted. */
  readonly alive: boolean;
}

interface Entry extends PooledConnection {
  key: string;
  alive: boolean;
  closed: boolean;
  socket: Socket | undefined;
  slots: Semaphore;
  /** Open channels on this connection plus busy connections tunnelled through it. */
  busy: number;
  /** Live connections tunnelled through this one. */
  dependents: number;
  proxy: Entry | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

const pool = new Map<string, Entry>();
const inflight = new Map<string, Promise<Entry>>();

// Secrets are keyed through an HMAC with a per-process random key: the pool key is
// stable within the process, but even if it leaked it could not be brute-forced back
// into a short password.
const keySalt = randomBytes(32);
const digest = (parts: unknown[]): string => createHmac("sha256", keySalt).update(JSON.stringify(parts)).digest("hex").slice(0, 32);

/**
 * Connections are shared only between identical credentials AND identical trust settings:
 * a caller who pins a different host key must get its own verified handshake, never a
 * connection that was trusted under someone else's rules.
 *
 * @internal
 */
export function poolKey(conn: SshConnection): string {
  const identity = digest([conn.privateKey ?? null, conn.privateKeyPassphrase ?? null, conn.password ?? null, conn.agentSocket ?? null]);
  const trust = createHash("sha256")
    .update(JSON.stringify([conn.hostKey ?? null, conn.acceptedHostKey ?? null, conn.knownHostsFile ?? null, conn.hostKeyPolicy]))
    .digest("hex")
    .slice(0, 16);
  const self = `${conn.user}@${conn.host}:${conn.port}#${identity}#${trust}`;
  return conn.proxy ? `${self} via ${poolKey(conn.proxy)}` : self;
}

function markBusy(e: Entry): void {
  if (++e.busy !== 1) return;
  clearTimeout(e.idleTimer);
  e.idleTimer = undefined;
  e.socket?.ref();
  if (e.proxy) markBusy(e.proxy);
}

function markIdle(e: Entry): void {
  if (--e.busy !== 0) return;
  if (e.proxy) markIdle(e.proxy);
  scheduleIdleClose(e);
}

// An idle connection must not keep a provider process alive: its socket is unref'd while
// no channel is open, and the idle timer itself is unref'd.
function scheduleIdleClose(e: Entry): void {
  if (!e.alive || e.busy > 0) return;
  e.socket?.unref();
  if (e.dependents > 0) return;
  clearTimeout(e.idleTimer);
  e.idleTimer = setTimeout(() => {
    if (e.busy === 0 && e.dependents === 0) evict(e, "idle");
  }, config.idleMs);
  e.idleTimer.unref();
}

/** @internal Drop a connection from the pool and close it. Idempotent. */
export function evict(pc: PooledConnection, reason: string): void {
  const e = pc as Entry;
  if (!e.alive) return;
  e.alive = false;
  if (pool.get(e.key) === e) pool.delete(e.key);
  clearTimeout(e.idleTimer);
  sshLog(`${e.target}: connection dropped (${reason})`);
  if (e.proxy) {
    e.proxy.dependents--;
    scheduleIdleClose(e.proxy);
  }
  try {
    e.client.end();
  } catch {
    // already gone
  }
}

/** @internal Run `fn` holding one channel slot of the connection (queued past maxChannels). */
export async function withChannelSlot<T>(pc: PooledConnection, fn: () => Promise<T>): Promise<T> {
  const e = pc as Entry;
  const release = await e.slots.acquire();
  markBusy(e);
  try {
    return await fn();
  } finally {
    release();
    markIdle(e);
  }
}

// ---------------------------------------------------------------- dialing

/** Errors of the jump host's own dial are labelled `proxy:` and are not retried again. */
function asProxyError(err: unknown): Error {
  if (err instanceof LvsError) {
    const labelled = err.labelledHop("proxy");
    if (labelled instanceof SshDialError) labelled.transient = false;
    return labelled;
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function dialEntry(conn: SshConnection, key: string): Promise<Entry> {
  const target = describeConnection(conn);
  let entry: Entry | undefined;
  let lostEarly: string | undefined;
  const onLost = (reason: string): void => {
    if (entry) evict(entry, reason);
    else lostEarly = reason;
  };

  return withRetry(
    `connect ${target}`,
    async () => {
      counters.dials++;
      let proxy: Entry | undefined;
      let sock: Duplex | undefined;
      if (conn.proxy) {
        proxy = await acquireEntry(conn.proxy).catch((e: unknown) => {
          throw asProxyError(e);
        });
      }
      if (proxy) markBusy(proxy); // keep the jump host open while we tunnel through it
      try {
        if (proxy) {
          sock = await forwardThrough(proxy.client, conn).catch((e: unknown) => {
            if (/connection is gone/.test((e as Error).message)) evict(proxy!, "lost");
            throw e;
          });
        }
        const dialed = await dialOnce(conn, sock, sshLog, onLost);
        counters.handshakes++;
        const { client, socket, verdict } = dialed;
        const created: Entry = {
          ...{ key, target, client, verdict, socket, proxy },
          ...{ alive: true, closed: false, busy: 0, dependents: 0, idleTimer: undefined },
          slots: new Semaphore(conn.maxChannels),
        };
        client.once("close", () => {
          created.closed = true;
        });
        entry = created;
        if (proxy) proxy.dependents++;
        return created;
      } finally {
        if (proxy) markIdle(proxy);
      }
    },
    {
      attempts: config.dialAttempts,
      baseDelayMs: config.dialBaseDelayMs,
      maxDelayMs: config.dialMaxDelayMs,
      isRetryable: isTransientDialError,
      sleep: config.sleep,
      log: sshLog,
    },
  ).then((e) => {
    if (lostEarly !== undefined) evict(e, lostEarly);
    return e;
  });
}

async function acquireEntry(conn: SshConnection): Promise<Entry> {
  const key = poolKey(conn);
  const live = pool.get(key);
  if (live?.alive) return live;
  let pending = inflight.get(key);
  if (!pending) {
    // Concurrent callers for the same key share this one dial.
    pending = dialEntry(conn, key)
      .then((e) => {
        if (e.alive) {
          pool.set(key, e);
          scheduleIdleClose(e);
        }
        return e;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  return pending;
}

/** @internal The pooled connection for `conn`, dialing (with retries) if there is none alive. */
export function acquireConnection(conn: SshConnection): Promise<PooledConnection> {
  return acquireEntry(conn);
}

// ---------------------------------------------------------------- shutdown

/** Close every pooled connection and wait (briefly) until they are closed. */
export async function closeSshPool(): Promise<void> {
  await Promise.allSettled([...inflight.values()]);
  // Tunnelled connections first, so their jump hosts close last.
  const entries = [...pool.values()].sort((a, b) => Number(!!b.proxy) - Number(!!a.proxy));
  await Promise.all(
    entries.map(
      (e) =>
        new Promise<void>((resolve) => {
          if (e.closed) return resolve();
          // Keep the process alive until the goodbye is out: an idle socket is unref'd.
          e.socket?.ref();
          const timer = setTimeout(resolve, 2000);
          e.client.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          evict(e, "pool closed");
        }),
    ),
  );
}

/** Close everything and zero the statistics (tests). */
export async function resetSshPool(): Promise<void> {
  await closeSshPool();
  counters.handshakes = 0;
  counters.dials = 0;
  counters.execs = 0;
}
