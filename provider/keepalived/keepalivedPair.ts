// The user-facing KeepalivedPair resource. Its implementation is keepalivedPairProvider,
// reached through the thin serialised provider.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "../dynamic/thinProvider";
import { secretConnection, withSecretConnection, type SshConnectionArgs } from "../resource/connectionArgs";
import type { AuthType, NotifyEvent, VrrpState } from "./model";

export interface KeepalivedNodeArgs {
  readonly connection: pulumi.Input<SshConnectionArgs>;
  /** 1..254; the higher one is the MASTER. */
  readonly priority: pulumi.Input<number>;
  /** Initial state; default: MASTER for the higher priority, BACKUP for the other (both BACKUP with nopreempt). */
  readonly state?: pulumi.Input<VrrpState>;
  /** global_defs router_id (default `<instanceName>-node1` / `-node2`). */
  readonly routerId?: pulumi.Input<string>;
  /** This node's own address on the VRRP interface (required with unicast). */
  readonly unicastSrcIp?: pulumi.Input<string>;
}

export interface KeepalivedVipArgs {
  address: pulumi.Input<string>;
  prefixLength?: pulumi.Input<number>;
  dev?: pulumi.Input<string>;
  label?: pulumi.Input<string>;
}

export interface KeepalivedPairArgs {
  /** The two directors. */
  readonly nodes: [KeepalivedNodeArgs, KeepalivedNodeArgs];
  /** vrrp_instance name (default VI_<virtualRouterId>). */
  readonly instanceName?: pulumi.Input<string>;
  /** The interface VRRP runs on (and the VIPs go on, unless a VIP names its dev). */
  readonly interface: pulumi.Input<string>;
  /** 1..255, unique on the segment. */
  readonly virtualRouterId: pulumi.Input<number>;
  /**
   * Seconds between adverts (default 1). Failover takes about 3 × advertInt. Whole seconds
   * 1..255 in VRRPv2; 0.01..40.95 in steps of 0.01 with `vrrpVersion: 3` (sub-second failover).
   */
  readonly advertInt?: pulumi.Input<number>;
  /** VRRP version, 2 or 3 (default 2 for IPv4 VIPs; IPv6 VIPs always use 3). VRRPv3 has no `auth`. */
  readonly vrrpVersion?: pulumi.Input<2 | 3>;
  readonly vips: pulumi.Input<pulumi.Input<string | KeepalivedVipArgs>[]>;
  /** VRRP authentication; the password (≤ 8 characters) is stored as a secret. */
  readonly auth?: pulumi.Input<{ type?: pulumi.Input<AuthType>; password: pulumi.Input<string> }>;
  /** The MASTER does not take the VIPs back when it returns. */
  readonly nopreempt?: pulumi.Input<boolean>;
  /** Seconds a returning MASTER waits before taking the VIPs back. */
  readonly preemptDelay?: pulumi.Input<number>;
  /** Unicast adverts between the nodes' unicastSrcIp (networks without multicast). */
  readonly unicast?: pulumi.Input<boolean>;
  readonly trackInterfaces?: pulumi.Input<pulumi.Input<string | { name: pulumi.Input<string>; weight?: pulumi.Input<number> }>[]>;
  readonly trackScripts?: pulumi.Input<
    pulumi.Input<{
      name: pulumi.Input<string>;
      command: pulumi.Input<pulumi.Input<string>[]>;
      interval?: pulumi.Input<number>;
      timeout?: pulumi.Input<number>;
      weight?: pulumi.Input<number>;
      rise?: pulumi.Input<number>;
      fall?: pulumi.Input<number>;
      /** Who runs the check (default root); must exist on both nodes. */
      user?: pulumi.Input<string>;
      /** Default: the user's own group. */
      group?: pulumi.Input<string>;
    }>[]
  >;
  /** Scripts (argv) run on state changes. */
  readonly notify?: pulumi.Input<Partial<Record<NotifyEvent, pulumi.Input<pulumi.Input<string>[]>>>>;
  /** Gratuitous ARP options (garp_master_delay, …). */
  readonly garp?: pulumi.Input<{
    masterDelay?: pulumi.Input<number>;
    masterRepeat?: pulumi.Input<number>;
    masterRefresh?: pulumi.Input<number>;
    masterRefreshRepeat?: pulumi.Input<number>;
    lowerPrioDelay?: pulumi.Input<number>;
    lowerPrioRepeat?: pulumi.Input<number>;
  }>;
  /** IPVS connection synchronisation between the directors. */
  readonly lvsSyncDaemon?: pulumi.Input<{ interface: pulumi.Input<string>; syncId?: pulumi.Input<number> }>;
  /** Free-form global_defs lines (checked by `keepalived -t` before anything is swapped in). */
  readonly extraGlobalDefs?: pulumi.Input<pulumi.Input<string>[]>;
  /** Free-form vrrp_instance lines (checked by `keepalived -t` before anything is swapped in). */
  readonly extraInstanceConfig?: pulumi.Input<pulumi.Input<string>[]>;
  /** Take over a keepalived.conf pulumi-lvs did not write (kept aside and restored on delete). */
  readonly adopt?: pulumi.Input<boolean>;
}

/** What VirtualService / RealServer receive from a pair: its instance and nodes. */
export interface KeepalivedPairTarget {
  instanceName: string;
  nodes: Array<{ connection: SshConnectionArgs; state: VrrpState; priority: number }>;
}

export class KeepalivedPair extends pulumi.dynamic.Resource {
  declare readonly instanceName: pulumi.Output<string>;
  declare readonly interface: pulumi.Output<string>;
  declare readonly virtualRouterId: pulumi.Output<number>;
  declare readonly vips: pulumi.Output<Array<{ address: string; prefixLength: number; dev?: string; label?: string }>>;
  declare readonly nodes: pulumi.Output<Array<{ connection: SshConnectionArgs; state: VrrpState; priority: number; routerId: string; unicastSrcIp?: string }>>;
  declare readonly hostKeyFingerprints: pulumi.Output<string[]>;
  /** Passed to VirtualService / RealServer (`keepalivedPair: pair`); secret: it holds the connections. */
  declare readonly target: pulumi.Output<KeepalivedPairTarget>;

  constructor(name: string, args: KeepalivedPairArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("KeepalivedPair"),
      name,
      { ...args, nodes: args.nodes.map((n) => ({ ...n, connection: secretConnection(n.connection) })), auth: args.auth === undefined ? undefined : pulumi.secret(args.auth), hostKeyFingerprints: undefined, target: undefined },
      withSecretConnection(opts, ["nodes", "auth", "target"]),
      "lvs",
      "KeepalivedPair",
    );
  }
}
