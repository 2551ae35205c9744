// lvs:index:VirtualService on a plain director: one IPVS service, managed with ipvsadm.
// The service router (provider/service/) checks and diffs, and sends here the services
// whose director is a plain one.
//
// State is the checked inputs plus what was observed (the host key fingerprint and the
// rules file written). `read` rebuilds the configuration from the kernel's live table, so
// an out-of-band `ipvsadm -E` shows up as drift, and a service removed by hand reads as gone.

import type * as pulumi from "@pulumi/pulumi";
import { describeConnection, type SshConnection } from "../ssh";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { AlreadyExistsError, SchedulerUnavailableError } from "../resource/errors";
import { availableSchedulers, changeIpvsTable, isAlreadyInKernelError, isMissingSchedulerError, readIpvsTable, saveIpvsTable } from "./executor";
import { directorOf, parseResourceId } from "./ids";
import { normalizeService, serviceKeyString, type IpvsService } from "./model";
import { planService } from "./plan";
import { serviceByKey } from "./tableIndex";
import { renderOp } from "./render";
import { toIpvsService, type VirtualServiceInputs } from "./schema";

export const VIRTUAL_SERVICE_TYPE = "VirtualService";

/** Inputs whose change means a different service: Pulumi replaces instead of editing. */
export const SERVICE_IDENTITY_PROPERTIES = ["protocol", "address", "port", "fwmark", "family"] as const;
/** Inputs edited in place with `ipvsadm -E`: established connections keep flowing. */
export const SERVICE_EDITABLE_PROPERTIES = ["scheduler", "schedulerFlags", "persistence", "onePacket"] as const;

export interface VirtualServiceState extends VirtualServiceInputs {
  /** protocol:address:port or fwmark:N:family — the service's identity on the director. */
  serviceKey: string;
  hostKeyFingerprint: string;
  rulesFile: string;
}

/** The configuration half of the inputs, as the live table says it is. */
function configFromService(service: IpvsService): Pick<VirtualServiceInputs, (typeof SERVICE_EDITABLE_PROPERTIES)[number]> {
  return {
    scheduler: service.scheduler,
    schedulerFlags: [...service.schedulerFlags],
    persistence: service.persistence ? { ...service.persistence } : undefined,
    onePacket: service.onePacket,
  } as Pick<VirtualServiceInputs, (typeof SERVICE_EDITABLE_PROPERTIES)[number]>;
}

/**
 * Sends the plan; with nothing to change, saves the rules file from the live table: an
 * earlier run may have been cut between its change and its save. The rules file written.
 */
async function apply(connection: SshConnection, ops: ReturnType<typeof planService>, scheduler: string): Promise<string> {
  if (ops.length === 0) return saveIpvsTable(connection);
  let rulesFile = "";
  for (const op of ops) {
    try {
      rulesFile = await changeIpvsTable(connection, renderOp(op));
    } catch (err) {
      if (isMissingSchedulerError(err)) {
        throw new SchedulerUnavailableError({ scheduler, host: describeConnection(connection), available: await availableSchedulers(connection) });
      }
      throw err;
    }
  }
  return rulesFile;
}

/**
 * A create whose service the kernel already has. Exactly this service: this create's own
 * earlier run, cut after the change (perhaps before the rules file was saved), so carry on
 * and save; with `adopt`, take it over as declared. Anything else is not ours.
 */
async function createOverExisting(connection: SshConnection, inputs: VirtualServiceInputs, desired: IpvsService, id: string): Promise<string> {
  const live = await readIpvsTable(connection);
  const ops = planService(live, desired, desired.key);
  if (serviceByKey(live, serviceKeyString(desired.key)) !== undefined && !inputs.adopt && ops.length > 0) {
    throw new AlreadyExistsError({ resourceType: VIRTUAL_SERVICE_TYPE, what: `IPVS service ${serviceKeyString(desired.key)}`, host: describeConnection(connection), id });
  }
  return apply(connection, ops, desired.scheduler);
}

/** VirtualService on a plain director: create, read, update and delete with ipvsadm. */
export const ipvsadmVirtualServiceProvider = {
  async create(inputs: VirtualServiceInputs): Promise<pulumi.dynamic.CreateResult> {
    const connection = resolveConnection(inputs.connection);
    const desired = toIpvsService(inputs);
    const id = `${directorOf(inputs)}/${serviceKeyString(desired.key)}`;
    // A create nearly always makes something new, so the service is added at once (one
    // round trip, in the batch of the other creates) and the table is read only when the
    // kernel says it is already there.
    let rulesFile: string;
    try {
      rulesFile = await apply(connection, [{ kind: "add-service", service: normalizeService(desired) }], desired.scheduler);
    } catch (err) {
      if (!isAlreadyInKernelError(err)) throw err;
      rulesFile = await createOverExisting(connection, inputs, desired, id);
    }
    const outs: VirtualServiceState = {
      ...inputs,
      serviceKey: serviceKeyString(desired.key),
      hostKeyFingerprint: await observedHostKeyFingerprint(connection),
      rulesFile,
    };
    return { id, outs };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const key = parseResourceId(id).key;
    const live = await readIpvsTable(connection);
    const service = serviceByKey(live, key);
    if (!service) return {}; // removed out of band: Pulumi shows it as gone
    const identity = service.key.kind === "fwmark"
      ? { fwmark: service.key.fwmark, family: service.key.family }
      : { protocol: service.key.protocol, address: service.key.address, port: service.key.port };
    const config = { ...identity, ...configFromService(service) };
    const state = {
      ...props,
      ...config,
      serviceKey: key,
      hostKeyFingerprint: props["hostKeyFingerprint"] ?? (await observedHostKeyFingerprint(connection)),
    };
    const inputs = { connection: props["connection"], adopt: props["adopt"] ?? false, ...config };
    return { id, props: stripUndefined(state), inputs: stripUndefined(inputs) };
  },

  async update(id: string, olds: Record<string, any>, news: VirtualServiceInputs): Promise<pulumi.dynamic.UpdateResult> {
    const connection = resolveConnection(news.connection, olds["hostKeyFingerprint"]);
    const desired = toIpvsService(news);
    const live = await readIpvsTable(connection);
    const rulesFile = await apply(connection, planService(live, desired, desired.key), desired.scheduler);
    return { outs: { ...olds, ...news, serviceKey: parseResourceId(id).key, rulesFile } };
  },

  async delete(id: string, props: Record<string, any>): Promise<void> {
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const key = parseResourceId(id).key;
    const live = await readIpvsTable(connection);
    const service = serviceByKey(live, key);
    if (!service) {
      // Already gone from the kernel; the rules file may still hold it (an earlier delete cut
      // between the change and the save), and a reboot would bring it back: save.
      await saveIpvsTable(connection);
      return;
    }
    await apply(connection, planService(live, undefined, service.key), service.scheduler);
  },
};

function stripUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
