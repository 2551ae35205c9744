// The only part of the Director that touches a host: the probe, one batch of operations,
// and the opt-in package install. Everything it sends is an argv from probe.ts,
// render.ts and batch.ts.

import { exec, run, type SshConnection } from "../ssh";
import { batchArgv, commandsStderr, failedSteps } from "../resource/commandBatch";
import { parsePreviousRecord, type LiveDirector } from "./model";
import type { DirectorOp } from "./plan";
import { parseProbeOutput, probeArgv } from "./probe";
import { describeOp, renderOp } from "./render";

/**
 * Probes the host for these sysctls (and everything else the Director looks at). When the
 * host's record of previous values names sysctls we did not ask for (a Director whose
 * interfaces changed, then adopted or imported), probes once more so that they can be
 * restored too: one round trip in the usual case.
 */
export async function probeDirector(connection: SshConnection, action: "load" | "read", sysctlNames: readonly string[]): Promise<LiveDirector> {
  const names = [...new Set(sysctlNames)].sort();
  const live = parseProbeOutput((await run(connection, probeArgv(action, names))).stdout);
  const recorded = Object.keys(parsePreviousRecord(live.files.previous) ?? {});
  const more = recorded.filter((k) => !names.includes(k));
  if (more.length === 0) return live;
  return parseProbeOutput((await run(connection, probeArgv(action, [...names, ...more]))).stdout);
}

export type BatchOutcome = { ok: true } | { ok: false; step: string; exitCode: number; stderr: string };

/**
 * Runs the operations in order in one round trip. `stop` stops at the first failure
 * (later steps depend on earlier ones); `continue` is for best-effort cleanup.
 */
export async function applyDirectorOps(connection: SshConnection, ops: readonly DirectorOp[], policy: "stop" | "continue" = "stop"): Promise<BatchOutcome> {
  if (ops.length === 0) return { ok: true };
  const result = await exec(connection, batchArgv(ops.map(renderOp), policy));
  if (result.exitCode === 0) return { ok: true };
  const failed = failedSteps(result.stderr);
  const first = failed[0];
  const steps = failed.map((f) => ops[f.step - 1]).filter((op): op is DirectorOp => op !== undefined);
  return {
    ok: false,
    step: steps.length > 0 ? steps.map(describeOp).join("; ") : "the batch of changes",
    exitCode: first?.exitCode ?? result.exitCode,
    stderr: commandsStderr(result.stderr),
  };
}

const INSTALL_IPVSADM_SCRIPT = `if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  # Package lists may be missing or stale on a fresh host: refresh once, only if needed.
  apt-get install -y ipvsadm || { apt-get update && apt-get install -y ipvsadm; }
elif command -v dnf >/dev/null 2>&1; then
  dnf install -y ipvsadm
else
  echo "neither apt-get nor dnf is available" >&2
  exit 3
fi`;

export function installIpvsadmArgv(): string[] {
  return ["sh", "-c", INSTALL_IPVSADM_SCRIPT, "pulumi-lvs-install-ipvsadm"];
}

/** Installs ipvsadm with the host's package manager (installIpvsadm: true). */
export async function installIpvsadm(connection: SshConnection): Promise<{ exitCode: number; stderr: string }> {
  const result = await exec(connection, installIpvsadmArgv(), { timeoutMs: 600_000 });
  return { exitCode: result.exitCode, stderr: result.stderr };
}
