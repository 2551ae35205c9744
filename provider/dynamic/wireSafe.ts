// What a provider returns travels to the engine as a google.protobuf.Struct, which has no
// `undefined`: the SDK's provider host throws "Unexpected struct type" on one. Optional
// fields are easy to leave as `undefined` in a spread (`{ ...inputs, connection: v.connection }`),
// so every implementation's results pass through here: `undefined` values are dropped,
// exactly as the engine would drop an absent property.

import type * as pulumi from "@pulumi/pulumi";

/** A deep copy without `undefined` values (in objects) or elements (in arrays become null). */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : withoutUndefined(v))) as unknown as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
}

/** The implementation, with every result made safe for the wire. */
export function wireSafe(implementation: pulumi.dynamic.ResourceProvider): pulumi.dynamic.ResourceProvider {
  const i = implementation;
  return {
    check: async (olds, news) => withoutUndefined(await i.check!(olds, news)),
    diff: async (id, olds, news) => withoutUndefined(await i.diff!(id, olds, news)),
    create: async (inputs) => withoutUndefined(await i.create(inputs)),
    read: async (id, props) => withoutUndefined(await i.read!(id, props)),
    update: async (id, olds, news) => withoutUndefined(await i.update!(id, olds, news)),
    delete: async (id, props) => i.delete!(id, props),
  };
}
