// The director at scale (issue 13): N RealServers on dir1, N = 10, 100, 1000 (BENCH_SIZES),
// as the lab is and with 25 ms each way added inside dir1 (BENCH_DELAYS_MS), measured
// three ways side by side:
//   - limit: what SSH-driven IPVS cannot beat: one handshake, the whole table in one
//     `ipvsadm -R` (up), one `ipvsadm -S` (refresh), one `ipvsadm -e` (change1: one
//     weight changed), one `ipvsadm -D` (destroy);
//   - ours: the provider, in a process of its own as the engine runs it (provider-phase.js),
//     and the real engine (`pulumi up`, `pulumi preview --refresh`, `pulumi destroy` of an
//     LvsCluster with N real servers: bench/programs/scale);
//   - baseline: what users do today, as @pulumi/command's remote.Command does it: a fresh
//     `ssh` process (a handshake) and one command per resource and operation, 10 at a time
//     (the engine would start them all at once, `--parallel` being unbounded by default, but
//     sshd's MaxStartups 10:30:100 starts refusing unauthenticated connections past 10).
//     remote.Command's refresh runs nothing (it cannot see drift), so neither does ours here.
// Handshakes and remote commands are counted on dir1 (sshd's log), bytes on its management
// interface; wall time and peak RSS here. Prints each run and writes them as JSON; asserts
// nothing.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const { processRun: process_, watched, benchProject } = require("./engine");
const { saveRuns, today } = require("./results");
const { REPO, inventory, connectionTo, hostCounter, verboseSshd, delay, run: runOnHost, closeSshPool } = require("./lab");

const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000").split(",").map(Number);
const DELAYS = (process.env.BENCH_DELAYS_MS ?? "0,25").split(",").map(Number);
const WAYS = (process.env.BENCH_WAYS ?? "limit,provider,engine,engine-wide,baseline").split(",");
const OUT = process.env.BENCH_JSON ?? path.join(REPO, "bench", "results", "director-scale.json");
const VIP = "10.77.0.161";
const BASELINE_PARALLEL = 10;
const dir1 = connectionTo("dir1");
const address = (i) => `10.78.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** The runs measured so far, saved after each (bench/results.js). */
const saved = [];
const runKey = (r) => `${r.way} ${r.phase} ${r.n} ${r.delayMs}`;

/** Runs `body` between two counter reads on dir1; its wall time too. */
async function measured(way, phase, n, delayMs, body) {
  const counter = await hostCounter(dir1);
  const started = Date.now();
  const extra = (await body()) ?? {};
  const wallMs = Date.now() - started;
  const counts = await counter.stop();
  const row = { way, phase, n, delayMs, date: today(), wallMs, ...counts, ...extra };
  console.log(JSON.stringify(row));
  saved.push(row);
  saveRuns(OUT, saved, runKey);
  return row;
}

const limitRules = (n) => [`-A -t ${VIP}:80 -s wrr`, ...Array.from({ length: n }, (_, i) => `-a -t ${VIP}:80 -r ${address(i)}:8080 -m -w ${1 + (i % 5)}`)].join("\n") + "\n";

async function limit(n, delayMs) {
  // What the host answered is not part of the row (the refresh's is the whole table).
  const run = (connection, argv, options) => runOnHost(connection, argv, options).then(() => undefined);
  await measured("limit", "up", n, delayMs, () => run(dir1, ["ipvsadm", "-R"], { stdin: limitRules(n) }));
  await measured("limit", "refresh", n, delayMs, () => run(dir1, ["ipvsadm", "-S", "-n"]));
  await measured("limit", "change1", n, delayMs, () => run(dir1, ["ipvsadm", "-e", "-t", `${VIP}:80`, "-r", `${address(0)}:8080`, "-m", "-w", "11"]));
  await measured("limit", "destroy", n, delayMs, () => run(dir1, ["ipvsadm", "-D", "-t", `${VIP}:80`]));
}

async function provider(n, delayMs) {
  const state = path.join(os.tmpdir(), `lvs-bench-${process.pid}.json`);
  for (const phase of ["up", "refresh", "change1", "destroy"]) {
    await measured("provider", phase, n, delayMs, async () => {
      const { stdout } = await process_(process.execPath, [path.join(__dirname, "provider-phase.js"), phase, String(n), state, VIP]);
      const r = JSON.parse(stdout.trim().split("\n").pop());
      return { maxRssMb: r.maxRssMb, batches: r.batches, tableReads: r.tableReads };
    });
  }
  fs.rmSync(state, { force: true });
}

/** A fresh ssh process per command, as remote.Command does, BASELINE_PARALLEL at a time. */
async function baseline(n, delayMs) {
  const inv = inventory();
  const host = inv.hosts.find((h) => h.name === "dir1");
  const knownHosts = path.join(os.tmpdir(), `lvs-bench-known-${process.pid}`);
  fs.writeFileSync(knownHosts, `[${host.ssh.host}]:${host.ssh.port} ${host.hostKey}\n`);
  const ssh = (argv) =>
    process_("ssh", ["-q", "-i", inv.sshKey.privateKeyPath, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-p", String(host.ssh.port), `root@${host.ssh.host}`, "--", ...argv]);
  const pool = async (count, f) => {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(BASELINE_PARALLEL, count) }, async () => {
      while (next < count) await f(next++);
    }));
  };
  await measured("baseline", "up", n, delayMs, async () => {
    await ssh(["ipvsadm", "-A", "-t", `${VIP}:80`, "-s", "wrr"]);
    await pool(n, (i) => ssh(["ipvsadm", "-a", "-t", `${VIP}:80`, "-r", `${address(i)}:8080`, "-m", "-w", String(1 + (i % 5))]));
  });
  await measured("baseline", "refresh", n, delayMs, async () => undefined);
  await measured("baseline", "change1", n, delayMs, () => ssh(["ipvsadm", "-e", "-t", `${VIP}:80`, "-r", `${address(0)}:8080`, "-m", "-w", "11"]).then(() => undefined));
  await measured("baseline", "destroy", n, delayMs, async () => {
    await pool(n, (i) => ssh(["ipvsadm", "-d", "-t", `${VIP}:80`, "-r", `${address(i)}:8080`]));
    await ssh(["ipvsadm", "-D", "-t", `${VIP}:80`]);
  });
  fs.rmSync(knownHosts, { force: true });
}

/**
 * The real engine on an LvsCluster of N real servers (bench/programs/scale), with the
 * engine's default parallelism (`--parallel`: 4 per CPU, 8 on the lab machine), which
 * bounds how many operations reach the provider at once and so how many share a batch or a
 * read.
 */
function engine(n, delayMs) {
  return engineWith([], "engine", n, delayMs);
}

/** The same with `--parallel` above N: every operation of a step reaches the provider at once. */
function engineWide(n, delayMs) {
  return engineWith(["--parallel", String(n + 16)], "engine-wide", n, delayMs);
}

async function engineWith(parallel, way, n, delayMs) {
  const project = await benchProject("scale");
  const pulumi = project.pulumi;
  const inv = inventory();
  const host = inv.hosts.find((h) => h.name === "dir1");
  await pulumi(["config", "set", "count", String(n)]);
  await pulumi(["config", "set", "vip", VIP]);
  await pulumi(["config", "set", "--path", "director.host", host.ssh.host]);
  await pulumi(["config", "set", "--path", "director.port", String(host.ssh.port)]);
  await pulumi(["config", "set", "--path", "director.hostKey", host.hostKey]);
  await pulumi(["config", "set", "--secret", "privateKey"], fs.readFileSync(inv.sshKey.privateKeyPath, "utf8"));
  try {
    await measured(way, "up", n, delayMs, () => watched(pulumi(["up", "--yes", "--non-interactive", "--skip-preview", ...parallel])));
    await measured(way, "refresh", n, delayMs, () => watched(pulumi(["preview", "--refresh", "--expect-no-changes", "--non-interactive", ...parallel])));
    await pulumi(["config", "set", "changeWeightOfFirst", "11"]);
    await measured(way, "change1", n, delayMs, () => watched(pulumi(["up", "--yes", "--non-interactive", "--skip-preview", ...parallel])));
  } finally {
    await measured(way, "destroy", n, delayMs, () => watched(pulumi(["destroy", "--yes", "--non-interactive", "--skip-preview", ...parallel])));
    project.remove();
  }
}

const WAY_RUNNERS = { limit, provider, engine, "engine-wide": engineWide, baseline };

async function main() {
  if (spawnSync("test", ["-f", path.join(REPO, "dist", "provider", "registry.js")]).status !== 0) throw new Error("run `npm run build` first");
  await verboseSshd(dir1, true);
  try {
    for (const delayMs of DELAYS) {
      await delay(dir1, delayMs);
      try {
        for (const n of SIZES) for (const way of WAYS) await WAY_RUNNERS[way](n, delayMs);
      } finally {
        await delay(dir1, 0);
      }
    }
  } finally {
    await runOnHost(dir1, ["sh", "-c", `ipvsadm -D -t ${VIP}:80 2>/dev/null; true`]).catch(() => undefined);
    await verboseSshd(dir1, false);
    await closeSshPool();
    console.log(`wrote ${saved.length} runs to ${OUT}${process.env.BENCH_MERGE === "1" ? " (merged with the runs it did not measure)" : ""}`);
  }
}

main().catch((err) => {
  console.error(err.stack ?? err);
  process.exitCode = 1;
});
