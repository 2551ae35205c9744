// lvs:index:RealServer on a plain director: one IPVS destination of one service. The
// service router (provider/service/) checks and diffs, and sends here the real servers
// whose director is a plain one.
//
// Weight, forwarding and thresholds are edited in place (`ipvsadm -e`), never by delete
// and re-add, so established connections keep flowing. Delete can drain first: weight 0
// (no new connections), wait for the existing ones to finish, then remove.

import type * as pulumi from "@pulumi/pulumi";
import { describeConnection, type SshConnection } from "../ssh";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { AlreadyExistsError, StateError } from "../resource/errors";
import { changeIpvsTable, isAlreadyInKernelError, isServiceMissingError, readConnectionCounts, readIpvsTable, saveIpvsTable } from "./executor";
import { directorOf, parseResourceId } from "./ids";
import { destinationKeyString, normalizeDestination, serviceKeyString, type IpvsDestination, type IpvsTable, type ServiceKey } from "./model";
import { planDestination } from "./plan";
import { destinationByKey, serviceByKey } from "./tableIndex";
import { renderOp, renderServiceSelector } from "./render";
import { toIpvsDestination, type RealServerInputs } from "./schema";

export const REAL_SERVER_TYPE = "RealServer";

/** Inputs whose change means a different real server: Pulumi replaces instead of editing. */
export const DESTINATION_IDENTITY_PROPERTIES = ["service", "address", "port"] as const;
/** Inputs edited in place with `ipvsadm -e`: established connections keep flowing. */
export const DESTINATION_EDITABLE_PROPERTIES = ["forwarding", "weight", "upperThreshold", "lowerThreshold", "tunnel"] as const;
/** Inputs that change what this resource does, not the IPVS entry. */
export const DESTINATION_STATE_ONLY_PROPERTIES = ["drain", "adopt"] as const;

function findDestination(table: IpvsTable, key: string): IpvsDestination | undefined {
  return destinationByKey(table, key);
}

/**
 * Sends the plan; with nothing to change, saves the rules file from the live table: an
 * earlier run may have been cut between its change and its save. The rules file written.
 */
async function apply(connection: SshConnection, ops: ReturnType<typeof planDestination>): Promise<string> {
  if (ops.length === 0) return saveIpvsTable(connection);
  let rulesFile = "";
  for (const op of ops) rulesFile = await changeIpvsTable(connection, renderOp(op));
  return rulesFile;
}

function serviceMissing(key: ServiceKey, connection: SshConnection): StateError {
  return new StateError(
    `cannot add a real server to ${serviceKeyString(key)} on ${describeConnection(connection)}: that service does not exist there. ` +
      `Create its VirtualService first (pass the VirtualService resource as \`virtualService\`, so Pulumi orders them).`,
  );
}

/**
 * A create whose destination the kernel already has. Exactly this real server: this
 * create's own earlier run, cut after the change (perhaps before the rules file was
 * saved), so carry on and save; with `adopt`, take it over as declared. Anything else is
 * not ours.
 */
async function createOverExisting(connection: SshConnection, inputs: RealServerInputs, desired: IpvsDestination, id: string): Promise<string> {
  const key = destinationKeyString(desired);
  const live = await readIpvsTable(connection);
  if (!serviceByKey(live, serviceKeyString(desired.service))) throw serviceMissing(desired.service, connection);
  const ops = planDestination(live, desired, desired);
  if (findDestination(live, key) && !inputs.adopt && ops.length > 0) {
    throw new AlreadyExistsError({ resourceType: REAL_SERVER_TYPE, what: `real server ${key}`, host: describeConnection(connection), id });
  }
  return apply(connection, ops);
}

/** Weight 0, then wait until the destination has no connections left or the timeout passes. */
async function drain(connection: SshConnection, live: IpvsTable, current: IpvsDestination, drainOptions: { timeoutSeconds: number; pollSeconds: number }): Promise<void> {
  if (current.weight !== 0) await apply(connection, planDestination(live, { ...current, weight: 0 }, current));
  const key = destinationKeyString(current);
  const deadline = Date.now() + drainOptions.timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    const counts = (await readConnectionCounts(connection, renderServiceSelector(current.service))).get(key);
    if (!counts || counts.active + counts.inactive === 0) return;
    await new Promise((resolve) => setTimeout(resolve, drainOptions.pollSeconds * 1000));
  }
}

/** RealServer on a plain director: create, read, update and delete with ipvsadm. */
export const ipvsadmRealServerProvider = {
  async create(inputs: RealServerInputs): Promise<pulumi.dynamic.CreateResult> {
    const connection = resolveConnection(inputs.connection);
    const desired = toIpvsDestination(inputs);
    const key = destinationKeyString(desired);
    const id = `${directorOf(inputs)}/${key}`;
    // A create nearly always makes something new, so the destination is added at once (one
    // round trip, in the batch of the other creates: the engine creates a cluster's real
    // servers together) and the table is read only when the kernel refuses the add.
    let rulesFile: string;
    try {
      rulesFile = await apply(connection, [{ kind: "add-destination", destination: normalizeDestination(desired) }]);
    } catch (err) {
      if (isServiceMissingError(err)) throw serviceMissing(desired.service, connection);
      if (!isAlreadyInKernelError(err)) throw err;
      rulesFile = await createOverExisting(connection, inputs, desired, id);
    }
    return {
      id,
      outs: { ...inputs, destinationKey: key, hostKeyFingerprint: await observedHostKeyFingerprint(connection), rulesFile },
    };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const key = parseResourceId(id).key;
    const live = findDestination(await readIpvsTable(connection), key);
    if (!live) return {};
    const service = live.service.kind === "fwmark"
      ? { fwmark: live.service.fwmark, family: live.service.family }
      : { protocol: live.service.protocol, address: live.service.address, port: live.service.port };
    const config = {
      service,
      address: live.address,
      port: live.port,
      forwarding: live.forwarding,
      weight: live.weight,
      upperThreshold: live.upperThreshold,
      lowerThreshold: live.lowerThreshold,
      ...(live.tunnel ? { tunnel: { ...live.tunnel } } : {}),
    };
    const base = Object.fromEntries(Object.entries(props).filter(([k]) => k !== "tunnel"));
    const fingerprint = props["hostKeyFingerprint"] ?? (await observedHostKeyFingerprint(connection));
    const inputs: Record<string, unknown> = { connection: props["connection"], ...config };
    for (const p of DESTINATION_STATE_ONLY_PROPERTIES) if (props[p] !== undefined) inputs[p] = props[p];
    return { id, props: { ...base, ...config, destinationKey: key, hostKeyFingerprint: fingerprint }, inputs };
  },

  async update(id: string, olds: Record<string, any>, news: RealServerInputs): Promise<pulumi.dynamic.UpdateResult> {
    const connection = resolveConnection(news.connection, olds["hostKeyFingerprint"]);
    const desired = toIpvsDestination(news);
    const live = await readIpvsTable(connection);
    const rulesFile = await apply(connection, planDestination(live, desired, desired));
    return { outs: { ...news, destinationKey: parseResourceId(id).key, hostKeyFingerprint: olds["hostKeyFingerprint"], rulesFile } };
  },

  async delete(id: string, props: Record<string, any>): Promise<void> {
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const key = parseResourceId(id).key;
    let live = await readIpvsTable(connection);
    const current = findDestination(live, key);
    if (!current) {
      // Already gone from the kernel; the rules file may still hold it (an earlier delete cut
      // between the change and the save), and a reboot would bring it back: save.
      await saveIpvsTable(connection);
      return;
    }
    const drainOptions = props["drain"] as { timeoutSeconds: number; pollSeconds: number } | undefined;
    const isUdp = current.service.kind === "address" && current.service.protocol === "udp";
    // UDP has no connection end to wait for: its entries only expire by timeout.
    if (drainOptions && !isUdp) {
      await drain(connection, live, current, drainOptions);
      live = await readIpvsTable(connection);
    }
    const stillThere = findDestination(live, key);
    await apply(connection, stillThere ? planDestination(live, undefined, stillThere) : []);
  },
};
