// lvs:index:RealServer on a plain director: one IPVS destination of one service.
//
// Weight, forwarding and thresholds are edited in place (`ipvsadm -e`), never by delete
// and re-add, so established connections keep flowing. Delete can drain first: weight 0
// (no new connections), wait for the existing ones to finish, then remove.

import type * as pulumi from "@pulumi/pulumi";
import { describeConnection, type SshConnection } from "../ssh";
import { checkWithSchema, directorConnections } from "../resource/check";
import { keepalivedRealServerProvider } from "../keepalived/serviceProviders";
import { KEEPALIVED_REAL_SERVER_ONLY } from "../keepalived/serviceSchema";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { AlreadyExistsError, StateError } from "../resource/errors";
import { changeIpvsTable, readConnectionCounts, readIpvsTable } from "./executor";
import { directorOf, parseResourceId } from "./ids";
import { destinationKeyString, serviceKeyString, type IpvsDestination, type IpvsTable, type ServiceKey } from "./model";
import { planDestination } from "./plan";
import { renderOp, renderServiceSelector } from "./render";
import { RealServerInputsSchema, formatCheckFailures, toIpvsDestination, type KeepalivedRealServerInputs, type RealServerInputs } from "./schema";

export const REAL_SERVER_TYPE = "RealServer";

const IDENTITY_PROPERTIES = ["service", "address", "port"] as const;
const EDITABLE_PROPERTIES = ["forwarding", "weight", "upperThreshold", "lowerThreshold", "tunnel"] as const;
const STATE_ONLY_PROPERTIES = ["drain", "adopt"] as const;

const json = (v: unknown) => JSON.stringify(v ?? null);

export function diffRealServer(olds: Record<string, any>, news: Record<string, any>): { replaces: string[]; updates: string[] } {
  const replaces: string[] = IDENTITY_PROPERTIES.filter((p) => json(olds[p]) !== json(news[p]));
  const sameDirector = directorOf(olds) === directorOf(news);
  if (!sameDirector) replaces.push(news["keepalived"] !== undefined ? "keepalivedPair" : "connection");
  const updates: string[] = [...EDITABLE_PROPERTIES, ...STATE_ONLY_PROPERTIES, ...KEEPALIVED_REAL_SERVER_ONLY].filter((p) => json(olds[p]) !== json(news[p]));
  if (sameDirector && json(olds["connection"]) !== json(news["connection"])) updates.push("connection");
  if (sameDirector && json(olds["keepalived"]) !== json(news["keepalived"])) updates.push("keepalivedPair");
  return { replaces, updates };
}

function findDestination(table: IpvsTable, key: string): IpvsDestination | undefined {
  return table.destinations.find((d) => destinationKeyString(d) === key);
}

async function apply(connection: SshConnection, ops: ReturnType<typeof planDestination>): Promise<string | undefined> {
  let rulesFile: string | undefined;
  for (const op of ops) rulesFile = await changeIpvsTable(connection, renderOp(op));
  return rulesFile;
}

function requireService(table: IpvsTable, key: ServiceKey, connection: SshConnection): void {
  if (!table.services.some((s) => serviceKeyString(s.key) === serviceKeyString(key))) {
    throw new StateError(
      `cannot add a real server to ${serviceKeyString(key)} on ${describeConnection(connection)}: that service does not exist there. ` +
        `Create its VirtualService first (pass the VirtualService resource as \`virtualService\`, so Pulumi orders them).`,
    );
  }
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

export const realServerProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkWithSchema(RealServerInputsSchema, news, formatCheckFailures, directorConnections);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
    const { replaces, updates } = diffRealServer(olds, news);
    return { changes: replaces.length + updates.length > 0, replaces };
  },

  async create(inputs: RealServerInputs): Promise<pulumi.dynamic.CreateResult> {
    if (inputs.keepalived) return keepalivedRealServerProvider.create(inputs as KeepalivedRealServerInputs);
    const connection = resolveConnection(inputs.connection);
    const desired = toIpvsDestination(inputs);
    const key = destinationKeyString(desired);
    const id = `${directorOf(inputs)}/${key}`;
    const live = await readIpvsTable(connection);
    requireService(live, desired.service, connection);
    if (findDestination(live, key) && !inputs.adopt) {
      throw new AlreadyExistsError({ resourceType: REAL_SERVER_TYPE, what: `real server ${key}`, host: describeConnection(connection), id });
    }
    const rulesFile = await apply(connection, planDestination(live, desired, desired));
    return {
      id,
      outs: { ...inputs, destinationKey: key, hostKeyFingerprint: await observedHostKeyFingerprint(connection), rulesFile: rulesFile ?? "" },
    };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    if (props["keepalived"]) return keepalivedRealServerProvider.read(id, props);
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
    for (const p of STATE_ONLY_PROPERTIES) if (props[p] !== undefined) inputs[p] = props[p];
    return { id, props: { ...base, ...config, destinationKey: key, hostKeyFingerprint: fingerprint }, inputs };
  },

  async update(id: string, olds: Record<string, any>, news: RealServerInputs): Promise<pulumi.dynamic.UpdateResult> {
    if (news.keepalived) return keepalivedRealServerProvider.update(id, olds, news as KeepalivedRealServerInputs);
    const connection = resolveConnection(news.connection, olds["hostKeyFingerprint"]);
    const desired = toIpvsDestination(news);
    const live = await readIpvsTable(connection);
    const rulesFile = await apply(connection, planDestination(live, desired, desired));
    return { outs: { ...news, destinationKey: parseResourceId(id).key, hostKeyFingerprint: olds["hostKeyFingerprint"], rulesFile: rulesFile ?? olds["rulesFile"] } };
  },

  async delete(id: string, props: Record<string, any>): Promise<void> {
    if (props["keepalived"]) return keepalivedRealServerProvider.delete(id, props);
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const key = parseResourceId(id).key;
    let live = await readIpvsTable(connection);
    const current = findDestination(live, key);
    if (!current) return;
    const drainOptions = props["drain"] as { timeoutSeconds: number; pollSeconds: number } | undefined;
    const isUdp = current.service.kind === "address" && current.service.protocol === "udp";
    // UDP has no connection end to wait for: its entries only expire by timeout.
    if (drainOptions && !isUdp) {
      await drain(connection, live, current, drainOptions);
      live = await readIpvsTable(connection);
    }
    const stillThere = findDestination(live, key);
    if (stillThere) await apply(connection, planDestination(live, undefined, stillThere));
  },
};
