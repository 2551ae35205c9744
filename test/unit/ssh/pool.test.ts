import { createServer, type AddressInfo } from "net";
import { connectionInfo, exec } from "../../../provider/ssh/exec";
import {
  HostKeyMismatchError,
  HostKeyUnknownError,
  SshAuthError,
  SshChannelError,
  SshConnectionLostError,
  SshDialError,
} from "../../../provider/ssh/errors";
import { parsePublicKeyLine } from "../../../provider/ssh/hostKey";
import { closeSshPool, configureSshPool, resetSshPool, sshPoolStats, type SshPoolConfig } from "../../../provider/ssh/pool";
import type { SshConnectionInput } from "../../../provider/ssh/connection";
import { generateUserKey, startInProcessSshd, type InProcessSshd } from "./inProcessSshd";

const user = generateUserKey();
const stranger = generateUserKey();
let target: InProcessSshd;
let jump: InProcessSshd;
let saved: SshPoolConfig;
const sleeps: number[] = [];

const conn = (over: Partial<SshConnectionInput> = {}): SshConnectionInput => ({
  host: "127.0.0.1",
  port: target.port,
  privateKey: user.privateKey,
  hostKey: target.hostKey,
  knownHostsFile: "/dev/null",
  ...over,
});
const viaJump = (over: Partial<SshConnectionInput> = {}): SshConnectionInput =>
  conn({ proxy: { host: "127.0.0.1", port: jump.port, password: "jump-pw", hostKey: jump.hostKey, knownHostsFile: "/dev/null" }, ...over });
const waitFor = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
};
async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  target = await startInProcessSshd({ root: { publicKey: user.publicKey }, lab: { publicKey: user.publicKey } });
  jump = await startInProcessSshd({ root: { password: "jump-pw" } });
  saved = configureSshPool({
    dialBaseDelayMs: 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
});
beforeEach(async () => {
  await resetSshPool();
  target.maxSessions = 10;
  target.maxConcurrentSessions = 0;
  target.commands.length = 0;
  sleeps.length = 0;
});
afterAll(async () => {
  await closeSshPool();
  configureSshPool(saved);
  await target.close();
  await jump.close();
});

describe("connection reuse", () => {
  it("runs 50 concurrent execs over one handshake, never more than maxChannels sessions at once", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => exec(conn(), ["sh", "-c", `echo $FAKE_SSHD_CONNECTION ${i}`])));
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
    expect(new Set(results.map((r) => r.stdout.split(" ")[0])).size).toBe(1);
    expect(results.map((r) => Number(r.stdout.split(" ")[1]))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(sshPoolStats()).toMatchObject({ handshakes: 1, dials: 1, openConnections: 1, execs: 50 });
    expect(target.maxConcurrentSessions).toBeLessThanOrEqual(8);
  });

  it("retries sessions a busy host refuses (sshd's MaxSessions race); each command runs once", async () => {
    target.maxSessions = 2;
    const previous = configureSshPool({ sleep: (ms) => new Promise((r) => setTimeout(r, ms)), channelOpenAttempts: 50, channelOpenDelayMs: 10 });
    try {
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => exec(conn({ maxChannels: 6 }), ["sh", "-c", `sleep 0.1; echo ${i}`])));
      expect(results.map((r) => r.stdout)).toEqual(["0\n", "1\n", "2\n", "3\n", "4\n", "5\n"]);
      expect([...target.commands].sort()).toEqual(Array.from({ length: 6 }, (_, i) => `sh -c 'sleep 0.1; echo ${i}'`));
      expect(target.maxConcurrentSessions).toBe(2);
    } finally {
      configureSshPool({ sleep: previous.sleep, channelOpenAttempts: previous.channelOpenAttempts, channelOpenDelayMs: previous.channelOpenDelayMs });
    }
  });

  it("gives up with SshChannelError when the host keeps refusing sessions", async () => {
    target.maxSessions = 0;
    const err = await errorOf(exec(conn(), ["true"]));
    expect(err).toBeInstanceOf(SshChannelError);
    expect(err.message).toMatch(/could not open a session on root@127\.0\.0\.1:\d+: .*The command was not run.*MaxSessions/s);
    expect(sleeps).toHaveLength(7); // 8 attempts
    expect(target.commands).toEqual([]);
  });

  it("shares one in-flight dial between concurrent callers", async () => {
    const infos = await Promise.all(Array.from({ length: 5 }, () => connectionInfo(conn())));
    expect(new Set(infos.map((i) => i.hostKeyFingerprint)).size).toBe(1);
    expect(sshPoolStats()).toMatchObject({ handshakes: 1, dials: 1 });
  });

  it("keeps separate connections for other users, identities and trust settings", async () => {
    await exec(conn(), ["true"]);
    await exec(conn({ user: "lab", sudo: false }), ["true"]);
    await exec(conn({ hostKey: parsePublicKeyLine(target.hostKey).fingerprint }), ["true"]);
    await exec(conn(), ["true"]);
    expect(sshPoolStats()).toMatchObject({ handshakes: 3, openConnections: 3 });
  });

  it("closes idle connections after idleMs", async () => {
    const previous = configureSshPool({ idleMs: 50 });
    try {
      await exec(conn(), ["true"]);
      await waitFor(() => sshPoolStats().openConnections === 0);
      expect(sshPoolStats().openConnections).toBe(0);
      await exec(conn(), ["true"]);
      expect(sshPoolStats().handshakes).toBe(2);
    } finally {
      configureSshPool({ idleMs: previous.idleMs });
    }
  });
});

describe("broken connections", () => {
  it("drops a connection the host closed, and the next exec dials again by itself", async () => {
    await exec(conn(), ["true"]);
    target.dropAll();
    await waitFor(() => sshPoolStats().openConnections === 0);
    expect(sshPoolStats().openConnections).toBe(0);
    const r = await exec(conn(), ["echo", "back"]);
    expect(r.stdout).toBe("back\n");
    expect(sshPoolStats().handshakes).toBe(2);
  });

  it("reconnects once and runs the command when the connection died before it was sent", async () => {
    await exec(conn(), ["true"]);
    target.commands.length = 0;
    target.dropOnNextSession = true;
    const r = await exec(conn(), ["echo", "ran"]);
    expect(r.stdout).toBe("ran\n");
    expect(target.commands).toEqual(["echo ran"]);
    expect(sshPoolStats().handshakes).toBe(2);
  });

  it("never re-runs a command when the connection died after it was sent", async () => {
    await exec(conn(), ["true"]);
    target.commands.length = 0;
    target.dropOnNextExec = true;
    const err = await errorOf(exec(conn(), ["touch", "/tmp/x"]));
    expect(err).toBeInstanceOf(SshConnectionLostError);
    expect(err.message).toMatch(/may or may not have completed; it was not re-run/);
    await new Promise((r) => setTimeout(r, 100));
    expect(target.commands).toEqual(["touch /tmp/x"]);
  });
});

describe("dialing", () => {
  it("refuses a changed host key at the handshake with a typed error naming both fingerprints", async () => {
    const err = await errorOf(exec(conn({ hostKey: jump.hostKey }), ["true"]));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err.message).toContain(parsePublicKeyLine(jump.hostKey).fingerprint);
    expect(err.message).toContain(parsePublicKeyLine(target.hostKey).fingerprint);
    expect(err.message).not.toMatch(/Host denied/);
    expect(sshPoolStats().handshakes).toBe(0);
  });

  it("refuses an unknown host under strict, and accepts it under accept-new", async () => {
    const { hostKey: _omit, ...unpinned } = conn();
    const err = await errorOf(exec(unpinned, ["true"]));
    expect(err).toBeInstanceOf(HostKeyUnknownError);
    const info = await connectionInfo({ ...unpinned, hostKeyPolicy: "accept-new" });
    expect(info).toEqual({ hostKeyFingerprint: parsePublicKeyLine(target.hostKey).fingerprint, hostKeySource: "accepted-new" });
    const recorded = await connectionInfo({ ...unpinned, hostKeyPolicy: "accept-new", acceptedHostKey: info.hostKeyFingerprint });
    expect(recorded.hostKeySource).toBe("accepted");
  });

  it("reports a refused key as SshAuthError without key material", async () => {
    const err = await errorOf(exec(conn({ privateKey: stranger.privateKey, password: "not-the-password" }), ["true"]));
    expect(err).toBeInstanceOf(SshAuthError);
    expect(err.message).toMatch(/authentication to root@127\.0\.0\.1:\d+ failed/);
    expect(err.message).toContain("offered: publickey, password");
    const text = `${err.message}${JSON.stringify(err)}`;
    expect(text).not.toContain("not-the-password");
    for (const line of stranger.privateKey.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) expect(text).not.toContain(line);
  });

  it("retries a refused TCP connect with backoff, then reports the attempt count", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const previous = configureSshPool({ dialAttempts: 3 });
    try {
      const err = await errorOf(exec(conn({ port: closedPort }), ["true"]));
      expect(err).toBeInstanceOf(SshDialError);
      expect(err.message).toMatch(/after 3 attempts: connect ECONNREFUSED/);
      expect(sleeps).toEqual([1, 2]);
      expect(sshPoolStats().dials).toBe(3);
    } finally {
      configureSshPool({ dialAttempts: previous.dialAttempts });
    }
  });
});

describe("jump host", () => {
  it("tunnels through the proxy's pooled connection", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => exec(viaJump(), ["echo", "via"])));
    expect(results.every((r) => r.stdout === "via\n")).toBe(true);
    expect(sshPoolStats()).toMatchObject({ handshakes: 2, openConnections: 2 });
  });

  it("labels failures of the jump host itself `proxy:`", async () => {
    const badPassword = viaJump();
    badPassword.proxy = { ...badPassword.proxy!, password: "wrong-jump-pw" };
    const auth = await errorOf(exec(badPassword, ["true"]));
    expect(auth).toBeInstanceOf(SshAuthError);
    expect(auth.message).toMatch(/^proxy: authentication to root@127\.0\.0\.1:\d+ failed/);
    expect(JSON.stringify(auth)).not.toContain("wrong-jump-pw");

    const badKey = viaJump();
    badKey.proxy = { ...badKey.proxy!, hostKey: target.hostKey };
    const hk = await errorOf(exec(badKey, ["true"]));
    expect(hk).toBeInstanceOf(HostKeyMismatchError);
    expect(hk.message).toMatch(/^proxy: host key verification failed/);
  });

  it("does not label a target refused behind a healthy proxy", async () => {
    const err = await errorOf(exec(viaJump({ hostKey: jump.hostKey }), ["true"]));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err.message).toMatch(/^host key verification failed for root@127\.0\.0\.1:\d+ \(via root@127\.0\.0\.1:\d+\)/);
  });
});
