// The lab stack without the Pulumi CLI: the root program (Pulumi.yaml → program/index.ts)
// with Pulumi.lab.yaml's config, run through the program runner (the SDK's mocks, every
// dynamic resource forwarded to the SDK's real dynamic-provider host, in the engine's
// order). State: .pulumi-state/lab.json (gitignored; secrets encrypted, key beside it).
//
//   node test/support/engine/register-ts.js scripts/deploy-lab.ts up|preview|refresh|destroy|check
//
// `up` and `check` then prove the cluster answers: 12 requests from the lab's client to
// the VIP, and which real servers answered.

import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { join, resolve } from "path";
import { runProgram, type Operation } from "../test/support/engine/programRunner";

const REPO = resolve(__dirname, "..");
const STACK_CONFIG = join(REPO, "Pulumi.lab.yaml");
const STATE = join(REPO, ".pulumi-state", "lab.json");
const REQUESTS = 12;

function labVip(): string {
  const yaml = require("js-yaml") as { load(text: string): { config: Record<string, unknown> } };
  return String(yaml.load(readFileSync(STACK_CONFIG, "utf8")).config["lvs:vip"]);
}

function expectedRealServers(): string[] {
  const yaml = require("js-yaml") as { load(text: string): { config: Record<string, unknown> } };
  return (yaml.load(readFileSync(STACK_CONFIG, "utf8")).config["lvs:realServers"] as Array<{ name: string }>).map((r) => r.name);
}

/** 12 requests from the lab client to the VIP; exits non-zero unless every real server answered and none failed. */
function check(): void {
  const vip = labVip();
  const script = `for i in $(seq ${REQUESTS}); do curl -s --max-time 5 http://${vip}/ || echo FAILED; done`;
  const out = execFileSync("bash", [join(REPO, "test", "lab", "lab.sh"), "ssh", "client", script], { encoding: "utf8" });
  const counts = new Map<string, number>();
  for (const line of out.split("\n").map((l) => l.trim()).filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
  console.log(`\n${REQUESTS} requests from the lab client to http://${vip}/:`);
  for (const [who, n] of [...counts].sort()) console.log(`    ${who}: ${n}`);
  const missing = expectedRealServers().filter((rs) => !counts.has(rs));
  if (counts.has("FAILED") || missing.length > 0) {
    console.error(`the VIP does not answer from every real server (${missing.length > 0 ? `missing: ${missing.join(", ")}` : "some requests failed"})`);
    process.exit(1);
  }
  console.log(`every real server answered (${[...counts.keys()].join(", ")}): the lab stack works`);
}

async function main(): Promise<void> {
  const op = (process.argv[2] ?? "up") as Operation | "check";
  if (op !== "check") {
    if (!["up", "preview", "refresh", "destroy"].includes(op)) throw new Error(`unknown operation ${op}: up, preview, refresh, destroy or check`);
    console.log(`No Pulumi CLI here: running ${op} of the lab stack through the engine-path program runner (state: ${STATE})`);
    await runProgram({ programPath: REPO, stackConfigFile: STACK_CONFIG, stack: "lab", stateFile: STATE, operation: op, stream: true });
  }
  if (op === "up" || op === "check") check();
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.name === "ProgramRunError" ? err.message.split("\n--- output ---")[0] : err.stack) : err);
  process.exit(1);
});
