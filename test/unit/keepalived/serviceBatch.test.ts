// Batched service changes on a pair (provider/keepalived/serviceBatch.ts): which changes go
// in one generation, and whose outcome each gets when the batch fails. applyToPair itself is
// shown against real nodes by the keepalived integration tests; here a recording stand-in.

import { KeepalivedApplyInterruptedError, KeepalivedConfigRejectedError } from "../../../provider/keepalived/errors";
import type { ApplyOptions, PairNodeTarget } from "../../../provider/keepalived/executor";
import type { FileOp } from "../../../provider/keepalived/fileOps";
import { serviceFilesBatcher, pairBatchKey, type ServiceFilesChange } from "../../../provider/keepalived/serviceBatch";
import { parseSshConnection } from "../../../provider/ssh/connection";

const nodes: PairNodeTarget[] = ["10.0.0.1", "10.0.0.2"].map((host) => ({ connection: parseSshConnection({ host, password: "pw", hostKey: "SHA256:" + "A".repeat(43) }) }));
const write = (path: string): FileOp => ({ op: "write", path, content: `${path}\n` });
const change = (name: string, verify?: ApplyOptions["verify"]): ServiceFilesChange => ({
  nodes,
  opsPerNode: [[write(`${name}.conf`)], [write(`${name}.conf`)]],
  options: { what: name, order: [1, 0], installsMain: false, adopt: false, secrets: [], ...(verify ? { verify } : {}) },
});
const restored = [{ host: "root@10.0.0.2:22", restored: true, steps: [] }];

/** A stand-in for applyToPair that records each call and fails the ones `fail` picks. */
function recordingApply(fail: (paths: string[]) => Error | undefined = () => undefined) {
  const calls: Array<{ paths: string[][]; what: string; options: ApplyOptions }> = [];
  const apply = async (_n: readonly PairNodeTarget[], opsPerNode: readonly FileOp[][], options: ApplyOptions) => {
    const paths = opsPerNode.map((ops) => ops.map((o) => o.path));
    calls.push({ paths, what: options.what, options });
    const error = fail(paths[0]!);
    if (error) throw error;
  };
  return { calls, apply };
}

describe("batched service changes on a pair", () => {
  it("changes that arrive together go to each node as one generation, ops in arrival order", async () => {
    const r = recordingApply();
    const batcher = serviceFilesBatcher(r.apply);
    const changes = ["a", "b", "c"].map((n) => change(n));
    await Promise.all(changes.map((c) => batcher.submit(pairBatchKey(c), c)));
    expect(r.calls.map((c) => c.paths)).toEqual([[["a.conf", "b.conf", "c.conf"], ["a.conf", "b.conf", "c.conf"]]]);
    expect(r.calls[0]!.what).toBe("3 changes (a, b, c)");
    expect(r.calls[0]!.options.order).toEqual([1, 0]);
  });

  it("a generation keepalived refuses (rolled back whole) is tried member by member: only the member at fault fails", async () => {
    const rejected = (paths: string[]) =>
      paths.includes("bad.conf") ? new KeepalivedConfigRejectedError({ host: "root@10.0.0.2:22", what: "x", output: "(bad.conf: Line 1) unknown keyword", rollback: restored }, []) : undefined;
    const r = recordingApply(rejected);
    const batcher = serviceFilesBatcher(r.apply);
    const changes = [change("a"), change("bad"), change("c")];
    const settled = await Promise.allSettled(changes.map((c) => batcher.submit(pairBatchKey(c), c)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(KeepalivedConfigRejectedError);
    expect(r.calls.map((c) => c.paths[0])).toEqual([["a.conf", "bad.conf", "c.conf"], ["a.conf"], ["bad.conf"], ["c.conf"]]);
  });

  it("a batch cut short with its rollback incomplete is not retried: every member gets that error", async () => {
    const interrupted = new KeepalivedApplyInterruptedError({ host: "root@10.0.0.2:22", what: "x", cause: "connection lost", rollback: [{ host: "root@10.0.0.2:22", restored: false, steps: [], problem: "could not roll back" }] }, []);
    const r = recordingApply(() => interrupted);
    const batcher = serviceFilesBatcher(r.apply);
    const changes = [change("a"), change("b")];
    const settled = await Promise.allSettled(changes.map((c) => batcher.submit(pairBatchKey(c), c)));
    expect(settled.map((s) => (s.status === "rejected" ? s.reason : undefined))).toEqual([interrupted, interrupted]);
    expect(r.calls).toHaveLength(1);
  });

  it("the batch checks what every member asks of the loaded config", async () => {
    const r = recordingApply();
    const batcher = serviceFilesBatcher(r.apply);
    const changes = [change("a", () => undefined), change("b", (index) => (index === 0 ? "no tcp:10.0.0.9:80 in IPVS" : undefined))];
    await Promise.all(changes.map((c) => batcher.submit(pairBatchKey(c), c)));
    const verify = r.calls[0]!.options.verify!;
    expect([verify(0, { running: false } as never), verify(1, { running: false } as never)]).toEqual(["no tcp:10.0.0.9:80 in IPVS", undefined]);
  });

  it("keeps pairs reached with other identities apart", () => {
    const other = { ...change("a"), nodes: nodes.map((n) => ({ connection: { ...n.connection, user: "ops" } })) };
    expect(pairBatchKey(other)).not.toBe(pairBatchKey(change("a")));
  });
});
