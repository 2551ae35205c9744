// The one place where argv becomes a shell command line.
//
// SSH "exec" sends a single string that the remote user's login shell parses, so argv has
// to be quoted. Everything goes through `quoteShellArg`; nothing else in the package
// builds command strings, and never by interpolation.

import { UnsafeArgumentError } from "./errors";

// Characters no POSIX shell treats specially in any position (a leading "-" is the
// command's business, not the shell's). Anything else gets single quotes.
const SAFE_BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quote one argument for a POSIX shell, single-quote style: `it's` → `'it'\''s'`.
 * Single quotes make every byte literal except `'` itself, which is closed, escaped and
 * reopened. The empty string becomes `''` so it survives as an argument.
 * Throws UnsafeArgumentError for NUL: C strings (argv, the exec request) end at it, so
 * the remote side would silently receive a shorter argument.
 */
export function quoteShellArg(arg: string, index = 0): string {
  if (arg.includes("\0")) throw new UnsafeArgumentError({ index, reason: "contains a NUL byte" });
  if (arg === "") return "''";
  if (SAFE_BARE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Render argv as one command line; the remote shell splits it back into exactly `argv`. */
export function renderCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new UnsafeArgumentError({ index: 0, reason: "is missing", hint: "argv must name at least the program to run." });
  }
  return argv.map((arg, i) => quoteShellArg(arg, i)).join(" ");
}
