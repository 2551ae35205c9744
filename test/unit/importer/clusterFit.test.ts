// When the importer writes one LvsCluster instead of the plain resources: only when the
// children LvsCluster plans from the written args are exactly the plain resources' args,
// and the import has nothing to warn about. Each near miss varies one thing from a cluster
// that fits, and gets the plain resources as before.

import type { LvsClusterArgs } from "../../../components/lvsCluster/args";
import { planLvsCluster } from "../../../components/lvsCluster/plan";
import { fitLvsCluster, plainChildren, plannedChildren } from "../../../importer/clusterFit";
import { importProgram, type ImportedProgram, type ReadHost } from "../../../importer/program";
import { renderProject } from "../../../importer/render";
import { arpConfigArgs, clusterArgs, connectionOf, directorArgs, realServerArgs, serviceArgs } from "../../../importer/resourceArgs";
import {
  DR_DIRECTOR_SYSCTLS,
  DR_TABLE,
  PAIR_VIP,
  VIP,
  arpOn,
  drDirector,
  drRealServer,
  drRealServers,
  natDirector,
  natPairRealServers,
  natRoutedRealServer,
  pair,
  realServerHostsOf,
} from "./clusterHosts";

const indexOf = (program: ImportedProgram) => renderProject(program, { projectName: "adopted", stack: "prod", packageVersion: "^0.1.0", commandLine: "npx pulumi-lvs import" })["index.ts"]!;
const resourcesIn = (index: string) => index.match(/new lvs\.\w+\(/g) ?? [];

/** The children LvsCluster plans from the args the program is written with, and the plain resources', as the fit compares them. */
function bothSides(program: ImportedProgram) {
  const args = clusterArgs(program.cluster!) as unknown as LvsClusterArgs;
  return { planned: plannedChildren(planLvsCluster(program.cluster!.name, args), args), plain: plainChildren(program) };
}

describe("a plain DR director built by hand that LvsCluster fits exactly", () => {
  const realServers = drRealServers();
  const program = importProgram([drDirector()], realServers);

  it("the model says LvsCluster: the director's VIP interface, the services, the real servers named after their hosts", () => {
    expect(program.warnings).toEqual([]);
    expect(program.cluster).toEqual({
      name: "dir2",
      mode: "dr",
      director: { host: "dir2", vipInterface: "eth1" },
      vip: VIP,
      services: [{ protocol: "tcp", port: 80, scheduler: "rr" }],
      realServers: [
        { name: "rs1", host: "rs1", address: "10.77.0.21", weight: 1, interfaces: [] },
        { name: "rs2", host: "rs2", address: "10.77.0.22", weight: 1, interfaces: [] },
      ],
    });
    // What was read stays in the model: the cluster is how it is written.
    expect(program.directors).toHaveLength(1);
    expect(program.hosts.map((h) => h.name)).toEqual(["dir2", "rs1", "rs2"]);
  });

  it("index.ts declares the LvsCluster with adopt: true, and no plain resource", () => {
    const index = indexOf(program);
    expect(resourcesIn(index)).toEqual(["new lvs.LvsCluster("]);
    expect(index).toContain('new lvs.LvsCluster("dir2", {\n  mode: "dr",\n  director: {\n    connection: connection("dir2"),\n    vipInterface: "eth1",\n  },\n  vip: "10.77.0.180",');
    expect(index).toContain('    {\n      name: "rs1",\n      connection: connection("rs1"),\n      address: "10.77.0.21",\n      weight: 1,\n      interfaces: [],\n    },');
    expect(index.match(/^\s*adopt: true,$/gm)).toHaveLength(1);
    expect(index).toMatch(/^  adopt: true,\n\}\);$/m);
  });

  it("the children LvsCluster plans from the written args are the plain resources, one to one", () => {
    const { planned, plain } = bothSides(program);
    expect(planned).toEqual(plain);
    expect(plain.map((c) => c.split(" ")[0])).toEqual(["Director", "RealServer", "RealServer", "RealServerArpConfig", "RealServerArpConfig", "VirtualService"]);

    // The same, as written, with only the Director's `vip` (LvsCluster) against `vips` (the importer) told apart.
    const args = clusterArgs(program.cluster!) as unknown as LvsClusterArgs;
    const plan = planLvsCluster(program.cluster!.name, args);
    expect(plan.directors.map(({ args: { vip, ...rest } }) => ({ ...rest, vips: [{ ...(vip as object), prefixLength: 32 }] }))).toEqual(program.directors.map(directorArgs));
    expect(plan.services.map((s) => ({ ...s.args, connection: connectionOf("dir2") }))).toEqual(program.services.map(serviceArgs));
    expect(plan.realServers.map((r) => r.args)).toEqual(program.realServers.map((r) => ({ ...realServerArgs(r), virtualService: undefined })));
    expect(plan.arpConfigs.map((a) => a.args)).toEqual(program.arpConfigs.map(arpConfigArgs));
    expect(plan.returnRoutes).toEqual([]);
  });
});

describe("what else fits: LvsCluster says it, and plans exactly the plain resources", () => {
  const twoServices = `${DR_TABLE}-A -t ${VIP}:443 -s rr\n-a -t ${VIP}:443 -r 10.77.0.21:443 -g -w 1\n-a -t ${VIP}:443 -r 10.77.0.22:443 -g -w 3\n`;
  it.each<[string, ReadHost[], ReadHost[], (cluster: NonNullable<ImportedProgram["cluster"]>) => void]>([
    [
      "a weight that differs between services: the first service's weight, an override for the other",
      [drDirector({ table: twoServices })],
      drRealServers(),
      (c) => {
        // ipvsadm's order: 443 before 80.
        expect(c.services.map((s) => s.port)).toEqual([443, 80]);
        expect(c.realServers.map((r) => [r.name, r.weight, r.overrides])).toEqual([
          ["rs1", 1, undefined],
          ["rs2", 3, { "tcp/80": { weight: 1 } }],
        ]);
      },
    ],
    ["the kernel's drain settings: expireConnections false", [drDirector({ sysctls: { ...DR_DIRECTOR_SYSCTLS, "net.ipv4.vs.expire_nodest_conn": "0" } })], drRealServers(), (c) => expect(c.director).toEqual({ host: "dir2", vipInterface: "eth1", expireConnections: false })],
    [
      "the ARP settings on eth1 too: the real server's interfaces",
      [drDirector()],
      [drRealServer("rs1", 2211, "10.77.0.21", arpOn("all", "lo", "eth1")), drRealServer("rs2", 2212, "10.77.0.22")],
      (c) => expect(c.realServers.map((r) => r.interfaces)).toEqual([["eth1"], []]),
    ],
    [
      "nat with return routes in LvsCluster's table and priority (177, 1000)",
      [natDirector()],
      [natRoutedRealServer("web1", 2211, "10.77.1.21"), natRoutedRealServer("web2", 2212, "10.77.1.22")],
      (c) => {
        expect(c.nat).toEqual({ configureRealServerRoutes: true, gateway: "10.77.1.12" });
        expect(c.realServers).toEqual([
          { name: "web1", host: "web1", address: "10.77.1.21", weight: 1, port: 8080 },
          { name: "web2", host: "web2", address: "10.77.1.22", weight: 1, port: 8080 },
        ]);
      },
    ],
    [
      "a NAT keepalived pair (its own router ids, VI_<vrid>, one check for all real servers), the director the real servers' gateway",
      pair("NAT"),
      natPairRealServers(),
      (c) => {
        expect(c.name).toBe("vi_7");
        expect(c.keepalivedPair).toEqual({
          nodes: [
            { host: "lb1", priority: 150, state: "MASTER", routerId: "LB_A" },
            { host: "lb2", priority: 100, state: "BACKUP", routerId: "LB_B" },
          ],
          interface: "eth1",
          virtualRouterId: 7,
          advertInt: 1,
          vrrpVersion: 2,
          hasPassword: true,
        });
        expect(c.services).toEqual([{ protocol: "tcp", port: 80, scheduler: "rr", healthCheck: { type: "TCP_CHECK", connectTimeout: 3 }, delayLoop: 5 }]);
        expect(c.nat).toEqual({ configureRealServerRoutes: false });
        expect(c.realServers.map((r) => r.host)).toEqual([undefined, undefined]);
      },
    ],
  ])("%s", (_, directors, realServers, check) => {
    const program = importProgram(directors, realServers);
    expect(program.warnings).toEqual([]);
    expect(program.cluster).toBeDefined();
    check(program.cluster!);
    const { planned, plain } = bothSides(program);
    expect(planned).toEqual(plain);
    expect(resourcesIn(indexOf(program))).toEqual(["new lvs.LvsCluster("]);
  });
});

describe("near misses: the plain resources, exactly as before", () => {
  const reasonFor = (directors: ReadHost[], realServers: ReadHost[]) => {
    const program = importProgram(directors, realServers);
    const { cluster: _none, ...plain } = program;
    const fit = fitLvsCluster(plain, realServerHostsOf(realServers));
    return { program, reason: "reason" in fit ? fit.reason : undefined };
  };

  it.each<[string, ReadHost[], ReadHost[], RegExp]>([
    ["the VIP bound /24 on the director (LvsCluster binds /32)", [drDirector({ vipPrefix: 24 })], drRealServers(), /^LvsCluster would create Director .*"prefixLength":32/],
    [
      "no send_redirects=0 on the director: the Director's first up sets it, a warning",
      [drDirector({ sysctls: { ...DR_DIRECTOR_SYSCTLS, "net.ipv4.conf.all.send_redirects": "1", "net.ipv4.conf.default.send_redirects": "1" } })],
      drRealServers(),
      /^the import has 1 warning\(s\), first: dir2: the Director's first `up` sets net\.ipv4\.conf\.all\.send_redirects = 0/,
    ],
    ["a real server in one service only (LvsCluster puts each in every service)", [drDirector({ table: `${DR_TABLE}-A -t ${VIP}:443 -s rr\n-a -t ${VIP}:443 -r 10.77.0.21:443 -g -w 1\n` })], drRealServers(), /^LvsCluster would create RealServer .*"port":443/],
    ["a connection threshold (LvsCluster has none)", [drDirector({ table: DR_TABLE.replace("10.77.0.22:80 -g -w 1", "10.77.0.22:80 -g -w 1 -x 100") })], drRealServers(), /the plain resources have RealServer .*"upperThreshold":100/],
    ["services on two VIPs", [drDirector({ table: `${DR_TABLE}-A -t 10.77.0.181:80 -s rr\n-a -t 10.77.0.181:80 -r 10.77.0.21:80 -g -w 1\n` })], drRealServers(), /^the services are not all on one VIP$/],
    ["a real server host that was not read", [drDirector()], drRealServers().slice(0, 1), /^no real server host read has the address 10\.77\.0\.22$/],
    [
      "a DR pair whose nodes have no redirects (LvsCluster's pair-node Directors also set send_redirects=0 on the VRRP interface)",
      pair("DR"),
      [drRealServer("web1", 2211, "10.77.1.21", undefined, PAIR_VIP), drRealServer("web2", 2212, "10.77.1.22", undefined, PAIR_VIP)],
      /^LvsCluster would create Director .*"interfaces":\["eth1"\]/,
    ],
    [
      "nat with the guide's return route (table 175, priority 32765; LvsCluster's are 177 and 1000)",
      [natDirector()],
      [natRoutedRealServer("web1", 2211, "10.77.1.21", 175, 32765), natRoutedRealServer("web2", 2212, "10.77.1.22", 175, 32765)],
      /^LvsCluster would create RealServerReturnRoute .*"priority":1000/,
    ],
  ])("%s", (_, directors, realServers, reason) => {
    const { program, reason: why } = reasonFor(directors, realServers);
    expect(why).toMatch(reason);
    expect(program.cluster).toBeUndefined();
    const index = indexOf(program);
    expect(index).not.toContain("LvsCluster");
    const resources = resourcesIn(index);
    expect(resources.length).toBeGreaterThan(1);
    expect(index.match(/^\s*adopt: true,$/gm)).toHaveLength(resources.length);
  });
});
