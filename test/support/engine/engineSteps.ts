// `pulumi up`, `preview`, `refresh` and `destroy` of one resource, as the engine drives a
// provider: the same RPCs in the same order, with properties marshalled the way the
// engine marshals them for this provider's protocol, and the engine's own bookkeeping on
// what comes back (secretness copied from inputs, additionalSecretOutputs, "gone" on an
// empty read). The in-process twin of these steps is test/support/providerSteps.ts.

import { randomBytes } from "crypto";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import type { ProviderHost } from "./providerHost";
import {
  annotateSecrets,
  changedProperties,
  marshalProperties,
  markSecretOutputs,
  unmarshalProperties,
  type PropertyMap,
} from "./wire";

/** What the program registers: the SDK's resource registration, reduced to what steps use. */
export interface ResourceGoal {
  /** The engine's type token, e.g. pulumi-nodejs:dynamic/lvs:VirtualService. */
  type: string;
  name: string;
  /** The registered inputs, `__provider` included, secrets as secret values. */
  inputs: PropertyMap;
  additionalSecretOutputs: readonly string[];
}

/** A resource in the engine's state after a step. */
export interface EngineResource {
  urn: string;
  type: string;
  name: string;
  id: string;
  inputs: PropertyMap;
  outputs: PropertyMap;
  additionalSecretOutputs: readonly string[];
  /** The properties exactly as the provider host returned them, before the engine's bookkeeping. */
  rawOutputs: PropertyMap;
}

export interface EngineDiff {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** What the provider named as changed (this host never sends it). */
  diffs: string[];
  /** The properties the CLI would show as changed: old inputs against the checked new inputs. */
  changedInputs: string[];
}

export class CheckFailedError extends Error {
  constructor(readonly failures: { property: string; reason: string }[]) {
    super(`check failed:\n${failures.map((f) => `  ${f.property}: ${f.reason}`).join("\n")}`);
    this.name = "CheckFailedError";
  }
}

/** The RPCs a step made, in order. */
type Traced<T> = T & { rpcs: string[] };

async function traced<T extends object>(host: ProviderHost, step: () => Promise<T>): Promise<Traced<T>> {
  const mark = host.calls.length;
  const result = await step();
  return { ...result, rpcs: host.calls.slice(mark) };
}

function wire(host: ProviderHost, props: PropertyMap, preview = false) {
  return marshalProperties(props, { keepSecrets: host.protocol.acceptSecrets, keepUnknowns: preview });
}

/** The engine copies secretness back only when it had to strip it. */
function restoreSecrets(host: ProviderHost, outs: PropertyMap, ins: PropertyMap): PropertyMap {
  return host.protocol.acceptSecrets ? outs : annotateSecrets(outs, ins);
}

async function check(host: ProviderHost, goal: ResourceGoal, olds: PropertyMap, preview: boolean): Promise<PropertyMap> {
  const req = new providerPb.CheckRequest()
    .setUrn(host.urn(goal.type, goal.name))
    .setName(goal.name)
    .setType(goal.type)
    .setOlds(wire(host, olds, preview))
    .setNews(wire(host, goal.inputs, preview))
    .setRandomseed(randomBytes(32));
  const res = await host.rpc<providerPb.CheckResponse>("Check", (cb) => host.provider.check(req, cb));
  const failures = res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
  if (failures.length > 0) throw new CheckFailedError(failures);
  const inputs = unmarshalProperties(res.getInputs(), { rejectUnknowns: !preview, label: "Check" });
  return restoreSecrets(host, inputs, goal.inputs);
}

async function diff(host: ProviderHost, resource: EngineResource, news: PropertyMap, preview: boolean): Promise<EngineDiff> {
  const req = new providerPb.DiffRequest()
    .setId(resource.id)
    .setUrn(resource.urn)
    .setName(resource.name)
    .setType(resource.type)
    .setOldInputs(wire(host, resource.inputs, preview))
    .setOlds(wire(host, resource.outputs, preview))
    .setNews(wire(host, news, preview));
  const res = await host.rpc<providerPb.DiffResponse>("Diff", (cb) => host.provider.diff(req, cb));
  const { DIFF_NONE, DIFF_SOME } = providerPb.DiffResponse.DiffChanges;
  const changes: EngineDiff["changes"] = res.getChanges() === DIFF_NONE ? "none" : res.getChanges() === DIFF_SOME ? "some" : "unknown";
  return {
    changes,
    replaces: res.getReplacesList(),
    deleteBeforeReplace: res.getDeletebeforereplace(),
    diffs: res.getDiffsList(),
    changedInputs: changedProperties(resource.inputs, news),
  };
}

async function create(host: ProviderHost, goal: ResourceGoal, inputs: PropertyMap): Promise<EngineResource> {
  const urn = host.urn(goal.type, goal.name);
  const req = new providerPb.CreateRequest().setUrn(urn).setName(goal.name).setType(goal.type).setProperties(wire(host, inputs)).setPreview(false);
  const res = await host.rpc<providerPb.CreateResponse>("Create", (cb) => host.provider.create(req, cb));
  if (!res.getId()) throw new Error(`Create of ${urn} returned an empty id`);
  const rawOutputs = unmarshalProperties(res.getProperties(), { rejectUnknowns: true, label: "Create" });
  const outputs = markSecretOutputs(restoreSecrets(host, rawOutputs, inputs), goal.additionalSecretOutputs);
  return { urn, type: goal.type, name: goal.name, id: res.getId(), inputs, outputs, rawOutputs, additionalSecretOutputs: goal.additionalSecretOutputs };
}

async function remove(host: ProviderHost, resource: EngineResource): Promise<void> {
  const req = new providerPb.DeleteRequest()
    .setId(resource.id)
    .setUrn(resource.urn)
    .setName(resource.name)
    .setType(resource.type)
    .setProperties(wire(host, resource.outputs))
    .setOldInputs(wire(host, resource.inputs));
  await host.rpc("Delete", (cb) => host.provider.delete(req, cb));
}

/** `pulumi up` of a new resource: Check, Create. */
export function up(host: ProviderHost, goal: ResourceGoal): Promise<Traced<{ resource: EngineResource }>> {
  return traced(host, async () => ({ resource: await create(host, goal, await check(host, goal, {}, false)) }));
}

/** `pulumi preview` of an existing resource: Check, Diff, with unknowns allowed; nothing is applied. */
export function preview(host: ProviderHost, resource: EngineResource, goal: ResourceGoal): Promise<Traced<{ diff: EngineDiff }>> {
  return traced(host, async () => ({ diff: await diff(host, resource, await check(host, goal, resource.inputs, true), true) }));
}

/**
 * `pulumi up` of a changed resource: Check, Diff, then Update when the diff has changes
 * (a diff with none is the engine's "same" step: new inputs, old outputs). A replacement
 * is refused here: use `replace`.
 */
export function update(host: ProviderHost, resource: EngineResource, goal: ResourceGoal): Promise<Traced<{ resource: EngineResource; diff: EngineDiff }>> {
  return traced(host, async () => {
    const news = await check(host, goal, resource.inputs, false);
    const changes = await diff(host, resource, news, false);
    if (changes.replaces.length > 0) throw new Error(`update of ${resource.urn} would replace it (${changes.replaces.join(", ")}); use replace`);
    if (changes.changes === "none") return { resource: { ...resource, inputs: news }, diff: changes };
    const req = new providerPb.UpdateRequest()
      .setId(resource.id)
      .setUrn(resource.urn)
      .setName(resource.name)
      .setType(resource.type)
      .setOlds(wire(host, resource.outputs))
      .setNews(wire(host, news))
      .setOldInputs(wire(host, resource.inputs))
      .setPreview(false);
    const res = await host.rpc<providerPb.UpdateResponse>("Update", (cb) => host.provider.update(req, cb));
    const rawOutputs = unmarshalProperties(res.getProperties(), { rejectUnknowns: true, label: "Update" });
    const outputs = markSecretOutputs(restoreSecrets(host, rawOutputs, news), resource.additionalSecretOutputs);
    return { resource: { ...resource, inputs: news, outputs, rawOutputs }, diff: changes };
  });
}

/** `pulumi refresh`: Read. `resource` is undefined when the provider says it is gone. */
export function refresh(host: ProviderHost, resource: EngineResource): Promise<Traced<{ resource: EngineResource | undefined }>> {
  return traced(host, async () => {
    const req = new providerPb.ReadRequest()
      .setId(resource.id)
      .setUrn(resource.urn)
      .setName(resource.name)
      .setType(resource.type)
      .setProperties(wire(host, resource.outputs))
      .setInputs(wire(host, resource.inputs));
    const res = await host.rpc<providerPb.ReadResponse>("Read", (cb) => host.provider.read(req, cb));
    if (!res.getId()) return { resource: undefined };
    const rawOutputs = unmarshalProperties(res.getProperties(), { rejectUnknowns: true, label: "Read" });
    const liveInputs = res.getInputs();
    const inputs = liveInputs ? restoreSecrets(host, unmarshalProperties(liveInputs, { rejectUnknowns: true, label: "Read" }), resource.inputs) : resource.inputs;
    const outputs = markSecretOutputs(restoreSecrets(host, rawOutputs, resource.outputs), resource.additionalSecretOutputs);
    return { resource: { ...resource, id: res.getId(), inputs, outputs, rawOutputs } };
  });
}

/**
 * `pulumi up` of a change the provider says needs a replacement: Check, Diff, then Create
 * the new resource and Delete the old one; Delete first when the provider asks for
 * deleteBeforeReplace. With `deferDelete`, the old resource is returned instead of
 * deleted: the engine deletes replaced resources at the end of the update, dependents
 * first, so a caller replacing a service and its real servers destroys them in that order.
 */
export function replace(
  host: ProviderHost,
  resource: EngineResource,
  goal: ResourceGoal,
  opts: { deferDelete?: boolean } = {},
): Promise<Traced<{ resource: EngineResource; replaced?: EngineResource; diff: EngineDiff }>> {
  return traced(host, async () => {
    const news = await check(host, goal, resource.inputs, false);
    const changes = await diff(host, resource, news, false);
    if (changes.replaces.length === 0) throw new Error(`${resource.urn} does not need a replacement (changes: ${changes.changes})`);
    if (changes.deleteBeforeReplace) {
      await remove(host, resource);
      return { resource: await create(host, goal, news), diff: changes };
    }
    const created = await create(host, goal, news);
    if (opts.deferDelete) return { resource: created, replaced: resource, diff: changes };
    await remove(host, resource);
    return { resource: created, diff: changes };
  });
}

/** `pulumi destroy` (or the deletion of a replaced resource): Delete. */
export function destroy(host: ProviderHost, resource: EngineResource): Promise<Traced<object>> {
  return traced(host, async () => {
    await remove(host, resource);
    return {};
  });
}
