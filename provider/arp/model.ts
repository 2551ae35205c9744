// What a real server prepared for DR or TUN is made of, as plain data: the sysctls, the
// VIPs and where they are bound, the files of one resource, and the host-wide registry
// that lets several RealServerArpConfigs share a host. No SSH here.
//
// The registry lives on the host (so it survives separate runs and separate stacks):
//   /var/lib/pulumi-lvs/arp/<key>.record      what resource <key> needs: `sysctl NAME` and
//                                             `vip ADDR/PLEN DEV` lines, and `kept ADDR/PLEN
//                                             DEV` for a VIP that was bound before (adopt)
//   /var/lib/pulumi-lvs/arp/original/<NAME>   a sysctl's value before the first resource
//                                             that needed it set it
// Every change runs under the host lock /run/pulumi-lvs/arp.lock; a resource's delete
// restores a sysctl (and removes a VIP) only when no other record still names it.
//
// No zod here: the resource's published declarations reach this file, and must not name
// zod (see provider/typeEquality.ts). schema.ts validates into these types and asserts they match.

import { createHash } from "crypto";
import { hostLockFile } from "../resource/hostLock";
import type { InterfaceAddress } from "../resource/ipAddrShow";
import { interfaceSysctl, sortedMap, type SysctlMap } from "../resource/sysctl";

export { interfaceSysctl, sortedMap, type InterfaceAddress, type SysctlMap };

export const ARP_MODES = ["dr", "tun"] as const;
export type ArpMode = (typeof ARP_MODES)[number];

/** Checked inputs, defaults filled in: what every provider method works on. */
export interface ArpInputs {
  /** Checked by the SSH connection schema (checkWithSchema reports its issues). */
  connection: Record<string, unknown>;
  /** Canonical, IPv4 before IPv6, each once. */
  vips: string[];
  mode: ArpMode;
  /** Besides all and lo; absent: the default route's, found on the host. */
  interfaces?: string[] | undefined;
  persist: boolean;
  /** Take over VIPs already bound on lo (tunl0) by hand: they are recorded as kept, and stay bound on delete. */
  adopt?: boolean | undefined;
}

export const ARP_STATE_DIRECTORY = "/var/lib/pulumi-lvs/arp";
/**
 * In the root-only /run/pulumi-lvs (tmpfs: gone at boot), not in the registry, so that the
 * registry's directory can be removed by the last delete without racing a waiter for the lock.
 */
export const ARP_LOCK_FILE = hostLockFile("arp");
/** The device tun-mode VIPs are bound on: ipip's fallback device, which decapsulates. */
export const TUNNEL_DEVICE = "tunl0";

/** A resource's own key on the host: 12 hex digits, derived at create (recordKeyOf). */
export const RECORD_KEY = /^[0-9a-f]{12}$/;

/**
 * The key of a resource's record: derived, never random, so that a re-run of a create cut
 * half-way finds the record it had written and carries on instead of leaving it behind.
 * The owner (project/stack/name, set by the resource class) keeps two stacks' resources
 * apart on one host; the host, VIPs, mode and interfaces are what a replacement changes, so
 * a replacement's new record never shares the key of the one it replaces.
 */
export function recordKeyOf(owner: string, host: string, inputs: Pick<ArpInputs, "vips" | "mode" | "interfaces">): string {
  const identity = JSON.stringify(["RealServerArpConfig", owner, host, inputs.vips, inputs.mode, inputs.interfaces ?? null]);
  return createHash("sha256").update(identity).digest("hex").slice(0, 12);
}

export type ArpFile = "sysctl" | "unit" | "modulesLoad" | "record";

export function unitName(key: string): string {
  return `pulumi-lvs-arp-${requireKey(key)}.service`;
}

/** Every file of one resource. The modules-load file is its own too, so delete never guesses who else needs ipip. */
export function arpFiles(key: string): Record<ArpFile, string> {
  requireKey(key);
  return {
    sysctl: `/etc/sysctl.d/60-pulumi-lvs-arp-${key}.conf`,
    unit: `/etc/systemd/system/${unitName(key)}`,
    modulesLoad: `/etc/modules-load.d/pulumi-lvs-arp-${key}.conf`,
    record: `${ARP_STATE_DIRECTORY}/${key}.record`,
  };
}

function requireKey(key: string): string {
  if (!RECORD_KEY.test(key)) throw new Error(`a RealServerArpConfig record key is 12 hex digits, got "${key}"`);
  return key;
}

/** One VIP as bound: /32 or /128 on lo (dr) or tunl0 (tun). */
export interface BoundVip {
  address: string;
  prefixLength: number;
  device: string;
}

export function vipDevice(mode: ArpMode): string {
  return mode === "dr" ? "lo" : TUNNEL_DEVICE;
}

export function boundVips(vips: readonly string[], mode: ArpMode): BoundVip[] {
  return vips.map((address) => ({ address, prefixLength: address.includes(":") ? 128 : 32, device: vipDevice(mode) }));
}

/**
 * The sysctls and their values:
 * - arp_ignore=1: answer ARP only for addresses of the interface the request came in on
 *   (the VIP is on lo/tunl0, so never for it);
 * - arp_announce=2: never use the VIP as the source of our own ARP requests;
 * both on all (the kernel takes the larger of all and the interface), lo and the interfaces.
 * - tun: rp_filter=0 on tunl0 and all (the kernel takes the larger too), or the
 *   decapsulated packets, whose source is a client routed elsewhere, are dropped.
 */
export function desiredArpSysctls(mode: ArpMode, interfaces: readonly string[]): SysctlMap {
  const wanted: SysctlMap = {};
  for (const iface of ["all", "lo", ...interfaces]) {
    wanted[interfaceSysctl(iface, "arp_ignore")] = "1";
    wanted[interfaceSysctl(iface, "arp_announce")] = "2";
  }
  if (mode === "tun") {
    wanted[interfaceSysctl("all", "rp_filter")] = "0";
    wanted[interfaceSysctl(TUNNEL_DEVICE, "rp_filter")] = "0";
  }
  return sortedMap(wanted);
}

/** What the resource should look like on the host. */
export interface DesiredArp {
  key: string;
  mode: ArpMode;
  persist: boolean;
  /** The interfaces besides all and lo, resolved (the default route's when not given). */
  interfaces: string[];
  sysctls: SysctlMap;
  vips: BoundVip[];
  /** VIPs among `vips` that were bound before pulumi-lvs (adopted): never unbound by delete. */
  kept?: BoundVip[];
}

export function desiredArp(inputs: Pick<ArpInputs, "mode" | "vips" | "persist">, key: string, interfaces: readonly string[]): DesiredArp {
  const resolved = [...new Set(interfaces)].filter((i) => i !== "all" && i !== "lo").sort();
  return { key: requireKey(key), mode: inputs.mode, persist: inputs.persist, interfaces: resolved, sysctls: desiredArpSysctls(inputs.mode, resolved), vips: boundVips(inputs.vips, inputs.mode) };
}

/** The interfaces to use: the given ones, or the default route's (IPv4 first). */
export function resolveInterfaces(given: readonly string[] | undefined, live: Pick<LiveArp, "defaultRouteInterfaces">): string[] {
  if (given !== undefined) return [...given];
  return live.defaultRouteInterfaces.slice(0, 1);
}

/** What a probe of the host found (see probe.ts). */
export interface LiveArp {
  ipipLoaded: boolean;
  /** What modprobe said when it could not load ipip. */
  ipipLoadError?: string;
  /** net.ipv6.conf.all.disable_ipv6: "0", "1", or absent when the kernel has no IPv6 at all. */
  ipv6Disabled: boolean;
  /** Devices of the default routes, IPv4 then IPv6. */
  defaultRouteInterfaces: string[];
  sysctls: SysctlMap;
  interfaces: string[];
  /** Interfaces whose link is administratively up. */
  upInterfaces: string[];
  addresses: InterfaceAddress[];
  /** This resource's files that exist, by role. */
  files: Partial<Record<ArpFile, string>>;
  unitEnabled: boolean;
  /** Every RealServerArpConfig record on the host, by key (this one's included). */
  records: Record<string, string>;
  /** The registry's recorded original values, by sysctl name. */
  originals: SysctlMap;
  /** The registry's directory exists (it may be empty: a release cut before its tidy-up). */
  registryPresent?: boolean;
}

/** A record's text: what this resource needs, one line each, in a fixed order. */
export function renderRecord(desired: Pick<DesiredArp, "sysctls" | "vips" | "kept">): string {
  const lines = [
    ...Object.keys(sortedMap(desired.sysctls)).map((name) => `sysctl ${name}`),
    ...desired.vips.map((v) => `vip ${v.address}/${v.prefixLength} ${v.device}`),
    ...(desired.kept ?? []).map((v) => `kept ${v.address}/${v.prefixLength} ${v.device}`),
  ];
  return `${lines.join("\n")}\n`;
}

export interface ParsedRecord {
  sysctls: string[];
  vips: BoundVip[];
  kept: BoundVip[];
}

export function parseRecord(text: string): ParsedRecord {
  const record: ParsedRecord = { sysctls: [], vips: [], kept: [] };
  for (const line of text.split("\n")) {
    const [kind, a, b] = line.trim().split(/\s+/);
    if (kind === "sysctl" && a) record.sysctls.push(a);
    const m = (kind === "vip" || kind === "kept") && a && b ? /^(.+)\/(\d+)$/.exec(a) : null;
    if (m) (kind === "vip" ? record.vips : record.kept).push({ address: m[1]!, prefixLength: Number(m[2]), device: b! });
  }
  return record;
}

/**
 * The VIPs among `desired.vips` to keep bound on delete: those this resource's record
 * already keeps, and with `adopt` those bound on their device (lo, tunl0) that no record
 * names, that is, bound by hand before pulumi-lvs.
 */
export function keptVips(live: Pick<LiveArp, "addresses" | "records" | "files">, desired: Pick<DesiredArp, "vips">, adopt: boolean): BoundVip[] {
  const own = live.files.record === undefined ? [] : parseRecord(live.files.record).kept;
  const found = adopt ? vipConflicts(live, desired.vips) : [];
  return desired.vips.filter((v) => isKept(own, v) || found.some((f) => f.vip === v.address && f.boundOn === v.device));
}

/** `vip` (address and device) is among `kept`. */
export function isKept(kept: readonly BoundVip[] | undefined, vip: BoundVip): boolean {
  return (kept ?? []).some((k) => k.address === vip.address && k.device === vip.device);
}

/** The VIP is an address of its device. */
export function isBound(live: Pick<LiveArp, "addresses">, vip: BoundVip): boolean {
  return live.addresses.some((a) => a.interface === vip.device && a.address === vip.address);
}

/**
 * Where a VIP is already an address of the host other than where some RealServerArpConfig
 * record (this one's or another's) binds it: it would steal the VIP's traffic (or the
 * director's own address), so we refuse.
 */
export function vipConflicts(live: Pick<LiveArp, "addresses" | "records">, vips: readonly BoundVip[]): { vip: string; boundOn: string }[] {
  const recorded = Object.values(live.records).flatMap((text) => parseRecord(text).vips);
  const conflicts: { vip: string; boundOn: string }[] = [];
  for (const vip of vips) {
    for (const a of live.addresses) {
      if (a.address !== vip.address) continue;
      const ours = recorded.some((r) => r.address === a.address && r.device === a.interface);
      if (!ours) conflicts.push({ vip: vip.address, boundOn: a.interface });
    }
  }
  return conflicts;
}
