// The engine-interrupt test's kill of a whole run (test/support/faults/processTree.ts), on
// real processes of this machine: a tree of shells and sleeps, killed, waited for.

import { spawn } from "child_process";
import { readFileSync } from "fs";
import { killProcessTreeNoting, processTree, stillAlive } from "../../support/faults/processTree";

it("kills a process and its descendants, and waits until none is left running", async () => {
  const root = spawn("sh", ["-c", "sleep 300 & sleep 300 & wait"], { stdio: "ignore" });
  // On a busy machine the shell may take a while to start both children.
  for (let waited = 0; processTree(root.pid!).length < 3 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  expect(processTree(root.pid!).length).toBe(3);
  const killed = killProcessTreeNoting(root.pid!);
  expect(killed.map((k) => k.pid)).toContain(root.pid);
  expect(killed.every((k) => k.startTime !== undefined)).toBe(true);
  expect(await stillAlive(killed, 5000)).toEqual([]);
});

it("reports a noted process still running once the wait is over, and never a pid reused by another process", async () => {
  const survivor = spawn("sleep", ["300"], { stdio: "ignore" });
  try {
    const pid = survivor.pid!;
    const startTime = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19];
    expect(await stillAlive([{ pid, startTime }], 200)).toEqual([pid]);
    expect(await stillAlive([{ pid, startTime: "1" }], 0)).toEqual([]); // same pid, another process
  } finally {
    survivor.kill("SIGKILL");
  }
});
