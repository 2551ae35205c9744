// LvsCluster: one load-balanced VIP, its services and real servers, built from the
// package's resources. The arguments are checked first, so a mistake creates nothing;
// the children are then exactly what planLvsCluster describes.

import * as pulumi from "@pulumi/pulumi";
import { Director } from "../../provider/director/director";
import { KeepalivedPair } from "../../provider/keepalived/keepalivedPair";
import { RealServerArpConfig } from "../../provider/arp/realServerArpConfig";
import { RealServerReturnRoute } from "../../provider/nat/realServerReturnRoute";
import { RealServer } from "../../provider/service/realServer";
import { VirtualService } from "../../provider/service/virtualService";
import { validateLvsClusterArgs, type LvsClusterArgs } from "./args";
import { planLvsCluster } from "./plan";

export class LvsCluster extends pulumi.ComponentResource {
  readonly vip: pulumi.Output<string>;
  /** The dual stack's IPv6 VIP (`vip6`), when set. */
  readonly vip6: pulumi.Output<string> | undefined;
  /** Keyed by `tcp/80`. */
  readonly services: Record<string, VirtualService>;
  /** Keyed by real server name, then service (`rs1` → `tcp/80`). */
  readonly realServers: Record<string, Record<string, RealServer>>;
  readonly directors: Director[];
  readonly keepalivedPair?: KeepalivedPair;
  /** dr/tun: keyed by real server name. */
  readonly arpConfigs: Record<string, RealServerArpConfig>;
  /** nat with configureRealServerRoutes: keyed by real server name. */
  readonly returnRoutes: Record<string, RealServerReturnRoute>;

  constructor(name: string, args: LvsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before super(): not even the component is registered when the arguments are wrong.
    validateLvsClusterArgs(name, args);
    const plan = planLvsCluster(name, args);
    super("lvs:index:LvsCluster", name, {}, opts);

    const parent = { parent: this };
    this.vip = pulumi.output(args.vip);
    this.vip6 = args.vip6 === undefined ? undefined : pulumi.output(args.vip6);
    this.directors = plan.directors.map((d) => new Director(d.name, d.args, parent));
    this.keepalivedPair = plan.pair && new KeepalivedPair(plan.pair.name, plan.pair.args, parent);
    const pair = this.keepalivedPair;

    this.services = {};
    for (const s of plan.services) {
      // With a plain director the service waits for the Director, which binds the VIP and
      // sets the sysctls; with a pair the `keepalivedPair` input already orders it.
      const where = pair ? { keepalivedPair: pair } : { connection: args.director!.connection };
      this.services[s.label] = new VirtualService(s.name, { ...s.args, ...where }, { parent: this, dependsOn: this.directors });
    }

    this.arpConfigs = {};
    for (const a of plan.arpConfigs) {
      this.arpConfigs[a.realServer] = new RealServerArpConfig(a.name, a.args, parent);
    }

    this.returnRoutes = {};
    for (const route of plan.returnRoutes) {
      this.returnRoutes[route.realServer] = new RealServerReturnRoute(route.name, route.args, parent);
    }

    this.realServers = {};
    for (const r of plan.realServers) {
      // A real server only receives traffic once it accepts the VIP (dr/tun) or can answer
      // through the director (nat).
      const ready = this.arpConfigs[r.realServer] ?? this.returnRoutes[r.realServer];
      const rs = new RealServer(r.name, { ...r.args, virtualService: this.services[r.service]! }, { parent: this, dependsOn: ready ? [ready] : [] });
      (this.realServers[r.realServer] ??= {})[r.service] = rs;
    }

    this.registerOutputs({
      vip: this.vip,
      ...(this.vip6 ? { vip6: this.vip6 } : {}),
      services: Object.fromEntries(Object.entries(this.services).map(([k, vs]) => [k, vs.serviceKey])),
      realServers: Object.fromEntries(
        Object.entries(this.realServers).map(([rsName, byService]) => [
          rsName,
          Object.fromEntries(Object.entries(byService).map(([k, rs]) => [k, rs.destinationKey])),
        ]),
      ),
    });
  }
}
