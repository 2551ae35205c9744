// The importer's model and rendering, on what a guide-built keepalived pair reads as: the
// generated project adopts the pair and its services, type-checks against the package, and
// names in warnings everything it read but does not declare.
import { readFileSync } from "fs";
import { join } from "path";
import { MAIN_CONFIG } from "../../../importer/keepalivedConfig";
import { importProgram, type ReadHost } from "../../../importer/program";
import { renderProject } from "../../../importer/render";
import type { HostSnapshot } from "../../../importer/snapshot";
import { parseIpvsadmSave } from "../../../provider/ipvs/parse";
import { KeepalivedPairInputsSchema } from "../../../provider/keepalived/schema";
import { drDirector, drRealServers, natDirector, natPairRealServers, natRoutedRealServer, pair } from "./clusterHosts";
import { typeCheck } from "./typeCheck";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");
const keepalivedFiles = (priority: number, state: string) => ({
  [MAIN_CONFIG]: fixture("guide-keepalived.conf").replace("priority 150", `priority ${priority}`).replace("state MASTER", `state ${state}`),
  "/etc/keepalived/conf.d/https.conf": fixture("guide-https.conf"),
});
// The table keepalived made from that config, plus one service added by hand.
const table = parseIpvsadmSave(
  "-A -t 10.77.0.160:80 -s wlc -p 50\n-a -t 10.77.0.160:80 -r 10.77.0.21:80 -g -w 1\n-a -t 10.77.0.160:80 -r 10.77.0.22:80 -g -w 2\n-A -t 10.77.0.160:443 -s rr\n-a -t 10.77.0.160:443 -r 10.77.0.21:443 -g -w 1\n-A -t 10.77.0.160:8080 -s rr\n",
);
const director = (hostname: string, port: number, priority: number, state: string): ReadHost => ({
  target: { host: "127.0.0.1", port, user: "root" },
  snapshot: {
    hostname,
    hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${hostname}`,
    ipvs: table,
    keepalived: { active: true, files: keepalivedFiles(priority, state) },
    sysctls: { "net.ipv4.ip_forward": "0" },
    addresses: state === "MASTER" ? [{ interface: "eth1", address: "10.77.0.160", prefixLength: 32 }] : [],
    rules: "",
    routes: "",
  },
});
const realServer: ReadHost = {
  target: { host: "127.0.0.1", port: 2211, user: "root" },
  snapshot: {
    hostname: "rs1",
    keepalived: { active: false, files: {} },
    sysctls: { "net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2", "net.ipv4.conf.eth1.arp_ignore": "0" },
    addresses: [{ interface: "lo", address: "10.77.0.160", prefixLength: 32 }],
    rules: "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default",
    routes: "",
  } satisfies HostSnapshot,
};

const program = importProgram([director("dir1", 2201, 150, "MASTER"), director("dir2", 2202, 100, "BACKUP")], [realServer]);

it("adopts the pair with both nodes' priorities, states and router ids, and the password as a secret to set", () => {
  expect(program.pair).toMatchObject({
    name: "vi_1",
    nodes: [
      { host: "dir1", priority: 150, state: "MASTER", routerId: "LVS_DEVEL" },
      { host: "dir2", priority: 100, state: "BACKUP" },
    ],
    config: { instanceName: "VI_1", interface: "eth1", virtualRouterId: 51, hasPassword: true },
  });
  // The guide's mail settings are warnings, not free-form lines the pair's schema would refuse
  // (found on the lab: the first real import carried them into extraGlobalDefs).
  expect(program.pair!.config.extraGlobalDefs).toEqual([]);
  expect(JSON.stringify(program)).not.toContain("s3cr3t");
});

it("the guide's one router_id on both nodes: the second node takes the pair's default, which the KeepalivedPair's check accepts, and a warning says so", () => {
  expect(program.pair!.nodes[1]).not.toHaveProperty("routerId");
  expect(program.warnings).toContain(
    "both nodes have router_id LVS_DEVEL: a KeepalivedPair gives each node its own, so dir2's becomes VI_1-node2 (router_id names the node in keepalived's mail and SNMP; VRRP and IPVS do not use it)",
  );
  const nodes = program.pair!.nodes.map((n, i) => ({ connection: { host: `h${i}` }, priority: n.priority, state: n.state, ...(n.routerId ? { routerId: n.routerId } : {}) }));
  const { hasPassword: _hasPassword, ...config } = program.pair!.config;
  const checked = KeepalivedPairInputsSchema.safeParse({ ...config, nodes, auth: { password: "x" } });
  expect(checked.success ? [] : checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([]);
});

it("adopts keepalived's services and real servers with their checks", () => {
  expect(program.services.map((s) => [s.name, s.on])).toEqual([
    ["vi_1-tcp-10-77-0-160-80", { pair: "vi_1" }],
    ["vi_1-tcp-10-77-0-160-443", { pair: "vi_1" }],
  ]);
  expect(program.realServers.map((r) => [r.name, r.destination.weight, r.options.healthCheck?.type])).toEqual([
    ["vi_1-tcp-10-77-0-160-80-10-77-0-21-80", 1, "TCP_CHECK"],
    ["vi_1-tcp-10-77-0-160-80-10-77-0-22-80", 2, "TCP_CHECK"],
    ["vi_1-tcp-10-77-0-160-443-10-77-0-21-443", 1, "SSL_GET"],
  ]);
});

it("names in a warning each thing read but not declared (the hand-made service on a keepalived node) or that the first up would change (lo's ARP settings)", () => {
  expect(program.warnings).toEqual(
    expect.arrayContaining([
      "dir1: tcp-10-77-0-160-8080 was made by hand on a keepalived node: keepalived owns this table, so it is not in the program (declare it on the pair to keep it)",
      "rs1: the RealServerArpConfig's first `up` sets net.ipv4.conf.lo.arp_ignore = 1, net.ipv4.conf.lo.arp_announce = 2 (a dr real server needs them; the host has them otherwise)",
      expect.stringMatching(/^dir1, dir2: \/etc\/keepalived\/keepalived.conf:5: `notification_email`/),
    ]),
  );
});

it("adopts the real server's hand-made preparation: its VIP on lo, the ARP settings on all and lo only (eth1 has none)", () => {
  expect(program.arpConfigs).toEqual([{ name: "rs1-arp", host: "rs1", mode: "dr", vips: ["10.77.0.160"], interfaces: [] }]);
  expect(program.hosts.map((h) => h.name)).toEqual(["dir1", "dir2", "rs1"]);
});

describe("real servers prepared by hand", () => {
  const rs = (hostname: string, sysctls: Record<string, string>, addresses: HostSnapshot["addresses"]): ReadHost => ({
    target: { host: "127.0.0.1", port: 2212, user: "root" },
    snapshot: { hostname, keepalived: { active: false, files: {} }, sysctls, addresses, rules: "", routes: "" },
  });
  const arpOn = (...ifaces: string[]) => Object.fromEntries(ifaces.flatMap((i) => [[`net.ipv4.conf.${i}.arp_ignore`, "1"], [`net.ipv4.conf.${i}.arp_announce`, "2"]]));

  it("dr: the interfaces with both ARP settings besides all and lo; no warning when all and lo have them", () => {
    const host = rs("web2", { ...arpOn("all", "lo", "eth1"), "net.ipv4.conf.eth2.arp_ignore": "1", "net.ipv4.conf.eth2.arp_announce": "0" }, [{ interface: "lo", address: "10.77.0.160", prefixLength: 32 }]);
    const imported = importProgram([director("dir1", 2201, 150, "MASTER"), director("dir2", 2202, 100, "BACKUP")], [host]);
    expect(imported.arpConfigs).toEqual([{ name: "web2-arp", host: "web2", mode: "dr", vips: ["10.77.0.160"], interfaces: ["eth1"] }]);
    expect(imported.warnings.filter((w) => w.startsWith("web2"))).toEqual([]);
  });

  it("tun: a VIP on tunl0; a real server without any VIP of the cluster gets no RealServerArpConfig", () => {
    const tun = rs("web3", arpOn("all", "lo"), [{ interface: "tunl0", address: "10.77.0.160", prefixLength: 32 }]);
    const other = rs("web4", arpOn("all", "lo"), [{ interface: "lo", address: "10.99.0.1", prefixLength: 32 }]);
    const imported = importProgram([director("dir1", 2201, 150, "MASTER"), director("dir2", 2202, 100, "BACKUP")], [tun, other]);
    expect(imported.arpConfigs).toEqual([{ name: "web3-arp", host: "web3", mode: "tun", vips: ["10.77.0.160"], interfaces: [] }]);
    expect(imported.hosts.map((h) => h.name)).toEqual(["dir1", "dir2", "web3"]);
  });
});

describe("a NAT director built by hand (no keepalived)", () => {
  const nat: ReadHost = {
    target: { host: "127.0.0.1", port: 2203, user: "root" },
    snapshot: {
      hostname: "lb",
      ipvs: parseIpvsadmSave("-A -t 10.77.0.170:80 -s rr\n-a -t 10.77.0.170:80 -r 10.77.1.21:8080 -m -w 1\n-a -t 10.77.0.170:80 -r 10.77.1.22:8080 -m -w 1\n"),
      keepalived: { active: false, files: {} },
      sysctls: { "net.ipv4.ip_forward": "1", "net.ipv4.vs.expire_nodest_conn": "0", "net.ipv4.vs.expire_quiescent_template": "0" },
      addresses: [{ interface: "eth1", address: "10.77.0.13", prefixLength: 24 }, { interface: "eth1", address: "10.77.0.170", prefixLength: 24 }],
      rules: "",
      routes: "",
    },
  };
  const natProgram = importProgram([nat], []);

  it("declares a Director in nat mode that keeps the VIP as bound and the drain settings as they are: nothing to change, no warning about it", () => {
    expect(natProgram.directors).toEqual([{ name: "lb-director", host: "lb", mode: "nat", vips: [{ address: "10.77.0.170", interface: "eth1", prefixLength: 24 }], expireConnections: false }]);
    expect(natProgram.warnings).toEqual([]);
    const index = renderProject(natProgram, { projectName: "nat", stack: "prod", packageVersion: "^0.1.0", commandLine: "npx pulumi-lvs import" })["index.ts"]!;
    expect(index).toContain('new lvs.Director("lb-director", {\n  connection: connection("lb"),\n  mode: "nat",');
    expect(index).toContain("expireConnections: false,");
  });

  it("a real server's return route as the guides make it is declared (adopt); a rule of another shape stays a warning", () => {
    const rs = (hostname: string, rules: string, routes: string): ReadHost => ({
      target: { host: "127.0.0.1", port: 2211, user: "root" },
      snapshot: { hostname, keepalived: { active: false, files: {} }, sysctls: {}, addresses: [], rules, routes },
    });
    const guide = rs("web1", "0:\tfrom all lookup local\n32765:\tfrom 10.77.1.21 lookup 175\n32766:\tfrom all lookup main", "default via 10.77.1.13 dev eth2 table 175 \ndefault via 10.0.2.2 dev eth0 \n");
    const other = rs("web2", "100:\tfrom all fwmark 0x1 lookup 200\n32765:\tfrom 10.77.1.22 lookup 176", "default via 10.77.1.13 dev eth2 table 176 \n10.9.0.0/16 via 10.77.1.1 dev eth2 table 176 \n");
    const imported = importProgram([nat], [guide, other]);
    expect(imported.returnRoutes).toEqual([{ name: "web1-return-route-t175", host: "web1", sourceAddress: "10.77.1.21", gateway: "10.77.1.13", table: 175, priority: 32765 }]);
    expect(imported.warnings).toEqual(["web2: policy routing rules (100:\tfrom all fwmark 0x1 lookup 200; 32765:\tfrom 10.77.1.22 lookup 176) are left as they are, not in the program"]);
    const index = renderProject(imported, { projectName: "nat", stack: "prod", packageVersion: "^0.1.0", commandLine: "npx pulumi-lvs import" })["index.ts"]!;
    expect(index).toContain('new lvs.RealServerReturnRoute("web1-return-route-t175", {\n  connection: connection("web1"),\n  sourceAddress: "10.77.1.21",\n  gateway: "10.77.1.13",\n  table: 175,\n  priority: 32765,\n  adopt: true,\n});');
  });

  it("a director whose host lacks ip_forward is still declared, with a warning that the first up sets it", () => {
    const off = importProgram([{ ...nat, snapshot: { ...nat.snapshot, sysctls: { ...nat.snapshot.sysctls, "net.ipv4.ip_forward": "0" } } }], []);
    expect(off.warnings).toEqual(["lb: the Director's first `up` sets net.ipv4.ip_forward = 1 (a nat director needs it; the host has it otherwise)"]);
  });
});

describe("the rendered project", () => {
  const files = renderProject(program, { projectName: "adopted", stack: "prod", packageVersion: "^0.1.0", commandLine: "npx pulumi-lvs import --director root@127.0.0.1:2201" });

  it("keeps the connections in the stack's config and every secret out of every file", () => {
    expect(files["Pulumi.prod.yaml"]).toContain('  adopted:hosts:\n    dir1:\n      host: "127.0.0.1"\n      port: 2201\n      user: "root"\n      hostKey: "ssh-ed25519');
    for (const text of Object.values(files)) expect(text).not.toMatch(/s3cr3t|PRIVATE KEY/);
    expect(files["README.md"]).toContain("pulumi config set --secret vrrpPassword");
    expect(files["index.ts"]).toContain('auth: {\n    password: config.requireSecret("vrrpPassword"),\n  },');
  });

  it("declares every resource with adopt: true", () => {
    const index = files["index.ts"]!;
    const resources = index.match(/new lvs\.\w+\(/g) ?? [];
    expect(resources).toHaveLength(1 + 1 + 2 + 3);
    expect(index.match(/^\s*adopt: true,$/gm)).toHaveLength(resources.length);
  });

  it("type-checks against the package, as a user's project would: these plain resources, and the LvsCluster of clusters that fit one (DR and NAT directors, a NAT pair)", () => {
    const render = (p: ReturnType<typeof importProgram>) => renderProject(p, { projectName: "adopted", stack: "prod", packageVersion: "^0.1.0", commandLine: "npx pulumi-lvs import" })["index.ts"]!;
    const dr = importProgram([drDirector()], drRealServers());
    const nat = importProgram([natDirector()], [natRoutedRealServer("web1", 2211, "10.77.1.21"), natRoutedRealServer("web2", 2212, "10.77.1.22")]);
    const natPair = importProgram(pair("NAT"), natPairRealServers());
    expect([dr.cluster?.mode, nat.cluster?.director?.expireConnections, natPair.cluster?.keepalivedPair?.virtualRouterId]).toEqual(["dr", false, 7]);
    const tsc = typeCheck({ "plain.ts": files["index.ts"]!, "drCluster.ts": render(dr), "natCluster.ts": render(nat), "natPairCluster.ts": render(natPair) });
    expect(tsc.output).toBe("");
    expect(tsc.status).toBe(0);
  });
});

describe("a pair node's sysctls", () => {
  const withSysctls = (host: ReadHost, sysctls: Record<string, string>): ReadHost => ({ ...host, snapshot: { ...host.snapshot, sysctls } });
  const DR_READY = { "net.ipv4.conf.all.send_redirects": "0", "net.ipv4.conf.default.send_redirects": "0", "net.ipv4.ip_forward": "0" };

  it("a DR node without send_redirects=0 (the guide's): no Director, and a warning naming what one would set", () => {
    expect(program.directors).toEqual([]);
    expect(program.warnings).toEqual(
      expect.arrayContaining([
        "dir1: no Director is declared for this pair node, so its sysctls are left as they are: a dr Director's first `up` would set net.ipv4.conf.all.send_redirects = 0, net.ipv4.conf.default.send_redirects = 0 (declare one to have pulumi-lvs hold them)",
      ]),
    );
  });

  it("a node that already has the mode's sysctls gets a Director with no VIP, leaving the drain settings as the host has them", () => {
    const ready = importProgram([withSysctls(director("dir1", 2201, 150, "MASTER"), DR_READY), withSysctls(director("dir2", 2202, 100, "BACKUP"), { ...DR_READY, "net.ipv4.vs.expire_nodest_conn": "1", "net.ipv4.vs.expire_quiescent_template": "1" })], [realServer]);
    expect(ready.directors).toEqual([
      { name: "dir1-director", host: "dir1", mode: "dr", vips: [], expireConnections: false },
      { name: "dir2-director", host: "dir2", mode: "dr", vips: [], expireConnections: true },
    ]);
    expect(ready.warnings.filter((w) => w.includes("Director"))).toEqual([]);
    const index = renderProject(ready, { projectName: "adopted", stack: "prod", packageVersion: "^0.1.0", commandLine: "npx pulumi-lvs import" })["index.ts"]!;
    expect(index).toContain('new lvs.Director("dir1-director", {\n  connection: connection("dir1"),\n  mode: "dr",\n  expireConnections: false,\n  adopt: true,\n});');
  });
});

it("a unicast pair keeps each node's unicast_src_ip, which a unicast KeepalivedPair requires", () => {
  const unicast = (host: ReadHost, src: string, peer: string): ReadHost => {
    const files = { ...host.snapshot.keepalived.files };
    files[MAIN_CONFIG] = files[MAIN_CONFIG]!.replace("\tadvert_int 1\n", `\tadvert_int 1\n\tunicast_src_ip ${src}\n\tunicast_peer {\n\t\t${peer}\n\t}\n`);
    return { ...host, snapshot: { ...host.snapshot, keepalived: { ...host.snapshot.keepalived, files } } };
  };
  const imported = importProgram([unicast(director("dir1", 2201, 150, "MASTER"), "10.77.0.11", "10.77.0.12"), unicast(director("dir2", 2202, 100, "BACKUP"), "10.77.0.12", "10.77.0.11")], [realServer]);
  expect(imported.pair!.config.unicast).toBe(true);
  expect(imported.pair!.nodes.map((n) => n.unicastSrcIp)).toEqual(["10.77.0.11", "10.77.0.12"]);
});
