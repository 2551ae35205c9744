// Whether the imported program can be written as one LvsCluster. Adopting must change
// nothing on the hosts, and LvsCluster makes choices of its own (send_redirects=0 on a DR
// pair node's interface, /32 VIPs, one health check per service, its return-route table and
// priority), so the answer is plan equality, not a list of conditions: build the LvsCluster
// args the program would be written with, plan their children with planLvsCluster, and
// compare every planned child's args with a plain resource's args, both as written
// (resourceArgs.ts). Only when they pair off one to one, the same kinds and the same count,
// and the import has nothing to warn about, is the cluster written. Pure.

import { isIPv4 } from "net";
import type { z } from "zod";
import { validateLvsClusterArgs, type LvsClusterArgs } from "../components/lvsCluster/args";
import { planLvsCluster, type LvsClusterPlan } from "../components/lvsCluster/plan";
import type { ServiceKey } from "../provider/ipvs/model";
import { ArpInputsSchema } from "../provider/arp/schema";
import { DirectorInputsSchema } from "../provider/director/schema";
import { KeepalivedPairInputsSchema } from "../provider/keepalived/schema";
import { RealServerReturnRouteInputsSchema } from "../provider/nat/schema";
import { RealServerInputsSchema, VirtualServiceInputsSchema } from "../provider/service/schema";
import type { ClusterResource, ImportedProgram } from "./program";
import { arpConfigArgs, clusterArgs, Code, directorArgs, pairArgs, realServerArgs, returnRouteArgs, serviceArgs, type WrittenArgs } from "./resourceArgs";

/** The program's resources, before the decision. */
export type PlainProgram = Omit<ImportedProgram, "cluster">;

/** A real server host that was read, with its addresses: LvsCluster's real servers are named after them. */
export interface RealServerHost {
  host: string;
  addresses: readonly string[];
}

export type ClusterFit = { cluster: ClusterResource } | { reason: string };

type AddressKey = Extract<ServiceKey, { kind: "address" }>;

/** What LvsCluster's `realServers[].name` must be (it becomes part of child names). */
const SHORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The program as one LvsCluster, when its children would be exactly the program's resources. */
export function fitLvsCluster(program: PlainProgram, realServerHosts: readonly RealServerHost[]): ClusterFit {
  // A warning is something read but left out of the program, or something its first `up`
  // would change (a DR director without send_redirects=0): the cluster is written only
  // when there is neither, the plain resources (and the warnings) otherwise.
  if (program.warnings.length > 0) return { reason: `the import has ${program.warnings.length} warning(s), first: ${program.warnings[0]}` };
  const candidate = candidateCluster(program, realServerHosts);
  if ("reason" in candidate) return candidate;
  const { name } = candidate.cluster;
  // The connections and the password are code markers: LvsCluster checks only that they
  // are there, and its plan passes them through untouched.
  const args = clusterArgs(candidate.cluster) as unknown as LvsClusterArgs;
  try {
    validateLvsClusterArgs(name, args);
    const differ = mismatch(plannedChildren(planLvsCluster(name, args), args), plainChildren(program));
    return differ === undefined ? candidate : { reason: differ };
  } catch (error) {
    return { reason: (error as Error).message };
  }
}

/**
 * The LvsCluster args the program would be written with. Where the program has something
 * LvsCluster cannot say at all, the reason; anything else is left to the plan comparison.
 */
function candidateCluster(program: PlainProgram, realServerHosts: readonly RealServerHost[]): ClusterFit {
  const { pair, services, realServers } = program;
  const first = services[0];
  if (first === undefined) return { reason: "there is no service" };
  const vip = first.service.key.kind === "address" ? first.service.key.address : undefined;
  if (vip === undefined || !isIPv4(vip)) return { reason: "LvsCluster serves an IPv4 VIP by protocol and port; the first service is not one" };
  if (services.some((s) => s.service.key.kind !== "address" || s.service.key.address !== vip)) return { reason: "the services are not all on one VIP" };
  const modes = [...new Set(realServers.map((r) => r.destination.forwarding))];
  const mode = modes[0];
  if (modes.length !== 1 || mode === undefined) return { reason: `the real servers use ${modes.length === 0 ? "no forwarding method" : `several forwarding methods (${modes.join(", ")})`}` };

  // Every service is an address service on the VIP (checked above).
  const keyOf = new Map(services.map((s) => [s.name, s.service.key as AddressKey]));
  const clusterRealServers: ClusterResource["realServers"] = [];
  for (const address of [...new Set(realServers.map((r) => r.destination.address))]) {
    const hosts = realServerHosts.filter((h) => h.addresses.includes(address));
    if (hosts.length !== 1) return { reason: `${hosts.length === 0 ? "no" : "more than one"} real server host read has the address ${address}` };
    const host = hosts[0]!.host;
    const name = host.replace(/_/g, "-");
    if (!SHORT_NAME.test(name)) return { reason: `${host} cannot be an LvsCluster real server name` };
    // Its weight and port in the first service it is in; a weight that differs elsewhere is an override.
    const [base, ...others] = realServers.filter((r) => r.destination.address === address).map((r) => ({ key: keyOf.get(r.service)!, destination: r.destination }));
    const overrides = Object.fromEntries(others.filter((r) => r.destination.weight !== base!.destination.weight).map((r) => [`${r.key.protocol}/${r.key.port}`, { weight: r.destination.weight }]));
    const arp = program.arpConfigs.find((a) => a.host === host);
    const routed = program.returnRoutes.some((r) => r.host === host);
    clusterRealServers.push({
      name,
      ...(mode !== "nat" || routed ? { host } : {}),
      address,
      weight: base!.destination.weight,
      ...(mode === "nat" && base!.destination.port !== base!.key.port ? { port: base!.destination.port } : {}),
      ...(mode !== "nat" && arp ? { interfaces: arp.interfaces } : {}),
      ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
    });
  }

  const clusterServices = services.map((s) => {
    const key = keyOf.get(s.name)!;
    const healthCheck = realServers.find((r) => r.service === s.name)?.options.healthCheck;
    return {
      protocol: key.protocol,
      port: key.port,
      scheduler: s.service.scheduler,
      ...(s.service.persistence ? { persistence: s.service.persistence } : {}),
      ...(healthCheck ? { healthCheck } : {}),
      ...(s.options.delayLoop !== undefined ? { delayLoop: s.options.delayLoop } : {}),
    };
  });
  // With no return route in the program, `false`: like the plain resources, the cluster
  // then leaves the real servers' routing as it is.
  const gateway = program.returnRoutes[0]?.gateway;
  const nat = mode === "nat" ? { nat: gateway === undefined ? { configureRealServerRoutes: false } : { configureRealServerRoutes: true, gateway } } : {};
  const common = { mode, vip, services: clusterServices, realServers: clusterRealServers, ...nat };

  if (pair) {
    const c = pair.config;
    const keepalivedPair: NonNullable<ClusterResource["keepalivedPair"]> = {
      nodes: pair.nodes,
      interface: c.interface,
      virtualRouterId: c.virtualRouterId,
      advertInt: c.advertInt,
      vrrpVersion: c.vrrpVersion,
      hasPassword: c.hasPassword,
      ...(c.nopreempt ? { nopreempt: true as const } : {}),
      ...(c.preemptDelay !== undefined ? { preemptDelay: c.preemptDelay } : {}),
      ...(c.unicast ? { unicast: true as const } : {}),
    };
    return { cluster: { name: pair.name, keepalivedPair, ...common } };
  }
  const host = "host" in first.on ? first.on.host : undefined;
  const director = program.directors.find((d) => d.host === host);
  if (host === undefined || director === undefined) return { reason: `no Director is declared for ${host ?? "the director"}` };
  const bound = director.vips.find((v) => v.address === vip);
  if (bound === undefined) return { reason: `the VIP ${vip} is not bound on ${host}` };
  return { cluster: { name: host, director: { host, vipInterface: bound.interface, ...(director.expireConnections ? {} : { expireConnections: false as const }) }, ...common } };
}

// ---- the comparison ----
//
// A child is compared as its resource's own zod schema reads its args: the provider works
// only on that result (defaults filled in, addresses canonical), so two args that read the
// same do the same on the hosts. Beyond the schema, only what the resource provably treats
// as one: a Director's `vip` and `vips` are one list to it (provider/director/model.ts,
// desiredDirector: `vip` first, then `vips`). References to other resources are replaced by
// what the resource takes from them, as its constructor does.

/** A KeepalivedPair's `target`, for services and real servers on the pair: a program has one pair, compared as its own child. */
const PAIR_TARGET = {
  instanceName: "pair",
  nodes: [
    { connection: null, state: "MASTER", priority: 2 },
    { connection: null, state: "BACKUP", priority: 1 },
  ],
};

function read(kind: string, schema: z.ZodType, args: object): unknown {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw new Error(`a ${kind}'s args do not pass its schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

const child = (kind: string, inputs: unknown) => `${kind} ${canonical(inputs)}`;

function directorChild(args: object): string {
  const { vip, vips, ...rest } = read("Director", DirectorInputsSchema, args) as { vip?: unknown; vips?: unknown[] };
  return child("Director", { ...rest, vips: [...(vip ? [vip] : []), ...(vips ?? [])] });
}

function pairChild(args: object): string {
  // The password is a secret read when the program runs (the same expression on both
  // sides); the schema checks only its form, so it reads a stand-in and is compared as written.
  const auth = (args as WrittenArgs)["auth"] as { password?: unknown } | undefined;
  const inputs = read("KeepalivedPair", KeepalivedPairInputsSchema, auth ? { ...args, auth: { ...auth, password: "secret" } } : args) as { auth?: object };
  return child("KeepalivedPair", auth ? { ...inputs, auth: { ...inputs.auth, password: auth.password } } : inputs);
}

/** As VirtualService's constructor sends it: the pair's target instead of the pair. */
function serviceInputs(args: object): object {
  const { keepalivedPair, ...rest } = args as WrittenArgs;
  return keepalivedPair === undefined ? rest : { ...rest, keepalived: PAIR_TARGET };
}

/** As RealServer's constructor sends it: its service's director and identity instead of the service. */
function realServerChild(args: object, service: WrittenArgs): string {
  const { virtualService: _service, ...rest } = args as WrittenArgs;
  const onPair = service["keepalivedPair"] !== undefined;
  const identity = service["fwmark"] !== undefined ? { fwmark: service["fwmark"], family: service["family"] ?? "ipv4" } : { protocol: service["protocol"] ?? "tcp", address: service["address"], port: service["port"] };
  return child("RealServer", read("RealServer", RealServerInputsSchema, { ...rest, ...(onPair ? { keepalived: PAIR_TARGET } : { connection: service["connection"] }), service: identity }));
}

/** The plain resources' children, sorted. */
export function plainChildren(program: PlainProgram): string[] {
  const services = new Map(program.services.map((s) => [s.name, serviceArgs(s)]));
  return [
    ...program.directors.map((d) => directorChild(directorArgs(d))),
    ...(program.pair ? [pairChild(pairArgs(program.pair))] : []),
    ...[...services.values()].map((s) => child("VirtualService", read("VirtualService", VirtualServiceInputsSchema, serviceInputs(s)))),
    ...program.realServers.map((r) => realServerChild(realServerArgs(r), services.get(r.service)!)),
    ...program.arpConfigs.map((a) => child("RealServerArpConfig", read("RealServerArpConfig", ArpInputsSchema, arpConfigArgs(a)))),
    ...program.returnRoutes.map((r) => child("RealServerReturnRoute", read("RealServerReturnRoute", RealServerReturnRouteInputsSchema, returnRouteArgs(r)))),
  ].sort();
}

/** The children LvsCluster creates from `args` (planned as `plan`), sorted. */
export function plannedChildren(plan: LvsClusterPlan, args: LvsClusterArgs): string[] {
  // Where LvsCluster puts its services (lvsCluster.ts): on its pair, or on the director's connection.
  const where = plan.pair ? { keepalivedPair: plan.pair.name } : { connection: args.director!.connection };
  const services = new Map(plan.services.map((s) => [s.label, { ...s.args, ...where } as WrittenArgs]));
  return [
    ...plan.directors.map((d) => directorChild(d.args)),
    ...(plan.pair ? [pairChild(plan.pair.args)] : []),
    ...[...services.values()].map((s) => child("VirtualService", read("VirtualService", VirtualServiceInputsSchema, serviceInputs(s)))),
    ...plan.realServers.map((r) => realServerChild(r.args, services.get(r.service)!)),
    ...plan.arpConfigs.map((a) => child("RealServerArpConfig", read("RealServerArpConfig", ArpInputsSchema, a.args))),
    ...plan.returnRoutes.map((r) => child("RealServerReturnRoute", read("RealServerReturnRoute", RealServerReturnRouteInputsSchema, r.args))),
  ].sort();
}

/** The children of either side without their twin on the other; undefined when they pair off. */
function mismatch(planned: readonly string[], plain: readonly string[]): string | undefined {
  const plainOnly = [...plain];
  const plannedOnly: string[] = [];
  for (const p of planned) {
    const i = plainOnly.indexOf(p);
    if (i < 0) plannedOnly.push(p);
    else plainOnly.splice(i, 1);
  }
  const said = [
    ...(plannedOnly.length > 0 ? [`LvsCluster would create ${plannedOnly.join(", ")}, which the plain resources do not have`] : []),
    ...(plainOnly.length > 0 ? [`the plain resources have ${plainOnly.join(", ")}, which LvsCluster would not create`] : []),
  ];
  return said.length > 0 ? said.join("; ") : undefined;
}

/** JSON with sorted keys and code markers as `{ "$code": text }`; undefined fields left out. */
function canonical(value: unknown): string {
  if (value instanceof Code) return JSON.stringify({ $code: value.text });
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
