// The connection pool, dialing and jump hosts against the lab's real OpenSSH sshd: session
// limits (sshd's MaxSessions, 10 on the lab), connection sharing and idle close, connections
// that die before or after a command was sent, host key and authentication failures.
// What ssh.test.ts already proves (50 concurrent execs over one handshake, reconnecting
// after an sshd restart, pinned/accept-new host keys, a wrong key, `proxy:` on a jump
// host's auth failure) is not repeated here.
//
// Hosts: rs2 is the target, rs1 the jump host, client the host whose sshd sessions we kill.

import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { inspect } from "util";
import { utils as ssh2Utils } from "ssh2";
import {
  HostKeyMismatchError,
  HostKeyUnknownError,
  SshAuthError,
  SshChannelError,
  SshConnectionLostError,
  closeSshPool,
  configureSshPool,
  connectionInfo,
  exec,
  resetSshPool,
  run,
  setSshLogger,
  sshPoolStats,
  type ExecOptions,
  type ExecResult,
  type SshConnectionInput,
} from "../../provider/ssh";
import { labConnection, labHost, loadLabInventory } from "../support/lab";
import { errorOf } from "../support/errorOf";

const TARGET = "rs2";
const JUMP = "rs1";
const BROKEN = "client";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}
/** A fresh path under /tmp on a host, for marker files. */
const markerPath = () => `/tmp/lvs-ssh-pool-${randomBytes(6).toString("hex")}`;
/** A second, separate pooled connection to the host (its trust settings differ, so its pool key does). */
const observer = (host: string): SshConnectionInput => ({ ...labConnection(host), hostKey: labHost(host).hostKeyFingerprint });
/** The PID of the sshd process serving this connection (parent of the command: bash -c execs a lone command). */
const sessionPid = async (c: SshConnectionInput, opts: ExecOptions = {}): Promise<string> =>
  (await run(c, ["sh", "-c", "echo $PPID"], opts)).stdout.trim();
const fileText = async (host: string, path: string): Promise<string> => (await exec(observer(host), ["cat", path])).stdout;
/** Logs of the SSH transport while `fn` runs. */
async function withLog<T>(fn: () => Promise<T>): Promise<{ result: T; log: string[] }> {
  const log: string[] = [];
  setSshLogger((m) => log.push(m));
  try {
    return { result: await fn(), log };
  } finally {
    setSshLogger(undefined);
  }
}

let savedIdleMs: number;
beforeAll(() => {
  loadLabInventory(); // fails every test with "run `npm run lab:up` first" when the lab is down
  // Only what a test does may open or close connections: the default idle close (3 s) would
  // otherwise close an observer between two slow commands and add handshakes to the counts.
  savedIdleMs = configureSshPool({ idleMs: 600_000 }).idleMs;
});
beforeEach(resetSshPool);
afterAll(async () => {
  setSshLogger(undefined);
  configureSshPool({ idleMs: savedIdleMs });
  await closeSshPool();
});

describe("connection reuse", () => {
  it("retries sessions a busy host refuses (sshd's MaxSessions); each command runs once", async () => {
    // maxChannels 20 > MaxSessions 10: sshd refuses ten of the twenty opens. The first ten
    // commands wait for each other, so exactly those ten sessions are open when the others
    // are refused, and nothing finishes until all ten have started.
    const m = markerPath();
    const c: SshConnectionInput = { ...labConnection(TARGET), maxChannels: 20 };
    const script = (i: number) =>
      `echo s ${i} >> ${m}; until [ "$(grep -c '^s' ${m})" -ge 10 ]; do sleep 0.1; done; sleep 0.3; echo e ${i} >> ${m}; echo ${i}`;
    const previous = configureSshPool({ channelOpenAttempts: 100, channelOpenDelayMs: 10 });
    try {
      const { result: results, log } = await withLog(() =>
        Promise.all(Array.from({ length: 20 }, (_, i) => exec(c, ["sh", "-c", script(i)], { timeoutMs: 120_000 }))),
      );
      expect(results.map((r) => [r.exitCode, r.stdout])).toEqual(Array.from({ length: 20 }, (_, i) => [0, `${i}\n`]));
      expect(sshPoolStats()).toMatchObject({ handshakes: 1, openConnections: 1 });
      const lines = (await fileText(TARGET, m)).trim().split("\n");
      expect([...lines].sort()).toEqual(Array.from({ length: 20 }, (_, i) => [`e ${i}`, `s ${i}`]).flat().sort());
      let running = 0;
      let mostAtOnce = 0;
      for (const l of lines) {
        running += l.startsWith("s ") ? 1 : -1;
        mostAtOnce = Math.max(mostAtOnce, running);
      }
      expect(mostAtOnce).toBe(10);
      expect(log.filter((l) => /session refused \(.*\), attempt 1 of 100; retrying/.test(l))).toHaveLength(10);
    } finally {
      configureSshPool({ channelOpenAttempts: previous.channelOpenAttempts, channelOpenDelayMs: previous.channelOpenDelayMs });
      await exec(observer(TARGET), ["rm", "-f", m]);
    }
  });

  it("gives up with SshChannelError when the host keeps refusing sessions, without running the command", async () => {
    // Ten held sessions fill sshd's MaxSessions on this connection; the eleventh open is refused every time.
    const held = markerPath();
    const ran = markerPath();
    const c: SshConnectionInput = { ...labConnection(TARGET), maxChannels: 11 };
    const holding = Promise.allSettled(
      Array.from({ length: 10 }, () =>
        exec(c, ["sh", "-c", `echo up >> ${held}; while [ ! -e ${held}.release ]; do sleep 0.2; done`], { timeoutMs: 120_000 }),
      ),
    );
    const sleeps: number[] = [];
    let holders: Array<PromiseSettledResult<ExecResult>>;
    try {
      await waitUntil("ten held sessions", async () => (await fileText(TARGET, held)).split("\n").length - 1 === 10);
      const previous = configureSshPool({
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });
      try {
        const err = await errorOf(exec(c, ["sh", "-c", `echo ran >> ${ran}`]));
        expect(err).toBeInstanceOf(SshChannelError);
        expect(err.message).toMatch(/could not open a session on root@127\.0\.0\.1:\d+: .*The command was not run.*MaxSessions/s);
      } finally {
        configureSshPool({ sleep: previous.sleep });
      }
      expect(sleeps).toHaveLength(7); // 8 attempts
    } finally {
      await run(observer(TARGET), ["touch", `${held}.release`]);
      holders = await holding;
    }
    expect(holders.map((h) => (h.status === "fulfilled" ? h.value.exitCode : h.reason))).toEqual(Array(10).fill(0));
    expect((await exec(observer(TARGET), ["test", "-e", ran])).exitCode).toBe(1);
    await run(observer(TARGET), ["rm", "-f", held, `${held}.release`]);
  });

  it("shares one in-flight dial between concurrent callers", async () => {
    const infos = await Promise.all(Array.from({ length: 5 }, () => connectionInfo(labConnection(TARGET))));
    expect(infos).toEqual(Array(5).fill({ hostKeyFingerprint: labHost(TARGET).hostKeyFingerprint, hostKeySource: "pinned" }));
    expect(sshPoolStats()).toMatchObject({ handshakes: 1, dials: 1 });
  });

  it("keeps separate connections for other users, identities and trust settings", async () => {
    const root = await sessionPid(labConnection(TARGET));
      const lab = await sessionPid({ ...labConnection(TARGET, { user: "sudo" }), sudo: false });
      const pinnedByFingerprint = await sessionPid(observer(TARGET));
      const rootAgain = await sessionPid(labConnection(TARGET));
      expect(sshPoolStats()).toMatchObject({ handshakes: 3, openConnections: 3 });
      // The host agrees: three sshd sessions, and the last command reused the first one.
      expect(rootAgain).toBe(root);
    expect(new Set([root, lab, pinnedByFingerprint]).size).toBe(3);
  });

  it("closes idle connections after idleMs, and the next exec dials again", async () => {
    const c = labConnection(TARGET);
    const previous = configureSshPool({ idleMs: 200 });
    try {
      const first = await sessionPid(c);
      await waitUntil("the idle connection to close", () => sshPoolStats().openConnections === 0, 10_000);
      expect(sshPoolStats().openConnections).toBe(0);
      configureSshPool({ idleMs: 600_000 }); // the observer below must stay open
      // The host agrees: the sshd session process has gone.
      const sessionGone = async () => (await exec(observer(TARGET), ["test", "-e", `/proc/${first}`])).exitCode === 1;
      await waitUntil("the idle sshd session to end", sessionGone);
      const second = await sessionPid(c);
      expect(second).not.toBe(first);
      expect(sshPoolStats().handshakes).toBe(3); // c, the observer, c again
    } finally {
      configureSshPool({ idleMs: previous.idleMs });
    }
  });
});

describe("broken connections", () => {
  it("reconnects once and runs the command when the connection died before it was sent", async () => {
    const c = labConnection(BROKEN);
    const obs = observer(BROKEN);
    const m = markerPath();
    const pid = await sessionPid(c);
    expect((await run(obs, ["cat", `/proc/${pid}/comm`])).stdout).toBe("sshd\n");
    const handshakes = sshPoolStats().handshakes;
    // A stopped sshd reads nothing: our session open is sent but never answered, and the
    // exec request (which would carry the command) cannot follow it. Then the process dies.
    await run(obs, ["kill", "-STOP", pid]);
    try {
      const { result, log } = await withLog(async () => {
        const pending = exec(c, ["sh", "-c", `echo ran >> ${m}`]);
        pending.catch(() => undefined); // awaited below, unless killing fails first
        await sleep(1500);
        await run(obs, ["kill", "-KILL", pid]);
        return pending;
      });
      expect(result).toEqual({ exitCode: 0, stdout: "", stderr: "" });
      expect(log.join("\n")).toMatch(/connection lost before the command was sent \(.*\); reconnecting/);
      expect(await fileText(BROKEN, m)).toBe("ran\n");
      expect(sshPoolStats().handshakes).toBe(handshakes + 1);
    } finally {
      await exec(obs, ["kill", "-KILL", pid]); // no-op unless the test failed before killing it
      await exec(obs, ["rm", "-f", m]);
    }
  });

  it("never re-runs a command when the connection died after it was sent", async () => {
    const c = labConnection(BROKEN);
    const obs = observer(BROKEN);
    const m = markerPath();
    const pid = await sessionPid(c);
    expect((await run(obs, ["cat", `/proc/${pid}/comm`])).stdout).toBe("sshd\n");
    const handshakes = sshPoolStats().handshakes;
    try {
      const pending = errorOf(exec(c, ["sh", "-c", `echo ran >> ${m}; sleep 30`]));
      pending.catch(() => undefined); // awaited below, unless the wait for the command fails first
      await waitUntil("the command to start", async () => (await fileText(BROKEN, m)) === "ran\n");
      await run(obs, ["kill", "-KILL", pid]);
      const err = await pending;
      expect(err).toBeInstanceOf(SshConnectionLostError);
      expect(err.message).toMatch(/may or may not have completed; it was not re-run/);
      await sleep(2000);
      expect(await fileText(BROKEN, m)).toBe("ran\n");
      expect(sshPoolStats().handshakes).toBe(handshakes); // not even a reconnect
    } finally {
      await exec(obs, ["pkill", "-f", "--", m]); // the orphaned `sh -c` (pkill never matches itself)
      await exec(obs, ["rm", "-f", m]);
    }
  });
});

describe("dialing", () => {
  it("refuses an unknown host under strict, and accepts the key recorded from accept-new", async () => {
    const { hostKey: _pin, ...unpinned } = labConnection(TARGET);
    const err = await errorOf(exec({ ...unpinned, knownHostsFile: "/dev/null" }, ["true"]));
    expect(err).toBeInstanceOf(HostKeyUnknownError);
    expect((err as HostKeyUnknownError).presentedFingerprint).toBe(labHost(TARGET).hostKeyFingerprint);
    expect(sshPoolStats().handshakes).toBe(0);
    const recorded = await connectionInfo({
      ...unpinned,
      knownHostsFile: "/dev/null",
      hostKeyPolicy: "accept-new",
      acceptedHostKey: labHost(TARGET).hostKeyFingerprint,
    });
    expect(recorded).toEqual({ hostKeyFingerprint: labHost(TARGET).hostKeyFingerprint, hostKeySource: "accepted" });
  });

  it("reports refused credentials as SshAuthError without the password, the passphrase or key material", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvs-ssh-auth-"));
    try {
      const passphrase = `open sesame ${randomBytes(6).toString("hex")}`;
      const password = `pw-${randomBytes(9).toString("hex")}`;
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "", "-f", join(dir, "id")]);
      const encryptedKey = readFileSync(join(dir, "id"), "utf8");
      const decrypted = ssh2Utils.parseKey(encryptedKey, passphrase);
      if (decrypted instanceof Error || Array.isArray(decrypted)) throw new Error("ssh2 cannot read the generated key");
      const material = [encryptedKey, decrypted.getPrivatePEM()]
        .flatMap((k) => k.split("\n"))
        .filter((l) => l.length > 16 && !l.startsWith("-----"));
      expect(material.length).toBeGreaterThan(0);

      const { privateKey: _key, ...withoutKey } = labConnection(TARGET);
      const withEncryptedKey = { ...labConnection(TARGET), privateKey: encryptedKey, privateKeyPassphrase: passphrase };
      const cases: Array<[string, SshConnectionInput, string]> = [
        ["key (encrypted) and password", { ...withEncryptedKey, password }, "publickey, password"],
        ["password only", { ...withoutKey, password }, "password"],
      ];
      for (const [what, connection, offered] of cases) {
        const err = await errorOf(exec(connection, ["true"]));
        expect([what, err]).toEqual([what, expect.any(SshAuthError)]);
        expect(err.message).toMatch(/^authentication to root@127\.0\.0\.1:\d+ failed/);
        // The lab's sshd is key-only (PasswordAuthentication no), so the password is refused too.
        expect(err.message).toContain(`offered: ${offered}; the host accepts: publickey)`);
        const text = [err.message, String(err), err.stack, JSON.stringify(err), inspect(err, { depth: 10, showHidden: true })].join("\n");
        for (const secret of [password, passphrase, ...material]) expect([what, text.includes(secret)]).toEqual([what, false]);
      }
      expect(sshPoolStats().handshakes).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("jump host", () => {
  const viaJump = () => labConnection(TARGET, { via: JUMP });

  it("tunnels concurrent commands through the jump host's pooled connection", async () => {
    const pids = await Promise.all(Array.from({ length: 10 }, () => sessionPid(viaJump())));
    expect(new Set(pids).size).toBe(1); // one sshd session on the target served all ten
    expect(sshPoolStats()).toMatchObject({ handshakes: 2, openConnections: 2 });
  });

  it("labels a jump host's host key mismatch `proxy:`", async () => {
    const badKey = viaJump();
    badKey.proxy = { ...badKey.proxy!, hostKey: labHost(TARGET).hostKey };
    const err = await errorOf(exec(badKey, ["true"]));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err.message).toMatch(/^proxy: host key verification failed/);
    expect(err.message).toContain(labHost(JUMP).hostKeyFingerprint);
    expect((err as HostKeyMismatchError).hop).toBe("proxy");
  });

  it("does not label a target refused behind a healthy proxy", async () => {
    const err = await errorOf(exec({ ...viaJump(), hostKey: labHost(JUMP).hostKey }, ["true"]));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    const ip = labHost(TARGET).interfaces.front.ipv4.replace(/\./g, "\\.");
    expect(err.message).toMatch(new RegExp(`^host key verification failed for root@${ip}:22 \\(via root@127\\.0\\.0\\.1:\\d+\\)`));
    expect(sshPoolStats().handshakes).toBe(1); // the jump host only
  });
});
