// planLvsCluster over generated clusters: child names are unique per resource type and
// derived from the cluster name, and the counts follow from the mode (services × real servers RealServers,
// one ARP config per real server except in nat).

import fc from "fast-check";
import { validateLvsClusterArgs, type LvsClusterArgs } from "../../../components/lvsCluster/args";
import { planLvsCluster } from "../../../components/lvsCluster/plan";

const conn = { host: "192.0.2.1", privateKey: "k", hostKey: "SHA256:x" };

const clusterArgs: fc.Arbitrary<{ name: string; args: LvsClusterArgs }> = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
  mode: fc.constantFrom("dr" as const, "nat" as const, "tun" as const),
  pair: fc.boolean(),
  services: fc.uniqueArray(fc.record({ protocol: fc.constantFrom("tcp" as const, "udp" as const, "sctp" as const), port: fc.integer({ min: 1, max: 65535 }) }), {
    minLength: 1,
    maxLength: 4,
    selector: (s) => `${s.protocol}/${s.port}`,
  }),
  rsNames: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), { minLength: 1, maxLength: 5 }),
}).map(({ name, mode, pair, services, rsNames }) => ({
  name,
  args: {
    mode,
    ...(pair
      ? { keepalivedPair: { nodes: [{ connection: conn, priority: 150 }, { connection: conn, priority: 100 }] as const, interface: "eth1", virtualRouterId: 7 } }
      : { director: { connection: conn, interface: "eth1" } }),
    vip: "192.0.2.100",
    services,
    realServers: rsNames.map((n, i) => ({ name: n, connection: conn, address: `10.0.0.${i + 1}` })),
    ...(mode === "nat" ? { nat: { configureRealServerRoutes: false } } : {}),
  },
}));

describe("planLvsCluster properties", () => {
  it("valid arguments plan unique, prefixed names and the expected counts", () => {
    fc.assert(
      fc.property(clusterArgs, ({ name, args }) => {
        validateLvsClusterArgs(name, args);
        const plan = planLvsCluster(name, args);
        // Pulumi needs names unique per resource type (the type is part of the URN).
        const kinds = [plan.directors, plan.pair ? [plan.pair] : [], plan.services, plan.realServers, plan.arpConfigs];
        for (const kind of kinds) {
          const names = kind.map((c) => c.name);
          expect(new Set(names).size).toBe(names.length);
          for (const n of names) expect(n.startsWith(`${name}-`)).toBe(true);
        }
        expect(plan.services).toHaveLength(args.services.length);
        expect(plan.realServers).toHaveLength(args.services.length * args.realServers.length);
        expect(plan.arpConfigs).toHaveLength(args.mode === "nat" ? 0 : args.realServers.length);
        expect(plan.directors).toHaveLength(args.keepalivedPair ? 2 : 1);
        for (const r of plan.realServers) expect(r.args.forwarding).toBe(args.mode);
      }),
    );
  });
});
