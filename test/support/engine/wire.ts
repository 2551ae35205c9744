// Property values as the Pulumi engine holds them and puts them on the wire to a provider.
//
// The engine's property maps are plain JSON here, with the SDK's own special objects for
// what JSON cannot say: a secret is `{ [specialSigKey]: specialSecretSig, value }` and an
// unknown (preview only) is the `unknownValue` string. That is also their encoding inside
// a google.protobuf.Struct. The functions below port what the Go engine does around each
// provider call (sdk/go/common/resource/plugin: MarshalProperties, UnmarshalProperties,
// annotateSecrets; pkg/resource/deploy: additionalSecretOutputs), so a test can drive the
// SDK's provider host exactly as `pulumi up` does.

import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

export type PropertyValue = unknown;
export type PropertyMap = Record<string, PropertyValue>;

/** The value that stands for "not known until apply" during a preview. */
export const UNKNOWN = unknownValue;

export interface SecretValue {
  [specialSigKey]: typeof specialSecretSig;
  value: PropertyValue;
}

/** A secret, as the SDK registers `pulumi.secret(value)` and the engine stores it. */
export function secret(value: PropertyValue): SecretValue {
  return { [specialSigKey]: specialSecretSig, value: value === undefined ? null : value };
}

export function isSecret(value: PropertyValue): value is SecretValue {
  return isObject(value) && value[specialSigKey] === specialSecretSig;
}

export function isUnknown(value: PropertyValue): boolean {
  return value === UNKNOWN;
}

function isObject(value: PropertyValue): value is Record<string, PropertyValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True if the value is a secret or holds one anywhere inside (Go: ContainsSecrets). */
export function containsSecrets(value: PropertyValue): boolean {
  if (isSecret(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecrets);
  if (isObject(value)) return Object.values(value).some(containsSecrets);
  return false;
}

/** The value with every secret replaced by what it wraps (Go: removeSecrets). */
export function removeSecrets(value: PropertyValue): PropertyValue {
  if (isSecret(value)) return removeSecrets(value.value);
  if (Array.isArray(value)) return value.map(removeSecrets);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, removeSecrets(v)]));
  return value;
}

export interface MarshalOptions {
  /** Send secrets as secret objects; when false, send what they wrap (the provider said it cannot take them). */
  keepSecrets: boolean;
  /** Send unknowns (previews); when false, properties that are unknown are left out. */
  keepUnknowns: boolean;
}

const OMIT = Symbol("omit");

function marshalValue(value: PropertyValue, opts: MarshalOptions): PropertyValue | typeof OMIT {
  if (value === undefined) return OMIT;
  if (isUnknown(value)) return opts.keepUnknowns ? UNKNOWN : OMIT;
  if (isSecret(value)) {
    const inner = marshalValue(value.value, opts);
    if (inner === OMIT) return OMIT;
    return opts.keepSecrets ? secret(inner) : inner;
  }
  if (Array.isArray(value)) return value.map((v) => marshalValue(v, opts)).filter((v) => v !== OMIT);
  if (isObject(value)) return marshalMap(value, opts);
  return value;
}

function marshalMap(props: PropertyMap, opts: MarshalOptions): PropertyMap {
  const out: PropertyMap = {};
  for (const [key, value] of Object.entries(props)) {
    const marshalled = marshalValue(value, opts);
    if (marshalled !== OMIT) out[key] = marshalled;
  }
  return out;
}

/** Engine → provider: a property map as the Struct the engine sends (Go: MarshalProperties). */
export function marshalProperties(props: PropertyMap, opts: MarshalOptions): Struct {
  return Struct.fromJavaScript(marshalMap(props, opts) as Record<string, any>);
}

/** The path of every unknown inside a value ("" for the value itself). */
function unknownPaths(value: PropertyValue, path: string): string[] {
  if (isUnknown(value)) return [path || "(root)"];
  if (isSecret(value)) return unknownPaths(value.value, path);
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, `${path}[${i}]`));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, path ? `${path}.${k}` : k));
  return [];
}

/**
 * Provider → engine: the property map in a response, secrets kept (Go: UnmarshalProperties
 * with KeepSecrets). Outside a preview an unknown is an error, as the engine rejects it.
 */
export function unmarshalProperties(struct: Struct | undefined, opts: { rejectUnknowns: boolean; label: string }): PropertyMap {
  const props = (struct?.toJavaScript() ?? {}) as PropertyMap;
  if (opts.rejectUnknowns) {
    const unknowns = unknownPaths(props, "");
    if (unknowns.length > 0) throw new Error(`${opts.label}: the provider returned unknown values outside a preview: ${unknowns.join(", ")}`);
  }
  return props;
}

/**
 * Copy "secretness" from the properties sent to the properties returned, for providers
 * that cannot take secrets (Go: annotateSecrets). Objects present on both sides are
 * walked key by key; any other value whose input held a secret becomes a secret whole.
 */
export function annotateSecrets(outs: PropertyMap, ins: PropertyMap): PropertyMap {
  const result: PropertyMap = { ...outs };
  for (const [key, inValue] of Object.entries(ins)) {
    if (!(key in result)) continue;
    const outValue = result[key];
    if (isObject(outValue) && !isSecret(outValue) && isObject(inValue) && !isSecret(inValue)) {
      result[key] = annotateSecrets(outValue, inValue);
    } else if (!isSecret(outValue) && containsSecrets(inValue)) {
      result[key] = secret(outValue);
    }
  }
  return result;
}

/** The engine marks the resource's `additionalSecretOutputs` secret after every step. */
export function markSecretOutputs(outs: PropertyMap, keys: readonly string[]): PropertyMap {
  const result: PropertyMap = { ...outs };
  for (const key of keys) {
    if (key in result && !isSecret(result[key])) result[key] = secret(result[key]);
  }
  return result;
}

/**
 * The properties as a checkpoint stores them: every secret encrypted. The ciphertext here
 * is opaque (the secrets provider's job); what matters is which values are left in the clear.
 */
export function checkpointView(props: PropertyMap): PropertyMap {
  const encrypt = (value: PropertyValue): PropertyValue => {
    if (isSecret(value)) return { [specialSigKey]: specialSecretSig, ciphertext: "[encrypted]" };
    if (Array.isArray(value)) return value.map(encrypt);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encrypt(v)]));
    return value;
  };
  return encrypt(props) as PropertyMap;
}

function canonical(value: PropertyValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The top-level properties whose values differ between two input maps, as the CLI lists
 * them when a provider reports a change without a detailed diff (the SDK's dynamic
 * provider host never sends one).
 */
export function changedProperties(olds: PropertyMap, news: PropertyMap): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => canonical(olds[k]) !== canonical(news[k])).sort();
}
