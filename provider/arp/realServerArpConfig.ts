// The user-facing RealServerArpConfig resource. Its implementation is
// realServerArpConfigProvider, reached through the thin serialised provider.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "../dynamic/thinProvider";
import { secretConnection, withSecretConnection, type SshConnectionArgs } from "../resource/connectionArgs";
import type { ArpMode, SysctlMap } from "./model";
import type { ArpPersistedFlags } from "./plan";

export interface RealServerArpConfigArgs {
  /** The real server. */
  readonly connection: pulumi.Input<SshConnectionArgs>;
  /** The VIPs this real server serves (IPv4 and, in dr mode, IPv6). Bound as /32 or /128 on lo (dr) or tunl0 (tun). */
  readonly vips: pulumi.Input<pulumi.Input<string>[]>;
  /** How the director forwards to this real server. */
  readonly mode: pulumi.Input<ArpMode>;
  /** Interfaces that get arp_ignore/arp_announce besides all and lo (default: the default route's). */
  readonly interfaces?: pulumi.Input<pulumi.Input<string>[]>;
  /** Keep the configuration across reboots (sysctl.d file and a boot unit of its own). Default true. */
  readonly persist?: pulumi.Input<boolean>;
  /**
   * Take over a real server prepared by hand: a VIP already bound on lo (dr) or tunl0 (tun)
   * is kept as it is, and stays bound on delete; sysctls already set are recorded as their
   * originals, so delete leaves them as they were. Without it such a VIP is refused.
   */
  readonly adopt?: pulumi.Input<boolean>;
}

export class RealServerArpConfig extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<SshConnectionArgs>;
  declare readonly vips: pulumi.Output<string[]>;
  declare readonly mode: pulumi.Output<ArpMode>;
  declare readonly interfaces: pulumi.Output<string[] | undefined>;
  declare readonly persist: pulumi.Output<boolean>;
  /** This resource's key in the host's registry (/var/lib/pulumi-lvs/arp/<key>.record). */
  declare readonly recordKey: pulumi.Output<string>;
  declare readonly hostKeyFingerprint: pulumi.Output<string>;
  declare readonly appliedInterfaces: pulumi.Output<string[]>;
  /** The VIPs that are live on lo/tunl0 (refresh shows drift here). */
  declare readonly boundVips: pulumi.Output<string[]>;
  /** The VIPs that were bound before this resource adopted them (`adopt`): delete leaves them bound. */
  declare readonly keptVips: pulumi.Output<string[] | undefined>;
  declare readonly appliedSysctls: pulumi.Output<SysctlMap>;
  /** What the last RealServerArpConfig on the host restores on delete. */
  declare readonly originalSysctls: pulumi.Output<SysctlMap>;
  declare readonly persisted: pulumi.Output<ArpPersistedFlags>;

  constructor(name: string, args: RealServerArpConfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("RealServerArpConfig"),
      name,
      {
        ...args,
        connection: secretConnection(args.connection),
        // With the record's identity, derives its key on the host (a cut create finds its own record again).
        recordOwner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
        recordKey: undefined,
        hostKeyFingerprint: undefined,
        appliedInterfaces: undefined,
        boundVips: undefined,
        keptVips: undefined,
        appliedSysctls: undefined,
        originalSysctls: undefined,
        persisted: undefined,
      },
      withSecretConnection(opts),
      "lvs",
      "RealServerArpConfig",
    );
  }
}
