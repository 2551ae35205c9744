// A real SSH server in the test process (ssh2's Server), for unit tests of the pool and
// exec paths: real handshakes, real host keys, real authentication, and commands run by a
// real local /bin/sh. Knobs let a test break the connection at exact moments, which a
// real sshd cannot be made to do deterministically.

import { spawn } from "child_process";
import { connect as netConnect, type AddressInfo } from "net";
import { Server, utils, type Connection } from "ssh2";

export interface FakeUser {
  password?: string;
  publicKey?: string;
}

export interface InProcessSshd {
  port: number;
  /** `ssh-ed25519 AAAA…` of this server. */
  hostKey: string;
  /** Authenticated connections so far. */
  authenticated: number;
  /** Commands received by exec requests, in order. */
  commands: string[];
  /** Sessions open right now / the most ever open on one connection. */
  maxConcurrentSessions: number;
  /** Refuse more than this many concurrent sessions per connection, like sshd's MaxSessions. */
  maxSessions: number;
  /** Fake `sudo -n --`: answer like sudo when the user's sudoers entry wants a password. */
  sudoNeedsPassword: boolean;
  /** Drop the TCP connection when the next session channel is requested (before any exec). */
  dropOnNextSession: boolean;
  /** Drop the TCP connection right after the next exec request arrives. */
  dropOnNextExec: boolean;
  /** Destroy every client connection now. */
  dropAll(): void;
  close(): Promise<void>;
}

export function generateUserKey(): { privateKey: string; publicKey: string } {
  const k = utils.generateKeyPairSync("ed25519");
  return { privateKey: k.private, publicKey: k.public };
}

export async function startInProcessSshd(users: Record<string, FakeUser>): Promise<InProcessSshd> {
  const hostPair = utils.generateKeyPairSync("ed25519");
  const connections = new Set<Connection>();
  let nextId = 1;

  const state: InProcessSshd = {
    port: 0,
    hostKey: hostPair.public,
    authenticated: 0,
    commands: [],
    maxConcurrentSessions: 0,
    maxSessions: 10,
    sudoNeedsPassword: false,
    dropOnNextSession: false,
    dropOnNextExec: false,
    dropAll: () => {
      for (const c of connections) c.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        state.dropAll();
        server.close(() => resolve());
      }),
  };

  const server = new Server({ hostKeys: [hostPair.private] }, (client) => {
    const id = nextId++;
    connections.add(client);
    let sessions = 0;
    client.on("close", () => connections.delete(client));
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      const user = users[ctx.username];
      const methods: Array<"publickey" | "password"> = ["publickey", "password"];
      if (ctx.method === "password" && user?.password !== undefined && ctx.password === user.password) return ctx.accept();
      if (ctx.method === "publickey" && user?.publicKey) {
        const allowed = utils.parseKey(user.publicKey);
        if (!(allowed instanceof Error) && !Array.isArray(allowed) && allowed.getPublicSSH().equals(ctx.key.data)) {
          if (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
        }
      }
      ctx.reject(methods);
    });
    client.on("ready", () => {
      state.authenticated++;
      client.on("tcpip", (accept, reject, info) => {
        const sock = netConnect(info.destPort, info.destIP);
        sock.once("connect", () => {
          const channel = accept();
          channel.pipe(sock).pipe(channel);
          channel.on("close", () => sock.destroy());
        });
        sock.once("error", () => reject());
      });
      client.on("session", (accept, reject) => {
        if (state.dropOnNextSession) {
          state.dropOnNextSession = false;
          client.end();
          return;
        }
        if (sessions >= state.maxSessions) return reject();
        sessions++;
        state.maxConcurrentSessions = Math.max(state.maxConcurrentSessions, sessions);
        const session = accept();
        session.on("close", () => sessions--);
        session.once("exec", (acceptExec, _rejectExec, info) => {
          state.commands.push(info.command);
          const stream = acceptExec();
          if (state.dropOnNextExec) {
            state.dropOnNextExec = false;
            client.end();
            return;
          }
          let command = info.command;
          if (command.startsWith("sudo -n -- ")) {
            if (state.sudoNeedsPassword) {
              stream.stderr.write("sudo: a password is required\n");
              stream.exit(1);
              stream.end();
              return;
            }
            command = command.slice("sudo -n -- ".length);
          }
          // Like sshd: the user's shell parses the command line.
          // Own process group, so a closed channel can kill the whole command (as sshd's SIGHUP would).
          const child = spawn("/bin/sh", ["-c", command], {
            detached: true,
            env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", FAKE_SSHD_CONNECTION: String(id) },
          });
          child.stdin.on("error", () => undefined); // commands that ignore stdin exit before we write it
          stream.pipe(child.stdin);
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          child.on("close", (code, signal) => {
            if (signal) stream.exit(signal.replace(/^SIG/, ""), false, "");
            else stream.exit(code ?? 255);
            stream.end();
          });
          stream.on("close", () => {
            try {
              if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
            } catch {
              // already gone
            }
          });
        });
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  return state;
}
