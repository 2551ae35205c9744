// Live table × desired state → the ipvsadm operations that converge them. Pure, so that
// `diff` (preview) and `update` (apply) run the same code, and so it can be property-tested
// against applyOps, a model of what ipvsadm does to the kernel's table.
//
// Entries are matched by key (serviceKeyString / destinationKeyString). A key match with a
// config difference is an in-place edit (-E / -e), never delete + add, so established
// connections keep flowing.

import { LvsError } from "../ssh/errors";
import {
  destinationConfigOf,
  destinationKeyString,
  normalizeDestination,
  normalizeService,
  normalizeTable,
  sameDestinationConfig,
  sameDestinationKeyFields,
  sameServiceConfig,
  sameServiceKeyFields,
  serviceConfigOf,
  serviceKeyString,
  type DestinationKey,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  type ServiceKey,
} from "./model";
import { destinationByKey, serviceByKey } from "./tableIndex";

export type IpvsOp =
  | { kind: "add-service"; service: IpvsService }
  | { kind: "edit-service"; service: IpvsService }
  | { kind: "delete-service"; service: IpvsService }
  | { kind: "add-destination"; destination: IpvsDestination }
  | { kind: "edit-destination"; destination: IpvsDestination }
  | { kind: "delete-destination"; destination: IpvsDestination };

/**
 * The operations for ONE service (a VirtualService owns its service only; its real servers
 * are separate resources). `desired` undefined means the service should be gone; ipvsadm -D
 * takes its destinations with it.
 */
export function planService(live: IpvsTable, desired: IpvsService | undefined, key: ServiceKey): IpvsOp[] {
  // Keyed once, and the desired key only when its fields differ: the key strings are what
  // costs when every entry of a large table is planned.
  const keyString = serviceKeyString(key);
  if (desired && !sameServiceKeyFields(desired.key, key) && serviceKeyString(desired.key) !== keyString)
    throw new Error(`planService: desired service ${serviceKeyString(desired.key)} does not have key ${keyString}`);
  const current = serviceByKey(live, keyString);
  if (!desired) return current ? [{ kind: "delete-service", service: normalizeService(current) }] : [];
  if (!current) return [{ kind: "add-service", service: normalizeService(desired) }];
  return sameServiceConfig(current, desired) ? [] : [{ kind: "edit-service", service: normalizeService(desired) }];
}

/**
 * The operations for ONE destination (a RealServer owns one). Adding needs the service to
 * exist; that is the VirtualService's job, so it is not checked here (applyOps and ipvsadm
 * both reject it).
 */
export function planDestination(live: IpvsTable, desired: IpvsDestination | undefined, key: DestinationKey): IpvsOp[] {
  // Keyed as in planService.
  const keyString = destinationKeyString(key);
  if (desired && !sameDestinationKeyFields(desired, key) && destinationKeyString(desired) !== keyString)
    throw new Error(`planDestination: desired real server ${destinationKeyString(desired)} does not have key ${keyString}`);
  const current = destinationByKey(live, keyString);
  if (!desired) return current ? [{ kind: "delete-destination", destination: normalizeDestination(current) }] : [];
  if (!current) return [{ kind: "add-destination", destination: normalizeDestination(desired) }];
  return sameDestinationConfig(current, desired) ? [] : [{ kind: "edit-destination", destination: normalizeDestination(desired) }];
}

/**
 * Reconcile a whole table by key sets: delete extra destinations, then extra services, add
 * missing services, edit differing ones, then add and edit destinations. Destinations go
 * before their service on the way out and after it on the way in.
 */
export function planTable(live: IpvsTable, desired: IpvsTable): IpvsOp[] {
  const l = normalizeTable(live);
  const d = normalizeTable(desired);
  const desiredServices = new Set(d.services.map((s) => serviceKeyString(s.key)));
  for (const dest of d.destinations) {
    if (!desiredServices.has(serviceKeyString(dest.service)))
      throw new Error(`planTable: desired real server ${destinationKeyString(dest)} has no desired service`);
  }
  const desiredDestinations = new Set(d.destinations.map(destinationKeyString));
  return [
    ...l.destinations.filter((x) => !desiredDestinations.has(destinationKeyString(x))).flatMap((x) => planDestination(l, undefined, x)),
    ...l.services.filter((s) => !desiredServices.has(serviceKeyString(s.key))).flatMap((s) => planService(l, undefined, s.key)),
    ...d.services.flatMap((s) => planService(l, s, s.key)),
    ...d.destinations.flatMap((x) => planDestination(l, x, x)),
  ].sort((a, b) => OP_ORDER[a.kind] - OP_ORDER[b.kind]);
}

/** The order planTable emits operations in (Array.prototype.sort is stable). */
const OP_ORDER: Record<IpvsOp["kind"], number> = {
  "delete-destination": 0,
  "delete-service": 1,
  "add-service": 2,
  "edit-service": 3,
  "add-destination": 4,
  "edit-destination": 5,
};

/** An operation ipvsadm would refuse; the messages are ipvsadm's own. */
export class IpvsOpRejectedError extends LvsError {
  readonly op: IpvsOp;

  constructor(op: IpvsOp, reason: string) {
    super(`${op.kind} ${"service" in op ? serviceKeyString(op.service.key) : destinationKeyString(op.destination)}: ${reason}`);
    this.op = op;
  }
}

/** What ipvsadm does to the table, as a pure function (the model the property tests check plans against). */
export function applyOps(table: IpvsTable, ops: readonly IpvsOp[]): IpvsTable {
  let services = normalizeTable(table).services;
  let destinations = normalizeTable(table).destinations;
  const hasService = (key: ServiceKey) => services.some((s) => serviceKeyString(s.key) === serviceKeyString(key));
  const hasDestination = (d: DestinationKey) => destinations.some((x) => destinationKeyString(x) === destinationKeyString(d));
  for (const op of ops) {
    const reject = (reason: string): never => {
      throw new IpvsOpRejectedError(op, reason);
    };
    if ("service" in op) {
      const key = serviceKeyString(op.service.key);
      const others = services.filter((s) => serviceKeyString(s.key) !== key);
      if (op.kind === "add-service" && hasService(op.service.key)) reject("Service already exists");
      if (op.kind !== "add-service" && !hasService(op.service.key)) reject("No such service");
      services = op.kind === "delete-service" ? others : [...others, normalizeService(op.service)];
      if (op.kind === "delete-service") destinations = destinations.filter((x) => serviceKeyString(x.service) !== key);
    } else {
      const key = destinationKeyString(op.destination);
      const others = destinations.filter((x) => destinationKeyString(x) !== key);
      if (!hasService(op.destination.service)) reject("Service not defined");
      if (op.kind === "add-destination" && hasDestination(op.destination)) reject("Destination already exists");
      if (op.kind !== "add-destination" && !hasDestination(op.destination)) reject("No such destination");
      destinations = op.kind === "delete-destination" ? others : [...others, normalizeDestination(op.destination)];
    }
  }
  return normalizeTable({ services, destinations });
}

/** VirtualService input properties that make up a service's identity: a change replaces it. */
export const SERVICE_IDENTITY_FIELDS = ["protocol", "address", "port", "fwmark", "family"] as const;
/** RealServer input properties that make up a destination's identity: a change replaces it. */
export const DESTINATION_IDENTITY_FIELDS = ["service", "address", "port"] as const;

function identityOfService(key: ServiceKey): Record<(typeof SERVICE_IDENTITY_FIELDS)[number], string> {
  return key.kind === "fwmark"
    ? { protocol: "", address: "", port: "", fwmark: String(key.fwmark), family: key.family }
    : { protocol: key.protocol, address: key.address, port: String(key.port), fwmark: "", family: "" };
}

function differingFields(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((k) => a[k] !== b[k]);
}

/** VirtualService input properties that differ between two services, identity ones first. */
export function changedServiceFields(a: IpvsService, b: IpvsService): string[] {
  const [na, nb] = [normalizeService(a), normalizeService(b)];
  return [...differingFields(identityOfService(na.key), identityOfService(nb.key)), ...differingFields(serviceConfigOf(na), serviceConfigOf(nb))];
}

/** RealServer input properties that differ between two destinations, identity ones first. */
export function changedDestinationFields(a: IpvsDestination, b: IpvsDestination): string[] {
  const [na, nb] = [normalizeDestination(a), normalizeDestination(b)];
  const identity = (d: IpvsDestination) => ({ service: serviceKeyString(d.service), address: d.address, port: String(d.port) });
  return [...differingFields(identity(na), identity(nb)), ...differingFields(destinationConfigOf(na), destinationConfigOf(nb))];
}
