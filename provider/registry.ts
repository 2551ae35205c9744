// Kind → implementation. The serialised thin providers load this module by package name
// (`pulumi-lvs/provider/registry`) inside the provider process.

import type * as pulumi from "@pulumi/pulumi";
import { realServerArpConfigProvider } from "./arp/arpProvider";
import { directorProvider } from "./director/directorProvider";
import { keepalivedPairProvider } from "./keepalived/pairProvider";
import { realServerReturnRouteProvider } from "./nat/returnRouteProvider";
import type { ResourceKind } from "./dynamic/thinProvider";
import { wireSafe } from "./dynamic/wireSafe";
import { realServerProvider } from "./service/realServerRouter";
import { virtualServiceProvider } from "./service/virtualServiceRouter";

const implementations: Partial<Record<ResourceKind, pulumi.dynamic.ResourceProvider>> = {
  VirtualService: virtualServiceProvider as unknown as pulumi.dynamic.ResourceProvider,
  RealServer: realServerProvider as unknown as pulumi.dynamic.ResourceProvider,
  Director: directorProvider as unknown as pulumi.dynamic.ResourceProvider,
  RealServerArpConfig: realServerArpConfigProvider as unknown as pulumi.dynamic.ResourceProvider,
  KeepalivedPair: keepalivedPairProvider as unknown as pulumi.dynamic.ResourceProvider,
  RealServerReturnRoute: realServerReturnRouteProvider as unknown as pulumi.dynamic.ResourceProvider,
};

const wireSafeImplementations = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

export function implementationOf(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  const implementation = implementations[kind];
  if (!implementation) throw new Error(`pulumi-lvs has no implementation of ${kind} in this version`);
  let safe = wireSafeImplementations.get(kind);
  if (!safe) wireSafeImplementations.set(kind, (safe = wireSafe(implementation)));
  return safe;
}
