// One provider call (test/support/faults/providerProcess.js) in a process of its own, cut
// for real at a chosen remote step: the process is SIGKILLed (a killed `pulumi up`), or the
// host's sshd sessions are (a dropped connection). stepHook.js, preloaded, announces the
// step as it is sent; the cut lands wherever it lands (before, during or after the command
// runs on the host). Without a fault it only counts the steps.

import { spawn } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { SshdSessionKiller } from "./sshdSessions";

export type Fault = "drop" | "kill";

const RUNNER = join(__dirname, "providerProcess.js");
const STEP_HOOK = join(__dirname, "stepHook.js");

export interface CallOutcome {
  /** The call returned (its result), threw (its error), or never answered (killed). */
  answer: { ok: true; result: any } | { ok: false; error: string } | undefined;
  /** Remote commands the call sent (one line each: step, pid, target). */
  steps: string[];
  /** The lab host the cut step went to. */
  cutHost?: string;
}

export class ProviderCallCutter {
  private readonly dir = mkdtempSync(join(tmpdir(), "lvs-cut-"));
  readonly killer = new SshdSessionKiller();

  async call(kind: string, method: string, args: unknown[], fault?: { kind: Fault; step: number }): Promise<CallOutcome> {
    const runDir = join(this.dir, "run");
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir);
    const child = spawn(process.execPath, ["--require", STEP_HOOK, RUNNER], {
      env: { ...process.env, LVS_FAULT_DIR: runDir, LVS_FAULT_STEP: String(fault?.step ?? 0) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
    child.stdin.end(JSON.stringify({ kind, method, args }));

    let cutHost: string | undefined;
    let done = false;
    void exited.then(() => (done = true));
    if (fault) {
      const marker = join(runDir, "cut");
      while (!done && !existsSync(marker)) await new Promise((r) => setTimeout(r, 5));
      if (existsSync(marker)) {
        cutHost = SshdSessionKiller.hostOf(readFileSync(marker, "utf8").split("\t")[2]!.trim());
        if (fault.kind === "kill") child.kill("SIGKILL");
        else await this.killer.drop(cutHost);
      }
    }
    await exited;
    const log = join(runDir, "steps.log");
    const steps = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    const line = stdout.trim().split("\n").pop();
    let answer: CallOutcome["answer"];
    try {
      answer = line ? JSON.parse(line) : undefined;
    } catch {
      answer = { ok: false, error: `unreadable answer: ${line}\n${stderr.slice(-2000)}` };
    }
    return { answer, steps, ...(cutHost ? { cutHost } : {}) };
  }

  close(): void {
    this.killer.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
