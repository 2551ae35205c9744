// live × desired → operations. Pure: the provider probes the host, plans here, and sends
// the plan as one locked batch. Planning again against the result yields nothing.

import { isBound, isKept, renderRecord, sortedMap, type ArpFile, type BoundVip, type DesiredArp, type LiveArp, type SysctlMap } from "./model";
import { renderArpModulesLoadFile, renderArpSysctlFile, renderArpUnit } from "./contents";

export type ArpOp =
  /**
   * Under the lock: record the originals of sysctls nobody recorded yet, then what this
   * resource needs, then set all its sysctls (another resource's release may have
   * restored them since the probe: setting them here, after the record, closes that race).
   */
  | { kind: "register"; key: string; record: string; sysctls: SysctlMap }
  /** Restore / remove what no other record needs, then drop the record. */
  | { kind: "release"; key: string }
  /** The record is gone: remove the VIPs state says this resource bound, unless another record needs them. */
  | { kind: "forgetVips"; vips: BoundVip[] }
  | { kind: "writeFile"; key: string; file: Exclude<ArpFile, "record">; content: string }
  | { kind: "removeFiles"; key: string; files: ArpFile[] }
  | { kind: "reloadSystemd" }
  | { kind: "enableUnit"; key: string }
  | { kind: "disableUnit"; key: string }
  | { kind: "loadIpip" }
  | { kind: "tunnelUp" }
  | { kind: "setSysctls"; values: SysctlMap }
  | { kind: "bindVip"; vip: BoundVip };

/** The boot-time files these inputs need (none without persist). */
export function desiredFiles(desired: DesiredArp): Partial<Record<Exclude<ArpFile, "record">, string>> {
  if (!desired.persist) return {};
  return {
    sysctl: renderArpSysctlFile(desired.sysctls),
    unit: renderArpUnit(desired),
    ...(desired.mode === "tun" ? { modulesLoad: renderArpModulesLoadFile() } : {}),
  };
}

const BOOT_FILES: Exclude<ArpFile, "record">[] = ["sysctl", "modulesLoad", "unit"];

/**
 * The operations that take the host from `live` to `desired`, in the order they must run:
 * tunl0 (its sysctls exist only then), the record with the sysctls (so a failure
 * part-way can be undone), the boot files, and only then the VIPs, so that ARP is quiet
 * before any VIP exists.
 */
export function planArp(live: LiveArp, desired: DesiredArp): ArpOp[] {
  const ops: ArpOp[] = [];
  const key = desired.key;
  if (desired.mode === "tun") {
    if (!live.ipipLoaded) ops.push({ kind: "loadIpip" });
    if (!live.upInterfaces.includes("tunl0")) ops.push({ kind: "tunnelUp" });
  }
  const record = renderRecord(desired);
  const unrecorded = Object.keys(desired.sysctls).filter((name) => live.originals[name] === undefined);
  const drifted = sortedMap(Object.fromEntries(Object.entries(desired.sysctls).filter(([k, v]) => live.sysctls[k] !== v)));
  const registering = live.files.record !== record || unrecorded.length > 0;
  if (registering) ops.push({ kind: "register", key, record, sysctls: { ...desired.sysctls } });
  else if (Object.keys(drifted).length > 0) ops.push({ kind: "setSysctls", values: drifted });
  const files = desiredFiles(desired);
  let systemdChanged = false;
  for (const file of BOOT_FILES) {
    const content = files[file];
    if (content !== undefined && live.files[file] !== content) {
      ops.push({ kind: "writeFile", key, file, content });
      if (file === "unit") systemdChanged = true;
    }
  }
  const stale = BOOT_FILES.filter((f) => files[f] === undefined && live.files[f] !== undefined);
  if (stale.includes("unit") && live.unitEnabled) ops.push({ kind: "disableUnit", key });
  if (stale.length > 0) ops.push({ kind: "removeFiles", key, files: stale });
  if (systemdChanged || stale.includes("unit")) ops.push({ kind: "reloadSystemd" });
  if (files.unit !== undefined && (systemdChanged || !live.unitEnabled)) ops.push({ kind: "enableUnit", key });
  // When registering, every VIP is (re)bound: one seen bound at the probe may have been
  // another resource's, released since. `ip addr replace` is idempotent. A kept VIP (bound
  // by hand before, adopted) is left exactly as it is while it is bound.
  for (const vip of desired.vips) if ((registering && !isKept(desired.kept, vip)) || !isBound(live, vip)) ops.push({ kind: "bindVip", vip });
  return ops;
}

/**
 * Delete: the boot files first (so a reboot part-way does not bring anything back), then
 * the release, which restores and removes only what no other record needs. ipip stays
 * loaded and tunl0 up: other tunnels may use them, and they answer nothing by themselves.
 */
export function planArpTeardown(
  live: Pick<LiveArp, "files" | "unitEnabled"> & Partial<Pick<LiveArp, "addresses" | "records" | "registryPresent">>,
  key: string,
  boundByState: readonly BoundVip[] = [],
): ArpOp[] {
  const ops: ArpOp[] = [];
  const files = BOOT_FILES.filter((f) => live.files[f] !== undefined);
  if (live.files.unit !== undefined && live.unitEnabled) ops.push({ kind: "disableUnit", key });
  if (files.length > 0) ops.push({ kind: "removeFiles", key, files });
  if (live.files.unit !== undefined) ops.push({ kind: "reloadSystemd" });
  if (live.files.record !== undefined) ops.push({ kind: "release", key });
  else {
    // The script checks the other records under the lock; here only what is still bound.
    const stillBound = boundByState.filter((v) => (live.addresses ?? []).some((a) => a.address === v.address && a.interface === v.device));
    if (stillBound.length > 0) ops.push({ kind: "forgetVips", vips: stillBound });
    // A release cut after it removed the record can leave the registry's directories
    // behind, empty: the last one out still takes them (the script only tidies then).
    if (live.registryPresent && Object.keys(live.records ?? {}).length === 0) ops.push({ kind: "release", key });
  }
  return ops;
}

/** Whether the boot-time configuration on the host is the one the inputs need. */
export interface ArpPersistedFlags {
  /** sysctl.d file holds exactly the needed values (without persist: none is left). */
  sysctlFile: boolean;
  /** The unit brings these VIPs back and is enabled (without persist: none is left). */
  bootUnit: boolean;
  /** tun: modules-load.d loads ipip (dr, or without persist: none is left). */
  modulesLoad: boolean;
}

export function arpPersistedFlags(live: LiveArp, desired: DesiredArp): ArpPersistedFlags {
  const files = desiredFiles(desired);
  return {
    sysctlFile: live.files.sysctl === files.sysctl,
    bootUnit: live.files.unit === files.unit && (files.unit === undefined || live.unitEnabled),
    modulesLoad: live.files.modulesLoad === files.modulesLoad,
  };
}

/** The recorded original values of the sysctls this resource needs: what delete restores when it is the last. */
export function originalValues(live: Pick<LiveArp, "originals">, desired: Pick<DesiredArp, "sysctls">): SysctlMap {
  return sortedMap(Object.fromEntries(Object.keys(desired.sysctls).filter((k) => live.originals[k] !== undefined).map((k) => [k, live.originals[k]!])));
}

/** Interfaces the inputs name that the host does not have. */
export function missingInterfaces(live: Pick<LiveArp, "interfaces">, desired: Pick<DesiredArp, "interfaces">): string[] {
  return desired.interfaces.filter((i) => !live.interfaces.includes(i));
}
