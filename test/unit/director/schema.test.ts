// Director `check`: every failure at once, each under its property path with the fix.

import { directorProvider } from "../../../provider/director";
import { canonicalAddress } from "../../../provider/resource/address";

const connection = { host: "10.0.0.11", password: "pw" };

async function check(raw: Record<string, unknown>) {
  return directorProvider.check({}, raw);
}

describe("Director check", () => {
  it("fills in the defaults, so state always has one shape", async () => {
    const result = await check({ connection, mode: "nat" });
    expect(result.failures).toBeUndefined();
    expect(result.inputs).toEqual({ connection, mode: "nat", interfaces: [], ipv6Forwarding: false, installIpvsadm: false, adopt: false });
  });

  it("connectionSync: {} takes the 5 s refresh; absent stays absent", async () => {
    expect((await check({ connection, mode: "dr", connectionSync: {} })).inputs!["connectionSync"]).toEqual({ refreshSeconds: 5 });
    expect((await check({ connection, mode: "dr", connectionSync: { refreshSeconds: 12 } })).inputs!["connectionSync"]).toEqual({ refreshSeconds: 12 });
    expect((await check({ connection, mode: "dr" })).inputs).not.toHaveProperty("connectionSync");
  });

  it.each([
    ["an IPv4 VIP gets /32", { address: "10.0.0.100", interface: "eth1" }, { address: "10.0.0.100", interface: "eth1", prefixLength: 32 }],
    ["an IPv6 VIP gets /128, in canonical form", { address: "FD00:0:0::100", interface: "eth1" }, { address: "fd00::100", interface: "eth1", prefixLength: 128 }],
    ["an explicit prefix is kept", { address: "10.0.0.100", interface: "eth1", prefixLength: 24 }, { address: "10.0.0.100", interface: "eth1", prefixLength: 24 }],
  ])("vip: %s", async (_name, vip, expected) => {
    const result = await check({ connection, mode: "dr", vip });
    expect(result.failures).toBeUndefined();
    expect(result.inputs!["vip"]).toEqual(expected);
  });

  it("vips: any number, both families, each checked as vip is; absent stays absent", async () => {
    const result = await check({ connection, mode: "dr", vips: [{ address: "10.0.0.100", interface: "eth1" }, { address: "FD00::100", interface: "eth1" }, { address: "10.0.1.100", interface: "eth2", prefixLength: 24 }] });
    expect(result.failures).toBeUndefined();
    expect(result.inputs!["vips"]).toEqual([
      { address: "10.0.0.100", interface: "eth1", prefixLength: 32 },
      { address: "fd00::100", interface: "eth1", prefixLength: 128 },
      { address: "10.0.1.100", interface: "eth2", prefixLength: 24 },
    ]);
    expect("vips" in (await check({ connection, mode: "dr" })).inputs!).toBe(false);
  });

  it.each<[string, Record<string, unknown>, { property: string; reason: RegExp }[]]>([
    ["mode missing", { connection }, [{ property: "mode", reason: /^is required: "dr", "nat" or "tun"/ }]],
    ["unknown mode", { connection, mode: "masq" }, [{ property: "mode", reason: /^must be "dr", "nat" or "tun"$/ }]],
    ["bad interface name", { connection, mode: "dr", interfaces: ["eth 1", "x".repeat(16)] }, [
      { property: "interfaces[0]", reason: /must be a network interface name: 1 to 15 characters/ },
      { property: "interfaces[1]", reason: /must be a network interface name: 1 to 15 characters/ },
    ]],
    ["duplicate and group interfaces", { connection, mode: "dr", interfaces: ["eth1", "eth1", "all"] }, [
      { property: "interfaces[1]", reason: /lists eth1 twice/ },
      { property: "interfaces[2]", reason: /"all" is always set in dr mode/ },
    ]],
    ["interfaces outside dr", { connection, mode: "nat", interfaces: ["eth1"] }, [{ property: "interfaces", reason: /only applies to mode "dr"/ }]],
    ["ipv6Forwarding outside nat", { connection, mode: "tun", ipv6Forwarding: true }, [{ property: "ipv6Forwarding", reason: /only applies to mode "nat"/ }]],
    ["connectionSync refresh of 0 s", { connection, mode: "dr", connectionSync: { refreshSeconds: 0 } }, [{ property: "connectionSync.refreshSeconds", reason: /must be at least 1 second/ }]],
    ["connectionSync refresh in fractions", { connection, mode: "dr", connectionSync: { refreshSeconds: 2.5 } }, [{ property: "connectionSync.refreshSeconds", reason: /whole number of seconds, 1..3600/ }]],
    ["connectionSync as true", { connection, mode: "dr", connectionSync: true }, [{ property: "connectionSync", reason: /an object: \{ refreshSeconds: 5 \}/ }]],
    ["IPv6 NAT VIP without ipv6Forwarding", { connection, mode: "nat", vip: { address: "fd00::1", interface: "eth1" } }, [
      { property: "ipv6Forwarding", reason: /must be true for an IPv6 VIP in nat mode/ },
    ]],
    ["bad VIP address", { connection, mode: "dr", vip: { address: "10.0.0.300", interface: "eth1" } }, [{ property: "vip.address", reason: /must be an IPv4 or IPv6 address/ }]],
    ["VIP with a prefix in the address", { connection, mode: "dr", vip: { address: "10.0.0.1/24", interface: "eth1" } }, [{ property: "vip.address", reason: /use vip.prefixLength/ }]],
    ["VIP with a zone", { connection, mode: "dr", vip: { address: "fe80::1%eth1", interface: "eth1" } }, [{ property: "vip.address", reason: /must not carry a zone/ }]],
    ["loopback VIP", { connection, mode: "dr", vip: { address: "127.0.0.5", interface: "lo" } }, [{ property: "vip.address", reason: /must be a unicast address/ }]],
    ["prefix too long", { connection, mode: "dr", vip: { address: "10.0.0.1", interface: "eth1", prefixLength: 33 } }, [{ property: "vip.prefixLength", reason: /must be 1..32 for an IPv4 VIP/ }]],
    ["VIP without interface", { connection, mode: "dr", vip: { address: "10.0.0.1" } }, [{ property: "vip.interface", reason: /^is required: a network interface name such as eth1/ }]],
    ["unknown settings", { connection, mode: "dr", vipps: [], vip: { address: "10.0.0.1", interface: "eth1", dev: "x" } }, [
      { property: "vip.dev", reason: /^unknown property; remove it \(known: address, interface, prefixLength\)$/ },
      { property: "vipps", reason: /^unknown property \(did you mean "vips?"\?\); rename or remove it$/ },
    ]],
    ["a VIP bound twice (vip and vips, or twice in vips)", { connection, mode: "dr", vip: { address: "10.0.0.1", interface: "eth1" }, vips: [{ address: "10.0.0.2", interface: "eth1" }, { address: "10.0.0.1", interface: "eth2" }, { address: "10.0.0.2", interface: "eth1" }] }, [
      { property: "vips[1].address", reason: /^is 10\.0\.0\.1 again \(already vip\); bind each VIP once$/ },
      { property: "vips[2].address", reason: /^is 10\.0\.0\.2 again \(already vips\.0\); bind each VIP once$/ },
    ]],
    ["an IPv6 VIP among vips in nat mode without ipv6Forwarding", { connection, mode: "nat", vip: { address: "10.0.0.1", interface: "eth1" }, vips: [{ address: "fd00::1", interface: "eth1" }] }, [
      { property: "ipv6Forwarding", reason: /must be true for an IPv6 VIP in nat mode/ },
    ]],
    ["a bad address among vips", { connection, mode: "dr", vips: [{ address: "10.0.0.1", interface: "eth1" }, { address: "nope", interface: "eth1" }] }, [{ property: "vips[1].address", reason: /must be an IPv4 or IPv6 address/ }]],
    ["wrong types", { connection, mode: "nat", installIpvsadm: "yes", adopt: 1 }, [
      { property: "installIpvsadm", reason: /^must be true or false$/ },
      { property: "adopt", reason: /^must be true or false$/ },
    ]],
  ])("rejects %s", async (_name, raw, expected) => {
    const result = await check(raw);
    expect(result.inputs).toBeUndefined();
    expect(result.failures).toEqual(expected.map((e) => ({ property: e.property, reason: expect.stringMatching(e.reason) })));
  });

  it("reports connection problems together with the Director's own", async () => {
    const result = await check({ connection: { host: "h", port: 70000 }, mode: "sideways" });
    const properties = (result.failures ?? []).map((f) => f.property).sort();
    expect(properties).toEqual(["connection", "connection.port", "mode"]);
  });

  it("ignores the resource's own outputs if the engine hands them back", async () => {
    const result = await check({ connection, mode: "tun", appliedSysctls: undefined, vipBound: false, persisted: undefined });
    expect(result.failures).toBeUndefined();
  });

  it.each([
    ["10.0.0.1", "10.0.0.1"],
    ["FD00::0001", "fd00::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
  ])("canonicalAddress(%s) = %s (as `ip addr` prints it)", (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
  });
});

it("says what a vip looks like when it is not an object", async () => {
  const result = await directorProvider.check({}, { connection, mode: "dr", vip: "10.0.0.1" });
  expect(result.failures).toEqual([{ property: "vip", reason: 'must be an object: { address: "10.0.0.100", interface: "eth1" }' }]);
});
