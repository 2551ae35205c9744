// SshConnection: the one schema every resource uses to say how to reach a host.
//
// zod is the single source of validation: resources call parseSshConnection in `check`
// and the transport calls it again before dialing, so a connection that passes check is
// exactly one the transport accepts. All problems are reported at once with their
// property paths, because a `pulumi preview` that reveals one typo per run is painful.
// The types users see are written out in connectionTypes.ts (the published declarations
// must not name zod); the assertions below keep them exactly what this schema infers.

import { isIP } from "net";
import { createHash } from "crypto";
import { utils as ssh2Utils } from "ssh2";
import { z } from "zod";
import type { Equals } from "../typeEquality";
import type { SshConnection, SshConnectionInput } from "./connectionTypes";
import { ConnectionConfigError, type ConfigIssue } from "./errors";
import { hostKeyPinProblem, parseFingerprint } from "./hostKey";

export type { SshConnection, SshConnectionInput };

const PORT = "must be an integer 1..65535";

// Node's timers hold at most 2^31 − 1 ms; a longer delay fires after 1 ms instead, so a
// huge timeout would make every dial or command fail at once. The caps are well inside
// that and still far beyond any sane wait.
const MAX_CONNECT_MS = 600_000;
const MAX_COMMAND_MS = 86_400_000;
const timeoutMs = (what: string, max: number, maxInWords: string) =>
  z
    .int({ error: `${what} must be a whole number of milliseconds > 0` })
    .positive({ error: `${what} must be > 0` })
    .max(max, { error: `${what} must be at most ${max} (${maxInWords}); set a smaller ${what}` });

const TimeoutsSchema = z
  .strictObject({
    /** TCP connect + SSH handshake + auth, per attempt. */
    connectMs: timeoutMs("connectMs", MAX_CONNECT_MS, "10 minutes").default(20_000),
    /** One remote command, from exec request to exit status. */
    commandMs: timeoutMs("commandMs", MAX_COMMAND_MS, "24 hours").default(300_000),
  })
  .prefault({});

// Control characters cannot be meant in a name, a path, or a password typed at a prompt,
// and NUL cannot cross the C APIs these values end up in (a path is cut at it). A trailing
// newline is the usual slip (a value read from a file), hence the hint.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
// Key text is lines of base64: its line breaks (and tabs) are fine, nothing else is.
const CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const NO_CONTROL_CHARACTERS = {
  error: "must not contain control characters (NUL, newline, …); trim a value read from a file",
};
/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const noControlCharacters = (v: string) => !CONTROL_CHARACTERS.test(v);

// Fields of one hop (the target or a jump host), without the recursive `proxy`.
const HopSchema = z.strictObject({
  host: z
    .string({ error: "must be a host name or IP address" })
    .min(1, { error: "must not be empty" })
    .regex(/^\S*$/, { error: "must not contain whitespace" })
    .refine(noControlCharacters, NO_CONTROL_CHARACTERS)
    // The name lands in known_hosts (accept-new), where `*`, `!`, `,`, `@…` and `|1|…` are
    // patterns, markers and hashes: only a plain name or address may go there.
    // (A value the two rules above refuse is not refused twice.)
    .refine((h) => /\s/.test(h) || !noControlCharacters(h) || isIP(h) !== 0 || HOST_NAME.test(h), {
      error: "must be an IP address or a DNS host name (letters, digits, hyphens and dots, such as dir1.example.com): no patterns, lists or markers",
    }),
  port: z.int({ error: PORT }).min(1, { error: PORT }).max(65535, { error: PORT }).default(22),
  user: z
    .string({ error: "must be a user name" })
    .min(1, { error: "must not be empty" })
    .regex(/^\S*$/, { error: "must not contain whitespace" })
    .refine(noControlCharacters, NO_CONTROL_CHARACTERS)
    .default("root"),
  privateKey: z
    .string({ error: "must be the private key text (OpenSSH or PEM), not a path" })
    .regex(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, {
      error: "must be the private key text, starting with `-----BEGIN … PRIVATE KEY-----` (read the file; do not pass its path)",
    })
    .refine((v) => !CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS.test(v), {
      error: "must not contain control characters other than line breaks (NUL, …)",
    })
    .optional(),
  privateKeyPassphrase: z.string({ error: "must be a string" }).refine(noControlCharacters, NO_CONTROL_CHARACTERS).optional(),
  password: z
    .string({ error: "must be a string" })
    .min(1, { error: "must not be empty" })
    .refine(noControlCharacters, NO_CONTROL_CHARACTERS)
    .optional(),
  agentSocket: z
    .string({ error: "must be the path of an ssh-agent socket" })
    .min(1, { error: "must not be empty" })
    .refine(noControlCharacters, NO_CONTROL_CHARACTERS)
    .optional(),
  hostKey: z
    .string({ error: "must be an OpenSSH public key line or a SHA256: fingerprint" })
    .check((ctx) => {
      const problem = hostKeyPinProblem(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
    })
    .optional(),
  knownHostsFile: z
    .string({ error: "must be the path of a known_hosts file" })
    .min(1, { error: "must not be empty" })
    .refine(noControlCharacters, NO_CONTROL_CHARACTERS)
    .optional(),
  hostKeyPolicy: z.enum(["strict", "accept-new"], { error: 'must be "strict" or "accept-new"' }).default("strict"),
  acceptedHostKey: z
    .string({ error: "must be a SHA256: fingerprint" })
    .refine((v) => parseFingerprint(v) !== undefined, {
      error: "must be a `SHA256:` fingerprint of 43 base64 characters (as connectionInfo reports it)",
    })
    .transform((v) => parseFingerprint(v)!)
    .optional(),
  sudo: z.boolean({ error: "must be true or false" }).optional(),
  timeouts: TimeoutsSchema,
  maxChannels: z
    .int({ error: "must be an integer 1..64" })
    .min(1, { error: "must be an integer 1..64" })
    .max(64, { error: "must be an integer 1..64" })
    .default(8),
});

// One hop's fields are exactly the written-out types' (`proxy` is the recursion, typed by
// SshConnectionSchema's annotation; `sudo` is resolved by its transform). A schema change
// that is not made to connectionTypes.ts too fails to compile here.
const _sameHopInput: Equals<Omit<SshConnectionInput, "proxy">, z.input<typeof HopSchema>> = true;
const _sameHopOutput: Equals<Omit<SshConnection, "proxy" | "sudo">, Omit<z.output<typeof HopSchema>, "sudo">> = true;

// Checking that a key decrypts costs a bcrypt KDF for encrypted keys; remember verdicts by
// digest (never by the key itself) so repeated parses of the same connection stay cheap.
const keyProblems = new Map<string, string | undefined>();
function privateKeyProblem(key: string, passphrase: string | undefined): string | undefined {
  const digest = createHash("sha256").update(key).update("\0").update(passphrase ?? "").digest("hex");
  if (!keyProblems.has(digest)) {
    const parsed = ssh2Utils.parseKey(key, passphrase);
    const problem = parsed instanceof Error ? parsed.message : undefined;
    if (keyProblems.size > 256) keyProblems.clear();
    keyProblems.set(digest, problem);
  }
  return keyProblems.get(digest);
}

/** @internal zod types stay out of the published declarations; users call parseSshConnection. */
export const SshConnectionSchema: z.ZodType<SshConnection, SshConnectionInput> = z.lazy(() =>
  HopSchema.extend({ proxy: SshConnectionSchema.optional() })
    .superRefine(
      (c, ctx) => {
        // Runs even when fields failed (`when`), so guard every read.
        if (c.privateKey === undefined && c.password === undefined && c.agentSocket === undefined) {
          ctx.addIssue({
            code: "custom",
            path: [],
            message: "no credentials: set at least one of privateKey, password or agentSocket",
          });
        }
        if (c.privateKeyPassphrase !== undefined && c.privateKey === undefined) {
          ctx.addIssue({ code: "custom", path: ["privateKeyPassphrase"], message: "is set but privateKey is not" });
        }
        if (typeof c.privateKey === "string" && /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(c.privateKey)) {
          const passphrase = typeof c.privateKeyPassphrase === "string" ? c.privateKeyPassphrase : undefined;
          const problem = privateKeyProblem(c.privateKey, passphrase);
          if (problem) {
            const hint = /passphrase|decrypt|encrypted/i.test(problem) ? " (check privateKeyPassphrase)" : "";
            ctx.addIssue({ code: "custom", path: ["privateKey"], message: `cannot be used: ${problem}${hint}` });
          }
        }
      },
      { when: () => true },
    )
    .transform((c): SshConnection => ({ ...c, sudo: c.sudo ?? c.user !== "root" })),
);

/** `connection.proxy.port`, `connection.timeouts.connectMs`, … */
function dottedPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : `${acc}.${String(k)}`), root);
}

/**
 * Validate a connection and fill in defaults. Throws ConnectionConfigError listing every
 * problem, each under its dotted path (`root` is what the caller calls this value).
 */
export function parseSshConnection(raw: unknown, root = "connection"): SshConnection {
  const result = SshConnectionSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((i) => {
    if (i.code === "unrecognized_keys") {
      const names = i.keys.map((k) => `"${k}"`).join(", ");
      return { path: dottedPath(root, i.path), message: `unknown setting${i.keys.length > 1 ? "s" : ""} ${names}` };
    }
    return { path: dottedPath(root, i.path), message: i.message };
  });
  throw new ConnectionConfigError(issues, secretsOf(raw));
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * `lab@127.0.0.1:2201 (via root@127.0.0.1:2202)`: the only way hosts are named in messages,
 * so every error about a host reads the same and never includes credentials.
 */
export function describeConnection(conn: SshConnectionInput | SshConnection): string {
  const self = `${conn.user ?? "root"}@${formatHost(conn.host)}:${conn.port ?? 22}`;
  return conn.proxy ? `${self} (via ${describeConnection(conn.proxy)})` : self;
}

/**
 * Every secret string a connection carries, including its proxies', for redaction.
 * Also each base64 line of a private key, so even a fragment echoed back is caught.
 * Accepts unvalidated input so that validation errors can be redacted too.
 */
export function secretsOf(conn: unknown): string[] {
  const out: string[] = [];
  let hop: unknown = conn;
  for (let depth = 0; depth < 16 && typeof hop === "object" && hop !== null; depth++) {
    const c = hop as Record<string, unknown>;
    for (const field of ["privateKey", "privateKeyPassphrase", "password"]) {
      const v = c[field];
      if (typeof v === "string" && v.length > 0) out.push(v);
    }
    if (typeof c["privateKey"] === "string") {
      for (const line of c["privateKey"].split(/\r?\n/)) {
        const t = line.trim();
        if (t.length >= 16 && !t.startsWith("-----")) out.push(t);
      }
    }
    hop = c["proxy"];
  }
  return out;
}
