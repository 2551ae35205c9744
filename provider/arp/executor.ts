// The only part of the RealServerArpConfig that touches a host: the probe, and one batch
// of operations run under the host registry's lock. Everything it sends is an argv from
// probe.ts, render.ts and the Director's batch.ts.

import { describeConnection, exec, run, type SshConnection } from "../ssh";
import { hostLockFailure } from "../resource/hostLock";
import { batchArgv, commandsStderr, failedSteps } from "../resource/commandBatch";
import type { LiveArp } from "./model";
import type { ArpOp } from "./plan";
import { arpProbeArgv, parseArpProbeOutput } from "./probe";
import { describeArpOp, lockedArgv, renderArpOp } from "./render";

export async function probeArp(connection: SshConnection, action: "load-ipip" | "read", key: string, sysctlNames: readonly string[]): Promise<LiveArp> {
  const names = [...new Set(sysctlNames)].sort();
  return parseArpProbeOutput((await run(connection, arpProbeArgv(action, key, names))).stdout);
}

export type ArpBatchOutcome = { ok: true } | { ok: false; step: string; exitCode: number; stderr: string };

/** The argv of a whole plan: one batch, holding the registry's lock. */
export function arpBatchArgv(ops: readonly ArpOp[], policy: "stop" | "continue" = "stop"): string[] {
  return lockedArgv(batchArgv(ops.map(renderArpOp), policy));
}

export async function applyArpOps(connection: SshConnection, ops: readonly ArpOp[], policy: "stop" | "continue" = "stop"): Promise<ArpBatchOutcome> {
  if (ops.length === 0) return { ok: true };
  const result = await exec(connection, arpBatchArgv(ops, policy), { timeoutMs: 180_000 });
  if (result.exitCode === 0) return { ok: true };
  // The lock was never taken: nothing ran. Say who holds it instead of naming a step.
  const lock = hostLockFailure(describeConnection(connection), result.exitCode, result.stderr);
  if (lock) throw lock;
  const failed = failedSteps(result.stderr);
  const steps = failed.map((f) => ops[f.step - 1]).filter((op): op is ArpOp => op !== undefined);
  return {
    ok: false,
    step: steps.length > 0 ? steps.map(describeArpOp).join("; ") : "the batch of changes (or taking the registry's lock)",
    exitCode: failed[0]?.exitCode ?? result.exitCode,
    stderr: commandsStderr(result.stderr),
  };
}
