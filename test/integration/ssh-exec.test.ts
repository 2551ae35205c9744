// exec and run against a lab host's real OpenSSH sshd: output, exit codes and signals as
// sshd reports them, stdin, sudo wrapping as the host's processes see it, timeouts and
// logging. What ssh.test.ts already proves (hostile argv and stdin round trips, sudo as
// `lab`, sudo wanting a password) is not repeated here.

import { createHash, randomBytes } from "crypto";
import {
  CommandTimeoutError,
  RemoteCommandError,
  closeSshPool,
  exec,
  resetSshPool,
  run,
  setSshLogger,
  sshPoolStats,
  type SshConnectionInput,
} from "../../provider/ssh";
import { labConnection, loadLabInventory } from "../support/lab";
import { errorOf } from "../support/errorOf";

const HOST = "rs1";
const PASSWORD = "pa55-w0rd-that-must-not-leak";


beforeAll(() => {
  loadLabInventory(); // fails every test with "run `npm run lab:up` first" when the lab is down
});
beforeEach(resetSshPool);
afterAll(async () => {
  setSshLogger(undefined);
  await closeSshPool();
});

describe("exec", () => {
  it("sends bytes on stdin untouched, and closes stdin at once when there is none", async () => {
    const c = labConnection(HOST);
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const viaBuffer = await exec(c, ["sh", "-c", "od -An -tx1 | tr -d ' \\n'"], { stdin: bytes });
    expect(viaBuffer).toEqual({ exitCode: 0, stdout: bytes.toString("hex"), stderr: "" });
    // No stdin: EOF at once, so a reader does not hang (the 30 s timeout would fail it).
    expect(await exec(c, ["cat"], { timeoutMs: 30_000 })).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  });

  it("returns a non-zero exit with separate stdout and stderr instead of throwing", async () => {
    const r = await exec(labConnection(HOST), ["sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect(r).toEqual({ exitCode: 7, stdout: "out\n", stderr: "err\n" });
  });

  it("reports a signal death (sshd's exit-signal) as 128 + signal number", async () => {
    // bash -c execs a lone command, so this sh is sshd's child and its death by SIGTERM is
    // what sshd reports.
    const r = await exec(labConnection(HOST), ["sh", "-c", "kill -TERM $$; sleep 5"]);
    expect(r).toEqual({ exitCode: 128 + 15, signal: "SIGTERM", stdout: "", stderr: "" });
  });
});

describe("exec with an answer: a reply in the same command", () => {
  it("keeps stdin open after `stdin`, sends the reply once stdout ends with the marker (split across packets), then EOF", async () => {
    const c = labConnection(HOST);
    const script = 'read -r a; echo "got $a"; printf AS; sleep 0.3; printf "K\\n"; read -r b; printf "then %s\\n" "$b"; cat; echo "eof"';
    const r = await exec(c, ["sh", "-c", script], { stdin: "one\n", answer: { marker: "ASK", reply: (soFar) => `${JSON.stringify(soFar)}\nrest\n` } });
    expect(r).toEqual({ exitCode: 0, stdout: `got one\nASK\nthen "got one\\nASK\\n"\nrest\neof\n`, stderr: "" });
  });

  it("a command that never asks ends as it would without one", async () => {
    const r = await exec(labConnection(HOST), ["sh", "-c", "echo nothing asked; exit 4"], { answer: { marker: "ASK", reply: () => "unused\n" } });
    expect(r).toEqual({ exitCode: 4, stdout: "nothing asked\n", stderr: "" });
  });

  it("a reply that cannot be made closes stdin without it and fails with its own error", async () => {
    const err = await errorOf(
      exec(labConnection(HOST), ["sh", "-c", 'echo ASK; if read -r b; then echo "read $b"; else echo "EOF, nothing sent" >&2; exit 9; fi'], {
        answer: {
          marker: "ASK",
          reply: () => {
            throw new Error("could not render the reply");
          },
        },
        timeoutMs: 30_000,
      }),
    );
    expect(err.message).toBe("could not render the reply");
  });
});

describe("run", () => {
  it("throws RemoteCommandError with host, argv, exit code and redacted, trimmed stderr", async () => {
    const err = await errorOf(
      run({ ...labConnection(HOST), password: PASSWORD }, [
        "sh",
        "-c",
        `echo "login with ${PASSWORD} failed" >&2; head -c 5000 /dev/zero | tr '\\0' x >&2; echo; echo LAST LINE >&2; exit 3`,
      ]),
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
});

describe("sudo", () => {
  // Prints the argv (base64 of /proc/PID/cmdline) of this shell and of each ancestor up to
  // sshd's session process: exactly what the host ran, after the login shell parsed the
  // command line (bash -c execs a lone command, so it leaves no process of its own).
  const PROBE =
    'p=$$; while [ "$p" -gt 1 ] && [ "$(cat /proc/$p/comm)" != sshd ]; do ' +
    'base64 -w0 /proc/$p/cmdline; echo; p=$(sed "s/.*) . //; s/ .*//" /proc/$p/stat); done';
  const ARGV = ["sh", "-c", PROBE, "sh", "a b"];
  async function processChain(c: SshConnectionInput, sudo?: boolean): Promise<string[][]> {
    const r = await run(c, ARGV, sudo === undefined ? {} : { sudo });
    return r.stdout
      .trim()
      .split("\n")
      .map((line) => Buffer.from(line, "base64").toString("utf8").split("\0").slice(0, -1));
  }

  it("wraps argv in `sudo -n --` for non-root users, argv-level (before quoting)", async () => {
    const lab = labConnection(HOST, { user: "sudo" });
    expect(await processChain(lab)).toEqual([ARGV, ["sudo", "-n", "--", ...ARGV]]);
    expect(await processChain(lab, false)).toEqual([ARGV]);
    expect(await processChain(labConnection(HOST))).toEqual([ARGV]);
  });
});

describe("timeouts", () => {
  it("closes the channel, says the command may still run, and leaves the connection usable", async () => {
    const c = labConnection(HOST);
    await run(c, ["true"]); // dialed: the clock below measures the command alone
    const t0 = Date.now();
    const err = await errorOf(exec(c, ["sleep", "30"], { timeoutMs: 1000 }));
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err.message).toMatch(/did not finish within 1000 ms: sleep 30.*may still be running/s);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
    expect((await exec(c, ["echo", "still here"])).stdout).toBe("still here\n");
    expect(sshPoolStats().handshakes).toBe(1);
  });
});

describe("logging", () => {
  it("logs what happens but never stdin or secrets", async () => {
    const stdin = `stdin-secret-payload-${randomBytes(6).toString("hex")}`;
    const lines: string[] = [];
    setSshLogger((m) => lines.push(m));
    const r = await exec({ ...labConnection(HOST), password: PASSWORD }, ["sh", "-c", 'echo "$1"; sha256sum', "sh", PASSWORD], {
      stdin,
    }).finally(() => setSshLogger(undefined));
    // The host did get both: only the log must not.
    expect(r.stdout).toBe(`${PASSWORD}\n${createHash("sha256").update(stdin).digest("hex")}  -\n`);
    const all = lines.join("\n");
    expect(all).toMatch(/attempt 1 of \d/);
    expect(all).toMatch(/exec sh -c .* sh \[REDACTED\]/);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(stdin);
  });
});
