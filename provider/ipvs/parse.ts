// Reading the live IPVS table from ipvsadm's own output.
//
// No single ipvsadm output holds the whole table (checked on ipvsadm 1.31 / kernel 6.1):
// `-S -n` has everything except the thresholds (-x/-y), and each `-L` option swaps in one
// column set (thresholds, persistent connections or tunnel info, never two at once). So a
// read is `-S -n` plus `-L --thresholds`, merged by key. The listing also carries the
// connection counters, which never enter the table: two reads of an unchanged host are equal.

import { LvsError } from "../ssh/errors";
import { findListedRow, parseIpvsadmList, type IpvsListing, type ListedDestination } from "./listing";
import {
  ALL_SCHEDULERS,
  DEFAULT_SCHEDULER,
  MAX_PERSISTENCE_TIMEOUT_SECONDS,
  MAX_THRESHOLD,
  TUNNEL_TYPES,
  destinationKeyString,
  normalizeDestination,
  normalizeService,
  normalizeTable,
  sameServiceKeyFields,
  serviceFamily,
  sortNormalTable,
  serviceKeyString,
  serviceKeyStringOfRuns,
  type Forwarding,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  type Scheduler,
  type ServiceKey,
  type Tunnel,
  type TunnelChecksum,
} from "./model";
import {
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

// Re-exported so that everything that reads ipvsadm output comes from one place.
export { CONNECTION_COUNTS_COMMAND, parseConnectionCounts, parseIpvsadmList, type ConnectionCounts, type IpvsListing } from "./listing";
export { IpvsParseError } from "./syntax";

/** What ipvsadm uses for a bare `-p` (rules files written by hand may have one). */
const DEFAULT_PERSISTENCE_TIMEOUT_SECONDS = 360;

/** Long spellings ipvsadm accepts, mapped to the short ones its -S output mostly uses. */
const SHORT_OPTION: Record<string, string> = {
  "--add-service": "-A",
  "--add-server": "-a",
  "--tcp-service": "-t",
  "--udp-service": "-u",
  "--fwmark-service": "-f",
  "--ipv6": "-6",
  "--scheduler": "-s",
  "--persistent": "-p",
  "--netmask": "-M",
  "--ops": "-o",
  "--sched-flags": "-b",
  "--real-server": "-r",
  "--gatewaying": "-g",
  "--masquerading": "-m",
  "--ipip": "-i",
  "--weight": "-w",
  "--u-threshold": "-x",
  "--l-threshold": "-y",
};
const VALUE_OPTIONS = ["-t", "-u", "--sctp-service", "-f", "-s", "-M", "-r", "-w", "-x", "-y", "--tun-type", "--tun-port", "--pe"];
const FLAG_OPTIONS = ["-6", "-o", "-g", "-m", "-i", "--tun-nocsum", "--tun-csum", "--tun-remcsum"];
/** Options whose value may be missing: `-p` (ipvsadm's default timeout) and `-b` (printed empty for bit 3). */
const OPTIONAL_VALUE_OPTIONS = ["-p", "-b"];
const FORWARDING_OPTION: Record<string, Forwarding> = { "-g": "dr", "-m": "nat", "-i": "tun" };
const CHECKSUM_OPTION: Record<string, TunnelChecksum> = { "--tun-nocsum": "nocsum", "--tun-csum": "csum", "--tun-remcsum": "remcsum" };

// As sets: every token of every line of a table of thousands is looked up in them.
const ALL_OPTIONS = new Set<string>([...VALUE_OPTIONS, ...FLAG_OPTIONS, ...OPTIONAL_VALUE_OPTIONS]);
const FLAG_OPTION_SET = new Set<string>(FLAG_OPTIONS);
const OPTIONAL_VALUE_OPTION_SET = new Set<string>(OPTIONAL_VALUE_OPTIONS);

const isOption = (t: string | undefined) => t !== undefined && ALL_OPTIONS.has(SHORT_OPTION[t] ?? t);

/**
 * One rules-file line's options, by short name (flags map to `true`). A plain object, not
 * a Map: one is made per line of a table of thousands, and a Map's hash table was a
 * large share of what a read allocates. Only names in ALL_OPTIONS are ever set or read.
 */
type Options = { [option: string]: string | true | undefined };

function readOptions(tokens: string[], fail: Fail): Options {
  const options: Options = {};
  for (let i = 1; i < tokens.length; ) {
    const option = SHORT_OPTION[tokens[i]!] ?? tokens[i]!;
    i++;
    if (!isOption(option)) fail(`unknown option ${option}`);
    if (options[option] !== undefined) fail(`${option} given twice`);
    if (FLAG_OPTION_SET.has(option)) options[option] = true;
    else if (OPTIONAL_VALUE_OPTION_SET.has(option)) options[option] = !isOption(tokens[i]) && tokens[i] !== undefined ? tokens[i++]! : "";
    else if (tokens[i] === undefined) fail(`${option} needs a value`);
    else options[option] = tokens[i++]!;
  }
  return options;
}

const has = (options: Options, option: string) => options[option] !== undefined;
/** A value option's value (validated by readOptions: never `true`). */
const valueOf = (options: Options, option: string) => options[option] as string | undefined;

const SERVICE_OPTIONS = ["-t", "-u", "--sctp-service", "-f"];
const FORWARDING_OPTIONS = Object.keys(FORWARDING_OPTION);
const CHECKSUM_OPTIONS = Object.keys(CHECKSUM_OPTION);

/** The one option of `choices` that the line has, undefined if none; fails if several. */
function oneOf(options: Options, choices: readonly string[], fail: Fail, tooMany: string): string | undefined {
  let given: string | undefined;
  for (const option of choices) {
    if (!has(options, option)) continue;
    if (given !== undefined) fail(tooMany);
    given = option;
  }
  return given;
}

function readServiceKey(options: Options, fail: Fail): ServiceKey {
  const needsOne = "needs exactly one of -t, -u, --sctp-service, -f";
  const given = oneOf(options, SERVICE_OPTIONS, fail, needsOne) ?? fail(needsOne);
  const value = valueOf(options, given)!;
  if (given === "-f") return { kind: "fwmark", fwmark: parseFwmark(value, fail), family: has(options, "-6") ? "ipv6" : "ipv4" };
  const protocol = given === "-t" ? "tcp" : given === "-u" ? "udp" : "sctp";
  // Named rather than spread in: a spread after other properties takes V8's slow path.
  const { address, port } = parseHostPort(value, 0, fail);
  return { kind: "address", protocol, address, port };
}

function readService(key: ServiceKey, options: Options, fail: Fail): IpvsService {
  if (has(options, "--pe")) fail("persistence engines (--pe) are not supported");
  const scheduler: Scheduler = has(options, "-s") ? parseScheduler(valueOf(options, "-s"), fail) : DEFAULT_SCHEDULER;
  const service: IpvsService = {
    key,
    scheduler,
    schedulerFlags: parseSchedulerFlags(valueOf(options, "-b") ?? "", scheduler, fail),
    onePacket: has(options, "-o"),
  };
  if (has(options, "-p")) {
    const timeout = valueOf(options, "-p")!;
    const timeoutSeconds = timeout === "" ? DEFAULT_PERSISTENCE_TIMEOUT_SECONDS : parseInteger(timeout, 1, MAX_PERSISTENCE_TIMEOUT_SECONDS, "timeout", fail);
    service.persistence = { timeoutSeconds };
    if (has(options, "-M")) service.persistence.netmask = parseNetmask(valueOf(options, "-M"), serviceFamily(key), fail);
  }
  return service;
}

/** -w, -x and -y: 0..MAX_THRESHOLD, `fallback` when absent. */
function readCount(options: Options, option: string, fallback: number, fail: Fail): number {
  return has(options, option) ? parseInteger(valueOf(options, option), 0, MAX_THRESHOLD, option, fail) : fallback;
}

/**
 * A `-a` line's destination, in normalizeDestination's form (parseHostPort spells addresses
 * canonically, and the tunnel is completed below), so that the table needs no second copy
 * of each destination to be normalised.
 */
function readDestination(service: ServiceKey, options: Options, fail: Fail): IpvsDestination {
  const real = valueOf(options, "-r") ?? fail("-a without -r");
  const forwarding = FORWARDING_OPTION[oneOf(options, FORWARDING_OPTIONS, fail, "more than one of -g, -m, -i") ?? "-g"]!;
  // Like ipvsadm: a real server without a port takes the service's (0 for firewall marks).
  const { address, port } = parseHostPort(real, service.kind === "fwmark" ? 0 : service.port, fail);
  const destination: IpvsDestination = {
    service,
    address,
    port,
    forwarding,
    weight: readCount(options, "-w", 1, fail),
    upperThreshold: readCount(options, "-x", 0, fail),
    lowerThreshold: readCount(options, "-y", 0, fail),
  };
  if (forwarding === "tun") {
    const type = valueOf(options, "--tun-type") ?? "ipip";
    if (!TUNNEL_TYPES.includes(type as Tunnel["type"])) fail(`unknown tunnel type ${type}`);
    const tunnel: Tunnel = { type: type as Tunnel["type"] };
    if (has(options, "--tun-port")) tunnel.port = parseInteger(valueOf(options, "--tun-port"), 1, 65535, "tunnel port", fail);
    const checksum = CHECKSUM_OPTIONS.find((o) => has(options, o));
    if (checksum) tunnel.checksum = CHECKSUM_OPTION[checksum]!;
    return normalizeDestination({ ...destination, tunnel });
  }
  return destination;
}

type SaveLine = { kind: "service"; service: IpvsService } | { kind: "destination"; destination: IpvsDestination };

/** `keyOf` gives the line's service key object, shared by the lines of one service. */
function readSaveLine(tokens: string[], keyOf: (key: ServiceKey) => ServiceKey, fail: Fail): SaveLine {
  const command = SHORT_OPTION[tokens[0]!] ?? tokens[0];
  if (command !== "-A" && command !== "-a") return fail("expected -A (service) or -a (real server)");
  const options = readOptions(tokens, fail);
  const key = keyOf(readServiceKey(options, fail));
  return command === "-A"
    ? { kind: "service", service: readService(key, options, fail) }
    : { kind: "destination", destination: readDestination(key, options, fail) };
}

/**
 * `ipvsadm -S -n` output (the rules-file format). Thresholds are not in it and read as 0
 * unless the line has -x/-y (hand-written files); mergeListings fills them in.
 */
export function parseIpvsadmSave(text: string): IpvsTable {
  const services: IpvsService[] = [];
  const destinations: IpvsDestination[] = [];
  const known = new Set<string>();
  // ipvsadm -S prints each service's real servers right after it.
  const serviceKeyOf = serviceKeyStringOfRuns();
  // Destinations of one service share its key object (tables are values, never changed in
  // place): one key per service rather than per destination, for the collector to copy.
  let lastKey: ServiceKey | undefined;
  const sharedKey = (key: ServiceKey) => (lastKey !== undefined && sameServiceKeyFields(key, lastKey) ? lastKey : (lastKey = key));
  const lines = linesOf(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const fail = failerFor(i + 1, line);
    const entry = readSaveLine(wordsOf(trimmed), sharedKey, fail);
    if (entry.kind === "service") {
      const key = serviceKeyString(entry.service.key);
      if (known.has(key)) fail("service listed twice");
      services.push(entry.service);
      known.add(key);
    } else {
      if (!known.has(serviceKeyOf(entry.destination.service))) fail("real server listed before its service");
      destinations.push(entry.destination);
    }
  }
  // readDestination made the destinations normal already; services are few.
  return sortNormalTable({ services: services.map(normalizeService), destinations });
}

/**
 * The outputs of one read disagree: the table changed between the commands (another
 * resource or an operator edited it meanwhile). Harmless; read again.
 */
export class IpvsListingMismatchError extends LvsError {
  /** serviceKeyString or destinationKeyString of the entry that differs. */
  readonly key: string;

  constructor(key: string, detail: string) {
    super(`the IPVS table changed while it was being read (${key}: ${detail}); read it again`);
    this.key = key;
  }
}

/**
 * The saved table completed with what listings add (the thresholds), after checking that
 * they describe the same entries. Throws IpvsListingMismatchError when they do not.
 */
export function mergeListings(saved: IpvsTable, ...listings: IpvsListing[]): IpvsTable {
  return normalizeTable(withListedThresholds(saved, listings));
}

/** A listing's rows of one service: by exact address and port, and those whose name ipvsadm cut short. */
interface ListedRows {
  exact: Map<string, ListedDestination>;
  /** Rows without an address (and any repeat of an exact one), matched by findListedRow. */
  cut: ListedDestination[];
}

/** What a listed row and a saved destination are matched by, within their service. */
function exactRowKey(address: string, port: number): string {
  return `${address} ${port}`;
}

/**
 * Rows by serviceKeyString, then by exact address and port: linear in the table (a
 * 10,000-destination director is read on every refresh).
 */
function listedRowsByService(rows: readonly ListedDestination[]): Map<string, ListedRows> {
  const byService = new Map<string, ListedRows>();
  // A listing prints each service's rows together.
  const serviceKeyOf = serviceKeyStringOfRuns();
  for (const row of rows) {
    const key = serviceKeyOf(row.service);
    let listed = byService.get(key);
    if (listed === undefined) byService.set(key, (listed = { exact: new Map(), cut: [] }));
    const exactKey = row.address !== undefined && row.port !== undefined ? exactRowKey(row.address, row.port) : undefined;
    if (exactKey !== undefined && !listed.exact.has(exactKey)) listed.exact.set(exactKey, row);
    else listed.cut.push(row);
  }
  return byService;
}

/**
 * mergeListings without its normalizeTable: the saved entries in their order, with the
 * thresholds from the listings. Only thresholds change, and normalizeTable copies them as
 * they are and does not sort by them, so a normalised `saved` gives a normalised table.
 */
function withListedThresholds(saved: IpvsTable, listings: readonly IpvsListing[]): IpvsTable {
  const savedServices = new Set(saved.services.map((s) => serviceKeyString(s.key)));
  // Copied only where a listing changes a threshold: nearly every destination has none,
  // and a copy of each of a table's thousands was a large share of a read's garbage.
  const destinations = saved.destinations.slice();
  for (const listing of listings) {
    const listedServices = new Set(listing.services.map((s) => serviceKeyString(s.key)));
    for (const key of new Set([...savedServices, ...listedServices])) {
      if (!savedServices.has(key) || !listedServices.has(key)) throw new IpvsListingMismatchError(key, "service in only one output");
    }
    const rowsByService = listedRowsByService(listing.destinations);
    // A saved table (normalised) lists each service's destinations together.
    const serviceKeyOf = serviceKeyStringOfRuns();
    for (let i = 0; i < destinations.length; i++) {
      const d = destinations[i]!;
      const rows = rowsByService.get(serviceKeyOf(d.service));
      const exactKey = exactRowKey(d.address, d.port);
      const exact = rows?.exact.get(exactKey);
      const row = exact ?? findListedRow(rows?.cut ?? [], d);
      if (!row) throw new IpvsListingMismatchError(destinationKeyString(d), "real server in only one output");
      if ((row.weight ?? d.weight) !== d.weight || (row.forwarding ?? d.forwarding) !== d.forwarding)
        throw new IpvsListingMismatchError(destinationKeyString(d), "weight or forwarding differ between outputs");
      const upperThreshold = row.upperThreshold ?? d.upperThreshold;
      const lowerThreshold = row.lowerThreshold ?? d.lowerThreshold;
      if (upperThreshold !== d.upperThreshold || lowerThreshold !== d.lowerThreshold) destinations[i] = { ...d, upperThreshold, lowerThreshold };
      if (exact) rows!.exact.delete(exactKey);
      else rows!.cut.splice(rows!.cut.indexOf(row), 1);
    }
    const extra = [...rowsByService.values()].flatMap((rows) => [...rows.exact.values(), ...rows.cut])[0];
    if (extra) throw new IpvsListingMismatchError(`${serviceKeyString(extra.service)}->${extra.name}`, "real server in only one output");
  }
  return { services: saved.services, destinations };
}

/**
 * What one read of the table runs, in this order: the rules-file dump (all but the
 * thresholds), then the thresholds listing (which also carries the connection counters).
 */
export const READ_TABLE_COMMANDS: readonly (readonly string[])[] = [
  ["ipvsadm", "-S", "-n"],
  ["ipvsadm", "-L", "-n", "--exact", "--thresholds"],
];

/** The table, from the stdouts of READ_TABLE_COMMANDS in their order. */
export function parseLiveTable(outputs: readonly string[]): IpvsTable {
  if (outputs.length !== READ_TABLE_COMMANDS.length)
    throw new Error(`parseLiveTable needs the ${READ_TABLE_COMMANDS.length} outputs of READ_TABLE_COMMANDS, got ${outputs.length}`);
  // parseIpvsadmSave's table is normalised already: normalising it again after the merge,
  // as mergeListings must for tables from anywhere, would double the cost of a read.
  return withListedThresholds(parseIpvsadmSave(outputs[0]!), [parseIpvsadmList(outputs[1]!)]);
}

/** Prints the running kernel's release, for availableSchedulersCommand. */
export const KERNEL_RELEASE_COMMAND: readonly string[] = ["uname", "-r"];

/** Lists the IPVS modules of a kernel release (`uname -r`): one ip_vs_<scheduler>.ko each. */
export function availableSchedulersCommand(kernelRelease: string): string[] {
  const release = kernelRelease.trim();
  if (!/^[A-Za-z0-9._+~-]+$/.test(release)) throw new Error(`not a kernel release: ${JSON.stringify(kernelRelease)}`);
  return ["ls", "-1", `/lib/modules/${release}/kernel/net/netfilter/ipvs`];
}

/**
 * The schedulers in a module listing, in ALL_SCHEDULERS order. Reads `ls` output as well as
 * modules.order / modules.builtin lines, and compressed modules (.ko.xz, .ko.zst, .ko.gz).
 */
export function parseAvailableSchedulers(text: string): Scheduler[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:^|[/\s])ip_vs_([a-z0-9]+)\.ko(?:\.(?:xz|zst|gz))?(?=\s|$)/g)) found.add(m[1]!);
  return ALL_SCHEDULERS.filter((s) => found.has(s));
}
