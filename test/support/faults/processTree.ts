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
