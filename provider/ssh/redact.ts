// Redaction of secrets from text that users or logs may see (errors, command lines).
// errors.ts applies it to every message; exec.ts also to the command line it shows.

const REDACTED = "[REDACTED]";

/**
 * Secrets this long are redacted wherever they occur, even glued to other text (a key line
 * re-wrapped, a password inside a URL): text that is not the secret cannot plausibly
 * contain it by chance. A shorter secret is redacted only where it stands as a whole value,
 * i.e. not preceded or followed by a letter or digit that would make it part of a longer
 * word (`auth_pass pw`, `--password=pw`, `'pw'`), so a one-letter key does not turn
 * "key" into "[REDACTED]ey".
 */
export const MIN_EMBEDDED_SECRET_CHARS = 12;

const WORD_CHARACTER = /[\p{L}\p{N}\p{M}_]/u;
const NOT_AFTER_WORD = "(?<![\\p{L}\\p{N}\\p{M}_])";
const NOT_BEFORE_WORD = "(?![\\p{L}\\p{N}\\p{M}_])";

function secretPattern(secret: string): string {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  if (secret.length >= MIN_EMBEDDED_SECRET_CHARS) return escaped;
  const chars = Array.from(secret);
  // An edge that is itself punctuation already stands apart from its neighbour.
  const before = WORD_CHARACTER.test(chars[0]!) ? NOT_AFTER_WORD : "";
  const after = WORD_CHARACTER.test(chars[chars.length - 1]!) ? NOT_BEFORE_WORD : "";
  return `${before}${escaped}${after}`;
}

/**
 * Replace each secret in `text` with `[REDACTED]` (see MIN_EMBEDDED_SECRET_CHARS for where a
 * secret counts as present). Long secrets are cut out by plain search (a private key is
 * kilobytes: as a regular expression it would exceed what V8 compiles), longest first;
 * short ones by one pattern over what is left between them, so no secret is ever matched
 * inside a `[REDACTED]` or across one.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const ordered = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return text;
  const short = ordered.filter((s) => s.length < MIN_EMBEDDED_SECRET_CHARS);
  const shortPattern = short.length > 0 ? new RegExp(short.map(secretPattern).join("|"), "gu") : undefined;
  let pieces = [text];
  for (const secret of ordered.filter((s) => s.length >= MIN_EMBEDDED_SECRET_CHARS)) pieces = pieces.flatMap((piece) => piece.split(secret));
  return pieces.map((piece) => (shortPattern ? piece.replace(shortPattern, REDACTED) : piece)).join(REDACTED);
}
