// zod fields for values that land in keepalived.conf: names, program argv and script users.
// Each is restricted to what keepalived's grammar carries as inert data (configSyntax.ts):
// one token, no quote, brace, comment sign, `$` or control character, and short enough that
// no rendered line reaches keepalived's 1023-byte cut (keywords.ts). Where a value starts a
// line, it also cannot be one of the words keepalived acts on before reading the keyword.

import { z } from "zod";
import { MAX_VALUE_BYTES, RESERVED_LINE_STARTS } from "./keywords";

const NAME = /^[A-Za-z0-9_.:@-]+$/;
const ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** POSIX portable user/group names as useradd accepts them by default, without the trailing `$` of machine accounts. */
const ACCOUNT = /^[a-z_][a-z0-9_-]{0,31}$/;

/** An interface, script or router name: one keepalived token. */
export const configName = (what: string, max = 64) =>
  z
    .string({ error: (iss) => `must be a string (${what}) (got ${JSON.stringify(iss.input) ?? "nothing"})` })
    .max(max, { error: `is longer than ${max} characters; use a shorter ${what}` })
    .regex(NAME, { error: `may only hold letters, digits and _ . : @ - (${what}); keepalived.conf cannot carry spaces, quotes, braces or # here` })
    .refine((n) => !n.startsWith("@"), {
      error: `cannot begin with @ (${what}): keepalived reads a line starting with @ as a conditional line meant for another host; rename it`,
    });

/**
 * A name written at the start of a line of its own (a track_interface or track_script
 * entry), where `include weight 5` would be read as an include directive.
 */
export function startingALine<S extends z.ZodString>(name: S, what: string) {
  return name.refine((n) => !RESERVED_LINE_STARTS.has(n), {
    error: (iss) => `${JSON.stringify(iss.input)} cannot be the name of a ${what}: it is written at the start of a line, where keepalived reads it as a directive; use another name`,
  });
}

/**
 * keepalived replaces `$_NAME` in every line with its predefined parameters ($_INSTANCE is
 * the host name, $_HASH a comment sign), whatever keyword the line has. `${NAME}` needs a
 * brace, which no value can hold, and no other parameter exists: free-form lines cannot
 * define one.
 */
export const PREDEFINED_PARAMETER = "$_";
export const PREDEFINED_PARAMETER_REASON =
  "cannot contain $_ : keepalived replaces $_NAME with its own parameters ($_INSTANCE is the host name, $_HASH a comment sign), so each node would read another value";

/** A user or group name for a script; keepalived looks it up on each node. */
export const accountName = (what: "user" | "group") =>
  z
    .string({ error: `must be a ${what} name` })
    .regex(ACCOUNT, { error: `must be a ${what} name of 1..32 lowercase letters, digits, _ and -, starting with a letter or _ (as useradd accepts)` });

/** A command as argv; keepalived re-splits it on spaces, so arguments cannot contain any. */
export const commandArgv = z
  .array(
    z.string({ error: "must be a string" }).regex(ARG, {
      error: (iss) => `${JSON.stringify(iss.input)} cannot be passed through keepalived: arguments may only hold letters, digits and _ @ % + = : , . / - (no spaces or quotes); put complex commands in a script file and pass its path`,
    }),
    { error: "must be a list of arguments, e.g. [\"/usr/local/bin/check\", \"--port=80\"]" },
  )
  .min(1, { error: "needs at least the program path" })
  .refine((argv) => argv[0]?.startsWith("/") ?? false, { error: "must start with an absolute program path (keepalived runs scripts without a PATH search)" })
  .refine((argv) => Buffer.byteLength(argv.join(" ")) <= MAX_VALUE_BYTES, {
    error: (iss) =>
      `is ${Buffer.byteLength((iss.input as string[]).join(" "))} bytes as one keepalived line; keepalived 2.2.7 cuts lines at 1023 bytes and reads the rest as a line of its own: keep the command within ${MAX_VALUE_BYTES} bytes (put long commands in a script file)`,
  });

/** Text that is one value on a line (a URL path, a host name): bounded so that the line stays whole. */
export function boundedValue<S extends z.ZodString>(value: S, max = MAX_VALUE_BYTES) {
  return value.refine((v) => Buffer.byteLength(v) <= max, {
    error: (iss) => `is ${Buffer.byteLength(String(iss.input))} bytes long; at most ${max} fit on one keepalived.conf line (keepalived 2.2.7 cuts lines at 1023 bytes and reads the rest as a line of its own)`,
  });
}
