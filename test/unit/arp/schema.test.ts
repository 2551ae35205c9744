// The RealServerArpConfig's inputs: defaults, canonical form, and one failure per problem
// under its property path, through the same check the engine calls.

import { realServerArpConfigProvider } from "../../../provider/arp";

const connection = { host: "10.77.0.21", password: "pw" };

async function check(news: Record<string, unknown>) {
  return realServerArpConfigProvider.check({}, { connection, ...news });
}

describe("RealServerArpConfig check", () => {
  it("fills in persist, canonicalises and orders the VIPs (IPv4 first), and leaves interfaces to the host", async () => {
    const result = await check({ vips: ["FD77::0210", "10.77.0.211", "10.77.0.210"], mode: "dr" });
    expect(result.failures).toBeUndefined();
    expect(result.inputs).toMatchObject({ vips: ["10.77.0.210", "10.77.0.211", "fd77::210"], mode: "dr", persist: true });
    expect(result.inputs!["interfaces"]).toBeUndefined();
  });

  it.each([
    [{ vips: [], mode: "dr" }, "vips", /at least one VIP/],
    [{ vips: ["10.77.0.210/32"], mode: "dr" }, "vips[0]", /bare IPv4 or IPv6 address/],
    [{ vips: ["fe80::1%eth1"], mode: "dr" }, "vips[0]", /no zone/],
    [{ vips: ["127.0.0.5"], mode: "dr" }, "vips[0]", /unicast/],
    [{ vips: ["10.77.0.210", "10.77.0.210"], mode: "dr" }, "vips[1]", /twice/],
    [{ vips: ["fd77::210"], mode: "tun" }, "vips[0]", /tun mode does not support/],
    [{ vips: ["10.77.0.210"] }, "mode", /is required: "dr" or "tun"/],
    [{ vips: ["10.77.0.210"], mode: "nat" }, "mode", /must be "dr" or "tun"/],
    [{ vips: ["10.77.0.210"], mode: "dr", interfaces: ["lo"] }, "interfaces[0]", /always set/],
    [{ vips: ["10.77.0.210"], mode: "dr", interfaces: ["eth1", "eth1"] }, "interfaces[1]", /twice/],
    [{ vips: ["10.77.0.210"], mode: "dr", interfaces: ["eth1; reboot"] }, "interfaces[0]", /interface name/],
    [{ vips: ["10.77.0.210"], mode: "dr", persist: "yes" }, "persist", /true or false/],
    [{ vips: ["10.77.0.210"], mode: "dr", vip: "10.77.0.210" }, "vip", /^unknown property \(did you mean "vips"\?\)/],
  ])("%j fails at %s", async (news, property, reason) => {
    const result = await check(news);
    expect(result.failures).toEqual(expect.arrayContaining([{ property, reason: expect.stringMatching(reason) }]));
  });

  it("reports every problem at once", async () => {
    const result = await check({ vips: ["nope", "fd77::1"], mode: "tun", interfaces: ["all"], extra: 1 });
    expect(result.failures!.map((f) => f.property).sort()).toEqual(["extra", "interfaces[0]", "vips[0]", "vips[1]"]);
  });
});
