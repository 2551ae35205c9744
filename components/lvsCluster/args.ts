// LvsCluster's arguments: the user-facing types (Pulumi inputs where a value may come from
// another resource, such as a VM's address or generated key) and the zod schema that checks
// them before any child resource exists.
//
// The shape of the cluster (mode, which director kind, service and real-server names,
// ports, protocols) must be plain values: child resource names are derived from it, and
// Pulumi needs names at construction time. Connections, addresses and the VIP may be
// outputs; the resources that receive them check them again when their values are known.

import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { SshConnectionArgs } from "../../provider/resource/connectionArgs";
import type { KeepalivedNodeArgs } from "../../provider/keepalived/keepalivedPair";
import type { HealthCheck } from "../../provider/keepalived/serviceModel";
import { HEALTH_CHECK_TYPES } from "../../provider/keepalived/serviceModel";
import { ALL_SCHEDULERS, IPVS_PROTOCOLS, type IpvsProtocol, type Scheduler } from "../../provider/ipvs/model";
import { DEFAULT_SYNC_REFRESH_SECONDS } from "../../provider/director/model";

/** How the director forwards to the real servers. */
export const CLUSTER_MODES = ["dr", "nat", "tun"] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

export interface LvsClusterDirectorArgs {
  readonly connection: pulumi.Input<SshConnectionArgs>;
  /** The director's interface towards the real servers (dr: also gets send_redirects=0). */
  readonly interface?: string;
  /** Where the VIP is bound (default: `interface`). */
  readonly vipInterface?: string;
  /**
   * The Director's `expireConnections` (default true: both drain settings at 1). false leaves
   * them as the host has them, as `pulumi-lvs import` writes for a director built by hand.
   */
  readonly expireConnections?: boolean;
}

export interface LvsClusterKeepalivedPairArgs {
  readonly nodes: readonly [KeepalivedNodeArgs, KeepalivedNodeArgs];
  /** The interface VRRP runs on and the VIP is bound on. */
  readonly interface: string;
  /** 1..255, unique on the segment. */
  readonly virtualRouterId: number;
  /** Seconds between adverts (see KeepalivedPair: fractions need `vrrpVersion: 3`). */
  readonly advertInt?: number;
  readonly vrrpVersion?: 2 | 3;
  readonly auth?: pulumi.Input<{ type?: pulumi.Input<"PASS">; password: pulumi.Input<string> }>;
  readonly nopreempt?: boolean;
  /**
   * Seconds a node that comes back waits before it takes the VIP back (keepalived's
   * `preempt_delay`). Default with `connectionSync`: 30, time to learn the live connections.
   */
  readonly preemptDelay?: number;
  readonly unicast?: boolean;
  /**
   * Long-lived connections survive a failover and the MASTER's return: keepalived runs the
   * kernel's sync daemons (`lvs_sync_daemon` on `interface`, default the VRRP interface), and
   * both directors re-send every live connection once per `refreshSeconds` (default 5).
   */
  readonly connectionSync?: { readonly interface?: string; readonly syncId?: number; readonly refreshSeconds?: number };
}

export interface LvsClusterServiceArgs {
  /** tcp (default), udp or sctp. */
  readonly protocol?: IpvsProtocol;
  readonly port: number;
  /** Default wlc, as ipvsadm. */
  readonly scheduler?: Scheduler;
  readonly persistence?: { readonly timeoutSeconds: number; readonly netmask?: string };
  /** keepalivedPair only: the check keepalived runs against every real server of this service. */
  readonly healthCheck?: HealthCheck;
  /** keepalivedPair only: seconds between health checks. */
  readonly delayLoop?: number;
}

export interface LvsClusterRealServerArgs {
  /** Short name used in child resource names (`<cluster>-<name>-tcp-80`). */
  readonly name: string;
  /** SSH to the real server (dr/tun: for its ARP/VIP preparation; unused in nat). */
  readonly connection?: pulumi.Input<SshConnectionArgs>;
  /** The address the director forwards to (RIP), of the family of `vip`. */
  readonly address: pulumi.Input<string>;
  /** With `vip6` (dual stack): the real server's IPv6 address, where the IPv6 VIP's services forward. */
  readonly address6?: pulumi.Input<string>;
  /** Default 1. */
  readonly weight?: number;
  /** nat only: the port on the real server (default: the service port). */
  readonly port?: number;
  /** dr/tun: interfaces that get arp_ignore/arp_announce (default: the default route's). */
  readonly interfaces?: readonly string[];
  /** Per-service weight, keyed `<protocol>/<port>` (e.g. `"tcp/443": { weight: 0 }`). */
  readonly overrides?: Readonly<Record<string, { readonly weight: number }>>;
}

export interface LvsClusterArgs {
  readonly mode: ClusterMode;
  /** A plain director. Exactly one of director / keepalivedPair. */
  readonly director?: LvsClusterDirectorArgs;
  /** Two directors sharing the VIP with VRRP. Exactly one of director / keepalivedPair. */
  readonly keepalivedPair?: LvsClusterKeepalivedPairArgs;
  readonly vip: pulumi.Input<string>;
  /**
   * Dual stack: an IPv6 VIP served beside the IPv4 `vip`, with the same services, forwarding
   * to each real server's `address6`. A plain director in dr or nat mode (keepalived runs
   * one address family per VRRP instance).
   */
  readonly vip6?: pulumi.Input<string>;
  readonly services: readonly LvsClusterServiceArgs[];
  readonly realServers: readonly LvsClusterRealServerArgs[];
  /**
   * nat only. In NAT the replies must go back through the director. Either let the cluster
   * route them (`configureRealServerRoutes: true` with the director's address on the real
   * servers' network as `gateway`: a RealServerReturnRoute per real server, source-based,
   * so a real server's other routes are untouched), or set `false` to confirm you did it.
   */
  readonly nat?: { readonly configureRealServerRoutes?: boolean; readonly gateway?: pulumi.Input<string> };
  /**
   * Passed as `adopt: true` to every child, so the first `up` takes over what is on the hosts
   * instead of creating it; what each child's `adopt` keeps is in its own section.
   */
  readonly adopt?: boolean;
}

/** A bad LvsCluster argument, found before any child resource was created. */
export class LvsClusterArgsError extends Error {
  constructor(
    readonly clusterName: string,
    readonly problems: ReadonlyArray<{ property: string; message: string }>,
  ) {
    super(
      `LvsCluster "${clusterName}" has invalid arguments (no resource was created):\n` +
        problems.map((p) => `  ${p.property}: ${p.message}`).join("\n"),
    );
    this.name = "LvsClusterArgsError";
  }
}

const present = (what: string) =>
  z.custom<unknown>((v) => v !== undefined && v !== null, { error: `is required (${what})` });

const port = z.int().min(1).max(65535);
const weight = z.int().min(0).max(65535);
const shortName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "must be lower-case letters, digits and inner dashes (it becomes part of resource names)");

const DirectorSchema = z.strictObject({
  connection: present("the director's SSH connection"),
  interface: z.string().min(1).optional(),
  vipInterface: z.string().min(1).optional(),
  expireConnections: z.boolean().optional(),
});

const NodeSchema = z.looseObject({ connection: present("the node's SSH connection"), priority: present("1..254") });

const PairSchema = z.strictObject({
  nodes: z.tuple([NodeSchema, NodeSchema], { error: "must list exactly two nodes" }),
  interface: z.string().min(1),
  virtualRouterId: z.int().min(1).max(255),
  advertInt: z.number().positive().optional(),
  vrrpVersion: z.union([z.literal(2), z.literal(3)]).optional(),
  auth: z.unknown().optional(),
  nopreempt: z.boolean().optional(),
  preemptDelay: z.int().min(0).max(1000).optional(),
  unicast: z.boolean().optional(),
  connectionSync: z.strictObject({ interface: z.string().min(1).optional(), syncId: z.int().min(0).max(255).optional(), refreshSeconds: z.int().min(1).max(3600).optional() }).optional(),
});

const ServiceSchema = z.strictObject({
  protocol: z.enum(IPVS_PROTOCOLS).optional(),
  port,
  scheduler: z.enum(ALL_SCHEDULERS).optional(),
  persistence: z.strictObject({ timeoutSeconds: z.int().positive(), netmask: z.string().optional() }).optional(),
  healthCheck: z.looseObject({ type: z.enum(HEALTH_CHECK_TYPES) }).optional(),
  delayLoop: z.int().positive().optional(),
});

const RealServerSchema = z.strictObject({
  name: shortName,
  connection: z.unknown().optional(),
  address: present("the real server's address (RIP)"),
  address6: z.unknown().optional(),
  weight: weight.optional(),
  port: port.optional(),
  interfaces: z.array(z.string().min(1)).optional(),
  overrides: z.record(z.string(), z.strictObject({ weight })).optional(),
});

/** @internal Exported for the README reference test; not part of the package's API. */
export const ArgsSchema = z.strictObject({
  mode: z.enum(CLUSTER_MODES),
  director: DirectorSchema.optional(),
  keepalivedPair: PairSchema.optional(),
  vip: present("the virtual IP clients connect to"),
  vip6: z.unknown().optional(),
  services: z.array(ServiceSchema).min(1, "must list at least one service"),
  realServers: z.array(RealServerSchema).min(1, "must list at least one real server"),
  nat: z.strictObject({ configureRealServerRoutes: z.boolean().optional(), gateway: z.unknown().optional() }).optional(),
  adopt: z.boolean().optional(),
});

/**
 * With connectionSync and preemption: how long a returning node waits before it takes the
 * VIP back, so that every connection carrying packets has been re-sent to it a few times
 * (30 s at the default refresh; keepalived takes at most 1000).
 */
export function syncPreemptDelay(refreshSeconds: number): number {
  return Math.min(1000, Math.max(30, 3 * refreshSeconds));
}

/** `tcp/80`: how a service is named in `overrides`. */
export function serviceLabel(service: Pick<LvsClusterServiceArgs, "protocol" | "port">): string {
  return `${service.protocol ?? "tcp"}/${service.port}`;
}

type Problem = { property: string; message: string };

/** The checks that span several properties, each with the fix in its message. */
function crossFieldProblems(args: LvsClusterArgs): Problem[] {
  const problems: Problem[] = [];
  const add = (property: string, message: string) => problems.push({ property, message });

  if (args.director && args.keepalivedPair) {
    add("director/keepalivedPair", "set exactly one: `director` for a single director, `keepalivedPair` for two directors with VRRP failover");
  } else if (!args.director && !args.keepalivedPair) {
    add("director/keepalivedPair", "set one of them: `director: { connection, interface }` or `keepalivedPair: { nodes, interface, virtualRouterId }`");
  }
  if (args.director && !args.director.interface && !args.director.vipInterface) {
    add("director.interface", "name the interface the VIP is bound on (e.g. `interface: \"eth1\"`), or set `director.vipInterface`");
  }

  const labels = new Set<string>();
  args.services.forEach((s, i) => {
    const label = serviceLabel(s);
    if (labels.has(label)) add(`services[${i}]`, `${label} is listed twice; each protocol/port pair may appear once`);
    labels.add(label);
    if (!args.keepalivedPair) {
      if (s.healthCheck) add(`services[${i}].healthCheck`, "health checks are run by keepalived: use `keepalivedPair` instead of `director`, or remove `healthCheck`");
      if (s.delayLoop !== undefined) add(`services[${i}].delayLoop`, "delayLoop is a keepalived setting: use `keepalivedPair`, or remove `delayLoop`");
    }
  });

  const pair = args.keepalivedPair;
  if (pair?.connectionSync && pair.preemptDelay !== undefined && !pair.nopreempt) {
    const refresh = pair.connectionSync.refreshSeconds ?? DEFAULT_SYNC_REFRESH_SECONDS;
    if (pair.preemptDelay < 2 * refresh)
      add(
        "keepalivedPair.preemptDelay",
        `is ${pair.preemptDelay} s, under twice connectionSync.refreshSeconds (${refresh} s): a node that comes back would take the VIP before the live connections are re-sent to it, and reset them; set it to at least ${2 * refresh} (or leave it out: ${syncPreemptDelay(refresh)})`,
      );
  }

  const dualStack = args.vip6 !== undefined && args.vip6 !== null;
  if (dualStack && args.keepalivedPair) add("vip6", "is not supported with a keepalivedPair: keepalived runs one address family per VRRP instance; use a second LvsCluster (or KeepalivedPair) for the IPv6 VIP");
  if (dualStack && args.mode === "tun") add("vip6", "is supported in dr and nat mode (an IPv6 tunnel to the real servers is not); use mode dr, or remove vip6");
  if (dualStack && args.nat?.configureRealServerRoutes === true) add("vip6", "cannot be combined with nat.configureRealServerRoutes (the return routes are IPv4); route the IPv6 replies yourself and set it to false");

  const names = new Set<string>();
  args.realServers.forEach((rs, i) => {
    const hasAddress6 = rs.address6 !== undefined && rs.address6 !== null;
    if (dualStack && !hasAddress6) add(`realServers[${i}].address6`, "is required with vip6: the real server's IPv6 address, where the IPv6 VIP's services forward");
    if (!dualStack && hasAddress6) add(`realServers[${i}].address6`, "only applies with vip6 (dual stack); set `vip6`, or remove it");
    if (names.has(rs.name)) add(`realServers[${i}].name`, `"${rs.name}" is used twice; real server names must be unique`);
    names.add(rs.name);
    for (const key of Object.keys(rs.overrides ?? {})) {
      if (!labels.has(key)) add(`realServers[${i}].overrides["${key}"]`, `no such service; use one of ${[...labels].join(", ")}`);
    }
    if (args.mode !== "nat" && rs.port !== undefined && args.services.some((s) => s.port !== rs.port)) {
      add(`realServers[${i}].port`, `in ${args.mode} mode the real server port must equal the service port; remove \`port\` (only nat can map ports)`);
    }
    if (args.mode !== "nat" && (rs.connection === undefined || rs.connection === null)) {
      add(`realServers[${i}].connection`, `in ${args.mode} mode each real server needs an SSH connection: the VIP is bound on it and its ARP replies are suppressed`);
    }
  });

  if (args.mode === "nat") {
    const configure = args.nat?.configureRealServerRoutes;
    if (configure === undefined) {
      add(
        "nat.configureRealServerRoutes",
        "in nat mode every real server's replies must go back through the director: set `nat: { configureRealServerRoutes: true, gateway: <the director's address on the real servers' network> }` to have the cluster route them, or `false` to confirm the director is already each real server's default gateway",
      );
    } else if (configure === true) {
      if (args.nat?.gateway === undefined)
        add("nat.gateway", "is required with configureRealServerRoutes: true: the director's address on the real servers' network, where their replies go");
      if (args.keepalivedPair !== undefined)
        add("nat.configureRealServerRoutes", "is not supported with a keepalivedPair yet (the gateway would have to float with the VIP); route the replies yourself and set it to false");
      args.realServers.forEach((rs, i) => {
        if (rs.connection === undefined || rs.connection === null)
          add(`realServers[${i}].connection`, "is required with nat.configureRealServerRoutes: true: the return route is set up on the real server over SSH");
      });
    } else if (args.nat?.gateway !== undefined) {
      add("nat.gateway", "only applies with configureRealServerRoutes: true; remove it");
    }
  } else if (args.nat !== undefined) {
    add("nat", `only meaningful in nat mode (mode is ${args.mode}); remove it`);
  }
  return problems;
}

/**
 * Check the arguments; throws an LvsClusterArgsError listing every problem, each with the
 * property and the fix. Pure: it creates nothing.
 */
export function validateLvsClusterArgs(name: string, args: LvsClusterArgs): void {
  const parsed = ArgsSchema.safeParse(args);
  if (!parsed.success) {
    throw new LvsClusterArgsError(
      name,
      parsed.error.issues.map((i) => ({ property: formatPath(i.path) || "(args)", message: i.message })),
    );
  }
  const problems = crossFieldProblems(args);
  if (problems.length > 0) throw new LvsClusterArgsError(name, problems);
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}
