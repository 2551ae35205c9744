// Property tests: applying a plan to the model of ipvsadm reaches the desired state, and
// planning again yields nothing — for the whole-table reconciler and the scoped planners.

import fc from "fast-check";
import {
  destinationConfigOf,
  destinationKeyString,
  normalizeDestination,
  normalizeService,
  normalizeTable,
  sameDestinationConfig,
  serviceKeyString,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  type ServiceKey,
} from "../../../provider/ipvs/model";
import { applyOps, planDestination, planService, planTable, type IpvsOp } from "../../../provider/ipvs/plan";

// Small pools, so that live and desired tables share keys often.
const addressKey: fc.Arbitrary<ServiceKey> = fc.record({
  kind: fc.constant("address" as const),
  protocol: fc.constantFrom("tcp" as const, "udp" as const, "sctp" as const),
  address: fc.constantFrom("10.0.0.1", "10.0.0.2", "fd00::1", "FD00:0::2"),
  port: fc.constantFrom(0, 80, 443),
});
const markKey: fc.Arbitrary<ServiceKey> = fc.record({ kind: fc.constant("fwmark" as const), fwmark: fc.constantFrom(1, 2), family: fc.constantFrom("ipv4" as const, "ipv6" as const) });
const serviceKey = fc.oneof(addressKey, markKey);

function serviceFor(key: ServiceKey): fc.Arbitrary<IpvsService> {
  const v6 = key.kind === "fwmark" ? key.family === "ipv6" : key.address.includes(":");
  return fc
    .record({
      scheduler: fc.constantFrom("rr" as const, "wlc" as const, "sh" as const, "mh" as const),
      flagBits: fc.subarray(["fallback", "port"]),
      persistence: fc.option(
        fc.record({ timeoutSeconds: fc.integer({ min: 1, max: 3 }), netmask: fc.option(fc.constantFrom(...(v6 ? ["64", "128"] : ["255.255.255.0", "255.255.255.255"])), { nil: undefined }) }),
        { nil: undefined },
      ),
      onePacket: fc.boolean(),
    })
    .map(({ scheduler, flagBits, persistence, onePacket }) => ({
      key,
      scheduler,
      schedulerFlags: scheduler === "sh" || scheduler === "mh" ? flagBits.map((b) => `${scheduler}-${b}` as IpvsService["schedulerFlags"][number]) : [],
      ...(persistence ? { persistence: persistence.netmask === undefined ? { timeoutSeconds: persistence.timeoutSeconds } : persistence } : {}),
      onePacket,
    }));
}

const tunnel = fc.oneof(
  fc.constant(undefined),
  fc.constant({ type: "ipip" as const }),
  fc.record({ type: fc.constant("gue" as const), port: fc.constantFrom(6080, 6081), checksum: fc.constantFrom("nocsum" as const, "csum" as const, "remcsum" as const) }),
  fc.record({ type: fc.constant("gre" as const) }),
);

function destinationFor(keys: ServiceKey[]): fc.Arbitrary<IpvsDestination> {
  return fc
    .record({
      service: fc.constantFrom(...keys),
      address: fc.constantFrom("10.0.1.1", "10.0.1.2", "fd00:1::1"),
      port: fc.constantFrom(0, 80, 8080),
      forwarding: fc.constantFrom("dr" as const, "nat" as const, "tun" as const),
      weight: fc.integer({ min: 0, max: 3 }),
      upperThreshold: fc.constantFrom(0, 10),
      lowerThreshold: fc.constantFrom(0, 5),
      tunnel,
    })
    .map(({ tunnel: t, ...d }) => ({ ...d, ...(d.forwarding === "tun" && t ? { tunnel: t } : {}) }));
}

const services = fc.uniqueArray(serviceKey.chain(serviceFor), { selector: (s) => serviceKeyString(normalizeService(s).key), maxLength: 5 });
const ipvsTable: fc.Arbitrary<IpvsTable> = services.chain((svcs) =>
  svcs.length === 0
    ? fc.constant({ services: svcs, destinations: [] })
    : fc
        .uniqueArray(destinationFor(svcs.map((s) => s.key)), { selector: (d) => destinationKeyString(normalizeDestination(d)), maxLength: 8 })
        .map((destinations) => ({ services: svcs, destinations })),
);

/** A delete and an add of the same key would cut established connections. */
function replacedKeys(ops: IpvsOp[]): string[] {
  const keyOf = (op: IpvsOp) => ("service" in op ? serviceKeyString(normalizeService(op.service).key) : destinationKeyString(normalizeDestination(op.destination)));
  const deleted = new Set(ops.filter((op) => op.kind.startsWith("delete")).map(keyOf));
  return ops.filter((op) => op.kind.startsWith("add") && deleted.has(keyOf(op))).map(keyOf);
}

const RUNS = { numRuns: 300 };

describe("planTable", () => {
  it("applying the plan to live gives desired; planning again gives nothing; nothing is replaced", () => {
    fc.assert(
      fc.property(ipvsTable, ipvsTable, (live, desired) => {
        const ops = planTable(live, desired);
        const after = applyOps(live, ops);
        expect(after).toEqual(normalizeTable(desired));
        expect(planTable(after, desired)).toEqual([]);
        expect(replacedKeys(ops)).toEqual([]);
      }),
      RUNS,
    );
  });

  it("a table planned against itself needs nothing", () => {
    fc.assert(fc.property(ipvsTable, (t) => planTable(t, t).length === 0), RUNS);
  });
});

describe("planService (scoped)", () => {
  it("reaches the desired service, leaves everything else alone, and is idempotent", () => {
    fc.assert(
      fc.property(ipvsTable, serviceKey, fc.boolean(), (live, key, wanted) =>
        fc.assert(
          fc.property(serviceFor(key), (service) => {
            const desired = wanted ? service : undefined;
            const after = applyOps(live, planService(live, desired, key));
            const k = serviceKeyString(normalizeService(service).key);
            const others = (t: IpvsTable) => normalizeTable({ services: t.services.filter((s) => serviceKeyString(s.key) !== k), destinations: t.destinations.filter((d) => serviceKeyString(d.service) !== k) });
            expect(after.services.find((s) => serviceKeyString(s.key) === k)).toEqual(desired && normalizeService(desired));
            expect(others(after)).toEqual(others(live));
            expect(planService(after, desired, key)).toEqual([]);
          }),
          { numRuns: 3 },
        ),
      ),
      { numRuns: 100 },
    );
  });
});

describe("planDestination (scoped)", () => {
  const liveWithOneService = ipvsTable.filter((t) => t.services.length > 0);
  it("reaches the desired real server, leaves everything else alone, and is idempotent", () => {
    fc.assert(
      fc.property(
        liveWithOneService.chain((live) => fc.tuple(fc.constant(live), destinationFor(live.services.map((s) => s.key)), fc.boolean())),
        ([live, destination, wanted]) => {
          const desired = wanted ? destination : undefined;
          const after = applyOps(live, planDestination(live, desired, destination));
          const k = destinationKeyString(normalizeDestination(destination));
          const others = (t: IpvsTable) => normalizeTable({ services: t.services, destinations: t.destinations.filter((d) => destinationKeyString(d) !== k) });
          expect(after.destinations.find((d) => destinationKeyString(d) === k)).toEqual(desired && normalizeDestination(desired));
          expect(others(after)).toEqual(others(live));
          expect(planDestination(after, desired, destination)).toEqual([]);
        },
      ),
      RUNS,
    );
  });
});

describe("sameDestinationConfig", () => {
  it("says what comparing destinationConfigOf's records says (its field-by-field shortcut)", () => {
    const key: ServiceKey = { kind: "address", protocol: "tcp", address: "10.0.0.1", port: 80 };
    fc.assert(
      fc.property(destinationFor([key]), destinationFor([key]), (a, b) => {
        const [ca, cb] = [destinationConfigOf(a), destinationConfigOf(b)];
        const sameRecords = Object.keys(ca).every((k) => ca[k as keyof typeof ca] === cb[k as keyof typeof cb]);
        expect(sameDestinationConfig(a, b)).toBe(sameRecords);
        expect(sameDestinationConfig(a, a)).toBe(true);
      }),
      RUNS,
    );
  });
});
