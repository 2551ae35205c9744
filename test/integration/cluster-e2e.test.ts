// End to end in the lab: a DR cluster and a TUN cluster built from the resources
// (Director on dir1, VirtualService, three RealServers, a RealServerArpConfig on each real
// server). The lab client's HTTP requests to the VIP are answered by every real server,
// and the replies go straight from the real servers to the client: the director's IPVS
// OutPkts for the service stays 0. The DR cluster is dual stack (issue 15): the Director
// binds an IPv6 VIP beside the IPv4 one, the real servers carry both on lo, and the
// client's requests over IPv6 are answered by every real server directly too.

import { formatHostPort } from "../../provider/ipvs/model";
import { closeSshPool, run } from "../../provider/ssh";
import { realServerArpConfigProvider } from "../../provider/arp/arpProvider";
import { directorProvider } from "../../provider/director/directorProvider";
import { realServerProvider } from "../../provider/service/realServerRouter";
import { virtualServiceProvider } from "../../provider/service/virtualServiceRouter";
import { labConnection, labHost } from "../support/lab";
import { destroyInLayers } from "../support/keepalivedLab";
import { clearIpvsTable } from "../support/labChecks";
import { allSettledOrThrow, upAll, type Deployed, type ProviderUnderTest } from "../support/providerSteps";

const REAL_SERVERS = ["rs1", "rs2", "rs3"] as const;
const dir1 = () => labConnection("dir1");

afterAll(closeSshPool);

/** Deleted as the engine deletes them: dependents first, each layer's resources at once. */
const destroy = (stack: Array<[ProviderUnderTest, Deployed]>) =>
  destroyInLayers(stack, [[realServerProvider], [virtualServiceProvider], [realServerArpConfigProvider, directorProvider]]);

/** Stats line of the service: Conns InPkts OutPkts InBytes OutBytes, exact numbers. */
async function serviceStats(vip: string): Promise<{ conns: number; inPkts: number; outPkts: number }> {
  const listing = (await run(dir1(), ["ipvsadm", "-L", "-n", "--exact", "--stats", "-t", formatHostPort(vip, 80)])).stdout;
  const line = listing.split("\n").find((l) => l.startsWith("TCP "))!;
  const [, , conns, inPkts, outPkts] = line.trim().split(/\s+/).map(Number);
  return { conns: conns!, inPkts: inPkts!, outPkts: outPkts! };
}

async function answersFromClient(vip: string, requests: number): Promise<Map<string, number>> {
  const script = 'for i in $(seq "$1"); do curl -gsS --max-time 5 "http://$2/" || echo FAILED; done';
  const out = (await run(labConnection("client"), ["sh", "-c", script, "requests", String(requests), vip.includes(":") ? `[${vip}]` : vip])).stdout;
  const counts = new Map<string, number>();
  for (const line of out.split("\n").filter((l) => l.length > 0)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

describe.each([
  { mode: "dr", vip: "10.77.0.230", vip6: "fd77::230" },
  { mode: "tun", vip: "10.77.0.231", vip6: undefined },
] as const)("a $mode cluster in the lab", ({ mode, vip, vip6 }) => {
  it(`answers the client from every real server, with replies bypassing the director${vip6 ? ", over IPv4 and IPv6" : ""}`, async () => {
    const stack: Array<[ProviderUnderTest, Deployed]> = [];
    const families = [{ vip, address: (name: string) => labHost(name).interfaces.front.ipv4 }, ...(vip6 ? [{ vip: vip6, address: (name: string) => labHost(name).interfaces.front.ipv6! }] : [])];
    try {
      await clearIpvsTable("dir1");
      // In LvsCluster's order: the Director and the ARP configs, then the services (which
      // depend on the Director), then their real servers.
      const directorInputs = { connection: dir1(), mode, ...(mode === "dr" ? { interfaces: ["eth1"] } : {}), vip: { address: vip, interface: "eth1" }, ...(vip6 ? { vips: [{ address: vip6, interface: "eth1" }] } : {}) };
      await allSettledOrThrow([
        upAll(stack, directorProvider, [directorInputs]),
        upAll(stack, realServerArpConfigProvider, REAL_SERVERS.map((name) => ({ connection: labConnection(name), vips: families.map((f) => f.vip), mode, interfaces: ["eth1"] }))),
      ]);
      const references = families.map((family) => ({ protocol: "tcp", address: family.vip, port: 80 }));
      await upAll(stack, virtualServiceProvider, references.map((reference) => ({ connection: dir1(), ...reference, scheduler: "rr" })));
      await upAll(stack, realServerProvider, families.flatMap((family, i) => REAL_SERVERS.map((name) => ({ connection: dir1(), service: references[i], address: family.address(name), port: 80, forwarding: mode }))));
      await run(labConnection("client"), ["ip", "neigh", "flush", "all"]);

      for (const family of families) {
        const counts = await answersFromClient(family.vip, 30);
        console.log(`${mode} cluster, VIP ${family.vip}: answers ${JSON.stringify(Object.fromEntries(counts))}`);
        expect(counts.get("FAILED")).toBeUndefined();
        expect([...counts.keys()].sort()).toEqual([...REAL_SERVERS]);
        for (const name of REAL_SERVERS) expect(counts.get(name)).toBe(10); // rr: an even spread
      }

      // IPVS folds its per-CPU counters into these totals every 2 s (the estimator).
      await new Promise((r) => setTimeout(r, 4000));
      for (const family of families) {
        const stats = await serviceStats(family.vip);
        console.log(`${mode} cluster, VIP ${family.vip}: director IPVS stats ${JSON.stringify(stats)}`);
        expect(stats.conns).toBe(30);
        expect(stats.inPkts).toBeGreaterThan(0);
        expect(stats.outPkts).toBe(0);
      }
    } finally {
      await destroy(stack);
    }
    const table = (await run(dir1(), ["ipvsadm", "-S", "-n"])).stdout;
    for (const family of families) expect(table).not.toContain(family.vip);
  });
});
