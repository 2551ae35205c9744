// KeepalivedPair on the lab's two directors: real keepalived, real VRRP between dir1 and
// dir2 on the front segment, real IPVS, real health checks against the real servers'
// web servers, and a client whose HTTP requests to the VIP keep getting answers.
//
// Connection sync (issue 14): long-lived DR and NAT connections carry on across the MASTER's
// power-off and its return with lvsSyncDaemon and the Directors' connectionSync, and break
// without them (the MASTER's keepalived stopped). Sub-second failover (issue 14): VRRPv3 at
// 1 s and at FAST_ADVERT_INT, the MASTER's front cable pulled under a steady client loop,
// the takeover read on dir2's own wire. With LVS_EXTENDED=1 (`npm run
// test:extended`, and `npm run bench`) it also runs VRRPv3 with FAST_ADVERT_INT, sync on, over
// one more power cycle (about three minutes on the lab's emulated VMs): `npm test` says it
// was skipped.

import { realServerArpConfigProvider } from "../../provider/arp/arpProvider";
import { directorProvider } from "../../provider/director/directorProvider";
import { realServerReturnRouteProvider } from "../../provider/nat/returnRouteProvider";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { ForeignKeepalivedConfigError, KeepalivedConfigRejectedError } from "../../provider/keepalived/errors";
import { keepalivedPairProvider } from "../../provider/keepalived/pairProvider";
import { getVrrpStatus } from "../../provider/keepalived/vrrpStatus";
import { closeSshPool, run } from "../../provider/ssh";
import { errorOf } from "../support/errorOf";
import { answersTo, clientLoop as clientLoopTo, destroyInLayers, liveRealServers as liveRealServersOn, installStreamCgi, removeStreamCgi, sleep, startStream, stopStreams, streamAlive, syncDaemons, vipHolder, vrrpTransitions, waitFor } from "../support/keepalivedLab";
import { labConnection, labHost } from "../support/lab";
import { cutLink, powerOff, powerOn, restoreLink } from "../support/labPower";
import { steadyClientLoop, type SteadyLoopResult } from "../support/steadyClient";
import { captureSummary, captureVrrp, takeoverIn, type VrrpTakeover } from "../support/vrrpCapture";
import { allSettledOrThrow, refresh, up, upAll, upChanged, type Deployed, type ProviderUnderTest } from "../support/providerSteps";

const VIP = "10.77.0.100";
/** The NAT real servers' gateway on the back segment: a second VIP of the pair, so it moves with the first. */
const BACK_VIP = "10.77.1.100";
const NAT_PORT = 81;
/** Long-lived connections through the VIP (DR on port 80, NAT on NAT_PORT) for connection sync: 4000 lines, minutes. */
const STREAMS = ["dr-nosync", "nat-nosync", "dr-sync", "nat-sync", "dr-return", "nat-return"];
const streamUrl = (kind: string) => `http://${VIP}${kind.startsWith("nat") ? `:${NAT_PORT}` : ""}/cgi-bin/stream?4000`;
const PASSWORD = "s3cr3tXy";
const REAL_SERVERS = ["rs1", "rs2", "rs3"] as const;
const dirs = ["dir1", "dir2"] as const;
/** The fastest advert interval (VRRPv3) that held still on the lab for 10 minutes idle (bench/vrrp-soak.js: 0 state changes at 0.1 s, 2026-12-07). */
const FAST_ADVERT_INT = 0.1;
/**
 * How long a returning dir1 waits before taking the VIPs back: time for dir2's sync daemon
 * to send it every connection again (once per 5 s with the Directors' connectionSync).
 */
const RETURN_PREEMPT_DELAY = 30;
const IDLE_SECONDS = 10;
/** The connection sync experiments (see the header). */
const EXTENDED = process.env.LVS_EXTENDED === "1";
/** keepalived's Master_Down_Interval for dir2 (priority 100): 3 × advert_int + (256 − priority) / 256 × advert_int. */
const masterDownSeconds = (advertInt: number) => 3 * advertInt + ((256 - 100) / 256) * advertInt;
/** The takeover on dir2's wire with the default 1 s adverts, measured by its own test, for the sub-second one to beat. */
let oneSecondFailoverMs: number | undefined;

function pairInputs(extra: Record<string, unknown> = {}) {
  return {
    nodes: [
      { connection: labConnection("dir1"), priority: 150, routerId: "dir1", ...((extra["unicast"] ? { unicastSrcIp: labHost("dir1").interfaces.front.ipv4 } : {}) as object) },
      { connection: labConnection("dir2"), priority: 100, routerId: "dir2", ...((extra["unicast"] ? { unicastSrcIp: labHost("dir2").interfaces.front.ipv4 } : {}) as object) },
    ],
    interface: "eth1",
    virtualRouterId: 51,
    advertInt: 1,
    vips: [
      { address: VIP, dev: "eth1" },
      { address: BACK_VIP, dev: labHost("dir1").interfaces.back!.name },
    ],
    auth: { password: PASSWORD },
    ...extra,
  };
}

const stack: Array<[ProviderUnderTest, Deployed]> = [];
let pair: Deployed;
let service: Deployed;
const realServers = new Map<string, Deployed>();
/** The extended run's Directors in nat mode (ip_forward; connectionSync for the return). */
const natDirectors = new Map<string, Deployed>();

const holder = () => vipHolder(VIP);
const liveRealServers = (director: string) => liveRealServersOn(director, VIP, 80);
const clientLoop = (seconds: number, maxSeconds: number) => clientLoopTo(`http://${VIP}/`, seconds, maxSeconds);

async function vrrp() {
  return getVrrpStatus([labConnection("dir1"), labConnection("dir2")], { vips: [VIP] });
}

const answersFromClient = (requests: number) => answersTo(`http://${VIP}/`, requests, 2);

/** dir1's clock, in the whole seconds keepalived's journal is read by. */
const dir1Epoch = async () => Number((await run(labConnection("dir1"), ["date", "+%s"])).stdout.trim());
/** VRRP state changes keepalived logged on either node since `since` (dir1's epoch seconds). */
const pairTransitions = async (since: number) => (await vrrpTransitions("dir1", since)) + (await vrrpTransitions("dir2", since));

/** State changes on either node in IDLE_SECONDS with nothing happening (the 10-minute soak is `npm run bench`'s vrrp-soak). */
async function stateChangesWhileIdle(): Promise<number> {
  const quietFrom = await dir1Epoch();
  await sleep(IDLE_SECONDS * 1000);
  return pairTransitions(quietFrom);
}

/** Waits, on dir2 itself (no SSH round trip per look), until dir2 holds the VIP; the ms since `from`. */
async function msUntilDir2HoldsVip(from: number): Promise<number> {
  const watch = 'while ! ip -o addr show dev eth1 | grep -q " $1/"; do sleep 0.05; done';
  await run(labConnection("dir2"), ["sh", "-c", watch, "watch", VIP], { timeoutMs: 30_000 });
  return Date.now() - from;
}

/** dir1's last advert → dir2's first in a capture on dir2's eth1; printed when there is none, so a failed bound says why. */
function takeoverOnDir2(capture: string): VrrpTakeover | undefined {
  const takeover = takeoverIn(capture, labHost("dir1").interfaces.front.ipv4, labHost("dir2").interfaces.front.ipv4, VIP);
  if (!takeover) console.log(`no takeover from dir1 to dir2 in dir2's capture (${captureSummary(capture)}); its last lines:\n${capture.split("\n").slice(-12).join("\n")}`);
  return takeover;
}

/**
 * Powers dir1 (the MASTER) off `afterMs` into a client loop of `loopSeconds` (each request
 * given `maxSeconds`), and measures the failover twice: from this machine (the clock starts
 * once the kill of dir1's VM has returned, and a watch loop on dir2 itself sees the VIP),
 * and on dir2's own wire (dir1's last advert → dir2's first, tcpdump's clock: see
 * vrrpCapture.ts), which has neither SSH round trips nor polling in it.
 */
async function powerOffMasterUnderLoad(loopSeconds: number, maxSeconds: number, afterMs: number): Promise<{ failoverMs: number; takeover: VrrpTakeover | undefined; ok: number; failed: number }> {
  const capture = captureVrrp("dir2", "eth1", Math.min(loopSeconds, afterMs / 1000 + 12));
  const loop = clientLoop(loopSeconds, maxSeconds);
  await new Promise((r) => setTimeout(r, afterMs));
  await powerOff("dir1");
  const failoverMs = await msUntilDir2HoldsVip(Date.now());
  const takeover = takeoverOnDir2(await capture);
  return { failoverMs, takeover, ...(await loop) };
}

/**
 * dir1's (the MASTER's) front cable pulled `afterMs` into a steady client loop (10
 * requests a second, each on a new connection and given 2 s; see steadyClient.ts), then put
 * back once the loop is done, and dir1 waited for until it holds the VIP again. The takeover
 * as dir2's wire shows it, as a watch loop on dir2 saw it (from the pull's return), and
 * what the client saw.
 */
async function pullMasterCableUnderLoad(loopSeconds: number, afterMs: number): Promise<{ takeover: VrrpTakeover | undefined; watchMs: number; client: SteadyLoopResult }> {
  const capture = captureVrrp("dir2", "eth1", afterMs / 1000 + 10);
  const loop = steadyClientLoop(`http://${VIP}/`, loopSeconds);
  await sleep(afterMs);
  await cutLink("dir1", "front");
  try {
    const watchMs = await msUntilDir2HoldsVip(Date.now());
    const takeover = takeoverOnDir2(await capture);
    return { takeover, watchMs, client: await loop };
  } finally {
    await restoreLink("dir1", "front");
    await waitFor(async () => (await holder()) === "dir1", 60_000, "dir1 to take the VIP back once its cable is in");
  }
}

/** The wire's takeover, printed, and held to keepalived's rule: no sooner than Master_Down_Interval, and within `boundMs`. */
function expectTakeover(takeover: VrrpTakeover | undefined, advertInt: number, boundMs: number): void {
  expect(takeover).toBeDefined();
  // keepalived's timers tick on the emulated VM's clock: 20 ms of slack below the interval.
  expect(takeover!.gapMs).toBeGreaterThanOrEqual(masterDownSeconds(advertInt) * 1000 - 20);
  expect(takeover!.gapMs).toBeLessThanOrEqual(boundMs);
}

/**
 * Long-lived connections across dir1's power-off and its return, sync on: dr-sync and
 * nat-sync start on dir1 before it is powered off `afterMs` into a client loop (see
 * powerOffMasterUnderLoad); dr-return and nat-return start on dir2 while dir1 is down. dir1
 * then boots and, after its preemptDelay, takes the VIPs back. Returns the failover, the
 * first two streams across the power-off, all four across the return, and how many
 * established connections dir1 held just before it preempted.
 */
async function connectionsAcrossPowerCycle(loopSeconds: number, maxSeconds: number, afterMs: number) {
  for (const name of ["dr-sync", "nat-sync"]) await startStream(name, streamUrl(name));
  await sleep(3000); // dir1's sync daemon sends each connection once it is established
  let measured: Awaited<ReturnType<typeof powerOffMasterUnderLoad>>;
  let acrossFailover: Awaited<ReturnType<typeof streamAlive>>[];
  let established = "";
  try {
    measured = await powerOffMasterUnderLoad(loopSeconds, maxSeconds, afterMs);
    acrossFailover = await Promise.all(["dr-sync", "nat-sync"].map(streamAlive));
    // Connections dir2 accepts while dir1 is down: dir1 has never seen them.
    for (const name of ["dr-return", "nat-return"]) await startStream(name, streamUrl(name));
    await sleep(3000);
  } finally {
    // dir1 boots its own disk, whatever the figures, so the tests after this one have their
    // MASTER: keepalived starts with the persisted config as BACKUP and, after preemptDelay,
    // takes the VIPs back from the lower-priority dir2. Meanwhile: what dir1 knows (its sync
    // daemons and the connections it holds for the client, synced from dir2).
    await powerOn("dir1");
    const seen: string[] = [];
    await waitFor(
      async () => {
        if ((await holder()) === "dir1") return true;
        const daemons = await Promise.all(dirs.map(async (d) => `${d}: ${(await syncDaemons(d).catch(() => ["unreachable"])).join(" | ")}`));
        established = (await run(labConnection("dir1"), ["sh", "-c", "ipvsadm -L -n -c | grep -c ESTABLISHED || true"]).catch(() => undefined))?.stdout.trim() ?? "unreachable";
        seen.push(`${daemons.join("; ")}; dir1 established connections: ${established}`);
        return false;
      },
      120_000,
      "dir1 to preempt the VIP after its boot",
    );
    const journal = await run(labConnection("dir1"), ["sh", "-c", "journalctl -b -u keepalived --no-pager -o short-monotonic | grep -iE 'sync|state|ipvs' | tail -n 15"]).catch((e) => ({ stdout: String(e) }));
    console.log(`before dir1 preempted:\n${seen.slice(-4).join("\n")}\ndir1's keepalived since its boot:\n${journal.stdout}`);
  }
  await sleep(2000); // the client's ACKs now reach dir1, which forwards them or resets them
  const acrossReturn = await Promise.all(["dr-return", "nat-return", "dr-sync", "nat-sync"].map(streamAlive));
  await stopStreams(STREAMS);
  return { measured, acrossFailover, acrossReturn, established };
}

beforeAll(async () => {
  // Sync daemons too: a run before the fix that stops them could leave them in the kernel.
  for (const d of dirs) await run(labConnection(d), ["sh", "-c", "systemctl stop keepalived; rm -rf /etc/keepalived/keepalived.conf /etc/keepalived/pulumi-lvs; ipvsadm -D -t \"$1:80\" 2>/dev/null; ipvsadm --stop-daemon master 2>/dev/null; ipvsadm --stop-daemon backup 2>/dev/null; true", "reset", VIP]);
  for (const name of REAL_SERVERS) await run(labConnection(name), ["systemctl", "start", "lab-web"]);
  await installStreamCgi(REAL_SERVERS);
});

/** Everything the tests deployed, dependents first (see destroyInLayers). */
const destroyStack = () =>
  destroyInLayers(stack, [[realServerProvider, realServerReturnRouteProvider], [virtualServiceProvider], [realServerArpConfigProvider, directorProvider], [keepalivedPairProvider]]);

afterAll(async () => {
  try {
    await stopStreams(STREAMS);
    await removeStreamCgi(REAL_SERVERS);
    await destroyStack();
  } finally {
    await closeSshPool();
  }
});

describe("a KeepalivedPair on dir1 + dir2 with a keepalived-managed DR service", () => {
  it("creates the pair: the VIP is on the MASTER only, and keepalived runs the config on both nodes", async () => {
    pair = await up(keepalivedPairProvider, pairInputs());
    stack.push([keepalivedPairProvider, pair]);
    await waitFor(async () => (await holder()) === "dir1", 15_000, "dir1 to hold the VIP");
    const status = await vrrp();
    expect(status.nodes.map((n) => n.state)).toEqual(["MASTER", "BACKUP"]);
    expect(status.splitBrain).toBe(false);
    expect(await holder()).toBe("dir1");
    // The password is in the file keepalived reads (it must be), readable by root only.
    const mode = (await run(labConnection("dir2"), ["stat", "-L", "-c", "%a", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"])).stdout.trim();
    expect(mode).toBe("600");
  });

  it("serves the VIP through keepalived's virtual_server with health-checked real servers", async () => {
    // As the engine runs them: the ARP configs and the service at once, then the real servers
    // at once (one generation of the pair's tree for the three).
    const target = pair.state["target"];
    const [, [vs]] = await allSettledOrThrow([
      upAll(stack, realServerArpConfigProvider, REAL_SERVERS.map((name) => ({ connection: labConnection(name), vips: [VIP], mode: "dr", interfaces: ["eth1"] }))),
      upAll(stack, virtualServiceProvider, [{ keepalived: target, protocol: "tcp", address: VIP, port: 80, scheduler: "rr", delayLoop: 2 }]),
    ]);
    service = vs!;
    const created = await upAll(
      stack,
      realServerProvider,
      REAL_SERVERS.map((name) => ({
        keepalived: target,
        service: { protocol: "tcp", address: VIP, port: 80 },
        address: labHost(name).interfaces.front.ipv4,
        port: 80,
        forwarding: "dr",
        healthCheck: { type: "HTTP_GET", urls: [{ path: "/", statusCode: 200 }], connectTimeout: 2, retry: 1, delayBeforeRetry: 1 },
      })),
    );
    REAL_SERVERS.forEach((name, i) => realServers.set(name, created[i]!));
    const expected = REAL_SERVERS.map((n) => labHost(n).interfaces.front.ipv4).sort();
    for (const d of dirs) await waitFor(async () => JSON.stringify(await liveRealServers(d)) === JSON.stringify(expected), 30_000, `${d}'s IPVS table to list every real server`);
    await run(labConnection("client"), ["ip", "neigh", "flush", "all"]);
    const counts = await answersFromClient(30);
    console.log(`keepalived DR service: answers ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(counts.get("FAILED")).toBeUndefined();
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
  });

  it("serves a NAT service too: the real server's gateway is the pair's back VIP, the directors forward", async () => {
    // ip_forward on both nodes is what a Director in nat mode (without a VIP of its own) is for.
    const target = pair.state["target"];
    const rs3Back = labHost("rs3").interfaces.back!.ipv4;
    const [directors] = await allSettledOrThrow([
      upAll(stack, directorProvider, dirs.map((d) => ({ connection: labConnection(d), mode: "nat" }))),
      upAll(stack, virtualServiceProvider, [{ keepalived: target, protocol: "tcp", address: VIP, port: NAT_PORT, scheduler: "rr" }]),
      upAll(stack, realServerReturnRouteProvider, [{ connection: labConnection("rs3"), sourceAddress: rs3Back, gateway: BACK_VIP }]),
    ]);
    dirs.forEach((d, i) => natDirectors.set(d, directors[i]!));
    await upAll(stack, realServerProvider, [{ keepalived: target, service: { protocol: "tcp", address: VIP, port: NAT_PORT }, address: rs3Back, port: 80, forwarding: "nat" }]);
    for (const d of dirs) await waitFor(async () => (await liveRealServersOn(d, VIP, NAT_PORT)).includes(rs3Back), 30_000, `${d}'s IPVS table to list the NAT real server`);
    const out = (await run(labConnection("client"), ["curl", "-sS", "--max-time", "3", `http://${VIP}:${NAT_PORT}/`])).stdout.trim();
    expect(out).toBe("rs3");
  });

  it("reads back what it applied, identically twice, with no drift", async () => {
    const first = await refresh(keepalivedPairProvider, pair);
    const second = await refresh(keepalivedPairProvider, pair);
    expect(second).toEqual(first);
    const diff = await keepalivedPairProvider.diff(pair.id, first!.props!, pair.state);
    expect(diff.changes).toBe(false);
    const rs = realServers.get("rs1")!;
    const rsRead = await refresh(realServerProvider, rs);
    expect((await realServerProvider.diff(rs.id, rsRead!.props!, rs.state)).changes).toBe(false);
  });

  it("a hand edit of one node's file shows as drift of exactly that property", async () => {
    await run(labConnection("dir2"), ["sed", "-i", "s/^  priority 100$/  priority 90/", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"]);
    const read = await refresh(keepalivedPairProvider, pair);
    expect(read!.props!["nodes"][1].priority).toBe(90);
    const { updates } = (await import("../../provider/keepalived/pairProvider")).diffKeepalivedPair(read!.props!, pair.state);
    expect(updates).toEqual(["nodes"]);
    pair = (await upChanged(keepalivedPairProvider, { id: pair.id, state: read!.props! }, pairInputs())).deployed;
    expect((await refresh(keepalivedPairProvider, pair))!.props!["nodes"][1].priority).toBe(100);
  });

  it("health checks: a stopped web server leaves the live IPVS table and returns; read shows no drift either way", async () => {
    const rs2 = labHost("rs2").interfaces.front.ipv4;
    await run(labConnection("rs2"), ["systemctl", "stop", "lab-web"]);
    try {
      const removedAfter = await waitFor(async () => !(await liveRealServers("dir1")).includes(rs2), 30_000, "keepalived to remove rs2");
      console.log(`health check: rs2 removed from dir1's IPVS table ${removedAfter} ms after its web server stopped`);
      const rs = realServers.get("rs2")!;
      const read = await refresh(realServerProvider, rs);
      expect(read).toBeDefined();
      expect((await realServerProvider.diff(rs.id, read!.props!, rs.state)).changes).toBe(false);
      const counts = await answersFromClient(12);
      expect(counts.get("rs2")).toBeUndefined();
      expect(counts.get("FAILED")).toBeUndefined();
    } finally {
      await run(labConnection("rs2"), ["systemctl", "start", "lab-web"]);
    }
    const backAfter = await waitFor(async () => (await liveRealServers("dir1")).includes(rs2), 30_000, "keepalived to add rs2 back");
    console.log(`health check: rs2 back in dir1's IPVS table ${backAfter} ms after its web server started`);
  });

  it("refuses a config keepalived rejects (a tracked interface the nodes lack): running config and VIP untouched, keepalived's line in the error", async () => {
    // Check cannot know the nodes' interfaces; keepalived -t does. (Free-form lines once
    // served here, but check now refuses every keyword keepalived would not take.)
    const before = await Promise.all(dirs.map(async (d) => (await run(labConnection(d), ["cat", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"])).stdout));
    const err = await errorOf(upChanged(keepalivedPairProvider, pair, pairInputs({ trackInterfaces: [{ name: "eth9", weight: 5 }] })));
    expect(err).toBeInstanceOf(KeepalivedConfigRejectedError);
    expect(err.message).toMatch(/Line \d+\) \(\S+\) tracked interface eth9 doesn't exist/);
    expect(err.message).not.toContain(PASSWORD);
    const after = await Promise.all(dirs.map(async (d) => (await run(labConnection(d), ["cat", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"])).stdout));
    expect(after).toEqual(before);
    expect(await holder()).toBe("dir1");
    expect((await answersFromClient(3)).get("FAILED")).toBeUndefined();
  });

  it("applies to the BACKUP first; when the MASTER then refuses, the BACKUP is rolled back", async () => {
    // A check script that exists on dir2 only: dir2 (BACKUP, first) accepts the change,
    // dir1 (MASTER) refuses it ("not found/accessible").
    const script = "/usr/local/sbin/pulumi-lvs-test-dir2-only";
    await run(labConnection("dir2"), ["sh", "-c", 'printf "#!/bin/sh\\nexit 0\\n" >"$1" && chmod 0755 "$1"', "mk", script]);
    try {
      const read = () => Promise.all(dirs.map(async (d) => (await run(labConnection(d), ["cat", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"])).stdout));
      const before = await read();
      const err = await errorOf(upChanged(keepalivedPairProvider, pair, pairInputs({ trackScripts: [{ name: "chk_local", command: [script], interval: 2 }] })));
      expect(err).toBeInstanceOf(KeepalivedConfigRejectedError);
      expect(err.message).toContain(`root@127.0.0.1:${labHost("dir1").ssh.port} rejected`);
      expect(err.message).toMatch(/chk_local|not found/);
      expect(err.message).toContain(`applied on root@127.0.0.1:${labHost("dir2").ssh.port} was rolled back`);
      expect(await read()).toEqual(before);
      expect(await holder()).toBe("dir1");
    } finally {
      await run(labConnection("dir2"), ["rm", "-f", script]);
    }
  });

  it(`fails over in under a second with VRRPv3 and adverts every ${FAST_ADVERT_INT} s: the MASTER's front cable pulled under a steady client loop, at 1 s adverts and at ${FAST_ADVERT_INT} s`, async () => {
    const runs: Array<{ advertInt: number; idleTransitions: number; reloadTransitions: number } & Awaited<ReturnType<typeof pullMasterCableUnderLoad>>> = [];
    // VRRPv3 has no authentication: the pair's password goes. While one node runs v2 and
    // the other v3 neither hears the other, and the BACKUP may take the VIPs for a moment.
    // This test runs before any with lvsSyncDaemon, and without it: keepalived 2.2.7, once
    // it has run the sync daemons, can wedge in such a flip (its VRRP process starts and
    // stops the master sync daemon within 50 ms and then waits forever on the kernel's
    // answer: seen twice on the lab, 2026-12-07; see the README). No preemptDelay, so dir1
    // takes the VIP back as soon as its cable is in. The state changes each reload caused
    // are printed too: v2 → v3 may flip; 1 s → FAST_ADVERT_INT must not.
    for (const advertInt of [1, FAST_ADVERT_INT]) {
      await sleep(2000); // the journal's clock counts whole seconds: the state changes before this are not the reload's
      const reloadFrom = await dir1Epoch();
      pair = (await upChanged(keepalivedPairProvider, pair, pairInputs({ vrrpVersion: 3, advertInt, auth: undefined }))).deployed;
      const conf = (await run(labConnection("dir1"), ["cat", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"])).stdout;
      expect(conf).toContain(`advert_int ${advertInt}\n  version 3\n`);
      await waitFor(async () => (await holder()) === "dir1", 20_000, `dir1 to hold the VIP with ${advertInt} s adverts`);
      const idleTransitions = await stateChangesWhileIdle();
      const reloadTransitions = (await pairTransitions(reloadFrom)) - idleTransitions;
      runs.push({ advertInt, idleTransitions, reloadTransitions, ...(await pullMasterCableUnderLoad(20, 5000)) });
    }
    for (const { advertInt, idleTransitions, reloadTransitions, takeover, watchMs, client } of runs) {
      const total = client.ok + client.failed;
      console.log(
        `VRRPv3, advert_int ${advertInt} s (Master_Down_Interval ${(masterDownSeconds(advertInt) * 1000).toFixed(0)} ms), dir1's front cable pulled: ` +
          `on dir2's wire, dir1's last advert → dir2's first ${takeover?.gapMs} ms, its gratuitous ARP +${takeover?.garpMs} ms; dir2's watch loop saw the VIP ${watchMs} ms after the pull returned; ` +
          `a steady client (10 requests/s, 2 s each): ${client.ok} answered, ${client.failed} failed (${((100 * client.failed) / total).toFixed(1)} %), the slowest answer took ${client.slowestAnsweredMs} ms; ${idleTransitions} state changes in ${IDLE_SECONDS} s idle before, ${reloadTransitions} in the reload to it`,
      );
      expect(idleTransitions).toBe(0);
      expect(client.ok).toBeGreaterThan(0);
    }
    const [oneSecond, fast] = runs;
    // 1 s → FAST_ADVERT_INT reaches the MASTER first (model.ts updateOrder): nobody flips.
    expect(fast!.reloadTransitions).toBe(0);
    // keepalived's rule, and what the lab's emulated VMs add on top of it.
    expectTakeover(oneSecond!.takeover, 1, (masterDownSeconds(1) + 1.5) * 1000);
    expectTakeover(fast!.takeover, FAST_ADVERT_INT, (masterDownSeconds(FAST_ADVERT_INT) + 2) * 1000);
    expect(fast!.takeover!.gapMs).toBeLessThan(oneSecond!.takeover!.gapMs);
    // Issue 14's target: under 1 s, and at most 1 % of a steady client's requests failed.
    expect(fast!.takeover!.gapMs).toBeLessThan(1000);
    expect(fast!.client.failed).toBeLessThanOrEqual(0.01 * (fast!.client.ok + fast!.client.failed));
    expect((await vrrp()).splitBrain).toBe(false);
    // Back to VRRPv2 with the password, still without sync, for the tests after this one.
    pair = (await upChanged(keepalivedPairProvider, pair, pairInputs())).deployed;
    await waitFor(async () => (await holder()) === "dir1", 20_000, "dir1 to hold the VIP with VRRPv2 again");
  }, 600_000);

  it("fails over when the MASTER is powered off, while the client keeps getting answers and long-lived DR and NAT connections carry on (lvsSyncDaemon); they survive its return too (connectionSync, preemptDelay)", async () => {
    // Connection sync: keepalived runs the sync daemons, each Director re-sends every live
    // connection once per 5 s, and a returning dir1 waits RETURN_PREEMPT_DELAY to learn them.
    pair = (await upChanged(keepalivedPairProvider, pair, pairInputs({ lvsSyncDaemon: { interface: "eth1" }, preemptDelay: RETURN_PREEMPT_DELAY }))).deployed;
    for (const d of dirs) {
      const updated = (await upChanged(directorProvider, natDirectors.get(d)!, { connection: labConnection(d), mode: "nat", connectionSync: {} })).deployed;
      stack[stack.findIndex(([, deployed]) => deployed === natDirectors.get(d))]![1] = updated;
      natDirectors.set(d, updated);
      expect((await run(labConnection(d), ["sysctl", "-n", "net.ipv4.vs.sync_threshold", "net.ipv4.vs.sync_refresh_period"])).stdout.split(/\s+/).filter(Boolean)).toEqual(["3", "0", "5"]);
    }
    await waitFor(async () => (await holder()) === "dir1", 15_000, "dir1 to keep the VIP across the reload");
    await waitFor(async () => (await syncDaemons("dir1")).some((l) => l.startsWith("master")) && (await syncDaemons("dir2")).some((l) => l.startsWith("backup")), 15_000, "the sync daemons (master on dir1, backup on dir2)");
    const { measured, acrossFailover, acrossReturn, established: learnt } = await connectionsAcrossPowerCycle(25, 1, 3000);
    const { failoverMs, takeover, ok, failed } = measured;
    oneSecondFailoverMs = takeover?.gapMs;
    // keepalived's Master_Down_Interval, 3 × advert_int + (256 − priority) / 256 × advert_int
    // (3.61 s here), plus what the lab's emulated VMs take to notice and act: 2.9 to 3.98 s
    // measured, so the bound has 1.5 s of slack.
    const boundMs = (masterDownSeconds(1) + 1.5) * 1000;
    console.log(
      `failover: dir2 held the VIP ${failoverMs} ms after dir1 was powered off (bound ${boundMs.toFixed(0)} ms); on dir2's wire, dir1's last advert → dir2's first ${takeover?.gapMs} ms, its gratuitous ARP +${takeover?.garpMs} ms ` +
        `(Master_Down_Interval ${(masterDownSeconds(1) * 1000).toFixed(0)} ms); client requests during the switch: ${ok} answered, ${failed} failed; ` +
        `long-lived connections across it (dr, nat): ${JSON.stringify(acrossFailover.map((s) => s.state))}; dir1 held ${learnt} established connections just before it preempted (preemptDelay ${RETURN_PREEMPT_DELAY} s); ` +
        `across its return (dr, nat accepted by dir2; dr, nat taken over from dir1): ${JSON.stringify(acrossReturn.map((s) => s.state))}`,
    );
    expect(acrossFailover.map((s) => s.alive)).toEqual([true, true]);
    expect(acrossReturn.map((s) => s.alive)).toEqual([true, true, true, true]);
    expect(failoverMs).toBeLessThanOrEqual(boundMs);
    expectTakeover(takeover, 1, boundMs);
    expect(ok).toBeGreaterThan(0);
    expect((await answersFromClient(6)).get("FAILED")).toBeUndefined();
    expect((await vrrp()).splitBrain).toBe(false);
  }, 600_000);

  (EXTENDED ? it : it.skip)(`with VRRPv3 and adverts every ${FAST_ADVERT_INT} s: still while idle, the MASTER powered off is replaced sooner than with 1 s adverts, and with lvsSyncDaemon long-lived connections survive the failover and, with connectionSync, the MASTER's return`, async () => {
    // VRRPv3 has no authentication: the pair's password goes. The sync daemon on both nodes
    // carries connections either way; preemptDelay gives a returning node the time to learn
    // them before it takes the VIPs back (sync before preemption).
    pair = (await upChanged(keepalivedPairProvider, pair, pairInputs({ vrrpVersion: 3, advertInt: FAST_ADVERT_INT, auth: undefined, lvsSyncDaemon: { interface: "eth1" }, preemptDelay: RETURN_PREEMPT_DELAY }))).deployed;
    // The Directors keep connectionSync from the test before.
    const conf = (await run(labConnection("dir1"), ["cat", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"])).stdout;
    expect(conf).toContain(`advert_int ${FAST_ADVERT_INT}\n  version 3\n`);
    await waitFor(async () => (await holder()) === "dir1", 20_000, "dir1 to hold the VIP with VRRPv3");

    const idleTransitions = await stateChangesWhileIdle();

    // A client as a browser is: 2 s per request, so a SYN lost in the switch is resent once.
    const { measured, acrossFailover, acrossReturn } = await connectionsAcrossPowerCycle(30, 2, 5000);
    console.log(
      `with lvsSyncDaemon: across dir1's power-off ${JSON.stringify(acrossFailover.map((s) => s.state))}; across dir1's return (preemptDelay ${RETURN_PREEMPT_DELAY} s) ${JSON.stringify(acrossReturn.map((s) => s.state))} ` +
        "(dr-sync, nat-sync; then dr-return, nat-return, dr-sync, nat-sync)",
    );
    expect(acrossFailover.map((s) => s.alive)).toEqual([true, true]);
    // Those dir2 accepted while dir1 was down and those it took over from dir1 alike: each
    // was re-sent to dir1 within its preemptDelay (connectionSync on both Directors).
    expect(acrossReturn.map((s) => s.alive)).toEqual([true, true, true, true]);
    const { failoverMs, takeover, ok, failed } = measured;
    console.log(
      `VRRPv3, advert_int ${FAST_ADVERT_INT} s: ${idleTransitions} state changes in ${IDLE_SECONDS} s idle; dir2 held the VIP ${failoverMs} ms after dir1 was powered off; ` +
        `on dir2's wire, dir1's last advert → dir2's first ${takeover?.gapMs} ms, its gratuitous ARP +${takeover?.garpMs} ms (Master_Down_Interval ${(masterDownSeconds(FAST_ADVERT_INT) * 1000).toFixed(0)} ms); ` +
        `client requests (2 s each) in a 30 s loop around it: ${ok} answered, ${failed} failed (${((100 * failed) / (ok + failed)).toFixed(1)} %)`,
    );
    expect(idleTransitions).toBe(0);
    // keepalived's Master_Down_Interval, 3 × advert_int + (256 − priority) / 256 × advert_int,
    // plus what the lab's emulated VMs take to notice and act: as seen from this machine,
    // 0.82 to 1.88 s at 0.2 s adverts (2026-12-06; the wire's figure is the cable-pull
    // test's), so the bound has 2 s of slack, and the 1 s adverts' failover measured above
    // must be slower.
    expect(failoverMs).toBeLessThanOrEqual((masterDownSeconds(FAST_ADVERT_INT) + 2) * 1000);
    expectTakeover(takeover, FAST_ADVERT_INT, (masterDownSeconds(FAST_ADVERT_INT) + 2) * 1000);
    if (oneSecondFailoverMs !== undefined) expect(takeover!.gapMs).toBeLessThan(oneSecondFailoverMs);
    // The request in flight at the instant the MASTER dies fails, and so does one whose SYN
    // resent after 1 s still meets the gap: 2 in every run so far; a longer gap, one more.
    expect(failed).toBeLessThanOrEqual(3);
    expect(ok).toBeGreaterThan(0);
    expect((await vrrp()).splitBrain).toBe(false);
  }, 900_000);

  it("with nopreempt, a returning node does not take the VIP back", async () => {
    pair = (await upChanged(keepalivedPairProvider, pair, pairInputs({ nopreempt: true }))).deployed;
    // The update dropped lvsSyncDaemon: the sync daemons keepalived started are stopped with it.
    for (const d of dirs) expect(await syncDaemons(d)).toEqual([]);
    await waitFor(async () => (await holder()) === "dir1", 15_000, "dir1 to keep the VIP across the reload");
    // Without sync, dir2 has never heard of dir1's connections. DR: the client's next ACK
    // meets a reset. NAT: the real server's replies pass dir2 un-NATed, the client resets
    // them as strangers, and its own connection hears nothing more.
    const streams = ["dr-nosync", "nat-nosync"];
    for (const name of streams) await startStream(name, streamUrl(name));
    await sleep(3000);
    await run(labConnection("dir1"), ["systemctl", "stop", "keepalived"]);
    await waitFor(async () => (await holder()) === "dir2", 10_000, "dir2 to take over");
    const tookOver = Date.now();
    // The NAT one can run on for some seconds (seen on the lab: still flowing 5 s after dir2
    // took over): dir1, its keepalived stopped but its kernel up, still holds the
    // connection, and the path moves whole only once every ARP cache on both segments has
    // the new holder. So each is watched for up to 30 s until it has stopped.
    let broken = await Promise.all(streams.map(streamAlive));
    while (broken.some((b) => b.alive) && Date.now() - tookOver < 30_000) broken = await Promise.all(streams.map(streamAlive));
    const brokenAfterMs = Date.now() - tookOver;
    await stopStreams(streams);
    console.log(`without lvsSyncDaemon, long-lived connections across the MASTER's stop (dr, nat): ${JSON.stringify(broken.map((b) => b.state))}, both stopped within ${brokenAfterMs} ms of dir2's takeover`);
    expect(broken.map((b) => b.alive)).toEqual([false, false]);
    await run(labConnection("dir1"), ["systemctl", "start", "keepalived"]);
    await new Promise((r) => setTimeout(r, 8000)); // several advert intervals
    expect(await holder()).toBe("dir2");
    expect((await vrrp()).nodes.map((n) => n.state)).toEqual(["BACKUP", "MASTER"]);
  });

  it("runs in unicast mode too", async () => {
    // With connection sync again, so that the destroy below has sync daemons to stop.
    pair = (await upChanged(keepalivedPairProvider, pair, pairInputs({ unicast: true, lvsSyncDaemon: { interface: "eth1" } }))).deployed;
    const conf = (await run(labConnection("dir1"), ["cat", "/etc/keepalived/pulumi-lvs/live/keepalived.conf"])).stdout;
    expect(conf).toMatch(new RegExp(`unicast_src_ip 10\\.77\\.0\\.11\\s+unicast_peer \\{\\s+${labHost("dir2").interfaces.front.ipv4.replace(/\./g, "\\.")}\\s+\\}`));
    // Preemption is back on: dir1 (150) takes the VIP over unicast adverts.
    await waitFor(async () => (await holder()) === "dir1", 20_000, "dir1 to hold the VIP in unicast mode");
    await run(labConnection("dir1"), ["systemctl", "stop", "keepalived"]);
    await waitFor(async () => (await holder()) === "dir2", 10_000, "dir2 to take over in unicast mode");
    expect((await answersFromClient(6)).get("FAILED")).toBeUndefined();
    await run(labConnection("dir1"), ["systemctl", "start", "keepalived"]);
    await waitFor(async () => (await holder()) === "dir1", 20_000, "dir1 to take the VIP back in unicast mode");
  });

  it("destroy leaves no keepalived config, VIP or IPVS entry behind", async () => {
    await destroyStack();
    for (const d of dirs) {
      const out = (await run(labConnection(d), ["sh", "-c", "ls /etc/keepalived; systemctl is-active keepalived || true; ip -o addr show; ipvsadm -S -n"])).stdout;
      expect(out).not.toContain("pulumi-lvs");
      expect(out).not.toContain(VIP);
      expect(out).toContain("inactive");
      expect(await syncDaemons(d)).toEqual([]);
    }
  });

  it("never overwrites a keepalived.conf it did not write; with adopt it keeps it aside and puts it back on delete", async () => {
    const mine = "# the operator's own keepalived configuration\nglobal_defs {\n  router_id mine\n}\n";
    for (const d of dirs) await run(labConnection(d), ["sh", "-c", 'printf "%s" "$1" >/etc/keepalived/keepalived.conf', "mk", mine]);
    try {
      const err = await errorOf(up(keepalivedPairProvider, pairInputs()));
      expect(err).toBeInstanceOf(ForeignKeepalivedConfigError);
      expect(err.message).toContain("adopt: true");
      for (const d of dirs) expect((await run(labConnection(d), ["cat", "/etc/keepalived/keepalived.conf"])).stdout).toBe(mine);

      const adopted = await up(keepalivedPairProvider, pairInputs({ adopt: true }));
      await waitFor(async () => (await holder()) === "dir1", 20_000, "dir1 to hold the VIP of the adopting pair");
      await keepalivedPairProvider.delete(adopted.id, adopted.state);
      for (const d of dirs) {
        expect((await run(labConnection(d), ["cat", "/etc/keepalived/keepalived.conf"])).stdout).toBe(mine);
        expect((await run(labConnection(d), ["sh", "-c", "systemctl is-active keepalived || true; ls /etc/keepalived"])).stdout).not.toMatch(/^active|pulumi-lvs/m);
      }
    } finally {
      for (const d of dirs) await run(labConnection(d), ["rm", "-f", "/etc/keepalived/keepalived.conf"]);
    }
  });
});
