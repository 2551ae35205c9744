// Rules keepalived 2.2.7 enforces that a single field's range does not show: each value
// below is refused by `keepalived -t` (exit 5, or worse), so the schemas must refuse it
// too, or every apply fails on the hosts with keepalived's message instead of a check
// failure at preview. Each is forced into an otherwise valid model, so the evidence stays
// true whatever the schemas do.

import type { KeepalivedPairConfig } from "../../../provider/keepalived/model";
import type { KeepalivedRealServer, KeepalivedVirtualServer } from "../../../provider/keepalived/serviceModel";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived, type KeepalivedCheck } from "../../support/keepalivedCheck";
import { MINIMAL_PAIR, nodeTree, pairOf, realServerOf, serviceOf } from "./userInputs";

afterAll(removeKeepalivedNamespace);

const messages = (check: KeepalivedCheck) => complaints(check).map((l) => l.replace(/^\([^)]*Line \d+\) /, ""));
const web = { address: "10.0.0.100", port: 80 };
const pair = () => pairOf(MINIMAL_PAIR);
const pair6 = () => pairOf({ ...MINIMAL_PAIR, vips: ["fd00::100"] });
const service = (): KeepalivedVirtualServer => serviceOf(web);
const realServer = (): KeepalivedRealServer => realServerOf({ service: web, address: "10.0.1.1", port: 80 });

function check(p: KeepalivedPairConfig, s: KeepalivedVirtualServer = service(), rs: KeepalivedRealServer[] = [realServer()]) {
  return validateWithKeepalived(nodeTree(p, 0, [s], rs));
}

describe("KeepalivedPair: values keepalived refuses", () => {
  it.each<[string, () => KeepalivedPairConfig, string]>([
    ["AH auth with a MASTER node", () => ({ ...pair(), auth: { type: "AH", password: "abc" } }), "(VI_51) Initial state master is incompatible with AH authentication - clearing"],
    ["preemptDelay with a MASTER node", () => ({ ...pair(), preemptDelay: 30 }), "(VI_51) Warning - preempt delay will not work with initial state MASTER - clearing"],
    ["tracking the instance's own interface", () => ({ ...pair(), trackInterfaces: [{ name: "eth1" }] }), "(VI_51) Ignoring track_interface eth1 since own interface"],
    ["auth with IPv6 VIPs (VRRPv3 has none)", () => ({ ...pair6(), auth: { type: "PASS", password: "abc" } }), "(VI_51) VRRP version 3 does not support authentication. Ignoring."],
    [
      "advertInt above 40 with IPv6 VIPs",
      () => ({ ...pair6(), advertInt: 41 }),
      "(VI_51) VRRPv3 advertisement interval 41.00s is out of range. Must be less than 40.96s. Setting to 40.95s",
    ],
    ["garp.masterDelay above 4294", () => ({ ...pair(), garp: { masterDelay: 4295 } }), "number '4295' outside range [0, 4294]"],
    ["garp.lowerPrioDelay above 4294", () => ({ ...pair(), garp: { lowerPrioDelay: 86400 } }), "number '86400' outside range [0, 4294]"],
    ["garp.masterRepeat 0", () => ({ ...pair(), garp: { masterRepeat: 0 } }), "(VI_51): garp_master_repeat must be greater than 0, setting to 1"],
    ["garp.masterRefreshRepeat 0", () => ({ ...pair(), garp: { masterRefreshRepeat: 0 } }), "(VI_51): garp_master_refresh_repeat must be greater than 0, setting to 1"],
    [
      "IPv4 unicast addresses with IPv6 VIPs",
      () => ({ ...pair6(), unicast: true, nodes: [{ ...pair6().nodes[0], unicastSrcIp: "192.168.50.1" }, { ...pair6().nodes[1], unicastSrcIp: "192.168.50.2" }] }),
      "(VI_51): address family must match VRRP instance [fd00::100/128] - ignoring",
    ],
    // A lone backslash ends the line as a continuation.
    ["a password of one backslash", () => ({ ...pair(), auth: { type: "PASS", password: "\\" } }), "Unknown keyword 'auth_pass\\'"],
  ])("%s", (_name, forced, message) => {
    const c = check(forced());
    expect(c.exitCode).toBe(5);
    expect(messages(c)).toContain(message);
  });

  it("a vrrp_script run as another user than root: keepalived -t kills itself, saying nothing", () => {
    const p = pair();
    const c = check({ ...p, trackScripts: [{ name: "chk", command: ["/usr/bin/true"], user: "nobody" }] });
    expect([c.exitCode, messages(c)]).toEqual([143, ["(killed by SIGTERM)"]]);
    // The same script as root is fine, so it is the user.
    expect(check({ ...p, trackScripts: [{ name: "chk", command: ["/usr/bin/true"], user: "root" }] }).exitCode).toBe(0);
  });
});

describe("VirtualService / RealServer: values keepalived refuses", () => {
  it.each<[string, () => [KeepalivedVirtualServer, KeepalivedRealServer], string]>([
    ["hysteresis not below quorum (1 by default)", () => [{ ...service(), options: { hysteresis: 1 } }, realServer()], "Virtual server [10.0.0.100]:tcp:80: hysteresis 1 >= quorum 1; setting hysteresis to 0"],
    [
      "a sorry server of the other family",
      () => [{ ...service(), options: { sorryServer: { address: "fd00::9", port: 80 } } }, realServer()],
      "Address family of virtual server and sorry server fd00::9 don't match - skipping sorry server.",
    ],
    [
      "bindTo of the other family than the real server",
      () => [service(), { ...realServer(), options: { healthCheck: { type: "TCP_CHECK", bindTo: "fd00::1" } } }],
      "bindto address fd00::1 does not match address family of connect_ip - skipping",
    ],
    ["a DNS_CHECK name with an empty label", () => [service(), { ...realServer(), options: { healthCheck: { type: "DNS_CHECK", name: "ab..cd" } } }], "DNS_CHECK name 'ab..cd' has empty label - ignoring"],
    // keepalived 2.2.7 quirk: a one-character first label followed by more is "empty" too.
    ["a DNS_CHECK name starting with a one-character label", () => [service(), { ...realServer(), options: { healthCheck: { type: "DNS_CHECK", name: "x.example" } } }], "DNS_CHECK name 'x.example' has empty label - ignoring"],
  ])("%s", (_name, forced, message) => {
    const [s, rs] = forced();
    const c = check(pair(), s, [rs]);
    expect(c.exitCode).toBe(5);
    expect(messages(c)).toContain(message);
  });
});

describe("across resources: what no single resource's schema can see", () => {
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
