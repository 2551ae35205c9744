// Issue 12, hostile-input test on the lab: the hostile strings `check` accepts for inputs
// that reach a host are applied for real (provider create, then delete, as the engine calls
// them), and after each step the canary file of the corpus must be absent on every lab host.
// The unit half (test/unit/hostile/) proves every string refused or inert on paper; this
// proves the hosts agree.
//
// Scope: dir2 and rs3 only (a KeepalivedPair is dir2 + rs3), VIPs 10.77.0.180-189, VRRP
// router id 80. Connection fields are left out (they reach no host: a hostile one only
// fails to connect). Per input, one accepted string per family; at most appliesFor(kind) per
// resource kind.

import type * as pulumi from "@pulumi/pulumi";
import { implementationOf } from "../../provider/registry";
import { canonicalAddress } from "../../provider/resource/address";
import { closeSshPool, exec } from "../../provider/ssh";
import { CANARY_PATH, HOSTILE_STRINGS, describeHostile } from "../support/hostileStrings";
import { labConnection } from "../support/lab";
import { isConnectionPath, stringInputCases, withValueAt, type StringInputCase } from "../support/stringInputs";

jest.setTimeout(60 * 60_000);

// Each apply is a create, a delete and canary checks on six hosts. Measured in a CI-like run:
// about 5 s for a plain director's resources and 10-20 s for a real server's, but 39 s for a
// KeepalivedPair and 17 s for a service or real server on one (keepalived reloads on two
// nodes). Two per kind, one per pair-backed kind: about three minutes in all (five per kind
// took two minutes more of CI's time; the unit suite checks every string against every input).
const PAIR_BACKED = new Set(["KeepalivedPair", "VirtualService on a KeepalivedPair", "RealServer on a KeepalivedPair"]);
const appliesFor = (kind: string) => (PAIR_BACKED.has(kind) ? 1 : 2);
const LAB_HOSTS = ["dir1", "dir2", "rs1", "rs2", "rs3", "client"] as const;
const CASES = stringInputCases({ director: labConnection("dir2"), peer: labConnection("rs3"), realServer: labConnection("rs3") });
const caseNamed = (name: string) => CASES.find((c) => c.name === name)!;

type Raw = Record<string, unknown>;
interface Apply {
  c: StringInputCase;
  path: string;
  family: string;
  value: string;
  inputs: Raw;
}

/** An address outside the hostile-input range is never applied (the lab's own addresses, loopback, multicast). */
const outsideOurRange = (value: string) => {
  const a = canonicalAddress(value);
  return a !== undefined && !/^10\.77\.0\.18\d$/.test(a);
};

/** Which lab hosts hold the canary file (must be none). The hosts are asked at once. */
async function canaryHolders(): Promise<string[]> {
  const held = await Promise.all(
    LAB_HOSTS.map(async (host) => {
      const r = await exec(labConnection(host), ["test", "-e", CANARY_PATH]);
      if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`test -e ${CANARY_PATH} on ${host} exited ${r.exitCode}: ${r.stderr}`);
      return r.exitCode === 0 ? [host] : [];
    }),
  );
  return held.flat();
}

/** The accepted strings of one case, one per family and input, skipping what must not reach the lab. */
async function acceptedOf(c: StringInputCase): Promise<Apply[]> {
  const provider = implementationOf(c.kind);
  const out: Apply[] = [];
  for (const { path, baseline } of c.paths) {
    if (isConnectionPath(path)) continue;
    const families = new Set<string>();
    for (const { family, value } of HOSTILE_STRINGS) {
      if (families.has(family) || outsideOurRange(value)) continue;
      const news = withValueAt(c.baselines[baseline]!, path, value);
      const result = await provider.check!({}, news);
      if (result.failures?.length) continue;
      families.add(family);
      out.push({ c, path, family, value, inputs: result.inputs as Raw });
    }
  }
  return out;
}

/** Round-robin over inputs: every input's first string, then every input's second, … */
function interleaved(applies: Apply[]): Apply[] {
  const byInput = new Map<string, Apply[]>();
  for (const a of applies) byInput.set(a.path, [...(byInput.get(a.path) ?? []), a]);
  const lists = [...byInput.values()];
  const out: Apply[] = [];
  for (let round = 0; out.length < applies.length; round++) for (const list of lists) if (list[round]) out.push(list[round]!);
  return out;
}

/** Each kind's first appliesFor(kind) strings, taken round-robin over its inputs. */
function withinBudget(applies: Apply[]): Apply[] {
  return CASES.flatMap((c) => interleaved(applies.filter((a) => a.c === c)).slice(0, appliesFor(c.name)));
}

const counts = { candidates: 0, applied: 0, created: 0, refusedByHost: 0, deleted: 0, canaryChecks: 0 };
/** Wall time per case, for the summary: where the lab's time goes. */
const msByCase = new Map<string, { applies: number; ms: number }>();
const failures: string[] = [];

/** create, canary check, delete, canary check. A create the host refuses is fine (and nothing is left to delete). */
async function applyOne(a: Apply): Promise<void> {
  const provider = implementationOf(a.c.kind) as Required<pulumi.dynamic.ResourceProvider>;
  const label = `${a.c.name} ${a.path}=${describeHostile(a.value)}`;
  const started = Date.now();
  counts.applied++;
  let created: pulumi.dynamic.CreateResult | undefined;
  try {
    created = await provider.create(a.inputs);
    counts.created++;
  } catch (e) {
    counts.refusedByHost++;
    // eslint-disable-next-line no-console
    console.log(`${label}: create refused by the host: ${(e as Error).message.split("\n")[0]}`);
  }
  counts.canaryChecks++;
  const afterCreate = await canaryHolders();
  if (afterCreate.length > 0) failures.push(`${label}: canary after create on ${afterCreate.join(", ")}`);
  if (created) {
    await provider.delete(created.id, created.outs);
    counts.deleted++;
    counts.canaryChecks++;
    const afterDelete = await canaryHolders();
    if (afterDelete.length > 0) failures.push(`${label}: canary after delete on ${afterDelete.join(", ")}`);
  }
  const spent = msByCase.get(a.c.name) ?? { applies: 0, ms: 0 };
  msByCase.set(a.c.name, { applies: spent.applies + 1, ms: spent.ms + Date.now() - started });
}

/** A parent a case's resources need (the pair, a service): created before, deleted after. */
async function withParent<T>(c: StringInputCase, inputs: Raw, body: () => Promise<T>): Promise<T> {
  const provider = implementationOf(c.kind) as Required<pulumi.dynamic.ResourceProvider>;
  const checked = await provider.check({}, inputs);
  if (checked.failures?.length) throw new Error(`the ${c.name} parent is refused: ${JSON.stringify(checked.failures)}`);
  const parent = await provider.create(checked.inputs);
  try {
    return await body();
  } finally {
    await provider.delete(parent.id, parent.outs);
  }
}

let plan: Apply[] = [];

beforeAll(async () => {
  expect(await canaryHolders()).toEqual([]);
  const all: Apply[] = [];
  for (const c of CASES) all.push(...(await acceptedOf(c)));
  counts.candidates = all.length;
  plan = withinBudget(all);
});

afterAll(async () => {
  // eslint-disable-next-line no-console
  console.log(
    `hostile inputs on the lab: ${counts.candidates} accepted (input, family) candidates, ${plan.length} planned (at most 2 per kind, 1 per pair-backed kind); ` +
      `applied ${counts.applied}: created ${counts.created}, refused by the host ${counts.refusedByHost}, deleted ${counts.deleted}; ` +
      `${counts.canaryChecks} canary checks × ${LAB_HOSTS.length} hosts, canary found ${failures.length} times; ` +
      `time per case: ${[...msByCase].map(([name, t]) => `${name} ${t.applies} in ${(t.ms / 1000).toFixed(0)} s`).join(", ")}`,
  );
  await closeSshPool();
});

const planFor = (name: string) => plan.filter((a) => a.c.name === name);
async function applyAll(applies: Apply[]): Promise<void> {
  for (const a of applies) await applyOne(a);
  expect(failures).toEqual([]);
}

describe("hostile strings applied on the lab leave no canary", () => {
  it.each(["Director", "VirtualService on a plain director", "RealServerArpConfig", "RealServerReturnRoute", "KeepalivedPair"])("%s", async (name) => {
    await applyAll(planFor(name));
  });

  it("RealServer on a plain director (under its VirtualService)", async () => {
    const rs = caseNamed("RealServer on a plain director");
    const service = rs.baselines[0]!["service"] as Raw;
    await withParent(caseNamed("VirtualService on a plain director"), { connection: labConnection("dir2"), ...service }, () => applyAll(planFor(rs.name)));
  });

  it("VirtualService and RealServer on a KeepalivedPair (dir2 + rs3)", async () => {
    const pair = caseNamed("KeepalivedPair");
    const service = caseNamed("VirtualService on a KeepalivedPair");
    await withParent(pair, pair.baselines[0]!, async () => {
      await applyAll(planFor(service.name));
      await withParent(service, service.baselines[0]!, () => applyAll(planFor("RealServer on a KeepalivedPair")));
    });
  });
});
