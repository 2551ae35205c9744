// One SSH dial attempt: socket → handshake → host key check → authentication.
//
// Retries, pooling and the jump host's own connection live in pool.ts; this file turns
// ssh2's loosely typed failures into the transport's typed errors. ssh2 reports a
// refused host key only as "Host denied (verification failed)", so the verifier keeps
// the typed error it raised and the dial rejects with that instead.

import { existsSync, readFileSync } from "fs";
import { connect as netConnect, type Socket } from "net";
import { homedir } from "os";
import { join } from "path";
import type { Duplex } from "stream";
import {
  Client,
  type AuthenticationType,
  type AuthHandlerMiddleware,
  type ClientChannel,
  type ConnectConfig,
  type NextAuthHandler,
} from "ssh2";
import { describeConnection, secretsOf, type SshConnection } from "./connection";
import type { SshTimeouts } from "./connectionTypes";
import { ConnectionConfigError, LvsError, SshAuthError, SshDialError } from "./errors";
import { knownHostKeyTypes, type HostKeyVerdict } from "./hostKey";
import { trustPresentedHostKey } from "./hostKeyTrustFile";

export interface DialedClient {
  client: Client;
  /** The TCP socket when we dialed directly (so the pool can ref/unref it); undefined through a proxy. */
  socket: Socket | undefined;
  verdict: HostKeyVerdict;
}

/** The known_hosts file in use: `knownHostsFile`, else ~/.ssh/known_hosts. */
export function knownHostsPath(conn: SshConnection): string {
  const explicit = conn.knownHostsFile;
  return explicit ?? join(homedir(), ".ssh", "known_hosts");
}

/** The known_hosts text to check against: `knownHostsFile`, else ~/.ssh/known_hosts if present. */
export function readKnownHosts(conn: SshConnection): string | undefined {
  const path = knownHostsPath(conn);
  if (conn.knownHostsFile === undefined && !existsSync(path)) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A missing file is an empty one, as for ssh: under strict that still refuses the host.
    if (code === "ENOENT") return undefined;
    throw new ConnectionConfigError([{ path: "connection.knownHostsFile", message: `cannot be read (${code ?? "error"})` }]);
  }
}

// ssh2's server host key algorithm names, by the key type they verify.
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};
const DEFAULT_ORDER = Object.values(HOST_KEY_ALGORITHMS).flat();
type HostKeyAlgorithmList = NonNullable<ConnectConfig["algorithms"]>["serverHostKey"];

/** Ask first for the key types we can verify (what OpenSSH does with known_hosts). */
function hostKeyAlgorithms(conn: SshConnection, knownHosts: string | undefined): string[] | undefined {
  const { host, port, hostKey: pinned, acceptedHostKey: acceptedFingerprint } = conn;
  const types = knownHostKeyTypes({ host, port, pinned, acceptedFingerprint, knownHosts });
  const preferred = types.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
  if (preferred.length === 0) return undefined;
  return [...preferred, ...DEFAULT_ORDER.filter((a) => !preferred.includes(a))];
}

// A silent peer (a host that crashed, a VPN that dropped our packets) is otherwise found
// only by the command timeout, minutes later, or never on an idle pooled connection. ssh2
// pings every `keepaliveInterval` ms and gives up after `keepaliveCountMax` unanswered
// pings, so a dead peer is found within (countMax + 1) × interval: here a quarter of the
// command timeout, but never more than a minute, and never from pings more often than once
// a second (below 16 s of command timeout, the command's own timer is the one that fires).
// ssh2 pings from a timer that keeps the process alive; the pool closes idle connections
// after its idle time (3 s), which stops it, so a finished provider still exits promptly.
const KEEPALIVE_MAX_INTERVAL_MS = 15_000;
const KEEPALIVE_MIN_INTERVAL_MS = 1_000;
const KEEPALIVE_COUNT_MAX = 3;

/** ssh2's keepalive settings for a connection with these timeouts (every hop has its own). */
export function keepaliveSettings(timeouts: SshTimeouts): { keepaliveInterval: number; keepaliveCountMax: number } {
  const interval = Math.floor(timeouts.commandMs / (4 * (KEEPALIVE_COUNT_MAX + 1)));
  return {
    keepaliveInterval: Math.min(KEEPALIVE_MAX_INTERVAL_MS, Math.max(KEEPALIVE_MIN_INTERVAL_MS, interval)),
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
  };
}

/** Auth methods we can offer, in the order OpenSSH tries them. */
function offeredMethods(conn: SshConnection): string[] {
  const m: string[] = [];
  if (conn.privateKey !== undefined) m.push("publickey");
  if (conn.agentSocket !== undefined) m.push("agent");
  if (conn.password !== undefined) m.push("password");
  return m;
}

/** Open a TCP stream from the jump host to the target (`ssh -J`). */
export function forwardThrough(proxy: Client, conn: SshConnection): Promise<ClientChannel> {
  const target = describeConnection(conn);
  return new Promise((resolve, reject) => {
    try {
      proxy.forwardOut("127.0.0.1", 0, conn.host, conn.port, (err, stream) => {
        if (!err) return resolve(stream);
        const reason = (err as Error & { reason?: number }).reason;
        // 2 = SSH_OPEN_CONNECT_FAILED: the proxy could not reach the target (yet); 1 = refused by policy.
        const prohibited = reason === 1;
        reject(
          new SshDialError(
            {
              target,
              reason: `the jump host could not open a connection to ${conn.host}:${conn.port}: ${err.message}`,
              transient: !prohibited,
              ...(prohibited ? { hint: "The jump host's sshd must allow TCP forwarding (AllowTcpForwarding yes) for this user." } : {}),
            },
            secretsOf(conn),
          ),
        );
      });
    } catch (e) {
      // ssh2 throws "Not connected" synchronously when the proxy connection just died.
      reject(new SshDialError({ target, reason: `the jump host connection is gone: ${(e as Error).message}`, transient: true }));
    }
  });
}

/**
 * Dial once. `sock` is a forwarded stream from the jump host; without it we open TCP.
 * Resolves with an authenticated client; rejects with a typed LvsError. Once connected,
 * `onLost` is called (possibly more than once) when the connection errors or closes.
 */
export function dialOnce(
  conn: SshConnection,
  sock: Duplex | undefined,
  log: (m: string) => void,
  onLost: (reason: string) => void,
): Promise<DialedClient> {
  const target = describeConnection(conn);
  const secrets = secretsOf(conn);
  const knownHosts = readKnownHosts(conn);
  const client = new Client();
  const socket = sock ? undefined : netConnect({ host: conn.host, port: conn.port });
  socket?.setKeepAlive(true, 15_000);
  socket?.setNoDelay(true);

  let hostKeyError: LvsError | undefined;
  let verdict: HostKeyVerdict | undefined;
  const offered = offeredMethods(conn);
  const tried: string[] = []; // the subset of `offered` actually sent
  let accepted: string[] = [];
  let askedNone = false;

  return new Promise<DialedClient>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      client.removeAllListeners();
      client.on("error", () => undefined); // late errors from a torn-down client are expected
      client.destroy();
      socket?.destroy();
      reject(err);
    };

    client.on("ready", () => {
      if (settled) return;
      settled = true;
      // Swap the dial's listeners for the lifetime ones in the same tick, so no event
      // of the live connection can slip between the two.
      for (const event of ["ready", "error", "close"]) client.removeAllListeners(event);
      client.on("error", (err: Error) => onLost(err.message));
      client.on("end", () => onLost("the host closed the connection"));
      client.on("close", () => onLost("the connection closed"));
      log(`${target}: authenticated (${tried.at(-1) ?? "none"}), host key ${verdict?.fingerprint} [${verdict?.source}]`);
      resolve({ client, socket, verdict: verdict! });
    });
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (hostKeyError) return fail(hostKeyError);
      if (err.level === "agent") return log(`${target}: ssh-agent: ${err.message}`); // auth goes on with the next method
      if (err.level === "client-authentication") {
        return fail(new SshAuthError({ target, methodsOffered: offered, methodsAccepted: accepted }, secrets));
      }
      const transient =
        err.level === "client-timeout" || err.level === "client-socket" || /before handshake/i.test(err.message);
      const reason = err.level === "client-timeout" ? `no SSH handshake within ${conn.timeouts.connectMs} ms` : err.message;
      fail(new SshDialError({ target, reason, transient: transient && err.code !== "ENOTFOUND" }, secrets));
    });
    client.on("close", () => {
      if (hostKeyError) return fail(hostKeyError);
      fail(new SshDialError({ target, reason: "the connection closed before authentication finished", transient: true }, secrets));
    });

    const serverHostKey = hostKeyAlgorithms(conn, knownHosts);
    const config: ConnectConfig = {
      ...(socket ? { sock: socket } : { sock: sock as Duplex as Socket }),
      username: conn.user,
      readyTimeout: conn.timeouts.connectMs,
      ...keepaliveSettings(conn.timeouts),
      ...(conn.privateKey !== undefined ? { privateKey: conn.privateKey } : {}),
      ...(conn.privateKeyPassphrase !== undefined ? { passphrase: conn.privateKeyPassphrase } : {}),
      ...(conn.password !== undefined ? { password: conn.password } : {}),
      ...(conn.agentSocket !== undefined ? { agent: conn.agentSocket } : {}),
      ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as HostKeyAlgorithmList } } : {}),
      // Called with the raw key blob on every key exchange (including re-keys). Never
      // answers true without a verdict from verifyHostKey (through trustPresentedHostKey).
      hostVerifier: (key: Buffer, answer: (trusted: boolean) => void): void => {
        const check = {
          host: conn.host,
          port: conn.port,
          target,
          presentedBlob: key,
          pinned: conn.hostKey,
          acceptedFingerprint: conn.acceptedHostKey,
          knownHosts,
          policy: conn.hostKeyPolicy,
        };
        trustPresentedHostKey(check, knownHostsPath(conn), log).then(
          (trusted) => {
            verdict = trusted;
            answer(true);
          },
          (e: unknown) => {
            hostKeyError =
              e instanceof LvsError ? e : new SshDialError({ target, reason: `host key check failed: ${(e as Error).message}` });
            answer(false);
          },
        );
      },
      // First "none", which only asks the server which methods it accepts; then our
      // methods in order, skipping any the server has said it does not take. What it
      // accepts is remembered so that the auth error can say so.
      authHandler: ((methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler) => {
        if (methodsLeft) accepted = [...methodsLeft];
        if (!askedNone) {
          askedNone = true;
          return next("none");
        }
        const wireName = (m: string) => (m === "agent" ? "publickey" : m) as AuthenticationType; // agent keys go as publickey
        const usable = (m: string): boolean => !methodsLeft || methodsLeft.includes(wireName(m));
        const method = offered.find((m) => !tried.includes(m) && usable(m));
        if (method === undefined) return next(false as unknown as AuthenticationType); // ssh2: false = give up
        tried.push(method);
        next(method as AuthenticationType);
      }) as unknown as AuthHandlerMiddleware,
    };
    try {
      client.connect(config);
    } catch (e) {
      fail(new SshDialError({ target, reason: (e as Error).message }, secrets));
    }
  });
}
