// The only part of the Director that touches a host: the probe (alone, for a read), the
// probe with the operations planned from it in the same remote command (every change),
// and the opt-in package install. Everything it sends is an argv from probe.ts, render.ts
// and commandBatch.ts.

import { exec, run, type SshConnection } from "../ssh";
import { commandsOnStdin, commandsStderr, failedSteps } from "../resource/commandBatch";
import { parsePreviousRecord, type LiveDirector } from "./model";
import type { DirectorOp } from "./plan";
import { APPLY_REQUEST, parseProbeOutput, probeArgv, probePartOf, probeThenApplyArgv } from "./probe";
import { DirectorParseError } from "./errors";
import { describeOp, renderOp } from "./render";

/**
 * Probes the host for these sysctls (and everything else the Director looks at). When the
 * host's record of previous values names sysctls we did not ask for (a Director whose
 * interfaces changed, then adopted or imported), probes once more so that they can be
 * restored too: one round trip in the usual case.
 */
export async function probeDirector(connection: SshConnection, action: "load" | "read", sysctlNames: readonly string[]): Promise<LiveDirector> {
  const names = sortedNames(sysctlNames);
  const live = parseProbeOutput((await run(connection, probeArgv(action, names))).stdout);
  const more = recordedBeyond(live, names);
  if (more.length === 0) return live;
  return parseProbeOutput((await run(connection, probeArgv(action, [...names, ...more]))).stdout);
}

const sortedNames = (names: readonly string[]) => [...new Set(names)].sort();

/** Sysctls the host's record of previous values names that the probe did not read. */
function recordedBeyond(live: LiveDirector, names: readonly string[]): string[] {
  return Object.keys(parsePreviousRecord(live.files.previous) ?? {}).filter((k) => !names.includes(k));
}

export type BatchOutcome = { ok: true } | { ok: false; step: string; exitCode: number; stderr: string };

/** The probe named sysctls beyond those asked for: probe again with them before planning. */
class ProbeAgain extends Error {
  constructor(readonly more: string[]) {
    super("the director's record names more sysctls than were probed");
  }
}

/**
 * Probes the host and applies what `plan` makes of it in one round trip: `plan` turns what
 * was found into operations (or throws, and then nothing changes), and they run in the
 * same remote command, in order. `stop` stops at the first failure (later steps depend on
 * earlier ones); `continue` runs every step, for best-effort cleanup. When the host's record
 * names sysctls that were not asked for, it probes once more, as probeDirector does.
 */
export async function probeAndApply(
  connection: SshConnection,
  action: "load" | "read",
  sysctlNames: readonly string[],
  plan: (live: LiveDirector) => readonly DirectorOp[],
  policy: "stop" | "continue" = "stop",
): Promise<{ live: LiveDirector; outcome: BatchOutcome }> {
  const names = sortedNames(sysctlNames);
  const planned: { live?: LiveDirector; ops?: readonly DirectorOp[] } = {};
  let result;
  try {
    // Each field of the answer may take as long as the command may.
    const replyWaitSeconds = Math.max(1, Math.ceil(connection.timeouts.commandMs / 1000));
    result = await exec(connection, probeThenApplyArgv(replyWaitSeconds, policy, action, names), {
      answer: {
        marker: APPLY_REQUEST,
        reply: (stdoutSoFar) => {
          const live = parseProbeOutput(probePartOf(stdoutSoFar));
          const more = recordedBeyond(live, names);
          if (more.length > 0) throw new ProbeAgain(more);
          planned.live = live;
          planned.ops = plan(live);
          return commandsOnStdin(planned.ops.map(renderOp));
        },
      },
    });
  } catch (err) {
    if (err instanceof ProbeAgain) return probeAndApply(connection, action, [...names, ...err.more], plan, policy);
    throw err;
  }
  const { live, ops } = planned;
  // The script asks before it changes anything; an exit without asking is the probe failing.
  if (!live || !ops) throw new DirectorParseError(`the director probe ended without asking for its changes (exit ${result.exitCode}): ${result.stderr.trim()}`, result.stdout);
  return { live, outcome: outcomeOf(ops, result) };
}

/** What the changes' exit status and stderr say about the operations. */
function outcomeOf(ops: readonly DirectorOp[], result: { exitCode: number; stderr: string }): BatchOutcome {
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
