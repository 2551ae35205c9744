// LvsCluster under Pulumi's mocks: which children it registers, with which parent, names
// and inputs; that bad arguments register nothing; what it registers as outputs; and that
// a secret private key stays secret in every child's inputs.

import * as pulumi from "@pulumi/pulumi";
import { LvsCluster, LvsClusterArgsError, type LvsClusterArgs } from "../../../components/lvsCluster";
import { childNames, planLvsCluster } from "../../../components/lvsCluster/plan";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  parent?: string;
}

let registered: Registered[] = [];
let outputsByUrn = new Map<string, Record<string, unknown>>();

// The mocks see the component's registration and every child's. Parents are read from the
// URN's type chain (the mock's URN is `...::<parentType>$<childType>::<name>`), because the
// mock args do not carry the parent's URN.
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const target = args.type.endsWith(":KeepalivedPair") ? { target: { instanceName: "VI_51", nodes: [] } } : {};
      return { id: `${args.name}-id`, state: { ...args.inputs, ...target, serviceKey: `key:${args.name}`, destinationKey: `dest:${args.name}` } };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

// The SDK registers component outputs through registerResourceOutputs; capture them.
const originalRegisterOutputs = pulumi.ComponentResource.prototype["registerOutputs"];
beforeAll(() => {
  (pulumi.ComponentResource.prototype as any).registerOutputs = function (this: pulumi.ComponentResource, outputs: any) {
    pulumi.output(outputs).apply((o: any) => {
      void this.urn.apply((urn) => outputsByUrn.set(urn, o));
    });
    return originalRegisterOutputs.call(this, outputs);
  };
});
afterAll(() => {
  (pulumi.ComponentResource.prototype as any).registerOutputs = originalRegisterOutputs;
});

beforeEach(() => {
  registered = [];
  outputsByUrn = new Map();
});

function unwrap<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Let every pending registration reach the mock. */
async function settle(cluster: LvsCluster): Promise<void> {
  await unwrap(cluster.urn);
  const children = [
    ...cluster.directors,
    ...(cluster.keepalivedPair ? [cluster.keepalivedPair] : []),
    ...Object.values(cluster.services),
    ...Object.values(cluster.arpConfigs),
    ...Object.values(cluster.realServers).flatMap((m) => Object.values(m)),
  ];
  await Promise.all(children.map((c) => unwrap(c.urn)));
  await new Promise((r) => setTimeout(r, 50));
}

const key = pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n");
const conn = (host: string) => ({ host, port: 22, user: "root", privateKey: key, hostKey: "ssh-ed25519 AAAATEST" });

const realServers = [
  { name: "rs1", connection: conn("10.77.0.21"), address: "10.77.0.21", interfaces: ["eth1"] },
  { name: "rs2", connection: conn("10.77.0.22"), address: "10.77.0.22", weight: 2 },
  { name: "rs3", connection: conn("10.77.0.23"), address: "10.77.0.23", overrides: { "tcp/443": { weight: 0 } } },
];

const services = [
  { port: 80, scheduler: "rr" as const },
  { port: 443, persistence: { timeoutSeconds: 300 } },
];

const drArgs: LvsClusterArgs = {
  mode: "dr",
  director: { connection: conn("10.77.0.11"), interface: "eth1" },
  vip: "10.77.0.150",
  services,
  realServers,
};

const pairArgs: LvsClusterArgs = {
  mode: "dr",
  keepalivedPair: {
    nodes: [
      { connection: conn("10.77.0.11"), priority: 150 },
      { connection: conn("10.77.0.12"), priority: 100 },
    ],
    interface: "eth1",
    virtualRouterId: 51,
    auth: { password: pulumi.secret("s3cret") },
  },
  vip: "10.77.0.150",
  services: [{ port: 80, scheduler: "wrr", delayLoop: 3, healthCheck: { type: "HTTP_GET", urls: [{ path: "/", statusCode: 200 }] } }],
  realServers: realServers.map(({ overrides: _o, ...rs }) => rs),
};

const byType = (type: string) => registered.filter((r) => r.type === type);
const byName = (name: string) => registered.find((r) => r.name === name)!;
const T = {
  cluster: "lvs:index:LvsCluster",
  director: "pulumi-nodejs:dynamic/lvs:Director",
  pair: "pulumi-nodejs:dynamic/lvs:KeepalivedPair",
  vs: "pulumi-nodejs:dynamic/lvs:VirtualService",
  rs: "pulumi-nodejs:dynamic/lvs:RealServer",
  arp: "pulumi-nodejs:dynamic/lvs:RealServerArpConfig",
  returnRoute: "pulumi-nodejs:dynamic/lvs:RealServerReturnRoute",
};

describe("LvsCluster children", () => {
  it("dr with a plain director: Director, a VirtualService per service, a RealServer per pair, an ARP config per real server", async () => {
    const cluster = new LvsCluster("web", drArgs);
    await settle(cluster);

    expect(byType(T.cluster).map((r) => r.name)).toEqual(["web"]);
    expect(byType(T.director).map((r) => r.name)).toEqual(["web-director"]);
    expect(byType(T.pair)).toHaveLength(0);
    expect(byType(T.vs).map((r) => r.name).sort()).toEqual(["web-vs-tcp-443", "web-vs-tcp-80"]);
    expect(byType(T.rs).map((r) => r.name).sort()).toEqual(
      ["web-rs1-tcp-443", "web-rs1-tcp-80", "web-rs2-tcp-443", "web-rs2-tcp-80", "web-rs3-tcp-443", "web-rs3-tcp-80"],
    );
    expect(byType(T.arp).map((r) => r.name).sort()).toEqual(["web-rs1-arp", "web-rs2-arp", "web-rs3-arp"]);

    const director = byName("web-director").inputs;
    expect(director.mode).toBe("dr");
    expect(director.interfaces).toEqual(["eth1"]);
    expect(director.vip).toEqual({ address: "10.77.0.150", interface: "eth1" });

    const vs80 = byName("web-vs-tcp-80").inputs;
    expect(vs80).toMatchObject({ protocol: "tcp", address: "10.77.0.150", port: 80, scheduler: "rr" });
    expect(byName("web-vs-tcp-443").inputs.persistence).toEqual({ timeoutSeconds: 300 });

    expect(byName("web-rs1-tcp-80").inputs).toMatchObject({ address: "10.77.0.21", port: 80, forwarding: "dr" });
    expect(byName("web-rs2-tcp-443").inputs.weight).toBe(2);
    expect(byName("web-rs3-tcp-80").inputs.weight).toBeUndefined();
    expect(byName("web-rs3-tcp-443").inputs.weight).toBe(0);
    expect(byName("web-rs1-arp").inputs).toMatchObject({ vips: ["10.77.0.150"], mode: "dr", interfaces: ["eth1"] });
  });

  it("every child's parent is the component", async () => {
    const cluster = new LvsCluster("web", drArgs);
    await settle(cluster);
    const clusterUrn = await unwrap(cluster.urn);
    const children = [...cluster.directors, ...Object.values(cluster.services), ...Object.values(cluster.arpConfigs), ...Object.values(cluster.realServers).flatMap((m) => Object.values(m))];
    expect(children).toHaveLength(1 + 2 + 3 + 6);
    for (const child of children) {
      const urn = await unwrap(child.urn);
      // The mock URN's type part is `<parent type>$<child type>`.
      expect(urn).toContain("::lvs:index:LvsCluster$pulumi-nodejs:dynamic/lvs:");
      expect(clusterUrn).toContain("::lvs:index:LvsCluster::web");
    }
  });

  it("nat: no ARP configs, the real server port may differ, forwarding nat", async () => {
    const cluster = new LvsCluster("napp", {
      mode: "nat",
      director: { connection: conn("10.77.0.11"), interface: "eth1" },
      vip: "10.77.0.150",
      services: [{ port: 80 }],
      realServers: [
        { name: "rs1", address: "10.77.1.21", port: 8080 },
        { name: "rs2", address: "10.77.1.22" },
      ],
      nat: { configureRealServerRoutes: false },
    });
    await settle(cluster);
    expect(byType(T.arp)).toHaveLength(0);
    expect(byName("napp-director").inputs).toMatchObject({ mode: "nat", vip: { address: "10.77.0.150", interface: "eth1" } });
    expect(byName("napp-director").inputs.interfaces).toBeUndefined();
    expect(byName("napp-rs1-tcp-80").inputs).toMatchObject({ forwarding: "nat", port: 8080, address: "10.77.1.21" });
    expect(byName("napp-rs2-tcp-80").inputs).toMatchObject({ forwarding: "nat", port: 80 });
  });

  it("nat with configureRealServerRoutes: a RealServerReturnRoute per real server, to the gateway", async () => {
    const cluster = new LvsCluster("nroute", {
      mode: "nat",
      director: { connection: conn("10.77.0.11"), interface: "eth1" },
      vip: "10.77.0.153",
      services: [{ port: 80 }],
      realServers: [
        { name: "rs1", connection: conn("10.77.0.21"), address: "10.77.1.21" },
        { name: "rs2", connection: conn("10.77.0.22"), address: "10.77.1.22" },
      ],
      nat: { configureRealServerRoutes: true, gateway: "10.77.1.11" },
    });
    await settle(cluster);
    expect(byType(T.returnRoute).map((r) => [r.name, r.inputs.sourceAddress, r.inputs.gateway])).toEqual([
      ["nroute-rs1-return-route", "10.77.1.21", "10.77.1.11"],
      ["nroute-rs2-return-route", "10.77.1.22", "10.77.1.11"],
    ]);
    expect(byType(T.arp)).toHaveLength(0);
  });

  it("tun: ARP configs in tun mode, forwarding tun, VIP on vipInterface", async () => {
    const cluster = new LvsCluster("tapp", {
      mode: "tun",
      director: { connection: conn("10.77.0.11"), vipInterface: "eth0" },
      vip: "10.77.0.150",
      services: [{ protocol: "udp", port: 53 }],
      realServers: realServers.slice(0, 2),
    });
    await settle(cluster);
    expect(byName("tapp-director").inputs).toMatchObject({ mode: "tun", vip: { interface: "eth0" } });
    expect(byName("tapp-vs-udp-53").inputs).toMatchObject({ protocol: "udp", port: 53 });
    expect(byName("tapp-rs1-udp-53").inputs.forwarding).toBe("tun");
    expect(byType(T.arp).map((r) => r.inputs.mode)).toEqual(["tun", "tun"]);
  });

  it("keepalived pair: KeepalivedPair with the VIP, per-node sysctl Directors without a VIP, services on the pair, health checks on real servers", async () => {
    const cluster = new LvsCluster("ha", pairArgs);
    await settle(cluster);
    expect(byType(T.pair).map((r) => r.name)).toEqual(["ha-pair"]);
    const pair = byName("ha-pair").inputs;
    expect(pair).toMatchObject({ interface: "eth1", virtualRouterId: 51, vips: ["10.77.0.150"] });
    // A value holding a secret is serialised as a secret as a whole.
    expect(pair.nodes[SECRET_SIG]).toBeDefined();
    expect(pair.nodes.value.map((n: any) => n.priority)).toEqual([150, 100]);
    expect(byType(T.director).map((r) => r.name).sort()).toEqual(["ha-director-node1", "ha-director-node2"]);
    for (const d of byType(T.director)) expect(d.inputs.vip).toBeUndefined();

    const vs = byName("ha-vs-tcp-80").inputs;
    expect(vs.connection).toBeUndefined();
    expect(JSON.stringify(vs.keepalived)).toContain("VI_51");
    expect(vs.delayLoop).toBe(3);
    expect(byName("ha-rs2-tcp-80").inputs.healthCheck).toEqual({ type: "HTTP_GET", urls: [{ path: "/", statusCode: 200 }] });
  });

  it("adopt: every child registers with adopt true (what `pulumi-lvs import` writes), the director with its expireConnections", async () => {
    const cluster = new LvsCluster("web", { ...drArgs, director: { ...drArgs.director!, expireConnections: false }, adopt: true });
    await settle(cluster);
    const children = registered.filter((r) => r.type !== T.cluster);
    expect(children).toHaveLength(1 + 2 + 6 + 3);
    for (const child of children) expect([child.name, child.inputs.adopt]).toEqual([child.name, true]);
    expect(byName("web-director").inputs.expireConnections).toBe(false);
  });
});

describe("LvsCluster outputs", () => {
  it("registers vip, services and realServers", async () => {
    const cluster = new LvsCluster("web", drArgs);
    await settle(cluster);
    const urn = await unwrap(cluster.urn);
    for (let i = 0; i < 20 && !outputsByUrn.has(urn); i++) await new Promise((r) => setTimeout(r, 20));
    const outputs = outputsByUrn.get(urn) as any;
    expect(outputs.vip).toBe("10.77.0.150");
    expect(Object.keys(outputs.services).sort()).toEqual(["tcp/443", "tcp/80"]);
    expect(outputs.services["tcp/80"]).toBe("key:web-vs-tcp-80");
    expect(Object.keys(outputs.realServers).sort()).toEqual(["rs1", "rs2", "rs3"]);
    expect(outputs.realServers.rs2["tcp/443"]).toBe("dest:web-rs2-tcp-443");
  });
});

describe("LvsCluster secrets", () => {
  // The mock receives inputs as the engine would: secrets still wrapped.
  const isSecret = (v: any) => v !== null && typeof v === "object" && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
  const containsPlainKey = (v: unknown): boolean => JSON.stringify(v).includes("BEGIN OPENSSH") && !isSecretOnly(v);
  function isSecretOnly(v: any): boolean {
    if (isSecret(v)) return true;
    if (typeof v === "string") return !v.includes("BEGIN OPENSSH");
    if (Array.isArray(v)) return v.every(isSecretOnly);
    if (v && typeof v === "object") return Object.values(v).every(isSecretOnly);
    return true;
  }

  it.each([
    ["dr", drArgs],
    ["pair", pairArgs],
  ])("%s: the private key reaches no child's inputs in clear", async (_label, args) => {
    const cluster = new LvsCluster("sec", args);
    await settle(cluster);
    const children = registered.filter((r) => r.type !== T.cluster);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) expect({ name: child.name, leaked: containsPlainKey(child.inputs) }).toEqual({ name: child.name, leaked: false });
    const withConnection = children.filter((c) => c.inputs.connection !== undefined);
    expect(withConnection.length).toBeGreaterThan(0);
  });
});

describe("LvsCluster validation registers nothing", () => {
  const base = drArgs;
  const cases: Array<[string, LvsClusterArgs, RegExp]> = [
    ["both director kinds", { ...pairArgs, director: base.director }, /director\/keepalivedPair: set exactly one/],
    ["neither director kind", { ...base, director: undefined }, /director\/keepalivedPair: set one of them/],
    ["healthCheck without a pair", { ...base, services: [{ port: 80, healthCheck: { type: "TCP_CHECK" } }] }, /services\[0\]\.healthCheck: .*keepalivedPair/],
    ["delayLoop without a pair", { ...base, services: [{ port: 80, delayLoop: 5 }] }, /services\[0\]\.delayLoop/],
    ["duplicate service", { ...base, services: [{ port: 80 }, { protocol: "tcp", port: 80 }] }, /services\[1\]: tcp\/80 is listed twice/],
    ["duplicate real server", { ...base, realServers: [realServers[0]!, { ...realServers[1]!, name: "rs1" }] }, /realServers\[1\]\.name: "rs1" is used twice/],
    ["unknown override", { ...base, realServers: [{ ...realServers[0]!, overrides: { "udp/80": { weight: 1 } } }] }, /overrides\["udp\/80"\]: no such service/],
    ["dr port remap", { ...base, realServers: [{ ...realServers[0]!, port: 8080 }] }, /realServers\[0\]\.port: in dr mode/],
    ["dr without rs connection", { ...base, realServers: [{ name: "rs1", address: "10.0.0.1" }] }, /realServers\[0\]\.connection/],
    ["nat without route confirmation", { ...base, mode: "nat" }, /nat\.configureRealServerRoutes: .*default gateway/],
    ["nat routes without a gateway", { ...base, mode: "nat", nat: { configureRealServerRoutes: true } }, /nat\.gateway: is required with configureRealServerRoutes: true/],
    ["nat block outside nat mode", { ...base, nat: { configureRealServerRoutes: false } }, /^  nat: only meaningful in nat mode/m],
    ["no interface for the VIP", { ...base, director: { connection: conn("10.0.0.1") } }, /director\.interface/],
    ["bad mode", { ...base, mode: "lvs" as any }, /^  mode: /m],
    ["bad port", { ...base, services: [{ port: 70000 }] }, /services\[0\]\.port/],
    ["bad scheduler", { ...base, services: [{ port: 80, scheduler: "fast" as any }] }, /services\[0\]\.scheduler/],
    ["no services", { ...base, services: [] }, /services: must list at least one service/],
    ["misspelt property", { ...base, realServers: [{ ...realServers[0]!, wieght: 3 } as any] }, /realServers\[0\]: .*wieght/],
    ["bad real server name", { ...base, realServers: [{ ...realServers[0]!, name: "RS 1" }] }, /realServers\[0\]\.name: must be lower-case/],
    ["health check of unknown type", { ...pairArgs, services: [{ port: 80, healthCheck: { type: "PING" } as any }] }, /services\[0\]\.healthCheck\.type/],
    ["vip6 without address6", { ...base, vip6: "fd77::150" }, /realServers\[0\]\.address6: is required with vip6/],
    ["address6 without vip6", { ...base, realServers: [{ ...realServers[0]!, address6: "fd77::21" }] }, /realServers\[0\]\.address6: only applies with vip6/],
    ["vip6 on a keepalived pair", { ...pairArgs, vip6: "fd77::150", realServers: pairArgs.realServers.map((rs) => ({ ...rs, address6: "fd77::21" })) }, /^  vip6: is not supported with a keepalivedPair/m],
    ["a preemptDelay too short for connectionSync", { ...pairArgs, keepalivedPair: { ...pairArgs.keepalivedPair!, connectionSync: { refreshSeconds: 10 }, preemptDelay: 15 } }, /keepalivedPair\.preemptDelay: is 15 s, under twice connectionSync\.refreshSeconds \(10 s\).*at least 20 \(or leave it out: 30\)/],
    ["connectionSync with an unknown key", { ...pairArgs, keepalivedPair: { ...pairArgs.keepalivedPair!, connectionSync: { refresh: 5 } as any } }, /keepalivedPair\.connectionSync: .*refresh/],
    ["vip6 in tun mode", { ...base, mode: "tun", vip6: "fd77::150", realServers: realServers.map((rs) => ({ ...rs, address6: "fd77::21" })) }, /^  vip6: is supported in dr and nat mode/m],
  ];

  it.each(cases)("%s", async (_label, args, message) => {
    let error: unknown;
    try {
      new LvsCluster("bad", args);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LvsClusterArgsError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('LvsCluster "bad" has invalid arguments (no resource was created)');
    await new Promise((r) => setTimeout(r, 20));
    expect(registered).toHaveLength(0);
  });
});

describe("planLvsCluster", () => {
  it.each([
    ["dr", 1, 3],
    ["tun", 1, 3],
    ["nat", 1, 0],
  ] as const)("%s: %i director(s), %i ARP configs, services × real servers RealServers", (mode, directors, arps) => {
    const plan = planLvsCluster("c", { ...drArgs, mode, ...(mode === "nat" ? { nat: { configureRealServerRoutes: false } } : {}) });
    expect(plan.directors).toHaveLength(directors);
    expect(plan.arpConfigs).toHaveLength(arps);
    expect(plan.realServers).toHaveLength(services.length * realServers.length);
    expect(new Set(plan.realServers.map((r) => r.name)).size).toBe(plan.realServers.length);
  });

  const dualStack = (mode: "dr" | "nat"): LvsClusterArgs => ({
    ...drArgs,
    mode,
    ...(mode === "nat" ? { nat: { configureRealServerRoutes: false } } : {}),
    vip6: "fd77::150",
    realServers: realServers.map((rs, i) => ({ ...rs, address6: `fd77::2${i + 1}` })),
  });

  it("dual stack: the Director binds both VIPs, each service is served on both, each real server by its address of the VIP's family", () => {
    const plan = planLvsCluster("web", dualStack("dr"));
    expect(plan.directors.map((d) => [d.args.vip, d.args.vips, d.args.ipv6Forwarding])).toEqual([[{ address: "10.77.0.150", interface: "eth1" }, [{ address: "fd77::150", interface: "eth1" }], undefined]]);
    expect(plan.services.map((s) => [s.label, s.name, s.args.address])).toEqual([
      ["tcp/80", "web-vs-tcp-80", "10.77.0.150"],
      ["tcp/443", "web-vs-tcp-443", "10.77.0.150"],
      ["tcp/80/ipv6", "web-vs-tcp-80-ipv6", "fd77::150"],
      ["tcp/443/ipv6", "web-vs-tcp-443-ipv6", "fd77::150"],
    ]);
    const ipv6 = plan.realServers.filter((r) => r.service.endsWith("/ipv6"));
    expect(ipv6.map((r) => [r.name, r.args.address])).toEqual(
      ["tcp-80", "tcp-443"].flatMap((svc) => realServers.map((rs, i) => [`web-${rs.name}-${svc}-ipv6`, `fd77::2${i + 1}`])),
    );
    // The IPv4 children keep the names a single-VIP cluster has: adding vip6 replaces nothing.
    expect(plan.realServers.filter((r) => !r.service.endsWith("/ipv6")).map((r) => r.name)).toEqual(planLvsCluster("web", drArgs).realServers.map((r) => r.name));
    expect(plan.arpConfigs.map((a) => a.args.vips)).toEqual(realServers.map(() => ["10.77.0.150", "fd77::150"]));
  });

  it("connectionSync: keepalived runs the sync daemons, both Directors re-send live connections, and a returning node waits to learn them", () => {
    const plan = planLvsCluster("web", { ...pairArgs, keepalivedPair: { ...pairArgs.keepalivedPair!, connectionSync: {} } });
    expect(plan.pair!.args.lvsSyncDaemon).toEqual({ interface: "eth1" });
    expect(plan.pair!.args.preemptDelay).toBe(30);
    expect(plan.directors.map((d) => d.args.connectionSync)).toEqual([{ refreshSeconds: 5 }, { refreshSeconds: 5 }]);
    const own = planLvsCluster("web", { ...pairArgs, keepalivedPair: { ...pairArgs.keepalivedPair!, connectionSync: { interface: "eth2", syncId: 7, refreshSeconds: 20 } } });
    expect(own.pair!.args.lvsSyncDaemon).toEqual({ interface: "eth2", syncId: 7 });
    expect(own.pair!.args.preemptDelay).toBe(60);
    expect(own.directors.map((d) => d.args.connectionSync)).toEqual([{ refreshSeconds: 20 }, { refreshSeconds: 20 }]);
    // Nothing to wait for without preemption; without connectionSync, nothing changes.
    expect(planLvsCluster("web", { ...pairArgs, keepalivedPair: { ...pairArgs.keepalivedPair!, connectionSync: {}, nopreempt: true } }).pair!.args.preemptDelay).toBeUndefined();
    const plain = planLvsCluster("web", pairArgs);
    expect([plain.pair!.args.lvsSyncDaemon, plain.pair!.args.preemptDelay, plain.directors[0]!.args.connectionSync]).toEqual([undefined, undefined, undefined]);
  });

  it("dual stack in nat: the director forwards IPv6 too", () => {
    expect(planLvsCluster("web", dualStack("nat")).directors[0]!.args.ipv6Forwarding).toBe(true);
  });

  const natRouted: LvsClusterArgs = { ...drArgs, mode: "nat", nat: { configureRealServerRoutes: true, gateway: "10.77.1.11" } };
  /** Every child's args, whatever its kind. */
  const childArgs = (plan: ReturnType<typeof planLvsCluster>): Array<{ adopt?: unknown }> => [
    ...plan.directors.map((d) => d.args),
    ...(plan.pair ? [plan.pair.args] : []),
    ...plan.services.map((s) => s.args),
    ...plan.realServers.map((r) => r.args),
    ...plan.arpConfigs.map((a) => a.args),
    ...plan.returnRoutes.map((r) => r.args),
  ];

  it.each([
    ["dr, plain director", drArgs, 1 + 2 + 6 + 3],
    ["dr, keepalived pair", pairArgs, 2 + 1 + 1 + 3 + 3],
    ["nat with return routes", natRouted, 1 + 2 + 6 + 3],
  ] as const)("adopt reaches every child (%s); without it no child carries adopt and the plan is as before", (_, args, children) => {
    const adopted = childArgs(planLvsCluster("web", { ...args, adopt: true }));
    expect(adopted).toHaveLength(children);
    expect(adopted.map((a) => a.adopt)).toEqual(adopted.map(() => true));
    const plain = planLvsCluster("web", args);
    expect(childArgs(plain).filter((a) => "adopt" in a)).toEqual([]);
    expect(planLvsCluster("web", { ...args, adopt: false })).toEqual(plain);
    // Adopting changes nothing else: the same children with the same args, plus adopt.
    expect(childArgs(planLvsCluster("web", { ...args, adopt: true })).map(({ adopt: _a, ...rest }) => rest)).toEqual(childArgs(plain));
  });

  it("director.expireConnections is passed to the Director, and only when set", () => {
    expect(planLvsCluster("web", { ...drArgs, director: { ...drArgs.director!, expireConnections: false } }).directors[0]!.args.expireConnections).toBe(false);
    expect("expireConnections" in planLvsCluster("web", drArgs).directors[0]!.args).toBe(false);
  });

  it("names derive from the component name", () => {
    expect(childNames.virtualService("web", { port: 80 })).toBe("web-vs-tcp-80");
    expect(childNames.realServer("web", "rs1", { protocol: "udp", port: 53 })).toBe("web-rs1-udp-53");
    expect(childNames.arpConfig("web", "rs1")).toBe("web-rs1-arp");
  });
});
