import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { HostKeyMismatchError, HostKeyUnknownError } from "../../../provider/ssh/errors";
import {
  fingerprintOfKeyBlob,
  hostKeyPinProblem,
  knownHostKeyTypes,
  parseFingerprint,
  parseHostKeyPin,
  parsePublicKeyLine,
  verifyHostKey,
  type VerifyHostKeyInput,
} from "../../../provider/ssh/hostKey";

// Real keys from the real tool, generated per run: our fingerprints must match
// `ssh-keygen -lf` byte for byte, or users could never compare them.
let dir: string;
const keys: Record<string, { line: string; blob: Buffer; fp: string }> = {};

function keygen(name: string, type: string, bits?: string): void {
  const path = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", bits] : []), "-N", "", "-C", `${name}@test`, "-f", path]);
  const line = readFileSync(`${path}.pub`, "utf8").trim();
  const fp = execFileSync("ssh-keygen", ["-lf", `${path}.pub`], { encoding: "utf8" }).split(" ")[1]!;
  keys[name] = { line, blob: Buffer.from(line.split(" ")[1]!, "base64"), fp };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lvs-hostkey-"));
  keygen("ed1", "ed25519");
  keygen("ed2", "ed25519");
  keygen("rsa1", "rsa", "2048");
  keygen("ec1", "ecdsa", "256");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const k = (name: string) => keys[name]!;

describe("fingerprints", () => {
  it.each(["ed1", "ed2", "rsa1", "ec1"])("%s matches ssh-keygen -lf", (name) => {
    expect(fingerprintOfKeyBlob(k(name).blob)).toBe(k(name).fp);
    expect(parsePublicKeyLine(k(name).line).fingerprint).toBe(k(name).fp);
    expect(k(name).fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("normalises padding and rejects non-fingerprints", () => {
    const fp = k("ed1").fp;
    expect(parseFingerprint(`${fp}=`)).toBe(fp);
    expect(parseFingerprint(` ${fp} `)).toBe(fp);
    expect(parseFingerprint("SHA256:short")).toBeUndefined();
    expect(parseFingerprint("MD5:aa:bb")).toBeUndefined();
  });
});

describe("parsing pins", () => {
  it("parses a key line with or without comment", () => {
    const [type, b64] = k("ed1").line.split(" ");
    expect(parsePublicKeyLine(`${type} ${b64}`).type).toBe("ssh-ed25519");
    expect(parseHostKeyPin(k("rsa1").line)).toMatchObject({ kind: "key", key: { type: "ssh-rsa", fingerprint: k("rsa1").fp } });
    expect(parseHostKeyPin(k("ec1").fp)).toEqual({ kind: "fingerprint", fingerprint: k("ec1").fp });
  });

  it.each([
    ["empty", "", /must be/],
    ["known_hosts line", `127.0.0.1 ${k0()}`, /known_hosts line/],
    ["not base64", "ssh-ed25519 !!!", /not base64/],
    ["type does not match blob", () => `ssh-rsa ${k("ed1").line.split(" ")[1]}`, /of type ssh-rsa .*ssh-ed25519/],
    ["short fingerprint", "SHA256:abc", /43 base64/],
    ["md5 fingerprint", "MD5:12:34", /MD5/],
    ["legacy md5 fingerprint", "16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", /MD5/],
  ])("explains a bad pin: %s", (_name, input, problem) => {
    const text = typeof input === "function" ? input() : input;
    expect(hostKeyPinProblem(text)).toMatch(problem);
  });
});

// Resolved lazily: it.each tables are built before beforeAll runs.
function k0(): string {
  return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
}

describe("verifyHostKey", () => {
  const base = (over: Partial<VerifyHostKeyInput>): VerifyHostKeyInput => ({
    host: "10.77.0.11",
    port: 22,
    presentedBlob: k("ed1").blob,
    policy: "strict",
    ...over,
  });

  type Case = [string, () => Partial<VerifyHostKeyInput>, string];
  const accepts: Case[] = [
    ["pinned key line", () => ({ pinned: k("ed1").line }), "pinned"],
    ["pinned fingerprint", () => ({ pinned: k("ed1").fp }), "pinned"],
    ["accepted fingerprint", () => ({ acceptedFingerprint: k("ed1").fp }), "accepted"],
    ["known_hosts entry", () => ({ knownHosts: `10.77.0.11 ${k("ed1").line}\n` }), "known_hosts"],
    ["known_hosts with another type too", () => ({ knownHosts: `10.77.0.11 ${k("rsa1").line}\n10.77.0.11 ${k("ed1").line}\n` }), "known_hosts"],
    ["accept-new with nothing known", () => ({ policy: "accept-new" }), "accepted-new"],
    ["accept-new, known_hosts only for other hosts", () => ({ policy: "accept-new", knownHosts: `10.77.0.12 ${k("ed2").line}\n` }), "accepted-new"],
    ["pin outranks a stale known_hosts entry", () => ({ pinned: k("ed1").fp, knownHosts: `10.77.0.11 ${k("ed2").line}\n` }), "pinned"],
  ];
  it.each(accepts)("trusts: %s", (_name, over, source) => {
    expect(verifyHostKey(base(over()))).toEqual({ fingerprint: k("ed1").fp, source });
  });

  const mismatches: Array<[string, () => Partial<VerifyHostKeyInput>, string]> = [
    ["pinned key line differs", () => ({ pinned: k("ed2").line }), "ed2"],
    ["pinned fingerprint differs", () => ({ pinned: k("ed2").fp }), "ed2"],
    ["accepted fingerprint differs (even under accept-new)", () => ({ acceptedFingerprint: k("ed2").fp, policy: "accept-new" }), "ed2"],
    ["known_hosts lists another key of the same type", () => ({ knownHosts: `10.77.0.11 ${k("ed2").line}\n`, policy: "accept-new" }), "ed2"],
    ["known_hosts lists only another type", () => ({ knownHosts: `10.77.0.11 ${k("rsa1").line}\n` }), "rsa1"],
  ];
  it.each(mismatches)("refuses, naming both fingerprints: %s", (_name, over, expectedKey) => {
    let caught: unknown;
    try {
      verifyHostKey(base(over()));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HostKeyMismatchError);
    const err = caught as HostKeyMismatchError;
    expect(err.expectedFingerprint).toBe(k(expectedKey).fp);
    expect(err.presentedFingerprint).toBe(k("ed1").fp);
    expect(err.message).toContain(k(expectedKey).fp);
    expect(err.message).toContain(k("ed1").fp);
    expect(err.message).toContain("10.77.0.11:22");
  });

  it("refuses an unknown host under strict, showing the fingerprint and both ways out", () => {
    let caught: unknown;
    try {
      verifyHostKey(base({ target: "lab@127.0.0.1:2201", knownHosts: `other ${k("ed1").line}\n` }));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HostKeyUnknownError);
    const msg = (caught as Error).message;
    expect(msg).toContain(k("ed1").fp);
    expect(msg).toContain("lab@127.0.0.1:2201");
    expect(msg).toMatch(/hostKey/);
    expect(msg).toMatch(/accept-new/);
  });

  it("refuses a @revoked key even when it is pinned", () => {
    const knownHosts = `@revoked * ${k("ed1").line}\n`;
    expect(() => verifyHostKey(base({ pinned: k("ed1").line, knownHosts }))).toThrow(/@revoked/);
    // A revocation of some other key does not get in the way.
    expect(verifyHostKey(base({ pinned: k("ed1").line, knownHosts: `@revoked * ${k("ed2").line}\n` })).source).toBe("pinned");
  });

  it("ignores @cert-authority lines (no certificate support)", () => {
    const knownHosts = `@cert-authority * ${k("ed2").line}\n`;
    expect(verifyHostKey(base({ knownHosts, policy: "accept-new" })).source).toBe("accepted-new");
  });

  it("prefers the key types it can verify", () => {
    expect(knownHostKeyTypes({ host: "h", port: 22, pinned: k("rsa1").line })).toEqual(["ssh-rsa"]);
    expect(knownHostKeyTypes({ host: "h", port: 22, pinned: k("rsa1").fp })).toEqual([]);
    expect(knownHostKeyTypes({ host: "h", port: 22, knownHosts: `h ${k("ec1").line}\nh ${k("ed1").line}\nx ${k("rsa1").line}` })).toEqual([
      "ecdsa-sha2-nistp256",
      "ssh-ed25519",
    ]);
  });
});

describe("known_hosts made by ssh-keygen -H (hashed)", () => {
  it("finds hashed entries for port 22 and [host]:port, and matches what ssh-keygen -F finds", () => {
    const file = join(dir, "known_hosts");
    writeFileSync(
      file,
      [`10.77.0.11 ${k("ed1").line}`, `[127.0.0.1]:2201 ${k("ed2").line}`, `dir2,10.77.0.12 ${k("rsa1").line}`].join("\n") + "\n",
    );
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    const hashed = readFileSync(file, "utf8");
    expect(hashed).toMatch(/^\|1\|/m);
    expect(hashed).not.toContain("10.77.0.11");

    const check = (host: string, port: number, key: string) =>
      verifyHostKey({ host, port, presentedBlob: k(key).blob, knownHosts: hashed, policy: "strict" }).source;
    expect(check("10.77.0.11", 22, "ed1")).toBe("known_hosts");
    expect(check("127.0.0.1", 2201, "ed2")).toBe("known_hosts");
    expect(check("dir2", 22, "rsa1")).toBe("known_hosts");
    expect(check("10.77.0.12", 22, "rsa1")).toBe("known_hosts");
    // A port-specific entry does not vouch for port 22, nor the other way round.
    expect(() => check("127.0.0.1", 22, "ed2")).toThrow(HostKeyUnknownError);
    expect(() => check("10.77.0.11", 2222, "ed1")).toThrow(HostKeyUnknownError);
    // Same host, different key: a mismatch, not "unknown".
    expect(() => check("10.77.0.11", 22, "ed2")).toThrow(HostKeyMismatchError);

    // Cross-check with OpenSSH's own lookup.
    const sshFinds = (name: string) => {
      try {
        return execFileSync("ssh-keygen", ["-F", name, "-f", file], { encoding: "utf8" }).includes("found");
      } catch {
        return false;
      }
    };
    expect(sshFinds("[127.0.0.1]:2201")).toBe(true);
    expect(sshFinds("127.0.0.1")).toBe(false);
  });
});
