// readIpvsTable's sharing of concurrent reads, against an in-process SSH server that answers
// the table dump with output captured from the lab's kernel. A read may share only with
// reads of the same connection identity, so one that pins the wrong host key (or logs in
// as someone else) is verified on its own.

import { readFileSync } from "fs";
import { join } from "path";
import { changeIpvsTable, ipvsTableReadCount, mismatchRetryDelayMs, readIpvsTable, sharedReadKey } from "../../../provider/ipvs/executor";
import { IpvsListingMismatchError } from "../../../provider/ipvs/parse";
import { HostLockTimeoutError } from "../../../provider/resource/hostLock";
import { OUTPUT_SEPARATOR } from "../../../provider/ipvs/rulesFile";
import { parseSshConnection, type SshConnectionInput } from "../../../provider/ssh/connection";
import { HostKeyMismatchError, SshAuthError } from "../../../provider/ssh/errors";
import { configureSshPool, resetSshPool, type SshPoolConfig } from "../../../provider/ssh/pool";
import { errorOf } from "../../support/errorOf";
import { generateHostKey, startInProcessSshd, type InProcessSshd } from "../../support/inProcessSshd";

const fixture = (name: string) => readFileSync(join(__dirname, "../../fixtures/ipvsadm", name), "utf8");
const DUMP = `${fixture("build.save")}${OUTPUT_SEPARATOR}\n${fixture("build.list-thresholds")}`;

let director: InProcessSshd;
let saved: SshPoolConfig;
let good: SshConnectionInput;
let wrongPin: SshConnectionInput;

beforeAll(async () => {
  saved = configureSshPool({ dialAttempts: 1 });
  director = await startInProcessSshd({
    passwords: { root: "root-pw", ops: "ops-pw" },
    // Slow enough that concurrent callers all find the first read still in flight.
    onExec: () => new Promise((resolve) => setTimeout(() => resolve({ stdout: DUMP }), 50)),
  });
  good = { host: "127.0.0.1", port: director.port, password: "root-pw", hostKey: director.hostKey.line };
  wrongPin = { ...good, hostKey: generateHostKey().facts.fingerprint };
});
beforeEach(resetSshPool);
afterAll(async () => {
  configureSshPool(saved);
  await resetSshPool();
  await director.close();
});

describe("readIpvsTable sharing", () => {
  it("shares one dump between concurrent reads of the same identity", async () => {
    const before = ipvsTableReadCount();
    const tables = await Promise.all([readIpvsTable(good), readIpvsTable(good), readIpvsTable({ ...good })]);
    expect(ipvsTableReadCount() - before).toBe(1);
    expect(tables[0]!.services.length).toBeGreaterThan(0);
    expect(tables[1]).toBe(tables[0]);
  });

  it.each([
    ["the wrong pin first", true],
    ["the right pin first", false],
  ])("a read pinning the wrong host key fails alone beside a correct read (%s)", async (_, wrongFirst) => {
    // Properties are evaluated in the order written, so this is the order the reads start in.
    const { wrong, right } = wrongFirst
      ? { wrong: readIpvsTable(wrongPin), right: readIpvsTable(good) }
      : { right: readIpvsTable(good), wrong: readIpvsTable(wrongPin) };
    expect(await errorOf(wrong)).toBeInstanceOf(HostKeyMismatchError);
    expect((await right).services.length).toBeGreaterThan(0);
  });

  it("a correct read never gets another identity's error, nor a bad login the other's table", async () => {
    const badPassword = readIpvsTable({ ...good, password: "not-the-password" });
    const right = readIpvsTable(good);
    expect(await errorOf(badPassword)).toBeInstanceOf(SshAuthError);
    expect((await right).services.length).toBeGreaterThan(0);
  });

  it("reads as another user on its own connection, and each user runs its own dump", async () => {
    const before = ipvsTableReadCount();
    const execsBefore = director.execs.length;
    await Promise.all([readIpvsTable(good), readIpvsTable({ ...good, user: "ops", password: "ops-pw", sudo: false })]);
    expect(ipvsTableReadCount() - before).toBe(2);
    expect(director.execs.slice(execsBefore).map((e) => e.user).sort()).toEqual(["ops", "root"]);
  });
});

describe("sharedReadKey", () => {
  const base = parseSshConnection({ host: "10.77.0.11", password: "s3cret-pw", hostKey: "SHA256:" + "a".repeat(43) });
  it.each<[string, SshConnectionInput]>([
    ["user", { host: "10.77.0.11", user: "ops", password: "s3cret-pw", hostKey: "SHA256:" + "a".repeat(43) }],
    ["password", { host: "10.77.0.11", password: "other-pw", hostKey: "SHA256:" + "a".repeat(43) }],
    ["host key pin", { host: "10.77.0.11", password: "s3cret-pw", hostKey: "SHA256:" + "b".repeat(43) }],
    ["host key policy", { host: "10.77.0.11", password: "s3cret-pw", hostKeyPolicy: "accept-new" }],
    ["known_hosts file", { host: "10.77.0.11", password: "s3cret-pw", knownHostsFile: "/tmp/kh" }],
    ["jump host", { host: "10.77.0.11", password: "s3cret-pw", hostKey: "SHA256:" + "a".repeat(43), proxy: { host: "j", password: "x" } }],
  ])("differs when the %s differs", (_, other) => {
    expect(sharedReadKey(parseSshConnection(other))).not.toBe(sharedReadKey(base));
  });

  it("is stable for equal connections and never holds a secret in clear", () => {
    expect(sharedReadKey(parseSshConnection({ ...base }))).toBe(sharedReadKey(base));
    expect(sharedReadKey(base)).not.toContain("s3cret-pw");
  });
});

describe("changeIpvsTable and the host lock", () => {
  it("waits for the lock at most half the command timeout, and names the holder when it gives up", async () => {
    const held = "pulumi-lvs-lock-timeout: /run/pulumi-lvs/ipvsadm.lock is held by pid 4242 (pulumi-lvs-ipvs) since 2025-01-01T00:00:00Z\n";
    const busy = await startInProcessSshd({ passwords: { root: "pw" }, onExec: () => ({ code: 75, stderr: held }) });
    try {
      const conn = { host: "127.0.0.1", port: busy.port, password: "pw", hostKey: busy.hostKey.line, timeouts: { commandMs: 10_000 } };
      const err = await errorOf(changeIpvsTable(conn, ["ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"]));
      expect(err).toBeInstanceOf(HostLockTimeoutError);
      expect(err).toMatchObject({ lock: "/run/pulumi-lvs/ipvsadm.lock", holder: "pid 4242 (pulumi-lvs-ipvs) since 2025-01-01T00:00:00Z" });
      expect(err.message).toContain(`root@127.0.0.1:${busy.port}`);
      // The change itself goes on stdin: the command line holds the lock and its bounded wait.
    expect(busy.execs[0]!.command).toMatch(/ pulumi-lvs-ipvs-batch \/run\/pulumi-lvs\/ipvsadm\.lock 5\.000 (restore|each)$/);
    } finally {
      await resetSshPool();
      await busy.close();
    }
  });
});

describe("readIpvsTable while a batch changes the table", () => {
  // The rules-file dump lists a destination the thresholds listing lacks: the two listings
  // were taken on either side of a change (a batch of changes can run for seconds).
  const torn = DUMP.replace(/^ {2}-> 10\.77\.0\.22:80 .*\n/m, "");

  it("reads again, pausing longer each time, until the two listings agree", async () => {
    expect(torn).not.toBe(DUMP);
    let served = 0;
    const changing = await startInProcessSshd({ passwords: { root: "pw" }, onExec: () => ({ stdout: served++ < 4 ? torn : DUMP }) });
    try {
      const before = ipvsTableReadCount();
      const table = await readIpvsTable({ host: "127.0.0.1", port: changing.port, password: "pw", hostKey: changing.hostKey.line });
      expect(ipvsTableReadCount() - before).toBe(5);
      expect(table.destinations.some((d) => d.address === "10.77.0.22")).toBe(true);
    } finally {
      await resetSshPool();
      await changing.close();
    }
  });

  it("gives up with the mismatch once a change would have stopped waiting for the lock", async () => {
    const changing = await startInProcessSshd({ passwords: { root: "pw" }, onExec: () => ({ stdout: torn }) });
    try {
      const err = await errorOf(readIpvsTable({ host: "127.0.0.1", port: changing.port, password: "pw", hostKey: changing.hostKey.line, timeouts: { commandMs: 2_000 } }));
      expect(err).toBeInstanceOf(IpvsListingMismatchError);
      expect(err.message).toMatch(/changed while it was being read .*10\.77\.0\.22:80/);
    } finally {
      await resetSshPool();
      await changing.close();
    }
  });

  it("pauses 0.1 s, doubling, at most 2 s", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(mismatchRetryDelayMs)).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });
});
