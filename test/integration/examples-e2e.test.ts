// The root program and the examples, deployed on the lab through the program runner
// (test/support/engine/programRunner.ts): each program runs under the SDK's mocks and its
// resources go to the SDK's real dynamic-provider host in the engine's order, so these
// are the programs users run, converging real hosts. VIPs: .150 root program, .151
// dr-cluster, .152 tun-cluster, .153 nat-cluster, .154 ha-pair (other tests use .100,
// .199, .230-.249).
//
// Snapshots compare hosts before deploy and after destroy. Lines about other tests' VIPs
// (.100 keepalived, .199, .2xx) are left out: those tests may run at the same time.

import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { closeSshPool, run } from "../../provider/ssh";
import { assertBuildIsFresh } from "../support/engine/programDir";
import { runProgram, type RunProgramOptions, type RunResult } from "../support/engine/programRunner";
import { labConnection, labHost, labPrivateKey } from "../support/lab";
import { powerOff, powerOn } from "../support/labPower";

const ROOT = resolve(__dirname, "..", "..");
const STATE_DIR = mkdtempSync(join(tmpdir(), "lvs-examples-e2e-"));
const OTHER_TESTS = /10\.77\.0\.(100|199|2\d\d)\b/;
const REAL_SERVERS = ["rs1", "rs2", "rs3"] as const;

const exampleHost = (name: string) => {
  const h = labHost(name);
  return { ssh: h.ssh.host, port: h.ssh.port, hostKey: h.hostKey, address: h.interfaces.front.ipv4 };
};

/** Deployed stacks, destroyed in afterAll if a test stopped half-way. */
const live = new Map<string, RunProgramOptions>();

async function deploy(opts: Omit<RunProgramOptions, "operation">, operation: RunProgramOptions["operation"] = "up"): Promise<RunResult> {
  if (operation === "up") live.set(opts.stateFile, { ...opts, operation: "destroy" });
  const result = await runProgram({ ...opts, operation });
  if (operation === "destroy") live.delete(opts.stateFile);
  console.log(`${operation} ${opts.programPath.replace(ROOT, ".")}: ${JSON.stringify(result.counts)} in ${(result.durationMs / 1000).toFixed(1)} s`);
  return result;
}

async function answers(vip: string, requests: number): Promise<Map<string, number>> {
  await run(labConnection("client"), ["ip", "neigh", "flush", "all"]);
  const script = 'for i in $(seq "$1"); do curl -sS --max-time 5 "http://$2/" || echo FAILED; done';
  const out = (await run(labConnection("client"), ["sh", "-c", script, "requests", String(requests), vip])).stdout;
  const counts = new Map<string, number>();
  for (const line of out.split("\n").filter((l) => l.length > 0)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

const changes = (r: RunResult) => r.steps.filter((s) => s.op !== "same").map((s) => ({ name: s.name, op: s.op, changed: s.changed }));

const sh = async (host: string, script: string) => (await run(labConnection(host), ["sh", "-c", script])).stdout;
/** Our lines only, without address lifetimes (they count down). */
const ours = (text: string) =>
  text
    .split("\n")
    .filter((l) => !OTHER_TESTS.test(l))
    .map((l) => l.replace(/\s*valid_lft \S+ preferred_lft \S+/, ""))
    .join("\n");

/** What a deploy may change on the hosts, and a destroy must put back. */
async function snapshot(): Promise<Record<string, string>> {
  // /etc/keepalived is left out: the keepalived test (which may run concurrently) owns it on dir1.
  const files = "ls -la --time-style=+ /etc/sysctl.d /etc/modules-load.d /etc/systemd/system 2>&1";
  const snap: Record<string, string> = {
    "dir1 ipvsadm": ours(await sh("dir1", "modprobe ip_vs; ipvsadm -S -n")),
    "dir1 sysctl": await sh("dir1", "sysctl net.ipv4.ip_forward; sysctl -a 2>/dev/null | grep -E '^net\\.ipv4\\.(conf\\.[^.]+\\.send_redirects|vs\\.)' | sort"),
    "dir1 files": await sh("dir1", files),
    "dir1 addr": ours(await sh("dir1", "ip -o addr")),
  };
  for (const rs of REAL_SERVERS) {
    snap[`${rs} sysctl`] = await sh(rs, "sysctl -a 2>/dev/null | grep -E '\\.(arp_ignore|arp_announce|rp_filter) ' | sort");
    snap[`${rs} lo`] = ours(await sh(rs, "ip -o addr show dev lo; ip -o addr show dev tunl0 2>/dev/null || true"));
    snap[`${rs} files`] = await sh(rs, files);
    snap[`${rs} rules`] = await sh(rs, "ip -4 rule show");
  }
  return snap;
}

beforeAll(() => assertBuildIsFresh());

afterAll(async () => {
  for (const opts of live.values()) await runProgram(opts).catch((err) => console.error(`cleanup: destroy of ${opts.stateFile} failed: ${err}`));
  rmSync(STATE_DIR, { recursive: true, force: true });
  await closeSshPool();
});

describe("the root program (lab stack, VIP 10.77.0.150)", () => {
  const VIP = "10.77.0.150";
  const base = { programPath: ROOT, stackConfigFile: join(ROOT, "Pulumi.lab.yaml"), stack: "lab", stateFile: join(STATE_DIR, "lab.json") };
  const twoServers = {
    "lvs:services": JSON.stringify([{ protocol: "tcp", port: 80, scheduler: "wrr" }]),
    "lvs:realServers": JSON.stringify([
      { name: "rs1", host: "rs1", address: "10.77.0.21", interfaces: ["eth1"], weight: 3 },
      { name: "rs2", host: "rs2", address: "10.77.0.22", interfaces: ["eth1"], weight: 1 },
    ]),
  };
  let before: Record<string, string>;

  it("up: Pulumi.lab.yaml's cluster answers 30 requests from every real server", async () => {
    before = await snapshot();
    const result = await deploy(base);
    expect(result.counts).toMatchObject({ create: 9, update: 0, delete: 0 });
    const counts = await answers(VIP, 30);
    console.log(`lab stack: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(counts.get("FAILED")).toBeUndefined();
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
  });

  it("weights 3:1 and rr → wrr through the config: updated in place, 400 requests within ±10% of 75/25", async () => {
    const result = await deploy({ ...base, config: twoServers });
    const byName = Object.fromEntries(changes(result).map((c) => [c.name, c]));
    expect(byName["lab-vs-tcp-80"]).toEqual({ name: "lab-vs-tcp-80", op: "update", changed: ["scheduler"] });
    expect(byName["lab-rs1-tcp-80"]).toEqual({ name: "lab-rs1-tcp-80", op: "update", changed: ["weight"] });
    expect(byName["lab-rs3-tcp-80"]?.op).toBe("delete");
    expect(byName["lab-rs3-arp"]?.op).toBe("delete");
    expect(byName["lab-rs2-tcp-80"]?.op ?? "same").not.toBe("replace");

    const counts = await answers(VIP, 400);
    console.log(`3:1 wrr over 400 requests: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(counts.get("FAILED")).toBeUndefined();
    expect(counts.get("rs1")! / 400).toBeGreaterThanOrEqual(0.65);
    expect(counts.get("rs1")! / 400).toBeLessThanOrEqual(0.85);
    expect(counts.get("rs2")! / 400).toBeGreaterThanOrEqual(0.15);
    expect(counts.get("rs2")! / 400).toBeLessThanOrEqual(0.35);
    expect(counts.get("rs3")).toBeUndefined();
  });

  it("drift: `ipvsadm -e … -w 0` on the director; refresh reports exactly weight on exactly that real server", async () => {
    await run(labConnection("dir1"), ["ipvsadm", "-e", "-t", `${VIP}:80`, "-r", "10.77.0.21:80", "-g", "-w", "0"]);
    const refreshed = await deploy({ ...base, config: twoServers }, "refresh");
    expect(changes(refreshed)).toEqual([{ name: "lab-rs1-tcp-80", op: "update", changed: ["weight"] }]);
  });

  it("drift: preview after the refresh reports exactly weight on exactly that real server", async () => {
    const previewed = await deploy({ ...base, config: twoServers }, "preview");
    expect(changes(previewed)).toEqual([{ name: "lab-rs1-tcp-80", op: "update", changed: ["weight"] }]);
  });

  it("up puts the weight back; destroy returns every host to its state before the deploy", async () => {
    const restored = await deploy({ ...base, config: twoServers });
    expect(changes(restored)).toEqual([{ name: "lab-rs1-tcp-80", op: "update", changed: ["weight"] }]);
    await deploy({ ...base, config: twoServers }, "destroy");
    expect(await snapshot()).toEqual(before);
  });
});

describe.each([
  { example: "dr-cluster", vip: "10.77.0.151", extra: {} as Record<string, string> },
  { example: "tun-cluster", vip: "10.77.0.152", extra: { vipInterface: "eth1", services: JSON.stringify([{ protocol: "tcp", port: 80, scheduler: "rr" }]) } },
])("examples/$example (VIP $vip)", ({ example, vip, extra }) => {
  it("deployed, every real server answers the client; destroyed, the hosts are as before", async () => {
    const before = await snapshot();
    const opts = {
      programPath: join(ROOT, "examples", example),
      stack: "lab",
      stateFile: join(STATE_DIR, `${example}.json`),
      config: { privateKey: labPrivateKey(), vip, director: JSON.stringify(exampleHost("dir1")), realServers: JSON.stringify(REAL_SERVERS.map(exampleHost)), ...extra },
      secretConfig: ["privateKey"],
    };
    await deploy(opts);
    const counts = await answers(vip, 30);
    console.log(`${example}: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(counts.get("FAILED")).toBeUndefined();
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
    await deploy(opts, "destroy");
    expect(await snapshot()).toEqual(before);
  });
});

describe("examples/nat-cluster (VIP 10.77.0.153: dir1 rewrites to the real servers' back addresses)", () => {
  const VIP = "10.77.0.153";
  const backHost = (name: string) => ({ ...exampleHost(name), address: labHost(name).interfaces.back!.ipv4 });
  it("deployed with return routes, every real server answers the client; destroyed, the hosts are as before", async () => {
    const before = await snapshot();
    const opts = {
      programPath: join(ROOT, "examples", "nat-cluster"),
      stack: "lab",
      stateFile: join(STATE_DIR, "nat-cluster.json"),
      config: { privateKey: labPrivateKey(), vip: VIP, frontInterface: "eth1", director: JSON.stringify(backHost("dir1")), realServers: JSON.stringify(REAL_SERVERS.map(backHost)) },
      secretConfig: ["privateKey"],
    };
    const result = await deploy(opts);
    expect(result.steps.filter((s) => s.name.endsWith("-return-route")).map((s) => s.op)).toEqual(["create", "create", "create"]);
    const counts = await answers(VIP, 30);
    console.log(`nat-cluster: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(counts.get("FAILED")).toBeUndefined();
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
    await deploy(opts, "destroy");
    expect(await snapshot()).toEqual(before);
  });
});

describe("examples/ha-pair (keepalived on dir1 + dir2, VIP 10.77.0.154)", () => {
  const VIP = "10.77.0.154";
  it("answers through the VIP, keeps answering while the master is powered off, then is destroyed", async () => {
    const opts = {
      programPath: join(ROOT, "examples", "ha-pair"),
      stack: "lab",
      stateFile: join(STATE_DIR, "ha-pair.json"),
      config: {
        privateKey: labPrivateKey(),
        vrrpPassword: "e2e154",
        vip: VIP,
        virtualRouterId: "154",
        healthPath: "/", // the lab's web servers serve their name at /
        directors: JSON.stringify([exampleHost("dir1"), exampleHost("dir2")]),
        realServers: JSON.stringify(REAL_SERVERS.map(exampleHost)),
      },
      secretConfig: ["privateKey", "vrrpPassword"],
    };
    await deploy(opts);
    // keepalived's HTTP_GET checks bring the real servers in after a delay loop or two.
    let counts = new Map<string, number>();
    for (let i = 0; i < 12 && [...counts.keys()].filter((k) => k !== "FAILED").length < REAL_SERVERS.length; i++) {
      await new Promise((r) => setTimeout(r, 5000));
      counts = await answers(VIP, 30);
    }
    console.log(`ha-pair: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect([...counts.keys()].filter((k) => k !== "FAILED").sort()).toEqual([...REAL_SERVERS]);

    // A client loop runs across the master's power-off; it must get answers again after the switch.
    const loop = run(labConnection("client"), ["sh", "-c", `for i in $(seq 90); do curl -s --max-time 2 http://${VIP}/ || echo FAILED; sleep 0.5; done`]);
    await new Promise((r) => setTimeout(r, 5000));
    const offAt = Date.now();
    await powerOff("dir1");
    try {
      const lines = (await loop).stdout.split("\n").filter(Boolean);
      const lastFailure = lines.lastIndexOf("FAILED");
      const after = lines.slice(lastFailure + 1);
      console.log(`ha-pair failover: ${lines.length} requests, ${lines.filter((l) => l === "FAILED").length} failed, ${after.length} answered after the last failure (dir1 off ${((Date.now() - offAt) / 1000).toFixed(0)} s ago)`);
      expect(after.length).toBeGreaterThanOrEqual(20);
      expect(new Set(after)).not.toContain("FAILED");
    } finally {
      await powerOn("dir1");
    }
    await deploy(opts, "destroy");
  }, 1_800_000);
});
