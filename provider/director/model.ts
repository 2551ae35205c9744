// What a director is made of, as plain data: the sysctls a mode needs, the files that
// make them survive a reboot, and what a probe of the host found. No SSH here, and no zod:
// the Director's published declarations reach this file, and must not name zod (see
// provider/typeEquality.ts). schema.ts validates into these types and asserts they match.

import { interfaceSysctl, sortedMap, type SysctlMap } from "../resource/sysctl";
import type { InterfaceAddress } from "../resource/ipAddrShow";

// Shared with the RealServerArpConfig; re-exported so that imports from here keep working.
export { interfaceSysctl, sortedMap, type InterfaceAddress, type SysctlMap };

export const DIRECTOR_MODES = ["dr", "nat", "tun"] as const;
export type DirectorMode = (typeof DIRECTOR_MODES)[number];

/**
 * How often the master sync daemon sends a live connection again. The kernel's default
 * (`sync_threshold 3 50`) sends an established connection only when its packet count
 * modulo 50 is 3, so a slow connection is re-sent every few minutes and a node that comes
 * back within that time takes the VIPs without it. With a period of 0 and a refresh
 * period, every connection that carries a packet is re-sent once per `refreshSeconds`.
 */
export interface ConnectionSync {
  refreshSeconds: number;
}

/** `connectionSync.refreshSeconds` when it is not given. */
export const DEFAULT_SYNC_REFRESH_SECONDS = 5;

/** The VIP as checked: address canonical, prefix length filled in (32 or 128). */
export interface DirectorVip {
  address: string;
  interface: string;
  prefixLength: number;
}

/**
 * A VIP as the Director binds it. `kept`: it was bound by hand before the Director adopted
 * it (adopt), so the boot unit adds it only when it is missing and never removes it.
 */
export interface DesiredVip extends DirectorVip {
  kept?: boolean;
}

/** Checked inputs, defaults filled in: what every provider method works on. */
export interface DirectorInputs {
  /** Checked by the SSH connection schema (checkWithSchema reports its issues). */
  connection: Record<string, unknown>;
  mode: DirectorMode;
  interfaces: string[];
  vip?: DirectorVip | undefined;
  /** More VIPs, of either family, each on its interface; bound after `vip` by the same unit. */
  vips?: DirectorVip[] | undefined;
  ipv6Forwarding: boolean;
  /** With a KeepalivedPair's lvsSyncDaemon: how the kernel re-sends live connections to the other node. */
  connectionSync?: ConnectionSync | undefined;
  /** false: leave net.ipv4.vs.expire_nodest_conn and expire_quiescent_template as the host has them (absent: set both to 1). */
  expireConnections?: boolean | undefined;
  installIpvsadm: boolean;
  adopt: boolean;
}


/**
 * Everything the Director puts on a host. All of it is ours alone (nothing is edited in
 * place in a file the user owns), so delete can remove it whole.
 */
export const DIRECTOR_FILES = {
  /** Loads ip_vs at boot, before systemd-sysctl applies the net.ipv4.vs.* values that need it. */
  modulesLoad: "/etc/modules-load.d/pulumi-lvs.conf",
  /** The sysctls, re-applied at boot; per-interface ones when udev adds the interface. */
  sysctl: "/etc/sysctl.d/60-pulumi-lvs-director.conf",
  /** The values our sysctls had before we first set them, so delete can put them back. */
  previous: "/var/lib/pulumi-lvs/director-previous.json",
  /** Binds the VIPs at boot (a oneshot unit: no address daemon needed). */
  vipUnit: "/etc/systemd/system/pulumi-lvs-director-vip.service",
} as const;

export const VIP_UNIT_NAME = "pulumi-lvs-director-vip.service";

/** Holds the record; removed on delete when nothing else of pulumi-lvs is left in it. */
export const STATE_DIRECTORY = "/var/lib/pulumi-lvs";

export type DirectorFile = keyof typeof DIRECTOR_FILES;

/**
 * The sysctls a director in this mode needs, and their values.
 * - expire_nodest_conn: connections to a removed real server are dropped at once, and
 *   expire_quiescent_template: persistence templates of a weight-0 real server expire, so
 *   a RealServer drain does not wait for sticky clients forever (unless expireConnections
 *   is false: an adopted director keeps the kernel's defaults it had).
 * - nat: the director routes the real servers' replies back to clients.
 * - dr: the director and the real servers share a segment; ICMP redirects would tell
 *   clients' routers to bypass the director.
 * - tun: encapsulation needs neither.
 * - connectionSync: see ConnectionSync.
 */
export function desiredSysctls(inputs: Pick<DirectorInputs, "mode" | "interfaces" | "ipv6Forwarding" | "connectionSync" | "expireConnections">): SysctlMap {
  const wanted: SysctlMap =
    inputs.expireConnections === false
      ? {}
      : {
          "net.ipv4.vs.expire_nodest_conn": "1",
          "net.ipv4.vs.expire_quiescent_template": "1",
        };
  if (inputs.connectionSync) {
    // Period 0: no packet-count rule; the refresh period alone decides (ip_vs_sync_conn_needed).
    wanted["net.ipv4.vs.sync_threshold"] = "3 0";
    wanted["net.ipv4.vs.sync_refresh_period"] = String(inputs.connectionSync.refreshSeconds);
  }
  if (inputs.mode === "nat") {
    wanted["net.ipv4.ip_forward"] = "1";
    if (inputs.ipv6Forwarding) wanted["net.ipv6.conf.all.forwarding"] = "1";
  }
  if (inputs.mode === "dr") {
    for (const iface of ["all", "default", ...(inputs.interfaces ?? [])]) wanted[interfaceSysctl(iface, "send_redirects")] = "0";
  }
  return sortedMap(wanted);
}

/** What the Director should look like on the host, from its checked inputs. */
export interface DesiredDirector {
  mode: DirectorMode;
  sysctls: SysctlMap;
  /** `vip` first, then `vips`, in order: the order the unit binds them in. */
  vips: DesiredVip[];
}

export function desiredDirector(inputs: DirectorInputs): DesiredDirector {
  return { mode: inputs.mode, sysctls: desiredSysctls(inputs), vips: [...(inputs.vip ? [inputs.vip] : []), ...(inputs.vips ?? [])].map((v) => ({ ...v })) };
}

/** What a probe of the host found (see probe.ts). */
export interface LiveDirector {
  /** `ipvsadm --version` ran (false: the shell answered 127, command not found). */
  ipvsadmPresent: boolean;
  packageManager: "apt" | "dnf" | "unknown";
  moduleLoaded: boolean;
  /** What modprobe said when it could not load ip_vs. */
  moduleLoadError?: string;
  /** The requested sysctls that exist; a missing key is absent. */
  sysctls: SysctlMap;
  interfaces: string[];
  addresses: InterfaceAddress[];
  /** Content of each of our files that exists. */
  files: Partial<Record<DirectorFile, string>>;
  vipUnitEnabled: boolean;
  vipUnitActive: boolean;
}

/** The on-host record of the values before we changed them (DIRECTOR_FILES.previous). */
export interface PreviousRecord {
  version: 1;
  sysctls: SysctlMap;
}

export function renderPreviousRecord(sysctls: SysctlMap): string {
  const record: PreviousRecord = { version: 1, sysctls: sortedMap(sysctls) };
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** The recorded values, or undefined when the file is unreadable (edited by hand?). */
export function parsePreviousRecord(text: string | undefined): SysctlMap | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<PreviousRecord>;
    if (parsed.version !== 1 || typeof parsed.sysctls !== "object" || parsed.sysctls === null) return undefined;
    const entries = Object.entries(parsed.sysctls).filter(([, v]) => typeof v === "string");
    return sortedMap(Object.fromEntries(entries) as SysctlMap);
  } catch {
    return undefined;
  }
}

/** Is `vip` one of the addresses of its interface? */
export function vipBound(live: Pick<LiveDirector, "addresses">, vip: Pick<DirectorVip, "address" | "interface">): boolean {
  return live.addresses.some((a) => a.interface === vip.interface && a.address === vip.address);
}

/** The VIPs' interfaces, each once, in order. */
export function vipInterfaces(vips: readonly DirectorVip[]): string[] {
  return [...new Set(vips.map((v) => v.interface))];
}
