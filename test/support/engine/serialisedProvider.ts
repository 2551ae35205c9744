// The `__provider` property of a pulumi-lvs resource, made the way pulumi.dynamic.Resource
// makes it (node_modules/@pulumi/pulumi/dynamic/index.js): the closure serializer run over
// `() => provider` with secrets allowed, and the text marked secret if it captured one.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider, type ResourceKind } from "../../../provider/dynamic/thinProvider";
import { secret, type PropertyValue } from "./wire";

export interface SerialisedProvider {
  /** The module text the provider host loads with require-from-string. */
  text: string;
  /** What the serializer reports; the SDK would then store `__provider` as a secret. */
  containsSecrets: boolean;
}

export async function serialisedProvider(kind: ResourceKind): Promise<SerialisedProvider> {
  const provider = thinProvider(kind);
  const { text, containsSecrets } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return { text, containsSecrets };
}

/** The `__provider` value the SDK registers with the engine. */
export function providerProperty(serialised: SerialisedProvider): PropertyValue {
  return serialised.containsSecrets ? secret(serialised.text) : serialised.text;
}
