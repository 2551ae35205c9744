// zod building blocks for resource inputs whose messages read as Pulumi check failures
// ("must be an integer 0..65535 (got -1); set weight between 0 and 65535"). Every message
// that shows the value received goes through `received`, which shows nothing of a secret.

import { z } from "zod";
import { canonicalAddress } from "./address";
import { isSecretPath } from "./secretFields";

/** Records one problem at a property path (relative to the object being refined). */
export type Issue = (path: PropertyKey[], message: string) => void;

/** What a zod error callback sees of the issue it describes. */
interface RawIssue {
  input?: unknown;
  path?: PropertyKey[];
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  return typeof value === "string" || typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** ` (got -1)`, or nothing at all when the property is a secret. */
export function received(iss: RawIssue): string {
  return isSecretPath(iss.path ?? []) ? "" : ` (got ${show(iss.input)})`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The name `word` is most likely a typo of, if any is close enough (a third of its letters). */
export function closestName(word: string, names: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function didYouMean(word: unknown, names: readonly string[]): string {
  const name = typeof word === "string" ? closestName(word, names) : undefined;
  return name === undefined ? "" : ` (did you mean "${name}"?)`;
}

function unknownPropertyReason(key: string, names: readonly string[]): string {
  const hint = didYouMean(key, names);
  return hint === "" ? `unknown property; remove it (known: ${names.join(", ")})` : `unknown property${hint}; rename or remove it`;
}

/** A type error that says "is required: <what>" when the value is missing, "must be <what>" otherwise. */
export function expects(what: string) {
  return { error: (iss: RawIssue) => (iss.input === undefined ? `is required: ${what}` : `must be ${what}`) };
}

/**
 * An object that rejects unknown properties, each with a "did you mean". zod reports all
 * unknown keys of an object as one issue, so the message has one line per key, in order;
 * formatCheckFailures splits it back. `expected` ("an object: { address, interface }")
 * replaces the plain "an object" in the messages for a missing or non-object value.
 */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T, expected?: string) {
  const names = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? iss.keys.map((k) => unknownPropertyReason(k, names)).join("\n")
        : expected !== undefined
          ? expects(expected).error(iss)
          : iss.input === undefined
            ? "is required"
            : `must be an object${received(iss)}`,
  });
}

/** One of a fixed list of strings, e.g. `unknown scheduler "rrr" (did you mean "rr"?); use one of rr, wrr, …`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) =>
      isSecretPath(iss.path ?? [])
        ? `unknown ${what}; use one of ${values.join(", ")}`
        : `unknown ${what} ${show(iss.input)}${didYouMean(iss.input, values)}; use one of ${values.join(", ")}`,
  });
}

/** An integer in min..max; `shownRange` replaces the range in the message when 0 is special. */
export function integerBetween(min: number, max: number, whatToDo: string, shownRange = `${min}..${max}`) {
  const error = (iss: RawIssue) => `must be an integer ${shownRange}${received(iss)}; ${whatToDo}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** An IPv4 or IPv6 address (no zone id, no leading zeros); canonicalised by the schemas' transforms. */
export const ipAddress = z
  .string({ error: (iss) => `must be an IPv4 or IPv6 address${received(iss)}` })
  .refine((v) => canonicalAddress(v) !== undefined, {
    error: (iss) => (isSecretPath(iss.path ?? []) ? "is not an IPv4 or IPv6 address" : `${show(iss.input)} is not an IPv4 or IPv6 address`) + "; write it like 10.0.0.1 or fd00::1",
  });
