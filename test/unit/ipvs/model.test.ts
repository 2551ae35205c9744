// Identity (key strings) and equality (config) of the IPVS model, and its normal form.

import {
  canonicalAddress,
  destinationKeyString,
  normalizeDestination,
  normalizeService,
  sameDestinationConfig,
  sameServiceConfig,
  serviceKeyString,
  type IpvsDestination,
  type IpvsService,
  type ServiceKey,
} from "../../../provider/ipvs/model";

describe("canonicalAddress", () => {
  it.each<[string, string | undefined]>([
    ["10.0.0.1", "10.0.0.1"],
    ["FD77:0:0::0150", "fd77::150"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::", "::"],
    ["10.0.0.300", undefined],
    ["010.0.0.1", undefined],
    ["fe80::1%eth0", undefined],
    ["example.com", undefined],
    ["", undefined],
  ])("%j → %j", (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
  });
});

const web: ServiceKey = { kind: "address", protocol: "tcp", address: "10.0.0.1", port: 80 };

describe("key strings", () => {
  it.each<[ServiceKey, string]>([
    [web, "tcp:10.0.0.1:80"],
    [{ kind: "address", protocol: "udp", address: "fd00::1", port: 53 }, "udp:[fd00::1]:53"],
    [{ kind: "address", protocol: "sctp", address: "10.0.0.1", port: 0 }, "sctp:10.0.0.1:0"],
    [{ kind: "fwmark", fwmark: 42, family: "ipv4" }, "fwmark:42:ipv4"],
    [{ kind: "fwmark", fwmark: 42, family: "ipv6" }, "fwmark:42:ipv6"],
  ])("%j → %s", (key, text) => {
    expect(serviceKeyString(key)).toBe(text);
  });

  it("the same key whatever the spelling of the address", () => {
    expect(serviceKeyString({ kind: "address", protocol: "tcp", address: "FD00:0::1", port: 80 })).toBe("tcp:[fd00::1]:80");
    expect(destinationKeyString({ service: web, address: "FD00::0005", port: 80 })).toBe("tcp:10.0.0.1:80->[fd00::5]:80");
  });

  it("destination = service key -> address:port", () => {
    expect(destinationKeyString({ service: web, address: "fd00::5", port: 80 })).toBe("tcp:10.0.0.1:80->[fd00::5]:80");
  });
});

const service = (extra: Partial<IpvsService> = {}): IpvsService => ({ key: web, scheduler: "rr", schedulerFlags: [], onePacket: false, ...extra });
const destination = (extra: Partial<IpvsDestination> = {}): IpvsDestination => ({
  service: web,
  address: "10.0.1.1",
  port: 80,
  forwarding: "dr",
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});

describe("normal form (what ipvsadm reads back)", () => {
  it("sorts and de-duplicates flags, drops the full netmask", () => {
    expect(normalizeService(service({ scheduler: "sh", schedulerFlags: ["sh-port", "sh-fallback", "sh-port"], persistence: { timeoutSeconds: 5, netmask: "255.255.255.255" } }))).toEqual(
      service({ scheduler: "sh", schedulerFlags: ["sh-fallback", "sh-port"], persistence: { timeoutSeconds: 5 } }),
    );
    const v6: ServiceKey = { kind: "fwmark", fwmark: 1, family: "ipv6" };
    expect(normalizeService(service({ key: v6, persistence: { timeoutSeconds: 5, netmask: "128" } })).persistence).toEqual({ timeoutSeconds: 5 });
  });

  it.each<[string, Partial<IpvsDestination>, IpvsDestination["tunnel"]]>([
    ["tun without a tunnel is ipip", { forwarding: "tun" }, { type: "ipip" }],
    ["gue without a checksum is nocsum", { forwarding: "tun", tunnel: { type: "gue", port: 1 } }, { type: "gue", port: 1, checksum: "nocsum" }],
    ["gre without a checksum is nocsum", { forwarding: "tun", tunnel: { type: "gre" } }, { type: "gre", checksum: "nocsum" }],
    ["a tunnel on dr is dropped", { forwarding: "dr", tunnel: { type: "gre" } }, undefined],
  ])("%s", (_, extra, tunnel) => {
    expect(normalizeDestination(destination(extra)).tunnel).toEqual(tunnel);
  });

  it("canonicalises addresses", () => {
    expect(normalizeDestination(destination({ address: "FD00:0::1" })).address).toBe("fd00::1");
  });
});

describe("equality ignores identity and compares the config", () => {
  it("services", () => {
    expect(sameServiceConfig(service(), service({ key: { kind: "fwmark", fwmark: 1, family: "ipv4" } }))).toBe(true);
    expect(sameServiceConfig(service(), service({ onePacket: true }))).toBe(false);
    expect(sameServiceConfig(service({ persistence: { timeoutSeconds: 9, netmask: "255.255.255.255" } }), service({ persistence: { timeoutSeconds: 9 } }))).toBe(true);
  });
  it("destinations", () => {
    expect(sameDestinationConfig(destination(), destination({ address: "10.9.9.9", port: 1 }))).toBe(true);
    expect(sameDestinationConfig(destination(), destination({ weight: 0 }))).toBe(false);
    expect(sameDestinationConfig(destination({ forwarding: "tun" }), destination({ forwarding: "tun", tunnel: { type: "ipip" } }))).toBe(true);
  });
});
