// applyToPair's failure paths, which the lab shows only by luck: every failure after the
// first change puts back what changed, the error says per node what was put back, and a
// status read is trusted only once keepalived has finished writing it. The hosts are
// replaced by a fake `exec` that answers per host script (argv[3] names the script).

jest.mock("../../../provider/ssh", () => ({ ...jest.requireActual("../../../provider/ssh"), exec: jest.fn() }));

import { readFileSync } from "fs";
import { resolve } from "path";
import { exec, SshConnectionLostError, type SshConnection } from "../../../provider/ssh";
import { applyToPair, type ApplyOptions } from "../../../provider/keepalived/executor";
import { KeepalivedApplyError, KeepalivedApplyInterruptedError, KeepalivedConfigRejectedError, KeepalivedReloadError, redactKeepalivedAuth } from "../../../provider/keepalived/errors";
import type { FileOp } from "../../../provider/keepalived/fileOps";
import { EXIT } from "../../../provider/keepalived/hostScripts";

const execMock = exec as jest.MockedFunction<typeof exec>;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const dump = readFileSync(resolve(__dirname, "../../fixtures/keepalived/dir1-master.json"), "utf8");

const dir1 = { host: "10.0.0.11", port: 22, user: "root" } as SshConnection;
const dir2 = { host: "10.0.0.12", port: 22, user: "root" } as SshConnection;
const nodes = [{ connection: dir1 }, { connection: dir2 }];
const H1 = "root@10.0.0.11:22";
const H2 = "root@10.0.0.12:22";

type Script = "apply" | "read" | "status" | "remove-pair";
interface Call {
  host: string;
  script: Script;
  args: string[];
  stdin: string;
}
type Answer = { exitCode: number; stdout?: string; stderr?: string } | Error;
/** Per host and script, the answers in order (the last one repeats). */
type Plan = Record<string, Partial<Record<Script, Answer[]>>>;

let calls: Call[];
function hosts(plan: Plan): void {
  calls = [];
  const used = new Map<string, number>();
  execMock.mockImplementation(async (connection, argv, opts) => {
    const host = `root@${(connection as SshConnection).host}:22`;
    const script = String(argv[3]).replace("pulumi-lvs-keepalived-", "") as Script;
    calls.push({ host, script, args: argv.slice(4).map(String), stdin: String(opts?.stdin ?? "") });
    const answers = plan[host]?.[script] ?? [{ exitCode: 0 }];
    const n = used.get(`${host} ${script}`) ?? 0;
    used.set(`${host} ${script}`, n + 1);
    const answer = answers[Math.min(n, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return { exitCode: answer.exitCode, stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" };
  });
}

const ours = (files: Record<string, string>) => ({ exitCode: 0, stdout: `${Object.entries(files).map(([p, c]) => `file ${p} ${b64(c)}\n`).join("")}main ours\n` });
const noPair = { exitCode: 0, stdout: "absent keepalived.conf\nabsent services/0-pulumi-lvs-empty.conf\nmain absent\n" };
const status = (json: string, state = "fresh") => ({ exitCode: 0, stdout: `pid 612\nactive active\njson ${b64(json)}\ndump ${state}\naddrs ${b64("")}\nipvs ${b64("")}\n` });
const lost = () => new SshConnectionLostError({ target: H1, command: "sh -c …", reason: "the connection dropped" });

const pairOps: FileOp[] = [
  { op: "write", path: "keepalived.conf", content: "vrrp_instance VI_51 {\n  authentication {\n    auth_pass s3cret\n  }\n}\n" },
  { op: "write", path: "services/0-pulumi-lvs-empty.conf", content: "# placeholder\n" },
];
const pairCreate: ApplyOptions = { what: "KeepalivedPair VI_51", order: [1, 0], installsMain: true, adopt: false, secrets: ["s3cret"], settle: { attempts: 3, delayMs: 0 } };
const serviceOps: FileOp[] = [{ op: "write", path: "services/tcp_10.0.0.100_80.vs", content: "virtual_server 10.0.0.100 80 {\n}\n" }];
const serviceApply: ApplyOptions = { what: "VirtualService tcp:10.0.0.100:80", order: [1, 0], installsMain: false, adopt: false, secrets: [], settle: { attempts: 3, delayMs: 0 } };

async function failure(p: Promise<unknown>): Promise<KeepalivedApplyError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(KeepalivedApplyError);
  return e as KeepalivedApplyError;
}

describe("a pair create cut part-way", () => {
  it("a lost connection on the MASTER rolls back both nodes by removing the pair (not by deleting keepalived.conf)", async () => {
    hosts({ [H1]: { read: [noPair], apply: [lost()] }, [H2]: { read: [noPair] } });
    const err = await failure(applyToPair(nodes, [pairOps, pairOps], pairCreate));
    expect(err).toBeInstanceOf(KeepalivedApplyInterruptedError);
    expect(err.message).toContain(`applying KeepalivedPair VI_51 on ${H1} did not complete`);
    const rollbacks = calls.filter((c) => c.script === "remove-pair").map((c) => c.host);
    expect(rollbacks).toEqual([H1, H2]);
    expect(calls.filter((c) => c.script === "apply").map((c) => c.host)).toEqual([H2, H1]);
    expect(err.rollback.map((r) => [r.host, r.restored])).toEqual([[H1, true], [H2, true]]);
  });

  it("a failed status read after the reload still rolls back", async () => {
    hosts({ [H1]: { read: [noPair] }, [H2]: { read: [noPair], status: [new Error("socket hang up")] } });
    const err = await failure(applyToPair(nodes, [pairOps, pairOps], { ...pairCreate, verify: () => undefined }));
    expect(err.message).toContain("socket hang up");
    expect(calls.filter((c) => c.script === "remove-pair").map((c) => c.host)).toEqual([H2]);
    expect(calls.filter((c) => c.script === "apply").map((c) => c.host)).toEqual([H2]);
  });

  it("reports what remove-pair put back, per node", async () => {
    const removed = { exitCode: 0, stdout: "stopped\nrestored /etc/keepalived/keepalived.conf\nremoved /etc/keepalived/pulumi-lvs\nstarted\nremoved\n" };
    hosts({ [H1]: { read: [noPair], apply: [{ exitCode: EXIT.rejected, stderr: "(candidate:keepalived.conf: Line 3) Unknown keyword 'bogus'" }] }, [H2]: { read: [noPair], "remove-pair": [removed] } });
    const err = await failure(applyToPair(nodes, [pairOps, pairOps], pairCreate));
    expect(err).toBeInstanceOf(KeepalivedConfigRejectedError);
    expect(err.rollback).toEqual([
      { host: H2, restored: true, steps: ["stopped keepalived", "restored /etc/keepalived/keepalived.conf", "removed /etc/keepalived/pulumi-lvs", "started keepalived"] },
    ]);
    expect(err.message).toContain(`The change already applied on ${H2} was rolled back (stopped keepalived; restored /etc/keepalived/keepalived.conf;`);
    // The node that refused made no change: nothing to undo there.
    expect(calls.filter((c) => c.host === H1 && c.script === "remove-pair")).toEqual([]);
  });
});

describe("a roll-back that does not work is never reported as one", () => {
  it("a failed restore on the other node is named, with why", async () => {
    hosts({
      [H1]: { read: [ours({ "services/tcp_10.0.0.100_80.vs": "old\n" })], apply: [{ exitCode: EXIT.rejected, stderr: "(x: Line 1) bad" }] },
      [H2]: { read: [ours({ "services/tcp_10.0.0.100_80.vs": "old\n" })], apply: [{ exitCode: 0 }, { exitCode: EXIT.reloadFailed, stderr: "keepalived stopped" }] },
    });
    const err = await failure(applyToPair(nodes, [serviceOps, serviceOps], serviceApply));
    expect(err.rollback).toEqual([{ host: H2, restored: false, steps: [], problem: expect.stringContaining("putting the previous files back failed (exit 70)") }]);
    expect(err.message).toContain(`ROLL-BACK INCOMPLETE on ${H2}`);
    expect(err.message).not.toContain(`applied on ${H2} was rolled back`);
    expect(err.rolledBackCompletely).toBe(false);
  });

  it("an unreachable node is reported as not restored", async () => {
    hosts({
      [H1]: { read: [ours({})], apply: [{ exitCode: EXIT.rejected, stderr: "(x: Line 1) bad" }] },
      [H2]: { read: [ours({})], apply: [{ exitCode: 0 }, new Error("connect ECONNREFUSED")] },
    });
    const err = await failure(applyToPair(nodes, [serviceOps, serviceOps], serviceApply));
    expect(err.rollback).toEqual([{ host: H2, restored: false, steps: [], problem: "could not roll back: connect ECONNREFUSED" }]);
  });

  it("when keepalived cannot reload the previous files either, the failing node is not restored", async () => {
    hosts({ [H2]: { read: [ours({ "services/tcp_10.0.0.100_80.vs": "old\n" })], apply: [{ exitCode: EXIT.restoreFailed, stderr: "reload failed" }, { exitCode: EXIT.reloadFailed }] } });
    const err = await failure(applyToPair(nodes, [serviceOps, serviceOps], serviceApply));
    expect(err).toBeInstanceOf(KeepalivedReloadError);
    expect(err.rollback.map((r) => [r.host, r.restored])).toEqual([[H2, false]]);
    expect(err.message).not.toMatch(/previous files were put back and keepalived reloaded/);
  });

  it("a reload the apply script undid itself is reported as restored by it, without another reload", async () => {
    hosts({ [H2]: { read: [ours({ "services/tcp_10.0.0.100_80.vs": "old\n" })], apply: [{ exitCode: EXIT.reloadFailed, stderr: "Stopped" }] } });
    const err = await failure(applyToPair(nodes, [serviceOps, serviceOps], serviceApply));
    expect(err.rollback).toEqual([{ host: H2, restored: true, steps: ["keepalived reloaded with the previous files, put back by the apply script"] }]);
    expect(calls.filter((c) => c.script === "apply")).toHaveLength(1);
  });
});

describe("rolling back puts back exactly the files the change touched", () => {
  it("a removed tree comes back file by file, a replaced file gets its content back", async () => {
    const deleteOps: FileOp[] = [
      { op: "removetree", path: "services/tcp_10.0.0.100_80.d" },
      { op: "remove", path: "services/tcp_10.0.0.100_80.vs" },
    ];
    const before = { exitCode: 0, stdout: `tree services/tcp_10.0.0.100_80.d\nfile services/tcp_10.0.0.100_80.d/10.0.1.1_80.conf ${b64("rs1\n")}\nfile services/tcp_10.0.0.100_80.vs ${b64("vs\n")}\nmain ours\n` };
    hosts({ [H1]: { read: [before], apply: [{ exitCode: EXIT.rejected, stderr: "(x: Line 1) bad" }] }, [H2]: { read: [before] } });
    const err = await failure(applyToPair(nodes, [deleteOps, deleteOps], serviceApply));
    const undo = calls.filter((c) => c.script === "apply" && c.host === H2)[1]!;
    expect(undo.args).toEqual(["service", "no-adopt"]);
    expect(undo.stdin).toBe(`write services/tcp_10.0.0.100_80.vs ${b64("vs\n")}\nwrite services/tcp_10.0.0.100_80.d/10.0.1.1_80.conf ${b64("rs1\n")}\n`);
    expect(err.rollback[0]!.steps).toEqual(["restored services/tcp_10.0.0.100_80.vs", "restored services/tcp_10.0.0.100_80.d/10.0.1.1_80.conf"]);
  });
});

describe("the post-reload check reads until keepalived has finished", () => {
  const verify = (_i: number, s: { instances: Array<{ name: string }> }) => (s.instances.some((i) => i.name === "VI_51") ? undefined : "keepalived runs but has no VRRP instance VI_51");

  it("a half-written dump, then a complete one: the change stands", async () => {
    hosts({ [H1]: { read: [ours({})], status: [status(dump)] }, [H2]: { read: [ours({})], status: [status(dump.slice(0, 40)), status(dump)] } });
    await expect(applyToPair(nodes, [serviceOps, serviceOps], { ...serviceApply, verify })).resolves.toBeUndefined();
    expect(calls.filter((c) => c.script === "apply")).toHaveLength(2);
  });

  it("a dump that never settles: rolled back after a bounded number of reads, saying why", async () => {
    hosts({ [H1]: { read: [ours({})] }, [H2]: { read: [ours({})], status: [status("", "missing")] } });
    const err = await failure(applyToPair(nodes, [serviceOps, serviceOps], { ...serviceApply, verify }));
    expect(err.message).toContain("keepalived wrote no status dump (/tmp/keepalived.json) after our signal");
    expect(err.message).toContain("still so after 3 status reads");
    expect(calls.filter((c) => c.script === "status")).toHaveLength(3);
  });
});

describe("keepalived's own words are redacted even when the caller does not know the password", () => {
  it("auth_pass values in `keepalived -t` output", async () => {
    const said = "(candidate:keepalived.conf: Line 7) Unknown keyword 'auth_pas'\n(candidate:keepalived.conf: Line 8) invalid line: auth_pass hunter2 extra\n";
    hosts({ [H2]: { read: [ours({})], apply: [{ exitCode: EXIT.rejected, stderr: said }] } });
    const err = await failure(applyToPair(nodes, [serviceOps, serviceOps], serviceApply));
    expect(err.message).not.toContain("hunter2");
    expect(err.message).toContain("invalid line: auth_pass [REDACTED] extra");
    expect(err.message).toContain("Unknown keyword 'auth_pas'");
  });

  it.each([
    ['auth_pass "p w" }', "auth_pass [REDACTED] }"],
    ["  auth_pass x", "  auth_pass [REDACTED]"],
    ['{"auth_type":1,"auth_data":"s3cret"}', '{"auth_type":1,"auth_data":[REDACTED]}'],
    ["Unknown keyword 'auth_pass'", "Unknown keyword 'auth_pass'"],
    ["auth_pass\n  virtual_ipaddress {", "auth_pass\n  virtual_ipaddress {"],
    ["a password was given", "a password was given"],
  ])("%j → %j: only the value, where it stands", (text, redacted) => {
    expect(redactKeepalivedAuth(text)).toBe(redacted);
  });
});
