// A real SSH server in the test process (ssh2's Server), as pulumi-command's tests use one:
// the transport's dial, host-key check, authentication, exec and jump-host forwarding run
// for real over loopback, with no lab. What a command prints is the test's choice.

import { connect as netConnect, type AddressInfo } from "net";
import { Server, utils as ssh2Utils, type Connection } from "ssh2";
import { fingerprintOfKeyBlob } from "../../provider/ssh/hostKey";

export interface CommandReply {
  stdout?: string;
  stderr?: string;
  code?: number;
}

export interface InProcessSshdOptions {
  /** user → password the server accepts. */
  passwords: Record<string, string>;
  /** What each exec prints; default: exit 0, no output. */
  onExec?: (command: string, user: string) => CommandReply | Promise<CommandReply>;
  /** Let clients open direct-tcpip channels (be a jump host) to 127.0.0.1 ports. */
  allowForwarding?: boolean;
  /** The host key (from generateHostKey); default a fresh one. */
  hostKey?: ReturnType<typeof generateHostKey>;
  /** Listen on this port (a host that came back with another key); default any free port. */
  port?: number;
}

export interface HostKeyFacts {
  /** The OpenSSH public key line, `ssh-ed25519 AAAA…`. */
  line: string;
  blob: Buffer;
  fingerprint: string;
}

export interface InProcessSshd {
  port: number;
  hostKey: HostKeyFacts;
  /** Commands run, in order, with the user that ran them. */
  execs: Array<{ user: string; command: string }>;
  /** Successful authentications. */
  logins: number;
  close(): Promise<void>;
}

/** A fresh host key, as a host would have in /etc/ssh. */
export function generateHostKey(): { privateKey: string; facts: HostKeyFacts } {
  // ssh2's generator now and then emits an ed25519 key its own parser refuses ("Malformed
  // OpenSSH private key", seen once in a unit run): take the next one then.
  let pair = ssh2Utils.generateKeyPairSync("ed25519");
  for (let attempt = 1; ssh2Utils.parseKey(pair.private) instanceof Error && attempt < 20; attempt++) pair = ssh2Utils.generateKeyPairSync("ed25519");
  const line = pair.public.trim();
  const blob = Buffer.from(line.split(" ")[1]!, "base64");
  return { privateKey: pair.private, facts: { line, blob, fingerprint: fingerprintOfKeyBlob(blob) } };
}

export async function startInProcessSshd(options: InProcessSshdOptions): Promise<InProcessSshd> {
  const key = options.hostKey ?? generateHostKey();
  const connections = new Set<Connection>();
  const state = { execs: [] as Array<{ user: string; command: string }>, logins: 0 };

  const server = new Server({ hostKeys: [key.privateKey] }, (client) => {
    connections.add(client);
    client.on("close", () => connections.delete(client));
    client.on("error", () => undefined);
    let user = "";
    client.on("authentication", (ctx) => {
      const expected = options.passwords[ctx.username];
      if (ctx.method === "password" && expected !== undefined && ctx.password === expected) {
        user = ctx.username;
        state.logins++;
        return ctx.accept();
      }
      ctx.reject(["password"]);
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("exec", (acceptExec, _reject, info) => {
          const stream = acceptExec();
          state.execs.push({ user, command: info.command });
          void Promise.resolve(options.onExec?.(info.command, user) ?? {}).then((reply) => {
            if (reply.stdout) stream.write(reply.stdout);
            if (reply.stderr) stream.stderr.write(reply.stderr);
            stream.exit(reply.code ?? 0);
            stream.end();
          });
        });
      });
      client.on("tcpip", (acceptTcp, rejectTcp, info) => {
        if (!options.allowForwarding || info.destIP !== "127.0.0.1") return rejectTcp();
        const upstream = netConnect({ host: "127.0.0.1", port: info.destPort });
        upstream.once("error", () => rejectTcp());
        upstream.once("connect", () => {
          const channel = acceptTcp();
          channel.pipe(upstream).pipe(channel);
          channel.on("close", () => upstream.destroy());
          upstream.on("close", () => channel.close());
        });
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    hostKey: key.facts,
    get execs() {
      return state.execs;
    },
    get logins() {
      return state.logins;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.end();
        server.close(() => resolve());
      }),
  };
}
