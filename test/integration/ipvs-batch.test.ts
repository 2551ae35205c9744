// Batched writes on the lab's real IPVS kernel (dir1, VIP 10.77.0.160; issue 13): the
// RealServers the engine creates in parallel reach the director as one batch (one lock,
// one dump, one rules-file write, in one remote command), and a change the kernel refuses
// fails alone while the rest of its batch applies: through one `ipvsadm -R` split at its
// sentinel's answers, and one ipvsadm per change where that cannot be told apart. A rules
// file that does not arrive whole is never written.

import { changeIpvsTable, ipvsChangeBatchCount, ipvsTableReadCount } from "../../provider/ipvs/executor";
import { RULES_FILE_INCOMPLETE_EXIT, RULES_FILE_REQUEST, batchStdin, changeBatchArgv } from "../../provider/ipvs/rulesFile";
import { exec, sshPoolStats } from "../../provider/ssh";
import { IpvsChangeError } from "../../provider/ipvs/errors";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { closeSshPool, run } from "../../provider/ssh";
import { labConnection } from "../support/lab";
import { refresh, up, upChanged, type Deployed } from "../support/providerSteps";

const VIP = "10.77.0.160";
const dir1 = () => labConnection("dir1");
const savedTable = async () => (await run(dir1(), ["ipvsadm", "-S", "-n"])).stdout;
const rulesFile = async () => (await run(dir1(), ["cat", "/etc/ipvsadm.rules"])).stdout;
const destinations = (text: string) => text.split("\n").filter((l) => l.startsWith(`-a -t ${VIP}:80 `)).length;
/** Real servers need not exist: IPVS takes any address. */
const address = (i: number) => `10.77.9.${i + 1}`;

let service: Deployed;

beforeAll(async () => {
  service = await up(virtualServiceProvider, { connection: dir1(), protocol: "tcp", address: VIP, port: 80, scheduler: "wrr" });
});

afterAll(async () => {
  if (service) await virtualServiceProvider.delete(service.id, service.state);
  expect(await savedTable()).not.toContain(VIP);
  await closeSshPool();
});

describe("batched writes to one director", () => {
  it("30 RealServers created at once reach the kernel and the rules file in one remote command, without a read, and each reads back", async () => {
    const before = { batches: ipvsChangeBatchCount(), reads: ipvsTableReadCount(), execs: sshPoolStats().execs };
    const reference = { protocol: "tcp", address: VIP, port: 80 };
    const servers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => up(realServerProvider, { connection: dir1(), service: reference, address: address(i), port: 80, forwarding: "dr", weight: 1 + (i % 5) })),
    );
    const cost = { batches: ipvsChangeBatchCount() - before.batches, reads: ipvsTableReadCount() - before.reads, execs: sshPoolStats().execs - before.execs };
    console.log(`30 concurrent RealServer creates: ${JSON.stringify(cost)}`);
    expect(cost).toEqual({ batches: 1, reads: 0, execs: 1 });
    expect(destinations(await savedTable())).toBe(30);
    expect(destinations(await rulesFile())).toBe(30);
    const reads = await Promise.all(servers.map((s) => refresh(realServerProvider, s)));
    expect(reads.map((r) => r?.inputs["weight"])).toEqual(servers.map((_, i) => 1 + (i % 5)));

    const deleting = ipvsChangeBatchCount();
    await Promise.all(servers.map((s) => realServerProvider.delete(s.id, s.state)));
    console.log(`30 concurrent RealServer deletes: ${ipvsChangeBatchCount() - deleting} batch(es)`);
    expect(destinations(await savedTable())).toBe(0);
    expect(destinations(await rulesFile())).toBe(0);
  });

  it("one weight change costs the same round trips beside 29 destinations as beside 599 (no cost that grows with the table)", async () => {
    const reference = { protocol: "tcp", address: VIP, port: 80 };
    const inputs = (weight: number) => ({ connection: dir1(), service: reference, address: address(0), port: 80, forwarding: "dr", weight });
    const others = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => ["ipvsadm", "-a", "-t", `${VIP}:80`, "-r", `10.77.${10 + Math.floor((from + k) / 250)}.${((from + k) % 250) + 1}:80`, "-g", "-w", "1"]);
    let server = await up(realServerProvider, inputs(1));
    const costOfWeightChange = async (weight: number) => {
      const before = { handshakes: sshPoolStats().handshakes, execs: sshPoolStats().execs };
      server = (await upChanged(realServerProvider, server, inputs(weight))).deployed;
      return { handshakes: sshPoolStats().handshakes - before.handshakes, execs: sshPoolStats().execs - before.execs };
    };
    await Promise.all(others(0, 29).map((argv) => changeIpvsTable(dir1(), argv)));
    const small = await costOfWeightChange(2);
    await Promise.all(others(29, 599).map((argv) => changeIpvsTable(dir1(), argv)));
    expect(destinations(await savedTable())).toBe(600);
    const large = await costOfWeightChange(3);
    console.log(`one weight change: beside 29 destinations ${JSON.stringify(small)}, beside 599 ${JSON.stringify(large)}`);
    // A read to plan, then the batch that also writes the rules file: the same at any size.
    expect(small).toEqual({ handshakes: 0, execs: 2 });
    expect(large).toEqual(small);
    expect(await savedTable()).toContain(`-a -t ${VIP}:80 -r ${address(0)}:80 -g -w 3\n`);
    await Promise.all(others(0, 599).map((argv) => changeIpvsTable(dir1(), ["ipvsadm", "-d", ...argv.slice(2, 6)])));
    await realServerProvider.delete(server.id, server.state);
    expect(destinations(await rulesFile())).toBe(0);
  });

  it("a change the kernel refuses fails alone, with ipvsadm's message; the rest of its batch applies and is saved", async () => {
    const add = (i: number) => ["ipvsadm", "-a", "-t", `${VIP}:80`, "-r", `${address(i)}:80`, "-g", "-w", "1"];
    const before = ipvsChangeBatchCount();
    // The same destination twice in one burst: the second add is refused by the kernel.
    const settled = await Promise.allSettled([add(0), add(1), add(0), add(2)].map((argv) => changeIpvsTable(dir1(), argv)));
    expect(ipvsChangeBatchCount() - before).toBe(1);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const refused = (settled[2] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(IpvsChangeError);
    expect((refused as Error).message).toMatch(/Destination already exists/);
    // Adds go through one ipvsadm -R, which has no exit code per line.
    expect((refused as IpvsChangeError).exitCode).toBeUndefined();
    expect(destinations(await savedTable())).toBe(3);
    expect(destinations(await rulesFile())).toBe(3);
    await Promise.all([0, 1, 2].map((i) => changeIpvsTable(dir1(), ["ipvsadm", "-d", "-t", `${VIP}:80`, "-r", `${address(i)}:80`])));
    expect(destinations(await rulesFile())).toBe(0);
  });

  it("in one ipvsadm -R, each refusal reaches exactly its own change: a missing service, a missing destination, a duplicate", async () => {
    const add = (i: number, vip = VIP) => ["ipvsadm", "-a", "-t", `${vip}:80`, "-r", `${address(i)}:80`, "-g", "-w", "1"];
    const edit = (i: number, weight: number) => ["ipvsadm", "-e", "-t", `${VIP}:80`, "-r", `${address(i)}:80`, "-g", "-w", String(weight)];
    const before = ipvsChangeBatchCount();
    const settled = await Promise.allSettled(
      [add(0), add(1, "10.77.0.169"), edit(7, 3), add(2), add(0), edit(2, 4)].map((argv) => changeIpvsTable(dir1(), argv)),
    );
    expect(ipvsChangeBatchCount() - before).toBe(1);
    const outcome = (s: PromiseSettledResult<string>) => (s.status === "fulfilled" ? "ok" : (s.reason as IpvsChangeError).stderr.trim());
    expect(settled.map(outcome)).toEqual(["ok", "Service not defined", "No such destination", "ok", "Destination already exists", "ok"]);
    expect(await savedTable()).toMatch(new RegExp(`-a -t ${VIP}:80 -r ${address(2).replace(/\./g, "\\.")}:80 -g -w 4\n`));
    expect(destinations(await rulesFile())).toBe(2);
    await Promise.all([0, 2].map((i) => changeIpvsTable(dir1(), ["ipvsadm", "-d", "-t", `${VIP}:80`, "-r", `${address(i)}:80`])));
    expect(destinations(await rulesFile())).toBe(0);
  });

  it("a line that stops ipvsadm -R fails alone with its message; the changes after it run again, one by one", async () => {
    const add = (i: number) => ["ipvsadm", "-a", "-t", `${VIP}:80`, "-r", `${address(i)}:80`, "-g", "-w", "1"];
    const execs = sshPoolStats().execs;
    // No real server: ipvsadm's parser exits 2 and -R reads no further (ipvsadm 1.31).
    const settled = await Promise.allSettled([add(0), ["ipvsadm", "-a", "-t", `${VIP}:80`], add(1), add(2)].map((argv) => changeIpvsTable(dir1(), argv)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(((settled[1] as PromiseRejectedResult).reason as Error).message).toMatch(/real-server/);
    expect(sshPoolStats().execs - execs).toBe(2);
    expect(destinations(await savedTable())).toBe(3);
    expect(destinations(await rulesFile())).toBe(3);
    await Promise.all([0, 1, 2].map((i) => changeIpvsTable(dir1(), ["ipvsadm", "-d", "-t", `${VIP}:80`, "-r", `${address(i)}:80`])));
    expect(destinations(await rulesFile())).toBe(0);
  });

  it("with the sentinel's service on the director, a batch runs one ipvsadm per change, 200 per command, and leaves that service alone", async () => {
    const add = (i: number) => ["ipvsadm", "-a", "-t", `${VIP}:80`, "-r", `${address(i)}:80`, "-g", "-w", "1"];
    const burst = Array.from({ length: 201 }, (_, i) => i);
    await run(dir1(), ["ipvsadm", "-A", "-f", "4294967295", "-s", "rr"]);
    try {
      const execs = sshPoolStats().execs;
      const settled = await Promise.allSettled([...burst, 0].map((i) => changeIpvsTable(dir1(), add(i))));
      expect(settled.map((s) => s.status)).toEqual([...burst.map(() => "fulfilled"), "rejected"]);
      // The restore batch found the sentinel and changed nothing; then 202 changes one by
      // one, in two remote commands of at most 200.
      expect(sshPoolStats().execs - execs).toBe(3);
      // One ipvsadm each: the refusal carries its own exit code.
      expect(((settled[201] as PromiseRejectedResult).reason as IpvsChangeError).exitCode).toBe(255);
      expect(destinations(await rulesFile())).toBe(201);
      // Still there, untouched (ipvsadm 1.31 prints this mark signed: -1).
      expect((await run(dir1(), ["ipvsadm", "-L", "-n", "-f", "4294967295"])).stdout).toMatch(/^FWM {2}-1 rr/m);
    } finally {
      await run(dir1(), ["ipvsadm", "-D", "-f", "4294967295"]);
      await Promise.allSettled(burst.map((i) => changeIpvsTable(dir1(), ["ipvsadm", "-d", "-t", `${VIP}:80`, "-r", `${address(i)}:80`])));
    }
    expect(destinations(await rulesFile())).toBe(0);
    expect(await rulesFile()).not.toContain("4294967295");
  });

  it("a rules file cut short on its way back is not written: the old file stays, the script says why, the lock is free", async () => {
    await changeIpvsTable(dir1(), ["ipvsadm", "-a", "-t", `${VIP}:80`, "-r", `${address(0)}:80`, "-g", "-w", "1"]);
    const saved = await rulesFile();
    expect(destinations(saved)).toBe(1);
    // What a dropped connection leaves on the script's stdin: part of the file, no end.
    const cut = await exec(dir1(), changeBatchArgv("10", "each"), {
      stdin: batchStdin([]),
      answer: { marker: RULES_FILE_REQUEST, reply: () => "4000\n-A -t 10.77.0.160:80 -s rr\n" },
    });
    expect(cut.exitCode).toBe(RULES_FILE_INCOMPLETE_EXIT);
    expect(cut.stderr).toMatch(/the rules file did not arrive whole \(no end\); \/etc\/ipvsadm\.rules is unchanged/);
    expect(await rulesFile()).toBe(saved);
    expect((await run(dir1(), ["sh", "-c", "ls /etc/ipvsadm.rules.pulumi-lvs.tmp 2>&1 || true"])).stdout).toMatch(/No such file/);
    // The lock went with the script: the next change gets it at once.
    await changeIpvsTable(dir1(), ["ipvsadm", "-d", "-t", `${VIP}:80`, "-r", `${address(0)}:80`]);
    expect(destinations(await rulesFile())).toBe(0);
  });
});
