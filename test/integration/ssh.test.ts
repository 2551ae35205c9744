// The SSH transport against the lab's real VMs and their real OpenSSH sshd. No fakes.
// Requires `npm run lab:up`; without the inventory every test fails (never skips).

import { createHash, randomBytes } from "crypto";
import { inspect } from "util";
import {
  HostKeyMismatchError,
  SshAuthError,
  SudoPasswordRequiredError,
  closeSshPool,
  configureSshPool,
  connectionInfo,
  exec,
  resetSshPool,
  run,
  sshPoolStats,
  type SshConnectionInput,
} from "../../provider/ssh";
import { labConnection, labHost, labWrongPrivateKey, loadLabInventory } from "../support/lab";
import { errorOf } from "../support/errorOf";

const HOSTILE = `a b'c"d $(touch /tmp/pwned) \`touch /tmp/pwned\` ; && | \n\t * -x ünï 🙂 \\ $HOME ''`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  loadLabInventory(); // fails every test with "run `npm run lab:up` first" when the lab is down
});
afterAll(closeSshPool);

describe("commands on a lab host", () => {
  it("round-trips a hostile string through argv and through stdin", async () => {
    const c = labConnection("dir1");
    expect(await exec(c, ["printf", "%s", HOSTILE])).toEqual({ exitCode: 0, stdout: HOSTILE, stderr: "" });
    const digest = await run(c, ["sh", "-c", "cat | sha256sum"], { stdin: HOSTILE });
    expect(digest.stdout.split(" ")[0]).toBe(createHash("sha256").update(HOSTILE).digest("hex"));
    await run(c, ["tee", "/tmp/lvs-ssh-test-stdin"], { stdin: HOSTILE });
    expect((await run(c, ["cat", "/tmp/lvs-ssh-test-stdin"])).stdout).toBe(HOSTILE);
    expect((await exec(c, ["test", "-e", "/tmp/pwned"])).exitCode).toBe(1);
    await run(c, ["rm", "-f", "/tmp/lvs-ssh-test-stdin"]);
  });

  it("runs as root through sudo -n for the non-root user `lab`", async () => {
    const r = await run(labConnection("dir1", { user: "sudo" }), ["id", "-u"]);
    expect(r.stdout.trim()).toBe("0");
  });

  it("fails clearly when sudo wants a password (user `labpw`)", async () => {
    const err = await errorOf(exec(labConnection("dir1", { user: "sudoPassword" }), ["id", "-u"]));
    expect(err).toBeInstanceOf(SudoPasswordRequiredError);
    expect(err.message).toMatch(/^sudo on labpw@127\.0\.0\.1:\d+ requires a password for: sudo -n -- id -u\. /);
    expect(err.message).toMatch(/NOPASSWD/);
  });
});

describe("jump host", () => {
  it("reaches rs1 through dir1", async () => {
    const r = await run(labConnection("rs1", { via: "dir1" }), ["hostname"]);
    expect(r.stdout.trim()).toBe(labHost("rs1").name);
  });

  it("labels a failing jump host `proxy:`, without its secrets", async () => {
    const c = labConnection("rs1", { via: "dir1" });
    const password = `jump-pw-${randomBytes(6).toString("hex")}`;
    const wrong = labWrongPrivateKey();
    c.proxy = { ...c.proxy!, privateKey: wrong, password };
    const err = await errorOf(exec(c, ["true"]));
    expect(err).toBeInstanceOf(SshAuthError);
    expect(err.message).toMatch(/^proxy: authentication to root@/);
    const text = [String(err), err.stack, JSON.stringify(err), inspect(err, { depth: 10, showHidden: true })].join("\n");
    expect(text).not.toContain(password);
    for (const line of wrong.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) expect(text).not.toContain(line);
  });
});

describe("host identity", () => {
  const dir1 = () => labHost("dir1");
  const dir2 = () => labHost("dir2");

  it("refuses dir1 when dir2's key is pinned for it, naming both fingerprints", async () => {
    const h0 = sshPoolStats().handshakes;
    const err = await errorOf(exec({ ...labConnection("dir1"), hostKey: dir2().hostKey }, ["true"]));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err.message).toContain(dir2().hostKeyFingerprint);
    expect(err.message).toContain(dir1().hostKeyFingerprint);
    expect(err.message).not.toMatch(/Host denied/); // ssh2's own words: the typed error must win
    expect(sshPoolStats().handshakes).toBe(h0); // refused at the handshake, before authentication
  });

  it("refuses dir1 under accept-new when a different key was accepted before", async () => {
    const { hostKey: _pin, ...unpinned } = labConnection("dir1");
    const c: SshConnectionInput = { ...unpinned, hostKeyPolicy: "accept-new", acceptedHostKey: dir2().hostKeyFingerprint, knownHostsFile: "/dev/null" };
    const err = await errorOf(exec(c, ["true"]));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err.message).toContain(dir2().hostKeyFingerprint);
    expect(err.message).toContain(dir1().hostKeyFingerprint);
  });

  it("accepts a new host under accept-new and reports the fingerprint to record", async () => {
    const { hostKey: _pin, ...unpinned } = labConnection("dir1");
    const info = await connectionInfo({ ...unpinned, hostKeyPolicy: "accept-new", knownHostsFile: "/dev/null" });
    expect(info).toEqual({ hostKeyFingerprint: dir1().hostKeyFingerprint, hostKeySource: "accepted-new" });
  });

  it("reports a wrong private key as SshAuthError without key material", async () => {
    const wrong = labWrongPrivateKey();
    const err = await errorOf(exec({ ...labConnection("dir1"), privateKey: wrong }, ["true"]));
    expect(err).toBeInstanceOf(SshAuthError);
    expect(err.message).toMatch(/authentication to root@127\.0\.0\.1:\d+ failed/);
    expect(err.message).toMatch(/authorized_keys/);
    const text = `${err.message}\n${err.stack}\n${JSON.stringify(err)}`;
    for (const line of wrong.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) expect(text).not.toContain(line);
  });
});

describe("connection reuse", () => {
  // Counted with the `lab` user so that reading the journal adds no root logins.
  // `--merge` reads every journal on the host: the lab VMs get their machine-id after
  // journald has opened its files, so the plain `journalctl` finds "No journal files".
  async function rootLogins(host: string): Promise<string[]> {
    const r = await run(labConnection(host, { user: "sudo" }), ["journalctl", "--merge", "-u", "ssh", "--no-pager", "-o", "cat"]);
    return r.stdout.split("\n").filter((l) => l.startsWith("Accepted publickey for root "));
  }

  it("runs 50 concurrent execs over exactly one handshake (client and server agree), at most maxChannels at once", async () => {
    await resetSshPool();
    const host = "rs1";
    const before = await rootLogins(host);
    const s0 = sshPoolStats();
    // Each command marks its start and end in a file on the host, to count how many ran at once.
    const marks = `/tmp/lvs-ssh-test-concurrency-${randomBytes(6).toString("hex")}`;
    const script = `echo "$SSH_CONNECTION"; echo s >> ${marks}; sleep 1; echo e >> ${marks}`;
    const results = await Promise.all(Array.from({ length: 50 }, () => run(labConnection(host), ["sh", "-c", script])));
    const s1 = sshPoolStats();
    const handshakes = s1.handshakes - s0.handshakes;
    const lines = (await run(labConnection(host), ["cat", marks])).stdout.trim().split("\n");
    await run(labConnection(host), ["rm", "-f", marks]);
    let running = 0;
    let mostAtOnce = 0;
    for (const l of lines) {
      running += l === "s" ? 1 : -1;
      mostAtOnce = Math.max(mostAtOnce, running);
    }
    await sleep(1000); // journald indexes asynchronously
    const after = await rootLogins(host);
    const sessions = new Set(results.map((r) => r.stdout.trim()));
    const [clientIp, clientPort] = [...sessions][0]!.split(" ");
    // Only the lines logged since `before`: slirp hands out source ports again over a long
    // run, so an earlier session of this suite can carry the same "from IP port N".
    const since = after.slice(before.length);
    const ours = since.filter((l) => l.includes(`from ${clientIp} port ${clientPort} `));
    // Anyone else logging in as root meanwhile (another suite sharing the lab) shows up here.
    const others = since.filter((l) => !ours.includes(l));
    console.log(
      `connection reuse on ${host}: 50 execs, client handshakes delta ${handshakes}, ` +
        `server "Accepted publickey for root" delta ${after.length - before.length} (${before.length} → ${after.length}), ` +
        `distinct SSH_CONNECTION values ${sessions.size}, journal lines for our port ${ours.length}, ` +
        `most commands running at once ${mostAtOnce}` +
        (others.length ? `; root logins by others meanwhile: ${others.join(" | ")}` : ""),
    );
    expect(handshakes).toBe(1);
    expect({ dials: s1.dials - s0.dials, execs: s1.execs - s0.execs }).toEqual({ dials: 1, execs: 50 });
    expect(lines).toHaveLength(100);
    expect(mostAtOnce).toBeGreaterThan(1);
    expect(mostAtOnce).toBeLessThanOrEqual(8); // maxChannels' default; sshd itself would allow 10
    expect(sessions.size).toBe(1);
    expect(after.length - before.length).toBe(1);
    expect(ours).toHaveLength(1);
  });

  it("reconnects by itself after the host restarts sshd and kills existing sessions", async () => {
    const host = "rs2";
    const c = labConnection(host);
    await closeSshPool();
    const previous = configureSshPool({ idleMs: 600_000, dialAttempts: 10 }); // only the host may close it
    try {
      const firstSession = (await run(c, ["sh", "-c", 'echo "$SSH_CONNECTION"'])).stdout.trim();
      const firstPid = (await run(c, ["systemctl", "show", "-p", "MainPID", "--value", "ssh"])).stdout.trim();
      const h0 = sshPoolStats().handshakes;
      // After this exec has returned: restart sshd (Debian keeps sessions across a restart) and
      // then kill the session processes, ours included. `[s]shd` keeps pkill off its own shell.
      await run(c, ["systemd-run", "--on-active=2", "--collect", "sh", "-c", "systemctl restart ssh; pkill -f '[s]shd.*: root@'"]);
      const until = Date.now() + 60_000;
      while (sshPoolStats().openConnections > 0 && Date.now() < until) await sleep(200);
      expect(sshPoolStats().openConnections).toBe(0);

      const secondSession = (await run(c, ["sh", "-c", 'echo "$SSH_CONNECTION"'])).stdout.trim();
      const secondPid = (await run(c, ["systemctl", "show", "-p", "MainPID", "--value", "ssh"])).stdout.trim();
      const delta = sshPoolStats().handshakes - h0;
      console.log(`reconnect on ${host}: sshd MainPID ${firstPid} → ${secondPid}, session "${firstSession}" → "${secondSession}", handshakes delta ${delta}`);
      expect(secondPid).not.toBe(firstPid);
      expect(secondSession).not.toBe(firstSession);
      expect(delta).toBe(1);
    } finally {
      configureSshPool({ idleMs: previous.idleMs, dialAttempts: previous.dialAttempts });
    }
  });
});
