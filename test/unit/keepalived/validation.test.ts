// Bad values are caught by our validation, before keepalived sees them: each failure names
// the property and says what to do. Then, for some of them, the evidence that this matters:
// the same value forced into the model and rendered, as the real `keepalived -t` judges it.

import { RealServerInputsSchema, VirtualServiceInputsSchema, formatCheckFailures } from "../../../provider/ipvs/schema";
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
const NAME_REASON = "may only hold letters, digits and _ . : @ - (interface); keepalived.conf cannot carry spaces, quotes, braces or # here";
const FREE_REASON = "must be one line without braces, quotes or comment signs (a block cannot be opened from here)";

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
    ["a password with #", { auth: { password: "ab#cd" } }, [{ property: "auth.password", reason: 'cannot contain " { } # or ! (keepalived.conf syntax)' }]],
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

  it("two MASTERs", () => {
    expect(pairFailures({ nodes: nodes({ state: "MASTER" }, { state: "MASTER" }) })).toContainEqual({
      property: "nodes[1].state",
      reason: 'both nodes are MASTER; set one to "BACKUP" (or leave state out: the higher priority becomes MASTER)',
    });
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
    expect(rsFailures({ keepalived: PAIR_TARGET, healthCheck: { type: "HTTP_GET", urls: [] } })).toEqual([{ property: "healthCheck.urls", reason: "needs at least one { path }" }]);
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
    // writeToken quotes "{", but keepalived still reads a quoted brace as one: the block swallows the rest.
    ["a { in a free-form line opens a block", () => ({ ...base(), extraInstanceConfig: ["track_file {"] }), "Unknown keyword 'virtual_server'"],
  ])("%s", (_name, forced, message) => {
    const check = validateWithKeepalived(webTree(forced()));
    expect(check.exitCode).toBe(5);
    expect(messages(check)).toContain(message);
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

  it("a # in a free-form keyword silently comments the line out, and refresh would never see it", () => {
    const pair = { ...base(), extraInstanceConfig: ["#dont_track_primary"] };
    const check = validateWithKeepalived(webTree(pair));
    expect([check.exitCode, complaints(check)]).toEqual([0, []]);
    expect(parseNodeConfig(renderNodeConfig(pair, 0)).extraInstanceConfig).toEqual([]);
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
