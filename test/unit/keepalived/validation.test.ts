// Bad values are caught by our validation, before keepalived sees them: each failure names
// the property and says what to do. Then, for some of them, the evidence that this matters:
// the same value forced into the model and rendered, as the real `keepalived -t` judges it.

import { RealServerInputsSchema, VirtualServiceInputsSchema, formatCheckFailures } from "../../../provider/service/schema";
import type { KeepalivedPairConfig } from "../../../provider/keepalived/model";
import { parseNodeConfig } from "../../../provider/keepalived/parse";
import { renderNodeConfig } from "../../../provider/keepalived/render";
import { KeepalivedPairInputsSchema } from "../../../provider/keepalived/schema";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived, type KeepalivedCheck } from "../../support/keepalivedCheck";
import { MINIMAL_PAIR, PAIR_TARGET, nodeTree, pairOf, realServerOf, serviceOf } from "./userInputs";

afterAll(removeKeepalivedNamespace);

type Raw = Record<string, unknown>;
const nodes = (a: Raw, b: Raw) => [
  { connection: { host: "h1" }, priority: 150, ...a },
  { connection: { host: "h2" }, priority: 100, ...b },
];
const pairFailures = (overrides: Raw) => {
  const r = KeepalivedPairInputsSchema.safeParse({ ...MINIMAL_PAIR, ...overrides });
  return r.success ? [] : formatCheckFailures(r.error.issues);
};
const web = { address: "10.0.0.100", port: 80 };
const rsFailures = (input: Raw) => {
  const r = RealServerInputsSchema.safeParse({ service: web, address: "10.0.1.1", port: 80, ...input });
  return r.success ? [] : formatCheckFailures(r.error.issues);
};
const ARG_REASON = "cannot be passed through keepalived: arguments may only hold letters, digits and _ @ % + = : , . / - (no spaces or quotes); put complex commands in a script file and pass its path";
const NAME_REASON = "must be a network interface name: 1 to 15 characters of A-Z a-z 0-9 _ . : - (as `ip link` shows it)";
const FREE_REASON = "must be one line without braces, quotes, backslashes or comment signs (a block cannot be opened from here)";

describe("KeepalivedPair inputs our schema refuses", () => {
  it.each<[string, Raw, Array<{ property: string; reason: string }>]>([
    ["vrid 0", { virtualRouterId: 0 }, [{ property: "virtualRouterId", reason: "must be an integer 1..255 (got 0); set virtualRouterId between 1 and 255, unique on the segment" }]],
    ["vrid 256", { virtualRouterId: 256 }, [{ property: "virtualRouterId", reason: "must be an integer 1..255 (got 256); set virtualRouterId between 1 and 255, unique on the segment" }]],
    [
      "priority 255",
      { nodes: nodes({ priority: 255 }, {}) },
      [{ property: "nodes[0].priority", reason: "must be an integer 1..254 (got 255); set priority between 1 and 254 (255 is reserved for the address owner); the MASTER's must be the higher" }],
    ],
    ["a password of 9 characters", { auth: { password: "123456789" } }, [{ property: "auth.password", reason: "is longer than 8 characters: VRRP carries only 8 and keepalived would silently cut it; use at most 8" }]],
    ["a password with a space", { auth: { password: "a b" } }, [{ property: "auth.password", reason: "may only hold printable ASCII without spaces" }]],
    ["a password with #", { auth: { password: "ab#cd" } }, [{ property: "auth.password", reason: 'cannot contain " { } # ! or \\ (keepalived.conf syntax)' }]],
    ["a password with a backslash", { auth: { password: "ab\\cd" } }, [{ property: "auth.password", reason: 'cannot contain " { } # ! or \\ (keepalived.conf syntax)' }]],
    [
      "preemptDelay with a MASTER",
      { preemptDelay: 30, nodes: nodes({ state: "MASTER" }, {}) },
      [{ property: "preemptDelay", reason: 'only works when both nodes start as BACKUP (keepalived refuses it for a MASTER); remove `state: "MASTER"` (the higher priority still wins)' }],
    ],
    [
      "VIPs of both families",
      { vips: ["10.0.0.100", "fd00::100"] },
      [{ property: "vips[1]", reason: "is ipv6 but vips[0] is ipv4: one VRRP instance carries one family (keepalived drops the other); use a second KeepalivedPair for the other family" }],
    ],
    ["auth with IPv6 VIPs", { vips: ["fd00::100"], auth: { password: "abc" } }, [{ property: "auth", reason: "does not exist for IPv6 VIPs (VRRPv3 has no authentication); remove auth" }]],
    ["advertInt 41 with IPv6 VIPs", { vips: ["fd00::100"], advertInt: 41 }, [{ property: "advertInt", reason: "is 41: VRRPv3 carries 0.01..40.95 seconds in steps of 0.01 (IPv6 VIPs always use VRRPv3)" }]],
    [
      "a sub-second advertInt without vrrpVersion 3",
      { advertInt: 0.2 },
      [{ property: "advertInt", reason: "is 0.2: VRRPv2 carries whole seconds, 1..255; for a sub-second or fractional interval set vrrpVersion: 3 (0.01..40.95 s)" }],
    ],
    ["advertInt 0 with VRRPv3", { vrrpVersion: 3, advertInt: 0 }, [{ property: "advertInt", reason: "is 0: VRRPv3 carries 0.01..40.95 seconds in steps of 0.01" }]],
    ["vrrpVersion 2 with IPv6 VIPs", { vips: ["fd00::100"], vrrpVersion: 2 }, [{ property: "vrrpVersion", reason: "must be 3 for IPv6 VIPs (VRRPv2 carries IPv4 only, and keepalived uses VRRPv3 for IPv6); remove vrrpVersion" }]],
    ["vrrpVersion 4", { vrrpVersion: 4 }, [{ property: "vrrpVersion", reason: "must be 2 or 3 (the VRRP version: 3 for sub-second advertInt; IPv6 VIPs always use 3)" }]],
    ["version in extraInstanceConfig", { extraInstanceConfig: ["version 3"] }, [{ property: "extraInstanceConfig[0]", reason: 'sets "version", which the vrrpVersion input sets; use vrrpVersion: 3 instead (so refresh can read it back)' }]],
    [
      "garp.masterRepeat 0",
      { garp: { masterRepeat: 0 } },
      [{ property: "garp.masterRepeat", reason: "must be an integer 1..65535 (got 0); set garp.masterRepeat (keepalived's garp_master_repeat) to 1 or more" }],
    ],
    [
      "garp.masterDelay 4295",
      { garp: { masterDelay: 4295 } },
      [{ property: "garp.masterDelay", reason: "must be an integer 0..4294 (got 4295); set garp.masterDelay (keepalived's garp_master_delay) in seconds, 0..4294" }],
    ],
    ["tracking the own interface", { trackInterfaces: ["eth1"] }, [{ property: "trackInterfaces[0]", reason: "is the instance's own interface (eth1), which keepalived always tracks; remove it" }]],
    ["an interface with a space", { interface: "eth 1" }, [{ property: "interface", reason: NAME_REASON }]],
    ["an interface with a brace", { interface: "eth{1" }, [{ property: "interface", reason: NAME_REASON }]],
    ["a script argument with a space", { trackScripts: [{ name: "chk", command: ["/usr/bin/true", "a b"] }] }, [{ property: "trackScripts[0].command[1]", reason: `"a b" ${ARG_REASON}` }]],
    ["a script argument with ;", { notify: { fault: ["/usr/bin/true", "x;reboot"] } }, [{ property: "notify.fault[1]", reason: `"x;reboot" ${ARG_REASON}` }]],
    ["a script argument with a quote", { notify: { master: ["/usr/bin/true", "it's"] } }, [{ property: "notify.master[1]", reason: `"it's" ${ARG_REASON}` }]],
    ["a script without an absolute path", { notify: { master: ["true"] } }, [{ property: "notify.master", reason: "must start with an absolute program path (keepalived runs scripts without a PATH search)" }]],
    ["a free-form line with {", { extraInstanceConfig: ["track_file {"] }, [{ property: "extraInstanceConfig[0]", reason: FREE_REASON }]],
    ["a free-form line with #", { extraGlobalDefs: ["vrrp_garp_interval 1 # fast"] }, [{ property: "extraGlobalDefs[0]", reason: FREE_REASON }]],
    [
      "extraInstanceConfig setting a modelled keyword",
      { extraInstanceConfig: ["priority 5"] },
      [{ property: "extraInstanceConfig[0]", reason: 'sets "priority", which has an input of its own; use that input instead (so refresh can read it back)' }],
    ],
    [
      "extraGlobalDefs setting router_id",
      { extraGlobalDefs: ["router_id x"] },
      [{ property: "extraGlobalDefs[0]", reason: 'sets "router_id", which pulumi-lvs renders itself; use nodes[].routerId / lvsSyncDaemon instead' }],
    ],
    [
      "nopreempt with a MASTER",
      { nopreempt: true, nodes: nodes({ state: "MASTER" }, {}) },
      [{ property: "nopreempt", reason: 'only works when both nodes start as BACKUP (keepalived ignores it for a MASTER); remove `state: "MASTER"` (the higher priority still wins the first election)' }],
    ],
    [
      "unicast without unicastSrcIp",
      { unicast: true },
      [0, 1].map((i) => ({ property: `nodes[${i}].unicastSrcIp`, reason: "is required with unicast: true: this node's own address on the VRRP interface (the other node sends its adverts there)" })),
    ],
    [
      "equal priorities",
      { nodes: nodes({ priority: 100 }, {}) },
      [{ property: "nodes[1].priority", reason: "equals nodes[0].priority (100); give the intended MASTER the higher priority so the election is deterministic" }],
    ],
    ["an IPv6 VIP with a label", { vips: [{ address: "fd00::1", label: "web" }] }, [{ property: "vips[0].label", reason: "interface labels are IPv4 only; remove label" }]],
  ])("%s", (_name, overrides, expected) => {
    expect(pairFailures(overrides)).toEqual(expected);
  });

  it("two MASTERs: one failure, not also a misleading \"lower than the BACKUP's\"", () => {
    const twoMasters = [{ property: "nodes[1].state", reason: 'both nodes are MASTER; set one to "BACKUP" (or leave state out: the higher priority becomes MASTER)' }];
    expect(pairFailures({ nodes: nodes({ state: "MASTER" }, { state: "MASTER" }) })).toEqual(twoMasters);
    expect(pairFailures({ nodes: nodes({ state: "MASTER", priority: 90 }, { state: "MASTER" }) })).toEqual(twoMasters);
  });

  it("a MASTER with the lower priority than the BACKUP", () => {
    expect(pairFailures({ nodes: nodes({ state: "MASTER", priority: 90 }, { state: "BACKUP" }) })).toEqual([
      { property: "nodes[0].priority", reason: "is lower than the BACKUP's (100) on the MASTER: the backup would take over at once; give the MASTER the higher priority" },
    ]);
  });
});

describe("VirtualService / RealServer inputs our schemas refuse", () => {
  it("a health check on a plain director names the property and says keepalived-only", () => {
    expect(rsFailures({ connection: { host: "10.77.0.12" }, healthCheck: { type: "TCP_CHECK" } })).toEqual([
      {
        property: "healthCheck",
        reason: "is only realised by keepalived: a plain director (connection) has no health checker; remove healthCheck, or put the RealServer on a KeepalivedPair (keepalivedPair: pair)",
      },
    ]);
  });

  it("every keepalived-only VirtualService input on a plain director, each under its own name", () => {
    const r = VirtualServiceInputsSchema.safeParse({ connection: { host: "h" }, ...web, delayLoop: 5, sorryServer: { address: "10.0.9.9", port: 80 }, quorum: 1, quorumUp: ["/usr/bin/true"] });
    const failures = r.success ? [] : formatCheckFailures(r.error.issues);
    expect(failures.map((f) => f.property)).toEqual(["delayLoop", "sorryServer", "quorum", "quorumUp"]);
    for (const f of failures) expect(f.reason).toMatch(/^is only realised by keepalived: a plain director \(connection\) has no health checker/);
  });

  it("HTTP_GET with an empty url list", () => {
    expect(rsFailures({ keepalived: PAIR_TARGET, healthCheck: { type: "HTTP_GET", urls: [] } })).toEqual([
      { property: "healthCheck.urls", reason: 'needs at least one { path }, e.g. [{ path: "/", statusCode: 200 }]' },
    ]);
  });

  it.each(["HTTP_GET", "SSL_GET"])("%s without urls says what to write", (type) => {
    expect(rsFailures({ keepalived: PAIR_TARGET, healthCheck: { type } })).toEqual([{ property: "healthCheck.urls", reason: 'is required: the pages to fetch, e.g. [{ path: "/", statusCode: 200 }]' }]);
  });

  it("sorryServer: address canonicalised, forwarding nat by default, an unknown forwarding refused", () => {
    const r = VirtualServiceInputsSchema.safeParse({ keepalived: PAIR_TARGET, address: "fd00::100", port: 80, sorryServer: { address: "FD00:0::9", port: 80 } });
    expect(r.success && (r.data as unknown as Raw)["sorryServer"]).toEqual({ address: "fd00::9", port: 80, forwarding: "nat" });
    const bad = VirtualServiceInputsSchema.safeParse({ keepalived: PAIR_TARGET, ...web, sorryServer: { address: "10.0.9.9", port: 80, forwarding: "masq" } });
    expect(bad.success ? [] : formatCheckFailures(bad.error.issues).map((f) => f.property)).toEqual(["sorryServer.forwarding"]);
  });

  it("alpha, omega, inhibitOnFailure, MISC_CHECK dynamic: an explicit false is absent (it reads back absent: no drift)", () => {
    const s = VirtualServiceInputsSchema.safeParse({ keepalived: PAIR_TARGET, ...web, alpha: false, omega: false });
    expect(s.success && [(s.data as unknown as Raw)["alpha"], (s.data as unknown as Raw)["omega"]]).toEqual([undefined, undefined]);
    const rs = RealServerInputsSchema.safeParse({ keepalived: PAIR_TARGET, service: web, address: "10.0.1.1", port: 80, inhibitOnFailure: false, healthCheck: { type: "MISC_CHECK", command: ["/usr/bin/true"], dynamic: false } });
    expect(rs.success && [(rs.data as unknown as Raw)["inhibitOnFailure"], (rs.data as unknown as Raw)["healthCheck"]]).toEqual([undefined, { type: "MISC_CHECK", command: ["/usr/bin/true"] }]);
    const on = VirtualServiceInputsSchema.safeParse({ keepalived: PAIR_TARGET, ...web, alpha: true, omega: true });
    expect(on.success && [(on.data as unknown as Raw)["alpha"], (on.data as unknown as Raw)["omega"]]).toEqual([true, true]);
  });

  it("a digest that is not an MD5 hex digest", () => {
    expect(rsFailures({ keepalived: PAIR_TARGET, healthCheck: { type: "HTTP_GET", urls: [{ path: "/", digest: "XYZ" }] } })).toEqual([
      { property: "healthCheck.urls[0].digest", reason: "must be the MD5 hex digest of the page (genhash prints it)" },
    ]);
  });
});

/** keepalived's messages without their `(file: Line N) ` prefix, so renderer line shifts do not matter. */
const messages = (check: KeepalivedCheck) => complaints(check).map((l) => l.replace(/^\([^)]*Line \d+\) /, ""));
const base = () => pairOf(MINIMAL_PAIR);
const webTree = (pair: KeepalivedPairConfig, index: 0 | 1 = 0) =>
  nodeTree(pair, index, [serviceOf(web)], [realServerOf({ service: web, address: "10.0.1.1", port: 80 })]);

describe("had the value reached keepalived (forced into the model past the schema)", () => {
  it.each<[string, () => KeepalivedPairConfig, string]>([
    ["vrid 0 is refused", () => ({ ...base(), virtualRouterId: 0 }), "(VI_51): VRID '0' not valid - must be between 1 & 255"],
    ["vrid 256 is refused", () => ({ ...base(), virtualRouterId: 256 }), "(VI_51): VRID '256' not valid - must be between 1 & 255"],
    ["a 9-character password is cut to 8", () => ({ ...base(), auth: { type: "PASS", password: "123456789" } }), "Truncating auth_pass to 8 characters"],
    ["an interface with a space does not exist", () => ({ ...base(), interface: "eth 1" }), "WARNING - interface eth 1 for vrrp_instance VI_51 doesn't exist"],
    ["a quote in a script argument breaks keepalived's own parsing", () => ({ ...base(), notify: { master: ["/usr/bin/true", "it's"] } }), "String '/usr/bin/true it's': missing terminating '"],
    ["nopreempt is dropped on the MASTER", () => ({ ...base(), nopreempt: true }), "(VI_51) Warning - nopreempt will not work with initial state MASTER - clearing"],
    [
      "unicast without source addresses falls back to multicast",
      () => ({ ...base(), unicast: true }),
      "(VI_51) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.",
    ],
  ])("%s", (_name, forced, message) => {
    const check = validateWithKeepalived(webTree(forced()));
    expect(check.exitCode).toBe(5);
    expect(messages(check)).toContain(message);
  });

  it("a { in a free-form line: the renderer refuses it (keepalived reads even a quoted lone brace as a block)", () => {
    const forced = { ...base(), extraInstanceConfig: ["track_file {"] };
    expect(() => renderNodeConfig(forced, 0)).toThrow('keepalived cannot represent "{" as one token');
  });

  it("an HTTP_GET without urls crashes keepalived -t itself", () => {
    const rs = realServerOf({ service: web, address: "10.0.1.1", port: 80 });
    const forced = { ...rs, options: { healthCheck: { type: "HTTP_GET" as const, urls: [] } } };
    const check = validateWithKeepalived(nodeTree(base(), 0, [serviceOf(web)], [forced]));
    expect(check.exitCode).toBe(139);
    expect(messages(check)).toEqual(["HTTP/SSL_GET checker has no urls specified - ignoring", "(killed by SIGSEGV)"]);
  });

  it("a bad digest is refused", () => {
    const rs = realServerOf({ service: web, address: "10.0.1.1", port: 80 });
    const forced = { ...rs, options: { healthCheck: { type: "HTTP_GET" as const, urls: [{ path: "/", digest: "XYZ" }] } } };
    const check = validateWithKeepalived(nodeTree(base(), 0, [serviceOf(web)], [forced]));
    expect([check.exitCode, messages(check)]).toEqual([5, ["digest 'XYZ' character length should be 32 rather than 3"]]);
  });

  it("a # in a free-form keyword silently comments the line out, and refresh would never see it (so the renderer refuses it too)", () => {
    const pair = { ...base(), extraInstanceConfig: ["#dont_track_primary"] };
    expect(() => renderNodeConfig(pair, 0)).toThrow('keepalived would not read "#dont_track_primary" as a keyword');
    const text = renderNodeConfig(base(), 0).replace("  state MASTER\n", "  state MASTER\n  #dont_track_primary\n");
    const check = validateWithKeepalived({ ...webTree(base()), "keepalived.conf": text });
    expect([check.exitCode, complaints(check)]).toEqual([0, []]);
    expect(parseNodeConfig(text).extraInstanceConfig).toEqual([]);
  });

  it("a modelled keyword in extraInstanceConfig is silently taken, and never reads back", () => {
    const pair = { ...base(), extraInstanceConfig: ["priority 5"] };
    const check = validateWithKeepalived(webTree(pair));
    expect([check.exitCode, complaints(check)]).toEqual([0, []]);
    const read = parseNodeConfig(renderNodeConfig(pair, 0));
    expect([read.node.priority, read.extraInstanceConfig]).toEqual([150, []]);
  });

  it("two MASTERs or equal priorities: each node's file is valid alone, so only our check can catch it", () => {
    const b = base();
    const twoMasters: KeepalivedPairConfig = { ...b, nodes: [b.nodes[0], { ...b.nodes[1], state: "MASTER" }] };
    const equal: KeepalivedPairConfig = { ...b, nodes: [b.nodes[0], { ...b.nodes[1], priority: 150 }] };
    for (const pair of [twoMasters, equal]) {
      for (const index of [0, 1] as const) expect(validateWithKeepalived(webTree(pair, index)).exitCode).toBe(0);
    }
  });
});
