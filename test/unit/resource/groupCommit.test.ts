// The scheduling of batched writes (provider/resource/groupCommit.ts): who goes in which batch,
// and whose outcome each caller gets. What a batch does on a host is executor.ts's, shown on
// the lab by test/integration/ipvs-batch.test.ts.

import { GroupCommit, type Settled } from "../../../provider/resource/groupCommit";

/** A send that records its batches and answers each member by `answer`, after `gate` opens. */
function recorder(answer: (m: string) => Settled<string> = (m) => ({ ok: true, value: `done ${m}` })) {
  const batches: string[][] = [];
  let open: () => void = () => {};
  let gate = Promise.resolve();
  const send = async (members: string[]) => {
    batches.push(members);
    await gate;
    return members.map(answer);
  };
  const hold = () => (gate = new Promise<void>((r) => (open = r)));
  return { batches, send, hold, release: () => open() };
}

describe("GroupCommit", () => {
  it("sends the changes of one burst as one batch, in order, each caller getting its own outcome", async () => {
    const r = recorder();
    const commit = new GroupCommit(r.send, 100);
    const results = await Promise.all(["a", "b", "c"].map((m) => commit.submit("dir1", m)));
    expect(r.batches).toEqual([["a", "b", "c"]]);
    expect(results).toEqual(["done a", "done b", "done c"]);
    expect(commit.batchCount()).toBe(1);
  });

  it("queues what arrives while a batch is in flight for the next one", async () => {
    const r = recorder();
    const commit = new GroupCommit(r.send, 100);
    r.hold();
    const first = commit.submit("dir1", "a");
    await new Promise((done) => setImmediate(done)); // the first batch is out
    const later = [commit.submit("dir1", "b"), commit.submit("dir1", "c")];
    r.release();
    expect(await Promise.all([first, ...later])).toEqual(["done a", "done b", "done c"]);
    expect(r.batches).toEqual([["a"], ["b", "c"]]);
  });

  it("fails only the member whose change failed; a failed send fails every member of that batch", async () => {
    const r = recorder((m) => (m === "bad" ? { ok: false, error: new Error("Destination already exists") } : { ok: true, value: m }));
    const commit = new GroupCommit(r.send, 100);
    const settled = await Promise.allSettled(["a", "bad", "c"].map((m) => commit.submit("dir1", m)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);

    const broken = new GroupCommit<string, string>(async () => {
      throw new Error("connection lost");
    }, 100);
    const all = await Promise.allSettled(["x", "y"].map((m) => broken.submit("dir1", m)));
    expect(all.map((s) => (s.status === "rejected" ? (s.reason as Error).message : "ok"))).toEqual(["connection lost", "connection lost"]);
  });

  it("a send answering the wrong number of outcomes fails the batch rather than misattributing", async () => {
    const commit = new GroupCommit<string, string>(async () => [{ ok: true, value: "only one" }], 100);
    const all = await Promise.allSettled(["x", "y"].map((m) => commit.submit("dir1", m)));
    expect(all.every((s) => s.status === "rejected")).toBe(true);
  });

  it("splits a burst larger than maxBatch, and keeps directors apart", async () => {
    const r = recorder();
    const commit = new GroupCommit(r.send, 2);
    await Promise.all([commit.submit("dir1", "a"), commit.submit("dir2", "z"), commit.submit("dir1", "b"), commit.submit("dir1", "c")]);
    // dir1's two batches in order; dir2's apart (the directors' lanes run side by side).
    expect(r.batches.filter((b) => b[0] !== "z")).toEqual([["a", "b"], ["c"]]);
    expect(r.batches.filter((b) => b.includes("z"))).toEqual([["z"]]);
    expect(() => new GroupCommit(r.send, 0)).toThrow(/positive integer/);
  });

  describe("with a settle window", () => {
    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

    it("waits for a pause in arrivals: members spread over more than the quiet time, each gap shorter, go as one batch", async () => {
      const r = recorder();
      const commit = new GroupCommit(r.send, 100, { quietMs: 80, maxWaitMs: 5000 });
      const pending: Array<Promise<string>> = [];
      for (const m of ["a", "b", "c", "d", "e"]) {
        pending.push(commit.submit("dir1", m));
        await sleep(30);
      }
      await Promise.all(pending);
      expect(r.batches).toEqual([["a", "b", "c", "d", "e"]]);
    });

    it("goes after maxWaitMs even while members keep arriving, and the rest make the next batch", async () => {
      const r = recorder();
      const commit = new GroupCommit(r.send, 100, { quietMs: 80, maxWaitMs: 100 });
      const pending: Array<Promise<string>> = [];
      for (let i = 0; i < 8; i++) {
        pending.push(commit.submit("dir1", `m${i}`));
        await sleep(30);
      }
      await Promise.all(pending);
      expect(r.batches.length).toBeGreaterThanOrEqual(2);
      expect(r.batches.flat()).toEqual(Array.from({ length: 8 }, (_, i) => `m${i}`));
      expect(r.batches[0]!.length).toBeLessThan(8);
    });

    it("without arrivals after the first, a lone member goes once the quiet time has passed", async () => {
      const r = recorder();
      const commit = new GroupCommit(r.send, 100, { quietMs: 50, maxWaitMs: 5000 });
      const started = Date.now();
      expect(await commit.submit("dir1", "a")).toBe("done a");
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it("a full batch does not wait", async () => {
      const r = recorder();
      const commit = new GroupCommit(r.send, 2, { quietMs: 10000, maxWaitMs: 10000 });
      const started = Date.now();
      await Promise.all([commit.submit("dir1", "a"), commit.submit("dir1", "b")]);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(r.batches).toEqual([["a", "b"]]);
    });
  });
});
