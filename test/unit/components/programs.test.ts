// The root program and every example, run under Pulumi's mocks with stack config as a user
// would set it: each builds its LvsCluster (and, for with-vms, its bootstrap commands)
// without throwing, and the private key reaches the children only as a secret. The
// examples import "pulumi-lvs" by name; here that name is this repository's index.ts.

import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import * as ts from "typescript";
import * as pulumi from "@pulumi/pulumi";

const ROOT = resolve(__dirname, "..", "..", "..");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nlab\n-----END OPENSSH PRIVATE KEY-----\n";

let registered: Array<{ type: string; name: string; inputs: Record<string, any> }> = [];

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const extra: Record<string, unknown> = {};
      if (args.type.endsWith(":KeepalivedPair")) extra["target"] = { instanceName: "VI_51", nodes: [] };
      if (args.type === "command:remote:Command") extra["stdout"] = "ssh-ed25519 AAAAHOSTKEY\n10.77.0.21\n";
      return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

/** Run a TypeScript entry point with "pulumi-lvs" resolved to this repository (and an example's own modules, such as lvs-haproxy's haproxyConfig.ts, beside it). */
function runProgram(file: string): void {
  const source = readFileSync(file, "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const localRequire = (id: string): unknown => {
    if (id === "pulumi-lvs") return require("../../../index");
    if (id.startsWith("./")) return require(resolve(file, "..", id));
    return require(id);
  };
  const module = { exports: {} as Record<string, unknown> };
  new Function("require", "module", "exports", "__filename", "__dirname", outputText)(localRequire, module, module.exports, file, resolve(file, ".."));
}

function setConfig(project: string, values: Record<string, unknown>, secrets: string[]): void {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) flat[`${project}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(flat, secrets.map((s) => `${project}:${s}`));
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 100));
}

function plainKeyLeaks(v: unknown): boolean {
  if (v && typeof v === "object" && (v as any)[SECRET_SIG]) return false;
  if (typeof v === "string") return v.includes("BEGIN OPENSSH");
  if (Array.isArray(v)) return v.some(plainKeyLeaks);
  if (v && typeof v === "object") return Object.values(v).some(plainKeyLeaks);
  return false;
}

const host = (n: number) => ({ ssh: `192.0.2.${n}`, hostKey: "ssh-ed25519 AAAATEST", address: `192.0.2.${n}` });

const examples: Array<[string, Record<string, unknown>, string[], RegExp[]]> = [
  ["dr-cluster", { privateKey: KEY, vip: "192.0.2.100", director: host(10), realServers: [host(21), host(22)] }, ["privateKey"], [/^web-vs-tcp-443$/, /^web-rs2-tcp-80$/, /^web-rs1-arp$/]],
  ["nat-cluster", { privateKey: KEY, vip: "192.0.2.100", director: host(10), realServers: [host(21), host(22)] }, ["privateKey"], [/^app-app2-tcp-80$/, /^app-app1-return-route$/]],
  ["tun-cluster", { privateKey: KEY, vip: "192.0.2.53", director: host(10), realServers: [host(21)] }, ["privateKey"], [/^dns-vs-udp-53$/, /^dns-ns1-arp$/]],
  ["ha-pair", { privateKey: KEY, vrrpPassword: "k33pal1v", vip: "192.0.2.100", directors: [host(11), host(12)], realServers: [host(21)] }, ["privateKey", "vrrpPassword"], [/^web-pair$/, /^web-director-node2$/]],
  ["with-vms", { privateKey: KEY, vip: "192.0.2.100", director: "192.0.2.10", realServers: ["192.0.2.21", "192.0.2.22"] }, ["privateKey"], [/^director-bootstrap$/, /^web-web2-tcp-80$/]],
  ["gitops", { privateKey: KEY, vip: "192.0.2.100", director: host(10), realServers: [host(21)] }, ["privateKey"], [/^web-rs1-tcp-80$/]],
  ["lvs-haproxy", { privateKey: KEY, vrrpPassword: "k33pal1v", vip: "192.0.2.100", directors: [host(11), host(12)], realServers: [host(21), host(22)] }, ["privateKey", "vrrpPassword"], [/^front-pair$/, /^front-proxy2-tcp-8080$/, /^front-proxy1-arp$/, /^proxy1-haproxy$/, /^proxy2-haproxy$/]],
];

beforeEach(() => {
  registered = [];
});

describe("examples under mocks", () => {
  it.each(examples)("%s builds its cluster; the key stays secret", async (example, config, secrets, expected) => {
    setConfig("project", config, secrets);
    runProgram(join(ROOT, "examples", example, "index.ts"));
    await settle();
    const names = registered.map((r) => r.name);
    for (const pattern of expected) expect(names.some((n) => pattern.test(n))).toBe(true);
    expect(registered.filter((r) => r.type === "lvs:index:LvsCluster")).toHaveLength(1);
    for (const r of registered) expect({ name: r.name, leaks: plainKeyLeaks(r.inputs) }).toEqual({ name: r.name, leaks: false });
    // The first example pays for transpiling the package under ts-jest: past jest's 5 s on a busy 2-core machine.
  }, 30_000);
});

describe("lvs-haproxy under mocks", () => {
  it("gives every proxy the same HAProxy config, its connection as a secret and the transport loaded by name; the LVS tier serves the health endpoint's port", async () => {
    setConfig("project", { privateKey: KEY, vrrpPassword: "k33pal1v", vip: "192.0.2.100", directors: [host(11), host(12)], realServers: [host(21), host(22)] }, ["privateKey", "vrrpPassword"]);
    runProgram(join(ROOT, "examples", "lvs-haproxy", "index.ts"));
    await settle();
    const proxies = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/lvs-haproxy:HaproxyConfig");
    expect(proxies.map((p) => p.name)).toEqual(["proxy1-haproxy", "proxy2-haproxy"]);
    for (const p of proxies) {
      expect(p.inputs.config).toBe(proxies[0]!.inputs.config);
      expect(p.inputs.connection[SECRET_SIG]).toBeDefined();
      expect(p.inputs.owner).toBe(`project/stack/${p.name}`);
      expect(p.inputs.__provider).toContain('require("pulumi-lvs/provider/ssh")');
    }
    const cfg: string = proxies[0]!.inputs.config;
    expect(cfg).toContain("    bind :8080\n    monitor-uri /healthz\n");
    expect(cfg).toContain("    server web1 192.0.2.21:80 check");
    expect(cfg).toContain("    server web2 192.0.2.22:80 check");
    expect(registered.find((r) => r.name === "front-vs-tcp-8080")!.inputs).toMatchObject({ address: "192.0.2.100", port: 8080 });
    expect(registered.find((r) => r.name === "front-proxy2-tcp-8080")!.inputs).toMatchObject({ address: "192.0.2.22", healthCheck: { type: "HTTP_GET", urls: [{ path: "/healthz", statusCode: 200 }] } });
  }, 30_000);
});

describe("root program", () => {
  it("the lab stack's config builds the DR cluster on dir1 and rs1..rs3 from the inventory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvs-program-"));
    const keyPath = join(dir, "id_ed25519");
    writeFileSync(keyPath, KEY);
    const hosts = ["dir1", "rs1", "rs2", "rs3"].map((name, i) => ({ name, ssh: { host: "127.0.0.1", port: 2201 + i * 10 }, hostKey: `ssh-ed25519 AAAA${name}` }));
    writeFileSync(join(dir, "inventory.json"), JSON.stringify({ version: 1, sshKey: { privateKeyPath: keyPath, publicKey: "x" }, users: { root: "root" }, hosts }));

    // Pulumi.lab.yaml as it is (js-yaml comes with @pulumi/pulumi), the inventory pointed at the temporary one.
    const yaml = require("js-yaml") as { load(text: string): { config: Record<string, unknown> } };
    const lab = yaml.load(readFileSync(join(ROOT, "Pulumi.lab.yaml"), "utf8")).config;
    const values = Object.fromEntries(Object.entries(lab).map(([k, v]) => [k.replace(/^lvs:/, ""), v]));
    expect(values["inventory"]).toBe("test/lab/inventory.json");
    setConfig("lvs", { ...values, inventory: join(dir, "inventory.json") }, []);
    jest.isolateModules(() => require("../../../program/index"));
    await settle();

    const director = registered.find((r) => r.name === "stack-director")!;
    expect(director.inputs.vip).toEqual({ address: "10.77.0.150", interface: "eth1" });
    const conn = director.inputs.connection;
    expect(conn[SECRET_SIG]).toBeDefined(); // the whole connection is secret: it holds the key
    expect(conn.value).toMatchObject({ host: "127.0.0.1", port: 2201, user: "root", hostKey: "ssh-ed25519 AAAAdir1" });
    expect(registered.find((r) => r.name === "stack-vs-tcp-80")!.inputs).toMatchObject({ address: "10.77.0.150", port: 80, scheduler: "rr" });
    expect(registered.find((r) => r.name === "stack-rs3-tcp-80")!.inputs).toMatchObject({ address: "10.77.0.23", forwarding: "dr" });
    expect(registered.find((r) => r.name === "stack-rs2-arp")!.inputs.interfaces).toEqual(["eth1"]);
    for (const r of registered) expect({ name: r.name, leaks: plainKeyLeaks(r.inputs) }).toEqual({ name: r.name, leaks: false });
    // The first example pays for transpiling the package under ts-jest: past jest's 5 s on a busy 2-core machine.
  }, 30_000);
});

describe("type check", () => {
  it("the examples and the program compile against the package", () => {
    const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(ROOT, "examples", "tsconfig.json")], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);
});
