// What refresh, concurrency and reboots do to VirtualService/RealServer on a real director:
// out-of-band edits read as drift, 100 real servers created at once all land (kernel and
// rules file), the read of 100 costs one handshake and one table dump (the rules across a
// real reboot: reboot.test.ts), and check rejects bad input with messages that say what to do.

import { closeSshPool, resetSshPool, run, sshPoolStats } from "../../provider/ssh";
import { ipvsTableReadCount } from "../../provider/ipvs/executor";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { AlreadyExistsError } from "../../provider/resource/errors";
import { labConnection } from "../support/lab";
import { clearIpvsTable } from "../support/labChecks";
import { preview, refresh, up, type Deployed } from "../support/providerSteps";

const dir1 = () => labConnection("dir1");
const ipvsadm = async (...args: string[]) => (await run(dir1(), ["ipvsadm", ...args])).stdout;

beforeAll(async () => {
  await ipvsadm("-C");
});
afterAll(async () => {
  await clearIpvsTable("dir1");
  await closeSshPool();
});

describe("drift: read returns the live kernel table", () => {
  const service = () => ({ connection: dir1(), protocol: "tcp", address: "10.77.0.120", port: 80, scheduler: "rr" });
  const reference = { protocol: "tcp", address: "10.77.0.120", port: 80 };
  const server = () => ({ connection: dir1(), service: reference, address: "10.77.0.21", port: 80, weight: 5 });

  let vs: Deployed;

  it("shows `ipvsadm -e … -w 0` as exactly a weight change, and reads stably", async () => {
    vs = await up(virtualServiceProvider, service());
    const rs = await up(realServerProvider, server());
    const first = await refresh(realServerProvider, rs);
    const second = await refresh(realServerProvider, rs);
    expect(second).toEqual(first);
    expect((await preview(realServerProvider, first!, server())).changes).toBe(false);

    await ipvsadm("-e", "-t", "10.77.0.120:80", "-r", "10.77.0.21:80", "-g", "-w", "0");
    const drifted = await refresh(realServerProvider, rs);
    expect(drifted?.inputs).toMatchObject({ weight: 0 });
    const diff = await preview(realServerProvider, drifted!, server());
    expect(diff.changes).toBe(true);
    expect(diff.replaces ?? []).toEqual([]);
    const { diffRealServer } = await import("../../provider/service/realServerRouter");
    expect(diffRealServer(drifted!.props!, { ...drifted!.props, ...server() }).updates).toEqual(["weight"]);
  });

  it("shows a scheduler changed by hand, and a service deleted by hand reads as gone", async () => {
    await ipvsadm("-E", "-t", "10.77.0.120:80", "-s", "wrr");
    const drifted = await refresh(virtualServiceProvider, vs);
    expect(drifted?.inputs).toMatchObject({ scheduler: "wrr" });
    expect((await preview(virtualServiceProvider, drifted!, service())).changes).toBe(true);

    await ipvsadm("-D", "-t", "10.77.0.120:80");
    expect(await refresh(virtualServiceProvider, vs)).toBeUndefined();
  });
});

describe("create never takes over; read by id and adopt do", () => {
  const service = () => ({ connection: dir1(), protocol: "tcp", address: "10.77.0.123", port: 443, scheduler: "wlc" });

  it("refuses an existing service, naming its id and pointing to adopt: true", async () => {
    await ipvsadm("-A", "-t", "10.77.0.123:443", "-s", "rr");
    const attempt = up(virtualServiceProvider, service());
    await expect(attempt).rejects.toThrow(AlreadyExistsError);
    await expect(attempt).rejects.toThrow(/\(id 127\.0\.0\.1:2201\/tcp:10\.77\.0\.123:443\).*set `adopt: true`/s);
    expect(await ipvsadm("-S", "-n")).toContain("-A -t 10.77.0.123:443 -s rr"); // untouched
  });

  // The provider side of an import. The engine never calls it so (its import step sends no
  // inputs: engine-cli.test.ts), which is why users take over with adopt: true.
  it("read from the id and the program's inputs alone returns the live entry", async () => {
    const imported = await refresh(virtualServiceProvider, { id: "127.0.0.1:2201/tcp:10.77.0.123:443", state: service() });
    expect(imported?.inputs).toMatchObject({ address: "10.77.0.123", port: 443, scheduler: "rr" });
    expect(imported?.props?.["hostKeyFingerprint"]).toMatch(/^SHA256:/);
  });

  it("adopts it when told to, converging it to the declared config", async () => {
    const adopted = await up(virtualServiceProvider, { ...service(), adopt: true });
    expect(await ipvsadm("-S", "-n")).toContain("-A -t 10.77.0.123:443 -s wlc");
    await virtualServiceProvider.delete(adopted.id, adopted.state);
    expect(await ipvsadm("-S", "-n")).not.toContain("10.77.0.123");
  });
});

describe("100 real servers on one director", () => {
  const vip = "10.77.0.121";
  const reference = { protocol: "tcp", address: vip, port: 80 };
  // Back-segment addresses of the lab that no VM uses: entries only, no traffic is sent.
  const addresses = Array.from({ length: 100 }, (_, i) => `10.77.1.${100 + i}`);

  it("creates 100 concurrently: all in the kernel and in the rules file", async () => {
    await up(virtualServiceProvider, { connection: dir1(), ...reference, scheduler: "wlc" });
    const created = await Promise.all(
      addresses.map((address, i) => up(realServerProvider, { connection: dir1(), service: reference, address, port: 8000 + i, forwarding: "nat", weight: 1 + (i % 5) })),
    );
    expect(created).toHaveLength(100);
    const saved = await ipvsadm("-S", "-n");
    const rules = (await run(dir1(), ["cat", "/etc/ipvsadm.rules"])).stdout;
    for (const [i, address] of addresses.entries()) {
      expect(saved).toContain(`-a -t ${vip}:80 -r ${address}:${8000 + i} -m -w ${1 + (i % 5)}`);
    }
    for (const [i, address] of addresses.entries()) {
      expect(rules).toContain(`-a -t ${vip}:80 -r ${address}:${8000 + i} -m -w ${1 + (i % 5)} -x 0 -y 0`);
    }
    expect(saved.split("\n").filter((l) => l.startsWith(`-a -t ${vip}:80 `))).toHaveLength(100);

    // The cost of a refresh of all 100: fresh pool, 100 concurrent reads.
    await resetSshPool();
    const before = { ...sshPoolStats(), dumps: ipvsTableReadCount() };
    const reads = await Promise.all(created.map((rs) => refresh(realServerProvider, rs)));
    const after = { ...sshPoolStats(), dumps: ipvsTableReadCount() };
    const cost = { handshakes: after.handshakes - before.handshakes, execs: after.execs - before.execs, tableDumps: after.dumps - before.dumps };
    console.log(`read of 100 RealServers on one director: ${JSON.stringify(cost)}`);
    expect(reads.every((r) => r?.id)).toBe(true);
    expect(cost.handshakes).toBe(1);
    expect(cost.tableDumps).toBe(1);
    expect(cost.execs).toBe(1);
  });
});

describe("check", () => {
  const failuresOf = async (provider: typeof virtualServiceProvider | typeof realServerProvider, news: Record<string, unknown>) =>
    (await provider.check({}, news)).failures ?? [];

  it("rejects a bad IP, a port of 70000 and an unknown scheduler, all at once", async () => {
    const failures = await failuresOf(virtualServiceProvider, { connection: dir1(), address: "10.77.0.300", port: 70000, scheduler: "rrr" });
    const byProperty = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
    expect(Object.keys(byProperty).sort()).toEqual(["address", "port", "scheduler"]);
    expect(byProperty["address"]).toMatch(/10\.77\.0\.300.*not an IPv4 or IPv6 address/);
    expect(byProperty["port"]).toMatch(/70000/);
    expect(byProperty["port"]).toMatch(/1\.\.65535/);
    expect(byProperty["scheduler"]).toMatch(/rrr/);
    expect(byProperty["scheduler"]).toMatch(/rr, wrr, lc, wlc/);
  });

  it("rejects weight -1 and a dr port that differs from the service port", async () => {
    const failures = await failuresOf(realServerProvider, {
      connection: dir1(), service: { protocol: "tcp", address: "10.77.0.120", port: 80 }, address: "10.77.0.21", port: 8080, forwarding: "dr", weight: -1,
    });
    const byProperty = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
    expect(byProperty["weight"]).toMatch(/0\.\.65535/);
    expect(byProperty["port"]).toMatch(/must equal the service's port 80/);
    expect(byProperty["port"]).toMatch(/forwarding "nat"/);
  });

  it("never touches the host: check and diff work with the director unreachable", async () => {
    const unreachable = { ...dir1(), port: 1 };
    const result = await virtualServiceProvider.check({}, { connection: unreachable, address: "10.77.0.1", port: 80 });
    expect(result.failures ?? []).toEqual([]);
    const diff = await virtualServiceProvider.diff("x/tcp:10.77.0.1:80", result.inputs!, { ...result.inputs!, scheduler: "rr" });
    expect(diff.changes).toBe(true);
  });
});
