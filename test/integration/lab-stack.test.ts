// The root program as `npm start` deploys it: the `lab` stack (Pulumi.yaml's program with
// Pulumi.lab.yaml, VIP 10.77.0.150) in the repository's own backend (.pulumi-state/),
// through the real CLI and scripts/lab-stack.sh, exactly as the README tells a newcomer.
//
// `npm start` and `npm test` run in either order on one lab: the integration project's global
// setup (test/support/labStackGlobal.js) proves a lab stack that `npm start` left deployed
// with the GitOps check, takes it down, and its teardown deploys it again.

import { closeSshPool, run } from "../../provider/ssh";
import { summaryCounts } from "../support/engine/pulumiCli";
import { answers, hostSnapshot, REAL_SERVERS } from "../support/labChecks";
import { labConnection } from "../support/lab";

const VIP = "10.77.0.150";

type LabStackOp = "up" | "preview" | "refresh" | "destroy" | "check" | "deployed";
// The global setup's own runner of scripts/lab-stack.sh, so both drive the stack one way.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { labStack, labStackDeployed } = require("../support/labStackGlobal") as {
  labStack(op: LabStackOp): { code: number; output: string };
  labStackDeployed(): boolean;
};

afterAll(async () => {
  // A test that stopped half-way leaves no lab stack for the other test files to trip on.
  if (labStackDeployed()) labStack("destroy");
  await closeSshPool();
});

describe("the lab stack (root program, Pulumi.lab.yaml) through scripts/lab-stack.sh and the real CLI", () => {
  let before: Record<string, string>;

  it("starts from a lab without the stack (the global setup took down what npm start deployed)", async () => {
    expect(labStackDeployed()).toBe(false);
    expect((await run(labConnection("dir1"), ["sh", "-c", "ipvsadm -S -n | grep -c 10.77.0.150 || true"])).stdout.trim()).toBe("0");
  });

  it("up: 8 resources, the LvsCluster and the stack created, and 12 requests answered by every real server (the script's own check)", async () => {
    before = await hostSnapshot();
    const deployed = labStack("up");
    if (deployed.code !== 0) throw new Error(deployed.output.slice(-4000));
    expect(summaryCounts(deployed.output)).toMatchObject({ create: 10 }); // 8 dynamic resources, the LvsCluster and the stack
    expect(deployed.output).toMatch(/every real server answered \(rs\d, rs\d, rs\d\)/);
    const counts = await answers(VIP, 30);
    expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
  });

  // The drift cycle through scripts/lab-stack.sh: `npm run test:extended` (the same cycle
  // through the real CLI is engine-cli's in npm test, and the global setup runs this
  // stack's GitOps check on what `npm start` deployed).
  (process.env.LVS_EXTENDED === "1" ? it : it.skip)("`ipvsadm -e … -w 0` by hand: the GitOps check exits non-zero naming lab-rs1-tcp-80's weight; refresh then up repair it", async () => {
    expect(labStack("preview").code).toBe(0);
    await run(labConnection("dir1"), ["ipvsadm", "-e", "-t", `${VIP}:80`, "-r", "10.77.0.21:80", "-g", "-w", "0"]);
    const drifted = labStack("preview");
    console.log(`lab stack drift: preview --refresh --expect-no-changes exited ${drifted.code}`);
    expect(drifted.code).toBe(7); // the CLI's ExitNoChanges: changes proposed under --expect-no-changes
    expect(drifted.output).toMatch(/lab-rs1-tcp-80[\s\S]*weight/);
    expect(labStack("refresh").code).toBe(0);
    const repaired = labStack("up");
    expect(summaryCounts(repaired.output)).toMatchObject({ update: 1 });
    expect((await run(labConnection("dir1"), ["ipvsadm", "-L", "-n", "-t", `${VIP}:80`])).stdout).toMatch(/10\.77\.0\.21:80\s+Route\s+1\b/);
    expect(labStack("preview").code).toBe(0);
  });

  it("destroy returns every host to its state before the deploy", async () => {
    expect(labStack("destroy").code).toBe(0);
    expect(await hostSnapshot()).toEqual(before);
  });
});
