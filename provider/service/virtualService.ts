// The user-facing VirtualService resource. Its implementation is virtualServiceProvider
// (virtualServiceRouter.ts), reached through the thin serialised provider.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "../dynamic/thinProvider";
import { secretConnection, withSecretConnection, type SshConnectionArgs } from "../resource/connectionArgs";
import type { KeepalivedPair, KeepalivedPairTarget } from "../keepalived/keepalivedPair";
import type { AddressFamily, Forwarding, IpvsProtocol, Scheduler, SchedulerFlag } from "../ipvs/model";

export interface VirtualServiceArgs {
  /** A plain director, managed with ipvsadm. Exactly one of connection / keepalivedPair. */
  readonly connection?: pulumi.Input<SshConnectionArgs>;
  /** A KeepalivedPair: the service becomes a keepalived virtual_server on both nodes. */
  readonly keepalivedPair?: KeepalivedPair;
  /** keepalived only: seconds between health checks. */
  readonly delayLoop?: pulumi.Input<number>;
  /** keepalived only: where traffic goes when no real server is healthy. */
  readonly sorryServer?: pulumi.Input<{ address: pulumi.Input<string>; port: pulumi.Input<number>; forwarding?: pulumi.Input<Forwarding> }>;
  /** keepalived only: Host header for HTTP_GET / SSL_GET checks. */
  readonly virtualhost?: pulumi.Input<string>;
  /** keepalived only: real servers start as down until their first check passes. */
  readonly alpha?: pulumi.Input<boolean>;
  /** keepalived only: run quorumDown and clear the service when keepalived stops. */
  readonly omega?: pulumi.Input<boolean>;
  /** keepalived only: minimum total weight of healthy real servers. */
  readonly quorum?: pulumi.Input<number>;
  readonly hysteresis?: pulumi.Input<number>;
  readonly quorumUp?: pulumi.Input<pulumi.Input<string>[]>;
  readonly quorumDown?: pulumi.Input<pulumi.Input<string>[]>;
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

/** What a RealServer sends as its `service`: protocol + address + port, or a firewall mark. */
export type ServiceIdentity = { protocol: IpvsProtocol; address: string; port: number } | { fwmark: number; family: AddressFamily };

export class VirtualService extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<SshConnectionArgs | undefined>;
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

  /** Set when the director is a KeepalivedPair (secret: it holds the connections). */
  declare readonly keepalived: pulumi.Output<KeepalivedPairTarget | undefined>;

  /**
   * Whether the director is a KeepalivedPair: known when the program runs (not an output),
   * so a RealServer passes on only the director half that applies. At preview an output the
   * state lacks is unknown, and an unknown `keepalived` on a plain director's RealServer
   * would make every preview report a change.
   */
  readonly onKeepalivedPair: boolean;
  /**
   * The service's identity from this resource's own inputs (not its outputs): a RealServer
   * uses it, so its `service` is known at preview whenever these inputs are. Outputs the
   * state lacks (`fwmark` of an address service) resolve as unknown at preview.
   */
  readonly serviceIdentity: pulumi.Output<ServiceIdentity>;

  constructor(name: string, args: VirtualServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const { keepalivedPair, ...rest } = args;
    super(
      thinProvider("VirtualService"),
      name,
      { ...rest, connection: secretConnection(rest.connection), keepalived: keepalivedPair?.target, serviceKey: undefined, hostKeyFingerprint: undefined, hostKeyFingerprints: undefined, rulesFile: undefined },
      withSecretConnection(opts, ["connection", "keepalived"]),
      "lvs",
      "VirtualService",
    );
    this.onKeepalivedPair = keepalivedPair !== undefined;
    this.serviceIdentity = pulumi
      .all([args.protocol, args.address, args.port, args.fwmark, args.family])
      .apply(([protocol, address, port, fwmark, family]): ServiceIdentity =>
        fwmark !== undefined && fwmark !== null ? { fwmark, family: family ?? "ipv4" } : { protocol: protocol ?? "tcp", address: address!, port: port! },
      );
  }
}
