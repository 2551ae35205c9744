// The keepalived model: plain data that render.ts turns into keepalived.conf text and
// parse.ts reads back from it. One KeepalivedPairConfig describes both nodes; a node's
// file is the pair's config seen from that node (its router_id, priority, state, and the
// other node as its unicast peer).

export const VRRP_STATES = ["MASTER", "BACKUP"] as const;
export type VrrpState = (typeof VRRP_STATES)[number];

/**
 * PASS only: keepalived refuses AH with a MASTER node (and AH was dropped from VRRP in RFC
 * 3768); IPv6 (VRRPv3) has no authentication at all.
 */
export const AUTH_TYPES = ["PASS"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface Vip {
  address: string;
  /** 32 / 128 when not given. */
  prefixLength: number;
  /** The interface the VIP goes on (default: the instance's interface). */
  dev?: string;
  /** An interface label (`eth1:vip`), IPv4 only. */
  label?: string;
}

export interface TrackInterface {
  name: string;
  /** Priority change while the interface is down; absent = the instance goes to FAULT. */
  weight?: number;
}

export interface TrackScript {
  /** vrrp_script name. */
  name: string;
  /** argv of the check; exit 0 = healthy. */
  command: string[];
  interval?: number;
  timeout?: number;
  weight?: number;
  rise?: number;
  fall?: number;
  /** Who runs the check (keepalived's `user <name> [group]`); root when absent. */
  user?: string;
  /** The user's group when absent. */
  group?: string;
}

export const NOTIFY_EVENTS = ["master", "backup", "fault", "stop", "deleted", "notify"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export type NotifyScripts = Partial<Record<NotifyEvent, string[]>>;

/** Gratuitous ARP options of the instance (keepalived's garp_* keywords). */
export interface GarpOptions {
  masterDelay?: number;
  masterRepeat?: number;
  masterRefresh?: number;
  masterRefreshRepeat?: number;
  lowerPrioDelay?: number;
  lowerPrioRepeat?: number;
}

export const GARP_KEYWORDS: Record<keyof GarpOptions, string> = {
  masterDelay: "garp_master_delay",
  masterRepeat: "garp_master_repeat",
  masterRefresh: "garp_master_refresh",
  masterRefreshRepeat: "garp_master_refresh_repeat",
  lowerPrioDelay: "garp_lower_prio_delay",
  lowerPrioRepeat: "garp_lower_prio_repeat",
};

export interface PairNode {
  /** global_defs router_id: distinct per node. */
  routerId: string;
  state: VrrpState;
  priority: number;
  /** This node's own address on the VRRP interface, for unicast mode. */
  unicastSrcIp?: string;
}

export interface LvsSyncDaemon {
  /** Interface the IPVS connection-sync daemon uses. */
  interface: string;
  syncId?: number;
}

/** Everything both nodes share, plus each node's own part. */
export interface KeepalivedPairConfig {
  instanceName: string;
  interface: string;
  virtualRouterId: number;
  /** Seconds between adverts: whole seconds in VRRPv2, hundredths in VRRPv3. */
  advertInt: number;
  /** 2 or 3; IPv6 VIPs always 3. A dead MASTER is replaced after about 3 × advertInt. */
  vrrpVersion: 2 | 3;
  vips: Vip[];
  auth?: { type: AuthType; password: string };
  nopreempt: boolean;
  preemptDelay?: number;
  unicast: boolean;
  trackInterfaces: TrackInterface[];
  trackScripts: TrackScript[];
  notify: NotifyScripts;
  garp: GarpOptions;
  lvsSyncDaemon?: LvsSyncDaemon;
  /** Free-form lines appended to global_defs / the vrrp_instance (checked by `keepalived -t`). */
  extraGlobalDefs: string[];
  extraInstanceConfig: string[];
  nodes: [PairNode, PairNode];
}

/** What one node's file says: the shared part and that node's own part. */
export interface NodeConfig extends Omit<KeepalivedPairConfig, "nodes"> {
  node: PairNode;
  /** The unicast peer(s) this node's file names. */
  unicastPeers: string[];
}

export function nodeView(pair: KeepalivedPairConfig, index: 0 | 1): NodeConfig {
  const { nodes, ...shared } = pair;
  const peer = nodes[index === 0 ? 1 : 0];
  return { ...shared, node: nodes[index], unicastPeers: pair.unicast && peer.unicastSrcIp ? [peer.unicastSrcIp] : [] };
}

/** Index of the node to apply to first: the BACKUP (lower priority), so the MASTER keeps serving. */
export function applyOrder(nodes: readonly { state: VrrpState; priority: number }[]): number[] {
  const indexes = nodes.map((_, i) => i);
  return indexes.sort((a, b) => {
    const rank = (i: number) => (nodes[i]!.state === "MASTER" ? 1 : 0);
    return rank(a) - rank(b) || nodes[a]!.priority - nodes[b]!.priority;
  });
}

/**
 * The order for an update of the pair itself: BACKUP first, except when the adverts get
 * more frequent. A BACKUP reloaded with the shorter interval first counts its
 * Master_Down_Interval from that interval until the next advert teaches it the MASTER's,
 * so it times out between the MASTER's slower adverts and takes the VIPs for a moment
 * (seen on the lab: VRRPv3 1 s → 0.1 s applied BACKUP first made dir2 MASTER and BACKUP
 * again). The MASTER first: the BACKUP, still on the longer interval, hears the faster
 * adverts, then gets the shorter interval itself.
 */
export function updateOrder(previous: { advertInt: number }, next: { advertInt: number; nodes: readonly { state: VrrpState; priority: number }[] }): number[] {
  const order = applyOrder(next.nodes);
  return next.advertInt < previous.advertInt ? [...order].reverse() : order;
}
