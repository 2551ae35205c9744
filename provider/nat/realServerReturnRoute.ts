// The user-facing RealServerReturnRoute resource (NAT): replies from a real server go back
// through the director. Its implementation is realServerReturnRouteProvider.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "../dynamic/thinProvider";
import { secretConnection, withSecretConnection, type SshConnectionArgs } from "../resource/connectionArgs";

export interface RealServerReturnRouteArgs {
  /** The real server. */
  readonly connection: pulumi.Input<SshConnectionArgs>;
  /** The real server's address the director sends to (RIP). */
  readonly sourceAddress: pulumi.Input<string>;
  /** The director's address on the real servers' segment (DIP). */
  readonly gateway: pulumi.Input<string>;
  /** Routing table for the source rule (default 177). */
  readonly table?: pulumi.Input<number>;
  /** `ip rule` preference (default 1000). */
  readonly priority?: pulumi.Input<number>;
  /**
   * Take over a return route made by hand: when the rule (this source, table and priority)
   * and the table's default route via this gateway are already there, they are kept as they
   * are (only the boot unit is added) and stay on delete.
   */
  readonly adopt?: pulumi.Input<boolean>;
}

export class RealServerReturnRoute extends pulumi.dynamic.Resource {
  declare readonly sourceAddress: pulumi.Output<string>;
  declare readonly gateway: pulumi.Output<string>;
  declare readonly table: pulumi.Output<number>;
  /** Whether the source rule is live (refresh shows a rule deleted by hand). */
  declare readonly ruleInstalled: pulumi.Output<boolean>;
  /** The table's live default gateway. */
  declare readonly liveGateway: pulumi.Output<string>;
  /** The rule and route were there before (adopt): delete leaves them (absent otherwise). */
  declare readonly kept: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: RealServerReturnRouteArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      thinProvider("RealServerReturnRoute"),
      name,
      { ...args, connection: secretConnection(args.connection), ruleInstalled: undefined, liveGateway: undefined, kept: undefined, hostKeyFingerprint: undefined },
      withSecretConnection(opts),
      "lvs",
      "RealServerReturnRoute",
    );
  }
}
