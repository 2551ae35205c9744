// Rules keepalived 2.2.7 enforces that a single field's range does not show. Each value
// below is (a) refused by our schemas, at the property a user has to change, and (b) where
// the model's types still let it be forced past the schema, refused by the real
// `keepalived -t` (exit 5, or worse): the evidence that the schema rule is needed, or every
// apply would fail on the hosts with keepalived's message instead of a check failure at
// preview. Forced values go into an otherwise valid model, so the evidence stays true
// whatever the schemas do.

import { RealServerInputsSchema, VirtualServiceInputsSchema, formatCheckFailures } from "../../../provider/service/schema";
import type { KeepalivedPairConfig } from "../../../provider/keepalived/model";
import { KeepalivedPairInputsSchema } from "../../../provider/keepalived/schema";
import type { KeepalivedRealServer, KeepalivedVirtualServer } from "../../../provider/keepalived/serviceModel";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived, type KeepalivedCheck } from "../../support/keepalivedCheck";
import { MINIMAL_PAIR, PAIR_TARGET, nodeTree, pairOf, realServerOf, serviceOf } from "./userInputs";

afterAll(removeKeepalivedNamespace);

type Raw = Record<string, unknown>;
const messages = (check: KeepalivedCheck) => complaints(check).map((l) => l.replace(/^\([^)]*Line \d+\) /, ""));
const web = { address: "10.0.0.100", port: 80 };
const pair = () => pairOf(MINIMAL_PAIR);
const pair6 = () => pairOf({ ...MINIMAL_PAIR, vips: ["fd00::100"] });
const service = (): KeepalivedVirtualServer => serviceOf(web);
const realServer = (): KeepalivedRealServer => realServerOf({ service: web, address: "10.0.1.1", port: 80 });
const nodes = (a: Raw, b: Raw) => [
  { connection: { host: "h1" }, priority: 150, ...a },
  { connection: { host: "h2" }, priority: 100, ...b },
];

function check(p: KeepalivedPairConfig, s: KeepalivedVirtualServer = service(), rs: KeepalivedRealServer[] = [realServer()]) {
  return validateWithKeepalived(nodeTree(p, 0, [s], rs));
}

/** The properties our schema refuses in MINIMAL_PAIR + overrides. */
function pairRefusedAt(overrides: Raw): string[] {
  const r = KeepalivedPairInputsSchema.safeParse({ ...MINIMAL_PAIR, ...overrides });
  return r.success ? [] : formatCheckFailures(r.error.issues).map((f) => f.property);
}
function serviceRefusedAt(overrides: Raw): string[] {
  const r = VirtualServiceInputsSchema.safeParse({ keepalived: PAIR_TARGET, ...web, ...overrides });
  return r.success ? [] : formatCheckFailures(r.error.issues).map((f) => f.property);
}
function realServerRefusedAt(overrides: Raw): string[] {
  const r = RealServerInputsSchema.safeParse({ keepalived: PAIR_TARGET, service: web, address: "10.0.1.1", port: 80, ...overrides });
  return r.success ? [] : formatCheckFailures(r.error.issues).map((f) => f.property);
}

describe("KeepalivedPair: values keepalived refuses", () => {
  it.each<[string, Raw, string[], () => KeepalivedPairConfig, string]>([
    [
      "preemptDelay with a MASTER node",
      { preemptDelay: 30, nodes: nodes({ state: "MASTER" }, {}) },
      ["preemptDelay"],
      () => ({ ...pair(), preemptDelay: 30 }),
      "(VI_51) Warning - preempt delay will not work with initial state MASTER - clearing",
    ],
    ["tracking the instance's own interface", { trackInterfaces: ["eth2", { name: "eth1" }] }, ["trackInterfaces[1]"], () => ({ ...pair(), trackInterfaces: [{ name: "eth1" }] }), "(VI_51) Ignoring track_interface eth1 since own interface"],
    ["auth with IPv6 VIPs (VRRPv3 has none)", { vips: ["fd00::100"], auth: { password: "abc" } }, ["auth"], () => ({ ...pair6(), auth: { type: "PASS", password: "abc" } }), "(VI_51) VRRP version 3 does not support authentication. Ignoring."],
    [
      "advertInt above 40 with IPv6 VIPs",
      { vips: ["fd00::100"], advertInt: 41 },
      ["advertInt"],
      () => ({ ...pair6(), advertInt: 41 }),
      "(VI_51) VRRPv3 advertisement interval 41.00s is out of range. Must be less than 40.96s. Setting to 40.95s",
    ],
    [
      "a sub-second advertInt with VRRPv2",
      { advertInt: 0.5 },
      ["advertInt"],
      () => ({ ...pair(), advertInt: 0.5 }),
      "(VI_51) VRRPv2 advertisement interval 0.500000s must be an integer. rounding",
    ],
    [
      "an advertInt with VRRPv3 that is not in hundredths",
      { vrrpVersion: 3, advertInt: 0.123 },
      ["advertInt"],
      () => ({ ...pair(), vrrpVersion: 3, advertInt: 0.123 }),
      "(VI_51) VRRPv3 advertisement interval 0.123000s must be in units of 10ms - rounding",
    ],
    [
      "advertInt above 40.95 with VRRPv3 on IPv4",
      { vrrpVersion: 3, advertInt: 41 },
      ["advertInt"],
      () => ({ ...pair(), vrrpVersion: 3, advertInt: 41 }),
      "(VI_51) VRRPv3 advertisement interval 41.00s is out of range. Must be less than 40.96s. Setting to 40.95s",
    ],
    ["auth with VRRPv3 on IPv4", { vrrpVersion: 3, auth: { password: "abc" } }, ["auth"], () => ({ ...pair(), vrrpVersion: 3, auth: { type: "PASS", password: "abc" } }), "(VI_51) VRRP version 3 does not support authentication. Ignoring."],
    [
      "VIPs of both families in one instance",
      { vips: ["10.0.0.100", "10.0.0.101", "fd00::100"] },
      ["vips[2]"],
      () => ({ ...pair(), vips: [...pair().vips, ...pair6().vips] }),
      "(VI_51): address family must match VRRP instance [fd00::100/128] - ignoring",
    ],
    ["garp.masterDelay above 4294", { garp: { masterDelay: 4295 } }, ["garp.masterDelay"], () => ({ ...pair(), garp: { masterDelay: 4295 } }), "number '4295' outside range [0, 4294]"],
    ["garp.lowerPrioDelay above 4294", { garp: { lowerPrioDelay: 86400 } }, ["garp.lowerPrioDelay"], () => ({ ...pair(), garp: { lowerPrioDelay: 86400 } }), "number '86400' outside range [0, 4294]"],
    ["garp.masterRepeat 0", { garp: { masterRepeat: 0 } }, ["garp.masterRepeat"], () => ({ ...pair(), garp: { masterRepeat: 0 } }), "(VI_51): garp_master_repeat must be greater than 0, setting to 1"],
    [
      "garp.masterRefreshRepeat 0",
      { garp: { masterRefreshRepeat: 0 } },
      ["garp.masterRefreshRepeat"],
      () => ({ ...pair(), garp: { masterRefreshRepeat: 0 } }),
      "(VI_51): garp_master_refresh_repeat must be greater than 0, setting to 1",
    ],
    [
      "IPv4 unicast addresses with IPv6 VIPs",
      { vips: ["fd00::100"], unicast: true, nodes: nodes({ unicastSrcIp: "192.168.50.1" }, { unicastSrcIp: "192.168.50.2" }) },
      ["nodes[0].unicastSrcIp", "nodes[1].unicastSrcIp"],
      () => ({ ...pair6(), unicast: true, nodes: [{ ...pair6().nodes[0], unicastSrcIp: "192.168.50.1" }, { ...pair6().nodes[1], unicastSrcIp: "192.168.50.2" }] }),
      "(VI_51): address family must match VRRP instance [fd00::100/128] - ignoring",
    ],
    // A lone backslash ends the line as a continuation. (writeToken writes it bare: it holds
    // nothing that needs quoting, so the renderer's own guard does not see it.)
    ["a password of one backslash", { auth: { password: "\\" } }, ["auth.password"], () => ({ ...pair(), auth: { type: "PASS", password: "\\" } }), "Unknown keyword 'auth_pass\\'"],
  ])("%s: refused at %j", (_name, input, properties, forced, message) => {
    expect(pairRefusedAt(input)).toEqual(properties);
    const c = check(forced());
    expect(c.exitCode).toBe(5);
    expect(messages(c)).toContain(message);
  });

  it("a password holding a backslash anywhere is refused, not only a lone one", () => {
    expect(pairRefusedAt({ auth: { password: "ab\\cd" } })).toEqual(["auth.password"]);
  });

  it("the same values, written the accepted way, pass keepalived -t", () => {
    const accepted = [
      pairOf({ ...MINIMAL_PAIR, preemptDelay: 30 }),
      pairOf({ ...MINIMAL_PAIR, vips: ["fd00::100"], advertInt: 40.95 }),
      pairOf({ ...MINIMAL_PAIR, vips: ["fd00::100"], advertInt: 0.05 }),
      pairOf({ ...MINIMAL_PAIR, vrrpVersion: 3, advertInt: 0.01 }),
      pairOf({ ...MINIMAL_PAIR, vrrpVersion: 3, advertInt: 0.1 + 0.2 }),
      pairOf({ ...MINIMAL_PAIR, vrrpVersion: 3, advertInt: 40.95 }),
      pairOf({ ...MINIMAL_PAIR, vrrpVersion: 2, advertInt: 255 }),
      pairOf({ ...MINIMAL_PAIR, garp: { masterDelay: 4294, lowerPrioDelay: 4294, masterRepeat: 1, masterRefreshRepeat: 1 } }),
      pairOf({ ...MINIMAL_PAIR, vips: ["fd00::100"], unicast: true, nodes: nodes({ unicastSrcIp: "fd00::1" }, { unicastSrcIp: "fd00::2" }) }),
    ];
    for (const p of accepted) {
      const c = check(p);
      expect([c.exitCode, complaints(c)]).toEqual([0, []]);
    }
  });

  it("preemptDelay: both nodes are rendered BACKUP, the higher priority still the first choice", () => {
    const p = pairOf({ ...MINIMAL_PAIR, preemptDelay: 30 });
    expect(p.nodes.map((n) => [n.state, n.priority])).toEqual([
      ["BACKUP", 150],
      ["BACKUP", 100],
    ]);
  });

  // Not forced past the schema: the model's types no longer have AH or a script user.
  it('AH authentication is refused (PASS only): keepalived refuses AH with a MASTER node', () => {
    expect(pairRefusedAt({ auth: { type: "AH", password: "abc" } })).toEqual(["auth.type"]);
    expect(pairRefusedAt({ auth: { type: "AH", password: "abc" }, nodes: nodes({ state: "BACKUP" }, { state: "BACKUP" }) })).toEqual(["auth.type"]);
  });

  // keepalived 2.2.7's -t kills itself (SIGTERM, exit 143) after checking a script of another
  // user, because its parent-death check compares against a main pid -t never sets (fixed in
  // 2.2.8, commit aae8e910); the apply step has to run it where that check passes.
  it("a vrrp_script user (and group) is taken, as keepalived's `user <name> [group]`", () => {
    expect(pairRefusedAt({ trackScripts: [{ name: "chk", command: ["/usr/bin/true"], user: "nobody" }] })).toEqual([]);
    expect(pairRefusedAt({ trackScripts: [{ name: "chk", command: ["/usr/bin/true"], user: "root", group: "root" }] })).toEqual([]);
  });
});

describe("VirtualService / RealServer: values keepalived refuses", () => {
  it.each<[string, () => string[], string[], () => [KeepalivedVirtualServer, KeepalivedRealServer], string]>([
    [
      "hysteresis not below quorum (1 by default)",
      () => serviceRefusedAt({ hysteresis: 1 }),
      ["hysteresis"],
      () => [{ ...service(), options: { hysteresis: 1 } }, realServer()],
      "Virtual server [10.0.0.100]:tcp:80: hysteresis 1 >= quorum 1; setting hysteresis to 0",
    ],
    [
      "a sorry server of the other family",
      () => serviceRefusedAt({ sorryServer: { address: "fd00::9", port: 80 } }),
      ["sorryServer.address"],
      () => [{ ...service(), options: { sorryServer: { address: "fd00::9", port: 80, forwarding: "nat" } } }, realServer()],
      "Address family of virtual server and sorry server fd00::9 don't match - skipping sorry server.",
    ],
    [
      "bindTo of the other family than the real server",
      () => realServerRefusedAt({ healthCheck: { type: "TCP_CHECK", bindTo: "fd00::1" } }),
      ["healthCheck.bindTo"],
      () => [service(), { ...realServer(), options: { healthCheck: { type: "TCP_CHECK", bindTo: "fd00::1" } } }],
      "bindto address fd00::1 does not match address family of connect_ip - skipping",
    ],
    [
      "a DNS_CHECK name with an empty label",
      () => realServerRefusedAt({ healthCheck: { type: "DNS_CHECK", name: "ab..cd" } }),
      ["healthCheck.name"],
      () => [service(), { ...realServer(), options: { healthCheck: { type: "DNS_CHECK", name: "ab..cd" } } }],
      "DNS_CHECK name 'ab..cd' has empty label - ignoring",
    ],
    // keepalived 2.2.7 quirk: a one-character first label followed by more is "empty" too.
    [
      "a DNS_CHECK name starting with a one-character label",
      () => realServerRefusedAt({ healthCheck: { type: "DNS_CHECK", name: "x.example" } }),
      ["healthCheck.name"],
      () => [service(), { ...realServer(), options: { healthCheck: { type: "DNS_CHECK", name: "x.example" } } }],
      "DNS_CHECK name 'x.example' has empty label - ignoring",
    ],
  ])("%s: refused at %j", (_name, refusedAt, properties, forced, message) => {
    expect(refusedAt()).toEqual(properties);
    const [s, rs] = forced();
    const c = check(pair(), s, [rs]);
    expect(c.exitCode).toBe(5);
    expect(messages(c)).toContain(message);
  });

  it("hysteresis is checked against an explicit quorum too", () => {
    expect(serviceRefusedAt({ quorum: 3, hysteresis: 3 })).toEqual(["hysteresis"]);
    expect(serviceRefusedAt({ quorum: 3, hysteresis: 2 })).toEqual([]);
  });

  it("a sorry server of the other family than an fwmark service", () => {
    expect(serviceRefusedAt({ address: undefined, port: undefined, fwmark: 5, family: "ipv6", sorryServer: { address: "10.0.0.9", port: 80 } })).toEqual(["sorryServer.address"]);
  });

  it("DNS_CHECK names the schema now refuses: a label ending in a dash, an empty first label", () => {
    for (const name of ["ab-.cd", ".ab", "ab..cd", "-ab.cd"]) expect(realServerRefusedAt({ healthCheck: { type: "DNS_CHECK", name } })).toEqual(["healthCheck.name"]);
  });

  // For DR and TUN the sorry server must listen on the service's port (or 0): keepalived -t
  // refuses another one, so the schema does too.
  const sorry = (forwarding: "dr" | "tun"): KeepalivedVirtualServer => ({ ...service(), options: { sorryServer: { address: "10.0.9.9", port: 81, forwarding } } });
  it.each(["dr", "tun"] as const)("a %s sorry server on another port than the service: keepalived -t refuses it", (forwarding) => {
    const c = check(pair(), sorry(forwarding));
    expect([c.exitCode, messages(c)]).toEqual([5, ["WARNING - virtual server [10.0.0.100]:tcp:80 and sorry server ports don't match - resetting"]]);
  });
  it.each(["dr", "tun"] as const)("a %s sorry server on another port than the service: the schema refuses it", (forwarding) => {
    expect(serviceRefusedAt({ sorryServer: { address: "10.0.9.9", port: 81, forwarding } })).toEqual(["sorryServer.port"]);
  });
  it("a nat sorry server on another port, or dr/tun on port 0, is fine", () => {
    for (const s of [
      { address: "10.0.9.9", port: 8080, forwarding: "nat" },
      { address: "10.0.9.9", port: 0, forwarding: "dr" },
      { address: "10.0.9.9", port: 0, forwarding: "tun" },
    ] as const) {
      const c = check(pair(), { ...service(), options: { sorryServer: s } });
      expect([c.exitCode, complaints(c)]).toEqual([0, []]);
    }
  });
});

describe("across resources: what no single resource's schema can see", () => {
  // keepalived -t exits 5 for both; the host apply script is meant to tolerate exactly these
  // two warnings (a drained or not-yet-weighted service). That is the apply script's business,
  // not keepalived's: these tests only pin what keepalived -t itself says.
  it("a quorum above the real servers' total weight", () => {
    const c = check(pair(), { ...service(), options: { quorum: 5 } });
    expect([c.exitCode, messages(c)]).toEqual([5, ["Warning - quorum 5 for [10.0.0.100]:tcp:80 exceeds total weight of real servers 1, reducing quorum to 1"]]);
  });

  it("a service whose real servers all have weight 0 (a drained last server)", () => {
    const rs = realServer();
    const c = check(pair(), service(), [{ ...rs, destination: { ...rs.destination, weight: 0 } }]);
    expect(c.exitCode).toBe(5);
    expect(messages(c)).toContain("Warning - quorum 1 for [10.0.0.100]:tcp:80 exceeds total weight of real servers 0, reducing quorum to 0");
  });
});

// keepalived's checkers connect to the real server's address; a link-local one is only
// reachable through a named interface (bind_if), which pulumi-lvs does not render. Found by
// property.test.ts (CI, seed -1592880600): the schema accepted it and the apply would fail.
describe("a link-local IPv6 real server", () => {
  const web6 = { address: "fd00::100", port: 80 };
  const linkLocal = (healthCheck?: Raw) => realServerOf({ service: web6, address: "fe80::1", port: 80, ...(healthCheck ? { healthCheck } : {}) });
  const forced = (healthCheck: Raw): KeepalivedRealServer => ({ ...linkLocal(), options: { healthCheck } as KeepalivedRealServer["options"] });
  const check6 = (rs: KeepalivedRealServer) => validateWithKeepalived(nodeTree(pair6(), 0, [serviceOf(web6)], [rs]));
  const refusedAt = (healthCheck: Raw) => {
    const r = RealServerInputsSchema.safeParse({ keepalived: PAIR_TARGET, service: web6, address: "fe80::1", port: 80, healthCheck });
    return r.success ? [] : formatCheckFailures(r.error.issues).map((f) => f.property);
  };

  it.each(["TCP_CHECK", "HTTP_GET", "SSL_GET", "DNS_CHECK"])("with a %s: keepalived -t refuses it, and so does the schema, at address", (type) => {
    const healthCheck = { type, ...(type.endsWith("_GET") ? { urls: [{ path: "/" }] } : type === "DNS_CHECK" ? { name: "www.example.com" } : {}) };
    const c = check6(forced(healthCheck));
    expect([c.exitCode, messages(c)]).toEqual([5, ["Checker link local address fe80::1 requires a bind_if"]]);
    expect(refusedAt(healthCheck)).toEqual(["address"]);
  });

  it("without a check, or with a MISC_CHECK (which does not connect), keepalived -t and the schema take it", () => {
    const misc = { type: "MISC_CHECK", command: ["/usr/bin/true"] };
    for (const rs of [linkLocal(), forced(misc)]) expect([check6(rs).exitCode, complaints(check6(rs))]).toEqual([0, []]);
    expect(refusedAt(misc)).toEqual([]);
  });
});
