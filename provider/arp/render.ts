// Operations → argv, and the constant scripts of the host-wide registry. Pure: the
// executor sends what this returns. The files' text is in contents.ts.
//
// Every script is a constant; keys, names, values and record text reach it as positional
// parameters, so nothing is ever interpolated into shell text.

import { HOST_LOCK_FUNCTION, hostLockWaitSeconds } from "../resource/hostLock";
import { removeRemoteFilesArgv, writeRemoteFileArgv } from "../resource/remoteFiles";
import { sysctlAssignments } from "../resource/sysctl";
import { addArgs } from "./contents";
import { ARP_LOCK_FILE, ARP_STATE_DIRECTORY, TUNNEL_DEVICE, arpFiles, unitName } from "./model";
import type { ArpOp } from "./plan";

/**
 * Runs the rest of its arguments (one command: the batch) holding the registry's lock, so
 * that two resources applied at once on one host never interleave their bookkeeping.
 * The lock is the shared host lock (provider/resource/hostLock.ts): registry directory $1,
 * lock file $2, wait $3 seconds.
 */
const LOCKED_SCRIPT = `set -e
mkdir -p -- "$1"
${HOST_LOCK_FUNCTION}
host_lock "$2" "$3"
shift 3
exec "$@"`;

/** The batch runs with a 180 s timeout (executor.ts); the lock wait must stay below it. */
const ARP_LOCK_WAIT_SECONDS = hostLockWaitSeconds(180_000);

export function lockedArgv(command: readonly string[], lockWaitSeconds: string = ARP_LOCK_WAIT_SECONDS): string[] {
  return ["sh", "-c", LOCKED_SCRIPT, "pulumi-lvs-arp-lock", ARP_STATE_DIRECTORY, ARP_LOCK_FILE, lockWaitSeconds, ...command];
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
 * goes, and the registry's directories when empty. A VIP the record keeps (bound by hand
 * before it was adopted) stays bound, and stays kept by the records that still name it.
 */
const RELEASE_SCRIPT = `set -u
dir=$1 key=$2
record=$dir/$key.record
needed_elsewhere() {
  for other in "$dir"/*.record; do
    [ "$other" = "$record" ] && continue
    [ -f "$other" ] || continue
    if grep -qxF -- "$1" "$other"; then return 0; fi
  done
  return 1
}
still_bound() { ip -o addr show dev "$2" 2>/dev/null | grep -qF " $1 "; }
# Appends line $1 to every other record that has line $2 and not $1 yet.
hand_on() {
  for other in "$dir"/*.record; do
    [ "$other" = "$record" ] && continue
    if [ -f "$other" ] && grep -qxF -- "$2" "$other" && ! grep -qxF -- "$1" "$other"; then
      { cat -- "$other"; printf '%s\n' "$1"; } >"$other.tmp" && mv -f -- "$other.tmp" "$other" || status=1
    fi
  done
  return 0
}
status=0
# No record (an earlier release was cut after removing it): only the tidy-up below is left.
[ -f "$record" ] && while IFS=' ' read -r kind a b; do
  case $kind in
    vip)
      if needed_elsewhere "vip $a $b"; then
        # Bound before pulumi-lvs (adopted): the records that still need it keep it so.
        grep -qxF -- "kept $a $b" "$record" && hand_on "kept $a $b" "vip $a $b"
      elif ! grep -qxF -- "kept $a $b" "$record"; then
        # A VIP that stays bound keeps the record (exit 1): dropping the record would orphan the VIP.
        ip addr del "$a" dev "$b" 2>/dev/null || ! still_bound "$a" "$b" || status=1
      fi ;;
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

/**
 * Delete when the resource's record is gone from the host (removed by hand, or by a tool
 * that wiped the registry): the VIPs its state says it bound ("ADDR/PLEN DEV" each) are
 * removed unless another record needs them. Without this they stay bound with no record,
 * and every later RealServerArpConfig for them is refused.
 */
const FORGET_VIPS_SCRIPT = `set -u
dir=$1
shift
status=0
for vip in "$@"; do
  needed=0
  for other in "$dir"/*.record; do
    [ -f "$other" ] && grep -qxF -- "vip $vip" "$other" && needed=1
  done
  [ "$needed" -eq 0 ] || continue
  addr=\${vip% *} dev=\${vip#* }
  if ip -o addr show dev "$dev" 2>/dev/null | grep -qF " $addr "; then ip addr del "$addr" dev "$dev" || status=1; fi
done
exit "$status"`;

/** The argv of one operation. */
export function renderArpOp(op: ArpOp): string[] {
  switch (op.kind) {
    case "register":
      return ["sh", "-c", REGISTER_SCRIPT, "pulumi-lvs-arp-register", ARP_STATE_DIRECTORY, op.key, op.record, ...sysctlAssignments(op.sysctls)];
    case "release":
      return ["sh", "-c", RELEASE_SCRIPT, "pulumi-lvs-arp-release", ARP_STATE_DIRECTORY, op.key];
    case "forgetVips":
      return ["sh", "-c", FORGET_VIPS_SCRIPT, "pulumi-lvs-arp-forget-vips", ARP_STATE_DIRECTORY, ...op.vips.map((v) => `${v.address}/${v.prefixLength} ${v.device}`)];
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
    case "forgetVips":
      return `remove ${op.vips.map((v) => `${v.address}/${v.prefixLength} from ${v.device}`).join(", ")} (bound by this resource, whose record is gone from the host), unless another RealServerArpConfig needs them`;
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
