// A KeepalivedPair's scripts, live on the lab: notify scripts on both directors record each
// VRRP transition; a failing track script and a tracked interface going down each move the
// VIP to the other director, and back once healed.

import { keepalivedPairProvider } from "../../provider/keepalived/pairProvider";
import { closeSshPool, run } from "../../provider/ssh";
import { DIRECTORS, RECORDER, installRecorder, recorded, removeRecorder, vipHolder, waitFor } from "../support/keepalivedLab";
import { labConnection, labHost } from "../support/lab";
import { up, type Deployed } from "../support/providerSteps";

const VIP = "10.77.0.251";
const INSTANCE = "lvs_scripts";
/** The track script passes while this file exists (a test removes it to make the script fail). */
const OK_FLAG = "/run/pulumi-lvs-test-track-ok";
const TRACKED = () => labHost("dir1").interfaces.back!.name;
let pair: Deployed | undefined;
const measured: string[] = [];

/** What the recorder logged on each director since `since` (line counts per director). */
async function recordedSince(since: number[]): Promise<string[][]> {
  return Promise.all(DIRECTORS.map(async (d, i) => (await recorded(d)).slice(since[i])));
}
const counts = async () => (await Promise.all(DIRECTORS.map(recorded))).map((l) => l.length);
/** The state scripts (notify_master/backup/fault) among recorded lines: the generic `notify` lines left out. */
const states = (lines: string[]) => lines.filter((l) => !l.startsWith("notify "));

beforeAll(async () => {
  for (const d of DIRECTORS) await run(labConnection(d), ["sh", "-c", 'systemctl stop keepalived; rm -rf /etc/keepalived/keepalived.conf /etc/keepalived/pulumi-lvs; touch "$1"', "reset", OK_FLAG]);
  await installRecorder(DIRECTORS);
});

afterAll(async () => {
  try {
    if (pair) await keepalivedPairProvider.delete(pair.id, pair.state);
  } finally {
    for (const d of DIRECTORS) await run(labConnection(d), ["sh", "-c", 'rm -f "$1"; ip link set "$2" up', "heal", OK_FLAG, TRACKED()]);
    await removeRecorder(DIRECTORS);
    console.log(`keepalived scripts, measured:\n  ${measured.join("\n  ")}`);
    await closeSshPool();
  }
});

describe("a KeepalivedPair's notify, track scripts and tracked interfaces", () => {
  it("notify scripts run on both directors as they take their states", async () => {
    pair = await up(keepalivedPairProvider, {
      nodes: [
        { connection: labConnection("dir1"), priority: 150, routerId: "dir1" },
        { connection: labConnection("dir2"), priority: 100, routerId: "dir2" },
      ],
      interface: "eth1",
      virtualRouterId: 58,
      instanceName: INSTANCE,
      vips: [{ address: VIP, dev: "eth1" }],
      notify: { master: [RECORDER, "master"], backup: [RECORDER, "backup"], fault: [RECORDER, "fault"], notify: [RECORDER, "notify"] },
      // No weight: a failing script puts the node in FAULT, whatever its priority.
      trackScripts: [{ name: "chk_flag", command: ["/usr/bin/test", "-e", OK_FLAG], interval: 1, fall: 1, rise: 1 }],
      trackInterfaces: [TRACKED()],
    });
    await waitFor(async () => (await vipHolder(VIP)) === "dir1", 20_000, "dir1 to hold the VIP");
    await waitFor(async () => states((await recordedSince([0, 0]))[0]!).at(-1) === "master", 10_000, "dir1's notify_master");
    await waitFor(async () => states((await recordedSince([0, 0]))[1]!).at(-1) === "backup", 10_000, "dir2's notify_backup");
    const [dir1, dir2] = await recordedSince([0, 0]);
    // Each node starts as BACKUP. The BACKUP is applied first, so dir2 runs alone for a
    // moment and may become MASTER until dir1 starts and preempts: dir2 records that too.
    expect(states(dir1!)).toEqual(["backup", "master"]);
    expect(states(dir2!)[0]).toBe("backup");
    expect(states(dir2!).at(-1)).toBe("backup");
    // The generic notify ran for every transition, with keepalived's own arguments: type, instance, state, priority.
    const priority: Record<string, number> = { dir1: 150, dir2: 100 };
    for (const [d, lines] of [["dir1", dir1!], ["dir2", dir2!]] as const) {
      const generic = lines.filter((l) => l.startsWith("notify ")).map((l) => l.split(" "));
      expect(generic.map((w) => w.slice(1, 3).concat(w[4]!))).toEqual(generic.map(() => ["INSTANCE", INSTANCE, String(priority[d])]));
      expect(generic.map((w) => w[3]!.toLowerCase())).toEqual(states(lines));
    }
    measured.push(`notify on create: dir1 ${JSON.stringify(states(dir1!))}, dir2 ${JSON.stringify(states(dir2!))}`);
  });

  it("a failing track script moves the VIP to the other director, and back once it passes", async () => {
    const since = await counts();
    await run(labConnection("dir1"), ["rm", "-f", OK_FLAG]);
    const movedMs = await waitFor(async () => (await vipHolder(VIP)) === "dir2", 20_000, "dir2 to take the VIP from the faulted dir1");
    await run(labConnection("dir1"), ["touch", OK_FLAG]);
    const backMs = await waitFor(async () => (await vipHolder(VIP)) === "dir1", 20_000, "dir1 to take the VIP back");
    await waitFor(async () => states((await recordedSince(since))[1]!).at(-1) === "backup", 10_000, "dir2's notify_backup");
    const [dir1, dir2] = await recordedSince(since);
    expect(states(dir1!)).toEqual(["fault", "backup", "master"]);
    expect(states(dir2!)).toEqual(["master", "backup"]);
    measured.push(`track script: the VIP on dir2 ${movedMs} ms after the script began to fail on dir1 (interval 1 s, fall 1), back on dir1 ${backMs} ms after it passed`);
  });

  it("a tracked interface going down moves the VIP too, and back once it is up", async () => {
    const since = await counts();
    await run(labConnection("dir1"), ["ip", "link", "set", TRACKED(), "down"]);
    let movedMs: number;
    try {
      movedMs = await waitFor(async () => (await vipHolder(VIP)) === "dir2", 20_000, `dir2 to take the VIP when dir1's ${TRACKED()} went down`);
    } finally {
      await run(labConnection("dir1"), ["ip", "link", "set", TRACKED(), "up"]);
    }
    const backMs = await waitFor(async () => (await vipHolder(VIP)) === "dir1", 20_000, "dir1 to take the VIP back");
    await waitFor(async () => states((await recordedSince(since))[1]!).at(-1) === "backup", 10_000, "dir2's notify_backup");
    const [dir1, dir2] = await recordedSince(since);
    expect(states(dir1!)).toEqual(["fault", "backup", "master"]);
    expect(states(dir2!)).toEqual(["master", "backup"]);
    measured.push(`tracked interface: the VIP on dir2 ${movedMs} ms after dir1's ${TRACKED()} went down, back on dir1 ${backMs} ms after it came up`);
  });
});
