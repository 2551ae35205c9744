// Issue 12, hostile-input test: every hostile string of the corpus, in every string input of
// every resource kind, through the provider's own `check` (registry.implementationOf).
// Each must be refused naming the property (without echoing a secret), or be accepted and
// stay inert: what the providers would send and write for it (rendered here without SSH)
// differs from a valid value's rendering only in text that holds the value, and reads back
// as written. The lab half (test/integration/hostile-input.test.ts) applies them for real.

import { utils as ssh2Utils } from "ssh2";
import { implementationOf } from "../../../provider/registry";
import { HOSTILE_STRINGS, describeHostile } from "../../support/hostileStrings";
import { hostileOutcome, type Outcome, type Verdict } from "./outcome";
import { isConnectionPath, pathPatternsOf, schemaPatternsOf, stringInputCases, type StringInputCase } from "../../support/stringInputs";
import { KNOWN_NOT_INERT, isKnown } from "./knownFindings";

// An OpenSSH-format key, as users pass it (generated: no key material in the repository).
const privateKey = ssh2Utils.generateKeyPairSync("ed25519").private;
const FINGERPRINT = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

/** A connection with every string field set (a jump host included), so each one is a path. */
function fullConnection(host: string) {
  const hop = {
    host, user: "lab", privateKey, privateKeyPassphrase: "not-needed", password: "lab-password", agentSocket: "/run/user/1000/ssh-agent.sock",
    hostKey: FINGERPRINT, knownHostsFile: "/home/lab/.ssh/known_hosts", hostKeyPolicy: "strict", acceptedHostKey: FINGERPRINT,
  };
  return { ...hop, port: 2202, proxy: { ...hop, host: "127.0.0.1", port: 2200 } };
}

const CASES = stringInputCases({ director: fullConnection("10.77.0.12"), peer: fullConnection("10.77.0.23"), realServer: fullConnection("10.77.0.23") });

/**
 * A connection is checked by one schema whatever the resource, reached by one of four routes
 * (a resource's `connection`; a service's director; a pair's node; a service's pair node).
 * Each route gets the whole corpus once; its other uses, running the same code, one string
 * per family. This keeps the run within a unit test's time; every other input gets it all.
 */
const FULL_CONNECTION_ROUTES = new Set(["Director", "VirtualService on a plain director", "KeepalivedPair", "VirtualService on a KeepalivedPair"]);
const ONE_PER_FAMILY = HOSTILE_STRINGS.filter((h, i) => HOSTILE_STRINGS.findIndex((o) => o.family === h.family) === i).map((h) => h.value);
const corpusFor = (c: StringInputCase, path: string) =>
  isConnectionPath(path) && (!FULL_CONNECTION_ROUTES.has(c.name) || path.includes("nodes[1]")) ? ONE_PER_FAMILY : HOSTILE_STRINGS.map((h) => h.value);

const ACCEPTABLE: readonly Verdict[] = ["refused", "refused for a family conflict", "inert"];
const totals = new Map<string, { inputs: number; checks: number; refused: number; inert: number; notInert: number }>();

async function outcomes(c: StringInputCase, path: string, baseline: number, values: readonly string[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const value of values) out.push(await hostileOutcome(implementationOf(c.kind), c, c.baselines[baseline]!, path, value));
  return out;
}

describe.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
  it("has valid baselines", async () => {
    for (const baseline of c.baselines) expect((await implementationOf(c.kind).check!({}, baseline)).failures ?? []).toEqual([]);
  });

  it("lists every string input its schemas take", () => {
    const schema = schemaPatternsOf(c).filter((p) => !c.notApplicable.patterns(p));
    const listed = pathPatternsOf(c);
    expect({ missingFromBaselines: schema.filter((p) => !listed.includes(p)), notInSchema: listed.filter((p) => !schema.includes(p)) }).toEqual({ missingFromBaselines: [], notInSchema: [] });
  });

  it.each(c.paths.map((p) => [p.path, p.baseline] as const))("%s: every hostile string is refused there or stays data", async (path, baseline) => {
    const values = corpusFor(c, path).filter((v) => !isKnown(c, path, v));
    const results = await outcomes(c, path, baseline, values);
    const t = totals.get(c.name) ?? { inputs: 0, checks: 0, refused: 0, inert: 0, notInert: 0 };
    t.inputs++;
    t.checks += results.length;
    t.refused += results.filter((r) => r.verdict.startsWith("refused") && r.verdict !== "refused elsewhere").length;
    t.inert += results.filter((r) => r.verdict === "inert").length;
    t.notInert += results.filter((r) => r.verdict === "not inert").length;
    totals.set(c.name, t);
    const wrong = results.filter((r) => !ACCEPTABLE.includes(r.verdict)).map((r) => ({ value: describeHostile(r.value), verdict: r.verdict, why: r.why }));
    expect(wrong).toEqual([]);
  });

  for (const known of KNOWN_NOT_INERT.filter((k) => k.cases.includes(c.name)))
    for (const { path, baseline } of c.paths.filter((p) => known.pattern.test(p.path)))
      it.failing(`known finding, left to its owners: ${path} ${known.what}`, async () => {
        const results = await outcomes(c, path, baseline, known.values);
        expect(results.filter((r) => !ACCEPTABLE.includes(r.verdict)).map((r) => r.verdict)).toEqual([]);
      });
});

afterAll(() => {
  const all = [...totals.values()].reduce((a, t) => ({ inputs: a.inputs + t.inputs, checks: a.checks + t.checks, refused: a.refused + t.refused, inert: a.inert + t.inert, notInert: a.notInert + t.notInert }), { inputs: 0, checks: 0, refused: 0, inert: 0, notInert: 0 });
  const rows = [...totals.entries()].map(([name, t]) => `  ${name}: ${t.inputs} inputs, ${t.checks} checks; refused ${t.refused}, accepted-inert ${t.inert}, accepted-not-inert ${t.notInert}`);
  // eslint-disable-next-line no-console
  console.log(
    `hostile inputs: corpus of ${HOSTILE_STRINGS.length} strings, ${all.inputs} string inputs, ${all.checks} checks: refused ${all.refused}, accepted-inert ${all.inert}, accepted-not-inert ${all.notInert} (plus the known findings: ${KNOWN_NOT_INERT.length})\n${rows.join("\n")}`,
  );
});
