// The -L listings, captured from the lab's real kernel: every column layout, counters,
// and the merge with -S (including when the table changed between the two reads).

import { readFileSync } from "fs";
import { join } from "path";
import { CONNECTION_COUNTS_COMMAND, parseConnectionCounts, parseIpvsadmList } from "../../../provider/ipvs/listing";
import { destinationKeyString, serviceKeyString, type IpvsTable } from "../../../provider/ipvs/model";
import { IpvsListingMismatchError, mergeListings, parseIpvsadmSave } from "../../../provider/ipvs/parse";
import { IpvsParseError } from "../../../provider/ipvs/syntax";

const fixture = (name: string) => readFileSync(join(__dirname, "../../fixtures/ipvsadm", name), "utf8");
const saved = parseIpvsadmSave(fixture("build.save"));

describe("parseIpvsadmList", () => {
  it.each(["build.list", "build.list-thresholds", "build.list-tun-info", "build.list-persistent-conn"])(
    "%s: the same services as -S (scheduler, flags, persistence, ops) and the same real servers",
    (name) => {
      const listing = parseIpvsadmList(fixture(name));
      expect(new Set(listing.services.map((s) => JSON.stringify(s)))).toEqual(new Set(saved.services.map((s) => JSON.stringify(s))));
      expect(listing.destinations.map((r) => destinationKeyString({ service: r.service, address: r.address!, port: r.port! })).sort()).toEqual(
        saved.destinations.map(destinationKeyString).sort(),
      );
    },
  );

  it("plain layout: forwarding and weight", () => {
    const rows = parseIpvsadmList(fixture("build.list")).destinations;
    expect(rows.find((r) => r.address === "10.77.0.22" && r.port === 80)).toMatchObject({ forwarding: "dr", weight: 0, active: 0, inactive: 0 });
    expect(rows.find((r) => r.address === "fd77:1::22")).toMatchObject({ forwarding: "nat", weight: 2 });
  });

  it("--thresholds layout: thresholds, no forwarding or weight", () => {
    const row = parseIpvsadmList(fixture("build.list-thresholds")).destinations.find((r) => r.address === "10.77.1.23")!;
    expect(row).toMatchObject({ upperThreshold: 2_147_483_647, lowerThreshold: 5 });
    expect(row.weight).toBeUndefined();
    expect(row.forwarding).toBeUndefined();
  });

  it("--tun-info layout: tunnel type, port and checksum", () => {
    const rows = parseIpvsadmList(fixture("build.list-tun-info")).destinations;
    const tunnels = Object.fromEntries(rows.filter((r) => r.tunnel).map((r) => [`${serviceKeyString(r.service)}->${r.name}`, r.tunnel]));
    expect(tunnels).toEqual({
      "udp:10.77.0.152:53->[fd77::21]:53": { type: "ipip" },
      "udp:10.77.0.152:53->10.77.0.21:53": { type: "ipip" },
      "udp:10.77.0.152:53->10.77.0.22:53": { type: "gue", port: 6080, checksum: "csum" },
      "udp:10.77.0.152:53->10.77.0.23:53": { type: "gre", checksum: "csum" },
      "udp:10.77.0.153:53->10.77.0.21:53": { type: "gue", port: 6081, checksum: "remcsum" },
      "udp:10.77.0.153:53->10.77.0.22:53": { type: "gue", port: 6082, checksum: "nocsum" },
      "udp:10.77.0.153:53->10.77.0.23:53": { type: "gre", checksum: "nocsum" },
      "tcp:[fd77::150]:80->[fd77::23]:80": { type: "gue", port: 6080, checksum: "nocsum" },
      "fwmark:2:ipv6->10.77.0.22:0": { type: "ipip" },
    });
  });

  it("--persistent-conn layout: weight and persistent connections", () => {
    const row = parseIpvsadmList(fixture("build.list-persistent-conn")).destinations.find((r) => r.address === "10.77.1.22" && r.port === 8081)!;
    expect(row).toMatchObject({ weight: 65535, persistentConnections: 0 });
  });

  it("a listing of one service (no version banner)", () => {
    const listing = parseIpvsadmList(fixture("build.list-one-service"));
    expect(listing.services.map((s) => serviceKeyString(s.key))).toEqual(["udp:10.77.0.152:53"]);
    expect(listing.destinations).toHaveLength(4);
  });

  it("reads the odd services of the probes (FWM -1, (flag-1), (), mask 0.0.0.24)", () => {
    const probes = fixture("rejections.txt");
    const list = probes.slice(probes.indexOf("$ ipvsadm -L -n\n") + 16, probes.lastIndexOf("(exit 0)"));
    const keys = parseIpvsadmList(list).services.map((s) => serviceKeyString(s.key));
    expect(keys).toContain("fwmark:4294967295:ipv4");
    expect(keys).toContain("fwmark:161:ipv6");
  });

  it("rejects layouts it does not know (--stats) with the line number", () => {
    const stats = "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\nTCP  10.0.0.1:80  0 0 0 0 0\n";
    expect(() => parseIpvsadmList(stats)).toThrow(IpvsParseError);
  });
});

describe("parseConnectionCounts", () => {
  it.each(["counts.list", "counts.list-thresholds"])("reads non-zero counters from %s", (name) => {
    expect(parseConnectionCounts(fixture(name))).toEqual(new Map([["tcp:10.77.0.199:22->10.77.0.12:22", { active: 1, inactive: 1 }]]));
  });

  it("polls the plainest listing", () => {
    expect(CONNECTION_COUNTS_COMMAND).toEqual(["ipvsadm", "-L", "-n", "--exact"]);
  });

  // ipvsadm cuts names to 28 characters unless the service is IPv6; only an IPv6 real
  // server of an IPv4 tun service can be that long (our lab addresses are all shorter).
  const cutListing = (name: string) =>
    [
      "Prot LocalAddress:Port Scheduler Flags",
      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
      "TCP  10.0.0.1:80 rr",
      `  -> ${name.slice(0, 28)} Tunnel  1      3          4`,
    ].join("\n");
  const longV6 = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff";
  const table: IpvsTable = {
    services: [{ key: { kind: "address", protocol: "tcp", address: "10.0.0.1", port: 80 }, scheduler: "rr", schedulerFlags: [], onePacket: false }],
    destinations: [
      { service: { kind: "address", protocol: "tcp", address: "10.0.0.1", port: 80 }, address: longV6, port: 80, forwarding: "tun", weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: "ipip" } },
    ],
  };

  it("resolves a cut name with the table", () => {
    expect(parseConnectionCounts(cutListing(`[${longV6}]:80`), table)).toEqual(new Map([[`tcp:10.0.0.1:80->[${longV6}]:80`, { active: 3, inactive: 4 }]]));
  });

  it("says so when a cut name cannot be resolved", () => {
    expect(() => parseConnectionCounts(cutListing(`[${longV6}]:80`))).toThrow(/cut this real server's name short/);
  });
});

describe("mergeListings", () => {
  const thresholds = parseIpvsadmList(fixture("build.list-thresholds"));

  it("takes thresholds from the listing and checks weight/forwarding against the plain listing", () => {
    const merged = mergeListings(saved, thresholds, parseIpvsadmList(fixture("build.list")));
    expect(merged.destinations.find((d) => d.address === "10.77.0.23" && d.port === 80)).toMatchObject({ upperThreshold: 100, lowerThreshold: 10 });
  });

  it("reports a table that changed between the reads: a real server only in one output", () => {
    const edited = parseIpvsadmList(fixture("edit.list-thresholds"));
    expect(() => mergeListings(saved, edited)).toThrow(IpvsListingMismatchError);
  });

  it("reports a table that changed between the reads: a weight edited in between", () => {
    const plain = fixture("build.list").replace("10.77.0.22:80                Route   0", "10.77.0.22:80                Route   9");
    expect(() => mergeListings(saved, parseIpvsadmList(plain))).toThrow(/tcp:10.77.0.150:80->10.77.0.22:80: weight or forwarding differ/);
  });

  it("reports a service only in one output", () => {
    const fewer = { ...saved, services: saved.services.slice(1) };
    expect(() => mergeListings(fewer, thresholds)).toThrow(/service in only one output/);
  });

  it("matches rows whose names ipvsadm cut short", () => {
    const key = { kind: "address" as const, protocol: "tcp" as const, address: "10.0.0.1", port: 80 };
    const longV6 = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff";
    const table: IpvsTable = {
      services: [{ key, scheduler: "rr", schedulerFlags: [], onePacket: false }],
      destinations: [{ service: key, address: longV6, port: 80, forwarding: "tun", weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: "ipip" } }],
    };
    const listing = parseIpvsadmList(
      ["Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn", "  -> RemoteAddress:Port", "TCP  10.0.0.1:80 rr", `  -> ${`[${longV6}]:80`.slice(0, 28)} 7 2 0 0`].join("\n"),
    );
    expect(mergeListings(table, listing).destinations[0]).toMatchObject({ upperThreshold: 7, lowerThreshold: 2 });
  });
});

