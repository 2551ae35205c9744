// The IPVS table as plain data, in the spirit of moby/ipvs: a service (address/protocol/port
// or firewall mark, scheduler, flags, persistence) and its destinations (address, port,
// forwarding, weight, thresholds, tunnel). No behaviour beyond identity and equality.
//
// Identity is separate from equality (kube-proxy's lesson): two entries with the same key
// are the same entry, and any other difference is a config change to apply in place, so a
// weight change never becomes a delete + add that would cut established connections.
//
// Values are normalised the way the kernel reports them (see normalizeService and
// normalizeDestination), so a table read back from `ipvsadm -S` compares equal to the
// table that was written.

import { isIPv4 } from "net";
import { canonicalAddress } from "../resource/address";

// Every IPVS key is spelt with the one address canonicaliser; re-exported for the parsers and tests.
export { canonicalAddress };

/** Transport protocols IPVS balances by address: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP. */
export const IPVS_PROTOCOLS = ["tcp", "udp", "sctp"] as const;
export type IpvsProtocol = (typeof IPVS_PROTOCOLS)[number];

/** Every scheduler the kernel has had a module for (ip_vs_<name>.ko). */
export const ALL_SCHEDULERS = [
  "rr", // round robin
  "wrr", // weighted round robin
  "lc", // least connections
  "wlc", // weighted least connections (ipvsadm's default)
  "lblc", // locality-based least connections
  "lblcr", // locality-based least connections with replication
  "dh", // destination hashing
  "sh", // source hashing (flags: sh-fallback, sh-port)
  "sed", // shortest expected delay
  "nq", // never queue
  "fo", // weighted failover
  "ovf", // weighted overflow
  "mh", // Maglev hashing (flags: mh-fallback, mh-port)
  "twos", // weighted random twos choice (kernel 6.6+, absent on Debian 12's 6.1)
] as const;
export type Scheduler = (typeof ALL_SCHEDULERS)[number];

/** What ipvsadm uses when -s is not given; -E without -s resets a service to it. */
export const DEFAULT_SCHEDULER: Scheduler = "wlc";

/**
 * Scheduler flags (ipvsadm -b). The kernel has three anonymous bits (IP_VS_SVC_F_SCHED1..3);
 * ipvsadm names bits 1 and 2 after the scheduler (`flag-1` = sh-fallback / mh-fallback,
 * `flag-2` = sh-port / mh-port) and only sh and mh read them.
 */
export const SCHEDULER_FLAGS = [
  "sh-fallback", // sh: skip an unavailable (weight 0 / overloaded) server instead of dropping
  "sh-port", // sh: hash the source port as well as the source address
  "mh-fallback", // mh: as sh-fallback, for Maglev hashing
  "mh-port", // mh: as sh-port, for Maglev hashing
] as const;
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];

/** Which scheduler a flag belongs to: its name prefix. */
export function schedulerOfFlag(flag: SchedulerFlag): "sh" | "mh" {
  return flag.startsWith("sh-") ? "sh" : "mh";
}

/** Packet forwarding methods (IP_VS_CONN_F_DROUTE / MASQ / TUNNEL). */
export const FORWARDINGS = [
  "dr", // direct routing: ipvsadm -g, "Route" in listings (ipvsadm's default)
  "nat", // masquerading: ipvsadm -m, "Masq"
  "tun", // IP-in-IP style tunnelling: ipvsadm -i, "Tunnel"
] as const;
export type Forwarding = (typeof FORWARDINGS)[number];

/** Tunnel encapsulations for forwarding "tun" (IP_VS_CONN_F_TUNNEL_TYPE_*). */
export const TUNNEL_TYPES = [
  "ipip", // plain IP-in-IP, the default; takes no options
  "gue", // Generic UDP Encapsulation: needs a UDP port, checksum optional
  "gre", // GRE: no port, checksum nocsum or csum
] as const;
export type TunnelType = (typeof TUNNEL_TYPES)[number];

/** Tunnel checksum modes (IP_VS_TUNNEL_ENCAP_FLAG_*). */
export const TUNNEL_CHECKSUMS = [
  "nocsum", // no checksum; what the kernel reports for gue/gre when none was asked for
  "csum", // checksum the encapsulating header (gue, gre)
  "remcsum", // remote checksum offload (gue only)
] as const;
export type TunnelChecksum = (typeof TUNNEL_CHECKSUMS)[number];

export const ADDRESS_FAMILIES = ["ipv4", "ipv6"] as const;
export type AddressFamily = (typeof ADDRESS_FAMILIES)[number];

/** Largest weight we accept (the range; ipvsadm itself would take up to INT_MAX). */
export const MAX_WEIGHT = 65535;
/** ipvsadm parses -x / -y as 0..INT_MAX ("illegal u_threshold" above). */
export const MAX_THRESHOLD = 2_147_483_647;
/** ipvsadm rejects -p above 31 days ("invalid timeout value"). */
export const MAX_PERSISTENCE_TIMEOUT_SECONDS = 2_678_400;
/** ipvsadm -S prints marks with %d, so larger ones come back negative and do not restore. */
export const MAX_FWMARK = 2_147_483_647;

export type ServiceKey =
  | { kind: "address"; protocol: IpvsProtocol; address: string; port: number }
  | { kind: "fwmark"; fwmark: number; family: AddressFamily };

export interface Persistence {
  timeoutSeconds: number;
  /** IPv4: a dotted mask; IPv6: a prefix length ("64"). Absent = one template per client address. */
  netmask?: string;
}

export interface IpvsService {
  key: ServiceKey;
  scheduler: Scheduler;
  /** Sorted, no duplicates. */
  schedulerFlags: SchedulerFlag[];
  persistence?: Persistence;
  /** One-packet scheduling (-o): every UDP datagram is scheduled on its own. */
  onePacket: boolean;
}

export interface Tunnel {
  type: TunnelType;
  /** gue only: the UDP port of the encapsulation. */
  port?: number;
  /** gue and gre; the kernel reports "nocsum" when none was set. */
  checksum?: TunnelChecksum;
}

export interface IpvsDestination {
  service: ServiceKey;
  address: string;
  /** For dr/tun on an address service, always the service's port (IPVS cannot rewrite it). */
  port: number;
  forwarding: Forwarding;
  weight: number;
  /** 0 = no limit. */
  upperThreshold: number;
  lowerThreshold: number;
  /** Present exactly when forwarding is "tun". */
  tunnel?: Tunnel;
}

/** What identifies a destination: its service, address and port. */
export type DestinationKey = Pick<IpvsDestination, "service" | "address" | "port">;

export interface IpvsTable {
  services: IpvsService[];
  destinations: IpvsDestination[];
}

export const EMPTY_TABLE: IpvsTable = { services: [], destinations: [] };

/**
 * Whether `text` is a dotted quad as isIPv4 accepts it (four decimal octets 0..255, none
 * with a leading zero), read character by character: canonicalAddress returns those as
 * they are, and nearly every address of a table is one.
 */
function isDottedQuad(text: string): boolean {
  let octets = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e; // a "." after the end closes the last octet
    if (c === 0x2e) {
      if (digits === 0 || value > 255) return false;
      octets++;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39 && !(digits > 0 && value === 0) && digits < 3) {
      digits++;
      value = value * 10 + (c - 0x30);
    } else {
      return false;
    }
  }
  return octets === 4;
}

/**
 * canonicalAddress, with dotted quads answered without it: they are canonical as given, and
 * its isIPv4 regex costs more than the rest of keying an entry, which parsing and planning
 * do several times for each of a table's thousands.
 */
export function canonicalAddressFast(text: string): string | undefined {
  return isDottedQuad(text) ? text : canonicalAddress(text);
}

export function addressFamilyOf(address: string): AddressFamily | undefined {
  if (isIPv4(address)) return "ipv4";
  return canonicalAddress(address) === undefined ? undefined : "ipv6";
}

export function serviceFamily(key: ServiceKey): AddressFamily {
  return key.kind === "fwmark" ? key.family : (addressFamilyOf(key.address) ?? "ipv4");
}

/** The netmask the kernel uses when none is given, which ipvsadm -S leaves out. */
export function fullNetmask(family: AddressFamily): string {
  return family === "ipv4" ? "255.255.255.255" : "128";
}

/** `10.0.0.1:80` or `[fd00::1]:80`, as ipvsadm prints and reads them. */
export function formatHostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** How keys and normalised entries spell an address: canonical when it is one, as given otherwise. */
function keyAddress(address: string): string {
  return canonicalAddressFast(address) ?? address;
}

/**
 * How keys spell an address of a normalised entry: as is. normalizeServiceKey and
 * normalizeDestination already spelt it as keyAddress does (canonicalAddress of a canonical
 * address is that address), so the key is the same without canonicalising every address
 * of a table again (for IPv6, a URL parse each) to sort it.
 */
function canonicalKeyAddress(address: string): string {
  return address;
}

function serviceKeyStringSpelling(key: ServiceKey, spell: (address: string) => string): string {
  return key.kind === "fwmark" ? `fwmark:${key.fwmark}:${key.family}` : `${key.protocol}:${formatHostPort(spell(key.address), key.port)}`;
}

function destinationKeyStringSpelling(d: DestinationKey, spell: (address: string) => string): string {
  return destinationKeyStringAfter(serviceKeyStringSpelling(d.service, spell), d, spell);
}

/** A destination's key from its service's. */
function destinationKeyStringAfter(serviceKey: string, d: DestinationKey, spell: (address: string) => string): string {
  return `${serviceKey}->${formatHostPort(spell(d.address), d.port)}`;
}

/**
 * `tcp:10.0.0.1:80`, `tcp:[fd00::1]:80`, `fwmark:42:ipv4`. Addresses are canonicalised
 * here too, so `FD00:0::1` and `fd00::1` are the same key wherever the key came from.
 */
export function serviceKeyString(key: ServiceKey): string {
  return serviceKeyStringSpelling(key, keyAddress);
}

/** `tcp:10.0.0.1:80->10.0.1.5:80`. */
export function destinationKeyString(d: DestinationKey): string {
  return destinationKeyStringSpelling(d, keyAddress);
}

/** Whether two service keys have the fields serviceKeyString reads in common, and so the same key. */
export function sameServiceKeyFields(a: ServiceKey, b: ServiceKey): boolean {
  if (a.kind === "fwmark") return b.kind === "fwmark" && a.fwmark === b.fwmark && a.family === b.family;
  return b.kind !== "fwmark" && a.protocol === b.protocol && a.address === b.address && a.port === b.port;
}

/** Whether two destinations have the fields destinationKeyString reads in common, and so the same key. */
export function sameDestinationKeyFields(a: DestinationKey, b: DestinationKey): boolean {
  return a.address === b.address && a.port === b.port && sameServiceKeyFields(a.service, b.service);
}

/**
 * serviceKeyString for entries that come in runs of one service (a table's destinations in
 * key order, a listing's rows): the last key is reused while the fields it was made from
 * stay the same, which spares a canonicalAddress per entry of a table of thousands.
 */
export function serviceKeyStringOfRuns(): (key: ServiceKey) => string {
  let last: { fields: ServiceKey; key: string } | undefined;
  return (key) => {
    if (last === undefined || !sameServiceKeyFields(key, last.fields)) last = { fields: { ...key }, key: serviceKeyString(key) };
    return last.key;
  };
}

/** destinationKeyString for destinations in runs of one service, as serviceKeyStringOfRuns. */
export function destinationKeyStringOfRuns(): (d: DestinationKey) => string {
  const serviceKeyOf = serviceKeyStringOfRuns();
  return (d) => destinationKeyStringAfter(serviceKeyOf(d.service), d, keyAddress);
}

export function normalizeServiceKey(key: ServiceKey): ServiceKey {
  return key.kind === "fwmark"
    ? { kind: "fwmark", fwmark: key.fwmark, family: key.family }
    : { kind: "address", protocol: key.protocol, address: keyAddress(key.address), port: key.port };
}

/** IPv4 masks as dotted quads, IPv6 masks as a bare prefix length; the full mask as absent. */
function normalizeNetmask(netmask: string | undefined, family: AddressFamily): string | undefined {
  if (netmask === undefined) return undefined;
  const text = family === "ipv6" ? netmask.replace(/^\//, "") : netmask;
  const canonical = family === "ipv6" && /^\d+$/.test(text) ? String(Number(text)) : text;
  return canonical === fullNetmask(family) ? undefined : canonical;
}

/** The form ipvsadm reads back: sorted flags, no full netmask, canonical addresses. */
export function normalizeService(s: IpvsService): IpvsService {
  const out: IpvsService = {
    key: normalizeServiceKey(s.key),
    scheduler: s.scheduler,
    schedulerFlags: [...new Set(s.schedulerFlags)].sort(),
    onePacket: s.onePacket,
  };
  if (s.persistence) {
    const netmask = normalizeNetmask(s.persistence.netmask, serviceFamily(s.key));
    out.persistence = { timeoutSeconds: s.persistence.timeoutSeconds, ...(netmask === undefined ? {} : { netmask }) };
  }
  return out;
}

/**
 * The form ipvsadm reads back: tun always carries a tunnel (ipip by default), gue/gre
 * always carry a checksum mode (nocsum by default), other forwardings carry none.
 */
export function normalizeDestination(d: IpvsDestination): IpvsDestination {
  const out: IpvsDestination = {
    service: normalizeServiceKey(d.service),
    address: keyAddress(d.address),
    port: d.port,
    forwarding: d.forwarding,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
  };
  if (d.forwarding === "tun") out.tunnel = normalizeTunnel(d);
  return out;
}

/** A "tun" destination's tunnel as the kernel reports it (see normalizeDestination). */
function normalizeTunnel(d: Pick<IpvsDestination, "tunnel">): Tunnel {
  const type = d.tunnel?.type ?? "ipip";
  return type === "ipip"
    ? { type }
    : {
        type,
        ...(type === "gue" && d.tunnel?.port !== undefined ? { port: d.tunnel.port } : {}),
        checksum: d.tunnel?.checksum ?? "nocsum",
      };
}

/** Sorted by key string, each key computed once (not twice per comparison: tables run to thousands). */
function sortedByKeyString<T>(items: readonly T[], keyOf: (t: T) => string): T[] {
  return items
    .map((item) => ({ item, key: keyOf(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ item }) => item);
}

/**
 * Normalised entries in key order, so two tables with the same content are deep-equal.
 * The entries are keyed after normalising, so their addresses are spelt as is.
 */
export function normalizeTable(t: IpvsTable): IpvsTable {
  return sortNormalTable({ services: t.services.map(normalizeService), destinations: t.destinations.map(normalizeDestination) });
}

/**
 * normalizeTable of a table whose entries are normal already (normalizeService's and
 * normalizeDestination's form): sorted, the entries as they are. For parsers that build
 * entries in that form, so that a table of thousands is not copied a second time.
 */
export function sortNormalTable(t: IpvsTable): IpvsTable {
  return {
    services: sortedByKeyString(t.services, (s) => serviceKeyStringSpelling(s.key, canonicalKeyAddress)),
    destinations: sortedByKeyString(t.destinations, (d) => destinationKeyStringSpelling(d, canonicalKeyAddress)),
  };
}

/** The non-identity part of a service, flattened for comparison (property names of the inputs). */
export function serviceConfigOf(s: IpvsService): Record<"scheduler" | "schedulerFlags" | "persistence" | "onePacket", string> {
  const n = normalizeService(s);
  return {
    scheduler: n.scheduler,
    schedulerFlags: n.schedulerFlags.join(","),
    persistence: n.persistence ? `${n.persistence.timeoutSeconds}/${n.persistence.netmask ?? ""}` : "",
    onePacket: String(n.onePacket),
  };
}

/** The non-identity part of a destination, flattened for comparison (property names of the inputs). */
export function destinationConfigOf(
  d: IpvsDestination,
): Record<"forwarding" | "weight" | "upperThreshold" | "lowerThreshold" | "tunnel", string> {
  // Of normalizeDestination's work only the tunnel's matters here: the rest is copied as
  // is, and canonicalising the addresses would cost more than all of this (plans run per
  // destination of tables of thousands).
  const tunnel = d.forwarding === "tun" ? normalizeTunnel(d) : undefined;
  return {
    forwarding: d.forwarding,
    weight: String(d.weight),
    upperThreshold: String(d.upperThreshold),
    lowerThreshold: String(d.lowerThreshold),
    tunnel: tunnel ? `${tunnel.type}/${tunnel.port ?? ""}/${tunnel.checksum ?? ""}` : "",
  };
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(a).every((k) => a[k] === b[k]);
}

/** Same scheduler, flags, persistence and one-packet setting; identity is not compared. */
export function sameServiceConfig(a: IpvsService, b: IpvsService): boolean {
  return sameRecord(serviceConfigOf(a), serviceConfigOf(b));
}

/**
 * Same forwarding, weight, thresholds and tunnel; identity is not compared. What comparing
 * destinationConfigOf records would say, field by field: plans compare every destination
 * of tables of thousands, and two records of strings each time were most of a plan's cost.
 */
export function sameDestinationConfig(a: IpvsDestination, b: IpvsDestination): boolean {
  if (a.forwarding !== b.forwarding || a.weight !== b.weight || a.upperThreshold !== b.upperThreshold || a.lowerThreshold !== b.lowerThreshold) return false;
  if (a.forwarding !== "tun") return true;
  const [ta, tb] = [normalizeTunnel(a), normalizeTunnel(b)];
  return ta.type === tb.type && ta.port === tb.port && ta.checksum === tb.checksum;
}
