// OpenSSH known_hosts parsing and lookup (pure: takes the file's text, never reads disk).
//
// Supported, as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it:
// - comma-separated host patterns with `*` / `?` wildcards and `!` negation;
// - `[host]:port` names for ports other than 22;
// - hashed names `|1|<base64 salt>|<base64 HMAC-SHA1(salt, name)>` (HashKnownHosts yes);
// - `@revoked` lines: a key listed there is refused for the matching hosts.
// `@cert-authority` lines are skipped: this transport verifies plain host keys only and
// does not implement OpenSSH host certificates, so a CA line can never vouch for a host.

import { createHmac } from "crypto";

export interface KnownHostsEntry {
  /** 1-based line number, for messages. */
  line: number;
  marker: "revoked" | undefined;
  /** Plain patterns (lower-cased), or undefined for a hashed entry. */
  patterns: string[] | undefined;
  hashed: { salt: Buffer; hash: Buffer } | undefined;
  type: string;
  blob: Buffer;
}

// The key type is the first SSH string inside the blob. (hostKey.ts has the same read;
// it is repeated here so the two modules do not import each other.)
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  return 4 + n <= blob.length ? blob.toString("latin1", 4, 4 + n) : undefined;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Parse a known_hosts file. Malformed lines are skipped, as ssh does. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === "" || fields[0]!.startsWith("#")) return;
    let marker: KnownHostsEntry["marker"];
    if (fields[0]!.startsWith("@")) {
      const m = fields.shift();
      if (m === "@cert-authority") return; // see the header comment
      if (m !== "@revoked") return; // unknown marker: ssh ignores the line too
      marker = "revoked";
    }
    const [hosts, type, b64] = fields;
    if (hosts === undefined || type === undefined || b64 === undefined) return;
    const blob = Buffer.from(b64, "base64");
    if (blobType(blob) !== type) return; // truncated or mislabelled key: ssh skips it too
    const entry: KnownHostsEntry = { line: i + 1, marker, patterns: undefined, hashed: undefined, type, blob };
    if (hosts.startsWith("|1|")) {
      const [, , salt, hash] = hosts.split("|");
      if (!salt || !hash) return;
      entry.hashed = { salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
    } else {
      entry.patterns = hosts.toLowerCase().split(",").filter((p) => p !== "");
    }
    entries.push(entry);
  });
  return entries;
}

/** OpenSSH's match_pattern: `*` is any run of characters, `?` exactly one; whole-string. */
export function matchWildcard(name: string, pattern: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "s").test(name);
}

/** Does this entry name the host? A matching negated pattern vetoes the whole line. */
export function entryMatchesHost(entry: KnownHostsEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hashed) {
    const mac = createHmac("sha1", entry.hashed.salt).update(name).digest();
    return mac.equals(entry.hashed.hash);
  }
  let positive = false;
  for (const p of entry.patterns ?? []) {
    if (p.startsWith("!")) {
      if (matchWildcard(name, p.slice(1))) return false;
    } else if (matchWildcard(name, p)) {
      positive = true;
    }
  }
  return positive;
}

export interface KnownHostsLookup {
  /** Trusted keys listed for this host+port (any type). */
  keys: KnownHostsEntry[];
  /** @revoked keys that apply to this host+port. */
  revoked: KnownHostsEntry[];
}

/** Every entry that applies to host+port, split into trusted and revoked. */
export function lookupKnownHosts(entries: readonly KnownHostsEntry[], host: string, port: number): KnownHostsLookup {
  const matching = entries.filter((e) => entryMatchesHost(e, host, port));
  return {
    keys: matching.filter((e) => e.marker === undefined),
    revoked: matching.filter((e) => e.marker === "revoked"),
  };
}
