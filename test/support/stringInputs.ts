// Every string input of every resource kind, with a valid baseline to put a value into:
// for each kind, inputs `check` accepts (from the unit tests' valid inputs) and every
// concrete path in them that holds a string (`connection.proxy.user`, `vips[1].label`,
// `trackScripts[0].command[1]`). The hostile-input tests replace one path at a time.
// `schemaPatternsOf` derives the same list from the zod schemas, so a test can prove that
// no schema string field is missing here.
//
// Baselines stay inside the lab's hostile-input budget (dir2 and rs3, VIPs 10.77.0.180-189,
// VRRP router ids 80-89), so the lab test applies these same inputs for real.

import type { z } from "zod";
import type { ResourceKind } from "../../provider/dynamic/thinProvider";
import { DirectorInputsSchema } from "../../provider/director/schema";
import { ArpInputsSchema } from "../../provider/arp/schema";
import { KeepalivedPairInputsSchema } from "../../provider/keepalived/schema";
import { KEEPALIVED_REAL_SERVER_ONLY, KEEPALIVED_SERVICE_ONLY } from "../../provider/keepalived/serviceSchema";
import { RealServerReturnRouteInputsSchema } from "../../provider/nat/schema";
import { RealServerInputsSchema, VirtualServiceInputsSchema } from "../../provider/service/schema";
import { SshConnectionSchema } from "../../provider/ssh/connection";
import { patternOf, schemaStringPatterns } from "./schemaStringPaths";

type Raw = Record<string, unknown>;

/** The connections a baseline uses: a director (dir2), a second pair node and a real server (rs3). */
export interface BaselineConnections {
  director: object;
  peer: object;
  realServer: object;
}

/** The lab addresses the baselines use (dir2 front/back, rs3 front/back). */
export const BASELINE_ADDRESSES = { directorFront: "10.77.0.12", directorBack: "10.77.1.12", peerFront: "10.77.0.23", realServerBack: "10.77.1.23" } as const;

export interface StringInputCase {
  /** "VirtualService on a KeepalivedPair" */
  name: string;
  kind: ResourceKind;
  /** Director of the case: a plain one (`connection`), a pair (`keepalived`), or none (a host-preparing resource). */
  director: "plain" | "pair" | "host";
  /** Valid inputs; later ones only add paths the earlier ones cannot hold (a health check of another type). */
  baselines: Raw[];
  /** Each string path, with the index of the baseline that holds it. */
  paths: Array<{ path: string; baseline: number }>;
  schema: z.ZodType;
  /** Schema patterns this case cannot hold, and why (the other director's inputs). */
  notApplicable: { patterns: (pattern: string) => boolean; why: string };
}

const command = (...args: string[]) => ["/usr/bin/logger", "-t", "pulumi-lvs", ...args];

function pairTarget(c: BaselineConnections): Raw {
  return { instanceName: "VI_80", nodes: [{ connection: c.director, state: "MASTER", priority: 150 }, { connection: c.peer, state: "BACKUP", priority: 100 }] };
}

function pairInputs(c: BaselineConnections): Raw {
  const a = BASELINE_ADDRESSES;
  return {
    nodes: [
      { connection: c.director, state: "MASTER", priority: 150, routerId: "dir2-80", unicastSrcIp: a.directorFront },
      { connection: c.peer, state: "BACKUP", priority: 100, routerId: "rs3-80", unicastSrcIp: a.peerFront },
    ],
    instanceName: "VI_80",
    interface: "eth1",
    virtualRouterId: 80,
    vips: ["10.77.0.186", { address: "10.77.0.187", dev: "eth1", label: "eth1:lvs" }],
    auth: { type: "PASS", password: "s3cret" },
    unicast: true,
    trackInterfaces: ["eth2", { name: "lo", weight: 5 }],
    trackScripts: [{ name: "chk_80", command: ["/usr/bin/test", "-d", "/etc/keepalived"], interval: 2, user: "nobody", group: "nogroup" }],
    notify: { master: command("master"), backup: command("backup"), fault: command("fault"), stop: command("stop"), deleted: command("deleted"), notify: command("notify") },
    lvsSyncDaemon: { interface: "eth1" },
    extraGlobalDefs: ["vrrp_garp_interval 0.001"],
    extraInstanceConfig: ["unicast_ttl 64"],
  };
}

const serviceKey = { protocol: "tcp", address: "10.77.0.182", port: 80, family: "ipv4" };
const pairServiceKey = { protocol: "tcp", address: "10.77.0.186", port: 80, family: "ipv4" };
const rsServiceKey = { protocol: "tcp", address: "10.77.0.183", port: 80, family: "ipv4" };

/** Concrete paths of the string leaves of `value` (`nodes[0].connection.user`). */
export function stringPaths(value: unknown, prefix = ""): string[] {
  if (typeof value === "string") return [prefix];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, `${prefix}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => stringPaths(v, prefix === "" ? k : `${prefix}.${k}`));
  return [];
}

/** `a.b[2].c` → ["a", "b", 2, "c"] */
export function pathKeys(path: string): Array<string | number> {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

export function valueAt(value: unknown, path: string): unknown {
  return pathKeys(path).reduce<unknown>((v, k) => (v === null || typeof v !== "object" ? undefined : (v as Record<string | number, unknown>)[k]), value);
}

/** A deep copy of `value` with `path` set to `replacement`. */
export function withValueAt<T>(value: T, path: string, replacement: unknown): T {
  const copy = structuredClone(value) as unknown;
  const keys = pathKeys(path);
  let at = copy as Record<string | number, unknown>;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[keys[keys.length - 1]!] = replacement;
  return copy as T;
}

/** A deep copy of `value` without `path` (an array element is removed, the rest shift down). */
export function withoutPath<T>(value: T, path: string): T {
  const copy = structuredClone(value) as unknown;
  const keys = pathKeys(path);
  const parent = keys.slice(0, -1).reduce<unknown>((v, k) => (v === null || typeof v !== "object" ? undefined : (v as Record<string | number, unknown>)[k]), copy);
  const last = keys[keys.length - 1]!;
  if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
  else if (parent !== null && typeof parent === "object") delete (parent as Record<string | number, unknown>)[last];
  return copy as T;
}

const startsWithAny = (prefixes: readonly string[]) => (pattern: string) => prefixes.some((p) => pattern === p || pattern.startsWith(`${p}.`) || pattern.startsWith(`${p}[`));

/** Connection paths in a resource schema: where it types `unknown`, the SSH connection's. */
function connectionPatterns(prefix: string): string[] {
  if (!/(^|\.)connection$/.test(prefix)) throw new Error(`an unknown-typed schema field that is not a connection: ${prefix}`);
  return schemaStringPatterns(SshConnectionSchema as unknown as z.ZodType, () => [], prefix);
}

/** The schema's string patterns, with connections spelled out. */
export function schemaPatternsOf(c: Pick<StringInputCase, "schema">): string[] {
  return schemaStringPatterns(c.schema, connectionPatterns);
}

function withPaths(c: Omit<StringInputCase, "paths">): StringInputCase {
  const paths: StringInputCase["paths"] = [];
  const seen = new Set<string>();
  c.baselines.forEach((b, i) => {
    for (const path of stringPaths(b)) if (!seen.has(path)) (seen.add(path), paths.push({ path, baseline: i }));
  });
  return { ...c, paths };
}

/** Every resource kind's string inputs, on these connections. */
export function stringInputCases(c: BaselineConnections): StringInputCase[] {
  const a = BASELINE_ADDRESSES;
  const plainOnly = startsWithAny(["keepalived", ...KEEPALIVED_SERVICE_ONLY, ...KEEPALIVED_REAL_SERVER_ONLY]);
  const none = { patterns: () => false, why: "" };
  return [
    withPaths({
      name: "Director", kind: "Director", director: "host", schema: DirectorInputsSchema, notApplicable: none,
      baselines: [{ connection: c.director, mode: "dr", interfaces: ["eth1", "eth2"], vip: { address: "10.77.0.180", interface: "eth1" }, vips: [{ address: "fd77::180", interface: "eth1" }] }],
    }),
    withPaths({
      name: "VirtualService on a plain director", kind: "VirtualService", director: "plain", schema: VirtualServiceInputsSchema,
      notApplicable: { patterns: plainOnly, why: "keepalived-only inputs and the pair target are refused on a plain director" },
      baselines: [{ connection: c.director, ...serviceKey, scheduler: "sh", schedulerFlags: ["sh-port"], persistence: { timeoutSeconds: 300, netmask: "255.255.255.0" } }],
    }),
    withPaths({
      name: "VirtualService on a KeepalivedPair", kind: "VirtualService", director: "pair", schema: VirtualServiceInputsSchema,
      notApplicable: { patterns: startsWithAny(["connection"]), why: "a service on a pair reaches its nodes through the pair target" },
      baselines: [
        {
          keepalived: pairTarget(c), ...pairServiceKey, scheduler: "sh", schedulerFlags: ["sh-port"], persistence: { timeoutSeconds: 300, netmask: "255.255.255.0" },
          sorryServer: { address: a.realServerBack, port: 80, forwarding: "nat" }, virtualhost: "www.example.com", quorumUp: command("quorum-up"), quorumDown: command("quorum-down"),
        },
      ],
    }),
    withPaths({
      name: "RealServer on a plain director", kind: "RealServer", director: "plain", schema: RealServerInputsSchema,
      notApplicable: { patterns: plainOnly, why: "keepalived-only inputs and the pair target are refused on a plain director" },
      baselines: [{ connection: c.director, service: rsServiceKey, address: a.realServerBack, port: 80, forwarding: "tun", tunnel: { type: "gue", port: 6080, checksum: "csum" } }],
    }),
    withPaths({
      name: "RealServer on a KeepalivedPair", kind: "RealServer", director: "pair", schema: RealServerInputsSchema,
      notApplicable: { patterns: startsWithAny(["connection"]), why: "a real server on a pair reaches its nodes through the pair target" },
      baselines: [
        {
          keepalived: pairTarget(c), service: pairServiceKey, address: a.realServerBack, port: 80, forwarding: "tun", tunnel: { type: "gre", checksum: "csum" },
          healthCheck: { type: "HTTP_GET", urls: [{ path: "/health", digest: "0123456789abcdef0123456789abcdef", statusCode: 200 }], virtualhost: "www.example.com", bindTo: a.directorFront, connectPort: 80 },
          notifyUp: command("up"), notifyDown: command("down"),
        },
        { keepalived: pairTarget(c), service: pairServiceKey, address: a.realServerBack, port: 80, healthCheck: { type: "MISC_CHECK", command: ["/usr/bin/test", "-d", "/etc/keepalived"] } },
        { keepalived: pairTarget(c), service: pairServiceKey, address: a.realServerBack, port: 80, healthCheck: { type: "DNS_CHECK", name: "www.example.com", queryType: "A" } },
      ],
    }),
    withPaths({
      name: "RealServerArpConfig", kind: "RealServerArpConfig", director: "host", schema: ArpInputsSchema, notApplicable: none,
      baselines: [{ connection: c.realServer, vips: ["10.77.0.184", "10.77.0.185"], mode: "dr", interfaces: ["eth1"] }],
    }),
    withPaths({
      name: "RealServerReturnRoute", kind: "RealServerReturnRoute", director: "host", schema: RealServerReturnRouteInputsSchema, notApplicable: none,
      baselines: [{ connection: c.realServer, sourceAddress: a.realServerBack, gateway: a.directorBack, table: 188, priority: 1880 }],
    }),
    withPaths({ name: "KeepalivedPair", kind: "KeepalivedPair", director: "host", schema: KeepalivedPairInputsSchema, notApplicable: none, baselines: [pairInputs(c)] }),
  ];
}

/** Whether a path is (inside) an SSH connection. */
export const isConnectionPath = (path: string) => /(^|\.)connection(\.|$)/.test(path);

/** Patterns of a case's paths. */
export const pathPatternsOf = (c: StringInputCase) => [...new Set(c.paths.map((p) => patternOf(p.path)))];
