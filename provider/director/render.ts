// Operations → argv, and the text of the files the Director owns. Pure: the executor
// sends what this returns, and tests compare it with tables.

import { removeRemoteFilesArgv, writeRemoteFileArgv } from "../resource/remoteFiles";
import { DIRECTOR_FILES, STATE_DIRECTORY, VIP_UNIT_NAME, sortedMap, type DirectorVip, type SysctlMap } from "./model";
import type { DirectorOp } from "./plan";

const HEADER = "# Written by pulumi-lvs (lvs:index:Director). Edits show up as drift and are overwritten;\n# the file is removed when the Director is deleted.\n";

export function renderModulesLoadFile(): string {
  return `${HEADER}ip_vs\n`;
}

/** The sysctl.d file: applied at boot by systemd-sysctl, after modules-load.d. */
export function renderSysctlFile(sysctls: SysctlMap): string {
  const lines = Object.entries(sortedMap(sysctls)).map(([key, value]) => `${key} = ${value}`);
  return `${HEADER}${lines.join("\n")}\n`;
}

function ipAddrArgs(vip: DirectorVip): string[] {
  return [`${vip.address}/${vip.prefixLength}`, "dev", vip.interface];
}

/**
 * IPv6 VIPs skip duplicate address detection: real servers in DR hold the same VIP on
 * their loopback and may answer the probe, which would leave the director's VIP
 * "tentative" and unusable (keepalived adds its VIPs with nodad for the same reason).
 */
function bindArgs(vip: DirectorVip): string[] {
  return vip.address.includes(":") ? [...ipAddrArgs(vip), "nodad"] : ipAddrArgs(vip);
}

/**
 * The unit that binds the VIP at boot. Oneshot + RemainAfterExit: "active" means bound,
 * and stopping it (delete, or a VIP change) runs ExecStop, which removes exactly the
 * address this version of the unit added. The "-" lets a stop succeed when the address
 * was already removed by hand. Ordered after network-online.target so that the
 * interface exists and ifupdown/networkd have configured it first.
 */
export function renderVipUnit(vip: DirectorVip): string {
  return [
    HEADER.trimEnd(),
    "[Unit]",
    `Description=pulumi-lvs director VIP ${vip.address}/${vip.prefixLength} on ${vip.interface}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=/sbin/ip addr replace ${bindArgs(vip).join(" ")}`,
    `ExecStop=-/sbin/ip addr del ${ipAddrArgs(vip).join(" ")}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The VIP a unit we wrote binds (to tell our own address from someone else's). */
export function parseVipUnit(text: string | undefined): DirectorVip | undefined {
  const m = text === undefined ? null : /^ExecStart=\S+ addr replace (\S+)\/(\d+) dev (\S+)/m.exec(text);
  return m ? { address: m[1]!, prefixLength: Number(m[2]), interface: m[3]! } : undefined;
}

const sysctlAssignments = (values: SysctlMap) => Object.entries(sortedMap(values)).map(([k, v]) => `${k}=${v}`);

/** The argv of one operation. */
export function renderOp(op: DirectorOp): string[] {
  switch (op.kind) {
    case "writeFile":
      return writeRemoteFileArgv(DIRECTOR_FILES[op.file], "0644", op.content);
    case "removeFiles":
      return removeRemoteFilesArgv(op.files.map((f) => DIRECTOR_FILES[f]));
    case "setSysctls":
      return ["sysctl", "-q", "-w", ...sysctlAssignments(op.values)];
    case "restoreSysctls":
      // -e: an interface that has gone away since has nothing left to restore.
      return ["sysctl", "-q", "-e", "-w", ...sysctlAssignments(op.values)];
    case "reloadSystemd":
      return ["systemctl", "daemon-reload"];
    case "startVipUnit":
      return ["systemctl", "enable", "--now", VIP_UNIT_NAME];
    case "stopVipUnit":
      return ["systemctl", "stop", VIP_UNIT_NAME];
    case "disableVipUnit":
      return ["systemctl", "disable", "--now", VIP_UNIT_NAME];
    case "bindVip":
      return ["ip", "addr", "replace", ...bindArgs(op.vip)];
    case "unbindVip":
      return ["ip", "addr", "del", ...ipAddrArgs(op.vip)];
    case "removeStateDirectory":
      return ["rmdir", "--ignore-fail-on-non-empty", "--", STATE_DIRECTORY];
  }
}

/** The operation in words, for error messages ("set net.ipv4.ip_forward=1"). */
export function describeOp(op: DirectorOp): string {
  switch (op.kind) {
    case "writeFile":
      return `write ${DIRECTOR_FILES[op.file]}`;
    case "removeFiles":
      return `remove ${op.files.map((f) => DIRECTOR_FILES[f]).join(" ")}`;
    case "setSysctls":
      return `set ${sysctlAssignments(op.values).join(" ")}`;
    case "restoreSysctls":
      return `restore ${sysctlAssignments(op.values).join(" ")}`;
    case "reloadSystemd":
      return "systemctl daemon-reload";
    case "startVipUnit":
      return `systemctl enable --now ${VIP_UNIT_NAME}`;
    case "stopVipUnit":
      return `systemctl stop ${VIP_UNIT_NAME}`;
    case "disableVipUnit":
      return `systemctl disable --now ${VIP_UNIT_NAME}`;
    case "bindVip":
      return `ip addr replace ${bindArgs(op.vip).join(" ")}`;
    case "unbindVip":
      return `ip addr del ${ipAddrArgs(op.vip).join(" ")}`;
    case "removeStateDirectory":
      return `rmdir ${STATE_DIRECTORY} (if empty)`;
  }
}
