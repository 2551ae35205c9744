// VirtualService and RealServer when their director is a KeepalivedPair: the same inputs
// as on a plain director, realised as keepalived include files on both nodes (keepalived
// then owns those IPVS entries and runs the health checks). The service router
// (provider/service/) sends here every VirtualService and RealServer whose inputs carry
// `keepalived`; the plain-director providers in provider/ipvs/ never see them.
//
// `read` parses the files back, not the IPVS table: a real server that keepalived took
// out because its health check fails is health, not configuration, and is no drift.

import type * as pulumi from "@pulumi/pulumi";
import { directorOf, parseResourceId } from "../ipvs/ids";
import { destinationKeyString, serviceKeyString, type ServiceKey } from "../ipvs/model";
import { readIpvsTable } from "../ipvs/executor";
import { parseIpvsadmSave } from "../ipvs/parse";
import { serviceKeyOf, toIpvsDestination, toIpvsService, type RealServerInputs, type VirtualServiceInputs } from "../ipvs/schema";
import { describeConnection, type SshConnection } from "../ssh";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { AlreadyExistsError, StateError } from "../resource/errors";
import { MixedManagementError } from "./errors";
import { readNodeFiles } from "./executor";
import { applyServiceFiles } from "./serviceBatch";
import type { FileOp } from "./fileOps";
import { realServerDir, realServerFile, serviceFile, serviceIncludeFile } from "./layout";
import { applyOrder } from "./model";
import { parseRealServerFile, parseVirtualServerFile } from "./parse";
import { renderRealServerBlock, renderVirtualServerBlock } from "./render";
import { KEEPALIVED_REAL_SERVER_ONLY, KEEPALIVED_SERVICE_ONLY, type KeepalivedTarget } from "./serviceSchema";
import type { KeepalivedRealServerOptions, KeepalivedServiceOptions } from "./serviceModel";
import type { NodeStatus } from "./status";

/** VirtualService inputs on a KeepalivedPair: the IPVS inputs plus keepalived's own. */
export type KeepalivedVirtualServiceInputs = VirtualServiceInputs & KeepalivedServiceOptions & { keepalived: KeepalivedTarget };
/** RealServer inputs on a KeepalivedPair: the IPVS inputs plus keepalived's own. */
export type KeepalivedRealServerInputs = RealServerInputs & KeepalivedRealServerOptions & { keepalived: KeepalivedTarget };

function pairConnections(target: KeepalivedTarget, fingerprints?: unknown): SshConnection[] {
  const recorded = Array.isArray(fingerprints) ? fingerprints : [];
  return target.nodes.map((n, i) => resolveConnection(n.connection, recorded[i]));
}

const pick = (v: object, keys: readonly string[]) => {
  const r = v as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
};

/** The content of the one file an apply writes (what a create cut half-way left behind, if anything). */
function ownContent(ops: FileOp[]): string | undefined {
  const write = ops.find((o) => o.op === "write") as { content: string } | undefined;
  return write?.content;
}

/**
 * The nodes that lack the resource's file while another node has it: drift that reading
 * the other node's copy would hide. The router's diff turns it into an update, which
 * writes the file on both nodes again.
 */
function missingOn(connections: readonly SshConnection[], contents: readonly (string | undefined)[]): string[] {
  return connections.filter((_, i) => contents[i] === undefined).map((c) => describeConnection(c));
}

function serviceKeyFromState(props: Record<string, any>): ServiceKey {
  return serviceKeyOf(props as KeepalivedVirtualServiceInputs);
}

/** The node's IPVS table has the service (keepalived programs a virtual_server at load). */
function verifyServicePresent(key: ServiceKey) {
  return (_index: number, status: NodeStatus): string | undefined => {
    if (!status.running) return "keepalived is not running after the reload";
    const table = parseIpvsadmSave(status.ipvsSave);
    return table.services.some((s) => serviceKeyString(s.key) === serviceKeyString(key))
      ? undefined
      : `keepalived reloaded but the IPVS table has no ${serviceKeyString(key)}`;
  };
}

async function applyService(inputs: KeepalivedVirtualServiceInputs, connections: SshConnection[], ops: FileOp[], verify?: ReturnType<typeof verifyServicePresent>) {
  await applyServiceFiles(
    connections.map((connection) => ({ connection })),
    [ops, ops],
    { what: `VirtualService ${serviceKeyString(serviceKeyOf(inputs))}`, order: applyOrder(inputs.keepalived.nodes), installsMain: false, adopt: false, secrets: [], ...(verify ? { verify } : {}) },
  );
}

function serviceOps(inputs: KeepalivedVirtualServiceInputs): FileOp[] {
  const service = toIpvsService(inputs);
  return [{ op: "write", path: serviceFile(service.key), content: renderVirtualServerBlock(service, pick(inputs, KEEPALIVED_SERVICE_ONLY)) }];
}

export const keepalivedVirtualServiceProvider = {
  async create(inputs: KeepalivedVirtualServiceInputs): Promise<pulumi.dynamic.CreateResult> {
    const connections = pairConnections(inputs.keepalived);
    const key = serviceKeyOf(inputs);
    const id = `${directorOf(inputs)}/${serviceKeyString(key)}`;
    for (const connection of connections) {
      const live = await readNodeFiles(connection, [serviceFile(key)]);
      if (live.main !== "ours") throw new StateError(`cannot add ${serviceKeyString(key)} on ${describeConnection(connection)}: its KeepalivedPair is not configured there; create the KeepalivedPair first (pass it as keepalivedPair)`);
      // Exactly the file this service writes: its own create, cut on the way. Carry on.
      const found = live.files.get(serviceFile(key));
      if (found !== undefined && found !== ownContent(serviceOps(inputs)) && !inputs.adopt)
        throw new AlreadyExistsError({ resourceType: "VirtualService", what: `keepalived virtual_server ${serviceKeyString(key)}`, host: describeConnection(connection), id });
      if (live.files.get(serviceFile(key)) === undefined && (await readIpvsTable(connection)).services.some((s) => serviceKeyString(s.key) === serviceKeyString(key)))
        throw new MixedManagementError(
          `cannot hand ${serviceKeyString(key)} to keepalived on ${describeConnection(connection)}: the IPVS table already has it, outside keepalived (an ipvsadm rule, ` +
            `perhaps a VirtualService with a plain connection). Never mix ipvsadm- and keepalived-managed rules for one service: delete that VirtualService ` +
            `(or \`ipvsadm -D\` the entry and remove it from /etc/ipvsadm.rules), then run \`pulumi up\` again.`,
        );
    }
    // Not in IPVS until its first real server: keepalived refuses a virtual_server without one.
    await applyService(inputs, connections, serviceOps(inputs));
    const hostKeyFingerprints = await Promise.all(connections.map(observedHostKeyFingerprint));
    return { id, outs: { ...inputs, serviceKey: serviceKeyString(key), hostKeyFingerprint: hostKeyFingerprints[0], hostKeyFingerprints, rulesFile: "", missingOn: [] } };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const target = props["keepalived"] as KeepalivedTarget;
    const connections = pairConnections(target, props["hostKeyFingerprints"]);
    const key = serviceKeyFromState(props);
    const file = serviceFile(key);
    const contents = await Promise.all(connections.map(async (c) => (await readNodeFiles(c, [file])).files.get(file)));
    const parsed = contents.map((t, i) => (t === undefined ? undefined : parseVirtualServerFile(t, `${describeConnection(connections[i]!)}:${file}`)));
    if (parsed.every((p) => p === undefined)) return {};
    // A node that lost (or changed) its file is the one to report: that is the drift.
    const expected = (serviceOps(props as KeepalivedVirtualServiceInputs)[0] as { content: string }).content;
    const at = contents.findIndex((t) => t !== expected);
    const chosen = (at >= 0 && parsed[at] !== undefined ? parsed[at] : parsed.find((p) => p !== undefined))!;
    const { service, options } = chosen;
    const config = {
      scheduler: service.scheduler,
      schedulerFlags: service.schedulerFlags,
      ...(service.persistence ? { persistence: service.persistence } : {}),
      onePacket: service.onePacket,
      ...options,
    };
    const base = Object.fromEntries(Object.entries(props).filter(([k]) => !["persistence", ...KEEPALIVED_SERVICE_ONLY].includes(k)));
    const state = { ...base, ...config, serviceKey: serviceKeyString(key), missingOn: missingOn(connections, contents) };
    const inputs = Object.fromEntries(Object.entries(state).filter(([k]) => !["serviceKey", "hostKeyFingerprint", "hostKeyFingerprints", "rulesFile", "missingOn"].includes(k)));
    return { id, props: state, inputs };
  },

  async update(_id: string, olds: Record<string, any>, news: KeepalivedVirtualServiceInputs): Promise<pulumi.dynamic.UpdateResult> {
    const connections = pairConnections(news.keepalived, olds["hostKeyFingerprints"]);
    await applyService(news, connections, serviceOps(news), await hasRealServers(connections[0]!, serviceKeyOf(news)) ? verifyServicePresent(serviceKeyOf(news)) : undefined);
    return { outs: { ...news, serviceKey: serviceKeyString(serviceKeyOf(news)), hostKeyFingerprint: olds["hostKeyFingerprint"], hostKeyFingerprints: olds["hostKeyFingerprints"], rulesFile: "", missingOn: [] } };
  },

  async delete(_id: string, props: Record<string, any>): Promise<void> {
    const inputs = props as KeepalivedVirtualServiceInputs;
    const connections = pairConnections(inputs.keepalived, props["hostKeyFingerprints"]);
    const key = serviceKeyFromState(props);
    const live = await Promise.all(connections.map((c) => readNodeFiles(c, [])));
    if (live.every((l) => l.main !== "ours")) return; // the pair is gone already: nothing of ours is left
    await applyService(inputs, connections, [
      { op: "removetree", path: realServerDir(key) },
      { op: "remove", path: serviceFile(key) },
    ]);
  },
};

function realServerOps(inputs: KeepalivedRealServerInputs): FileOp[] {
  const d = toIpvsDestination(inputs);
  return [{ op: "write", path: realServerFile(d.service, d.address, d.port), content: renderRealServerBlock(d, pick(inputs, KEEPALIVED_REAL_SERVER_ONLY)) }];
}

async function applyRealServer(inputs: KeepalivedRealServerInputs, connections: SshConnection[], ops: FileOp[], verify?: ReturnType<typeof verifyServicePresent>) {
  await applyServiceFiles(
    connections.map((connection) => ({ connection })),
    [ops, ops],
    { what: `RealServer ${destinationKeyString(toIpvsDestination(inputs))}`, order: applyOrder(inputs.keepalived.nodes), installsMain: false, adopt: false, secrets: [], ...(verify ? { verify } : {}) },
  );
}

/** Whether the service has real server files on this node (so keepalived has it in IPVS). */
async function hasRealServers(connection: SshConnection, key: ServiceKey): Promise<boolean> {
  const include = serviceIncludeFile(key);
  return (await readNodeFiles(connection, [include])).files.get(include) !== undefined;
}

export const keepalivedRealServerProvider = {
  async create(inputs: KeepalivedRealServerInputs): Promise<pulumi.dynamic.CreateResult> {
    const connections = pairConnections(inputs.keepalived);
    const d = toIpvsDestination(inputs);
    const key = destinationKeyString(d);
    const id = `${directorOf(inputs)}/${key}`;
    const file = realServerFile(d.service, d.address, d.port);
    for (const connection of connections) {
      const live = await readNodeFiles(connection, [serviceFile(d.service), file]);
      if (live.files.get(serviceFile(d.service)) === undefined)
        throw new StateError(`cannot add a real server to ${serviceKeyString(d.service)} on ${describeConnection(connection)}: that keepalived virtual_server does not exist there. Create its VirtualService first (pass it as \`virtualService\`).`);
      // Exactly the file this real server writes: its own create, cut on the way. Carry on.
      const found = live.files.get(file);
      if (found !== undefined && found !== ownContent(realServerOps(inputs)) && !inputs.adopt)
        throw new AlreadyExistsError({ resourceType: "RealServer", what: `keepalived real_server ${key}`, host: describeConnection(connection), id });
    }
    await applyRealServer(inputs, connections, realServerOps(inputs), verifyServicePresent(d.service));
    const hostKeyFingerprints = await Promise.all(connections.map(observedHostKeyFingerprint));
    return { id, outs: { ...inputs, destinationKey: key, hostKeyFingerprint: hostKeyFingerprints[0], hostKeyFingerprints, rulesFile: "", missingOn: [] } };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const inputs = props as KeepalivedRealServerInputs;
    const connections = pairConnections(inputs.keepalived, props["hostKeyFingerprints"]);
    const d = toIpvsDestination(inputs);
    const file = realServerFile(d.service, d.address, d.port);
    const expected = (realServerOps(inputs)[0] as { content: string }).content;
    const contents = await Promise.all(connections.map(async (c) => (await readNodeFiles(c, [file])).files.get(file)));
    if (contents.every((t) => t === undefined)) return {};
    const at = contents.findIndex((t) => t !== expected);
    const index = at >= 0 && contents[at] !== undefined ? at : contents.findIndex((t) => t !== undefined);
    const { destination, options } = parseRealServerFile(contents[index]!, `${describeConnection(connections[index]!)}:${file}`, d.service);
    const config = {
      forwarding: destination.forwarding,
      weight: destination.weight,
      upperThreshold: destination.upperThreshold,
      lowerThreshold: destination.lowerThreshold,
      ...(destination.tunnel ? { tunnel: destination.tunnel } : {}),
      ...options,
    };
    const base = Object.fromEntries(Object.entries(props).filter(([k]) => !["tunnel", ...KEEPALIVED_REAL_SERVER_ONLY].includes(k)));
    const state = { ...base, ...config, destinationKey: parseResourceId(id).key, missingOn: missingOn(connections, contents) };
    const stateInputs = Object.fromEntries(Object.entries(state).filter(([k]) => !["destinationKey", "hostKeyFingerprint", "hostKeyFingerprints", "rulesFile", "missingOn"].includes(k)));
    return { id, props: state, inputs: stateInputs };
  },

  async update(id: string, olds: Record<string, any>, news: KeepalivedRealServerInputs): Promise<pulumi.dynamic.UpdateResult> {
    const connections = pairConnections(news.keepalived, olds["hostKeyFingerprints"]);
    await applyRealServer(news, connections, realServerOps(news));
    return { outs: { ...news, destinationKey: parseResourceId(id).key, hostKeyFingerprint: olds["hostKeyFingerprint"], hostKeyFingerprints: olds["hostKeyFingerprints"], rulesFile: "", missingOn: [] } };
  },

  async delete(_id: string, props: Record<string, any>): Promise<void> {
    const inputs = props as KeepalivedRealServerInputs;
    const connections = pairConnections(inputs.keepalived, props["hostKeyFingerprints"]);
    const d = toIpvsDestination(inputs);
    const live = await Promise.all(connections.map((c) => readNodeFiles(c, [])));
    if (live.every((l) => l.main !== "ours")) return;
    await applyRealServer(inputs, connections, [{ op: "remove", path: realServerFile(d.service, d.address, d.port) }]);
  },
};

export { MixedManagementError };
