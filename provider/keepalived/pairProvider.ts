// lvs:index:KeepalivedPair: two directors running one VRRP instance with keepalived.
//
// State is the checked inputs plus the host keys seen. `read` parses each node's live
// keepalived.conf back, so a hand edit shows up as drift; the live VRRP role is not state
// (it flaps by design): getVrrpStatus reports it.

import type * as pulumi from "@pulumi/pulumi";
import { directorId, directorOf } from "../ipvs/ids";
import { describeConnection, type SshConnection } from "../ssh";
import { checkWithSchema } from "../resource/check";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { AlreadyExistsError } from "../resource/errors";
import { carriedConfig } from "./carryOver";
import { AdoptedConfigUnreadableError } from "./errors";
import { applyToPair, readAdoptedConfig, readNodeFiles, removePairFromNode } from "./executor";
import type { FileOp } from "./fileOps";
import { MAIN_FILE, SERVICES_PLACEHOLDER } from "./layout";
import { applyOrder, nodeView, updateOrder, type KeepalivedPairConfig, type NodeConfig } from "./model";
import { parseNodeConfig } from "./parse";
import { renderNodeConfig, renderPlaceholder } from "./render";
import { KeepalivedPairInputsSchema, formatCheckFailures, pairConfigOf, type KeepalivedPairInputs } from "./schema";
import type { NodeStatus } from "./status";

export const KEEPALIVED_PAIR_TYPE = "KeepalivedPair";

/** Changing these means other hosts or another VRRP instance: replace (delete first: same hosts). */
const IDENTITY_PROPERTIES = ["instanceName"] as const;

const json = (v: unknown) => JSON.stringify(v ?? null);

export function pairId(inputs: { nodes: ReadonlyArray<{ connection: unknown }>; instanceName: string }): string {
  return `${directorOf({ keepalived: inputs })}/${inputs.instanceName}`;
}

/** Which properties differ; nodes compare without credentials, and by director for replacement. */
export function diffKeepalivedPair(olds: Record<string, any>, news: Record<string, any>): { replaces: string[]; updates: string[] } {
  const replaces: string[] = IDENTITY_PROPERTIES.filter((p) => json(olds[p]) !== json(news[p]));
  const directors = (v: any) => json((v?.["nodes"] ?? []).map((n: any) => directorId(n?.connection)));
  if (directors(olds) !== directors(news)) replaces.push("nodes");
  const skip = new Set(["nodes", "hostKeyFingerprints", "configRoot", "target", ...IDENTITY_PROPERTIES]);
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !skip.has(k) && !k.startsWith("__")));
  const updates = [...keys].filter((k) => json(olds[k]) !== json(news[k]));
  if (!replaces.includes("nodes") && json(olds["nodes"]) !== json(news["nodes"])) updates.push("nodes");
  return { replaces, updates: updates.sort() };
}

function connectionsOf(state: Record<string, any>): SshConnection[] {
  const fingerprints: unknown[] = state["hostKeyFingerprints"] ?? [];
  return (state["nodes"] as Array<{ connection: unknown }>).map((n, i) => resolveConnection(n.connection, fingerprints[i]));
}

function secretsOf(config: { auth?: { password: string } }): string[] {
  return config.auth ? [config.auth.password] : [];
}

/** keepalived loaded what we applied: the instance, its router id, priority, interval and VIPs. */
export function verifyPairLoaded(config: KeepalivedPairConfig) {
  return (index: number, status: NodeStatus): string | undefined => {
    if (!status.running) return "keepalived is not running after the reload";
    const instance = status.instances.find((i) => i.name === config.instanceName);
    if (!instance) return `keepalived runs but has no VRRP instance ${config.instanceName} (it has: ${status.instances.map((i) => i.name).join(", ") || "none"})`;
    const node = config.nodes[index as 0 | 1];
    const wrong: string[] = [];
    if (instance.virtualRouterId !== config.virtualRouterId) wrong.push(`virtual_router_id ${instance.virtualRouterId} instead of ${config.virtualRouterId}`);
    if (instance.basePriority !== node.priority) wrong.push(`priority ${instance.basePriority} instead of ${node.priority}`);
    // Compared in hundredths, as VRRPv3 carries the interval.
    if (Math.round(instance.advertInt * 100) !== Math.round(config.advertInt * 100)) wrong.push(`advert_int ${instance.advertInt} instead of ${config.advertInt}`);
    if (instance.vrrpVersion !== config.vrrpVersion) wrong.push(`VRRP version ${instance.vrrpVersion} instead of ${config.vrrpVersion}`);
    const missing = config.vips.map((v) => v.address).filter((a) => !instance.vips.includes(a));
    if (missing.length > 0) wrong.push(`VIPs ${missing.join(", ")} missing`);
    return wrong.length > 0 ? `keepalived reports ${wrong.join(", ")}: it did not load the new configuration` : undefined;
  };
}

/** The files the pair writes on node `i`. */
function pairFiles(config: KeepalivedPairConfig, i: 0 | 1): Array<FileOp & { op: "write" }> {
  return [
    { op: "write", path: MAIN_FILE, content: renderNodeConfig(config, i) },
    { op: "write", path: SERVICES_PLACEHOLDER, content: renderPlaceholder("one file per VirtualService on this pair") },
  ];
}

/**
 * The hand-made keepalived configuration of a node the pair adopts, as files of the pair's
 * first generation (carryOver.ts): keepalived goes on serving its virtual servers across
 * the take-over. Nothing for a node whose keepalived.conf is ours already.
 */
async function carriedOps(connection: SshConnection, config: KeepalivedPairConfig): Promise<FileOp[]> {
  const files = await readAdoptedConfig(connection);
  try {
    return carriedConfig(files, { instanceName: config.instanceName, trackScriptNames: config.trackScripts.map((t) => t.name) }).ops;
  } catch (e) {
    throw new AdoptedConfigUnreadableError({ host: describeConnection(connection), detail: e instanceof Error ? e.message : String(e) });
  }
}

async function applyPair(
  connections: SshConnection[],
  config: KeepalivedPairConfig,
  adopt: boolean,
  installsMain: boolean,
  carried: FileOp[][] = [[], []],
  order: readonly number[] = applyOrder(config.nodes),
): Promise<void> {
  const opsPerNode = ([0, 1] as const).map((i): FileOp[] => [...(carried[i] ?? []), ...pairFiles(config, i)]);
  await applyToPair(
    connections.map((connection) => ({ connection })),
    opsPerNode,
    { what: `KeepalivedPair ${config.instanceName}`, order, installsMain, adopt, secrets: secretsOf(config), verify: verifyPairLoaded(config) },
  );
}

/** What VirtualServices and RealServers on this pair need to reach it. */
export function pairTarget(inputs: KeepalivedPairInputs) {
  return { instanceName: inputs.instanceName, nodes: inputs.nodes.map((n) => ({ connection: n.connection, state: n.state, priority: n.priority })) };
}

/** The pair config from both nodes' files; shared fields from the node that drifted, if one did. */
export function pairFromNodes(views: [NodeConfig, NodeConfig], previous: KeepalivedPairConfig | undefined): KeepalivedPairConfig {
  const shared = (v: NodeConfig) => {
    const { node: _n, unicastPeers: _p, ...rest } = v;
    return rest;
  };
  const [a, b] = [shared(views[0]), shared(views[1])];
  const previousShared = previous ? shared(nodeView(previous, 0)) : undefined;
  const pick = json(a) === json(b) || json(a) !== json(previousShared) ? a : b;
  return { ...pick, nodes: [views[0].node, views[1].node] };
}

export const keepalivedPairProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const clean = Object.fromEntries(Object.entries(news).filter(([k]) => !["hostKeyFingerprints", "configRoot", "target"].includes(k)));
    return checkWithSchema(KeepalivedPairInputsSchema, clean, formatCheckFailures, (n) => {
      const nodes = Array.isArray(n["nodes"]) ? (n["nodes"] as Array<{ connection?: unknown }>) : [];
      return nodes.map((node, i): [string, unknown] => [`nodes[${i}].connection`, node?.connection]);
    });
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
    const { replaces, updates } = diffKeepalivedPair(olds, news);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: KeepalivedPairInputs): Promise<pulumi.dynamic.CreateResult> {
    const connections = inputs.nodes.map((n) => resolveConnection(n.connection));
    const config = pairConfigOf(inputs);
    const id = pairId(inputs);
    const carried: FileOp[][] = [[], []];
    for (const [i, connection] of connections.entries()) {
      const live = await readNodeFiles(connection, [MAIN_FILE]);
      // Exactly the file this pair would write (or our include with no configuration behind
      // it yet) is this pair's own, left by a run that was cut: carry on from there.
      const text = live.files.get(MAIN_FILE);
      const ownLeftover = text === undefined || text === pairFiles(config, i as 0 | 1)[0]!.content;
      if (live.main === "ours" && !ownLeftover && !inputs.adopt) {
        throw new AlreadyExistsError({ resourceType: KEEPALIVED_PAIR_TYPE, what: "a pulumi-lvs keepalived configuration", host: describeConnection(connection), id });
      }
      // Also a node whose adoption was cut after its keepalived.conf was moved aside but
      // before our first generation went live: the read takes the moved copy then.
      if (inputs.adopt && (live.main !== "ours" || text === undefined)) carried[i] = await carriedOps(connection, config);
    }
    await applyPair(connections, config, inputs.adopt, true, carried);
    const hostKeyFingerprints = await Promise.all(connections.map(observedHostKeyFingerprint));
    return { id, outs: { ...inputs, hostKeyFingerprints, target: pairTarget(inputs) } };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const connections = connectionsOf(props);
    const files = await Promise.all(connections.map((c) => readNodeFiles(c, [MAIN_FILE])));
    const texts = files.map((f) => (f.main === "ours" ? f.files.get(MAIN_FILE) : undefined));
    if (texts.every((t) => t === undefined)) return {}; // removed from both nodes: gone
    const views = texts.map((t, i) =>
      t === undefined ? undefined : parseNodeConfig(t, `${describeConnection(connections[i]!)}:/etc/keepalived/pulumi-lvs/live/${MAIN_FILE}`),
    );
    const previous = pairConfigOf(props as KeepalivedPairInputs);
    // A node whose files are gone reads as an empty node: the diff then names it.
    const filled = views.map((v, i) => v ?? { ...nodeView(previous, i as 0 | 1), node: { ...previous.nodes[i as 0 | 1], priority: 0 } }) as [NodeConfig, NodeConfig];
    const config = pairFromNodes(filled, previous);
    const nodes = config.nodes.map((n, i) => ({ connection: props["nodes"][i].connection, ...n }));
    const inputs = { ...config, nodes, adopt: props["adopt"] ?? false } as KeepalivedPairInputs;
    return { id, props: { ...props, ...inputs, target: pairTarget(inputs) }, inputs: inputs as unknown as Record<string, unknown> };
  },

  async update(_id: string, olds: Record<string, any>, news: KeepalivedPairInputs): Promise<pulumi.dynamic.UpdateResult> {
    const connections = news.nodes.map((n, i) => resolveConnection(n.connection, olds["hostKeyFingerprints"]?.[i]));
    const config = pairConfigOf(news);
    await applyPair(connections, config, news.adopt, true, undefined, updateOrder({ advertInt: Number(olds["advertInt"] ?? 1) }, config));
    return { outs: { ...news, hostKeyFingerprints: olds["hostKeyFingerprints"], target: pairTarget(news) } };
  },

  async delete(_id: string, props: Record<string, any>): Promise<void> {
    const connections = connectionsOf(props);
    const config = pairConfigOf(props as KeepalivedPairInputs);
    for (const index of applyOrder(config.nodes)) await removePairFromNode(connections[index]!);
  },
};
