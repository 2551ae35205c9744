// The user-facing RealServer resource: one destination of a VirtualService.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "../dynamic/thinProvider";
import { withSecretConnection } from "../resource/connectionArgs";
import type { Forwarding, TunnelChecksum, TunnelType } from "../ipvs/model";
import type { VirtualService } from "./virtualService";
import type { HealthCheck } from "../keepalived/serviceModel";

export interface RealServerArgs {
  /** The service this real server belongs to (its director and identity come from it). */
  readonly virtualService: VirtualService;
  /** The real server's address (RIP), same family as the service. */
  readonly address: pulumi.Input<string>;
  /** Required for address services; with dr and tun it must equal the service port. */
  readonly port?: pulumi.Input<number>;
  /** dr (default), nat or tun. */
  readonly forwarding?: pulumi.Input<Forwarding>;
  /** 0..65535, default 1. 0 = quiesced: no new connections. */
  readonly weight?: pulumi.Input<number>;
  /** Stop sending new connections above this many (0 = no limit). */
  readonly upperThreshold?: pulumi.Input<number>;
  /** Resume below this many. */
  readonly lowerThreshold?: pulumi.Input<number>;
  /** With forwarding tun: ipip (default), gue (needs port) or gre. */
  readonly tunnel?: pulumi.Input<{ type: pulumi.Input<TunnelType>; port?: pulumi.Input<number>; checksum?: pulumi.Input<TunnelChecksum> }>;
  /** On delete: weight 0, wait for connections to finish (or the timeout), then remove. */
  readonly drain?: pulumi.Input<{ timeoutSeconds?: pulumi.Input<number>; pollSeconds?: pulumi.Input<number> }>;
  /** Take over a destination that already exists instead of failing. */
  readonly adopt?: pulumi.Input<boolean>;
  /** keepalived only: how keepalived decides the server is healthy. */
  readonly healthCheck?: pulumi.Input<HealthCheckArgs>;
  /** keepalived only: on a failed check set weight 0 instead of removing the server. */
  readonly inhibitOnFailure?: pulumi.Input<boolean>;
  /** keepalived only: scripts (argv) run when the server comes up / goes down. */
  readonly notifyUp?: pulumi.Input<pulumi.Input<string>[]>;
  readonly notifyDown?: pulumi.Input<pulumi.Input<string>[]>;
}

/** keepalived's health checks (the keepalived.conf checker blocks), with their options. */
export type HealthCheckArgs = HealthCheck;

export class RealServer extends pulumi.dynamic.Resource {
  declare readonly address: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number | undefined>;
  declare readonly forwarding: pulumi.Output<Forwarding>;
  declare readonly weight: pulumi.Output<number>;
  /** tcp:10.0.0.1:80->10.0.0.21:80 */
  declare readonly destinationKey: pulumi.Output<string>;
  declare readonly rulesFile: pulumi.Output<string>;

  constructor(name: string, args: RealServerArgs, opts?: pulumi.CustomResourceOptions) {
    const vs = args.virtualService;
    const { virtualService: _vs, ...rest } = args;
    super(
      thinProvider("RealServer"),
      name,
      {
        ...rest,
        ...(vs.onKeepalivedPair ? { keepalived: vs.keepalived } : { connection: vs.connection }),
        service: vs.serviceIdentity,
        destinationKey: undefined, hostKeyFingerprint: undefined, hostKeyFingerprints: undefined, rulesFile: undefined },
      // The identity comes from the VirtualService's inputs, so depend on it explicitly:
      // Pulumi creates it first and deletes it last.
      withSecretConnection({ ...opts, dependsOn: withDependency(vs, opts?.dependsOn) }, ["connection", "keepalived"]),
      "lvs",
      "RealServer",
    );
  }
}

/** The user's dependsOn (a resource, a list, or an output of either) plus `resource`. */
function withDependency(resource: pulumi.Resource, dependsOn: pulumi.CustomResourceOptions["dependsOn"]): pulumi.CustomResourceOptions["dependsOn"] {
  if (dependsOn === undefined) return [resource];
  if (Array.isArray(dependsOn)) return [resource, ...dependsOn];
  return pulumi.output(dependsOn as pulumi.Input<pulumi.Resource | pulumi.Input<pulumi.Resource>[]>).apply((d) => [resource, ...(Array.isArray(d) ? d : [d])]) as pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
}
