// Operations → argv (and words, for error messages). Pure: the executor sends what this
// returns, and tests compare it with tables. The files' text is in contents.ts.

import { removeRemoteFilesArgv, writeRemoteFileArgv } from "../resource/remoteFiles";
import { sysctlAssignments } from "../resource/sysctl";
import { bindArgs, ipAddrArgs } from "./contents";
import { DIRECTOR_FILES, STATE_DIRECTORY, VIP_UNIT_NAME } from "./model";
import type { DirectorOp } from "./plan";

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
