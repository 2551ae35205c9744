// VirtualService and RealServer on the lab's real IPVS kernel (director dir1), through
// their provider implementations: every scheduler the kernel offers and every forwarding
// method, on IPv4 and IPv6, round-trip create → read → update → read → delete.
// (Each scheduler once, with the family × forwarding pairs rotated across them: see below.)

import { closeSshPool, run } from "../../provider/ssh";
import { availableSchedulers } from "../../provider/ipvs/executor";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { SchedulerUnavailableError } from "../../provider/resource/errors";
import { labConnection, labHost } from "../support/lab";
import { clearIpvsTable } from "../support/labChecks";
import { refresh, up, upChanged } from "../support/providerSteps";

const dir1 = () => labConnection("dir1");
const savedTable = async () => (await run(dir1(), ["ipvsadm", "-S", "-n"])).stdout;
const rulesFile = async () => (await run(dir1(), ["cat", "/etc/ipvsadm.rules"])).stdout;

afterAll(async () => {
  await clearIpvsTable("dir1");
  await closeSshPool();
});

const KERNEL_SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"];

describe("IPVS round trips on a real kernel", () => {
  beforeAll(async () => {
    await clearIpvsTable("dir1");
  });

  it("finds exactly the schedulers Debian 12's kernel ships (no twos)", async () => {
    expect(await availableSchedulers(dir1())).toEqual(KERNEL_SCHEDULERS);
  });

  it("refuses a scheduler the kernel lacks with a clear error", async () => {
    const attempt = up(virtualServiceProvider, { connection: dir1(), protocol: "tcp", address: "10.77.0.149", port: 80, scheduler: "twos" });
    await expect(attempt).rejects.toThrow(SchedulerUnavailableError);
    await expect(attempt).rejects.toThrow(/scheduler "twos".*Available there: rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh/s);
    expect(await savedTable()).not.toContain("10.77.0.149");
  });

  const families = [
    { family: "ipv4", vip: (i: number) => `10.77.0.${100 + i}`, rs: (n: string) => labHost(n).interfaces.front.ipv4, natRs: (n: string) => labHost(n).interfaces.back!.ipv4 },
    { family: "ipv6", vip: (i: number) => `fd77::${100 + i}`, rs: (n: string) => labHost(n).interfaces.front.ipv6, natRs: (n: string) => labHost(n).interfaces.back!.ipv6 },
  ] as const;

  // The scheduler is the service's, the forwarding method and family the real server's: they
  // are independent, so each scheduler runs once, on family i mod 2 with destination i mod 5.
  // Thirteen schedulers cover all ten family × forwarding pairs (2 and 5 are coprime), and the
  // suite does a tenth of the round trips of the full cross product, which took 9 minutes of
  // CI's 90 on the lab's emulated VMs.
  const destinations = (f: (typeof families)[number]) => [
    { address: f.rs("rs1"), port: 80, forwarding: "dr" },
    { address: f.natRs("rs2"), port: 8080, forwarding: "nat" },
    { address: f.rs("rs3"), port: 80, forwarding: "tun", tunnel: { type: "ipip" } },
    { address: f.natRs("rs1"), port: 80, forwarding: "tun", tunnel: { type: "gue", port: 6080, checksum: "csum" } },
    { address: f.natRs("rs3"), port: 80, forwarding: "tun", tunnel: { type: "gre", checksum: "csum" } },
  ];
  const cases = KERNEL_SCHEDULERS.map((scheduler, i) => {
    const f = families[i % 2]!;
    const destination = destinations(f)[i % 5]!;
    const label = `${destination.forwarding}${destination.tunnel ? ` ${destination.tunnel.type}` : ""}`;
    return [scheduler, f.family, label, i, f, destination] as const;
  });

  it("the cases cover every family × forwarding pair", () => {
    expect(new Set(cases.map(([, family, label]) => `${family} ${label}`)).size).toBe(families.length * 5);
  });

  // Concurrent (jest's default of five at a time), as the engine runs independent resources:
  // each case has a service of its own, so the provider's locking of the one table and rules
  // file on dir1 is exercised too. One at a time they took 13 × 14 s of CI's time.
  it.concurrent.each(cases)("scheduler %s on %s, a %s real server: create → read → update → read → delete", async (scheduler, _family, _label, i, f, destination) => {
    const service = { connection: dir1(), protocol: "tcp", address: f.vip(i), port: 80, scheduler };
    const vs = await up(virtualServiceProvider, service);
    const vsRead = await refresh(virtualServiceProvider, vs);
    expect(vsRead?.inputs).toMatchObject({ scheduler, address: f.vip(i), port: 80, protocol: "tcp" });
    const flags = scheduler === "sh" ? ["sh-fallback", "sh-port"] : scheduler === "mh" ? ["mh-fallback", "mh-port"] : [];
    const edited = { ...service, schedulerFlags: flags, persistence: { timeoutSeconds: 120 } };
    const { deployed: vs2, diff } = await upChanged(virtualServiceProvider, vs, edited);
    expect(diff.changes).toBe(true);
    const vsRead2 = await refresh(virtualServiceProvider, vs2);
    expect(vsRead2?.inputs).toMatchObject({ scheduler, schedulerFlags: flags, persistence: { timeoutSeconds: 120 } });

    const reference = { protocol: "tcp", address: f.vip(i), port: 80 };
    const rs = await up(realServerProvider, { connection: dir1(), service: reference, weight: 2, ...destination });
    expect((await refresh(realServerProvider, rs))?.inputs).toMatchObject({ ...destination, weight: 2 });
    const { deployed, diff: rsDiff } = await upChanged(realServerProvider, rs, {
      connection: dir1(), service: reference, ...destination, weight: 7, upperThreshold: 100, lowerThreshold: 10,
    });
    expect(rsDiff.changes).toBe(true);
    expect((await refresh(realServerProvider, deployed))?.inputs).toMatchObject({ ...destination, weight: 7, upperThreshold: 100, lowerThreshold: 10 });
    await realServerProvider.delete(deployed.id, deployed.state);
    expect(await refresh(realServerProvider, deployed)).toBeUndefined();
    await virtualServiceProvider.delete(vs2.id, vs2.state);
    expect(await refresh(virtualServiceProvider, vs2)).toBeUndefined();
    const listed = f.family === "ipv4" ? `${f.vip(i)}:` : `[${f.vip(i)}]:`;
    expect(await savedTable()).not.toContain(listed);
    expect(await rulesFile()).not.toContain(listed);
  });

  it("round-trips firewall-mark services (IPv4 and IPv6) and UDP/SCTP services", async () => {
    const cases = [
      { fwmark: 77, family: "ipv4", rs: labHost("rs1").interfaces.front.ipv4 },
      { fwmark: 78, family: "ipv6", rs: labHost("rs1").interfaces.front.ipv6 },
      { protocol: "udp", address: "10.77.0.140", port: 53, onePacket: true, rs: labHost("rs2").interfaces.front.ipv4 },
      { protocol: "sctp", address: "fd77::140", port: 3868, rs: labHost("rs2").interfaces.front.ipv6 },
    ];
    await Promise.all(cases.map(async ({ rs, ...identity }) => {
      const vs = await up(virtualServiceProvider, { connection: dir1(), scheduler: "wrr", ...identity });
      const reference = "fwmark" in identity ? { fwmark: identity.fwmark, family: identity.family } : { protocol: identity.protocol, address: identity.address, port: identity.port };
      const port = "port" in identity ? identity.port : 0;
      const real = await up(realServerProvider, { connection: dir1(), service: reference, address: rs, port, weight: 3 });
      expect((await refresh(virtualServiceProvider, vs))?.inputs).toMatchObject({ ...identity, scheduler: "wrr" });
      expect((await refresh(realServerProvider, real))?.inputs).toMatchObject({ address: rs, weight: 3 });
      await realServerProvider.delete(real.id, real.state);
      await virtualServiceProvider.delete(vs.id, vs.state);
      expect(await refresh(virtualServiceProvider, vs)).toBeUndefined();
    }));
  });
});
