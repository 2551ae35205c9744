import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { inspect } from "util";
import {
  describeConnection,
  parseSshConnection,
  secretsOf,
  type SshConnectionInput,
} from "../../../provider/ssh/connection";
import { ConnectionConfigError } from "../../../provider/ssh/errors";

let dir: string;
let privateKey: string;
let encryptedKey: string;
let hostKeyLine: string;
const PASSPHRASE = "correct horse battery staple";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lvs-conn-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", join(dir, "enc")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host")]);
  privateKey = readFileSync(join(dir, "id"), "utf8");
  encryptedKey = readFileSync(join(dir, "enc"), "utf8");
  hostKeyLine = readFileSync(join(dir, "host.pub"), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(raw: unknown, root?: string): string[] {
  try {
    parseSshConnection(raw, root);
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectionConfigError);
    return (e as ConnectionConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe("parseSshConnection", () => {
  it("fills defaults", () => {
    const c = parseSshConnection({ host: "10.77.0.11", privateKey });
    expect(c).toMatchObject({
      host: "10.77.0.11",
      port: 22,
      user: "root",
      hostKeyPolicy: "strict",
      sudo: false,
      timeouts: { connectMs: 20000, commandMs: 300000 },
      maxChannels: 8,
    });
  });

  it.each([
    ["root", undefined, false],
    ["lab", undefined, true],
    ["lab", false, false],
    ["root", true, true],
  ])("sudo for user %s with sudo=%s is %s", (user, sudo, expected) => {
    const raw: SshConnectionInput = { host: "h", user, password: "pw", ...(sudo === undefined ? {} : { sudo }) };
    expect(parseSshConnection(raw).sudo).toBe(expected);
  });

  it("accepts pins, an encrypted key with its passphrase, and a nested proxy", () => {
    const c = parseSshConnection({
      host: "10.77.0.21",
      user: "lab",
      privateKey: encryptedKey,
      privateKeyPassphrase: PASSPHRASE,
      hostKey: hostKeyLine,
      proxy: { host: "127.0.0.1", port: 2201, agentSocket: "/run/agent.sock", hostKey: "SHA256:" + "a".repeat(43) },
      timeouts: { commandMs: 1000 },
    });
    expect(c.proxy).toMatchObject({ port: 2201, user: "root", sudo: false, maxChannels: 8 });
    expect(c.timeouts).toEqual({ connectMs: 20000, commandMs: 1000 });
  });

  it("reports every problem at once, each with its dotted path (nested proxy included)", () => {
    const issues = issuesOf({
      host: "bad host",
      port: 70000,
      user: "",
      privateKey: "/home/me/.ssh/id_ed25519",
      hostKey: "not a key",
      hostKeyPolicy: "trust-me",
      acceptedHostKey: "MD5:00",
      timeouts: { connectMs: 0, commandMs: 1.5 },
      maxChannels: 100,
      hostkey: "typo",
      proxy: { host: "127.0.0.1", port: "2201", sudo: "yes" },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        "connection.host: must not contain whitespace",
        "connection.port: must be an integer 1..65535",
        "connection.user: must not be empty",
        expect.stringMatching(/^connection\.privateKey: must be the private key text/),
        "connection.hostKey: must be an OpenSSH public key line (`ssh-ed25519 AAAA…`) or a `SHA256:` fingerprint",
        'connection.hostKeyPolicy: must be "strict" or "accept-new"',
        expect.stringMatching(/^connection\.acceptedHostKey: must be a `SHA256:` fingerprint/),
        "connection.timeouts.connectMs: connectMs must be > 0",
        "connection.timeouts.commandMs: commandMs must be a whole number of milliseconds > 0",
        "connection.maxChannels: must be an integer 1..64",
        'connection: unknown setting "hostkey"',
        "connection.proxy.port: must be an integer 1..65535",
        "connection.proxy.sudo: must be true or false",
        "connection.proxy: no credentials: set at least one of privateKey, password or agentSocket",
      ]),
    );
    expect(issues).toHaveLength(14);
  });

  it.each([
    ["connectMs", 2 ** 31, "connectMs must be at most 600000 (10 minutes); set a smaller connectMs"],
    ["connectMs", 600_001, "connectMs must be at most 600000 (10 minutes); set a smaller connectMs"],
    ["commandMs", 2 ** 31, "commandMs must be at most 86400000 (24 hours); set a smaller commandMs"],
    ["commandMs", 2 ** 40, "commandMs must be at most 86400000 (24 hours); set a smaller commandMs"],
  ])("refuses timeouts.%s = %d, beyond its cap (Node fires timers over 2^31 − 1 ms after 1 ms)", (field, value, message) => {
    expect(issuesOf({ host: "h", password: "pw", timeouts: { [field]: value } })).toEqual([`connection.timeouts.${field}: ${message}`]);
    expect(issuesOf({ host: "h", password: "pw", proxy: { host: "j", password: "pw", timeouts: { [field]: value } } })).toEqual([
      `connection.proxy.timeouts.${field}: ${message}`,
    ]);
  });

  it("accepts the largest timeouts", () => {
    expect(parseSshConnection({ host: "h", password: "pw", timeouts: { connectMs: 600_000, commandMs: 86_400_000 } }).timeouts).toEqual({
      connectMs: 600_000,
      commandMs: 86_400_000,
    });
  });

  const CONTROL = "must not contain control characters (NUL, newline, …); trim a value read from a file";
  it.each([
    ["host", "10.0.0.1\0evil"],
    ["user", "lab\0"],
    ["user", "lab\u001b[31m"],
    ["password", "pw\0rest"],
    ["password", "pw\n"],
    ["privateKeyPassphrase", "pass\0phrase"],
    ["agentSocket", "/run/agent\0.sock"],
    ["agentSocket", "/run/agent.sock\n"],
    ["knownHostsFile", "/etc/ssh/known_hosts\0"],
    ["knownHostsFile", "/etc/ssh/known\rhosts"],
  ])("refuses a control character in %s (%j), naming the property", (field, value) => {
    const raw = { host: "h", password: "pw", privateKey, [field]: value };
    expect(issuesOf(raw)).toEqual([`connection.${field}: ${CONTROL}`]);
  });

  it("refuses NUL in a private key but keeps its line breaks (LF and CRLF)", () => {
    expect(issuesOf({ host: "h", privateKey: privateKey.replace(/\n/g, "\r\n") })).toEqual([]);
    const withNul = privateKey.replace("\n", "\n\0");
    expect(issuesOf({ host: "h", privateKey: withNul })).toContain(
      "connection.privateKey: must not contain control characters other than line breaks (NUL, …)",
    );
  });

  it("requires credentials at the top level, under the caller's root name", () => {
    expect(issuesOf({ host: "h" }, "args.director")).toEqual([
      "args.director: no credentials: set at least one of privateKey, password or agentSocket",
    ]);
  });

  it("checks that the key can be decrypted, without leaking it or the passphrase", () => {
    let caught: unknown;
    try {
      parseSshConnection({ host: "h", privateKey: encryptedKey, privateKeyPassphrase: "wrong passphrase!" });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConnectionConfigError);
    const text = `${String(caught)}\n${inspect(caught)}\n${JSON.stringify(caught)}`;
    expect(text).toMatch(/connection\.privateKey: cannot be used: .*check privateKeyPassphrase/);
    expect(text).not.toContain("wrong passphrase!");
    for (const line of encryptedKey.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) {
      expect(text).not.toContain(line);
    }
    expect(issuesOf({ host: "h", privateKey: encryptedKey })).toEqual([
      expect.stringMatching(/^connection\.privateKey: cannot be used: .*passphrase/),
    ]);
  });

  it("never echoes a secret in a validation message", () => {
    const password = "s3cr3t-password";
    const text = String((() => {
      try {
        parseSshConnection({ host: "h", password, port: password });
      } catch (e) {
        return `${String(e)} ${inspect(e)} ${JSON.stringify(e)}`;
      }
      return "";
    })());
    expect(text).toContain("connection.port");
    expect(text).not.toContain(password);
  });
});

describe("describeConnection", () => {
  it.each<[SshConnectionInput, string]>([
    [{ host: "10.77.0.11", password: "x" }, "root@10.77.0.11:22"],
    [{ host: "127.0.0.1", port: 2201, user: "lab", password: "x", proxy: { host: "127.0.0.1", port: 2202, password: "y" } }, "lab@127.0.0.1:2201 (via root@127.0.0.1:2202)"],
    [{ host: "fd77::11", password: "x" }, "root@[fd77::11]:22"],
    [
      { host: "a", password: "x", proxy: { host: "b", password: "y", proxy: { host: "c", port: 2200, password: "z" } } },
      "root@a:22 (via root@b:22 (via root@c:2200))",
    ],
  ])("%j → %s", (conn, text) => {
    expect(describeConnection(conn)).toBe(text);
    expect(describeConnection(parseSshConnection(conn))).toBe(text);
  });
});

describe("secretsOf", () => {
  it("collects secrets of every hop, including each line of a private key", () => {
    const secrets = secretsOf({
      host: "a",
      password: "pw-target",
      privateKey,
      proxy: { host: "b", privateKeyPassphrase: "pp-proxy", password: "pw-proxy", proxy: { host: "c", password: "pw-deep" } },
    });
    expect(secrets).toEqual(expect.arrayContaining(["pw-target", privateKey, "pp-proxy", "pw-proxy", "pw-deep"]));
    const bodyLine = privateKey.split("\n")[1]!;
    expect(secrets).toContain(bodyLine);
    // Header lines are public knowledge; redacting them would only garble messages.
    expect(secrets.some((s) => s.startsWith("-----BEGIN") && !s.includes("\n"))).toBe(false);
  });
});

describe("host: a plain name or address only (issue 12: it lands in known_hosts under accept-new)", () => {
  it.each(["*", "dir1,*", "dir1,evil", "!dir1", "@dir2", "@revoked", "|1|abc|def", "~SEQ(N,1,3)", "-oProxyCommand=x", "a..b"])("refuses %j, naming the property", (host) => {
    expect(issuesOf({ host, password: "pw" })).toEqual([expect.stringMatching(/^connection\.host: must be an IP address or a DNS host name/)]);
  });

  it.each(["10.77.0.11", "fd77::11", "dir1", "dir1.lab.example.com", "127.0.0.1", "xn--bcher-kva.example"])("accepts %j", (host) => {
    expect(issuesOf({ host, password: "pw" })).toEqual([]);
  });
});
