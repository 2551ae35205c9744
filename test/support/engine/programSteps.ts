// The provider RPCs the engine makes for one resource of a program, with the engine's
// marshalling and bookkeeping (see engineSteps.ts for the same steps on a single
// hand-made resource). The program runner decides which of them to call and in what
// order; these only make each call the way the engine makes it.

import { randomBytes } from "crypto";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import type { ProviderHost } from "./providerHost";
import { annotateSecrets, marshalProperties, markSecretOutputs, unmarshalProperties, type PropertyMap } from "./wire";
import { CheckFailedError } from "./engineSteps";

export interface ResourceRef {
  urn: string;
  type: string;
  name: string;
}

export interface Existing extends ResourceRef {
  id: string;
  inputs: PropertyMap;
  outputs: PropertyMap;
  additionalSecretOutputs: readonly string[];
}

export interface DiffResult {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

const wire = (host: ProviderHost, props: PropertyMap, preview = false) =>
  marshalProperties(props, { keepSecrets: host.protocol.acceptSecrets, keepUnknowns: preview });

/** The engine copies secretness back only when it had to strip it. */
const restoreSecrets = (host: ProviderHost, outs: PropertyMap, ins: PropertyMap): PropertyMap =>
  host.protocol.acceptSecrets ? outs : annotateSecrets(outs, ins);

export async function check(host: ProviderHost, ref: ResourceRef, olds: PropertyMap, news: PropertyMap, preview: boolean): Promise<PropertyMap> {
  const req = new providerPb.CheckRequest()
    .setUrn(ref.urn)
    .setName(ref.name)
    .setType(ref.type)
    .setOlds(wire(host, olds, preview))
    .setNews(wire(host, news, preview))
    .setRandomseed(randomBytes(32));
  const res = await host.rpc<providerPb.CheckResponse>("Check", (cb) => host.provider.check(req, cb));
  const failures = res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
  if (failures.length > 0) throw new CheckFailedError(failures);
  return restoreSecrets(host, unmarshalProperties(res.getInputs(), { rejectUnknowns: !preview, label: "Check" }), news);
}

export async function diff(host: ProviderHost, old: Existing, news: PropertyMap, preview: boolean): Promise<DiffResult> {
  const req = new providerPb.DiffRequest()
    .setId(old.id)
    .setUrn(old.urn)
    .setName(old.name)
    .setType(old.type)
    .setOldInputs(wire(host, old.inputs, preview))
    .setOlds(wire(host, old.outputs, preview))
    .setNews(wire(host, news, preview));
  const res = await host.rpc<providerPb.DiffResponse>("Diff", (cb) => host.provider.diff(req, cb));
  const { DIFF_NONE, DIFF_SOME } = providerPb.DiffResponse.DiffChanges;
  const changes = res.getChanges() === DIFF_NONE ? "none" : res.getChanges() === DIFF_SOME ? "some" : "unknown";
  return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
}

export async function create(host: ProviderHost, ref: ResourceRef, inputs: PropertyMap, additionalSecretOutputs: readonly string[]): Promise<Existing> {
  const req = new providerPb.CreateRequest().setUrn(ref.urn).setName(ref.name).setType(ref.type).setProperties(wire(host, inputs)).setPreview(false);
  const res = await host.rpc<providerPb.CreateResponse>("Create", (cb) => host.provider.create(req, cb));
  if (!res.getId()) throw new Error(`Create of ${ref.urn} returned an empty id`);
  const raw = unmarshalProperties(res.getProperties(), { rejectUnknowns: true, label: "Create" });
  const outputs = markSecretOutputs(restoreSecrets(host, raw, inputs), additionalSecretOutputs);
  return { ...ref, id: res.getId(), inputs, outputs, additionalSecretOutputs };
}

export async function update(host: ProviderHost, old: Existing, news: PropertyMap): Promise<Existing> {
  const req = new providerPb.UpdateRequest()
    .setId(old.id)
    .setUrn(old.urn)
    .setName(old.name)
    .setType(old.type)
    .setOlds(wire(host, old.outputs))
    .setNews(wire(host, news))
    .setOldInputs(wire(host, old.inputs))
    .setPreview(false);
  const res = await host.rpc<providerPb.UpdateResponse>("Update", (cb) => host.provider.update(req, cb));
  const raw = unmarshalProperties(res.getProperties(), { rejectUnknowns: true, label: "Update" });
  return { ...old, inputs: news, outputs: markSecretOutputs(restoreSecrets(host, raw, news), old.additionalSecretOutputs) };
}

/** Read for refresh: the live resource, or undefined when the provider says it is gone. */
export async function read(host: ProviderHost, old: Existing): Promise<Existing | undefined> {
  const req = new providerPb.ReadRequest()
    .setId(old.id)
    .setUrn(old.urn)
    .setName(old.name)
    .setType(old.type)
    .setProperties(wire(host, old.outputs))
    .setInputs(wire(host, old.inputs));
  const res = await host.rpc<providerPb.ReadResponse>("Read", (cb) => host.provider.read(req, cb));
  if (!res.getId()) return undefined;
  const raw = unmarshalProperties(res.getProperties(), { rejectUnknowns: true, label: "Read" });
  const liveInputs = res.getInputs();
  const inputs = liveInputs ? restoreSecrets(host, unmarshalProperties(liveInputs, { rejectUnknowns: true, label: "Read" }), old.inputs) : old.inputs;
  return { ...old, id: res.getId(), inputs, outputs: markSecretOutputs(restoreSecrets(host, raw, old.outputs), old.additionalSecretOutputs) };
}

export async function remove(host: ProviderHost, old: Existing): Promise<void> {
  const req = new providerPb.DeleteRequest()
    .setId(old.id)
    .setUrn(old.urn)
    .setName(old.name)
    .setType(old.type)
    .setProperties(wire(host, old.outputs))
    .setOldInputs(wire(host, old.inputs));
  await host.rpc("Delete", (cb) => host.provider.delete(req, cb));
}
