// The engine's floor (issue 13: what bounds the engine's figures): `pulumi up`, `preview
// --refresh`, a one-weight `up` and `destroy` of N resources shaped like RealServers whose
// dynamic provider does nothing (bench/programs/floor), at the engine's default
// `--parallel` and with `--parallel` above N. No host is touched, so every second and byte
// here is the engine's, the SDK's and the file backend's: the cost under any dynamic
// provider, ours included. Per run: wall time, the checkpoint's size, the bytes the CLI
// wrote to files, the dynamic-provider host's peak RSS. Prints and writes JSON; asserts
// nothing. Needs no lab.
"use strict";
const path = require("path");
const { REPO, watched, benchProject } = require("./engine");
const { saveRuns, today } = require("./results");

const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000").split(",").map(Number);
const WAYS = (process.env.BENCH_FLOOR_WAYS ?? "floor,floor-wide").split(",");
const OUT = process.env.BENCH_JSON ?? path.join(REPO, "bench", "results", "engine-floor.json");
// The same length as the lab's ed25519 key file; never a key.
const NOT_A_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${"A".repeat(340)}\n-----END OPENSSH PRIVATE KEY-----\n`;

const saved = [];

async function floor(way, n) {
  const parallel = way === "floor-wide" ? ["--parallel", String(n + 16)] : [];
  const project = await benchProject("floor");
  const measured = async (phase, args) => {
    const started = Date.now();
    const extra = await watched(project.pulumi(args));
    const row = { way, phase, n, date: today(), wallMs: Date.now() - started, checkpointKb: Math.round(project.checkpointBytes() / 1024), ...extra };
    console.log(JSON.stringify(row));
    saved.push(row);
    saveRuns(OUT, saved, (r) => `${r.way} ${r.phase} ${r.n}`);
  };
  try {
    await project.pulumi(["config", "set", "count", String(n)]);
    await project.pulumi(["config", "set", "hostKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDhiBzllqMkL4fd1gE/reVZZPqKCXx8H7wMvES5lMcY7"]);
    await project.pulumi(["config", "set", "--secret", "privateKey"], NOT_A_KEY);
    await measured("up", ["up", "--yes", "--non-interactive", "--skip-preview", ...parallel]);
    await measured("refresh", ["preview", "--refresh", "--expect-no-changes", "--non-interactive", ...parallel]);
    await project.pulumi(["config", "set", "changeWeightOfFirst", "11"]);
    await measured("change1", ["up", "--yes", "--non-interactive", "--skip-preview", ...parallel]);
    await measured("destroy", ["destroy", "--yes", "--non-interactive", "--skip-preview", ...parallel]);
  } finally {
    project.remove();
  }
}

async function main() {
  for (const n of SIZES) for (const way of WAYS) await floor(way, n);
  console.log(`wrote ${saved.length} runs to ${OUT}`);
}

main().catch((err) => {
  console.error(err.stack ?? err);
  process.exitCode = 1;
});
