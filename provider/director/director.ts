// The user-facing Director resource. Its implementation is directorProvider, reached
// through the thin serialised provider (see provider/dynamic/thinProvider.ts).

import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "../dynamic/thinProvider";
import { secretConnection, withSecretConnection, type SshConnectionArgs } from "../resource/connectionArgs";
import type { DirectorMode, SysctlMap } from "./model";
import type { PersistedFlags } from "./plan";

export interface DirectorVipArgs {
  /** IPv4 or IPv6. */
  address: pulumi.Input<string>;
  /** The interface it is bound on (e.g. eth1). */
  interface: pulumi.Input<string>;
  /** Default 32 (IPv4) or 128 (IPv6). */
  prefixLength?: pulumi.Input<number>;
}

export interface DirectorArgs {
  /** The director host. */
  readonly connection: pulumi.Input<SshConnectionArgs>;
  /** How the real servers are reached: sets the sysctls that mode needs. Changing it replaces the Director. */
  readonly mode: pulumi.Input<DirectorMode>;
  /** dr only: interfaces that also get send_redirects=0 (all and default always do). */
  readonly interfaces?: pulumi.Input<pulumi.Input<string>[]>;
  /** Bind the VIP on this host (only when no keepalived pair manages it). */
  readonly vip?: pulumi.Input<DirectorVipArgs>;
  /** More VIPs to bind here, IPv4 and IPv6 alike (a director serving several VIPs, or dual stack), after `vip`. */
  readonly vips?: pulumi.Input<pulumi.Input<DirectorVipArgs>[]>;
  /** nat only: also net.ipv6.conf.all.forwarding=1 (needed for IPv6 VIPs; it turns off accepting router advertisements). */
  readonly ipv6Forwarding?: pulumi.Input<boolean>;
  /**
   * With a KeepalivedPair's `lvsSyncDaemon`: re-send every live connection to the other node
   * once per `refreshSeconds` (default 5) while it carries packets, instead of the kernel's
   * every 50 packets, so a node that returns learns them within its `preemptDelay`
   * (net.ipv4.vs.sync_threshold "3 0" and sync_refresh_period).
   */
  readonly connectionSync?: pulumi.Input<{ refreshSeconds?: pulumi.Input<number> }>;
  /**
   * Default true: net.ipv4.vs.expire_nodest_conn=1 and expire_quiescent_template=1, so a
   * RealServer drain does not wait for sticky clients. false leaves both as the host has
   * them (what `pulumi-lvs import` writes for a director whose values are the kernel's).
   */
  readonly expireConnections?: pulumi.Input<boolean>;
  /** Install ipvsadm with apt-get or dnf when it is missing (default: fail and say so). */
  readonly installIpvsadm?: pulumi.Input<boolean>;
  /**
   * Take over what is already there: a host where a Director's files exist (keeping their
   * recorded previous values), or a director set up by hand, whose VIPs already bound on
   * their interface with their prefix length are kept as they are and stay bound on delete.
   */
  readonly adopt?: pulumi.Input<boolean>;
}

export class Director extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<SshConnectionArgs>;
  declare readonly mode: pulumi.Output<DirectorMode>;
  declare readonly interfaces: pulumi.Output<string[]>;
  declare readonly vip: pulumi.Output<{ address: string; interface: string; prefixLength: number } | undefined>;
  declare readonly vips: pulumi.Output<{ address: string; interface: string; prefixLength: number }[] | undefined>;
  declare readonly connectionSync: pulumi.Output<{ refreshSeconds: number } | undefined>;
  declare readonly expireConnections: pulumi.Output<boolean | undefined>;
  declare readonly hostKeyFingerprint: pulumi.Output<string>;
  /** What delete restores: the values before the Director first set them. */
  declare readonly previousSysctls: pulumi.Output<SysctlMap>;
  /** The live values of the sysctls the mode needs (refresh shows drift here). */
  declare readonly appliedSysctls: pulumi.Output<SysctlMap>;
  /** Every VIP (`vip` and `vips`) is bound on its interface; false without VIPs. */
  declare readonly vipBound: pulumi.Output<boolean>;
  declare readonly persisted: pulumi.Output<PersistedFlags>;

  constructor(name: string, args: DirectorArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("Director"),
      name,
      { ...args, connection: secretConnection(args.connection), hostKeyFingerprint: undefined, previousSysctls: undefined, appliedSysctls: undefined, vipBound: undefined, persisted: undefined },
      withSecretConnection(opts),
      "lvs",
      "Director",
    );
  }
}
