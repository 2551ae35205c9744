// Input validation: every failure at once, under its property path, saying what to do;
// cross-field rules backed by what the real ipvsadm/kernel refused (rejections.txt).

import { readFileSync } from "fs";
import { join } from "path";
import { normalizeDestination, normalizeService } from "../../../provider/ipvs/model";
import { serviceKeyOf, toIpvsDestination, toIpvsService } from "../../../provider/ipvs/schema";
import { RealServerInputsSchema, VirtualServiceInputsSchema, formatCheckFailures } from "../../../provider/service/schema";

const rejections = readFileSync(join(__dirname, "../../fixtures/ipvsadm/rejections.txt"), "utf8");
const connection = { host: "10.77.0.12", privateKey: "(checked elsewhere)" };

function failuresOf(schema: typeof VirtualServiceInputsSchema | typeof RealServerInputsSchema, input: Record<string, unknown>) {
  const result = schema.safeParse({ connection, ...input });
  return result.success ? [] : formatCheckFailures(result.error.issues);
}
const vsFailures = (input: Record<string, unknown>) => failuresOf(VirtualServiceInputsSchema, input);
const rsFailures = (input: Record<string, unknown>) => failuresOf(RealServerInputsSchema, input);
const web = { address: "10.0.0.1", port: 80 };

describe("the issue's five cases", () => {
  it("a bad IP", () => {
    expect(vsFailures({ address: "10.0.0.300", port: 80 })).toEqual([
      { property: "address", reason: '"10.0.0.300" is not an IPv4 or IPv6 address; write it like 10.0.0.1 or fd00::1' },
    ]);
  });
  it("a port of 70000", () => {
    expect(vsFailures({ address: "10.0.0.1", port: 70000 })).toEqual([{ property: "port", reason: "must be an integer 1..65535 (got 70000); set port between 1 and 65535" }]);
  });
  it("weight -1", () => {
    expect(rsFailures({ service: web, address: "10.0.1.1", port: 80, weight: -1 })).toEqual([
      { property: "weight", reason: "must be an integer 0..65535 (got -1); set weight between 0 and 65535" },
    ]);
  });
  it("an unknown scheduler lists the valid ones", () => {
    expect(vsFailures({ ...web, scheduler: "rrr" })).toEqual([
      { property: "scheduler", reason: 'unknown scheduler "rrr" (did you mean "rr"?); use one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos' },
    ]);
  });
  it("a dr port mismatch", () => {
    expect(rsFailures({ service: web, address: "10.0.1.1", port: 8080, forwarding: "dr" })).toEqual([
      { property: "port", reason: 'must equal the service\'s port 80 with forwarding "dr": IPVS direct routing cannot rewrite ports; set port to 80, or use forwarding "nat"' },
    ]);
  });
  it("all of them at once, in one check", () => {
    const vs = vsFailures({ address: "10.0.0.300", port: 70000, scheduler: "rrr" }).map((f) => f.property);
    const rs = rsFailures({ service: web, address: "10.0.1.1", port: 8080, weight: -1 }).map((f) => f.property);
    expect(vs).toEqual(["address", "port", "scheduler"]);
    expect(rs).toEqual(["weight", "port"]);
  });
});

describe("VirtualService inputs", () => {
  it("fills in defaults like ipvsadm (wlc) and canonicalises", () => {
    expect(VirtualServiceInputsSchema.parse({ connection, address: "FD00:0::1", port: 80 })).toEqual({
      connection,
      protocol: "tcp",
      address: "fd00::1",
      port: 80,
      family: "ipv6",
      scheduler: "wlc",
      schedulerFlags: [],
      onePacket: false,
      adopt: false,
    });
  });

  it("a firewall-mark service: family ipv4 by default, no address", () => {
    const inputs = VirtualServiceInputsSchema.parse({ connection, fwmark: 42, scheduler: "sh", schedulerFlags: ["sh-port", "sh-fallback"] });
    expect(inputs).toMatchObject({ fwmark: 42, family: "ipv4", schedulerFlags: ["sh-fallback", "sh-port"] });
    expect(inputs.address).toBeUndefined();
    expect(serviceKeyOf(inputs)).toEqual({ kind: "fwmark", fwmark: 42, family: "ipv4" });
  });

  it("stores values as the kernel reports them: the full netmask is no netmask", () => {
    expect(VirtualServiceInputsSchema.parse({ connection, ...web, persistence: { timeoutSeconds: 60, netmask: "255.255.255.255" } }).persistence).toEqual({ timeoutSeconds: 60 });
  });

  it("converts to the model", () => {
    const inputs = VirtualServiceInputsSchema.parse({ connection, protocol: "udp", ...web, scheduler: "mh", schedulerFlags: ["mh-port"], persistence: { timeoutSeconds: 9, netmask: "255.255.0.0" }, onePacket: true });
    expect(toIpvsService(inputs)).toEqual(
      normalizeService({ key: { kind: "address", protocol: "udp", address: "10.0.0.1", port: 80 }, scheduler: "mh", schedulerFlags: ["mh-port"], persistence: { timeoutSeconds: 9, netmask: "255.255.0.0" }, onePacket: true }),
    );
  });

  it.each<[string, Record<string, unknown>, Array<[string, RegExp]>]>([
    ["neither address nor fwmark", {}, [["address", /is required: set address and port .* or fwmark/]]],
    ["both address and fwmark", { ...web, fwmark: 3 }, [["fwmark", /cannot be combined with address\/port/]]],
    ["address without port", { address: "10.0.0.1" }, [["port", /is required with address/]]],
    ["protocol on a firewall-mark service", { fwmark: 3, protocol: "udp" }, [["protocol", /does not apply to a firewall-mark service/]]],
    ["family that contradicts the address", { ...web, family: "ipv6" }, [["family", /is ipv6 but address 10.0.0.1 is ipv4/]]],
    ["port 0 without persistence", { address: "10.0.0.1", port: 0 }, [["port", /0 \(all ports\) needs persistence/]]],
    ["flags on a scheduler that ignores them", { ...web, scheduler: "rr", schedulerFlags: ["sh-port"] }, [["schedulerFlags", /only apply to the sh and mh schedulers \(scheduler is rr\)/]]],
    ["an sh flag with mh", { ...web, scheduler: "mh", schedulerFlags: ["mh-fallback", "sh-port"] }, [["schedulerFlags[1]", /"sh-port" is a flag of the sh scheduler; with mh use "mh-port"/]]],
    ["an unknown flag", { ...web, scheduler: "sh", schedulerFlags: ["sh-prot"] }, [["schedulerFlags[0]", /unknown scheduler flag "sh-prot" \(did you mean "sh-port"\?\)/]]],
    ["an IPv4 netmask written as a prefix", { ...web, persistence: { timeoutSeconds: 1, netmask: "24" } }, [["persistence.netmask", /looks like a prefix length.*255\.255\.255\.0/]]],
    ["a non-contiguous IPv4 netmask", { ...web, persistence: { timeoutSeconds: 1, netmask: "255.0.255.0" } }, [["persistence.netmask", /contiguous dotted mask/]]],
    ["an IPv6 netmask out of range", { address: "fd00::1", port: 80, persistence: { timeoutSeconds: 1, netmask: "129" } }, [["persistence.netmask", /prefix length 1..128/]]],
    ["an IPv6 netmask written as a mask", { fwmark: 1, family: "ipv6", persistence: { timeoutSeconds: 1, netmask: "ffff:ffff::" } }, [["persistence.netmask", /prefix length 1..128/]]],
    ["a netmask outside persistence", { ...web, netmask: "255.255.255.0" }, [["netmask", /unknown property/]]],
    ["persistence timeout 0", { ...web, persistence: { timeoutSeconds: 0 } }, [["persistence.timeoutSeconds", /must be an integer 1..2678400 \(got 0\)/]]],
    ["one-packet on tcp", { ...web, onePacket: true }, [["onePacket", /only works on UDP services and firewall marks \(protocol is tcp\)/]]],
    ["one-packet on sctp", { ...web, protocol: "sctp", onePacket: true }, [["onePacket", /protocol is sctp/]]],
    ["fwmark 0", { fwmark: 0 }, [["fwmark", /must be an integer 1..2147483647 \(got 0\)/]]],
    ["a typo'd property", { ...web, persistance: { timeoutSeconds: 1 } }, [["persistance", /unknown property \(did you mean "persistence"\?\)/]]],
    ["an unknown property nothing like a known one", { ...web, zzz: 1 }, [["zzz", /unknown property; remove it \(known: connection, protocol, address/]]],
    ["a typo inside persistence", { ...web, persistence: { timeoutSecs: 1 } }, [["persistence.timeoutSeconds", /must be an integer/], ["persistence.timeoutSecs", /did you mean "timeoutSeconds"/]]],
  ])("rejects %s", (_, input, expected) => {
    const failures = vsFailures(input);
    expect(failures.map((f) => f.property)).toEqual(expected.map(([p]) => p));
    expected.forEach(([, reason], i) => expect(failures[i]!.reason).toMatch(reason));
  });

  it.each<[string, Record<string, unknown>]>([
    ["one-packet on udp", { protocol: "udp", ...web, onePacket: true }],
    ["one-packet on a firewall mark", { fwmark: 7, onePacket: true }],
    ["port 0 with persistence", { address: "10.0.0.1", port: 0, persistence: { timeoutSeconds: 360 } }],
    ["an IPv6 prefix netmask", { address: "fd00::1", port: 443, persistence: { timeoutSeconds: 60, netmask: "64" } }],
    ["netmask 0.0.0.0 (one template for every client)", { ...web, persistence: { timeoutSeconds: 60, netmask: "0.0.0.0" } }],
    ["twos (the executor reports it when the kernel lacks it)", { ...web, scheduler: "twos" }],
  ])("accepts %s", (_, input) => {
    expect(vsFailures(input)).toEqual([]);
  });
});

describe("RealServer inputs", () => {
  it("fills in defaults (dr, weight 1, thresholds 0) and canonicalises", () => {
    expect(RealServerInputsSchema.parse({ connection, service: { address: "FD00::1", port: 80 }, address: "FD00:1:0::5", port: 80 })).toEqual({
      connection,
      service: { protocol: "tcp", address: "fd00::1", port: 80 },
      address: "fd00:1::5",
      port: 80,
      forwarding: "dr",
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
      adopt: false,
    });
  });

  it("a real server of a firewall mark: port 0 by default", () => {
    const inputs = RealServerInputsSchema.parse({ connection, service: { fwmark: 9, family: "ipv6" }, address: "fd00::5" });
    expect(toIpvsDestination(inputs)).toEqual(normalizeDestination({ service: { kind: "fwmark", fwmark: 9, family: "ipv6" }, address: "fd00::5", port: 0, forwarding: "dr", weight: 1, upperThreshold: 0, lowerThreshold: 0 }));
  });

  it("stores the tunnel as the kernel reports it: tun means ipip, gue/gre get a checksum", () => {
    expect(RealServerInputsSchema.parse({ connection, service: web, address: "10.0.1.1", port: 80, forwarding: "tun" }).tunnel).toEqual({ type: "ipip" });
    expect(RealServerInputsSchema.parse({ connection, service: web, address: "10.0.1.1", port: 80, forwarding: "tun", tunnel: { type: "gue", port: 6080 } }).tunnel).toEqual({
      type: "gue",
      port: 6080,
      checksum: "nocsum",
    });
  });

  it("drain defaults to 300 s, polling every 2 s, when asked for", () => {
    expect(RealServerInputsSchema.parse({ connection, service: web, address: "10.0.1.1", port: 80, drain: {} }).drain).toEqual({ timeoutSeconds: 300, pollSeconds: 2 });
  });

  const rs = (extra: Record<string, unknown>) => ({ service: web, address: "10.0.1.1", port: 80, ...extra });
  it.each<[string, Record<string, unknown>, Array<[string, RegExp]>]>([
    ["tun port mismatch", rs({ port: 81, forwarding: "tun" }), [["port", /must equal the service's port 80 with forwarding "tun": IPVS tunnelling/]]],
    ["no port for an address service", rs({ port: undefined }), [["port", /is required for a real server of an address service; set it \(to 80 for dr\/tun\)/]]],
    ["port 0 for nat on an address service", rs({ port: 0, forwarding: "nat" }), [["port", /0 is only for real servers of firewall-mark or all-ports/]]],
    ["nat across families", rs({ address: "fd00::5", forwarding: "nat" }), [["address", /is ipv6 but the service is ipv4; IPVS mixes families only with forwarding "tun"/]]],
    ["lower threshold above upper", rs({ upperThreshold: 10, lowerThreshold: 20 }), [["lowerThreshold", /\(20\) must not exceed upperThreshold \(10\)/]]],
    ["lower threshold with no upper limit", rs({ lowerThreshold: 20 }), [["lowerThreshold", /upperThreshold 0 means no limit and then lowerThreshold must be 0 too/]]],
    ["threshold above INT_MAX", rs({ upperThreshold: 4294967295 }), [["upperThreshold", /must be an integer 0..2147483647/]]],
    ["weight 65536", rs({ weight: 65536 }), [["weight", /must be an integer 0..65535 \(got 65536\)/]]],
    ["weight 1.5", rs({ weight: 1.5 }), [["weight", /must be an integer 0..65535 \(got 1.5\)/]]],
    ["tunnel without tun", rs({ tunnel: { type: "ipip" } }), [["tunnel", /only applies to forwarding "tun" \(forwarding is dr\)/]]],
    ["gue without port", rs({ forwarding: "tun", tunnel: { type: "gue" } }), [["tunnel.port", /is required for a gue tunnel/]]],
    ["gre with a port", rs({ forwarding: "tun", tunnel: { type: "gre", port: 5 } }), [["tunnel.port", /only applies to a gue tunnel/]]],
    ["gre with remcsum", rs({ forwarding: "tun", tunnel: { type: "gre", checksum: "remcsum" } }), [["tunnel.checksum", /remcsum is only for gue tunnels/]]],
    ["ipip with a checksum", rs({ forwarding: "tun", tunnel: { type: "ipip", checksum: "csum" } }), [["tunnel.checksum", /does not apply to an ipip tunnel/]]],
    ["an unknown tunnel type", rs({ forwarding: "tun", tunnel: { type: "vxlan" } }), [["tunnel.type", /unknown tunnel type "vxlan"; use one of ipip, gue, gre/]]],
    ["a bad service reference", rs({ service: { address: "10.0.0.1" } }), [["service.port", /is required with address/]]],
    ["no service at all", { address: "10.0.1.1", port: 80 }, [["service", /^is required$/]]],
    ["a typo in the service", rs({ service: { ...web, protcol: "udp" } }), [["service.protcol", /did you mean "protocol"/]]],
    ["a typo'd forwarding", rs({ forwarding: "natt" }), [["forwarding", /unknown forwarding "natt" \(did you mean "nat"\?\); use one of dr, nat, tun/]]],
  ])("rejects %s", (_, input, expected) => {
    const failures = rsFailures(input);
    expect(failures.map((f) => f.property)).toEqual(expected.map(([p]) => p));
    expected.forEach(([, reason], i) => expect(failures[i]!.reason).toMatch(reason));
  });

  it.each<[string, Record<string, unknown>]>([
    ["nat to another port", rs({ port: 8080, forwarding: "nat" })],
    ["tun across families (the kernel allows it)", rs({ address: "fd00::5", forwarding: "tun" })],
    ["weight 0 and 65535", rs({ weight: 65535 })],
    ["gue with remcsum", rs({ forwarding: "tun", tunnel: { type: "gue", port: 6080, checksum: "remcsum" } })],
    ["a firewall-mark real server on any port, dr", { service: { fwmark: 1 }, address: "10.0.1.1", port: 8080 }],
    ["an all-ports service with port 0 (dr)", { service: { address: "10.0.0.1", port: 0 }, address: "10.0.1.1", port: 0 }],
  ])("accepts %s", (_, input) => {
    expect(rsFailures(input)).toEqual([]);
  });
});

// The rules above are there because the real tools refuse (or silently rewrite) these.
describe("each cross-field rule mirrors something the lab's ipvsadm/kernel did", () => {
  it.each([
    ["one-packet only on UDP", "One-Packet Scheduling is only for UDP virtual services"],
    ["port 0 needs persistence", "Zero port specified for non-persistent service"],
    ["flags belong to their scheduler", "incompatible scheduler flag `sh-port'"],
    ["IPv6 netmask is a prefix 1..128", "illegal ipv6 netmask specified"],
    ["persistence timeout range", "invalid timeout value `2678401' specified"],
    ["families mix only with tun", "Different address family is allowed only for tunneling servers"],
    ["lower threshold above upper, even upper 0", "$ ipvsadm -a -t 10.77.0.167:80 -r 10.77.0.22:8080 -m -x 0 -y 20\nNumerical result out of range"],
    ["thresholds up to INT_MAX", "illegal u_threshold specified"],
    ["gue needs a port", "You need to supply the 'tun-port' option for the 'gue' tunnel type"],
    ["gre takes no port", "Illegal 'tun-port' option with the 'gre' tunnel type"],
    ["gre takes no remcsum", "Illegal 'tun-remcsum' option with the 'gre' tunnel type"],
    ["ipip takes no checksum", "Illegal 'tun-csum' option with the 'ipip' tunnel type"],
    ["tunnel options only with tun", "Tunnel options conflict with forward method"],
    ["dr ports are replaced by the service's (so a mismatch must be an error, not a diff)", "-a -t 10.77.0.167:80 -r 10.77.0.21:80 -g -w 1"],
    ["an IPv4 netmask like 24 is read as an address", "-M 0.0.0.24"],
    ["fwmarks above INT_MAX come back negative", "-A -f -1 -s wlc"],
  ])("%s", (_, evidence) => {
    expect(rejections).toContain(evidence);
  });
});
