// live × desired → operations. Pure: the provider probes the host, plans here, and sends
// the plan as one batch. Planning again against the result yields nothing, so an update
// with no drift sends no change at all.

import { parseVipUnit, renderModulesLoadFile, renderSysctlFile, renderVipUnit } from "./contents";
import {
  interfaceSysctl,
  parsePreviousRecord,
  renderPreviousRecord,
  sortedMap,
  vipBound,
  vipInterfaces,
  type DesiredDirector,
  type DesiredVip,
  type DirectorFile,
  type DirectorVip,
  type LiveDirector,
  type SysctlMap,
} from "./model";

export type DirectorOp =
  | { kind: "writeFile"; file: DirectorFile; content: string }
  | { kind: "removeFiles"; files: DirectorFile[] }
  | { kind: "setSysctls"; values: SysctlMap }
  | { kind: "restoreSysctls"; values: SysctlMap }
  | { kind: "reloadSystemd" }
  /** enable --now: bound now (ExecStart) and at every boot. */
  | { kind: "startVipUnit" }
  /** stop: the loaded unit's ExecStop removes the VIP it bound (used before it is rewritten). */
  | { kind: "stopVipUnit" }
  | { kind: "disableVipUnit" }
  | { kind: "bindVip"; vip: DirectorVip }
  | { kind: "unbindVip"; vip: DirectorVip }
  /** rmdir the record's directory if it is empty (other pulumi-lvs resources may keep files there). */
  | { kind: "removeStateDirectory" };

/**
 * The values to restore on delete. Once a value is recorded it is never overwritten (a
 * second `up` must not record our own value as "previous"); a sysctl the inputs newly
 * need is recorded as it is now; one they no longer need is released: restored now, and
 * dropped from the record so a later delete does not clobber it again.
 */
export function previousValues(live: LiveDirector, desired: DesiredDirector, recorded: SysctlMap = {}): { keep: SysctlMap; release: SysctlMap } {
  const known = parsePreviousRecord(live.files.previous) ?? recorded;
  const keep: SysctlMap = {};
  const release: SysctlMap = {};
  for (const key of Object.keys(desired.sysctls)) {
    const value = known[key] ?? live.sysctls[key];
    if (value !== undefined) keep[key] = value;
  }
  for (const [key, value] of Object.entries(known)) if (!(key in desired.sysctls)) release[key] = value;
  return { keep: sortedMap(keep), release: sortedMap(release) };
}

function differing(wanted: SysctlMap, live: SysctlMap): SysctlMap {
  return sortedMap(Object.fromEntries(Object.entries(wanted).filter(([k, v]) => live[k] !== undefined && live[k] !== v)));
}

const nonEmpty = (m: SysctlMap) => Object.keys(m).length > 0;

/** The operations that take the host from `live` to `desired`, in the order they must run. */
export function planDirector(live: LiveDirector, desired: DesiredDirector, recorded?: SysctlMap): DirectorOp[] {
  const ops: DirectorOp[] = [];
  const { keep, release } = previousValues(live, desired, recorded);
  // First: if any later step fails, the host already knows what to restore.
  const record = renderPreviousRecord(keep);
  if (live.files.previous !== record) ops.push({ kind: "writeFile", file: "previous", content: record });
  const modulesLoad = renderModulesLoadFile();
  if (live.files.modulesLoad !== modulesLoad) ops.push({ kind: "writeFile", file: "modulesLoad", content: modulesLoad });
  const sysctlFile = renderSysctlFile(desired.sysctls);
  if (live.files.sysctl !== sysctlFile) ops.push({ kind: "writeFile", file: "sysctl", content: sysctlFile });
  const restore = differing(release, live.sysctls);
  if (nonEmpty(restore)) ops.push({ kind: "restoreSysctls", values: restore });
  const set = sortedMap(Object.fromEntries(Object.entries(desired.sysctls).filter(([k, v]) => live.sysctls[k] !== v)));
  if (nonEmpty(set)) ops.push({ kind: "setSysctls", values: set });
  ops.push(...planVips(live, desired.vips));
  return ops;
}

function planVips(live: LiveDirector, vips: readonly DesiredVip[]): DirectorOp[] {
  if (vips.length === 0) {
    return live.files.vipUnit === undefined
      ? []
      : [{ kind: "disableVipUnit" }, { kind: "removeFiles", files: ["vipUnit"] }, { kind: "reloadSystemd" }];
  }
  const unit = renderVipUnit(vips);
  if (live.files.vipUnit !== unit) {
    // The running unit's ExecStop removes the old VIPs; only then is it rewritten.
    const stop: DirectorOp[] = live.files.vipUnit !== undefined && live.vipUnitActive ? [{ kind: "stopVipUnit" }] : [];
    // `enable --now` of a unit not yet enabled makes its symlinks and then reloads systemd
    // itself, so a daemon-reload before it would be a second one (2 to 3 s each on the
    // lab's VMs). A unit already enabled is not reloaded by enable: that one needs it.
    const firstEnable = live.files.vipUnit === undefined && !live.vipUnitEnabled;
    const reload: DirectorOp[] = firstEnable ? [] : [{ kind: "reloadSystemd" }];
    return [...stop, { kind: "writeFile", file: "vipUnit", content: unit }, ...reload, { kind: "startVipUnit" }];
  }
  const ops: DirectorOp[] = [];
  if (!live.vipUnitEnabled || !live.vipUnitActive) ops.push({ kind: "startVipUnit" });
  // enable --now does not re-run ExecStart on an active unit: an address removed by hand is re-added directly.
  if (live.vipUnitActive) for (const vip of vips) if (!vipBound(live, vip)) ops.push({ kind: "bindVip", vip });
  return ops;
}

/**
 * Delete: put every recorded value back, unbind the VIP, and remove every file of ours,
 * the record last (a failure part-way leaves it for the next attempt). ip_vs stays loaded
 * and ipvsadm installed: IPVS rules may still exist.
 */
export function planDirectorTeardown(live: LiveDirector, recorded: SysctlMap = {}): DirectorOp[] {
  const ops: DirectorOp[] = [];
  const known = parsePreviousRecord(live.files.previous) ?? recorded;
  const restore = differing(known, live.sysctls);
  if (nonEmpty(restore)) ops.push({ kind: "restoreSysctls", values: restore });
  if (live.files.vipUnit !== undefined) {
    ops.push({ kind: "disableVipUnit" });
    // A stopped unit runs no ExecStop: remove its addresses directly.
    if (!live.vipUnitActive) for (const { kept, ...vip } of parseVipUnit(live.files.vipUnit)) if (!kept && vipBound(live, vip)) ops.push({ kind: "unbindVip", vip });
  }
  const order: DirectorFile[] = ["vipUnit", "sysctl", "modulesLoad", "previous"];
  const files = order.filter((f) => live.files[f] !== undefined);
  if (files.length > 0) ops.push({ kind: "removeFiles", files });
  if (live.files.previous !== undefined) ops.push({ kind: "removeStateDirectory" });
  if (live.files.vipUnit !== undefined) ops.push({ kind: "reloadSystemd" });
  return ops;
}

/**
 * Whether our files on the host are what this Director would have written: each is absent
 * or equal to its rendering for these inputs, and a record of previous values covers
 * exactly the sysctls these inputs set. That is a create cut half-way (the record goes
 * first), and its re-run carries on; anything else belongs to another Director.
 */
export function isOwnPartialCreate(live: LiveDirector, desired: DesiredDirector): boolean {
  const wanted: Partial<Record<DirectorFile, string>> = {
    modulesLoad: renderModulesLoadFile(),
    sysctl: renderSysctlFile(desired.sysctls),
    ...(desired.vips.length > 0 ? { vipUnit: renderVipUnit(desired.vips) } : {}),
  };
  for (const file of ["modulesLoad", "sysctl", "vipUnit"] as const) {
    if (live.files[file] !== undefined && live.files[file] !== wanted[file]) return false;
  }
  if (live.files.previous === undefined) return true;
  const recorded = parsePreviousRecord(live.files.previous);
  if (!recorded) return false;
  return Object.keys(recorded).every((k) => k in desired.sysctls);
}

/** Interfaces and sysctls the desired state needs that the host does not have. */
export function missingOnHost(live: LiveDirector, desired: DesiredDirector & { interfaces: readonly string[] }): { interfaces: string[]; sysctls: string[] } {
  const wantedInterfaces = [...new Set([...desired.interfaces, ...vipInterfaces(desired.vips)])];
  const interfaces = wantedInterfaces.filter((i) => !live.interfaces.includes(i));
  const ofMissingInterface = new Set(interfaces.map((i) => interfaceSysctl(i, "send_redirects")));
  const sysctls = Object.keys(desired.sysctls).filter((k) => live.sysctls[k] === undefined && !ofMissingInterface.has(k));
  return { interfaces, sysctls };
}

/**
 * The desired VIPs with those to keep marked: kept by our unit already, or, with adopt,
 * bound by hand on the interface and with the prefix the inputs give (not by our unit).
 */
export function withKeptVips(desired: DesiredDirector, live: LiveDirector, adopt: boolean): DesiredDirector {
  const ours = parseVipUnit(live.files.vipUnit);
  const same = (a: { address: string; interface: string }, b: { address: string; interface: string }) => a.address === b.address && a.interface === b.interface;
  const vips = desired.vips.map((vip) => {
    const inUnit = ours.find((o) => same(o, vip));
    const byHand = !inUnit && live.addresses.some((a) => same(a, vip) && a.prefixLength === vip.prefixLength);
    return (inUnit?.kept && inUnit.prefixLength === vip.prefixLength) || (adopt && byHand) ? { ...vip, kept: true } : { ...vip };
  });
  return { ...desired, vips };
}

/** Where the VIP is bound already, other than by our own unit; undefined when it is free (or ours). */
export function vipConflict(live: LiveDirector, vip: DesiredVip): { boundOn: string } | undefined {
  const ours = [...parseVipUnit(live.files.vipUnit), ...(vip.kept ? [vip] : [])];
  const holders = live.addresses.filter((a) => a.address === vip.address && !ours.some((o) => o.address === a.address && o.interface === a.interface));
  const holder = holders.find((a) => a.interface !== vip.interface) ?? holders[0];
  return holder ? { boundOn: holder.interface } : undefined;
}

/** Whether the boot-time configuration on the host is the one these inputs need. */
export interface PersistedFlags {
  /** modules-load.d file loads ip_vs. */
  modulesLoad: boolean;
  /** sysctl.d file holds exactly the needed values. */
  sysctlFile: boolean;
  /** With VIPs: the unit binds them and is enabled. Without: no unit of ours is left. */
  vipUnit: boolean;
}

export function persistedFlags(live: LiveDirector, desired: DesiredDirector): PersistedFlags {
  return {
    modulesLoad: live.files.modulesLoad === renderModulesLoadFile(),
    sysctlFile: live.files.sysctl === renderSysctlFile(desired.sysctls),
    vipUnit: desired.vips.length > 0 ? live.files.vipUnit === renderVipUnit(desired.vips) && live.vipUnitEnabled : live.files.vipUnit === undefined,
  };
}
