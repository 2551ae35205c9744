// What keepalived 2.2.7 acts on before it reads a keyword (lib/parser.c read_line: a line
// starting with include…, @config-id, $NAME=, ~SEQ/~LST; $NAME anywhere; a line cut at
// 1023 bytes), reached through KeepalivedPair / VirtualService / RealServer inputs. Each is
// refused by check at the property a user has to change; what check lets through renders
// to lines keepalived reads whole, and reads back as written. No keepalived needed here.

import fc from "fast-check";
import { RealServerInputsSchema, VirtualServiceInputsSchema, formatCheckFailures } from "../../../provider/service/schema";
import { statement, writeStatements } from "../../../provider/keepalived/configSyntax";
import { freeFormLineProblem } from "../../../provider/keepalived/freeFormLines";
import { GLOBAL_DEFS_PASSTHROUGH, MAX_LINE_BYTES, VRRP_INSTANCE_PASSTHROUGH } from "../../../provider/keepalived/keywords";
import { parseNodeConfig } from "../../../provider/keepalived/parse";
import { renderNodeConfig, renderRealServerBlock, renderVirtualServerBlock } from "../../../provider/keepalived/render";
import { KeepalivedPairInputsSchema } from "../../../provider/keepalived/schema";
import { MINIMAL_PAIR, PAIR_TARGET, pairOf, realServerOf, serviceOf } from "./userInputs";

type Raw = Record<string, unknown>;
const pairFailures = (overrides: Raw) => {
  const r = KeepalivedPairInputsSchema.safeParse({ ...MINIMAL_PAIR, ...overrides });
  return r.success ? [] : formatCheckFailures(r.error.issues);
};
const refusedAt = (overrides: Raw) => pairFailures(overrides).map((f) => f.property);
const web = { address: "10.0.0.100", port: 80 };
const serviceRefusedAt = (overrides: Raw) => {
  const r = VirtualServiceInputsSchema.safeParse({ keepalived: PAIR_TARGET, ...web, ...overrides });
  return r.success ? [] : formatCheckFailures(r.error.issues).map((f) => f.property);
};
const realServerRefusedAt = (overrides: Raw) => {
  const r = RealServerInputsSchema.safeParse({ keepalived: PAIR_TARGET, service: web, address: "10.0.1.1", port: 80, ...overrides });
  return r.success ? [] : formatCheckFailures(r.error.issues).map((f) => f.property);
};
const lines = (text: string) => text.split("\n");
const longest = (text: string) => Math.max(...lines(text).map((l) => Buffer.byteLength(l)));

describe("free-form lines: an allowlist of keywords, with inert values", () => {
  it.each<[string, "extraGlobalDefs" | "extraInstanceConfig", string, RegExp]>([
    ["an include", "extraGlobalDefs", "include /etc/passwd", /^is an include directive/],
    ["an include variant", "extraInstanceConfig", "includea /tmp/*.conf", /^is an include directive/],
    ["a parameter definition", "extraGlobalDefs", "$X=vrrp_strict", /^holds "\$", which keepalived reads as a parameter/],
    ["a parameter that becomes a comment sign", "extraInstanceConfig", "use_vmac v$_HASH", /^holds "\$"/],
    ["a conditional line", "extraInstanceConfig", "@dir2 notify_backup /tmp/x", /^starts with "@dir2", a keepalived conditional line/],
    ["a negated conditional line", "extraGlobalDefs", "@^dir1 vrrp_strict", /^starts with "@\^dir1"/],
    ["a ~SEQ loop", "extraGlobalDefs", "~SEQ(N,1,3) vrrp_strict", /^starts with "~SEQ\(N,1,3\)"/],
    ["a notify script", "extraInstanceConfig", "notify_master_rx_lower_pri /tmp/x", /runs or feeds a program/],
    ["a notify FIFO", "extraGlobalDefs", "vrrp_notify_fifo /tmp/fifo", /runs or feeds a program/],
    ["a FIFO script", "extraGlobalDefs", "notify_fifo_script /tmp/x", /runs or feeds a program/],
    ["a startup script", "extraGlobalDefs", "startup_script /tmp/x", /runs or feeds a program/],
    ["a keyword not on the list", "extraGlobalDefs", "net_namespace blue", /^sets "net_namespace", which free-form global_defs lines may not set; use one of vrrp_garp_interval/],
    ["a typo", "extraGlobalDefs", "vrrp_strcit", /^sets "vrrp_strcit", which free-form global_defs lines may not set \(did you mean "vrrp_strict"\?\)/],
    ["preempt (the nopreempt input)", "extraInstanceConfig", "preempt", /may not set/],
    ["a NUL", "extraGlobalDefs", "vrrp_strict\u0000", /^holds a control character/],
    ["a NUL between tokens", "extraInstanceConfig", "use_vmac a\u0000b", /^holds a control character/],
    ["a vertical tab", "extraInstanceConfig", "accept\u000b", /^holds a control character/],
    ["non-ASCII", "extraInstanceConfig", "use_vmac vrrp\u00e9", /^may only hold printable ASCII/],
    ["a single quote", "extraInstanceConfig", "use_vmac it's", /^must be one line without braces, quotes/],
    ["a value with a shell sign", "extraInstanceConfig", "use_vmac a;b", /^has the value "a;b"/],
    ["a line keepalived would cut", "extraGlobalDefs", `vrrp_iptables ${"A".repeat(1100)}`, /^is 1114 bytes long; keepalived 2\.2\.7 cuts lines at 1023 bytes/],
  ])("%s is refused in %s", (_name, property, line, reason) => {
    const failures = pairFailures({ [property]: [line] });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe(`${property}[0]`);
    expect(failures[0]!.reason).toMatch(reason);
  });

  it("lines of the allowlist pass, in their own block only", () => {
    expect(pairFailures({ extraGlobalDefs: ["vrrp_garp_interval 0.001", "vrrp_mcast_group4 224.0.0.18", "lvs_timeouts tcp 7200 udp 300"], extraInstanceConfig: ["use_vmac vrrp.51", "\tmcast_src_ip 10.0.0.1 "] })).toEqual([]);
    expect(refusedAt({ extraInstanceConfig: ["vrrp_strict"], extraGlobalDefs: ["dont_track_primary"] })).toEqual(["extraGlobalDefs[0]", "extraInstanceConfig[0]"]);
  });

  it("every allowed keyword is a keyword of its block, not a script, include or modelled one", () => {
    for (const keyword of GLOBAL_DEFS_PASSTHROUGH) expect([keyword, freeFormLineProblem(keyword, "global_defs")]).toEqual([keyword, undefined]);
    for (const keyword of VRRP_INSTANCE_PASSTHROUGH) expect([keyword, freeFormLineProblem(keyword, "vrrp_instance")]).toEqual([keyword, undefined]);
  });

  it("whatever string check accepts renders as that one statement, and reads back as written", () => {
    const alphabet = fc.constantFrom(..."abcdeilnprstuvx_ 0123456789.:,%/-@$~{}\"'#!\\;\t\n\u0000\u00e9".split(""));
    const word = fc.oneof(fc.constantFrom(...VRRP_INSTANCE_PASSTHROUGH, "include", "@dir2", "notify_master", "$X=1", "~SEQ(A,1,2)"), fc.string({ unit: alphabet, maxLength: 12 }));
    const line = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(" "));
    let accepted = 0;
    fc.assert(
      fc.property(line, (l) => {
        if (freeFormLineProblem(l, "vrrp_instance") !== undefined) return;
        accepted++;
        const read = parseNodeConfig(renderNodeConfig(pairOf({ ...MINIMAL_PAIR, extraInstanceConfig: [l] }), 0));
        expect(read.extraInstanceConfig).toEqual([l.trim().split(/\s+/).join(" ")]);
        expect(VRRP_INSTANCE_PASSTHROUGH).toContain(read.extraInstanceConfig[0]!.split(" ")[0]);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe("names written at the start of a line", () => {
  it.each<[string, Raw, string[]]>([
    ["a track interface named @dir2", { trackInterfaces: ["@dir2"] }, ["trackInterfaces[0]"]],
    ["a weighted track interface named @dir2", { trackInterfaces: [{ name: "@dir2", weight: 5 }] }, ["trackInterfaces[0].name"]],
    ["a track interface named include", { trackInterfaces: [{ name: "include", weight: 5 }] }, ["trackInterfaces[0].name"]],
    ["a track interface named includer", { trackInterfaces: ["includer"] }, ["trackInterfaces[0]"]],
    ["a track script named @dir2", { trackScripts: [{ name: "@dir2", command: ["/usr/bin/true"] }] }, ["trackScripts[0].name"]],
    ["a track script named include", { trackScripts: [{ name: "include", command: ["/usr/bin/true"] }] }, ["trackScripts[0].name"]],
    ["a router_id beginning with @", { nodes: [{ connection: { host: "h1" }, priority: 150, routerId: "@n1" }, { connection: { host: "h2" }, priority: 100 }] }, ["nodes[0].routerId"]],
    ["an instance name beginning with @", { instanceName: "@VI" }, ["instanceName"]],
  ])("%s is refused", (_name, overrides, properties) => {
    expect(refusedAt(overrides)).toEqual(properties);
  });

  it("says why, naming the kind of name", () => {
    expect(pairFailures({ trackInterfaces: [{ name: "include", weight: 5 }] })).toEqual([
      { property: "trackInterfaces[0].name", reason: '"include" cannot be the name of a track_interface entry: it is written at the start of a line, where keepalived reads it as a directive; use another name' },
    ]);
    expect(pairFailures({ trackScripts: [{ name: "@dir2", command: ["/usr/bin/true"] }] })).toEqual([
      { property: "trackScripts[0].name", reason: "cannot begin with @ (vrrp_script name): keepalived reads a line starting with @ as a conditional line meant for another host; rename it" },
    ]);
  });

  it("@ and include elsewhere in a name are plain text", () => {
    expect(refusedAt({ trackInterfaces: ["eth2"], trackScripts: [{ name: "chk@dir2", command: ["/usr/bin/true"] }, { name: "include_me", command: ["/usr/bin/true"] }] })).toEqual([]);
  });
});

describe("trackScripts[].user and group", () => {
  const script = (extra: Raw) => ({ trackScripts: [{ name: "chk", command: ["/usr/bin/true"], ...extra }] });

  it("are accepted, rendered as keepalived's `user <name> [group]`, and read back", () => {
    for (const [extra, line] of [
      [{ user: "nobody" }, "  user nobody"],
      [{ user: "keepalived_script", group: "nogroup" }, "  user keepalived_script nogroup"],
    ] as const) {
      const pair = pairOf({ ...MINIMAL_PAIR, ...script(extra) });
      const text = renderNodeConfig(pair, 0);
      expect(lines(text)).toContain(line);
      expect(parseNodeConfig(text).trackScripts).toEqual([{ name: "chk", command: ["/usr/bin/true"], ...extra }]);
    }
  });

  it.each(["Root", "a b", "x$", "-x", "1user", "a".repeat(33), "@dir2", "include\u0000"])("a bad user name %j is refused at the user", (user) => {
    expect(refusedAt(script({ user }))).toEqual(["trackScripts[0].user"]);
  });

  it("a group without a user is refused, saying to set user", () => {
    expect(pairFailures(script({ group: "nogroup" }))).toEqual([
      { property: "trackScripts[0].group", reason: "needs user as well: keepalived takes `user <name> [group]`; set user (the group defaults to the user's own)" },
    ]);
  });
});

describe("numbers and strings the keepalived schemas bound", () => {
  it.each([0, 255, 300, 1.5, -1])("a pair target's priority %p is refused (the pair's nodes take 1..254)", (priority) => {
    const target = { ...PAIR_TARGET, nodes: [{ ...PAIR_TARGET.nodes[0], priority }, PAIR_TARGET.nodes[1]] };
    expect(serviceRefusedAt({ keepalived: target })).toEqual(["keepalived.nodes[0].priority"]);
  });

  it("a password holding $ is refused ($_INSTANCE would differ per node)", () => {
    expect(refusedAt({ auth: { password: "a$_BANG" } })).toEqual(["auth.password"]);
  });

  it("a URL path holding $ is refused ($_HASH would start a comment)", () => {
    expect(realServerRefusedAt({ healthCheck: { type: "HTTP_GET", urls: [{ path: "/x$_HASH" }] } })).toEqual(["healthCheck.urls[0].path"]);
  });

  it.each<[string, () => string[], string[]]>([
    ["a track script command", () => refusedAt({ trackScripts: [{ name: "chk", command: ["/usr/bin/true", ...Array(100).fill("a".repeat(9))] }] }), ["trackScripts[0].command"]],
    ["a notify command", () => refusedAt({ notify: { master: ["/usr/bin/true", "a".repeat(1000)] } }), ["notify.master"]],
    ["a MISC_CHECK command", () => realServerRefusedAt({ healthCheck: { type: "MISC_CHECK", command: ["/usr/bin/true", "a".repeat(1000)] } }), ["healthCheck.command"]],
    ["a URL path", () => realServerRefusedAt({ healthCheck: { type: "HTTP_GET", urls: [{ path: `/${"a".repeat(1000)}` }] } }), ["healthCheck.urls[0].path"]],
    ["a check's virtualhost", () => realServerRefusedAt({ healthCheck: { type: "HTTP_GET", urls: [{ path: "/" }], virtualhost: "a".repeat(1100) } }), ["healthCheck.virtualhost"]],
    ["a service's virtualhost", () => serviceRefusedAt({ virtualhost: "a".repeat(1100) }), ["virtualhost"]],
    ["a DNS name", () => realServerRefusedAt({ healthCheck: { type: "DNS_CHECK", name: Array(70).fill("abcd").join(".") } }), ["healthCheck.name"]],
  ])("%s too long for one keepalived line is refused", (_name, refused, properties) => {
    expect(refused()).toEqual(properties);
  });

  it("the longest values check accepts still render to lines keepalived reads whole", () => {
    const argv = ["/usr/bin/true", ...Array(94).fill("abcdefghi"), "abcdef"];
    expect(Buffer.byteLength(argv.join(" "))).toBe(960);
    const pair = pairOf({ ...MINIMAL_PAIR, trackScripts: [{ name: "chk", command: argv }], notify: { master: argv }, extraGlobalDefs: [`vrrp_iptables ${"A".repeat(946)}`] });
    const { service, options } = serviceOf({ ...web, virtualhost: `${"a".repeat(60)}.`.repeat(4).slice(0, 253), quorumUp: argv });
    const rs = realServerOf({ service: web, address: "10.0.1.1", port: 80, notifyUp: argv, healthCheck: { type: "HTTP_GET", urls: [{ path: `/${"!".repeat(959)}` }] } });
    const misc = realServerOf({ service: web, address: "10.0.1.2", port: 80, healthCheck: { type: "MISC_CHECK", command: argv } });
    for (const text of [renderNodeConfig(pair, 0), renderVirtualServerBlock(service, options), renderRealServerBlock(rs.destination, rs.options), renderRealServerBlock(misc.destination, misc.options)])
      expect(longest(text)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  });
});

describe("the renderer never writes what keepalived would read differently", () => {
  it("a line longer than keepalived's buffer", () => {
    expect(() => writeStatements([statement("vrrp_iptables", ["A".repeat(MAX_LINE_BYTES)])])).toThrow(/keepalived would cut this 1036-byte line at 1023 bytes/);
    expect(writeStatements([statement("x", ["A".repeat(MAX_LINE_BYTES - 2)])])).toHaveLength(MAX_LINE_BYTES + 1);
  });

  it.each(["@dir2", "$X=1", "~SEQ(A,1,2)", "a\u0000b", "a b"])("a keyword keepalived acts on first, or cannot read: %j", (keyword) => {
    expect(() => writeStatements([statement(keyword, ["weight", 5])])).toThrow(/would not read .* as a keyword/);
  });

  it.each(["a\u0000b", "bell\u0007", "\u007f"])("a control character in a value: %j", (token) => {
    expect(() => writeStatements([statement("use_vmac", [token])])).toThrow(/cannot carry the control characters/);
  });
});
