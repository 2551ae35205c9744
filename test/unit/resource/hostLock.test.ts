// The shared host lock, run for real with this machine's /bin/sh and flock(1) on a lock
// file in a temp directory (the function takes the lock file as an argument, so no test
// touches /run).

import { spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  HOST_LOCK_EXIT,
  HOST_LOCK_FUNCTION,
  HostLockDirectoryError,
  HostLockTimeoutError,
  hostLockFailure,
  hostLockFile,
  hostLockWaitSeconds,
} from "../../../provider/resource/hostLock";

const SCRIPT = `set -eu
${HOST_LOCK_FUNCTION}
host_lock "$1" "$2"
echo locked
[ -z "\${3:-}" ] || sleep "$3"`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "lvs-hostlock-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const run = (name: string, lock: string, wait: string) => spawnSync("sh", ["-c", SCRIPT, name, lock, wait], { encoding: "utf8" });

describe("host_lock", () => {
  it("creates its directory 0700, takes the lock and says who holds it", () => {
    const lock = join(root, "pulumi-lvs", "ipvsadm.lock");
    const result = run("pulumi-lvs-ipvs", lock, "1");
    expect(result).toMatchObject({ status: 0, stdout: "locked\n" });
    expect(statSync(join(root, "pulumi-lvs")).mode & 0o777).toBe(0o700);
    expect(readFileSync(`${lock}.holder`, "utf8")).toMatch(/^pid \d+ \(pulumi-lvs-ipvs\) since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
  });

  it("gives up after the wait with exit 75, naming the holder; the error type says who", async () => {
    const lock = join(root, "locks", "keepalived.lock");
    const holder = spawn("sh", ["-c", SCRIPT, "pulumi-lvs-keepalived-apply", lock, "1", "3"]);
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    try {
      const started = Date.now();
      const result = run("pulumi-lvs-keepalived-remove-pair", lock, "0.3");
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(result.status).toBe(HOST_LOCK_EXIT.timeout);
      expect(result.stdout).toBe("");
      const err = hostLockFailure("root@10.77.0.11:22", result.status!, result.stderr);
      expect(err).toBeInstanceOf(HostLockTimeoutError);
      expect(err).toMatchObject({ host: "root@10.77.0.11:22", lock, holder: expect.stringMatching(new RegExp(`^pid ${holder.pid} \\(pulumi-lvs-keepalived-apply\\) since `)) });
      expect(err!.message).toContain(`could not lock ${lock} on root@10.77.0.11:22 in time: it is held by pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it.each([
    ["a group/world-accessible directory", (dir: string) => mkdirSync(dir, { mode: 0o755 })],
    ["a directory that is a symlink", (dir: string) => {
      mkdirSync(`${dir}.real`, { mode: 0o700 });
      symlinkSync(`${dir}.real`, dir);
    }],
    ["a lock file that is a symlink", (dir: string) => {
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(join(root, "victim"), "keep me");
      symlinkSync(join(root, "victim"), join(dir, "arp.lock"));
    }],
  ])("refuses %s (exit 76) and touches nothing", (_, prepare) => {
    const dir = join(root, "pulumi-lvs");
    prepare(dir);
    const result = run("pulumi-lvs-arp-lock", join(dir, "arp.lock"), "1");
    expect(result.status).toBe(HOST_LOCK_EXIT.unsafeDirectory);
    expect(result.stdout).toBe("");
    expect(hostLockFailure("h", result.status!, result.stderr)).toBeInstanceOf(HostLockDirectoryError);
    if (existsSync(join(root, "victim"))) expect(readFileSync(join(root, "victim"), "utf8")).toBe("keep me");
  });
});

describe("hostLockWaitSeconds", () => {
  it.each([
    [300_000, "120.000"],
    [120_000, "60.000"],
    [1_000, "0.500"],
    [1, "0.001"],
    [86_400_000, "120.000"],
  ])("a command with %d ms waits %s s for the lock: strictly less than its timeout", (timeoutMs, wait) => {
    expect(hostLockWaitSeconds(timeoutMs)).toBe(wait);
    if (timeoutMs > 1) expect(Number(wait) * 1000).toBeLessThan(timeoutMs);
  });
});

describe("hostLockFailure / hostLockFile", () => {
  it("leaves other failures to the caller", () => {
    expect(hostLockFailure("h", 1, "ipvsadm: Memory allocation problem")).toBeUndefined();
    expect(hostLockFailure("h", HOST_LOCK_EXIT.timeout, "some tool's own exit 75")).toBeUndefined();
  });

  it("names locks in the root-only directory", () => {
    expect(hostLockFile("keepalived")).toBe("/run/pulumi-lvs/keepalived.lock");
    expect(() => hostLockFile("../x")).toThrow(/not a lock name/);
  });
});
