import { createHash } from "crypto";
import type { SshConnectionInput } from "../../../provider/ssh/connection";
import {
  CommandTimeoutError,
  ConnectionConfigError,
  RemoteCommandError,
  SudoPasswordRequiredError,
  UnsafeArgumentError,
} from "../../../provider/ssh/errors";
import { exec, run } from "../../../provider/ssh/exec";
import { setSshLogger } from "../../../provider/ssh/log";
import { closeSshPool, resetSshPool, sshPoolStats } from "../../../provider/ssh/pool";
import { generateUserKey, startInProcessSshd, type InProcessSshd } from "./inProcessSshd";

const user = generateUserKey();
let sshd: InProcessSshd;
const PASSWORD = "pa55-w0rd-that-must-not-leak";
const HOSTILE = `a b'c"d $(id) \`id\` ; && | \n\t * -x ünï 🙂 \\ $HOME`;

const conn = (over: Partial<SshConnectionInput> = {}): SshConnectionInput => ({
  host: "127.0.0.1",
  port: sshd.port,
  privateKey: user.privateKey,
  hostKey: sshd.hostKey,
  knownHostsFile: "/dev/null",
  ...over,
});
async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  sshd = await startInProcessSshd({ root: { publicKey: user.publicKey, password: PASSWORD }, lab: { publicKey: user.publicKey } });
});
beforeEach(async () => {
  await resetSshPool();
  sshd.sudoNeedsPassword = false;
  sshd.commands.length = 0;
});
afterAll(async () => {
  setSshLogger(undefined);
  await closeSshPool();
  await sshd.close();
});

describe("exec", () => {
  it("passes a hostile argument through argv untouched", async () => {
    const r = await exec(conn(), ["printf", "%s", HOSTILE]);
    expect(r).toEqual({ exitCode: 0, stdout: HOSTILE, stderr: "" });
  });

  it("sends stdin (string or bytes) and closes it", async () => {
    const viaString = await exec(conn(), ["sh", "-c", "cat | sha256sum"], { stdin: HOSTILE });
    expect(viaString.stdout.split(" ")[0]).toBe(createHash("sha256").update(HOSTILE).digest("hex"));
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const viaBuffer = await exec(conn(), ["sh", "-c", "od -An -tx1 | tr -d ' \\n'"], { stdin: bytes });
    expect(viaBuffer.stdout).toBe(bytes.toString("hex"));
    // No stdin: EOF at once, so a reader does not hang.
    expect((await exec(conn(), ["cat"])).stdout).toBe("");
  });

  it("returns a non-zero exit with separate stdout and stderr instead of throwing", async () => {
    const r = await exec(conn(), ["sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect(r).toEqual({ exitCode: 7, stdout: "out\n", stderr: "err\n" });
  });

  it("reports a signal death as 128 + signal number", async () => {
    // $PPID is the shell that parsed our command line (sshd's child), as on a real host.
    const r = await exec(conn(), ["sh", "-c", "kill -TERM $PPID; sleep 1"]);
    expect(r.exitCode).toBe(128 + 15);
    expect(r.signal).toBe("SIGTERM");
  });

  it("refuses NUL before dialing", async () => {
    await expect(exec(conn(), ["echo", "a\0b"])).rejects.toBeInstanceOf(UnsafeArgumentError);
    expect(sshPoolStats().dials).toBe(0);
  });

  it("refuses an invalid connection before dialing, listing every problem", async () => {
    const err = await errorOf(exec({ host: "bad host", port: 0 }, ["true"]));
    expect(err).toBeInstanceOf(ConnectionConfigError);
    expect(err.message).toMatch(/connection\.host: .*\n.*connection\.port: /s);
    expect(sshPoolStats().dials).toBe(0);
  });
});

describe("run", () => {
  it("throws RemoteCommandError with host, argv, exit code and redacted, trimmed stderr", async () => {
    const err = await errorOf(
      run(conn({ password: PASSWORD }), ["sh", "-c", `echo "login with ${PASSWORD} failed" >&2; head -c 5000 /dev/zero | tr '\\0' x >&2; echo; echo LAST LINE >&2; exit 3`]),
    );
    expect(err).toBeInstanceOf(RemoteCommandError);
    const e = err as RemoteCommandError;
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/^command on root@127\.0\.0\.1:\d+ exited with code 3: sh -c /);
    expect(e.stderr.length).toBeLessThanOrEqual(2048);
    expect(e.stderr).toMatch(/LAST LINE$/);
    expect(`${e.message}${JSON.stringify(e)}`).not.toContain(PASSWORD);
    expect(e.command).toContain("[REDACTED]");
  });

  it("returns the result on success", async () => {
    expect((await run(conn(), ["echo", "ok"])).stdout).toBe("ok\n");
  });
});

describe("sudo", () => {
  it("wraps argv in `sudo -n --` for non-root users, before quoting", async () => {
    await exec(conn({ user: "lab" }), ["printf", "%s", "a b"]);
    await exec(conn({ user: "lab" }), ["true"], { sudo: false });
    await exec(conn(), ["true"]);
    expect(sshd.commands).toEqual(["sudo -n -- printf %s 'a b'", "true", "true"]);
  });

  it("turns sudo's password prompt refusal into SudoPasswordRequiredError", async () => {
    sshd.sudoNeedsPassword = true;
    const err = await errorOf(exec(conn({ user: "lab" }), ["id", "-u"]));
    expect(err).toBeInstanceOf(SudoPasswordRequiredError);
    expect(err.message).toMatch(/sudo on lab@127\.0\.0\.1:\d+ requires a password for: sudo -n -- id -u/);
    expect(err.message).toMatch(/NOPASSWD/);
  });
});

describe("timeouts", () => {
  it("closes the channel, says the command may still run, and leaves the connection usable", async () => {
    const t0 = Date.now();
    const err = await errorOf(exec(conn(), ["sleep", "5"], { timeoutMs: 200 }));
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err.message).toMatch(/did not finish within 200 ms: sleep 5.*may still be running/s);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await exec(conn(), ["echo", "still here"])).stdout).toBe("still here\n");
    expect(sshPoolStats().handshakes).toBe(1);
  });
});

describe("logging", () => {
  it("logs what happens but never stdin or secrets", async () => {
    const lines: string[] = [];
    setSshLogger((m) => lines.push(m));
    try {
      await exec(conn({ password: PASSWORD }), ["echo", PASSWORD], { stdin: "stdin-secret-payload" });
    } finally {
      setSshLogger(undefined);
    }
    const all = lines.join("\n");
    expect(all).toMatch(/attempt 1 of \d/);
    expect(all).toMatch(/exec echo \[REDACTED\]/);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain("stdin-secret-payload");
  });
});
