// SIGKILL for a whole `pulumi up`: the wrapper, the CLI and every plugin it started. The
// CLI starts its plugins (the dynamic-provider process among them) outside the run's process
// group, so killing the group alone left the provider process running, for hours, after
// the CLI was gone: the tree is found through /proc's parent links and killed pid by pid.

import { readdirSync, readFileSync } from "fs";

function parentOf(pid: number): number | undefined {
  try {
    // The command name (field 2) may hold spaces; the parent is the second field after it.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined; // gone meanwhile
  }
}

/** `root` and every process descended from it, root first. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** SIGKILL `root` and all its descendants at once (collected first, so none is reparented away). */
export function killProcessTree(root: number): number[] {
  const tree = processTree(root);
  for (const pid of tree) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return tree;
}

/** The process's start time (clock ticks after boot): with the pid, who it is (pids are reused). */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Field 3 after the name is the state; a zombie has exited, only its parent has not reaped it.
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** A killed process, as it was when the kill was sent. */
export interface KilledProcess {
  pid: number;
  startTime: string | undefined;
}

/** killProcessTree, remembering who each process was, for stillAlive. */
export function killProcessTreeNoting(root: number): KilledProcess[] {
  const noted = processTree(root).map((pid) => ({ pid, startTime: startTimeOf(pid) }));
  killProcessTree(root);
  return noted;
}

/**
 * The killed processes still running after up to `waitMs`: SIGKILL is not instant (a process
 * exits once the kernel has torn it down, a large heap taking a while), so a check made the
 * moment the run's wrapper exits can find the provider process still on its way out.
 */
export async function stillAlive(killed: readonly KilledProcess[], waitMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alive = killed.filter((k) => k.startTime !== undefined && startTimeOf(k.pid) === k.startTime).map((k) => k.pid);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}
