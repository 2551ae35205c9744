// The args each resource of the imported program is written with, as values: render.ts
// prints them as TypeScript, and clusterFit.ts compares them with the children LvsCluster
// would plan, so what is compared is exactly what is written. Pure.
//
// What a program can only know when it runs (a host's connection, a secret, another
// resource) is a `Code` marker: the TypeScript expression, written as is.

import type { ServiceKey } from "../provider/ipvs/model";
import type { ArpConfigResource, ClusterResource, DirectorResource, PairResource, RealServerResource, ReturnRouteResource, ServiceResource } from "./program";

/** A TypeScript expression written as is inside a literal. */
export class Code {
  constructor(readonly text: string) {}
}
export const code = (text: string) => new Code(text);

/** A resource's args as written: plain values and `Code` markers; undefined fields are left out. */
export type WrittenArgs = Record<string, unknown>;

/** The variable a resource is held in (`vi_1`, `dir1_tcp_10_77_0_160_80`). */
export const variable = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");
/** A host's connection, read from the stack's config by the program's `connection` helper. */
export const connectionOf = (host: string) => code(`connection(${JSON.stringify(host)})`);
/** The VRRP password: a secret the user sets; never written. */
const VRRP_PASSWORD = code('config.requireSecret("vrrpPassword")');

const keyFields = (key: ServiceKey) => (key.kind === "fwmark" ? { fwmark: key.fwmark, family: key.family } : { protocol: key.protocol, address: key.address, port: key.port });

export function pairArgs(p: PairResource): WrittenArgs {
  const c = p.config;
  return {
    nodes: p.nodes.map((n) => ({ connection: connectionOf(n.host), priority: n.priority, state: n.state, routerId: n.routerId, unicastSrcIp: n.unicastSrcIp })),
    instanceName: c.instanceName,
    interface: c.interface,
    virtualRouterId: c.virtualRouterId,
    advertInt: c.advertInt,
    vrrpVersion: c.vrrpVersion,
    vips: c.vips,
    auth: c.hasPassword ? { password: VRRP_PASSWORD } : undefined,
    nopreempt: c.nopreempt || undefined,
    preemptDelay: c.preemptDelay,
    unicast: c.unicast || undefined,
    trackInterfaces: c.trackInterfaces.length > 0 ? c.trackInterfaces : undefined,
    trackScripts: c.trackScripts.length > 0 ? c.trackScripts : undefined,
    notify: Object.keys(c.notify).length > 0 ? c.notify : undefined,
    garp: Object.keys(c.garp).length > 0 ? c.garp : undefined,
    lvsSyncDaemon: c.lvsSyncDaemon,
    extraGlobalDefs: c.extraGlobalDefs.length > 0 ? c.extraGlobalDefs : undefined,
    extraInstanceConfig: c.extraInstanceConfig.length > 0 ? c.extraInstanceConfig : undefined,
    adopt: true,
  };
}

export function serviceArgs(s: ServiceResource): WrittenArgs {
  const where = "pair" in s.on ? { keepalivedPair: code(variable(s.on.pair)) } : { connection: connectionOf(s.on.host) };
  const { service, options } = s;
  return {
    ...where,
    ...keyFields(service.key),
    scheduler: service.scheduler,
    schedulerFlags: service.schedulerFlags.length > 0 ? service.schedulerFlags : undefined,
    persistence: service.persistence,
    onePacket: service.onePacket || undefined,
    ...options,
    adopt: true,
  };
}

export function realServerArgs(r: RealServerResource): WrittenArgs {
  const d = r.destination;
  return {
    virtualService: code(variable(r.service)),
    address: d.address,
    port: d.port,
    forwarding: d.forwarding,
    weight: d.weight,
    upperThreshold: d.upperThreshold || undefined,
    lowerThreshold: d.lowerThreshold || undefined,
    tunnel: d.tunnel,
    ...r.options,
    adopt: true,
  };
}

export function directorArgs(d: DirectorResource): WrittenArgs {
  return {
    connection: connectionOf(d.host),
    mode: d.mode,
    ...(d.vips.length > 0 ? { vips: d.vips } : {}),
    // The host's drain settings are not both 1: leave them (true sets both, for RealServer drains).
    expireConnections: d.expireConnections ? undefined : false,
    adopt: true,
  };
}

export function arpConfigArgs(a: ArpConfigResource): WrittenArgs {
  return { connection: connectionOf(a.host), mode: a.mode, vips: a.vips, interfaces: a.interfaces, adopt: true };
}

export function returnRouteArgs(r: ReturnRouteResource): WrittenArgs {
  return { connection: connectionOf(r.host), sourceAddress: r.sourceAddress, gateway: r.gateway, table: r.table, priority: r.priority, adopt: true };
}

/** The LvsCluster's args (`LvsClusterArgs`, with `Code` for connections and the password). */
export function clusterArgs(c: ClusterResource): WrittenArgs {
  const p = c.keepalivedPair;
  return {
    mode: c.mode,
    director: c.director && { connection: connectionOf(c.director.host), vipInterface: c.director.vipInterface, expireConnections: c.director.expireConnections },
    keepalivedPair: p && {
      nodes: p.nodes.map((n) => ({ connection: connectionOf(n.host), priority: n.priority, state: n.state, routerId: n.routerId, unicastSrcIp: n.unicastSrcIp })),
      interface: p.interface,
      virtualRouterId: p.virtualRouterId,
      advertInt: p.advertInt,
      vrrpVersion: p.vrrpVersion,
      auth: p.hasPassword ? { password: VRRP_PASSWORD } : undefined,
      nopreempt: p.nopreempt,
      preemptDelay: p.preemptDelay,
      unicast: p.unicast,
    },
    vip: c.vip,
    services: c.services,
    realServers: c.realServers.map(({ name, host, ...rs }) => ({ name, connection: host === undefined ? undefined : connectionOf(host), ...rs })),
    nat: c.nat,
    adopt: true,
  };
}
