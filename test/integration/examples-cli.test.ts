// Every example, installed as a user installs it (pulumi-lvs from the tarball `npm pack` made
// for this run) and deployed on the lab with the real Pulumi CLI (test/support/engine/pulumiCli.ts):
// `pulumi up`, then the VIP answers from every real server; `pulumi preview --refresh
// --expect-no-changes` exits 0; `pulumi destroy` returns every host to its before-snapshot.
// On dr-cluster, also the whole GitOps cycle: a drift made by hand makes the same command
// exit non-zero with a --diff naming the resource and the property; `pulumi refresh`
// records it; `pulumi up` repairs it. (The gitops example: its workflow's command, verbatim.)
//
// `npm test` deploys lvs-haproxy (a KeepalivedPair and an LvsCluster with keepalived's checks,
// and HaproxyConfig, the example's own resource, proven on real hosts only here: its apply
// and the restore on destroy; the VRRP password in no state or log). With LVS_EXTENDED=1
// (`npm run test:extended`, and `npm run bench`) also lvs-haproxy's drift by hand and its
// repair, and ha-pair, dr-cluster
// (with the whole GitOps cycle), tun-cluster, nat-cluster and gitops: three to four minutes
// each on the lab's emulated VMs, for what other suites prove in `npm test` too: ha-pair's
// pair, checks and secret scan (lvs-haproxy, the same pair block; keepalived-pair),
// dr-cluster deployed by its README's steps (example-readme), the GitOps
// cycle through the real CLI (engine-cli: drift by hand, exit 7 naming the property, refresh,
// repair), tun and nat clusters at the provider level (cluster-e2e, nat-return-route), and
// every example's program under the SDK's mocks, type-checked (test/unit/components/programs.test.ts).
//
// VIPs: .151 dr-cluster, .152 tun-cluster, .153 nat-cluster, .154 ha-pair, .155 gitops,
// .159 lvs-haproxy (the root program's .150 is the lab stack's: lab-stack.test.ts; .156 is
// example-readme's, .157 package.test's). Other tests use .100, .199 and .2xx; their lines
// are left out of the snapshots.

import { randomBytes } from "crypto";
import { join } from "path";
import { closeSshPool, run } from "../../provider/ssh";
import { cliVersion, REPO_ROOT, secretsInClear, summaryCounts, TestProject, type CliResult } from "../support/engine/pulumiCli";
import { answers, hostSnapshot, programHost, REAL_SERVERS, sh } from "../support/labChecks";
import { labConnection, labHost, labKeyMaterial, labPrivateKey } from "../support/lab";

// An example's up, checks and destroy through the real CLI take minutes; with other work
// sharing the machine's two cores, dr-cluster's whole drift cycle once ran past the default
// 300 s. A hang still fails.
const ENGINE_CYCLE_TIMEOUT_MS = 900_000;
/** The examples npm test leaves to the extended run (see the header). */
const EXTENDED = process.env.LVS_EXTENDED === "1";

const backHost = (name: string) => ({ ...programHost(name), address: labHost(name).interfaces.back!.ipv4 });

/** Projects with a stack that may still hold resources: destroyed in afterAll if a test stopped half-way. */
const deployed = new Set<TestProject>();

beforeAll(async () => {
  console.log(`pulumi version: ${await cliVersion()}`);
});

afterAll(async () => {
  for (const project of deployed) {
    const r = await project.run(["destroy", "--yes", "--non-interactive", "--skip-preview"]);
    if (r.code !== 0) console.error(`cleanup: destroy in ${project.dir} exited ${r.code}: ${r.stdout.slice(-2000)}`);
    project.remove();
  }
  await closeSshPool();
});

async function up(project: TestProject): Promise<CliResult> {
  deployed.add(project);
  const result = await project.ok(["up", "--yes", "--non-interactive", "--skip-preview"]);
  console.log(`up in ${project.dir}: ${JSON.stringify(summaryCounts(result.stdout))} in ${(result.durationMs / 1000).toFixed(1)} s`);
  return result;
}

/** Runs a test's body; whatever happens, a project still deployed is destroyed before the next test needs dir1. */
async function deployedDuring(project: TestProject, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    if (deployed.has(project)) {
      const r = await project.run(["destroy", "--yes", "--non-interactive", "--skip-preview"]);
      if (r.code === 0) deployed.delete(project);
    }
  }
}

async function destroy(project: TestProject): Promise<void> {
  await project.ok(["destroy", "--yes", "--non-interactive", "--skip-preview"]);
  deployed.delete(project);
  project.remove();
}

const driftCheck = (project: TestProject) => project.run(["preview", "--refresh", "--expect-no-changes", "--diff", "--non-interactive"]);

async function expectAnswersFromAll(vip: string, label: string): Promise<void> {
  const counts = await answers(vip, 30);
  console.log(`${label}: ${JSON.stringify(Object.fromEntries(counts))}`);
  expect(counts.get("FAILED")).toBeUndefined();
  expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
}

/** The --diff block of one resource: from its line to the next resource's. */
function diffBlockOf(output: string, resourceName: string): string {
  const lines = output.split("\n");
  const header = /^\s*[~+-]+\s*pulumi-nodejs:dynamic\/[\w-]+:\w+: \(\w+\)/;
  const start = lines.findIndex((l, i) => header.test(l) && lines.slice(i, i + 3).join("\n").includes(`::${resourceName}]`));
  if (start < 0) return "";
  const end = lines.findIndex((l, i) => i > start + 2 && /^\s*[~+\- ]*\s*(pulumi-nodejs:dynamic|pulumi:pulumi|lvs:index):/.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

interface Drift {
  what: string;
  /** Makes the drift on the hosts, by hand. */
  make: () => Promise<unknown>;
  resource: string;
  property: string;
}

/**
 * The GitOps cycle on a deployed project: clean check exits 0; a drift by hand makes it exit
 * non-zero and name the resource and property; refresh records it (the next plain preview
 * shows the repair); up repairs it (the check exits 0 again).
 */
async function driftCycle(project: TestProject, drift: Drift): Promise<void> {
  const clean = await driftCheck(project);
  expect({ code: clean.code, tail: clean.code === 0 ? "" : clean.stdout.slice(-3000) }).toEqual({ code: 0, tail: "" });

  await drift.make();
  const drifted = await driftCheck(project);
  const block = diffBlockOf(drifted.stdout, drift.resource);
  console.log(`drift (${drift.what}): preview --refresh --expect-no-changes exited ${drifted.code}\n${block}`);
  expect(drifted.code).toBe(7); // the CLI's ExitNoChanges: changes proposed under --expect-no-changes
  expect(drifted.stdout + drifted.stderr).toMatch(/no changes were expected/i);
  expect(block).toContain(drift.property);

  const refreshed = await project.ok(["refresh", "--yes", "--non-interactive", "--skip-preview", "--diff"]);
  expect(diffBlockOf(refreshed.stdout, drift.resource)).toContain(drift.property);
  // After the refresh, a plain preview proposes the repair. It names the resource but, for an
  // observed-only property, not the property: a dynamic provider's diff cannot return a
  // detailed diff, so the engine shows the inputs (which did not change).
  const afterRefresh = await project.run(["preview", "--expect-no-changes", "--diff", "--non-interactive"]);
  expect(afterRefresh.code).toBe(7);
  expect(diffBlockOf(afterRefresh.stdout, drift.resource)).toMatch(/: \(update\)/);

  const repaired = await up(project);
  expect(summaryCounts(repaired.stdout).update ?? 0).toBeGreaterThanOrEqual(1);
  expect((await driftCheck(project)).code).toBe(0);
}

/**
 * For the examples after dr-cluster: the GitOps check exits 0 on the fresh deployment. (The
 * drift cycle is the engine's and the provider's behaviour, the same for every example:
 * driftCycle shows it through the CLI on dr-cluster, and each drift these examples could
 * make is read at the provider's level by its own test: a VIP removed by hand in arp.test.ts,
 * ip_forward reset in director.test.ts, a keepalived file edited by hand in keepalived-pair.test.ts.)
 */
async function cleanCheck(project: TestProject): Promise<void> {
  const clean = await driftCheck(project);
  expect({ code: clean.code, tail: clean.code === 0 ? "" : clean.stdout.slice(-3000) }).toEqual({ code: 0, tail: "" });
}

/** A copy of the example (`files`: when it has more than index.ts) with pulumi-lvs installed from the packed tarball, as its README does, and a stack. */
async function exampleProject(example: string, config: Record<string, unknown>, secrets: string[], stack = "lab", files?: string[]): Promise<TestProject> {
  const project = await TestProject.installed(join(REPO_ROOT, "examples", example), files ? { files } : {});
  await project.initStack(stack, config, secrets);
  return project;
}

describe.each([
  {
    example: "dr-cluster",
    vip: "10.77.0.151",
    extra: {},
    cycle: (project: TestProject) =>
      driftCycle(project, {
        what: "arp_ignore reset to 0 on rs2",
        make: () => sh("rs2", "sysctl -qw net.ipv4.conf.all.arp_ignore=0"),
        resource: "web-rs2-arp",
        property: "appliedSysctls",
      }),
  },
  {
    example: "tun-cluster",
    vip: "10.77.0.152",
    extra: { vipInterface: "eth1", services: [{ protocol: "tcp", port: 80, scheduler: "rr" }] },
    cycle: cleanCheck,
  },
])("examples/$example on the real CLI (VIP $vip)", ({ example, vip, extra, cycle }) => {
  (EXTENDED ? it : it.skip)("up answers from every real server; the GitOps check (dr-cluster: its whole cycle through a drift by hand); destroy restores the hosts", async () => {
    const before = await hostSnapshot();
    const project = await exampleProject(
      example,
      { privateKey: labPrivateKey(), vip, director: programHost("dir1"), realServers: REAL_SERVERS.map(programHost), ...extra },
      ["privateKey"],
    );
    await deployedDuring(project, async () => {
      expect(summaryCounts((await up(project)).stdout).create).toBeGreaterThan(0);
      await expectAnswersFromAll(vip, example);
      await cycle(project);
      await expectAnswersFromAll(vip, `${example} after the check`);
      await destroy(project);
      // A tun delete leaves the ipip module loaded (unloading it could break another tunnel on
      // the host), and with it tunl0's default sysctls: that, and only that, may differ.
      const withoutTunl0 = (snap: Record<string, string>) =>
        Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, example === "tun-cluster" ? v.replace(/^net\.ipv4\.conf\.tunl0\.\S+ = 0\n/gm, "") : v]));
      expect(withoutTunl0(await hostSnapshot())).toEqual(withoutTunl0(before));
    });
  }, ENGINE_CYCLE_TIMEOUT_MS);
});

(EXTENDED ? describe : describe.skip)("examples/nat-cluster on the real CLI (VIP 10.77.0.153: dir1 rewrites to the back addresses)", () => {
  it("up with return routes answers from every real server; the GitOps check exits 0; destroy restores the hosts", async () => {
    const vip = "10.77.0.153";
    const before = await hostSnapshot();
    const project = await exampleProject(
      "nat-cluster",
      { privateKey: labPrivateKey(), vip, frontInterface: "eth1", director: backHost("dir1"), realServers: REAL_SERVERS.map(backHost) },
      ["privateKey"],
    );
    await deployedDuring(project, async () => {
      const deployedNow = await up(project);
      expect(deployedNow.stdout.match(/-return-route created/g)?.length).toBe(3);
      await expectAnswersFromAll(vip, "nat-cluster");
      await cleanCheck(project);
      await destroy(project);
      expect(await hostSnapshot()).toEqual(before);
    });
  }, ENGINE_CYCLE_TIMEOUT_MS);
});

(EXTENDED ? describe : describe.skip)("examples/ha-pair on the real CLI (keepalived on dir1 + dir2, VIP 10.77.0.154)", () => {
  it("answers through the VIP; the GitOps check exits 0; destroyed with its VRRP password in no state, export or log", async () => {
    const vip = "10.77.0.154";
    const vrrpPassword = randomBytes(4).toString("hex"); // VRRP PASS auth: at most 8 characters
    const project = await exampleProject(
      "ha-pair",
      {
        privateKey: labPrivateKey(),
        vrrpPassword,
        vip,
        virtualRouterId: "154",
        healthPath: "/", // the lab's web servers serve their name at /
        directors: [programHost("dir1"), programHost("dir2")],
        realServers: REAL_SERVERS.map(programHost),
      },
      ["privateKey", "vrrpPassword"],
    );
    await deployedDuring(project, async () => {
      await up(project);
      // keepalived's HTTP_GET checks bring the real servers in after a delay loop or two.
      let counts = new Map<string, number>();
      for (let i = 0; i < 12 && [...counts.keys()].filter((k) => k !== "FAILED").length < REAL_SERVERS.length; i++) {
        await new Promise((r) => setTimeout(r, 5000));
        counts = await answers(vip, 30);
      }
      console.log(`ha-pair: ${JSON.stringify(Object.fromEntries(counts))}`);
      expect([...counts.keys()].filter((k) => k !== "FAILED").sort()).toEqual([...REAL_SERVERS]);

      await cleanCheck(project);
      // (Failover by power-off is keepalived's, whatever program configured it: keepalived-pair.test.ts
      // shows it under a client loop.)

      // Secrets after the whole cycle: the raw state, `stack export` and the CLI's -v=9 logs
      // hold neither the VRRP password nor the SSH key in clear.
      const exported = (await project.ok(["stack", "export"])).stdout;
      const destroyed = await project.ok(["destroy", "--yes", "--non-interactive", "--skip-preview", "--logflow", "-v=9", "--logtostderr"]);
      deployed.delete(project);
      const haystacks = [...project.backendFiles().map((f) => ({ where: f.path, text: f.text })), { where: "stack export", text: exported }, { where: "destroy -v=9", text: destroyed.stdout + destroyed.stderr }];
      const found = secretsInClear(haystacks, [vrrpPassword, ...labKeyMaterial()]);
      console.log(`ha-pair secret scan: ${haystacks.length} texts, ${haystacks.reduce((n, h) => n + h.text.length, 0)} bytes: ${found.length} finding(s)`);
      expect(exported).toMatch(/"ciphertext"/);
      expect(found).toEqual([]);
      project.remove();
    });
  }, 1_800_000);
});

/** One answer through the L4 and the L7 tier: the HAProxy that answered (its X-Haproxy header) and the web server behind it (the body). */
interface TieredAnswer {
  proxy: string;
  web: string;
}

/** `requests` requests from the lab client to `url`, one after another; undefined for a request that failed (an HTTP error included). */
async function tieredAnswers(url: string, requests: number): Promise<Array<TieredAnswer | undefined>> {
  await run(labConnection("client"), ["ip", "neigh", "flush", "all"]);
  // curl's -w prints the header after the body (the lab's web servers answer with their name and a newline).
  const script = 'for i in $(seq "$1"); do if a=$(curl -fsS --max-time 5 -w "$3" "$2"); then printf "%s\\n" "$a" | tr -d "\\n"; echo; else echo FAILED; fi; done';
  const out = (await run(labConnection("client"), ["sh", "-c", script, "tiered", String(requests), url, " via %header{x-haproxy}"])).stdout;
  return out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      const m = /^(\S+) via (\S+)$/.exec(l);
      return m ? { web: m[1]!, proxy: m[2]! } : undefined;
    });
}

/** haproxy on each real server, as a destroy must put it back: /etc/haproxy, the file's hash, enabled and active. */
async function haproxySnapshot(): Promise<Record<string, string>> {
  const snap: Record<string, string> = {};
  for (const rs of REAL_SERVERS) {
    snap[`${rs} haproxy`] = await sh(rs, "ls -l --time-style=+ /etc/haproxy; sha256sum /etc/haproxy/haproxy.cfg; systemctl is-enabled haproxy; systemctl is-active haproxy; true");
  }
  return snap;
}

/** A hand edit of rs2's haproxy.cfg: the GitOps check exits 7 naming `config`, and `up --refresh` repairs it. */
async function haproxyDriftRepaired(project: TestProject): Promise<void> {
  await sh("rs2", "echo '# edited by hand' >>/etc/haproxy/haproxy.cfg");
  const drifted = await driftCheck(project);
  const block = diffBlockOf(drifted.stdout, "proxy2-haproxy");
  console.log(`lvs-haproxy drift (haproxy.cfg edited on rs2): preview --refresh --expect-no-changes exited ${drifted.code}\n${block}`);
  expect(drifted.code).toBe(7);
  expect(block).toMatch(/\bconfig\s*: /); // the CLI pads property names to a column
  // A preview does not save its refresh: the repair refreshes as it updates.
  const repaired = await project.ok(["up", "--refresh", "--yes", "--non-interactive", "--skip-preview"]);
  expect(summaryCounts(repaired.stdout).update ?? 0).toBeGreaterThanOrEqual(1);
  // Repaired: the same file as the proxies nobody edited (a second GitOps check would cost CI half a minute more).
  expect(await sh("rs2", "cat /etc/haproxy/haproxy.cfg")).toBe(await sh("rs1", "cat /etc/haproxy/haproxy.cfg"));
}

describe("examples/lvs-haproxy on the real CLI (keepalived on dir1 + dir2, VIP 10.77.0.159)", () => {
  it(`every proxy's HAProxy answers through the VIP on 8080, from every web server; the GitOps check exits 0${EXTENDED ? ", a hand edit of haproxy.cfg exits 7 and up --refresh repairs it" : ""}; destroy puts haproxy back as it was, with no key in state or logs`, async () => {
    const vip = "10.77.0.159";
    const url = `http://${vip}:8080/`;
    const vrrpPassword = randomBytes(4).toString("hex"); // VRRP PASS auth: at most 8 characters
    const snapshot = async () => ({ ...(await hostSnapshot()), ...(await haproxySnapshot()) });
    const before = await snapshot();
    // The lab image installs haproxy disabled (test/lab/build-image.sh): the example starts it, destroy stops it again.
    for (const rs of REAL_SERVERS) expect(before[`${rs} haproxy`]).toMatch(/\ndisabled\ninactive\n$/);
    const project = await exampleProject(
      "lvs-haproxy",
      {
        privateKey: labPrivateKey(),
        vrrpPassword,
        vip,
        virtualRouterId: "159",
        directors: [programHost("dir1"), programHost("dir2")],
        realServers: REAL_SERVERS.map(programHost),
      },
      ["privateKey", "vrrpPassword"],
      "lab",
      ["Pulumi.yaml", "index.ts", "haproxyConfig.ts", "haproxyTier.ts", "package.json", "tsconfig.json"],
    );
    await deployedDuring(project, async () => {
      const deployedNow = await up(project);
      expect(deployedNow.stdout.match(/-haproxy created/g)?.length).toBe(REAL_SERVERS.length);
      for (const rs of REAL_SERVERS) expect(await sh(rs, "systemctl is-enabled haproxy; systemctl is-active haproxy")).toBe("enabled\nactive\n");

      // keepalived's HTTP_GET checks of each HAProxy's /healthz bring the proxies in after a delay loop or two.
      const complete = (seen: Array<TieredAnswer | undefined>) => REAL_SERVERS.every((rs) => seen.some((a) => a?.proxy === rs) && seen.some((a) => a?.web === rs));
      let seen: Array<TieredAnswer | undefined> = [];
      for (let i = 0; i < 12 && !complete(seen); i++) {
        await new Promise((r) => setTimeout(r, 5000));
        seen = await tieredAnswers(url, 30);
      }
      const answered = await tieredAnswers(url, 30);
      const pairs = new Map<string, number>();
      for (const label of answered.map((a) => (a ? `${a.proxy}->${a.web}` : "FAILED"))) pairs.set(label, (pairs.get(label) ?? 0) + 1);
      console.log(`lvs-haproxy (HAProxy->web server): ${JSON.stringify(Object.fromEntries(pairs))}`);
      expect(answered.filter((a) => a === undefined)).toHaveLength(0);
      expect([...new Set(answered.map((a) => a!.proxy))].sort()).toEqual([...REAL_SERVERS]); // L4: LVS reached every HAProxy
      expect([...new Set(answered.map((a) => a!.web))].sort()).toEqual([...REAL_SERVERS]); // L7: HAProxy reached every web server
      expect(answered.some((a) => a!.proxy !== a!.web)).toBe(true); // the tiers are independent: a proxy answers for another host's web server
      // What keepalived asks each HAProxy (answered by HAProxy itself, monitor-uri).
      expect((await run(labConnection("client"), ["curl", "-fsS", "-o", "/dev/null", "-w", "%{http_code}", `${url}healthz`])).stdout).toBe("200");

      await cleanCheck(project);
      // With LVS_EXTENDED=1: a hand edit of one proxy's haproxy.cfg (read returns the live
      // file, so the check names it) and its repair, about a minute and a half of CI's time.
      if (EXTENDED) await haproxyDriftRepaired(project);

      // The proxies' connections carry the SSH key too: neither it nor the VRRP password is in
      // the raw state, `stack export` or the CLI's -v=9 logs.
      const exported = (await project.ok(["stack", "export"])).stdout;
      const destroyed = await project.ok(["destroy", "--yes", "--non-interactive", "--skip-preview", "--logflow", "-v=9", "--logtostderr"]);
      deployed.delete(project);
      const haystacks = [...project.backendFiles().map((f) => ({ where: f.path, text: f.text })), { where: "stack export", text: exported }, { where: "destroy -v=9", text: destroyed.stdout + destroyed.stderr }];
      expect(secretsInClear(haystacks, [vrrpPassword, ...labKeyMaterial()])).toEqual([]);
      // Each proxy's haproxy.cfg back byte for byte, haproxy disabled and stopped again, nothing left in /etc/haproxy.
      expect(await snapshot()).toEqual(before);
      project.remove();
    });
  }, 1_800_000);
});

(EXTENDED ? describe : describe.skip)("examples/gitops: the workflow's command, verbatim, on the real CLI (VIP 10.77.0.155)", () => {
  // What .github/workflows/drift.yml runs (pulumi/actions: command preview, refresh,
  // expect-no-changes, diff) and its README gives as the command line.
  const WORKFLOW_COMMAND = ["preview", "--refresh", "--expect-no-changes", "--diff"];

  it("exits 0 on the unchanged cluster and non-zero once a weight is changed by hand", async () => {
    const vip = "10.77.0.155";
    const project = await exampleProject("gitops", { privateKey: labPrivateKey(), vip, interface: "eth1", director: programHost("dir1"), realServers: REAL_SERVERS.map(programHost) }, ["privateKey"], "prod");
    await deployedDuring(project, async () => {
      await up(project);
      await expectAnswersFromAll(vip, "gitops");

      const unchanged = await project.run(WORKFLOW_COMMAND);
      console.log(`gitops, unchanged cluster: exit ${unchanged.code}`);
      expect(unchanged.code).toBe(0);

      await run(labConnection("dir1"), ["ipvsadm", "-e", "-t", `${vip}:80`, "-r", "10.77.0.22:80", "-g", "-w", "0"]);
      const drifted = await project.run(WORKFLOW_COMMAND);
      console.log(`gitops, weight 0 by hand on rs2: exit ${drifted.code}\n${diffBlockOf(drifted.stdout, "web-rs2-tcp-80")}`);
      expect(drifted.code).toBe(7); // the CLI's ExitNoChanges: changes proposed under --expect-no-changes
      expect(diffBlockOf(drifted.stdout, "web-rs2-tcp-80")).toMatch(/weight/);
      await destroy(project);
    });
  }, ENGINE_CYCLE_TIMEOUT_MS);
});
