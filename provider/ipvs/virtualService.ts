// The user-facing VirtualService resource. Its implementation is virtualServiceProvider,
// reached through the thin serialised provider.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "../dynamic/thinProvider";
import { withSecretConnection, type SshConnectionArgs } from "../resource/connectionArgs";
import type { AddressFamily, IpvsProtocol, Scheduler, SchedulerFlag } from "./model";

export interface VirtualServiceArgs {
  /** The director (a plain one, managed with ipvsadm). */
  readonly connection: pulumi.Input<SshConnectionArgs>;
  /** tcp (default), udp or sctp; with `address` and `port`. */
  readonly protocol?: pulumi.Input<IpvsProtocol>;
  /** The VIP, IPv4 or IPv6. */
  readonly address?: pulumi.Input<string>;
  readonly port?: pulumi.Input<number>;
  /** A firewall-mark service instead of protocol/address/port. */
  readonly fwmark?: pulumi.Input<number>;
  /** Address family of a firewall-mark service (default ipv4). */
  readonly family?: pulumi.Input<AddressFamily>;
  /** Default wlc, as ipvsadm. */
  readonly scheduler?: pulumi.Input<Scheduler>;
  /** sh-fallback / sh-port with sh, mh-fallback / mh-port with mh. */
  readonly schedulerFlags?: pulumi.Input<pulumi.Input<SchedulerFlag>[]>;
  /** Persistent service: a client sticks to one real server for timeoutSeconds. */
  readonly persistence?: pulumi.Input<{ timeoutSeconds: pulumi.Input<number>; netmask?: pulumi.Input<string> }>;
  /** One-packet scheduling (UDP). */
  readonly onePacket?: pulumi.Input<boolean>;
  /** Take over a service that already exists on the director instead of failing. */
  readonly adopt?: pulumi.Input<boolean>;
}

export class VirtualService extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<SshConnectionArgs>;
  declare readonly protocol: pulumi.Output<IpvsProtocol | undefined>;
  declare readonly address: pulumi.Output<string | undefined>;
  declare readonly port: pulumi.Output<number | undefined>;
  declare readonly fwmark: pulumi.Output<number | undefined>;
  declare readonly family: pulumi.Output<AddressFamily | undefined>;
  declare readonly scheduler: pulumi.Output<Scheduler>;
  /** tcp:10.0.0.1:80, tcp:[fd00::1]:80 or fwmark:42:ipv4. */
  declare readonly serviceKey: pulumi.Output<string>;
  declare readonly hostKeyFingerprint: pulumi.Output<string>;
  /** The rules file rewritten after each change (/etc/ipvsadm.rules on Debian). */
  declare readonly rulesFile: pulumi.Output<string>;

  constructor(name: string, args: VirtualServiceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("VirtualService"),
      name,
      { ...args, serviceKey: undefined, hostKeyFingerprint: undefined, rulesFile: undefined },
      withSecretConnection(opts),
      "lvs",
      "VirtualService",
    );
  }
}
