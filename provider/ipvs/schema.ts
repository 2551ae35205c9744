// The IPVS half of the VirtualService and RealServer inputs, validated by zod: the fields,
// their cross-field rules and the normal form, whatever the director. provider/service/
// schema.ts joins them with keepalived's own options into the schemas `check` runs. Every
// problem is reported at once, each under its property path and saying what to do,
// because a preview that reveals one typo per run is painful.
//
// The cross-field rules mirror what ipvsadm 1.31 and the kernel (6.1) refuse or silently
// rewrite, as captured in test/fixtures/ipvsadm/rejections.txt: e.g. ipvsadm quietly
// replaces a dr/tun real server's port with the service's, so a mismatch would otherwise
// show up as a permanent diff instead of an error.

import { z } from "zod";
import {
  ADDRESS_FAMILIES,
  ALL_SCHEDULERS,
  DEFAULT_SCHEDULER,
  FORWARDINGS,
  IPVS_PROTOCOLS,
  MAX_FWMARK,
  MAX_PERSISTENCE_TIMEOUT_SECONDS,
  MAX_THRESHOLD,
  MAX_WEIGHT,
  SCHEDULER_FLAGS,
  TUNNEL_CHECKSUMS,
  TUNNEL_TYPES,
  addressFamilyOf,
  canonicalAddress,
  normalizeDestination,
  normalizeService,
  schedulerOfFlag,
  serviceFamily,
  type AddressFamily,
  type Forwarding,
  type IpvsDestination,
  type IpvsProtocol,
  type IpvsService,
  type Persistence,
  type Scheduler,
  type SchedulerFlag,
  type ServiceKey,
  type Tunnel,
} from "./model";
import { ipAddress, integerBetween, oneOf, strictObject, type Issue } from "../resource/inputFields";

/** Validated VirtualService inputs: defaults filled in, values as the kernel reports them. */
export interface VirtualServiceInputs {
  /** A plain director; absent when the director is a KeepalivedPair. */
  connection?: unknown;
  /** Always set ("tcp" by default); a firewall-mark service has none and ignores it. */
  protocol: IpvsProtocol;
  /** Address services only (canonical spelling). */
  address?: string;
  port?: number;
  /** Firewall-mark services only. */
  fwmark?: number;
  /** The fwmark family, or the address's. */
  family: AddressFamily;
  scheduler: Scheduler;
  schedulerFlags: SchedulerFlag[];
  persistence?: Persistence;
  onePacket: boolean;
  adopt: boolean;
}

/** A RealServer's service: the VirtualService's identity. */
export type ServiceReference = { protocol: IpvsProtocol; address: string; port: number } | { fwmark: number; family: AddressFamily };

/**
 * Validated RealServer inputs: defaults filled in, values as the kernel reports them. The
 * destination's own fields are the model's (port 0 = the packet's own port, fwmark services).
 */
export interface RealServerInputs extends Omit<IpvsDestination, "service"> {
  /** A plain director; absent when the director is a KeepalivedPair. */
  connection?: unknown;
  service: ServiceReference;
  /** Graceful removal on delete; absent = remove at once. */
  drain?: { timeoutSeconds: number; pollSeconds: number };
  adopt: boolean;
}

const PORT_RANGE = "set port between 1 and 65535";

/** protocol + address + port, or fwmark (+ family): the identity of a service. */
const serviceKeyShape = {
  protocol: oneOf(IPVS_PROTOCOLS, "protocol").optional(),
  address: ipAddress.optional(),
  port: integerBetween(0, 65535, PORT_RANGE, "1..65535").optional(),
  fwmark: integerBetween(1, MAX_FWMARK, `set fwmark between 1 and ${MAX_FWMARK} (ipvsadm -S prints larger marks as negative numbers)`).optional(),
  family: oneOf(ADDRESS_FAMILIES, "family").optional(),
};
type ServiceKeyFields = { protocol?: unknown; address?: unknown; port?: unknown; fwmark?: unknown; family?: unknown };

/** The family of a service's key fields, when they are valid enough to tell. */
export function familyOfKeyFields(v: ServiceKeyFields): AddressFamily | undefined {
  if (v.fwmark !== undefined) return v.family === "ipv6" ? "ipv6" : "ipv4";
  return typeof v.address === "string" ? addressFamilyOf(v.address) : undefined;
}

function checkServiceKeyFields(v: ServiceKeyFields, issue: Issue, at: PropertyKey[]): void {
  const [hasAddress, hasPort, hasMark] = [v.address !== undefined, v.port !== undefined, v.fwmark !== undefined];
  if (hasMark && (hasAddress || hasPort))
    issue([...at, "fwmark"], "cannot be combined with address/port: a service is either protocol + address + port or a firewall mark; remove one of them");
  if (!hasMark && !hasAddress)
    issue([...at, "address"], "is required: set address and port (an address service) or fwmark (a firewall-mark service)");
  if (!hasMark && hasAddress && !hasPort) issue([...at, "port"], `is required with address; ${PORT_RANGE}`);
  if (hasMark && v.protocol !== undefined)
    issue([...at, "protocol"], "does not apply to a firewall-mark service (the mark selects the packets); remove protocol");
  const addressFamily = typeof v.address === "string" ? addressFamilyOf(v.address) : undefined;
  if (!hasMark && v.family !== undefined && addressFamily !== undefined && v.family !== addressFamily)
    issue([...at, "family"], `is ${String(v.family)} but address ${String(v.address)} is ${addressFamily}; remove family (it follows the address)`);
}

/** ipvsadm reads an IPv4 -M with inet_aton ("24" becomes 0.0.0.24) and an IPv6 one as a prefix length 1..128. */
function netmaskProblem(netmask: string, family: AddressFamily): string | undefined {
  if (family === "ipv6")
    return /^\d+$/.test(netmask) && Number(netmask) >= 1 && Number(netmask) <= 128
      ? undefined
      : `must be a prefix length 1..128 for an IPv6 service (got ${JSON.stringify(netmask)}); e.g. "64"`;
  if (/^\/?\d+$/.test(netmask))
    return `looks like a prefix length; an IPv4 service takes a dotted mask such as "255.255.255.0" (ipvsadm would read ${JSON.stringify(netmask)} as an address)`;
  const octets = netmask.split(".").map(Number);
  const bits = octets.length === 4 && addressFamilyOf(netmask) === "ipv4" ? octets.map((o) => o.toString(2).padStart(8, "0")).join("") : "";
  return /^1*0*$/.test(bits) && bits.length === 32
    ? undefined
    : `must be a contiguous dotted mask such as "255.255.255.0" for an IPv4 service (got ${JSON.stringify(netmask)})`;
}

/** The VirtualService's own fields, whatever its director. */
export const virtualServiceShape = {
  connection: z.unknown().optional(), // validated by the SSH connection schema
  ...serviceKeyShape,
  scheduler: oneOf(ALL_SCHEDULERS, "scheduler").default(DEFAULT_SCHEDULER),
  schedulerFlags: z.array(oneOf(SCHEDULER_FLAGS, "scheduler flag"), { error: "must be a list of scheduler flags" }).default([]),
  persistence: strictObject({
    timeoutSeconds: integerBetween(1, MAX_PERSISTENCE_TIMEOUT_SECONDS, "set timeoutSeconds between 1 and 2678400 (31 days, ipvsadm's limit)"),
    netmask: z.string({ error: 'must be a string: a dotted mask ("255.255.255.0") for IPv4, a prefix length ("64") for IPv6' }).optional(),
  }).optional(),
  onePacket: z.boolean({ error: "must be true or false" }).default(false),
  adopt: z.boolean({ error: "must be true or false" }).default(false),
};
const virtualServiceFields = strictObject(virtualServiceShape);
/** The VirtualService's fields as zod parsed them (defaults in, not yet in normal form). */
export type VirtualServiceFields = z.output<typeof virtualServiceFields>;

/**
 * The cross-field rules of a VirtualService. They run even when a field failed its own
 * check (so every problem shows at once): each rule looks only at values of the right type.
 */
export function checkVirtualServiceFields(v: VirtualServiceFields, issue: Issue): void {
  checkServiceKeyFields(v, issue, []);
  if (v.port === 0 && v.fwmark === undefined && v.persistence === undefined)
    issue(["port"], "0 (all ports) needs persistence: ipvsadm refuses a non-persistent service on port 0; set persistence, or a port 1..65535");
  const flags = Array.isArray(v.schedulerFlags) ? v.schedulerFlags : [];
  if (!ALL_SCHEDULERS.includes(v.scheduler)) {
    // Already reported as an unknown scheduler; its flags cannot be judged.
  } else if (flags.length > 0 && v.scheduler !== "sh" && v.scheduler !== "mh")
    issue(["schedulerFlags"], `only apply to the sh and mh schedulers (scheduler is ${String(v.scheduler)}); remove schedulerFlags or use sh/mh`);
  else
    flags.forEach((flag, i) => {
      const owner = SCHEDULER_FLAGS.includes(flag) ? schedulerOfFlag(flag) : v.scheduler;
      if (owner !== v.scheduler)
        issue(["schedulerFlags", i], `"${flag}" is a flag of the ${owner} scheduler; with ${String(v.scheduler)} use "${flag.replace(owner, String(v.scheduler))}"`);
    });
  const family = familyOfKeyFields(v);
  const netmask = v.persistence?.netmask;
  const problem = typeof netmask === "string" && family ? netmaskProblem(netmask, family) : undefined;
  if (problem) issue(["persistence", "netmask"], problem);
  if (v.onePacket === true && v.fwmark === undefined && (v.protocol ?? "tcp") !== "udp")
    issue(["onePacket"], `only works on UDP services and firewall marks (protocol is ${String(v.protocol ?? "tcp")}); set protocol "udp" or remove onePacket`);
}

/** Checked fields → VirtualServiceInputs, normalised as the kernel reports them, so read == inputs. */
export function virtualServiceInputsOf(v: VirtualServiceFields): VirtualServiceInputs {
  const key: ServiceKey =
    v.fwmark !== undefined
      ? { kind: "fwmark", fwmark: v.fwmark, family: v.family ?? "ipv4" }
      : { kind: "address", protocol: v.protocol ?? "tcp", address: canonicalAddress(v.address!)!, port: v.port! };
  // No full netmask, sorted flags: as `ipvsadm -S` prints them.
  const service = normalizeService({ key, scheduler: v.scheduler, schedulerFlags: v.schedulerFlags, onePacket: v.onePacket, ...(v.persistence ? { persistence: v.persistence } : {}) });
  return {
    ...(v.connection !== undefined ? { connection: v.connection } : {}), // absent on a KeepalivedPair (a Struct cannot carry undefined)
    protocol: v.protocol ?? "tcp",
    ...(key.kind === "address" ? { address: key.address, port: key.port } : { fwmark: key.fwmark }),
    family: serviceFamily(key),
    scheduler: service.scheduler,
    schedulerFlags: service.schedulerFlags,
    ...(service.persistence ? { persistence: service.persistence } : {}),
    onePacket: service.onePacket,
    adopt: v.adopt,
  };
}

/** The RealServer's own fields, whatever its director. */
export const realServerShape = {
  connection: z.unknown().optional(), // validated by the SSH connection schema
  service: strictObject(serviceKeyShape),
  address: ipAddress,
  port: integerBetween(0, 65535, PORT_RANGE, "1..65535").optional(),
  forwarding: oneOf(FORWARDINGS, "forwarding").default("dr"),
  weight: integerBetween(0, MAX_WEIGHT, `set weight between 0 and ${MAX_WEIGHT}`).default(1),
  upperThreshold: integerBetween(0, MAX_THRESHOLD, "set upperThreshold to 0 (no limit) or a connection count").default(0),
  lowerThreshold: integerBetween(0, MAX_THRESHOLD, "set lowerThreshold to 0 or a connection count").default(0),
  tunnel: strictObject({
    type: oneOf(TUNNEL_TYPES, "tunnel type").default("ipip"),
    port: integerBetween(1, 65535, "set the gue port between 1 and 65535").optional(),
    checksum: oneOf(TUNNEL_CHECKSUMS, "tunnel checksum").optional(),
  }).optional(),
  drain: strictObject({
    timeoutSeconds: integerBetween(0, 86_400, "set timeoutSeconds between 0 and 86400").default(300),
    pollSeconds: integerBetween(1, 3_600, "set pollSeconds between 1 and 3600").default(2),
  }).optional(),
  adopt: z.boolean({ error: "must be true or false" }).default(false),
};
const realServerFields = strictObject(realServerShape);
/** The RealServer's fields as zod parsed them (defaults in, not yet in normal form). */
export type RealServerFields = z.output<typeof realServerFields>;

/** The cross-field rules of a RealServer (run even when a field failed its own check). */
export function checkRealServerFields(v: RealServerFields, issue: Issue): void {
  const service: ServiceKeyFields = typeof v.service === "object" && v.service !== null ? v.service : {};
  if (v.service !== undefined) checkServiceKeyFields(service, issue, ["service"]); // a missing one is reported already
  const byMark = service.fwmark !== undefined;
  const servicePort = typeof service.port === "number" ? service.port : undefined;
  if (!byMark && v.port === undefined && servicePort !== undefined)
    issue(["port"], `is required for a real server of an address service; set it (to ${servicePort} for dr/tun)`);
  if (!byMark && (v.forwarding === "dr" || v.forwarding === "tun") && servicePort !== undefined && v.port !== undefined && v.port !== servicePort)
    issue(
      ["port"],
      `must equal the service's port ${servicePort} with forwarding "${v.forwarding}": IPVS ${v.forwarding === "dr" ? "direct routing" : "tunnelling"} cannot rewrite ports; set port to ${servicePort}, or use forwarding "nat"`,
    );
  else if (v.port === 0 && !byMark && servicePort !== 0)
    issue(["port"], `0 is only for real servers of firewall-mark or all-ports (port 0) services; ${PORT_RANGE}`);
  const [mine, theirs] = [typeof v.address === "string" ? addressFamilyOf(v.address) : undefined, familyOfKeyFields(service)];
  if (mine && theirs && mine !== theirs && v.forwarding !== "tun")
    issue(["address"], `is ${mine} but the service is ${theirs}; IPVS mixes families only with forwarding "tun": use an ${theirs} address, or forwarding "tun"`);
  if (typeof v.lowerThreshold === "number" && typeof v.upperThreshold === "number" && v.lowerThreshold > v.upperThreshold)
    issue(
      ["lowerThreshold"],
      `(${v.lowerThreshold}) must not exceed upperThreshold (${v.upperThreshold}): the kernel refuses it; upperThreshold 0 means no limit and then lowerThreshold must be 0 too`,
    );
  const tunnel = v.tunnel;
  if (tunnel && v.forwarding !== "tun") issue(["tunnel"], `only applies to forwarding "tun" (forwarding is ${String(v.forwarding)}); remove tunnel or set forwarding "tun"`);
  else if (tunnel) {
    if (tunnel.type === "gue" && tunnel.port === undefined) issue(["tunnel", "port"], "is required for a gue tunnel: the UDP port the real server decapsulates on");
    if (tunnel.type !== "gue" && tunnel.port !== undefined) issue(["tunnel", "port"], "only applies to a gue tunnel; remove it");
    if (tunnel.type === "ipip" && tunnel.checksum !== undefined) issue(["tunnel", "checksum"], 'does not apply to an ipip tunnel; remove it (or use type "gue" or "gre")');
    if (tunnel.type === "gre" && tunnel.checksum === "remcsum") issue(["tunnel", "checksum"], 'remcsum is only for gue tunnels; use "nocsum" or "csum" with gre');
  }
}

/** Checked fields → RealServerInputs, normalised as the kernel reports them, so read == inputs. */
export function realServerInputsOf(v: RealServerFields): RealServerInputs {
  const service: ServiceReference =
    v.service.fwmark !== undefined
      ? { fwmark: v.service.fwmark, family: v.service.family ?? "ipv4" }
      : { protocol: v.service.protocol ?? "tcp", address: canonicalAddress(v.service.address!)!, port: v.service.port! };
  // tun always has a tunnel type, gue/gre a checksum: as the kernel reports them.
  const d = normalizeDestination({
    service: serviceKeyOf(service),
    address: v.address,
    port: v.port ?? 0,
    forwarding: v.forwarding,
    weight: v.weight,
    upperThreshold: v.upperThreshold,
    lowerThreshold: v.lowerThreshold,
    ...(v.tunnel ? { tunnel: v.tunnel } : {}),
  });
  return {
    ...(v.connection !== undefined ? { connection: v.connection } : {}), // absent on a KeepalivedPair (a Struct cannot carry undefined)
    service,
    address: d.address,
    port: d.port,
    forwarding: d.forwarding,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    ...(d.tunnel ? { tunnel: d.tunnel } : {}),
    ...(v.drain ? { drain: v.drain } : {}),
    adopt: v.adopt,
  };
}
/** The model key of a validated service reference (a VirtualService's own, or a RealServer's `service`). */
export function serviceKeyOf(s: VirtualServiceInputs | ServiceReference): ServiceKey {
  if ("fwmark" in s && s.fwmark !== undefined) return { kind: "fwmark", fwmark: s.fwmark, family: s.family ?? "ipv4" };
  const a = s as { protocol: IpvsProtocol; address: string; port: number };
  return { kind: "address", protocol: a.protocol, address: a.address, port: a.port };
}

export function toIpvsService(inputs: VirtualServiceInputs): IpvsService {
  return {
    key: serviceKeyOf(inputs),
    scheduler: inputs.scheduler,
    schedulerFlags: inputs.schedulerFlags,
    ...(inputs.persistence ? { persistence: inputs.persistence } : {}),
    onePacket: inputs.onePacket,
  };
}

export function toIpvsDestination(inputs: RealServerInputs): IpvsDestination {
  return {
    service: serviceKeyOf(inputs.service),
    address: inputs.address,
    port: inputs.port,
    forwarding: inputs.forwarding,
    weight: inputs.weight,
    upperThreshold: inputs.upperThreshold,
    lowerThreshold: inputs.lowerThreshold,
    ...(inputs.tunnel ? { tunnel: inputs.tunnel } : {}),
  };
}
