// Pure planning for LvsCluster: which children it has, their names and their arguments.
// lvsCluster.ts only turns this plan into resources, so everything here is testable
// without Pulumi's runtime.

import type { DirectorArgs } from "../../provider/director/director";
import type { KeepalivedPairArgs } from "../../provider/keepalived/keepalivedPair";
import type { RealServerReturnRouteArgs } from "../../provider/nat/realServerReturnRoute";
import type { RealServerArpConfigArgs } from "../../provider/arp/realServerArpConfig";
import type { RealServerArgs } from "../../provider/service/realServer";
import type { VirtualServiceArgs } from "../../provider/service/virtualService";
import { DEFAULT_SYNC_REFRESH_SECONDS } from "../../provider/director/model";
import { serviceLabel, syncPreemptDelay, type LvsClusterArgs, type LvsClusterServiceArgs } from "./args";

/** `tcp-80`: a service's part of child names. */
export function serviceSlug(service: Pick<LvsClusterServiceArgs, "protocol" | "port">): string {
  return `${service.protocol ?? "tcp"}-${service.port}`;
}

export const childNames = {
  director: (cluster: string) => `${cluster}-director`,
  pair: (cluster: string) => `${cluster}-pair`,
  /** A pair's directors still need the mode's sysctls (forwarding, redirects). */
  pairNodeDirector: (cluster: string, index: number) => `${cluster}-director-node${index + 1}`,
  /** `ipv6`: the service on the dual-stack cluster's IPv6 VIP (`vip6`). */
  virtualService: (cluster: string, service: LvsClusterServiceArgs, ipv6 = false) => `${cluster}-vs-${serviceSlug(service)}${ipv6 ? "-ipv6" : ""}`,
  realServer: (cluster: string, realServer: string, service: LvsClusterServiceArgs, ipv6 = false) => `${cluster}-${realServer}-${serviceSlug(service)}${ipv6 ? "-ipv6" : ""}`,
  arpConfig: (cluster: string, realServer: string) => `${cluster}-${realServer}-arp`,
  returnRoute: (cluster: string, realServer: string) => `${cluster}-${realServer}-return-route`,
};

/** The VirtualService arguments except where it runs (connection or pair), added by the component. */
export type PlannedServiceArgs = Omit<VirtualServiceArgs, "connection" | "keepalivedPair">;

export interface LvsClusterPlan {
  directors: Array<{ name: string; args: DirectorArgs }>;
  pair?: { name: string; args: KeepalivedPairArgs };
  services: Array<{ label: string; name: string; args: PlannedServiceArgs }>;
  /** `service` is the label of the VirtualService it belongs to. */
  realServers: Array<{ name: string; realServer: string; service: string; args: Omit<RealServerArgs, "virtualService"> }>;
  arpConfigs: Array<{ name: string; realServer: string; args: RealServerArpConfigArgs }>;
  /** nat with configureRealServerRoutes: one per real server. */
  returnRoutes: Array<{ name: string; realServer: string; args: RealServerReturnRouteArgs }>;
}

/** Children of a cluster whose arguments have passed validateLvsClusterArgs. */
export function planLvsCluster(name: string, args: LvsClusterArgs): LvsClusterPlan {
  const { mode, vip, vip6 } = args;
  // Adoption is all or nothing: every child takes over what is on the hosts.
  const adopt = args.adopt ? { adopt: true } : {};
  const directors: LvsClusterPlan["directors"] = [];
  let pair: LvsClusterPlan["pair"];

  if (args.director) {
    const d = args.director;
    const vipInterface = (d.vipInterface ?? d.interface) as string;
    directors.push({
      name: childNames.director(name),
      args: {
        connection: d.connection,
        mode,
        ...(mode === "dr" && d.interface ? { interfaces: [d.interface] } : {}),
        vip: { address: vip, interface: vipInterface },
        ...(vip6 !== undefined ? { vips: [{ address: vip6, interface: vipInterface }] } : {}),
        // nat: the director routes the real servers' IPv6 replies too.
        ...(vip6 !== undefined && mode === "nat" ? { ipv6Forwarding: true } : {}),
        ...(d.expireConnections !== undefined ? { expireConnections: d.expireConnections } : {}),
        ...adopt,
      },
    });
  } else if (args.keepalivedPair) {
    const p = args.keepalivedPair;
    const sync = p.connectionSync;
    const refreshSeconds = sync?.refreshSeconds ?? DEFAULT_SYNC_REFRESH_SECONDS;
    const preemptDelay = p.preemptDelay ?? (sync && !p.nopreempt && !p.nodes.some((n) => n.state === "MASTER") ? syncPreemptDelay(refreshSeconds) : undefined);
    pair = {
      name: childNames.pair(name),
      args: {
        nodes: [p.nodes[0], p.nodes[1]],
        interface: p.interface,
        virtualRouterId: p.virtualRouterId,
        vips: [vip],
        ...(p.advertInt !== undefined ? { advertInt: p.advertInt } : {}),
        ...(p.vrrpVersion !== undefined ? { vrrpVersion: p.vrrpVersion } : {}),
        ...(p.auth !== undefined ? { auth: p.auth } : {}),
        ...(p.nopreempt !== undefined ? { nopreempt: p.nopreempt } : {}),
        ...(preemptDelay !== undefined ? { preemptDelay } : {}),
        ...(p.unicast !== undefined ? { unicast: p.unicast } : {}),
        ...(sync ? { lvsSyncDaemon: { interface: sync.interface ?? p.interface, ...(sync.syncId !== undefined ? { syncId: sync.syncId } : {}) } } : {}),
        ...adopt,
      },
    };
    // keepalived owns the VIP; the Directors only set the sysctls the mode needs, so a
    // NAT pair forwards and a DR pair sends no redirects, whichever node is MASTER.
    p.nodes.forEach((node, i) =>
      directors.push({
        name: childNames.pairNodeDirector(name, i),
        args: {
          connection: node.connection,
          mode,
          ...(mode === "dr" ? { interfaces: [p.interface] } : {}),
          ...(sync ? { connectionSync: { refreshSeconds } } : {}),
          ...adopt,
        },
      }),
    );
  }

  // One VirtualService per service and VIP: the IPv4 one under the names a single-VIP
  // cluster has always had, the dual stack's IPv6 one beside it (`-ipv6`, label `tcp/80/ipv6`).
  const families = [{ ipv6: false, address: vip }, ...(vip6 !== undefined ? [{ ipv6: true, address: vip6 }] : [])];
  const services = families.flatMap(({ ipv6, address }) =>
    args.services.map((s) => ({
      label: `${serviceLabel(s)}${ipv6 ? "/ipv6" : ""}`,
      name: childNames.virtualService(name, s, ipv6),
      args: {
        protocol: s.protocol ?? "tcp",
        address,
        port: s.port,
        ...(s.scheduler !== undefined ? { scheduler: s.scheduler } : {}),
        ...(s.persistence !== undefined ? { persistence: s.persistence } : {}),
        ...(s.delayLoop !== undefined ? { delayLoop: s.delayLoop } : {}),
        ...adopt,
      } satisfies PlannedServiceArgs,
    })),
  );

  const realServers: LvsClusterPlan["realServers"] = [];
  for (const { ipv6 } of families) {
    for (const s of args.services) {
      for (const rs of args.realServers) {
        const weight = rs.overrides?.[serviceLabel(s)]?.weight ?? rs.weight;
        realServers.push({
          name: childNames.realServer(name, rs.name, s, ipv6),
          realServer: rs.name,
          service: `${serviceLabel(s)}${ipv6 ? "/ipv6" : ""}`,
          args: {
            address: ipv6 ? rs.address6! : rs.address, // validateLvsClusterArgs requires address6 with vip6
            port: mode === "nat" ? (rs.port ?? s.port) : s.port,
            forwarding: mode,
            ...(weight !== undefined ? { weight } : {}),
            ...(s.healthCheck !== undefined ? { healthCheck: s.healthCheck } : {}),
            ...adopt,
          },
        });
      }
    }
  }

  // In nat the real servers need no VIP and no ARP changes: the director rewrites addresses.
  const arpConfigs: LvsClusterPlan["arpConfigs"] =
    mode === "nat"
      ? []
      : args.realServers.map((rs) => ({
          name: childNames.arpConfig(name, rs.name),
          realServer: rs.name,
          args: {
            connection: rs.connection!, // validateLvsClusterArgs requires it in dr and tun
            vips: vip6 !== undefined ? [vip, vip6] : [vip],
            mode,
            ...(rs.interfaces !== undefined ? { interfaces: [...rs.interfaces] } : {}),
            ...adopt,
          },
        }));

  const returnRoutes: LvsClusterPlan["returnRoutes"] =
    mode === "nat" && args.nat?.configureRealServerRoutes === true
      ? args.realServers.map((rs) => ({
          name: childNames.returnRoute(name, rs.name),
          realServer: rs.name,
          args: { connection: rs.connection!, sourceAddress: rs.address, gateway: args.nat!.gateway!, ...adopt },
        }))
      : [];

  return { directors, pair, services, realServers, arpConfigs, returnRoutes };
}
