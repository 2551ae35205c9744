// Host key identity: fingerprints, pins, and the verification decision (pure).
//
// The dialer hands us the raw key blob the server presented during key exchange; this
// module decides whether to trust it. It never says yes by default: with nothing to
// compare against, only an explicit `hostKeyPolicy: "accept-new"` lets a key through,
// and the caller is expected to record the fingerprint and pin it from then on.

import { createHash } from "crypto";
import { HostKeyMismatchError, HostKeyUnknownError } from "./errors";
import { lookupKnownHosts, parseKnownHosts } from "./knownHosts";

export interface PublicKey {
  type: string;
  blob: Buffer;
  fingerprint: string;
}

/** What a `hostKey` setting pins: a whole key, or only its fingerprint. */
export type HostKeyPin = { kind: "key"; key: PublicKey } | { kind: "fingerprint"; fingerprint: string };

export type HostKeyPolicy = "strict" | "accept-new";

/** Why a presented key was trusted. */
export type HostKeySource = "pinned" | "accepted" | "known_hosts" | "accepted-new";

export interface HostKeyVerdict {
  fingerprint: string;
  source: HostKeySource;
}

const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;
const KEY_TYPE = /^[a-z0-9][a-z0-9@.-]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `SHA256:` + unpadded base64 of sha256(blob): byte-for-byte what `ssh-keygen -lf` prints. */
export function fingerprintOfKeyBlob(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH wire-format key blob (its first string), if well formed. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  return 4 + n <= blob.length ? blob.toString("latin1", 4, 4 + n) : undefined;
}

/** Normalise a `SHA256:…` fingerprint (drops `=` padding); undefined if it is not one. */
export function parseFingerprint(text: string): string | undefined {
  const m = FINGERPRINT.exec(text.trim());
  return m ? `SHA256:${m[1]}` : undefined;
}

/**
 * Parse an OpenSSH public key line, `type base64 [comment]` (the format of
 * /etc/ssh/ssh_host_ed25519_key.pub). Throws an Error saying what is wrong.
 */
export function parsePublicKeyLine(line: string): PublicKey {
  const fields = line.trim().split(/\s+/);
  const [type, b64] = fields;
  if (type === undefined || b64 === undefined || type === "") {
    throw new Error("must be `<type> <base64> [comment]`, e.g. the contents of /etc/ssh/ssh_host_ed25519_key.pub");
  }
  if (fields.length >= 3 && /^(ssh-|ecdsa-|sk-)/.test(b64) && !/^(ssh-|ecdsa-|sk-)/.test(type)) {
    // `ssh-keyscan` and known_hosts put the host name first; a common paste mistake.
    throw new Error("looks like a known_hosts line: drop the leading host name and keep `<type> <base64>`");
  }
  if (!KEY_TYPE.test(type) || !/^(ssh-|ecdsa-|sk-)/.test(type)) {
    throw new Error("must be an OpenSSH public key line (`ssh-ed25519 AAAA…`) or a `SHA256:` fingerprint");
  }
  if (!BASE64.test(b64)) throw new Error("the key data is not base64");
  const blob = Buffer.from(b64, "base64");
  const inner = keyTypeOfBlob(blob);
  if (inner !== type) {
    throw new Error(`the key data does not hold a key of type ${type}${inner ? ` (it holds ${inner.slice(0, 40)})` : ""}`);
  }
  return { type, blob, fingerprint: fingerprintOfKeyBlob(blob) };
}

/** Parse a `hostKey` setting: a public key line or a `SHA256:` fingerprint. Throws on nonsense. */
export function parseHostKeyPin(text: string): HostKeyPin {
  const t = text.trim();
  if (t.startsWith("SHA256:")) {
    const fingerprint = parseFingerprint(t);
    if (!fingerprint) throw new Error("a fingerprint must be `SHA256:` followed by 43 base64 characters, as `ssh-keygen -lf` prints");
    return { kind: "fingerprint", fingerprint };
  }
  if (/^MD5:|^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(t)) {
    throw new Error("MD5 fingerprints are not accepted; use the SHA256 one (`ssh-keygen -lf <key.pub>`)");
  }
  return { kind: "key", key: parsePublicKeyLine(t) };
}

/** The problem with a `hostKey` setting, for validation messages; undefined if it parses. */
export function hostKeyPinProblem(text: string): string | undefined {
  try {
    parseHostKeyPin(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface VerifyHostKeyInput {
  host: string;
  port: number;
  /** How to name the host in errors (describeConnection); defaults to host:port. */
  target?: string | undefined;
  /** The key blob the server presented in key exchange. */
  presentedBlob: Buffer;
  /** `hostKey`: a public key line or a fingerprint. */
  pinned?: string | undefined;
  /** The fingerprint recorded under accept-new on an earlier run; enforced like a pin. */
  acceptedFingerprint?: string | undefined;
  /** Contents of the known_hosts file, if there is one. */
  knownHosts?: string | undefined;
  policy: HostKeyPolicy;
}

/**
 * Decide whether to trust the presented key. Order: @revoked (always refused) → pinned
 * `hostKey` → `acceptedFingerprint` → known_hosts → accept-new → refuse.
 * A source that exists and disagrees is a hard mismatch; we never fall through to a
 * weaker source, because that is exactly the situation an attacker would create.
 */
export function verifyHostKey(input: VerifyHostKeyInput): HostKeyVerdict {
  const { host, port, presentedBlob } = input;
  const target = input.target ?? `${host}:${port}`;
  const presented = fingerprintOfKeyBlob(presentedBlob);
  const presentedType = keyTypeOfBlob(presentedBlob) ?? "unknown";
  const mismatch = (expected: string, source: string, detail?: string): HostKeyMismatchError =>
    new HostKeyMismatchError({ target, host, port, expected, presented, source, ...(detail ? { detail } : {}) });

  const known = input.knownHosts ? lookupKnownHosts(parseKnownHosts(input.knownHosts), host, port) : undefined;
  const revoked = known?.revoked.find((e) => e.blob.equals(presentedBlob));
  if (revoked) throw mismatch(presented, "revoked", `known_hosts line ${revoked.line}`);

  if (input.pinned !== undefined) {
    const pin = parseHostKeyPin(input.pinned);
    if (pin.kind === "key" ? pin.key.blob.equals(presentedBlob) : pin.fingerprint === presented) {
      return { fingerprint: presented, source: "pinned" };
    }
    const expected = pin.kind === "key" ? pin.key.fingerprint : pin.fingerprint;
    const otherType = pin.kind === "key" && pin.key.type !== presentedType;
    const detail = otherType ? `pinned a ${pin.key.type} key, host presented ${presentedType}` : undefined;
    throw mismatch(expected, "pinned", detail);
  }

  if (input.acceptedFingerprint !== undefined) {
    const accepted = parseFingerprint(input.acceptedFingerprint) ?? input.acceptedFingerprint;
    if (accepted === presented) return { fingerprint: presented, source: "accepted" };
    throw mismatch(accepted, "accepted");
  }

  if (known && known.keys.length > 0) {
    if (known.keys.some((e) => e.blob.equals(presentedBlob))) return { fingerprint: presented, source: "known_hosts" };
    // Name the entry of the same type if there is one: that is the key this host used to present.
    const entry = known.keys.find((e) => e.type === presentedType) ?? known.keys[0]!;
    const detail =
      entry.type === presentedType
        ? `known_hosts line ${entry.line}`
        : `known_hosts line ${entry.line} lists a ${entry.type} key; the host presented ${presentedType}`;
    throw mismatch(fingerprintOfKeyBlob(entry.blob), "known_hosts", detail);
  }

  if (input.policy === "accept-new") return { fingerprint: presented, source: "accepted-new" };
  throw new HostKeyUnknownError({ target, host, port, presented });
}

/**
 * Key types we already know for this host, most trusted first. The dialer asks the server
 * for these first so that a host with several keys presents the one we can check, as
 * OpenSSH does with HostKeyAlgorithms; otherwise we would refuse a host we actually know.
 */
export function knownHostKeyTypes(input: Omit<VerifyHostKeyInput, "presentedBlob" | "policy" | "target">): string[] {
  const types: string[] = [];
  if (input.pinned !== undefined) {
    try {
      const pin = parseHostKeyPin(input.pinned);
      if (pin.kind === "key") types.push(pin.key.type);
    } catch {
      // validated earlier; an unparsable pin simply gives no preference
    }
    return types;
  }
  if (input.acceptedFingerprint !== undefined) return types;
  if (input.knownHosts) {
    for (const e of lookupKnownHosts(parseKnownHosts(input.knownHosts), input.host, input.port).keys) {
      if (!types.includes(e.type)) types.push(e.type);
    }
  }
  return types;
}
