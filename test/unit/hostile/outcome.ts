// One hostile value in one input: what `check` makes of it, and, when it is accepted,
// whether it stays data. A refusal must name the property; one that names only another
// property is a conflict with that property (an IPv6 address in an IPv4 service refused at
// `family`): those properties are dropped and the value checked again, so every value is
// judged on its own. An accepted value is compared with a valid value of its own kind (an
// address of the same family) and with the input left out, so that a family change or a
// value normalised away (a /32 netmask) is not mistaken for injected structure.

import type * as pulumi from "@pulumi/pulumi";
import { canonicalAddress } from "../../../provider/resource/address";
import { isConnectionPath, valueAt, withValueAt, withoutPath, type StringInputCase } from "../../support/stringInputs";
import { inertnessProblems } from "./inertness";
import { renderingOf, type Rendering } from "./renderings";

export type Verdict = "refused" | "refused for a family conflict" | "inert" | "not inert" | "refused elsewhere" | "echoes a secret" | "check threw";

export interface Outcome {
  value: string;
  verdict: Verdict;
  why?: string;
  /** Properties dropped because the value conflicted with them. */
  dropped?: string[];
}

type Raw = Record<string, unknown>;

/** Inputs a check message may not echo: credentials and VRRP auth. */
export const isSecretPath = (path: string) => /(password|privateKey|Passphrase)$/i.test(path) || /(^|\.)auth\./.test(path);

/** The pair target's connections are reported under the user's name for it, keepalivedPair. */
const userSpelling = (property: string) => property.replace(/^keepalivedPair\./, "keepalived.");

/** Whether a failure at `property` is about `path` (the same input, one containing it, or one inside it). */
export function namesPath(property: string, path: string): boolean {
  const p = userSpelling(property);
  return p === path || path.startsWith(`${p}.`) || path.startsWith(`${p}[`) || p.startsWith(`${path}.`) || p.startsWith(`${path}[`);
}

/** Whether a reason shows the value: quoted as messages quote values, or, for a long one, anywhere. */
const echoes = (reason: string, value: string) => reason.includes(JSON.stringify(value)) || (value.length >= 12 && reason.includes(value));

/** Valid values to compare `value` with: the baseline's own, and for an address input an address of the value's family. */
function referencesFor(baseline: Raw, path: string, value: string): string[] {
  const own = valueAt(baseline, path) as string;
  const family = (a: string) => (canonicalAddress(a) === undefined ? undefined : a.includes(":") ? "ipv6" : "ipv4");
  const [mine, theirs] = [family(value), family(own)];
  if (theirs === undefined || mine === undefined || mine === theirs) return [own];
  return [mine === "ipv6" ? "fd77::189" : "10.77.0.189", own];
}

async function rendered(provider: pulumi.dynamic.ResourceProvider, c: StringInputCase, inputs: Raw): Promise<Rendering | undefined> {
  const result = await provider.check!({}, inputs);
  return result.failures?.length ? undefined : renderingOf(c, result.inputs!);
}

export async function hostileOutcome(provider: pulumi.dynamic.ResourceProvider, c: StringInputCase, baseline: Raw, path: string, value: string): Promise<Outcome> {
  let base = baseline;
  const dropped: string[] = [];
  for (let round = 0; ; round++) {
    let result: pulumi.dynamic.CheckResult;
    try {
      result = await provider.check!({}, withValueAt(base, path, value));
    } catch (e) {
      return { value, verdict: "check threw", why: `${(e as Error).name}: ${(e as Error).message.slice(0, 120)}` };
    }
    const failures = result.failures ?? [];
    if (failures.length > 0) {
      const mine = failures.filter((f) => namesPath(f.property, path));
      if (mine.length > 0) {
        const leak = isSecretPath(path) && value.trim().length >= 4 && failures.some((f) => echoes(f.reason, value));
        return leak ? { value, verdict: "echoes a secret", why: failures.map((f) => f.reason).join("; ") } : { value, verdict: "refused", ...(dropped.length ? { dropped } : {}) };
      }
      const others = failures.map((f) => userSpelling(f.property)).filter((p) => p !== "" && valueAt(base, p) !== undefined);
      if (round >= 2 || others.length !== failures.length) {
        const why = failures.map((f) => `${f.property}: ${f.reason.slice(0, 100)}`).join("; ");
        // An address of the other family than the rest of the inputs (VIPs, unicast peers,
        // the service) conflicts with more than can be dropped; other address inputs judge it.
        const requiredAgain = failures.every((f) => dropped.includes(userSpelling(f.property)));
        if (canonicalAddress(value) !== undefined && (/ipv4|ipv6|IPv4|IPv6/.test(why) || requiredAgain)) return { value, verdict: "refused for a family conflict", why, dropped };
        return { value, verdict: "refused elsewhere", why };
      }
      for (const p of others) base = withoutPath(base, p);
      dropped.push(...others);
      continue;
    }
    const candidates = [...referencesFor(base, path, value).map((r) => withValueAt(base, path, r)), withoutPath(base, path)];
    const problems: string[][] = [];
    for (const candidate of candidates) {
      const reference = await rendered(provider, c, candidate);
      if (!reference) continue;
      try {
        problems.push(inertnessProblems(reference, renderingOf(c, result.inputs!), result.inputs!, path, value, isConnectionPath(path)));
      } catch (e) {
        problems.push([`rendering threw ${(e as Error).name}: ${(e as Error).message.slice(0, 120)}`]);
      }
      if (problems[problems.length - 1]!.length === 0) return { value, verdict: "inert", ...(dropped.length ? { dropped } : {}) };
    }
    return { value, verdict: "not inert", why: (problems[0] ?? ["no valid reference to compare with"]).join("; ") };
  }
}
