// accept-new trusts a host once, not once per resource: the first key seen is appended to
// the known_hosts file and held to by every later connection. Keys are real (ssh-keygen),
// files live in a temp directory; the last block dials an in-process SSH server.

import { execFileSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { connectionInfo, exec } from "../../../provider/ssh/exec";
import { ConnectionConfigError, HostKeyMismatchError } from "../../../provider/ssh/errors";
import type { VerifyHostKeyInput } from "../../../provider/ssh/hostKey";
import {
  knownHostsLine,
  recordFirstSeenHostKey,
  trustLockPath,
  trustPresentedHostKey,
} from "../../../provider/ssh/hostKeyTrustFile";
import { configureSshPool, resetSshPool, type SshPoolConfig } from "../../../provider/ssh/pool";
import { errorOf } from "../../support/errorOf";
import { generateHostKey, startInProcessSshd } from "../../support/inProcessSshd";

let dir: string;
const blobs: Buffer[] = [];
const fingerprints: string[] = [];
let fileCount = 0;
const freshPath = () => join(dir, `t${++fileCount}`, "known_hosts");
const noLog = () => undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lvs-trust-"));
  for (let i = 0; i < 8; i++) {
    const path = join(dir, `key${i}`);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path]);
    const line = readFileSync(`${path}.pub`, "utf8").trim();
    blobs.push(Buffer.from(line.split(" ")[1]!, "base64"));
    fingerprints.push(execFileSync("ssh-keygen", ["-lf", `${path}.pub`], { encoding: "utf8" }).split(" ")[1]!);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the dialer checks: accept-new, nothing pinned, the file as read before dialing. */
const sight = (blob: Buffer, extra: Partial<VerifyHostKeyInput> = {}): VerifyHostKeyInput => ({
  host: "10.77.0.21",
  port: 22,
  presentedBlob: blob,
  knownHosts: undefined,
  policy: "accept-new",
  ...extra,
});

describe("recordFirstSeenHostKey", () => {
  it("creates the file (0600, directory 0700) with the line OpenSSH would write", async () => {
    const path = freshPath();
    const outcome = await recordFirstSeenHostKey({ path, host: "10.77.0.21", port: 2201, presentedBlob: blobs[0]! });
    expect(outcome.recorded).toBe(true);
    const line = `[10.77.0.21]:2201 ssh-ed25519 ${blobs[0]!.toString("base64")}\n`;
    expect(readFileSync(path, "utf8")).toBe(line);
    expect(knownHostsLine("10.77.0.21", 2201, blobs[0]!)).toBe(line.trim());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
    expect(existsSync(trustLockPath(path))).toBe(false);
  });

  it("appends after the user's own lines and never records a host twice", async () => {
    const path = freshPath();
    await recordFirstSeenHostKey({ path, host: "a", port: 22, presentedBlob: blobs[0]! });
    writeFileSync(path, `${readFileSync(path, "utf8")}# mine, no newline`, { flag: "w" });
    expect((await recordFirstSeenHostKey({ path, host: "b", port: 22, presentedBlob: blobs[1]! })).recorded).toBe(true);
    const second = await recordFirstSeenHostKey({ path, host: "a", port: 22, presentedBlob: blobs[2]! });
    expect(second.recorded).toBe(false);
    expect(readFileSync(path, "utf8").split("\n")).toEqual([
      `a ssh-ed25519 ${blobs[0]!.toString("base64")}`,
      "# mine, no newline",
      `b ssh-ed25519 ${blobs[1]!.toString("base64")}`,
      "",
    ]);
  });

  it("never writes to a path that is not a regular file (/dev/null: remember nothing)", async () => {
    const outcome = await recordFirstSeenHostKey({ path: "/dev/null", host: "a", port: 22, presentedBlob: blobs[0]! });
    expect(outcome).toEqual({ recorded: false, knownHosts: "" });
    expect(existsSync(trustLockPath("/dev/null"))).toBe(false);
  });

  it("waits for a lock file held by another process, then records", async () => {
    const path = freshPath();
    await recordFirstSeenHostKey({ path, host: "other", port: 22, presentedBlob: blobs[0]! });
    writeFileSync(trustLockPath(path), "4242\n");
    let done = false;
    const pending = recordFirstSeenHostKey({ path, host: "a", port: 22, presentedBlob: blobs[1]! }).finally(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    unlinkSync(trustLockPath(path));
    expect((await pending).recorded).toBe(true);
  });

  it("takes over a stale lock (its process died), even one planted as a symlink", async () => {
    const path = freshPath();
    await recordFirstSeenHostKey({ path, host: "other", port: 22, presentedBlob: blobs[0]! });
    symlinkSync(join(dir, "nowhere"), trustLockPath(path));
    const old = new Date(Date.now() - 60_000);
    execFileSync("touch", ["-h", "-d", old.toISOString(), trustLockPath(path)]);
    const started = Date.now();
    expect((await recordFirstSeenHostKey({ path, host: "a", port: 22, presentedBlob: blobs[1]! })).recorded).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
  });
});

describe("trustPresentedHostKey", () => {
  it("records the first key, then holds every later connection (another resource) to it", async () => {
    const path = freshPath();
    expect(await trustPresentedHostKey(sight(blobs[0]!), path, noLog)).toEqual({ fingerprint: fingerprints[0], source: "accepted-new" });
    // A resource that read the file before the record (or a later run) sees the same key…
    expect(await trustPresentedHostKey(sight(blobs[0]!), path, noLog)).toEqual({ fingerprint: fingerprints[0], source: "known_hosts" });
    // …and a resource shown another key that day is refused, naming the recorded one.
    const err = await errorOf(trustPresentedHostKey(sight(blobs[1]!), path, noLog));
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    expect(err.message).toContain(fingerprints[0]);
    expect(err.message).toContain(fingerprints[1]);
  });

  it("lets exactly one of many concurrent first sights win; the others are refused", async () => {
    const path = freshPath();
    const results = await Promise.allSettled(blobs.map((b) => trustPresentedHostKey(sight(b), path, noLog)));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(HostKeyMismatchError);
    expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("records a fingerprint accepted from a resource's state, so resources without it are held to it too", async () => {
    const path = freshPath();
    const fromState = sight(blobs[2]!, { acceptedFingerprint: fingerprints[2] });
    expect((await trustPresentedHostKey(fromState, path, noLog)).source).toBe("accepted");
    expect(readFileSync(path, "utf8")).toContain(blobs[2]!.toString("base64"));
    expect(await errorOf(trustPresentedHostKey(sight(blobs[3]!), path, noLog))).toBeInstanceOf(HostKeyMismatchError);
  });

  it("leaves strict and pinned connections alone", async () => {
    const path = freshPath();
    await errorOf(trustPresentedHostKey(sight(blobs[0]!, { policy: "strict" }), path, noLog));
    expect((await trustPresentedHostKey(sight(blobs[0]!, { pinned: fingerprints[0] }), path, noLog)).source).toBe("pinned");
    expect(existsSync(path)).toBe(false);
  });

  it("says which setting to fix when the key cannot be recorded", async () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "");
    const err = await errorOf(trustPresentedHostKey(sight(blobs[0]!), join(file, "known_hosts"), noLog));
    expect(err).toBeInstanceOf(ConnectionConfigError);
    expect(err.message).toMatch(/connection\.knownHostsFile: cannot record the host key of 10\.77\.0\.21:22 in .* \(ENOTDIR\)/);
  });
});

describe("through the dialer", () => {
  let saved: SshPoolConfig;
  beforeAll(() => {
    saved = configureSshPool({ dialAttempts: 1 });
  });
  afterAll(async () => {
    configureSshPool(saved);
    await resetSshPool();
  });

  it("a host that shows another key to a second resource is refused, even from a fresh pool", async () => {
    const knownHostsFile = freshPath();
    const first = await startInProcessSshd({ passwords: { rs: "pw", svc: "pw" } });
    const port = first.port;
    const info = await connectionInfo({ host: "127.0.0.1", port, user: "rs", password: "pw", hostKeyPolicy: "accept-new", knownHostsFile });
    expect(info).toEqual({ hostKeyFingerprint: first.hostKey.fingerprint, hostKeySource: "accepted-new" });
    await resetSshPool();
    await first.close();

    // The "same host" comes back with another key (or an attacker answers in its place).
    const impostor = await startInProcessSshd({ passwords: { rs: "pw", svc: "pw" }, port, hostKey: generateHostKey() });
    try {
      const err = await errorOf(exec({ host: "127.0.0.1", port, user: "svc", password: "pw", hostKeyPolicy: "accept-new", knownHostsFile }, ["true"]));
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect(err.message).toContain(first.hostKey.fingerprint);
      expect(impostor.logins).toBe(0);
    } finally {
      await resetSshPool();
      await impostor.close();
    }
  });
});
