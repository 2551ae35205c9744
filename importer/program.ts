// What was read → the resources of the program that adopts it, each with `adopt: true`, and
// the warnings for what was read but is not in the program. Pure: snapshots in, model out.
//
// It adopts what pulumi-lvs's resources can take over without a change on the hosts: a
// keepalived pair with its keepalived-managed services; hand-made IPVS entries on a plain
// director, and that director's VIPs and mode sysctls (a Director with adopt, keeping the
// VIPs as they are); each DR/TUN real server's VIPs on lo/tunl0 and ARP sysctls (a
// RealServerArpConfig with adopt); each NAT real server's return route made by hand (a
// RealServerReturnRoute with adopt); a pair node's Director (its mode's sysctls) when that
// changes nothing. Not yet: policy routing of any other shape; it is a warning saying it
// is left as it is, as is a pair node whose sysctls a Director would change.
//
// When those resources are exactly the children one LvsCluster would create, and there is
// nothing to warn about, the program says so (`cluster`, decided by clusterFit.ts) and is
// written as that LvsCluster; otherwise as the resources, one by one.

import { formatHostPort, serviceKeyString, type IpvsDestination, type IpvsService, type ServiceKey } from "../provider/ipvs/model";
import type { NodeConfig } from "../provider/keepalived/model";
import type { KeepalivedRealServerOptions, KeepalivedServiceOptions } from "../provider/keepalived/serviceModel";
import { desiredSysctls } from "../provider/director/model";
import type { LvsClusterServiceArgs } from "../components/lvsCluster/args";
import { fitLvsCluster } from "./clusterFit";
import { ImportModelError } from "./errors";
import { importKeepalived, type ImportedVirtualServer } from "./keepalivedConfig";
import type { HostSnapshot } from "./snapshot";

/** A host as the command line named it. */
export interface HostTarget {
  host: string;
  port: number;
  user: string;
}

export interface ReadHost {
  target: HostTarget;
  snapshot: HostSnapshot;
}

/** A host of the program: its connection is declared once and used by name. */
export interface ProgramHost {
  /** A TypeScript identifier and resource-name part (`dir1`, `web_02`). */
  name: string;
  target: HostTarget;
  hostKey?: string;
}

export interface PairResource {
  name: string;
  /** routerId absent: the pair's default (`<instance>-node<n>`), when the file's is the other node's too. */
  nodes: Array<{ host: string; priority: number; state: "MASTER" | "BACKUP"; routerId?: string; unicastSrcIp?: string }>;
  /** The instance as the first node's file has it (the nodes were checked to agree). */
  config: Omit<NodeConfig, "node" | "unicastPeers" | "auth"> & { hasPassword: boolean };
}

export interface ServiceResource {
  name: string;
  /** Where it lives: the pair (keepalived-managed) or a plain director's host. */
  on: { pair: string } | { host: string };
  service: IpvsService;
  options: KeepalivedServiceOptions;
}

export interface RealServerResource {
  name: string;
  service: string;
  destination: IpvsDestination;
  options: KeepalivedRealServerOptions;
}

/** A plain director's preparation: its VIPs as bound, the mode's sysctls. */
export interface DirectorResource {
  name: string;
  host: string;
  mode: "dr" | "nat" | "tun";
  vips: Array<{ address: string; interface: string; prefixLength: number }>;
  /** false when the host does not have both drain settings at 1: adopting must not change them. */
  expireConnections: boolean;
}

/** A DR/TUN real server's preparation: its VIPs on lo (tunl0), its ARP sysctls. */
export interface ArpConfigResource {
  name: string;
  host: string;
  mode: "dr" | "tun";
  vips: string[];
  /** The interfaces besides all and lo that have the ARP settings. */
  interfaces: string[];
}

/** A NAT real server's return route made by hand: `ip rule … lookup T` and table T's default route. */
export interface ReturnRouteResource {
  name: string;
  host: string;
  sourceAddress: string;
  gateway: string;
  table: number;
  priority: number;
}

/**
 * The program as one LvsCluster (clusterFit.ts): LvsClusterArgs with hosts by name where it
 * takes connections, set only when the children LvsCluster plans from it are exactly the
 * resources of the program, so that writing it instead of them changes nothing.
 */
export interface ClusterResource {
  name: string;
  mode: "dr" | "nat" | "tun";
  /** A plain director: the VIP bound on `vipInterface`; never `interface`, which in dr would also get send_redirects=0 (the importer's Director has no `interfaces`). */
  director?: { host: string; vipInterface: string; expireConnections?: false };
  keepalivedPair?: Pick<PairResource["config"], "interface" | "virtualRouterId" | "advertInt" | "vrrpVersion" | "preemptDelay" | "hasPassword"> & {
    nodes: PairResource["nodes"];
    nopreempt?: true;
    unicast?: true;
  };
  vip: string;
  services: LvsClusterServiceArgs[];
  /** `host`: the real server's connection, where LvsCluster takes one (dr/tun; nat with return routes). */
  realServers: Array<{ name: string; host?: string; address: string; weight: number; port?: number; interfaces?: string[]; overrides?: Record<string, { weight: number }> }>;
  nat?: { configureRealServerRoutes: boolean; gateway?: string };
}

export interface ImportedProgram {
  hosts: ProgramHost[];
  pair?: PairResource;
  directors: DirectorResource[];
  arpConfigs: ArpConfigResource[];
  returnRoutes: ReturnRouteResource[];
  services: ServiceResource[];
  realServers: RealServerResource[];
  warnings: string[];
  /** Set when the resources above are written as this one LvsCluster; otherwise they are written one by one. */
  cluster?: ClusterResource;
}

const identifier = (text: string) => {
  const id = text.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[a-z]/.test(id) ? id : `h_${id}`;
};

const serviceLabel = (key: ServiceKey) => (key.kind === "fwmark" ? `fwmark-${key.fwmark}` : `${key.protocol}-${key.address.replace(/[.:]/g, "-")}-${key.port}`);
const sameKey = (a: ServiceKey, b: ServiceKey) => serviceKeyString(a) === serviceKeyString(b);
/** A RealServer's resource name: its service's, then the destination. */
const realServerName = (service: string, d: Pick<IpvsDestination, "address" | "port">) => `${service}-${d.address.replace(/[.:]/g, "-")}-${d.port}`;

/** `root@10.0.0.1:22`, `root@[fd00::1]:22`: how the importer names a host it reads. */
export const hostLabel = (t: HostTarget) => `${t.user}@${formatHostPort(t.host, t.port)}`;

/** Hosts named after their hostnames, made unique, in the order given. */
function programHosts(read: readonly ReadHost[]): ProgramHost[] {
  const used = new Set<string>();
  return read.map(({ target, snapshot }) => {
    let name = identifier(snapshot.hostname);
    for (let n = 2; used.has(name); n++) name = `${identifier(snapshot.hostname)}_${n}`;
    used.add(name);
    return { name, target, ...(snapshot.hostKey ? { hostKey: snapshot.hostKey } : {}) };
  });
}

/** The fields both nodes of a pair must agree on, for the warnings when they do not. */
const SHARED_FIELDS = ["instanceName", "interface", "virtualRouterId", "advertInt", "vrrpVersion", "vips", "nopreempt", "preemptDelay", "unicast", "trackInterfaces", "trackScripts", "notify", "garp", "lvsSyncDaemon", "extraInstanceConfig"] as const;

function importPair(directors: readonly ReadHost[], hosts: readonly ProgramHost[], instances: Array<NodeConfig | undefined>, warnings: string[]): PairResource | undefined {
  const withInstance = instances.filter((i): i is NodeConfig => i !== undefined);
  if (withInstance.length === 0) return undefined;
  if (directors.length !== 2 || withInstance.length !== 2) {
    warnings.push(
      `keepalived runs a VRRP instance on ${withInstance.length} of the ${directors.length} director(s) named: a KeepalivedPair needs both nodes; name the two directors of the pair (--director twice). The instance is not in the program.`,
    );
    return undefined;
  }
  const [a, b] = withInstance as [NodeConfig, NodeConfig];
  for (const field of SHARED_FIELDS) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field]))
      warnings.push(`the two nodes' keepalived.conf differ in ${field} (${hosts[0]!.name}: ${JSON.stringify(a[field])}, ${hosts[1]!.name}: ${JSON.stringify(b[field])}): the program takes ${hosts[0]!.name}'s`);
  }
  if ((a.auth?.password ?? "") !== (b.auth?.password ?? "")) warnings.push("the two nodes' VRRP passwords differ: the program asks for one (config vrrpPassword)");
  for (const s of directors.map((d) => d.snapshot)) if (!s.keepalived.active) warnings.push(`keepalived is not running on ${s.hostname}: adopting starts it`);
  // The guides copy one keepalived.conf, router_id included (keepalived's sample has
  // LVS_DEVEL), onto both nodes. A KeepalivedPair gives each node its own: the second keeps
  // the pair's default. router_id names the node in keepalived's mail and SNMP; VRRP and
  // IPVS do not use it.
  const sameRouterId = a.node.routerId === b.node.routerId;
  if (sameRouterId)
    warnings.push(
      `both nodes have router_id ${a.node.routerId}: a KeepalivedPair gives each node its own, so ${hosts[1]!.name}'s becomes ${a.instanceName}-node2 (router_id names the node in keepalived's mail and SNMP; VRRP and IPVS do not use it)`,
    );
  const { node: _node, unicastPeers: _peers, auth, ...config } = a;
  return {
    name: identifier(a.instanceName),
    nodes: [a, b].map((c, i) => ({
      host: hosts[i]!.name,
      priority: c.node.priority,
      state: c.node.state,
      ...(i === 1 && sameRouterId ? {} : { routerId: c.node.routerId }),
      ...(c.node.unicastSrcIp !== undefined ? { unicastSrcIp: c.node.unicastSrcIp } : {}),
    })),
    config: { ...config, hasPassword: auth !== undefined },
  };
}

/** Both directors' keepalived virtual servers must agree; the program takes the first's. */
function agreedVirtualServers(perNode: ImportedVirtualServer[][], hosts: readonly ProgramHost[], warnings: string[]): ImportedVirtualServer[] {
  const [first = [], ...others] = perNode;
  others.forEach((other, i) => {
    if (JSON.stringify(other) !== JSON.stringify(first)) warnings.push(`${hosts[i + 1]!.name}'s keepalived virtual servers differ from ${hosts[0]!.name}'s: the program takes ${hosts[0]!.name}'s`);
  });
  return first;
}

/** Snapshots of the directors (one, or the two of a pair) and real servers → the program. */
export function importProgram(directors: readonly ReadHost[], realServers: readonly ReadHost[]): ImportedProgram {
  if (directors.length === 0 || directors.length > 2) throw new ImportModelError(`name one director, or the two of a keepalived pair (got ${directors.length})`);
  const warnings: string[] = [];
  const hosts = programHosts([...directors, ...realServers]);
  const directorHosts = hosts.slice(0, directors.length);
  const keepalived = directors.map((d) => importKeepalived(d.snapshot.keepalived.files));
  // The same keepalived.conf copied onto both nodes draws the same warnings: each once, naming both.
  const keepalivedWarnings = new Map<string, string[]>();
  keepalived.forEach((k, i) => k.warnings.forEach((w) => keepalivedWarnings.set(w, [...(keepalivedWarnings.get(w) ?? []), directorHosts[i]!.name])));
  for (const [w, names] of keepalivedWarnings) warnings.push(`${names.join(", ")}: ${w}`);
  const pair = importPair(directors, directorHosts, keepalived.map((k) => k.instance), warnings);

  const services: ServiceResource[] = [];
  const realServerResources: RealServerResource[] = [];
  const managed = pair ? agreedVirtualServers(keepalived.map((k) => k.virtualServers), directorHosts, warnings) : [];
  if (!pair && keepalived.some((k) => k.virtualServers.length > 0))
    warnings.push("keepalived.conf declares virtual servers but no VRRP pair was adopted: they are not in the program (keepalived keeps managing them)");
  for (const vs of managed) {
    const name = `${pair!.name}-${serviceLabel(vs.service.key)}`;
    services.push({ name, on: { pair: pair!.name }, service: vs.service, options: vs.options });
    for (const rs of vs.realServers) realServerResources.push({ name: realServerName(name, rs.destination), service: name, destination: rs.destination, options: rs.options });
  }

  // The IPVS entries keepalived did not declare: made by hand.
  directors.forEach((d, i) => {
    const table = d.snapshot.ipvs;
    const host = directorHosts[i]!;
    if (!table) {
      if (!pair) warnings.push(`${host.name}: the ip_vs module is not loaded, so it has no IPVS table to adopt`);
      return;
    }
    for (const service of table.services) {
      const byKeepalived = managed.find((vs) => sameKey(vs.service.key, service.key));
      const destinations = table.destinations.filter((dst) => sameKey(dst.service, service.key));
      if (byKeepalived) {
        const declared = new Set(byKeepalived.realServers.map((r) => `${r.destination.address}:${r.destination.port}`));
        for (const dst of destinations.filter((x) => !declared.has(`${x.address}:${x.port}`)))
          warnings.push(`${host.name}: ${serviceLabel(service.key)} mixes keepalived's real servers with ${dst.address}:${dst.port}, added by hand: keepalived would remove it on its next reload, so it is not in the program`);
        continue;
      }
      if (pair) {
        warnings.push(`${host.name}: ${serviceLabel(service.key)} was made by hand on a keepalived node: keepalived owns this table, so it is not in the program (declare it on the pair to keep it)`);
        continue;
      }
      const name = `${host.name}-${serviceLabel(service.key)}`;
      services.push({ name, on: { host: host.name }, service, options: {} });
      for (const dst of destinations) realServerResources.push({ name: realServerName(name, dst), service: name, destination: dst, options: {} });
    }
  });

  // Host preparation made by hand: adopted where a resource can take it over unchanged.
  const vips = new Set([...services.map((s) => (s.service.key.kind === "address" ? s.service.key.address : "")), ...(pair?.config.vips.map((v) => v.address) ?? [])].filter((v) => v !== ""));
  const directorResources: DirectorResource[] = [];
  const pairMode = pair ? pairForwarding(managed, warnings) : undefined;
  directors.forEach((d, i) => {
    const host = directorHosts[i]!;
    const director = pair ? importPairNodeDirector(d.snapshot, host, pairMode, warnings) : importDirector(d.snapshot, host, services, vips, warnings);
    if (director) directorResources.push(director);
  });
  const arpConfigs: ArpConfigResource[] = [];
  const returnRoutes: ReturnRouteResource[] = [];
  const realServerHosts = hosts.slice(directors.length);
  realServers.forEach((r, i) => {
    const host = realServerHosts[i]!;
    const arp = importArpConfig(r.snapshot, host, vips, warnings);
    if (arp) arpConfigs.push(arp);
    const { routes, unexpressed } = importReturnRoutes(r.snapshot, host);
    returnRoutes.push(...routes);
    if (unexpressed.length > 0) warnings.push(`${host.name}: policy routing rules (${unexpressed.join("; ")}) are left as they are, not in the program`);
  });
  const used = new Set([...directorHosts.map((h) => h.name), ...arpConfigs.map((a) => a.host), ...returnRoutes.map((r) => r.host)]);
  const program = { hosts: hosts.filter((h) => used.has(h.name)), ...(pair ? { pair } : {}), directors: directorResources, arpConfigs, returnRoutes, services, realServers: realServerResources, warnings };
  // Which real server host has which address: LvsCluster names its real servers after them.
  const fit = fitLvsCluster(program, realServers.map((r, i) => ({ host: realServerHosts[i]!.name, addresses: r.snapshot.addresses.map((a) => a.address) })));
  return "cluster" in fit ? { ...program, cluster: fit.cluster } : program;
}

/** The drain settings a Director leaves as they are unless the host has both at 1. */
function hostExpiresConnections(sysctls: HostSnapshot["sysctls"]): boolean {
  return sysctls["net.ipv4.vs.expire_nodest_conn"] === "1" && sysctls["net.ipv4.vs.expire_quiescent_template"] === "1";
}

/** What a Director of this mode would change on the host, as `name = value` lines. */
function directorChanges(sysctls: HostSnapshot["sysctls"], mode: DirectorResource["mode"], expireConnections: boolean): string[] {
  return Object.entries(desiredSysctls({ mode, interfaces: [], ipv6Forwarding: false, expireConnections }))
    .filter(([name, value]) => sysctls[name] !== value)
    .map(([name, value]) => `${name} = ${value}`);
}

/** The one forwarding method of a pair's keepalived real servers, if they agree on one. */
function pairForwarding(managed: readonly ImportedVirtualServer[], warnings: string[]): DirectorResource["mode"] | undefined {
  const modes = [...new Set(managed.flatMap((vs) => vs.realServers.map((rs) => rs.destination.forwarding)))];
  if (modes.length > 1) warnings.push(`the pair's real servers use several forwarding methods (${modes.join(", ")}), so no Director is declared for its nodes: their sysctls are left as they are`);
  return modes.length === 1 ? modes[0] : undefined;
}

/**
 * A pair node's Director, as LvsCluster gives each node of a pair: no VIP (keepalived holds
 * it), the mode's sysctls. Declared only when its first `up` would change nothing on the
 * host; otherwise a warning says what it would set, and the sysctls are left as they are.
 */
function importPairNodeDirector(snapshot: HostSnapshot, host: ProgramHost, mode: DirectorResource["mode"] | undefined, warnings: string[]): DirectorResource | undefined {
  if (mode === undefined) return undefined;
  const expireConnections = hostExpiresConnections(snapshot.sysctls);
  const changes = directorChanges(snapshot.sysctls, mode, expireConnections);
  if (changes.length > 0) {
    warnings.push(
      `${host.name}: no Director is declared for this pair node, so its sysctls are left as they are: a ${mode} Director's first \`up\` would set ${changes.join(", ")} (declare one to have pulumi-lvs hold them)`,
    );
    return undefined;
  }
  return { name: `${host.name}-director`, host: host.name, mode, vips: [], expireConnections };
}

/**
 * A plain director's Director: mode from its real servers' forwarding (one mode only), the
 * VIPs of its services as bound, the drain settings left as they are unless both are 1.
 * What the first `up` would still change (the mode's own sysctls) is a warning.
 */
function importDirector(snapshot: HostSnapshot, host: ProgramHost, services: readonly ServiceResource[], vips: ReadonlySet<string>, warnings: string[]): DirectorResource | undefined {
  const own = services.filter((s) => "host" in s.on && s.on.host === host.name);
  const modes = [...new Set(snapshot.ipvs?.destinations.filter((d) => own.some((s) => sameKey(s.service.key, d.service))).map((d) => d.forwarding) ?? [])];
  const bound = snapshot.addresses.filter((a) => vips.has(a.address) && a.interface !== "lo");
  if (modes.length !== 1 || modes[0] === undefined) {
    if (bound.length > 0 || modes.length > 1)
      warnings.push(`${host.name}: its real servers use ${modes.length > 1 ? `several forwarding methods (${modes.join(", ")})` : "no forwarding method"}, so no Director is declared: its VIPs and sysctls are left as they are`);
    return undefined;
  }
  const mode = modes[0];
  const expireConnections = hostExpiresConnections(snapshot.sysctls);
  // What the Director will set, from its own model, against what the host has.
  const changes = directorChanges(snapshot.sysctls, mode, expireConnections);
  if (changes.length > 0) warnings.push(`${host.name}: the Director's first \`up\` sets ${changes.join(", ")} (a ${mode} director needs it; the host has it otherwise)`);
  return {
    name: `${host.name}-director`,
    host: host.name,
    mode,
    vips: bound.map((a) => ({ address: a.address, interface: a.interface, prefixLength: a.prefixLength })),
    expireConnections,
  };
}

/**
 * A NAT real server's return routes as the guides make them: a rule `from <RIP> lookup <T>`
 * whose table T holds only `default via <DIP>`. Any other policy rule (or a table with
 * more in it) is returned as text, for a warning.
 */
function importReturnRoutes(snapshot: HostSnapshot, host: ProgramHost): { routes: ReturnRouteResource[]; unexpressed: string[] } {
  const routes: ReturnRouteResource[] = [];
  const unexpressed: string[] = [];
  const routeLines = snapshot.routes.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  for (const line of snapshot.rules.split("\n").map((l) => l.trim())) {
    if (!/\blookup \S+/.test(line) || /lookup (main|local|default)\b/.test(line)) continue;
    const m = /^(\d+):\s+from (\d+\.\d+\.\d+\.\d+)(?:\/32)? lookup (\d+)$/.exec(line);
    const table = m ? Number(m[3]) : NaN;
    const inTable = m ? routeLines.filter((l) => new RegExp(`\\btable ${table}\\b`).test(l)) : [];
    const gateway = inTable.length === 1 ? /^default via (\d+\.\d+\.\d+\.\d+) /.exec(inTable[0]!)?.[1] : undefined;
    if (!m || gateway === undefined || table < 1 || table > 252 || Number(m[1]) < 1 || Number(m[1]) > 32765) {
      unexpressed.push(line);
      continue;
    }
    routes.push({ name: `${host.name}-return-route-t${table}`, host: host.name, sourceAddress: m[2]!, gateway, table, priority: Number(m[1]) });
  }
  return { routes, unexpressed };
}

const ARP_VALUES = { arp_ignore: "1", arp_announce: "2" } as const;

/**
 * A real server's RealServerArpConfig: the VIPs on lo (dr) or tunl0 (tun), and the ARP
 * settings on the interfaces that have them besides all and lo. What the first `up` would
 * still change (all's or lo's values) is a warning.
 */
function importArpConfig(snapshot: HostSnapshot, host: ProgramHost, vips: ReadonlySet<string>, warnings: string[]): ArpConfigResource | undefined {
  const onLoopback = snapshot.addresses.filter((a) => vips.has(a.address) && (a.interface === "lo" || a.interface === "tunl0"));
  if (onLoopback.length === 0) return undefined;
  const devices = [...new Set(onLoopback.map((a) => a.interface))];
  if (devices.length > 1) {
    warnings.push(`${host.name}: VIPs on both lo and tunl0 (${onLoopback.map((a) => `${a.address} on ${a.interface}`).join(", ")}): declare one RealServerArpConfig per mode; left as it is`);
    return undefined;
  }
  const mode = devices[0] === "tunl0" ? "tun" : "dr";
  const value = (iface: string, leaf: keyof typeof ARP_VALUES) => snapshot.sysctls[`net.ipv4.conf.${iface}.${leaf}`];
  const prepared = (iface: string) => value(iface, "arp_ignore") === "1" && value(iface, "arp_announce") === "2";
  const interfaces = [...new Set(Object.keys(snapshot.sysctls).map((k) => /^net\.ipv4\.conf\.([^.]+)\.arp_ignore$/.exec(k)?.[1]).filter((i): i is string => i !== undefined))]
    .filter((i) => !["all", "lo", "default", "tunl0"].includes(i) && prepared(i))
    .sort();
  const changes = ["all", "lo"].flatMap((i) => (Object.keys(ARP_VALUES) as (keyof typeof ARP_VALUES)[]).filter((leaf) => value(i, leaf) !== ARP_VALUES[leaf]).map((leaf) => `net.ipv4.conf.${i}.${leaf} = ${ARP_VALUES[leaf]}`));
  if (mode === "tun") warnings.push(`${host.name}: a tun real server's rp_filter settings are set by the RealServerArpConfig's first \`up\` if the host has them otherwise`);
  if (changes.length > 0) warnings.push(`${host.name}: the RealServerArpConfig's first \`up\` sets ${changes.join(", ")} (a ${mode} real server needs them; the host has them otherwise)`);
  return { name: `${host.name}-arp`, host: host.name, mode, vips: onLoopback.map((a) => a.address), interfaces };
}
