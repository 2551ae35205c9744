// The provider object Pulumi serialises into every resource's state (`__provider`).
//
// `pulumi up` runs each dynamic provider in a separate process from its serialised text.
// The closure serializer copies local modules by value and captures node_modules modules
// by name, so this object is kept thin on purpose: each method only calls into the
// installed package by name. The real implementation (and the per-process SSH pool it
// owns) is then loaded once per provider process and shared by every resource, and no
// credential can ever be captured here: credentials only travel as (secret) inputs.

import type * as pulumi from "@pulumi/pulumi";

/** The resource kinds implemented by `pulumi-lvs/provider/registry`. */
export type ResourceKind = "VirtualService" | "RealServer" | "Director" | "RealServerArpConfig" | "KeepalivedPair" | "RealServerReturnRoute";

export function thinProvider(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  const implementation = (): pulumi.dynamic.ResourceProvider =>
    // Resolved in the provider process from the program's node_modules.
    require("pulumi-lvs/provider/registry").implementationOf(kind);
  return {
    check: (olds, news) => implementation().check!(olds, news),
    diff: (id, olds, news) => implementation().diff!(id, olds, news),
    create: (inputs) => implementation().create(inputs),
    read: (id, props) => implementation().read!(id, props),
    update: (id, olds, news) => implementation().update!(id, olds, news),
    delete: (id, props) => implementation().delete!(id, props),
  };
}
