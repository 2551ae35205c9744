// zod building blocks for resource inputs whose messages read as Pulumi check failures
// ("must be an integer 0..65535 (got -1); set weight between 0 and 65535"), and the
// conversion of zod issues into the `{ property, reason }[]` a dynamic provider's `check`
// returns. Nothing here is IPVS-specific beyond the IP address field.

import { z } from "zod";
import { propertyPath, type CheckFailure } from "../resource/check";
import { canonicalAddress } from "./model";


/** Records one problem at a property path (relative to the object being refined). */
export type Issue = (path: PropertyKey[], message: string) => void;

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  return typeof value === "string" || typeof value === "object" ? JSON.stringify(value) : String(value);
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

/**
 * An object that rejects unknown properties, each with a "did you mean". zod reports all
 * unknown keys of an object as one issue, so the message has one line per key, in order;
 * formatCheckFailures splits it back.
 */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const names = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? iss.keys.map((k) => unknownPropertyReason(k, names)).join("\n")
        : iss.input === undefined
          ? "is required"
          : `must be an object (got ${show(iss.input)})`,
  });
}

/** One of a fixed list of strings, e.g. `unknown scheduler "rrr" (did you mean "rr"?); use one of rr, wrr, …`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, { error: (iss) => `unknown ${what} ${show(iss.input)}${didYouMean(iss.input, values)}; use one of ${values.join(", ")}` });
}

/** An integer in min..max; `shownRange` replaces the range in the message when 0 is special. */
export function integerBetween(min: number, max: number, whatToDo: string, shownRange = `${min}..${max}`) {
  const error = (iss: { input?: unknown }) => `must be an integer ${shownRange} (got ${show(iss.input)}); ${whatToDo}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** An IPv4 or IPv6 address (no zone id, no leading zeros); canonicalised by the schemas' transforms. */
export const ipAddress = z
  .string({ error: (iss) => `must be an IPv4 or IPv6 address (got ${show(iss.input)})` })
  .refine((v) => canonicalAddress(v) !== undefined, {
    error: (iss) => `${show(iss.input)} is not an IPv4 or IPv6 address; write it like 10.0.0.1 or fd00::1`,
  });

/** zod issues as Pulumi check failures, one per problem (one per unknown property). */
export function formatCheckFailures(issues: readonly z.core.$ZodIssue[]): CheckFailure[] {
  return issues.flatMap((i) => {
    if (i.code !== "unrecognized_keys") return [{ property: propertyPath(i.path), reason: i.message }];
    const reasons = i.message.split("\n");
    return i.keys.map((key, n) => ({ property: propertyPath([...i.path, key]), reason: reasons[n] ?? i.message }));
  });
}
