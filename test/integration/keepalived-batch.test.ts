// Batched service changes on a real pair (dir1 + dir2, VIP 10.77.0.162, VRID 62; issue 13):
// RealServers created at once reach both nodes as one generation, and keepalived loads them
// all; a change keepalived refuses, sent in a burst with good ones, fails alone: the batch
// is rolled back whole and its members applied one by one.

import { keepalivedPairProvider } from "../../provider/keepalived/pairProvider";
import { KeepalivedConfigRejectedError } from "../../provider/keepalived/errors";
import { readNodeStatus } from "../../provider/keepalived/executor";
import { realServerDir } from "../../provider/keepalived/layout";
import { applyServiceFiles, serviceFilesBatchCount } from "../../provider/keepalived/serviceBatch";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { closeSshPool, parseSshConnection } from "../../provider/ssh";
import { labConnection } from "../support/lab";
import { up, type Deployed } from "../support/providerSteps";

jest.setTimeout(15 * 60_000);

const VIP = "10.77.0.162";
const key = { kind: "address", protocol: "tcp", address: VIP, port: 80 } as const;
const address = (i: number) => `10.77.9.${i + 1}`;
const destinations = async (node: "dir1" | "dir2") =>
  (await readNodeStatus(parseSshConnection(labConnection(node)))).ipvsSave.split("\n").filter((l) => l.startsWith(`-a -t ${VIP}:80 `)).length;

let pair: Deployed;
let service: Deployed;

beforeAll(async () => {
  pair = await up(keepalivedPairProvider, {
    nodes: [
      { connection: labConnection("dir1"), priority: 150 },
      { connection: labConnection("dir2"), priority: 100 },
    ],
    interface: "eth1",
    virtualRouterId: 62,
    advertInt: 1,
    vips: [VIP],
    auth: { password: "kbatch62" },
  });
  service = await up(virtualServiceProvider, { keepalived: pair.state["target"], protocol: "tcp", address: VIP, port: 80, scheduler: "wrr", delayLoop: 5 });
});

afterAll(async () => {
  if (service) await virtualServiceProvider.delete(service.id, service.state);
  if (pair) await keepalivedPairProvider.delete(pair.id, pair.state);
  await closeSshPool();
});

describe("batched service changes on a keepalived pair", () => {
  it("6 RealServers created at once: one generation per node, and keepalived loads them all", async () => {
    const before = serviceFilesBatchCount();
    const servers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        up(realServerProvider, { keepalived: pair.state["target"], service: { protocol: "tcp", address: VIP, port: 80 }, address: address(i), port: 80, forwarding: "dr", weight: 1 + i }),
      ),
    );
    const batches = serviceFilesBatchCount() - before;
    console.log(`6 concurrent RealServer creates on a pair: ${batches} batch(es)`);
    expect(batches).toBeLessThanOrEqual(2);
    expect([await destinations("dir1"), await destinations("dir2")]).toEqual([6, 6]);
    await Promise.all(servers.map((s) => realServerProvider.delete(s.id, s.state)));
  });

  it("a file keepalived refuses, in a burst with good ones, fails alone; the good ones load", async () => {
    const nodes = ["dir1", "dir2"].map((n) => ({ connection: parseSshConnection(labConnection(n)) }));
    const file = (i: number) => `${realServerDir(key)}/batch-${i}.conf`;
    const good = (i: number) => `real_server ${address(i)} 80 {\n  weight 1\n  lvs_method DR\n}\n`;
    const options = (what: string) => ({ what, order: [1, 0], installsMain: false, adopt: false, secrets: [] });
    const change = (i: number, content: string) => applyServiceFiles(nodes, [0, 1].map(() => [{ op: "write" as const, path: file(i), content }]), options(`file ${i}`));
    const before = serviceFilesBatchCount();
    const settled = await Promise.allSettled([change(0, good(0)), change(1, "real_server 10.77.9.99 80 {\n  lvs_method DR\n  no_such_keyword 1\n}\n"), change(2, good(2))]);
    console.log(`a burst of 3 (one refused): ${serviceFilesBatchCount() - before} batch(es)`);
    for (const s of settled) if (s.status === "rejected") console.log(`rejected: ${String((s.reason as Error).message)}`);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(KeepalivedConfigRejectedError);
    expect([await destinations("dir1"), await destinations("dir2")]).toEqual([2, 2]);
    await Promise.all([0, 2].map((i) => applyServiceFiles(nodes, [0, 1].map(() => [{ op: "remove" as const, path: file(i) }]), options(`remove ${i}`))));
  });
});
