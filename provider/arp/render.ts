// Operations → argv, the text of the files a RealServerArpConfig owns, and the constant
// scripts of the host-wide registry. Pure: the executor sends what this returns.
//
// Every script is a constant; keys, names, values and record text reach it as positional
// parameters, so nothing is ever interpolated into shell text.

import { removeRemoteFilesArgv, writeRemoteFileArgv } from "../resource/remoteFiles";
import { ARP_LOCK_FILE, ARP_STATE_DIRECTORY, TUNNEL_DEVICE, arpFiles, sortedMap, unitName, type BoundVip, type DesiredArp, type SysctlMap } from "./model";
import type { ArpOp } from "./plan";

const HEADER =
  "# Written by pulumi-lvs (lvs:index:RealServerArpConfig). Edits show up as drift and are overwritten;\n# the file is removed when the resource is deleted.\n";

/** The sysctl.d file: applied at boot by systemd-sysctl (per interface: when udev adds it). */
export function renderArpSysctlFile(sysctls: SysctlMap): string {
  return `${HEADER}${Object.entries(sortedMap(sysctls)).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`;
}

/** Loads ipip at boot, before systemd-sysctl applies tunl0's rp_filter. */
export function renderArpModulesLoadFile(): string {
  return `${HEADER}ipip\n`;
}

function addArgs(vip: BoundVip): string[] {
  const args = [`${vip.address}/${vip.prefixLength}`, "dev", vip.device];
  // DAD on lo/tunl0 is pointless and would leave the VIP "tentative" while it runs.
  return vip.address.includes(":") ? [...args, "nodad"] : args;
}

/**
 * The unit that brings the VIPs (and tunl0) back at boot. Oneshot + RemainAfterExit, and
 * no ExecStop: a VIP may be shared with another RealServerArpConfig, so only delete
 * (under the registry's lock) removes addresses. ARP is quiet before it runs: the sysctls
 * are applied by systemd-sysctl, early. Ordered after the network configuration, so that
 * ifupdown/networkd cannot undo it.
 */
export function renderArpUnit(desired: Pick<DesiredArp, "mode" | "vips">): string {
  const start = [
    ...(desired.mode === "tun" ? ["/sbin/modprobe ipip", `/sbin/ip link set ${TUNNEL_DEVICE} up`] : []),
    ...desired.vips.map((v) => `/sbin/ip addr replace ${addArgs(v).join(" ")}`),
  ];
  return [
    HEADER.trimEnd(),
    "[Unit]",
    `Description=pulumi-lvs real server VIPs (${desired.mode}): ${desired.vips.map((v) => v.address).join(" ")}`,
    "Wants=network-online.target",
    "After=network-online.target systemd-sysctl.service systemd-modules-load.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    ...start.map((line) => `ExecStart=${line}`),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/**
 * Runs the rest of its arguments (one command: the batch) holding the registry's lock, so
 * that two resources applied at once on one host never interleave their bookkeeping.
 */
const LOCKED_SCRIPT = `set -e
mkdir -p -- "$1" "$(dirname -- "$2")"
lock=$2
shift 2
exec flock -w 120 -- "$lock" "$@"`;

export function lockedArgv(command: readonly string[]): string[] {
  return ["sh", "-c", LOCKED_SCRIPT, "pulumi-lvs-arp-lock", ARP_STATE_DIRECTORY, ARP_LOCK_FILE, ...command];
}

/**
 * Records, for each NAME=VALUE after $3, the value NAME has now, unless an original is
 * recorded already (another resource set it first: its value now is ours, not the
 * host's); then what resource $2 needs (record text $3); then sets the values. The
 * records are written before anything is changed, so that a failure part-way still
 * knows what to restore.
 */
const REGISTER_SCRIPT = `set -eu
dir=$1 key=$2 record=$3
shift 3
mkdir -p -- "$dir/original"
for pair do
  name=\${pair%%=*}
  file=$dir/original/$(printf '%s' "$name" | tr / %)
  if [ ! -e "$file" ]; then
    value=$(sysctl -n -e -- "$name")
    if [ -n "$value" ]; then printf '%s\\n' "$value" >"$file.tmp"; mv -f -- "$file.tmp" "$file"; fi
  fi
done
printf '%s' "$record" >"$dir/$key.record.tmp"
mv -f -- "$dir/$key.record.tmp" "$dir/$key.record"
sysctl -q -w "$@"`;

/**
 * Releases resource $2: each VIP and sysctl of its record that no other record names is
 * removed / restored to its original value (and the original forgotten); then the record
 * goes, and the registry's directories when empty.
 */
const RELEASE_SCRIPT = `set -u
dir=$1 key=$2
record=$dir/$key.record
[ -f "$record" ] || exit 0
needed_elsewhere() {
  for other in "$dir"/*.record; do
    [ "$other" = "$record" ] && continue
    [ -f "$other" ] || continue
    if grep -qxF -- "$1" "$other"; then return 0; fi
  done
  return 1
}
status=0
while IFS=' ' read -r kind a b; do
  case $kind in
    vip)
      if ! needed_elsewhere "vip $a $b"; then ip addr del "$a" dev "$b" 2>/dev/null || true; fi ;;
    sysctl)
      if ! needed_elsewhere "sysctl $a"; then
        file=$dir/original/$(printf '%s' "$a" | tr / %)
        if [ -f "$file" ]; then
          # -e: an interface that has gone away since has nothing left to restore.
          if sysctl -q -e -w "$a=$(cat -- "$file")"; then rm -f -- "$file"; else status=1; fi
        fi
      fi ;;
  esac
done <"$record"
[ "$status" -eq 0 ] || exit "$status"
rm -f -- "$record"
# The last one out removes the registry (and /var/lib/pulumi-lvs, unless the Director keeps files there).
rmdir -- "$dir/original" 2>/dev/null || true
rmdir -- "$dir" 2>/dev/null || true
rmdir -- "$(dirname -- "$dir")" 2>/dev/null || true
exit 0`;

const sysctlAssignments = (values: SysctlMap) => Object.entries(sortedMap(values)).map(([k, v]) => `${k}=${v}`);

/** The argv of one operation. */
export function renderArpOp(op: ArpOp): string[] {
  switch (op.kind) {
    case "register":
      return ["sh", "-c", REGISTER_SCRIPT, "pulumi-lvs-arp-register", ARP_STATE_DIRECTORY, op.key, op.record, ...sysctlAssignments(op.sysctls)];
    case "release":
      return ["sh", "-c", RELEASE_SCRIPT, "pulumi-lvs-arp-release", ARP_STATE_DIRECTORY, op.key];
    case "writeFile":
      return writeRemoteFileArgv(arpFiles(op.key)[op.file], "0644", op.content);
    case "removeFiles":
      return removeRemoteFilesArgv(op.files.map((f) => arpFiles(op.key)[f]));
    case "reloadSystemd":
      return ["systemctl", "daemon-reload"];
    case "enableUnit":
      return ["systemctl", "enable", "--quiet", unitName(op.key)];
    case "disableUnit":
      return ["systemctl", "disable", "--quiet", unitName(op.key)];
    case "loadIpip":
      return ["modprobe", "ipip"];
    case "tunnelUp":
      return ["ip", "link", "set", TUNNEL_DEVICE, "up"];
    case "setSysctls":
      return ["sysctl", "-q", "-w", ...sysctlAssignments(op.values)];
    case "bindVip":
      return ["ip", "addr", "replace", ...addArgs(op.vip)];
  }
}

/** The operation in words, for error messages. */
export function describeArpOp(op: ArpOp): string {
  switch (op.kind) {
    case "register":
      return `record ${arpFiles(op.key).record} and the original values, then set ${sysctlAssignments(op.sysctls).join(" ")}`;
    case "release":
      return `release ${arpFiles(op.key).record} (restore the sysctls and remove the VIPs no other RealServerArpConfig needs)`;
    case "writeFile":
      return `write ${arpFiles(op.key)[op.file]}`;
    case "removeFiles":
      return `remove ${op.files.map((f) => arpFiles(op.key)[f]).join(" ")}`;
    case "setSysctls":
      return `set ${sysctlAssignments(op.values).join(" ")}`;
    case "bindVip":
      return `ip addr replace ${addArgs(op.vip).join(" ")}`;
    default:
      return renderArpOp(op).join(" ");
  }
}
