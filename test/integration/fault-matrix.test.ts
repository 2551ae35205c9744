// The fault-injection matrix (issue 12): every resource kind × create / update / delete ×
// every remote step, cut there for real, then run again as the next `pulumi up` runs it.
//   - kill: the provider process gets SIGKILL (a killed `pulumi up`: the engine's provider
//     process is a process like this one, running the package's built registry);
//   - drop: every sshd session on the host the step went to is SIGKILLed (a dropped VPN).
// The cut step is announced by a preloaded hook as the command is sent
// (test/support/faults/stepHook.js); nothing is faked: the command reaches the real host
// and the cut lands wherever it lands. The re-run is what the engine does next: a create
// that never answered is created again, an update or delete is sent again with the state
// the engine kept (test/integration/engine-interrupt.test.ts shows the real engine
// getting there, with `pulumi cancel` and its pending operations).
//
// Then every matrix host must read exactly as after a clean apply of the same stage: no
// orphan record, file, unit, VIP or IPVS entry ("extra" lines), nothing lost ("missing").
// VIPs 10.77.0.170 (plain director dir1) and .171 (pair dir1+dir2, VRID 71); rs1, rs2, rs3.

import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { closeSshPool } from "../../provider/ssh";
import { saveIpvsTable } from "../../provider/ipvs/executor";
import { realServerArpConfigProvider } from "../../provider/arp";
import { directorProvider } from "../../provider/director";
import { keepalivedPairProvider } from "../../provider/keepalived/pairProvider";
import { realServerReturnRouteProvider } from "../../provider/nat/returnRouteProvider";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { REPO_ROOT } from "../support/engine/pulumiCli";
import { ProviderCallCutter, type Fault } from "../support/faults/cutProviderCall";
import { hostState, stateDifferences } from "../support/faults/hostState";
import { labConnection, labHost } from "../support/lab";
import { checked, up, type Deployed, type ProviderUnderTest } from "../support/providerSteps";

const VIP = "10.77.0.170";
const PAIR_VIP = "10.77.0.171";
const REPORT = process.env.LVS_FAULT_REPORT ?? join(REPO_ROOT, ".pulumi-state", "fault-matrix.json");
const FAULTS: Fault[] = (process.env.LVS_FAULTS ?? "drop,kill").split(",") as Fault[];
/**
 * Which remote steps are cut, with which fault. `all` (LVS_FAULT_STEPS=all, `npm run
 * test:faults`, and `npm run bench`) cuts every step of every operation with every fault:
 * 160 cuts, close to an hour on the lab's emulated VMs, which `npm test` cannot hold next to
 * the rest of the suite in CI's time. By default each kind with a `ciCut` (six of the eight)
 * is cut once, in the operation and with the fault it names, at that operation's middle step
 * (the one that changes the host, for the one-, two- and three-step operations): every
 * operation meets both faults across the kinds. The other operations of the round still run,
 * uncut, so that each cut starts from the stage it would in a real stack.
 */
const ALL_STEPS = process.env.LVS_FAULT_STEPS === "all";
type Op = "create" | "update" | "delete";
type Round = Partial<Record<Op, { fault: Fault; step: number }>>;
function roundsOf(kind: MatrixKind, steps: Record<Op, number>): Round[] {
  const ops: Op[] = ["create", "update", "delete"];
  if (!ALL_STEPS) {
    if (!kind.ciCut) return [];
    const { op, fault } = kind.ciCut;
    return [{ [op]: { fault: FAULTS.includes(fault) ? fault : FAULTS[0]!, step: Math.floor(steps[op] / 2) + 1 } }];
  }
  const rounds: Round[] = [];
  for (const fault of FAULTS) {
    for (let n = 1; n <= Math.max(...ops.map((op) => steps[op])); n++) {
      const round: Round = {};
      for (const op of ops) if (n <= steps[op]) round[op] = { fault, step: n };
      rounds.push(round);
    }
  }
  return rounds;
}
const front = (h: string) => labHost(h).interfaces.front.ipv4;

interface Prerequisite {
  provider: ProviderUnderTest;
  raw: (deployed: Deployed[]) => Record<string, unknown>;
}

interface MatrixKind {
  kind: string;
  /** The resource kind as the registry names it. */
  registryKind: string;
  /** The lab hosts it changes: the ones whose state is compared. */
  hosts: string[];
  provider: ProviderUnderTest;
  /** What it stands on, deployed first in this order (each sees those before it). */
  prerequisites: Prerequisite[];
  /** Variant a (created), and b (an in-place update of a). */
  a: (deployed: Deployed[]) => Record<string, unknown>;
  b: (deployed: Deployed[]) => Record<string, unknown>;
  /**
   * The one cut `npm test` makes (see roundsOf). None for the two VirtualService kinds: their
   * remote steps are the RealServer kinds' (the same table write, the same keepalived
   * apply), and CI's time is short; `npm run test:faults` cuts them.
   */
  ciCut?: { op: Op; fault: Fault };
}

const director = (over: Record<string, unknown> = {}) => ({ connection: labConnection("dir1"), mode: "dr", interfaces: ["eth1"], vip: { address: VIP, interface: "eth1" }, ...over });
const service = (over: Record<string, unknown> = {}) => ({ connection: labConnection("dir1"), protocol: "tcp", address: VIP, port: 80, scheduler: "rr", ...over });
const pair = (priority: number) => ({
  nodes: [
    { connection: labConnection("dir1"), priority },
    { connection: labConnection("dir2"), priority: 100 },
  ],
  interface: "eth1",
  virtualRouterId: 71,
  advertInt: 1,
  vips: [PAIR_VIP],
  auth: { password: "fmvrrp7" },
});
const target = (deployed: Deployed[]) => deployed[0]!.state["target"];
const pairService = (deployed: Deployed[], over: Record<string, unknown> = {}) => ({ keepalived: target(deployed), protocol: "tcp", address: PAIR_VIP, port: 80, scheduler: "rr", delayLoop: 5, ...over });
const pairRealServer = (deployed: Deployed[], weight: number) => ({
  keepalived: target(deployed),
  service: { protocol: "tcp", address: PAIR_VIP, port: 80 },
  address: front("rs3"),
  port: 80,
  forwarding: "dr",
  weight,
});

const KINDS: MatrixKind[] = [
  { kind: "Director", registryKind: "Director", hosts: ["dir1"], provider: directorProvider, prerequisites: [], a: () => director(), b: () => director({ interfaces: ["eth1", "eth2"] }), ciCut: { op: "create", fault: "drop" } },
  {
    kind: "VirtualService",
    registryKind: "VirtualService",
    hosts: ["dir1"],
    provider: virtualServiceProvider,
    prerequisites: [{ provider: directorProvider, raw: () => director() }],
    a: () => service(),
    b: () => service({ scheduler: "wrr" }),
  },
  {
    kind: "RealServer",
    registryKind: "RealServer",
    hosts: ["dir1"],
    provider: realServerProvider,
    prerequisites: [
      { provider: directorProvider, raw: () => director() },
      { provider: virtualServiceProvider, raw: () => service() },
    ],
    a: () => ({ connection: labConnection("dir1"), service: { protocol: "tcp", address: VIP, port: 80 }, address: front("rs1"), port: 80, forwarding: "dr", weight: 1 }),
    b: () => ({ connection: labConnection("dir1"), service: { protocol: "tcp", address: VIP, port: 80 }, address: front("rs1"), port: 80, forwarding: "dr", weight: 3 }),
    ciCut: { op: "update", fault: "kill" },
  },
  {
    kind: "RealServerArpConfig",
    registryKind: "RealServerArpConfig",
    hosts: ["rs1"],
    provider: realServerArpConfigProvider,
    prerequisites: [],
    a: () => ({ connection: labConnection("rs1"), vips: [VIP], mode: "dr", interfaces: ["eth1"], persist: true, recordOwner: "fault-matrix/cut/fm-arp" }),
    b: () => ({ connection: labConnection("rs1"), vips: [VIP], mode: "dr", interfaces: ["eth1"], persist: false, recordOwner: "fault-matrix/cut/fm-arp" }),
    ciCut: { op: "delete", fault: "kill" },
  },
  {
    kind: "RealServerReturnRoute",
    registryKind: "RealServerReturnRoute",
    hosts: ["rs2"],
    provider: realServerReturnRouteProvider,
    prerequisites: [],
    a: () => ({ connection: labConnection("rs2"), sourceAddress: front("rs2"), gateway: front("dir1"), table: 171 }),
    // The gateway: what an update changes in place (the table, source and priority replace).
    b: () => ({ connection: labConnection("rs2"), sourceAddress: front("rs2"), gateway: front("dir2"), table: 171 }),
    ciCut: { op: "create", fault: "kill" },
  },
  { kind: "KeepalivedPair", registryKind: "KeepalivedPair", hosts: ["dir1", "dir2"], provider: keepalivedPairProvider, prerequisites: [], a: () => pair(150), b: () => pair(140), ciCut: { op: "update", fault: "drop" } },
  {
    kind: "VirtualService on a pair",
    registryKind: "VirtualService",
    hosts: ["dir1", "dir2"],
    provider: virtualServiceProvider,
    prerequisites: [{ provider: keepalivedPairProvider, raw: () => pair(150) }],
    a: (d) => pairService(d),
    b: (d) => pairService(d, { scheduler: "wrr", delayLoop: 6 }),
  },
  {
    kind: "RealServer on a pair",
    registryKind: "RealServer",
    hosts: ["dir1", "dir2"],
    provider: realServerProvider,
    prerequisites: [
      { provider: keepalivedPairProvider, raw: () => pair(150) },
      { provider: virtualServiceProvider, raw: (d) => pairService(d) },
    ],
    a: (d) => pairRealServer(d, 1),
    b: (d) => pairRealServer(d, 2),
    ciCut: { op: "delete", fault: "drop" },
  },
];

interface CaseResult {
  kind: string;
  op: "create" | "update" | "delete";
  fault: Fault;
  step: number;
  host: string;
  /** What the cut call did: never answered (killed), failed, or survived the fault. */
  cutCall: "killed" | "failed" | "survived";
  /** Calls the re-run needed (1: the first re-run converged). */
  reruns: number;
  converged: boolean;
  orphans: number;
  lost: number;
  /** Wall time of the case: the cut call, the re-runs and the comparison. */
  ms: number;
  detail?: string;
}

const results: CaseResult[] = [];

/** The result of a call that answered ok. */
function resultOf(out: { answer: { ok: true; result: any } | { ok: false; error: string } | undefined }): any {
  if (!out.answer?.ok) throw new Error("the call did not answer ok");
  return out.answer.result;
}

function countDifferences(diff: ReturnType<typeof stateDifferences>): { orphans: number; lost: number } {
  const all = Object.values(diff);
  return { orphans: all.reduce((n, d) => n + d.extra.length, 0), lost: all.reduce((n, d) => n + d.missing.length, 0) };
}

function writeReport(): void {
  mkdirSync(join(REPORT, ".."), { recursive: true });
  writeFileSync(REPORT, `${JSON.stringify(results, null, 2)}\n`);
}

afterAll(async () => {
  await closeSshPool();
  writeReport();
  const sum = (f: (r: CaseResult) => number) => results.reduce((n, r) => n + f(r), 0);
  console.log(
    `fault matrix: ${results.length} faults injected (${results.filter((r) => r.fault === "drop").length} dropped connections, ` +
      `${results.filter((r) => r.fault === "kill").length} killed provider processes; ${results.filter((r) => r.cutCall === "survived").length} calls survived their fault), ` +
      `${results.filter((r) => r.converged).length} re-runs converged, ${sum((r) => r.lost)} entries lost, ${sum((r) => r.orphans)} orphans left; report: ${REPORT}`,
  );
});

/** A subset of the kinds (LVS_FAULT_KINDS=VirtualService,RealServer), e.g. to cut every step of the ones a change touched. */
const ONLY_KINDS = process.env.LVS_FAULT_KINDS?.split(",");
const kindsRun = ONLY_KINDS ? KINDS.filter((k) => ONLY_KINDS.includes(k.kind)) : ALL_STEPS ? KINDS : KINDS.filter((k) => k.ciCut);

it("npm test's single cuts still meet every operation with both faults", () => {
  const combos = new Set(KINDS.filter((k) => k.ciCut).map((k) => `${k.ciCut!.op} ${k.ciCut!.fault}`));
  expect([...combos].sort()).toEqual(["create drop", "create kill", "delete drop", "delete kill", "update drop", "update kill"]);
});

/**
 * Kinds that change disjoint hosts are cut at the same time, each lane with its own provider
 * processes: a killed process or dropped sshd sessions reach only their own lane's hosts, and
 * each kind compares only its own hosts. Within a lane, kinds run one after the other. (The
 * lab's VMs are emulated, so three lanes on three hosts take little longer than the longest.)
 */
const LANES: string[][] = [
  ["Director", "VirtualService", "RealServer", "KeepalivedPair", "VirtualService on a pair", "RealServer on a pair"],
  ["RealServerArpConfig"],
  ["RealServerReturnRoute"],
];

it("lanes cover every kind once and never share a host", () => {
  expect(LANES.flat().sort()).toEqual(KINDS.map((k) => k.kind).sort());
  const hostsOf = (lane: string[]) => new Set(KINDS.filter((k) => lane.includes(k.kind)).flatMap((k) => k.hosts));
  for (const [i, a] of LANES.entries()) for (const b of LANES.slice(i + 1)) expect([...hostsOf(a)].filter((h) => hostsOf(b).has(h))).toEqual([]);
});

// With LVS_FAULT_STEPS=all, every step of three operations, twice: minutes on the lab's emulated VMs.
it(`${ALL_STEPS ? "every remote step" : "each kind's cut"} of ${kindsRun.map((k) => k.kind).join(", ")}: converges when run again after every cut, losing nothing and leaving nothing behind`, async () => {
  const lanes = LANES.map((names) => kindsRun.filter((k) => names.includes(k.kind))).filter((lane) => lane.length > 0);
  const settled = await Promise.allSettled(
    lanes.map(async (lane) => {
      const cutter = new ProviderCallCutter();
      try {
        for (const k of lane) {
          const started = Date.now();
          try {
            await cutKind(k, cutter);
          } catch (e) {
            throw new Error(`${k.kind}: ${e instanceof Error ? e.message : String(e)}`);
          }
          console.log(`${k.kind}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
      } finally {
        cutter.close();
      }
    }),
  );
  const errors = settled.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => (r.reason as Error).message);
  expect(errors).toEqual([]);
}, 3_600_000);

/** One kind: its clean run, then its cuts, each followed by the re-runs the next `pulumi up` makes. */
async function cutKind(k: MatrixKind, cutter: ProviderCallCutter): Promise<void> {
  const deployed: Array<[ProviderUnderTest, Deployed]> = [];
  const prereqs = () => deployed.map(([, d]) => d);
  try {
    for (const p of k.prerequisites) deployed.push([p.provider, await up(p.provider, p.raw(prereqs()))]);
    const inputsA = await checked(k.provider, k.a(prereqs()));
    const inputsB = await checked(k.provider, k.b(prereqs()));

    // One call through the provider process; a call that fails outright fails the test.
    const call = async (method: string, args: unknown[], fault?: { kind: Fault; step: number }) => cutter.call(k.registryKind, method, args, fault);
    const must = async (method: string, args: unknown[]) => {
      const out = await call(method, args);
      if (!out.answer?.ok) throw new Error(`${k.kind} ${method} failed: ${out.answer ? (out.answer as { error: string }).error : "no answer"}`);
      return out;
    };

    // The clean run: each operation's remote steps, and what each stage leaves on the hosts.
    // Another test file may have cleared dir1's table by hand and left its rules file
    // behind; our first change rewrites the file from the live table, so the base is taken
    // with the file already mirroring the table.
    if (k.hosts.includes("dir1")) await saveIpvsTable(labConnection("dir1"));
    const clean: Record<string, Record<string, string>> = { base: await hostState(k.hosts) };
    const created = await must("create", [inputsA]);
    const { id, outs } = resultOf(created);
    clean.a = await hostState(k.hosts);
    const updated = await must("update", [id, outs, inputsB]);
    const outsB = resultOf(updated).outs;
    clean.b = await hostState(k.hosts);
    const deleted = await must("delete", [id, outsB]);
    expect(stateDifferences(clean.base, await hostState(k.hosts))).toEqual({}); // the clean delete put everything back
    const steps = { create: created.steps.length, update: updated.steps.length, delete: deleted.steps.length };
    console.log(`${k.kind}: remote steps create ${steps.create}, update ${steps.update}, delete ${steps.delete}`);
    expect(Math.min(steps.create, steps.update, steps.delete)).toBeGreaterThan(0);

    /** Runs `method` until it answers ok, as repeated `pulumi up`s would (at most 3). */
    const rerun = async (method: string, args: () => unknown[]) => {
      for (let n = 1; n <= 3; n++) {
        const out = await call(method, args());
        if (out.answer?.ok) return { n, result: out.answer.result, error: undefined };
        if (n === 3) return { n, result: undefined, error: (out.answer as { error: string } | undefined)?.error ?? "no answer" };
      }
      throw new Error("unreachable");
    };

    const failures: CaseResult[] = [];
    let caseStarted = Date.now();
    const record = async (op: CaseResult["op"], fault: Fault, step: number, cut: Awaited<ReturnType<typeof call>>, again: Awaited<ReturnType<typeof rerun>>, stage: string) => {
      const diff = again.error ? {} : stateDifferences(clean[stage]!, await hostState(k.hosts));
      const { orphans, lost } = countDifferences(diff);
      const result: CaseResult = {
        kind: k.kind, op, fault, step, host: cut.cutHost ?? "?",
        cutCall: cut.answer === undefined ? "killed" : cut.answer.ok ? "survived" : "failed",
        reruns: again.n, converged: !again.error && orphans + lost === 0, orphans, lost, ms: Date.now() - caseStarted,
        ...(again.error ? { detail: again.error.slice(0, 2000) } : orphans + lost > 0 ? { detail: JSON.stringify(diff).slice(0, 3000) } : {}),
      };
      results.push(result);
      writeReport(); // case by case: a run stopped part-way still leaves its figures
      if (!result.converged) failures.push(result);
      caseStarted = Date.now();
    };

    for (const round of roundsOf(k, steps)) {
      // create → update → delete: each case's re-run leaves the stage the next one starts from.
      let state: { id: string; outs: Record<string, unknown> };
      if (round.create) {
        const { fault, step } = round.create;
        const cut = await call("create", [inputsA], { kind: fault, step });
        // A create that answered is in the engine's state; one that did not is created again.
        const again = cut.answer?.ok ? { n: 0, result: cut.answer.result, error: undefined } : await rerun("create", () => [inputsA]);
        await record("create", fault, step, cut, again, "a");
        if (again.error) break;
        state = again.result;
      } else state = resultOf(await must("create", [inputsA]));
      let outsNow = state.outs;
      if (round.update) {
        const { fault, step } = round.update;
        const cut = await call("update", [state.id, outsNow, inputsB], { kind: fault, step });
        const again = cut.answer?.ok ? { n: 0, result: cut.answer.result, error: undefined } : await rerun("update", () => [state.id, outsNow, inputsB]);
        await record("update", fault, step, cut, again, "b");
        if (again.error) break;
        outsNow = again.result.outs;
      } else outsNow = resultOf(await must("update", [state.id, outsNow, inputsB])).outs;
      if (round.delete) {
        const { fault, step } = round.delete;
        const cut = await call("delete", [state.id, outsNow], { kind: fault, step });
        const again = cut.answer?.ok ? { n: 0, result: null, error: undefined } : await rerun("delete", () => [state.id, outsNow]);
        await record("delete", fault, step, cut, again, "base");
        if (again.error) break;
      } else await must("delete", [state.id, outsNow]);
    }
    console.log(`${k.kind}: ${results.filter((r) => r.kind === k.kind).length} cuts, ${failures.length} did not converge cleanly`);
    expect(failures).toEqual([]);
  } finally {
    for (const [provider, d] of deployed.reverse()) await provider.delete(d.id, d.state);
  }
}
