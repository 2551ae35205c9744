// `ipvsadm -L -n` listings: the only output with thresholds and connection counters.
//
// Each listing option swaps in its own destination columns (ipvsadm 1.31 honours only the
// first of --thresholds, --persistent-conn and --tun-info), so the columns are read from
// the header rather than assumed. ipvsadm cuts destination names to 28 characters unless
// the service is IPv6, which only bites IPv6 real servers of IPv4 tun services; such rows
// keep their printed name and are matched by prefix.

import {
  TUNNEL_TYPES,
  destinationKeyString,
  formatHostPort,
  serviceFamily,
  serviceKeyString,
  type DestinationKey,
  type Forwarding,
  type IpvsProtocol,
  type IpvsService,
  type IpvsTable,
  type ServiceKey,
  type Tunnel,
  type TunnelChecksum,
} from "./model";
import {
  IpvsParseError,
  failerFor,
  linesOf,
  parseFwmark,
  parseHostPort,
  parseInteger,
  parseNetmask,
  parseScheduler,
  parseSchedulerFlags,
  wordsOf,
  type Fail,
} from "./syntax";

/** One `  -> …` row of a listing; which optional fields are set depends on its columns. */
export interface ListedDestination {
  service: ServiceKey;
  /** As printed, possibly cut short. */
  name: string;
  /** Absent when the name was cut short. */
  address?: string;
  port?: number;
  forwarding?: Forwarding;
  weight?: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  persistentConnections?: number;
  tunnel?: Tunnel;
  active: number;
  inactive: number;
  /** 1-based, for error messages. */
  lineNumber: number;
}

export interface IpvsListing {
  services: IpvsService[];
  destinations: ListedDestination[];
}

const LISTED_PROTOCOLS: Record<string, IpvsProtocol> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };
const LISTED_FORWARDING: Record<string, Forwarding> = {
  Route: "dr",
  Masq: "nat",
  Tunnel: "tun",
  Local: "dr", // IP_VS_CONN_F_LOCALNODE (old kernels), which ipvsadm -S prints as -g too
};
const LISTED_CHECKSUMS: Record<string, TunnelChecksum> = { "-c": "nocsum", "+c": "csum", "r+c": "remcsum" };
/** The destination columns of the four layouts; --stats and --rate are not supported. */
const DESTINATION_COLUMNS = ["Forward", "TunnelInfo", "Weight", "Uthreshold", "Lthreshold", "PersistConn", "ActiveConn", "InActConn"] as const;
/** Longest destination name ipvsadm prints in a listing of a non-IPv6 service. */
const LISTED_NAME_LIMIT = 28;

/** `--tun-info` cells: `ipip`, `gue:6080:+c`, `gre:-c`, or `n/a` for other forwardings. */
function parseTunnelInfo(cell: string, fail: Fail): Tunnel | undefined {
  if (cell === "n/a") return undefined;
  const [type, ...rest] = cell.split(":");
  const checksum = rest.length > 0 ? LISTED_CHECKSUMS[rest[rest.length - 1]!] : undefined;
  if (!TUNNEL_TYPES.includes(type as Tunnel["type"]) || (type !== "ipip" && checksum === undefined)) fail(`unknown tunnel info ${cell}`);
  if (type === "gue") return { type, port: parseInteger(rest[0], 1, 65535, "tunnel port", fail), checksum: checksum! };
  return type === "gre" ? { type, checksum: checksum! } : { type: "ipip" };
}

/** `TCP  10.0.0.1:80 wlc (sh-port) persistent 360 mask 255.255.255.0 ops`, `FWM  42 IPv6 rr`. */
function parseListedService(tokens: string[], fail: Fail): IpvsService {
  const [proto, name] = tokens;
  let i = 2;
  let key: ServiceKey;
  if (proto === "FWM") {
    const family = tokens[2] === "IPv6" ? "ipv6" : "ipv4";
    if (family === "ipv6") i++;
    key = { kind: "fwmark", fwmark: parseFwmark(name, fail), family };
  } else {
    const protocol = LISTED_PROTOCOLS[proto!] ?? fail(`unknown protocol ${JSON.stringify(proto)}`);
    // Named rather than spread in, as parse.ts's readServiceKey: the same literal shape
    // for every service key keeps the code that reads them monomorphic.
    const { address, port } = parseHostPort(name ?? "", 0, fail);
    key = { kind: "address", protocol, address, port };
  }
  const scheduler = parseScheduler(tokens[i++], fail);
  const service: IpvsService = { key, scheduler, schedulerFlags: [], onePacket: false };
  while (i < tokens.length) {
    const word = tokens[i++]!;
    if (/^\(.*\)$/.test(word)) service.schedulerFlags = parseSchedulerFlags(word.slice(1, -1), scheduler, fail);
    else if (word === "persistent") service.persistence = { timeoutSeconds: parseInteger(tokens[i++], 1, 2_678_400, "timeout", fail) };
    else if (word === "mask" && service.persistence) service.persistence.netmask = parseNetmask(tokens[i++], serviceFamily(key), fail);
    else if (word === "ops") service.onePacket = true;
    else if (word === "pe") fail("persistence engines (--pe) are not supported");
    else fail(`unexpected ${JSON.stringify(word)}`);
  }
  return service;
}

type DestinationColumn = (typeof DESTINATION_COLUMNS)[number];

/** Where each destination column is in a row's tokens (-1: not in this layout), from a header read once. */
interface RowLayout {
  /** How many columns follow the address. */
  width: number;
  /** Problems with the header, reported against each row (a listing without rows is fine). */
  problem?: string;
  index: Record<DestinationColumn, number>;
}

function rowLayoutOf(columns: readonly string[]): RowLayout {
  const unknown = columns.filter((c) => !DESTINATION_COLUMNS.includes(c as DestinationColumn));
  const index = Object.fromEntries(DESTINATION_COLUMNS.map((c) => [c, columns.includes(c) ? 2 + columns.indexOf(c) : -1])) as Record<DestinationColumn, number>;
  return { width: columns.length, index, ...(unknown.length > 0 ? { problem: `unsupported listing columns ${unknown.join(", ")}` } : {}) };
}

/** A count column's value; the column is in the layout. */
function countIn(tokens: string[], layout: RowLayout, column: DestinationColumn, fail: Fail): number {
  return parseInteger(tokens[layout.index[column]], 0, 4_294_967_295, column, fail);
}

/** Whether the layout has this column. */
const hasColumn = (layout: RowLayout, column: DestinationColumn) => layout.index[column] >= 0;

function parseListedDestination(tokens: string[], layout: RowLayout, service: ServiceKey, lineNumber: number, fail: Fail): ListedDestination {
  if (layout.problem !== undefined) fail(layout.problem);
  if (tokens.length !== layout.width + 2) fail(`expected ${layout.width} columns after the address`);
  const name = tokens[1]!;
  // The length first: it rules out nearly every row, and serviceFamily costs an address check.
  const cut = name.length === LISTED_NAME_LIMIT && serviceFamily(service) !== "ipv6" && !/^(\d+\.){3}\d+:\d+$/.test(name);
  // Two literals rather than a spread of the address: a spread after other properties takes
  // V8's slow path, once per row of a table of thousands.
  const hostPort = cut ? undefined : parseHostPort(name, 0, fail);
  const active = countIn(tokens, layout, "ActiveConn", fail);
  const inactive = countIn(tokens, layout, "InActConn", fail);
  const row: ListedDestination = hostPort
    ? { service, name, address: hostPort.address, port: hostPort.port, active, inactive, lineNumber }
    : { service, name, active, inactive, lineNumber };
  if (hasColumn(layout, "Forward")) {
    const forward = tokens[layout.index.Forward]!;
    row.forwarding = LISTED_FORWARDING[forward] ?? fail(`unknown forwarding ${forward}`);
  }
  if (hasColumn(layout, "Weight")) row.weight = countIn(tokens, layout, "Weight", fail);
  if (hasColumn(layout, "Uthreshold")) row.upperThreshold = countIn(tokens, layout, "Uthreshold", fail);
  if (hasColumn(layout, "Lthreshold")) row.lowerThreshold = countIn(tokens, layout, "Lthreshold", fail);
  if (hasColumn(layout, "PersistConn")) row.persistentConnections = countIn(tokens, layout, "PersistConn", fail);
  const tunnel = hasColumn(layout, "TunnelInfo") ? parseTunnelInfo(tokens[layout.index.TunnelInfo]!, fail) : undefined;
  if (tunnel) row.tunnel = tunnel;
  return row;
}

/**
 * Any `ipvsadm -L -n [--exact] [--thresholds | --persistent-conn | --tun-info]` listing,
 * of the whole table or of one service.
 */
export function parseIpvsadmList(text: string): IpvsListing {
  const listing: IpvsListing = { services: [], destinations: [] };
  const serviceColumns: string[] = [];
  const rowColumns: string[] = [];
  let current: ServiceKey | undefined;
  // Read once per header rather than per row: the columns are the same for every row.
  let layout: RowLayout | undefined;
  const lines = linesOf(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNumber = i + 1;
    const trimmed = line.trim();
    if (trimmed === "" || line.startsWith("IP Virtual Server version")) continue;
    const fail = failerFor(lineNumber, line);
    const tokens = wordsOf(trimmed);
    if (tokens[0] === "Prot") {
      serviceColumns.push(...tokens.slice(2));
      layout = undefined;
    } else if (tokens[0] === "->" && tokens[1] === "RemoteAddress:Port") {
      rowColumns.push(...tokens.slice(2));
      layout = undefined;
    } else if (tokens[0] !== "->") {
      const service = parseListedService(tokens, fail);
      listing.services.push(service);
      current = service.key;
    } else {
      if (!current) fail("real server listed before any service");
      // --thresholds and --persistent-conn put the row's columns on the first header line.
      layout ??= rowLayoutOf(rowColumns.length > 0 ? rowColumns : serviceColumns);
      listing.destinations.push(parseListedDestination(tokens, layout, current!, lineNumber, fail));
    }
  }
  return listing;
}

/**
 * The listed row of a destination: by exact address and port, or, when ipvsadm cut the
 * name short, the one cut row whose name is a prefix of the destination's.
 */
export function findListedRow(rows: readonly ListedDestination[], d: Pick<DestinationKey, "address" | "port">): ListedDestination | undefined {
  const exact = rows.find((r) => r.address === d.address && r.port === d.port);
  if (exact) return exact;
  const full = formatHostPort(d.address, d.port);
  const cut = rows.filter((r) => r.address === undefined && full.startsWith(r.name));
  return cut.length === 1 ? cut[0] : undefined;
}

/** What the drain logic polls: the plainest listing (any -L layout carries the counters). */
export const CONNECTION_COUNTS_COMMAND: readonly string[] = ["ipvsadm", "-L", "-n", "--exact"];

export interface ConnectionCounts {
  active: number;
  inactive: number;
}

/**
 * Active and inactive connections per destinationKeyString, from any -L listing. Pass the
 * table (parseLiveTable's) to resolve names ipvsadm cut short.
 */
export function parseConnectionCounts(listText: string, table?: IpvsTable): Map<string, ConnectionCounts> {
  const counts = new Map<string, ConnectionCounts>();
  for (const row of parseIpvsadmList(listText).destinations) {
    let d: DestinationKey | undefined;
    if (row.address !== undefined && row.port !== undefined) d = { service: row.service, address: row.address, port: row.port };
    else {
      const sameService = (table?.destinations ?? []).filter((c) => serviceKeyString(c.service) === serviceKeyString(row.service));
      const matches = sameService.filter((c) => findListedRow([row], c) === row);
      if (matches.length !== 1) throw new IpvsParseError("ipvsadm cut this real server's name short; pass the table to resolve it", row.lineNumber, row.name);
      d = matches[0];
    }
    counts.set(destinationKeyString(d!), { active: row.active, inactive: row.inactive });
  }
  return counts;
}
