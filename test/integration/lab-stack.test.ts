// The root program as `npm start` deploys it: the `lab` stack (Pulumi.yaml's program with
// Pulumi.lab.yaml, VIP 10.77.0.150) in the repository's own backend (.pulumi-state/),
// through the real CLI and scripts/lab-stack.sh, exactly as the README tells a newcomer.
//
// `npm start` and `npm test` run in either order on one lab: a lab stack that `npm start`
// left deployed is first proven clean (the GitOps check exits 0), then destroyed so this
// file can snapshot the hosts without it, and deployed again at the end, so the user finds
// what `npm start` gave them.

import { execFile } from "child_process";
import { closeSshPool, run } from "../../provider/ssh";
import { REPO_ROOT, summaryCounts, TestProject } from "../support/engine/pulumiCli";
import { answers, hostSnapshot, REAL_SERVERS } from "../support/labChecks";
import { labConnection } from "../support/lab";

const VIP = "10.77.0.150";
const lab = TestProject.inPlace(REPO_ROOT);

/** `bash scripts/lab-stack.sh <op>`: what the README's commands run. */
function labStack(op: "up" | "preview" | "refresh" | "destroy" | "check"): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["scripts/lab-stack.sh", op], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

/** Whether the lab stack exists and holds resources (npm start ran and nothing destroyed it since). */
async function labStackDeployed(): Promise<boolean> {
  const list = await lab.run(["stack", "ls", "--json"]);
  if (list.code !== 0) return false;
  const stacks = JSON.parse(list.stdout) as Array<{ name: string; resourceCount?: number }>;
  return stacks.some((s) => s.name === "lab" && (s.resourceCount ?? 0) > 1);
}

let deployedByNpmStart = false;

beforeAll(async () => {
  deployedByNpmStart = await labStackDeployed();
  console.log(`lab stack deployed before this test: ${deployedByNpmStart}`);
});

afterAll(async () => {
  // Leave the lab stack as this file found it.
  if (deployedByNpmStart && !(await labStackDeployed())) {
    const again = await labStack("up");
    if (again.code !== 0) console.error(`could not deploy the lab stack again:\n${again.output.slice(-3000)}`);
  }
  await closeSshPool();
});

describe("the lab stack (root program, Pulumi.lab.yaml) through scripts/lab-stack.sh and the real CLI", () => {
  let before: Record<string, string>;

  it("a lab stack left by `npm start` passes the GitOps check, and is destroyed to start from bare hosts", async () => {
    if (!deployedByNpmStart) {
      // Nothing to prove about npm start's deployment: assert the hosts are bare of it instead.
      expect((await run(labConnection("dir1"), ["sh", "-c", "ipvsadm -S -n | grep -c 10.77.0.150 || true"])).stdout.trim()).toBe("0");
      return;
    }
    const check = await labStack("preview");
    expect({ code: check.code, tail: check.code === 0 ? "" : check.output.slice(-3000) }).toEqual({ code: 0, tail: "" });
    const destroyed = await labStack("destroy");
    expect(destroyed.code).toBe(0);
    expect(await labStackDeployed()).toBe(false);
  });

  it("up: 9 resources created, and 12 requests answered by every real server (the script's own check)", async () => {
    before = await hostSnapshot();
    const deployed = await labStack("up");
    if (deployed.code !== 0) throw new Error(deployed.output.slice(-4000));
    expect(summaryCounts(deployed.output)).toMatchObject({ create: 10 }); // 8 dynamic resources, the LvsCluster and the stack
    expect(deployed.output).toMatch(/every real server answered \(rs\d, rs\d, rs\d\)/);
    const counts = await answers(VIP, 30);
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
  });

  it("`ipvsadm -e … -w 0` by hand: the GitOps check exits non-zero naming lab-rs1-tcp-80's weight; refresh then up repair it", async () => {
    expect((await labStack("preview")).code).toBe(0);
    await run(labConnection("dir1"), ["ipvsadm", "-e", "-t", `${VIP}:80`, "-r", "10.77.0.21:80", "-g", "-w", "0"]);
    const drifted = await labStack("preview");
    console.log(`lab stack drift: preview --refresh --expect-no-changes exited ${drifted.code}`);
    expect(drifted.code).toBe(7); // the CLI's ExitNoChanges: changes proposed under --expect-no-changes
    expect(drifted.output).toMatch(/lab-rs1-tcp-80[\s\S]*weight/);
    expect((await labStack("refresh")).code).toBe(0);
    const repaired = await labStack("up");
    expect(summaryCounts(repaired.output)).toMatchObject({ update: 1 });
    expect((await run(labConnection("dir1"), ["ipvsadm", "-L", "-n", "-t", `${VIP}:80`])).stdout).toMatch(/10\.77\.0\.21:80\s+Route\s+1\b/);
    expect((await labStack("preview")).code).toBe(0);
  });

  it("destroy returns every host to its state before the deploy", async () => {
    expect((await labStack("destroy")).code).toBe(0);
    expect(await hostSnapshot()).toEqual(before);
  });
});
