// ipvsadm's value syntax (addresses, ports, marks, schedulers, flags), shared by the
// rules-file parser (parse.ts) and the listing parser (listing.ts), and the error both
// raise. Kept apart so that neither parser depends on the other.

import { isIPv4 } from "net";
import { LvsError } from "../ssh/errors";
import {
  ALL_SCHEDULERS,
  SCHEDULER_FLAGS,
  canonicalAddressFast,
  type AddressFamily,
  type Scheduler,
  type SchedulerFlag,
} from "./model";

/** ipvsadm output that does not have the shape ipvsadm 1.31 prints. */
export class IpvsParseError extends LvsError {
  /** 1-based. */
  readonly lineNumber: number;
  readonly line: string;

  constructor(reason: string, lineNumber: number, line: string) {
    super(`cannot parse ipvsadm output at line ${lineNumber} (${JSON.stringify(line)}): ${reason}`);
    this.lineNumber = lineNumber;
    this.line = line;
  }
}

/** Calls `fail` with a reason; the caller has already bound the line number and text. */
export type Fail = (reason: string) => never;

export function failerFor(lineNumber: number, line: string): Fail {
  return (reason) => {
    throw new IpvsParseError(reason, lineNumber, line);
  };
}

// The patterns that run per line or per value are compiled once, here: a regex literal in a
// function body is a new RegExp object at every call, and a table has thousands of lines.
/** One character \s matches, for the rare characters outside ASCII. */
const WHITESPACE_CHAR = /^\s$/;
const INTEGER = /^-?\d+$/;
const BRACKETED_HOST_PORT = /^\[([^\]]+)\](?::(\d+))?$/;
const PLAIN_HOST_PORT = /^([^:[\]]+)(?::(\d+))?$/;

/** Whether the character at `i` is one that \s matches. */
function isSpaceAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return WHITESPACE_CHAR.test(text[i]!);
}

/**
 * The words of a line that has been trimmed (and is not empty): what `split(/\s+/)` gives,
 * read character by character. A table's read splits 20,000 lines, and the regex split
 * cost more than the rest of reading a line's tokens (bench/parse-plan.js).
 */
export function wordsOf(trimmedLine: string): string[] {
  const words: string[] = [];
  let start = 0;
  let inWord = false;
  for (let i = 0; i < trimmedLine.length; i++) {
    const space = isSpaceAt(trimmedLine, i);
    if (space && inWord) words.push(trimmedLine.slice(start, i));
    else if (!space && !inWord) start = i;
    inWord = !space;
  }
  if (inWord) words.push(trimmedLine.slice(start));
  return words;
}

/** A text's lines without their line ends; the line at index i is line number i + 1. */
export function linesOf(text: string): string[] {
  return text.split(/\r?\n/);
}

export function parseInteger(text: string | undefined, min: number, max: number, what: string, fail: Fail): number {
  if (text === undefined || !INTEGER.test(text)) return fail(`${what} is missing or not a number`);
  const n = Number(text);
  if (n < min || n > max) return fail(`${what} ${n} is outside ${min}..${max}`);
  return n;
}

/**
 * `10.0.0.1:80`, `[fd00::1]:80`, or a bare address (the port is then `defaultPort`).
 * Only bracketed names go through BRACKETED_HOST_PORT: nearly every name of a table is a
 * plain one, and a second regex per name showed in the profile of a 10,000-row read.
 */
export function parseHostPort(text: string, defaultPort: number, fail: Fail): { address: string; port: number } {
  const m = text.startsWith("[") ? BRACKETED_HOST_PORT.exec(text) : PLAIN_HOST_PORT.exec(text);
  const address = m ? canonicalAddressFast(m[1]!) : undefined;
  if (!m || address === undefined) return fail(`${JSON.stringify(text)} is not an address[:port]`);
  return { address, port: m[2] === undefined ? defaultPort : parseInteger(m[2], 0, 65535, "port", fail) };
}

/** -f values: ipvsadm -S prints marks with %d, so marks above INT_MAX come back negative. */
export function parseFwmark(text: string | undefined, fail: Fail): number {
  const n = parseInteger(text, -2_147_483_648, 4_294_967_295, "fwmark", fail);
  return n < 0 ? n + 4_294_967_296 : n;
}

export function parseScheduler(text: string | undefined, fail: Fail): Scheduler {
  if (!ALL_SCHEDULERS.includes(text as Scheduler)) return fail(`unknown scheduler ${JSON.stringify(text)}`);
  return text as Scheduler;
}

/**
 * Scheduler flags as ipvsadm prints them: named after sh/mh for those schedulers, `flag-N`
 * for the others. Bits on other schedulers (and bit 3 anywhere) are inert in the kernel,
 * and ipvsadm prints bit 3 on sh/mh as nothing at all (`-b ` / `()`), so they are dropped.
 */
export function parseSchedulerFlags(text: string, scheduler: Scheduler, fail: Fail): SchedulerFlag[] {
  const flags = new Set<SchedulerFlag>();
  for (const name of text.split(",").filter((n) => n !== "")) {
    const bit = /^flag-(\d)$/.exec(name)?.[1];
    if (SCHEDULER_FLAGS.includes(name as SchedulerFlag) && name.startsWith(`${scheduler}-`)) {
      flags.add(name as SchedulerFlag);
    } else if (bit !== undefined && (scheduler === "sh" || scheduler === "mh")) {
      if (bit === "1") flags.add(`${scheduler}-fallback`);
      if (bit === "2") flags.add(`${scheduler}-port`);
    } else if (bit === undefined) {
      fail(`scheduler flag ${JSON.stringify(name)} does not exist for scheduler ${scheduler}`);
    }
  }
  return [...flags].sort();
}

/** -M and `mask` values: a dotted mask for IPv4 services, a prefix length for IPv6 ones. */
export function parseNetmask(text: string | undefined, family: AddressFamily, fail: Fail): string {
  if (family === "ipv6") return String(parseInteger(text, 1, 128, "IPv6 netmask (prefix length)", fail));
  if (text === undefined || !isIPv4(text)) return fail(`IPv4 netmask ${JSON.stringify(text)} is not dotted`);
  return text;
}
