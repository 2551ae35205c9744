// Parsing the real server probe, on output captured from the lab (Debian 12, procps-ng,
// iproute2 6.1): rs1 before any RealServerArpConfig, and rs2 holding a tun resource (the
// probed one: key a947be979705) and a dr resource (551c0946d9c4) at once.

import { readFileSync } from "fs";
import { join } from "path";
import {
  ArpParseError,
  arpPersistedFlags,
  desiredArp,
  parseArpProbeOutput,
  parseDefaultRouteDevices,
  parseIpLinkOutput,
  parseRecord,
  planArp,
  vipConflicts,
} from "../../../provider/arp";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");

describe("parseArpProbeOutput", () => {
  it("reads a host with nothing of ours (missing sysctl keys are absent, not empty)", () => {
    const live = parseArpProbeOutput(fixture("probe-rs1-before-create.txt"));
    expect(live).toMatchObject({ ipipLoaded: false, ipv6Disabled: false, files: {}, unitEnabled: false, records: {}, originals: {} });
    // rs1's only default route is the IPv6 one learnt by RA on the management interface.
    expect(live.defaultRouteInterfaces).toEqual(["eth0"]);
    expect(live.sysctls["net.ipv4.conf.eth1.arp_ignore"]).toBe("0");
    expect(live.sysctls["net.ipv4.conf.nosuch0.arp_ignore"]).toBeUndefined();
    expect(Object.keys(live.sysctls)).toHaveLength(9);
    expect(live.interfaces).toEqual(["eth0", "eth1", "eth2", "lo"]);
    expect(live.upInterfaces).toEqual(["eth0", "eth1", "eth2", "lo"]);
    expect(live.addresses).toContainEqual({ interface: "eth1", address: "10.77.0.21", prefixLength: 24 });
    expect(live.addresses).toContainEqual({ interface: "eth1", address: "fd77::21", prefixLength: 64 });
  });

  it("reads our files, every record on the host, the originals, tunl0 and its VIP", () => {
    const live = parseArpProbeOutput(fixture("probe-rs2-tun-and-dr.txt"));
    expect(live.ipipLoaded).toBe(true);
    expect(live.upInterfaces).toContain("tunl0");
    expect(live.addresses).toContainEqual({ interface: "tunl0", address: "10.77.0.226", prefixLength: 32 });
    expect(live.addresses).toContainEqual({ interface: "lo", address: "fd77::227", prefixLength: 128 });
    expect(Object.keys(live.records).sort()).toEqual(["551c0946d9c4", "a947be979705"]);
    expect(parseRecord(live.records["a947be979705"]!).vips).toEqual([{ address: "10.77.0.226", prefixLength: 32, device: "tunl0" }]);
    expect(parseRecord(live.records["551c0946d9c4"]!).vips.map((v) => v.address)).toEqual(["10.77.0.227", "fd77::227"]);
    expect(live.files.record).toBe(live.records["a947be979705"]);
    expect(live.files.modulesLoad).toMatch(/^ipip$/m);
    expect(live.unitEnabled).toBe(true);
    expect(live.originals["net.ipv4.conf.tunl0.rp_filter"]).toMatch(/^[0-2]$/);
    expect(Object.keys(live.originals)).toHaveLength(10);
  });

  it("the captured tun resource is converged: planning it again yields nothing, every boot file in place", () => {
    const live = parseArpProbeOutput(fixture("probe-rs2-tun-and-dr.txt"));
    const desired = desiredArp({ mode: "tun", vips: ["10.77.0.226"], persist: true }, "a947be979705", ["eth1"]);
    expect(planArp(live, desired)).toEqual([]);
    expect(arpPersistedFlags(live, desired)).toEqual({ sysctlFile: true, bootUnit: true, modulesLoad: true });
    // A VIP another record binds is not a conflict (a third resource may share it).
    expect(vipConflicts(live, desired.vips)).toEqual([]);
  });

  it("says whether the registry's directory exists (the line the probe prints for it)", () => {
    const text = fixture("probe-rs1-before-create.txt");
    expect(parseArpProbeOutput(text).registryPresent).toBeUndefined();
    expect(parseArpProbeOutput(text.replace("@@end", "@@registry present\n@@end")).registryPresent).toBe(true);
  });

  it("refuses output that ended early", () => {
    expect(() => parseArpProbeOutput("@@ipip absent\n@@sysctls\n")).toThrow(ArpParseError);
  });
});

describe("small parsers", () => {
  it.each([
    ["default via 10.0.2.2 dev eth0 proto dhcp\ndefault via fe80::2 dev eth0 proto ra metric 1024", ["eth0"]],
    ["default via 10.77.0.1 dev eth1 onlink\ndefault via fe80::2 dev eth0 proto ra", ["eth1", "eth0"]],
    ["", []],
  ])("default routes %j → %j", (text, devices) => {
    expect(parseDefaultRouteDevices(text)).toEqual(devices);
  });

  it("ip -o link: names (without @peer) and the UP flag", () => {
    const text = fixture("probe-rs2-tun-and-dr.txt").split("@@links\n")[1]!.split("@@addresses")[0]!;
    expect(parseIpLinkOutput(text)).toEqual({ interfaces: ["eth0", "eth1", "eth2", "lo", "tunl0"], up: ["eth0", "eth1", "eth2", "lo", "tunl0"] });
    expect(parseIpLinkOutput("6: ip6tnl0@NONE: <NOARP> mtu 1452 qdisc noop state DOWN")).toEqual({ interfaces: ["ip6tnl0"], up: [] });
  });
});
