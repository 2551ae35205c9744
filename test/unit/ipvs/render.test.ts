// Operations → ipvsadm argv. The first block ties the renderer to the real tool: the
// commands capture.sh ran on the lab's kernel are still exactly what renderOp produces
// (and parse.test.ts checks that what the kernel then printed parses back to the model).

import { readFileSync } from "fs";
import { join } from "path";
import type { IpvsDestination, IpvsService, ServiceKey } from "../../../provider/ipvs/model";
import type { IpvsOp } from "../../../provider/ipvs/plan";
import { renderOp, renderServiceSelector } from "../../../provider/ipvs/render";
import { BUILD_COMMANDS, EDIT_COMMANDS } from "../../fixtures/ipvsadm/scenario";

const fixture = (name: string) => readFileSync(join(__dirname, "../../fixtures/ipvsadm", name), "utf8");
const commandsIn = (name: string) => fixture(name).trim().split("\n").map((line) => line.split(" "));

describe("the commands run on the real kernel", () => {
  it("build.commands is what renderOp gives for the BUILT table", () => {
    expect(BUILD_COMMANDS()).toEqual(commandsIn("build.commands"));
  });
  it("edit.commands is what renderOp gives for BUILT → EDITED, one of each op kind", () => {
    expect(EDIT_COMMANDS()).toEqual(commandsIn("edit.commands"));
    expect(new Set(EDIT_COMMANDS().map((argv) => argv[1]))).toEqual(new Set(["-A", "-E", "-D", "-a", "-e", "-d"]));
  });
});

const web: ServiceKey = { kind: "address", protocol: "tcp", address: "10.0.0.1", port: 80 };
const web6: ServiceKey = { kind: "address", protocol: "tcp", address: "fd00::1", port: 80 };
const dns: ServiceKey = { kind: "address", protocol: "udp", address: "10.0.0.2", port: 53 };
const sctp: ServiceKey = { kind: "address", protocol: "sctp", address: "10.0.0.3", port: 9 };
const mark4: ServiceKey = { kind: "fwmark", fwmark: 42, family: "ipv4" };
const mark6: ServiceKey = { kind: "fwmark", fwmark: 42, family: "ipv6" };

const svc = (key: ServiceKey, extra: Partial<IpvsService> = {}): IpvsService => ({ key, scheduler: "rr", schedulerFlags: [], onePacket: false, ...extra });
const dest = (service: ServiceKey, address: string, port: number, extra: Partial<IpvsDestination> = {}): IpvsDestination => ({
  service,
  address,
  port,
  forwarding: "dr",
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});

describe("renderServiceSelector", () => {
  it.each<[ServiceKey, string[]]>([
    [web, ["-t", "10.0.0.1:80"]],
    [web6, ["-t", "[fd00::1]:80"]],
    [dns, ["-u", "10.0.0.2:53"]],
    [sctp, ["--sctp-service", "10.0.0.3:9"]],
    [mark4, ["-f", "42"]],
    [mark6, ["-f", "42", "-6"]],
  ])("%j → %j", (key, argv) => {
    expect(renderServiceSelector(key)).toEqual(argv);
  });
});

describe("renderOp", () => {
  it.each<[string, IpvsOp, string[]]>([
    ["add-service, defaults", { kind: "add-service", service: svc(web) }, ["ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"]],
    [
      "add-service, everything",
      { kind: "add-service", service: svc(dns, { scheduler: "sh", schedulerFlags: ["sh-port", "sh-fallback"], persistence: { timeoutSeconds: 300, netmask: "255.255.255.0" }, onePacket: true }) },
      ["ipvsadm", "-A", "-u", "10.0.0.2:53", "-s", "sh", "-b", "sh-fallback,sh-port", "-p", "300", "-M", "255.255.255.0", "-o"],
    ],
    ["add-service, full netmask left out (the kernel default)", { kind: "add-service", service: svc(web, { persistence: { timeoutSeconds: 60, netmask: "255.255.255.255" } }) }, ["ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr", "-p", "60"]],
    ["add-service, IPv6 fwmark with a prefix netmask", { kind: "add-service", service: svc(mark6, { scheduler: "mh", schedulerFlags: ["mh-port"], persistence: { timeoutSeconds: 30, netmask: "64" } }) }, ["ipvsadm", "-A", "-f", "42", "-6", "-s", "mh", "-b", "mh-port", "-p", "30", "-M", "64"]],
    ["edit-service carries the whole config (-E resets what it is not given)", { kind: "edit-service", service: svc(web6, { scheduler: "wlc" }) }, ["ipvsadm", "-E", "-t", "[fd00::1]:80", "-s", "wlc"]],
    ["delete-service", { kind: "delete-service", service: svc(mark4) }, ["ipvsadm", "-D", "-f", "42"]],
    ["add-destination dr", { kind: "add-destination", destination: dest(web, "10.0.1.1", 80) }, ["ipvsadm", "-a", "-t", "10.0.0.1:80", "-r", "10.0.1.1:80", "-g", "-w", "1", "-x", "0", "-y", "0"]],
    [
      "add-destination nat, weight 0, thresholds, IPv6",
      { kind: "add-destination", destination: dest(web6, "fd00:1::5", 8080, { forwarding: "nat", weight: 0, upperThreshold: 100, lowerThreshold: 10 }) },
      ["ipvsadm", "-a", "-t", "[fd00::1]:80", "-r", "[fd00:1::5]:8080", "-m", "-w", "0", "-x", "100", "-y", "10"],
    ],
    ["add-destination tun, ipip by default", { kind: "add-destination", destination: dest(dns, "10.0.1.2", 53, { forwarding: "tun" }) }, ["ipvsadm", "-a", "-u", "10.0.0.2:53", "-r", "10.0.1.2:53", "-i", "-w", "1", "-x", "0", "-y", "0", "--tun-type", "ipip"]],
    [
      "add-destination tun gue",
      { kind: "add-destination", destination: dest(dns, "10.0.1.2", 53, { forwarding: "tun", tunnel: { type: "gue", port: 6080, checksum: "remcsum" } }) },
      ["ipvsadm", "-a", "-u", "10.0.0.2:53", "-r", "10.0.1.2:53", "-i", "-w", "1", "-x", "0", "-y", "0", "--tun-type", "gue", "--tun-port", "6080", "--tun-remcsum"],
    ],
    [
      "edit-destination tun gre, nocsum made explicit",
      { kind: "edit-destination", destination: dest(dns, "10.0.1.2", 53, { forwarding: "tun", weight: 4, tunnel: { type: "gre" } }) },
      ["ipvsadm", "-e", "-u", "10.0.0.2:53", "-r", "10.0.1.2:53", "-i", "-w", "4", "-x", "0", "-y", "0", "--tun-type", "gre", "--tun-nocsum"],
    ],
    ["add-destination to an IPv6 fwmark (port 0)", { kind: "add-destination", destination: dest(mark6, "fd00:1::7", 0) }, ["ipvsadm", "-a", "-f", "42", "-6", "-r", "[fd00:1::7]:0", "-g", "-w", "1", "-x", "0", "-y", "0"]],
    ["delete-destination", { kind: "delete-destination", destination: dest(sctp, "10.0.1.3", 9, { forwarding: "nat" }) }, ["ipvsadm", "-d", "--sctp-service", "10.0.0.3:9", "-r", "10.0.1.3:9"]],
    ["delete-destination of an IPv6 fwmark keeps -6", { kind: "delete-destination", destination: dest(mark6, "fd00:1::7", 0) }, ["ipvsadm", "-d", "-f", "42", "-6", "-r", "[fd00:1::7]:0"]],
  ])("%s", (_, op, argv) => {
    expect(renderOp(op)).toEqual(argv);
  });

  it("never produces an argument with whitespace (argv, not a shell string)", () => {
    const op: IpvsOp = { kind: "add-destination", destination: dest(web6, "FD00:1:0::5", 80, { forwarding: "tun", tunnel: { type: "gue", port: 1 } }) };
    expect(renderOp(op).every((a) => a.length > 0 && !/\s/.test(a))).toBe(true);
    expect(renderOp(op)).toContain("[fd00:1::5]:80");
  });
});
