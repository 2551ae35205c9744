// Parsers on output captured from the lab's real kernel (test/fixtures/ipvsadm, see capture.sh).

import { readFileSync } from "fs";
import { join } from "path";
import { normalizeTable, serviceKeyString, type IpvsDestination, type IpvsService } from "../../../provider/ipvs/model";
import {
  IpvsParseError,
  READ_TABLE_COMMANDS,
  availableSchedulersCommand,
  parseAvailableSchedulers,
  parseIpvsadmSave,
  parseLiveTable,
} from "../../../provider/ipvs/parse";
import { BUILT, EDITED, KEYS } from "../../fixtures/ipvsadm/scenario";

const fixture = (name: string) => readFileSync(join(__dirname, "../../fixtures/ipvsadm", name), "utf8");

const built = parseLiveTable([fixture("build.save"), fixture("build.list-thresholds")]);
const service = (key: keyof typeof KEYS): IpvsService | undefined => built.services.find((s) => serviceKeyString(s.key) === serviceKeyString(KEYS[key]));
const destinationsOf = (key: keyof typeof KEYS): IpvsDestination[] =>
  built.destinations.filter((d) => serviceKeyString(d.service) === serviceKeyString(KEYS[key]));

describe("parseLiveTable on the captured build (ipvsadm -S -n + -L --thresholds)", () => {
  it("reads back exactly the table that was rendered and run", () => {
    expect(built).toEqual(normalizeTable(BUILT));
  });

  it("reads back the edited table too", () => {
    expect(parseLiveTable([fixture("edit.save"), fixture("edit.list-thresholds")])).toEqual(normalizeTable(EDITED));
  });

  it("runs exactly two commands, both ipvsadm", () => {
    expect(READ_TABLE_COMMANDS).toEqual([
      ["ipvsadm", "-S", "-n"],
      ["ipvsadm", "-L", "-n", "--exact", "--thresholds"],
    ]);
  });

  it("refuses a wrong number of outputs", () => {
    expect(() => parseLiveTable([fixture("build.save")])).toThrow(/needs the 2 outputs/);
  });

  it.each<[string, keyof typeof KEYS, Partial<IpvsService>]>([
    ["IPv4 tcp", "web", { key: { kind: "address", protocol: "tcp", address: "10.77.0.150", port: 80 }, scheduler: "rr" }],
    ["sctp", "sctp", { key: { kind: "address", protocol: "sctp", address: "10.77.0.154", port: 9000 }, scheduler: "lc" }],
    ["IPv6", "web6", { key: { kind: "address", protocol: "tcp", address: "fd77::150", port: 80 }, scheduler: "lblc" }],
    ["IPv6 persistence (prefix netmask)", "tls6", { persistence: { timeoutSeconds: 600, netmask: "64" } }],
    ["IPv4 persistence, sh flags, one-packet", "dnsSh", { schedulerFlags: ["sh-fallback", "sh-port"], persistence: { timeoutSeconds: 300, netmask: "255.255.255.0" }, onePacket: true }],
    ["mh flags", "dnsMh", { schedulerFlags: ["mh-fallback", "mh-port"] }],
    ["port 0 persistent, default netmask left out", "allPorts", { key: { kind: "address", protocol: "tcp", address: "10.77.0.155", port: 0 }, persistence: { timeoutSeconds: 360 } }],
    ["fwmark IPv4", "mark4", { key: { kind: "fwmark", fwmark: 1, family: "ipv4" }, persistence: { timeoutSeconds: 120, netmask: "255.255.0.0" } }],
    ["fwmark IPv6 (-6)", "mark6", { key: { kind: "fwmark", fwmark: 2, family: "ipv6" }, persistence: { timeoutSeconds: 30, netmask: "96" }, onePacket: true }],
  ])("service: %s", (_, key, expected) => {
    expect(service(key)).toMatchObject(expected);
  });

  it.each<[string, keyof typeof KEYS, string, Partial<IpvsDestination>]>([
    ["dr weight 0", "web", "10.77.0.22", { forwarding: "dr", weight: 0 }],
    ["thresholds (only in the listing)", "web", "10.77.0.23", { upperThreshold: 100, lowerThreshold: 10 }],
    ["INT_MAX threshold, nat", "natWeb", "10.77.1.23", { forwarding: "nat", upperThreshold: 2_147_483_647, lowerThreshold: 5 }],
    ["nat to another port, weight 65535", "natWeb", "10.77.1.22", { port: 8081, weight: 65535 }],
    ["tun ipip", "dnsSh", "10.77.0.21", { forwarding: "tun", tunnel: { type: "ipip" } }],
    ["tun gue csum", "dnsSh", "10.77.0.22", { tunnel: { type: "gue", port: 6080, checksum: "csum" } }],
    ["tun gre csum", "dnsSh", "10.77.0.23", { tunnel: { type: "gre", checksum: "csum" } }],
    ["tun IPv6 real server of an IPv4 service", "dnsSh", "fd77::21", { forwarding: "tun", port: 53 }],
    ["tun gue remcsum", "dnsMh", "10.77.0.21", { tunnel: { type: "gue", port: 6081, checksum: "remcsum" } }],
    ["tun gre nocsum", "dnsMh", "10.77.0.23", { tunnel: { type: "gre", checksum: "nocsum" } }],
    ["IPv6 nat", "web6", "fd77:1::22", { forwarding: "nat", port: 8080, weight: 2 }],
    ["fwmark real server without port", "mark4", "10.77.0.21", { port: 0 }],
    ["fwmark real server with port", "mark4", "10.77.1.22", { port: 8080, forwarding: "nat" }],
    ["IPv4 tun real server of an IPv6 fwmark", "mark6", "10.77.0.22", { forwarding: "tun", tunnel: { type: "ipip" } }],
  ])("real server: %s", (_, key, address, expected) => {
    expect(destinationsOf(key).find((d) => d.address === address)).toMatchObject(expected);
  });

  it("keeps no counters in the table (two reads of an unchanged host are equal)", () => {
    expect(JSON.stringify(built)).not.toMatch(/active|inactive|conn/i);
  });
});

describe("parseIpvsadmSave", () => {
  it("reads the captured -S output with thresholds at 0 (-S does not print -x/-y)", () => {
    const saved = parseIpvsadmSave(fixture("build.save"));
    expect(saved.services).toEqual(built.services);
    expect(saved.destinations.every((d) => d.upperThreshold === 0 && d.lowerThreshold === 0)).toBe(true);
  });

  it("reads what ipvsadm prints for odd but accepted input (the probes' table)", () => {
    const probes = fixture("rejections.txt");
    const save = probes.slice(probes.indexOf("$ ipvsadm -S -n\n") + 16, probes.indexOf("(exit 0)\n$ ipvsadm -L -n"));
    const table = parseIpvsadmSave(save);
    const byKey = new Map(table.services.map((s) => [serviceKeyString(s.key), s]));
    expect(byKey.get("fwmark:4294967295:ipv4")).toBeDefined(); // printed as -f -1
    expect(byKey.get("tcp:10.77.0.162:80")?.schedulerFlags).toEqual(["sh-fallback", "sh-port"]); // given as flag-1,flag-2
    expect(byKey.get("tcp:10.77.0.163:80")?.schedulerFlags).toEqual([]); // flag-1 on rr is inert
    expect(byKey.get("tcp:10.77.0.168:80")?.schedulerFlags).toEqual([]); // `-b ` with nothing after it
    expect(byKey.get("tcp:10.77.0.164:80")?.persistence).toEqual({ timeoutSeconds: 60, netmask: "0.0.0.24" });
    expect(byKey.get("tcp:10.77.0.165:80")?.persistence).toBeUndefined(); // -M without -p is dropped
    expect(table.destinations.find((d) => d.address === "10.77.0.21")?.port).toBe(80); // dr port replaced
  });

  it("accepts long options, bare -p and real servers without a port, like ipvsadm -R", () => {
    const table = parseIpvsadmSave("--add-service --tcp-service 10.0.0.1:80 --scheduler rr --persistent\n-a -t 10.0.0.1:80 -r 10.0.1.5 -m -x 9 -y 3\n");
    expect(table.services[0]!.persistence).toEqual({ timeoutSeconds: 360 });
    expect(table.destinations[0]).toMatchObject({ port: 80, forwarding: "nat", weight: 1, upperThreshold: 9, lowerThreshold: 3 });
  });

  it("canonicalises IPv6 addresses", () => {
    const table = parseIpvsadmSave("-A -t [FD77:0:0::0150]:80 -s rr\n-a -t [fd77::150]:80 -r [FD77::0021]:80 -g -w 1\n");
    expect(table.destinations[0]!.address).toBe("fd77::21");
    expect(serviceKeyString(table.services[0]!.key)).toBe("tcp:[fd77::150]:80");
  });

  it.each([
    ["-X -t 10.0.0.1:80", 1, /expected -A/],
    ["-A -t 10.0.0.1:80 -s rrr", 1, /unknown scheduler "rrr"/],
    ["-A -t 10.0.0.300:80", 1, /not an address/],
    ["-A -t 10.0.0.1:80 --pe sip", 1, /persistence engines/],
    ["-A -t 10.0.0.1:80 -s rr -b mh-port", 1, /does not exist for scheduler rr/],
    ["-A -t 10.0.0.1:80 -p 60 -M 24", 1, /not dotted/],
    ["-A -t [fd00::1]:80 -p 60 -M 129", 1, /outside 1..128/],
    ["-A -t 10.0.0.1:80\n\n-a -t 10.0.0.2:80 -r 10.0.1.1:80", 3, /before its service/],
    ["-A -t 10.0.0.1:80 --bogus", 1, /unknown option --bogus/],
    ["-A -t 10.0.0.1:80 -s", 1, /-s needs a value/],
    ["-A -t 10.0.0.1:80 -f 3", 1, /exactly one of/],
    ["-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-type vxlan", 2, /unknown tunnel type/],
  ])("rejects %j at line %i", (text, lineNumber, message) => {
    let error: unknown;
    try {
      parseIpvsadmSave(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IpvsParseError);
    expect((error as IpvsParseError).lineNumber).toBe(lineNumber);
    expect((error as IpvsParseError).line).toBe(text.split("\n")[lineNumber - 1]);
    expect((error as Error).message).toMatch(message);
  });
});

describe("available schedulers", () => {
  const release = /^kernel: (.*)$/m.exec(fixture("environment.txt"))![1]!;

  it("lists the release's ipvs module folder", () => {
    expect(availableSchedulersCommand(`${release}\n`)).toEqual(["ls", "-1", `/lib/modules/${release}/kernel/net/netfilter/ipvs`]);
  });

  it("refuses a release that is not one", () => {
    expect(() => availableSchedulersCommand("6.1; rm -rf /")).toThrow(/not a kernel release/);
  });

  it("reads Debian 12's modules: every scheduler but twos, no ftp/pe_sip helpers", () => {
    expect(parseAvailableSchedulers(fixture("schedulers.ls"))).toEqual(["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"]);
  });

  it("reads compressed modules and modules.order lines", () => {
    expect(parseAvailableSchedulers("ip_vs_rr.ko.xz\nip_vs_twos.ko.zst\nkernel/net/netfilter/ipvs/ip_vs_mh.ko\nip_vs_ftp.ko\n")).toEqual(["rr", "mh", "twos"]);
  });
});
