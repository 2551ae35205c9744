// Planner tables: (live, desired) → operations, for the scoped planners a VirtualService
// and a RealServer use and for the whole-table reconciler; plus the diff's field names.

import type { IpvsDestination, IpvsService, IpvsTable, ServiceKey } from "../../../provider/ipvs/model";
import { EMPTY_TABLE, serviceKeyString } from "../../../provider/ipvs/model";
import {
  IpvsOpRejectedError,
  applyOps,
  changedDestinationFields,
  changedServiceFields,
  planDestination,
  planService,
  planTable,
  type IpvsOp,
} from "../../../provider/ipvs/plan";

const web: ServiceKey = { kind: "address", protocol: "tcp", address: "10.0.0.1", port: 80 };
const api: ServiceKey = { kind: "address", protocol: "tcp", address: "10.0.0.2", port: 443 };
const mark: ServiceKey = { kind: "fwmark", fwmark: 7, family: "ipv6" };

const svc = (key: ServiceKey, extra: Partial<IpvsService> = {}): IpvsService => ({ key, scheduler: "wlc", schedulerFlags: [], onePacket: false, ...extra });
const dest = (service: ServiceKey, address: string, extra: Partial<IpvsDestination> = {}): IpvsDestination => ({
  service,
  address,
  port: service.kind === "address" ? service.port : 0,
  forwarding: "dr",
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});
const table = (services: IpvsService[], destinations: IpvsDestination[] = []): IpvsTable => ({ services, destinations });
const kinds = (ops: IpvsOp[]) => ops.map((op) => `${op.kind} ${"service" in op ? (op.service.key as { address?: string }).address ?? "mark" : op.destination.address}`);

describe("planService (one VirtualService)", () => {
  const live = table([svc(web, { scheduler: "rr" }), svc(api)], [dest(web, "10.0.1.1")]);
  it.each<[string, IpvsService | undefined, ServiceKey, IpvsOp[]]>([
    ["missing → add", svc(mark), mark, [{ kind: "add-service", service: svc(mark) }]],
    ["same config → nothing", svc(web, { scheduler: "rr" }), web, []],
    ["scheduler differs → edit in place", svc(web, { scheduler: "sh", schedulerFlags: ["sh-port"] }), web, [{ kind: "edit-service", service: svc(web, { scheduler: "sh", schedulerFlags: ["sh-port"] }) }]],
    ["persistence added → edit", svc(api, { persistence: { timeoutSeconds: 60 } }), api, [{ kind: "edit-service", service: svc(api, { persistence: { timeoutSeconds: 60 } }) }]],
    ["unwanted → delete (its real servers go with it)", undefined, web, [{ kind: "delete-service", service: svc(web, { scheduler: "rr" }) }]],
    ["unwanted and already gone → nothing", undefined, mark, []],
  ])("%s", (_, desired, key, ops) => {
    expect(planService(live, desired, key)).toEqual(ops);
  });

  it("never touches other services or real servers", () => {
    const ops = planService(live, svc(web, { scheduler: "lc" }), web);
    const after = applyOps(live, ops);
    expect(after.services.find((s) => serviceKeyString(s.key) === serviceKeyString(api))).toEqual(svc(api));
    expect(after.destinations).toEqual(live.destinations);
  });

  it("a full netmask is no netmask: nothing to do", () => {
    const persistent = table([svc(web, { persistence: { timeoutSeconds: 60 } })]);
    expect(planService(persistent, svc(web, { persistence: { timeoutSeconds: 60, netmask: "255.255.255.255" } }), web)).toEqual([]);
  });

  it("refuses a desired service whose key is not the key", () => {
    expect(() => planService(live, svc(api), web)).toThrow(/does not have key tcp:10.0.0.1:80/);
  });
});

describe("planDestination (one RealServer)", () => {
  const live = table([svc(web), svc(mark)], [dest(web, "10.0.1.1", { weight: 5 }), dest(mark, "fd00::9")]);
  it.each<[string, IpvsDestination | undefined, IpvsDestination, IpvsOp["kind"][]]>([
    ["missing → add", dest(web, "10.0.1.2"), dest(web, "10.0.1.2"), ["add-destination"]],
    ["same → nothing", dest(web, "10.0.1.1", { weight: 5 }), dest(web, "10.0.1.1"), []],
    ["weight 0 (drain) → edit, never delete + add", dest(web, "10.0.1.1", { weight: 0 }), dest(web, "10.0.1.1"), ["edit-destination"]],
    ["forwarding dr → nat → edit in place", dest(web, "10.0.1.1", { weight: 5, forwarding: "nat" }), dest(web, "10.0.1.1"), ["edit-destination"]],
    ["thresholds → edit", dest(web, "10.0.1.1", { weight: 5, upperThreshold: 10 }), dest(web, "10.0.1.1"), ["edit-destination"]],
    ["tunnel added → edit", dest(web, "10.0.1.1", { weight: 5, forwarding: "tun", tunnel: { type: "gue", port: 6080 } }), dest(web, "10.0.1.1"), ["edit-destination"]],
    ["same port, other service → add", dest(mark, "10.0.1.1", { forwarding: "tun" }), dest(mark, "10.0.1.1"), ["add-destination"]],
    ["unwanted → delete", undefined, dest(mark, "fd00::9"), ["delete-destination"]],
    ["unwanted and gone → nothing", undefined, dest(web, "10.0.9.9"), []],
  ])("%s", (_, desired, key, expected) => {
    expect(planDestination(live, desired, key).map((op) => op.kind)).toEqual(expected);
  });

  it("carries the full desired entity, normalised", () => {
    const [op] = planDestination(live, dest(web, "10.0.1.1", { forwarding: "tun" }), dest(web, "10.0.1.1"));
    expect(op).toEqual({ kind: "edit-destination", destination: dest(web, "10.0.1.1", { forwarding: "tun", tunnel: { type: "ipip" } }) });
  });

  it("adding to a missing service is left to ipvsadm (applyOps refuses it like ipvsadm)", () => {
    const ops = planDestination(EMPTY_TABLE, dest(web, "10.0.1.1"), dest(web, "10.0.1.1"));
    expect(() => applyOps(EMPTY_TABLE, ops)).toThrow(IpvsOpRejectedError);
    expect(() => applyOps(EMPTY_TABLE, ops)).toThrow(/Service not defined/);
  });
});

describe("planTable (whole table, by key sets)", () => {
  const live = table([svc(web), svc(api)], [dest(web, "10.0.1.1"), dest(web, "10.0.1.2"), dest(api, "10.0.1.3")]);
  it.each<[string, IpvsTable, string[]]>([
    ["identical → nothing", live, []],
    ["empty → destinations out before their services", EMPTY_TABLE, ["delete-destination 10.0.1.1", "delete-destination 10.0.1.2", "delete-destination 10.0.1.3", "delete-service 10.0.0.1", "delete-service 10.0.0.2"]],
    [
      "from scratch → services in before their destinations",
      table([svc(web), svc(mark)], [dest(mark, "fd00::1"), dest(web, "10.0.1.1"), dest(web, "10.0.1.2")]),
      ["delete-destination 10.0.1.3", "delete-service 10.0.0.2", "add-service mark", "add-destination fd00::1"],
    ],
    [
      "mixed: edit, add, delete",
      table([svc(web, { scheduler: "rr" }), svc(api)], [dest(web, "10.0.1.1", { weight: 3 }), dest(api, "10.0.1.3"), dest(api, "10.0.1.4")]),
      ["delete-destination 10.0.1.2", "edit-service 10.0.0.1", "add-destination 10.0.1.4", "edit-destination 10.0.1.1"],
    ],
  ])("%s", (_, desired, expected) => {
    expect(kinds(planTable(live, desired))).toEqual(expected);
    expect(applyOps(live, planTable(live, desired))).toEqual(applyOps(desired, []));
  });

  it("refuses a desired real server without its service", () => {
    expect(() => planTable(EMPTY_TABLE, table([], [dest(web, "10.0.1.1")]))).toThrow(/has no desired service/);
  });
});

describe("applyOps models ipvsadm's refusals", () => {
  const live = table([svc(web)], [dest(web, "10.0.1.1")]);
  it.each<[string, IpvsOp, RegExp]>([
    ["add an existing service", { kind: "add-service", service: svc(web) }, /Service already exists/],
    ["edit a missing service", { kind: "edit-service", service: svc(api) }, /No such service/],
    ["add an existing real server", { kind: "add-destination", destination: dest(web, "10.0.1.1") }, /Destination already exists/],
    ["edit a missing real server", { kind: "edit-destination", destination: dest(web, "10.0.1.9") }, /No such destination/],
  ])("%s", (_, op, message) => {
    expect(() => applyOps(live, [op])).toThrow(message);
  });

  it("delete-service takes the service's real servers with it", () => {
    expect(applyOps(live, [{ kind: "delete-service", service: svc(web) }])).toEqual(EMPTY_TABLE);
  });
});

describe("changed fields (for the detailed diff)", () => {
  it.each<[string, IpvsService, IpvsService, string[]]>([
    ["nothing", svc(web), svc(web), []],
    ["scheduler and flags", svc(web), svc(web, { scheduler: "sh", schedulerFlags: ["sh-port"] }), ["scheduler", "schedulerFlags"]],
    ["persistence netmask", svc(web, { persistence: { timeoutSeconds: 1 } }), svc(web, { persistence: { timeoutSeconds: 1, netmask: "255.255.0.0" } }), ["persistence"]],
    ["full netmask = no netmask", svc(web, { persistence: { timeoutSeconds: 1 } }), svc(web, { persistence: { timeoutSeconds: 1, netmask: "255.255.255.255" } }), []],
    ["onePacket", svc(web), svc(web, { onePacket: true }), ["onePacket"]],
    ["address and port (identity)", svc(web), svc(api), ["address", "port"]],
    ["address service → fwmark", svc(web), svc(mark), ["protocol", "address", "port", "fwmark", "family"]],
  ])("service: %s", (_, a, b, fields) => {
    expect(changedServiceFields(a, b)).toEqual(fields);
  });

  it.each<[string, IpvsDestination, IpvsDestination, string[]]>([
    ["nothing", dest(web, "10.0.1.1"), dest(web, "10.0.1.1"), []],
    ["weight", dest(web, "10.0.1.1"), dest(web, "10.0.1.1", { weight: 0 }), ["weight"]],
    ["forwarding and tunnel", dest(web, "10.0.1.1"), dest(web, "10.0.1.1", { forwarding: "tun" }), ["forwarding", "tunnel"]],
    ["thresholds", dest(web, "10.0.1.1"), dest(web, "10.0.1.1", { upperThreshold: 9, lowerThreshold: 1 }), ["upperThreshold", "lowerThreshold"]],
    ["address (identity)", dest(web, "10.0.1.1"), dest(web, "10.0.1.2"), ["address"]],
    ["service (identity)", dest(web, "10.0.1.1"), dest(api, "10.0.1.1"), ["service", "port"]],
  ])("destination: %s", (_, a, b, fields) => {
    expect(changedDestinationFields(a, b)).toEqual(fields);
  });
});
