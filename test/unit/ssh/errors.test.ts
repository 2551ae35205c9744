import { inspect } from "util";
import {
  CommandTimeoutError,
  ConnectionConfigError,
  HostKeyMismatchError,
  HostKeyUnknownError,
  LvsError,
  MAX_STDERR_CHARS,
  MIN_EMBEDDED_SECRET_CHARS,
  RemoteCommandError,
  SshAuthError,
  SshConnectionLostError,
  SshDialError,
  SudoPasswordRequiredError,
  UnsafeArgumentError,
  redactSecrets,
  trimStderr,
} from "../../../provider/ssh/errors";

const PASSWORD = "hunter2-very-secret";
const PASSPHRASE = "open sesame 42";
const KEY_LINE = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
const SECRETS = [PASSWORD, PASSPHRASE, KEY_LINE];
const TARGET = "lab@127.0.0.1:2201 (via root@127.0.0.1:2202)";

/** Everything a user or a log could ever see of an error. */
function allTextOf(e: unknown): string {
  return [String(e), (e as Error).stack ?? "", inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e)].join("\n");
}

describe("redactSecrets", () => {
  it("replaces every occurrence, longest secret first", () => {
    expect(redactSecrets("pw=abc and abcdef and abc", ["abc", "abcdef"])).toBe("pw=[REDACTED] and [REDACTED] and [REDACTED]");
  });
  it("ignores empty secrets and leaves clean text alone", () => {
    expect(redactSecrets("nothing here", ["", "zzz"])).toBe("nothing here");
  });

  it.each<[string, string[], string]>([
    // A short secret inside a longer word is not that secret: the text stays readable.
    ["must be the private key text", ["k"], "must be the private key text"],
    ["upwards and pwd", ["pw"], "upwards and pwd"],
    ["Überweisung über", ["ber"], "Überweisung über"],
    ["auth_pass A", ["A", "RED"], "auth_pass [REDACTED]"],
  ])("a short secret does not garble words: %j", (text, secrets, expected) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });

  it.each<[string, string[], string]>([
    // Where a short secret stands as a value, it is redacted.
    ["auth_pass pw\n", ["pw"], "auth_pass [REDACTED]\n"],
    ["--password=pw;", ["pw"], "--password=[REDACTED];"],
    ["echo 'pw' pw", ["pw"], "echo '[REDACTED]' [REDACTED]"],
    ["pw", ["pw"], "[REDACTED]"],
    ["user k: k", ["k"], "user [REDACTED]: [REDACTED]"],
    ["pass a.b* here", ["a.b*"], "pass [REDACTED] here"],
    ["x=!pw!y", ["!pw!"], "x=[REDACTED]y"],
    ["auth_pass пароль", ["пароль"], "auth_pass [REDACTED]"],
  ])("a short secret standing as a value is redacted: %j", (text, secrets, expected) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });

  it("redacts a long secret wherever it occurs, even glued to other text", () => {
    const long = "b3BlbnNzaC1rZXktdjEAAAAA";
    expect(long.length).toBeGreaterThanOrEqual(MIN_EMBEDDED_SECRET_CHARS);
    expect(redactSecrets(`xx${long}yy and https://u:${long}@h`, [long])).toBe("xx[REDACTED]yy and https://u:[REDACTED]@h");
    expect(redactSecrets(`x${PASSWORD}y`, [PASSWORD])).toBe("x[REDACTED]y");
  });

  it("never matches a secret inside a redaction already made", () => {
    expect(redactSecrets("pw is pw", ["pw", "RED", "ACT", "E"])).toBe("[REDACTED] is [REDACTED]");
    // Errors redact twice (the field, then the whole message): the second pass changes nothing.
    expect(redactSecrets("[REDACTED] is [REDACTED]", ["RED", "ACT", "E", "D"])).toBe("[REDACTED] is [REDACTED]");
  });
});

describe("errors with short secrets", () => {
  it("keep their own words intact (a one-letter key, a two-letter password)", () => {
    const e = new ConnectionConfigError([{ path: "connection.privateKey", message: "must be the private key text" }], ["k", "pw"]);
    expect(e.message).toContain("connection.privateKey: must be the private key text");
    expect(e.message).not.toContain("[REDACTED]");
  });

  it("still hide the secret where the host echoes it as a value", () => {
    const e = new RemoteCommandError({ target: TARGET, command: "keepalived -t", exitCode: 5, stderr: "auth_pass pw\nbad line" }, ["pw"]);
    expect(e.stderr).toBe("auth_pass [REDACTED]\nbad line");
    expect(allTextOf(e)).not.toMatch(/auth_pass pw/);
  });
});

describe("trimStderr", () => {
  it("keeps short stderr whole (trimmed) and cuts long stderr to its last 2 KB", () => {
    expect(trimStderr("  oops \n")).toBe("oops");
    const long = `${"x".repeat(5000)}THE END`;
    const t = trimStderr(long);
    expect(t.length).toBe(MAX_STDERR_CHARS);
    expect(t.endsWith("THE END")).toBe(true);
    expect(t.startsWith("…")).toBe(true);
  });
});

describe("errors never carry secrets", () => {
  const leakyStderr = `sudo: password ${PASSWORD} rejected\npassphrase was ${PASSPHRASE}\n${KEY_LINE}\n`;
  const leakyCommand = `chpasswd --password ${PASSWORD}`;
  const cases: Array<[string, () => LvsError]> = [
    ["SshDialError", () => new SshDialError({ target: TARGET, reason: `banner: ${PASSWORD}` }, SECRETS)],
    ["SshAuthError", () => new SshAuthError({ target: TARGET, methodsOffered: ["publickey", "password"], methodsAccepted: ["publickey"], detail: PASSWORD }, SECRETS)],
    ["RemoteCommandError", () => new RemoteCommandError({ target: TARGET, command: leakyCommand, exitCode: 3, stderr: leakyStderr }, SECRETS)],
    ["SudoPasswordRequiredError", () => new SudoPasswordRequiredError({ target: TARGET, command: leakyCommand }, SECRETS)],
    ["CommandTimeoutError", () => new CommandTimeoutError({ target: TARGET, command: leakyCommand, timeoutMs: 5 }, SECRETS)],
    ["SshConnectionLostError", () => new SshConnectionLostError({ target: TARGET, command: leakyCommand, reason: PASSWORD }, SECRETS)],
    ["ConnectionConfigError", () => new ConnectionConfigError([{ path: "connection.password", message: `bad: ${PASSWORD}` }], SECRETS)],
    ["labelled proxy error", () => new SshDialError({ target: TARGET, reason: PASSPHRASE }, SECRETS).labelledHop("proxy")],
  ];
  it.each(cases)("%s: message, stack, inspect and JSON are clean", (_name, make) => {
    const e = make();
    const text = allTextOf(e);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).toContain("[REDACTED]");
  });
});

describe("messages say what, where, what the host said, and what to do", () => {
  it("RemoteCommandError names host, argv, exit code and trimmed stderr", () => {
    const e = new RemoteCommandError({ target: TARGET, command: "ipvsadm -A -t 10.0.0.1:80 -s rr", exitCode: 2, stderr: `${"noise\n".repeat(1000)}Memory allocation problem\n` });
    expect(e.message).toContain(TARGET);
    expect(e.message).toContain("ipvsadm -A -t 10.0.0.1:80 -s rr");
    expect(e.message).toContain("exited with code 2");
    expect(e.message).toContain("Memory allocation problem");
    expect(e.stderr.length).toBeLessThanOrEqual(MAX_STDERR_CHARS);
    expect(e.exitCode).toBe(2);
  });

  it("SshAuthError lists offered and accepted methods and what to check", () => {
    const e = new SshAuthError({ target: TARGET, methodsOffered: ["publickey"], methodsAccepted: ["publickey", "password"] });
    expect(e.message).toMatch(/authentication to lab@127\.0\.0\.1:2201 .* failed/);
    expect(e.message).toContain("offered: publickey");
    expect(e.message).toContain("the host accepts: publickey, password");
    expect(e.message).toContain("authorized_keys");
  });

  it("HostKeyMismatchError names both fingerprints and where the expected one came from", () => {
    const e = new HostKeyMismatchError({ target: TARGET, host: "127.0.0.1", port: 2201, expected: "SHA256:expected", presented: "SHA256:presented", source: "accepted" });
    expect(e.message).toContain("SHA256:expected");
    expect(e.message).toContain("SHA256:presented");
    expect(e.message).toContain("acceptedHostKey");
  });

  it("HostKeyUnknownError shows the fingerprint and both remedies", () => {
    const e = new HostKeyUnknownError({ target: TARGET, host: "127.0.0.1", port: 2201, presented: "SHA256:presented" });
    expect(e.message).toContain("SHA256:presented");
    expect(e.message).toContain("hostKey");
    expect(e.message).toContain('hostKeyPolicy: "accept-new"');
  });

  it("SudoPasswordRequiredError tells how to fix sudoers", () => {
    expect(new SudoPasswordRequiredError({ target: TARGET, command: "sudo -n -- id" }).message).toMatch(/NOPASSWD.*root/s);
  });

  it("CommandTimeoutError warns that the command may still be running", () => {
    expect(new CommandTimeoutError({ target: TARGET, command: "sleep 9", timeoutMs: 100 }).message).toMatch(/may still be running/);
  });

  it("SshDialError mentions the attempt count only when retried", () => {
    const e = new SshDialError({ target: TARGET, reason: "connect ECONNREFUSED", transient: true });
    expect(e.message).not.toMatch(/attempt/);
    expect(e.withAttempts(5).message).toMatch(/after 5 attempts: connect ECONNREFUSED/);
    expect(e.withAttempts(5).transient).toBe(true);
  });

  it("UnsafeArgumentError names the index only", () => {
    expect(new UnsafeArgumentError({ index: 3, reason: "contains a NUL byte" }).message).toMatch(/^argument 3 /);
  });
});

describe("labelledHop", () => {
  it("returns a labelled copy and leaves the original alone", () => {
    const original = new SshAuthError({ target: "root@127.0.0.1:2202", methodsOffered: ["publickey"], methodsAccepted: [] });
    const copy = original.labelledHop("proxy");
    expect(copy).toBeInstanceOf(SshAuthError);
    expect(copy.message.startsWith("proxy: authentication to root@127.0.0.1:2202")).toBe(true);
    expect(copy.hop).toBe("proxy");
    expect(copy.stack?.split("\n")[0]).toBe(`SshAuthError: ${copy.message}`);
    expect(original.message.startsWith("authentication")).toBe(true);
    expect(original.hop).toBe("target");
    expect(copy.labelledHop("proxy").message.startsWith("proxy: proxy: ")).toBe(true);
  });
});

describe("redactSecrets with a very long secret (issue 12: a 70 KiB key crashed check)", () => {
  it("cuts out a secret of any length without building a pattern of it", () => {
    const key = "k".repeat(70 * 1024);
    expect(redactSecrets(`before ${key} after, and pw here`, [key, "pw"])).toBe("before [REDACTED] after, and [REDACTED] here");
  });

  it("never matches a short secret across the place a long one was cut out", () => {
    const long = "0123456789abcdef";
    expect(redactSecrets(`x${long}y`, [long, "xy"])).toBe("x[REDACTED]y");
  });
});
