// The shell that runs on a pair node. Every script is a constant: paths, file contents
// and flags reach it as positional parameters or on stdin (base64, one file per line),
// so nothing a user passes is ever interpolated into shell text. File contents travel on
// stdin rather than argv because they can hold the VRRP password, and stdin is never
// logged or put into an error.

import { HOST_LOCK_FUNCTION, hostLockFile, hostLockWaitSeconds } from "../resource/hostLock";
import { BOOT_ORDER_DROP_IN, CONFIG_ROOT, KEEPALIVED_CONF, LIVE_LINK } from "./layout";

/** Held for a whole change on a node (stage → check → swap → reload): resources apply one at a time. */
export const KEEPALIVED_LOCK_FILE = hostLockFile("keepalived");
/** The scripts holding it run with a 120 s timeout (executor.ts); the lock wait stays below it. */
export const KEEPALIVED_LOCK_WAIT_SECONDS = hostLockWaitSeconds(120_000);
/** First line of the keepalived.conf we write; how we tell ours from a user's own. */
export const MAIN_FILE_MARKER = "# pulumi-lvs: keepalived configuration is in /etc/keepalived/pulumi-lvs/live";
export const ORIGINAL_SUFFIX = ".pulumi-lvs-orig";

export const EXIT = {
  keepalivedMissing: 3,
  foreignConfig: 4,
  rejected: 65,
  reloadFailed: 70,
  /** The new configuration failed to load, and reloading the previous one failed too. */
  restoreFailed: 71,
  badOp: 2,
} as const;

/** Where keepalived writes its SIGJSON dump (its tmp_dir, /tmp unless rebuilt otherwise). */
export const KEEPALIVED_JSON_DUMP = "/tmp/keepalived.json";

const COMMON = `set -eu
root=${JSON.stringify(CONFIG_ROOT)} main=${JSON.stringify(KEEPALIVED_CONF)} live=${JSON.stringify(LIVE_LINK)}
marker=${JSON.stringify(MAIN_FILE_MARKER)} dropin=${JSON.stringify(BOOT_ORDER_DROP_IN)}
${HOST_LOCK_FUNCTION}
host_lock ${JSON.stringify(KEEPALIVED_LOCK_FILE)} ${KEEPALIVED_LOCK_WAIT_SECONDS}
journal_cursor() { journalctl -u keepalived -n 0 --show-cursor --no-pager 2>/dev/null | sed -n 's/^-- cursor: //p'; }
journal_since() { if [ -n "$1" ]; then journalctl -u keepalived --after-cursor="$1" -o cat --no-pager 2>/dev/null; else journalctl -u keepalived -o cat --no-pager 2>/dev/null | tail -n 200; fi; }
# Reload (never restart: a restart drops the VIPs and keepalived's IPVS rules) or, when
# keepalived is not running yet, start it; then wait until keepalived says it is done.
reload_keepalived() {
  cursor=$(journal_cursor)
  if systemctl is-active --quiet keepalived; then
    systemctl reload keepalived; want="Reload complete"; echo "reloaded"
  else
    # \`enable\` costs seconds even when nothing changes (Debian runs the sysv-install hook):
    # only when keepalived is not enabled yet.
    systemctl is-enabled --quiet keepalived 2>/dev/null || systemctl enable --quiet keepalived 2>/dev/null || true
    systemctl start keepalived || true; want="Startup complete"; echo "started"
  fi
  i=0
  while [ "$i" -lt 100 ]; do
    if journal_since "$cursor" | grep -q "$want"; then
      if journal_since "$cursor" | grep -E '(Line [0-9]+\\)|Stopped|exited with' >&2; then return 1; fi
      systemctl is-active --quiet keepalived && return 0
      return 1
    fi
    if ! systemctl is-active --quiet keepalived && [ "$i" -gt 10 ]; then journal_since "$cursor" | tail -n 20 >&2; return 1; fi
    sleep 0.2; i=$((i + 1))
  done
  echo "keepalived did not report '$want' within 20 s" >&2
  journal_since "$cursor" | tail -n 20 >&2
  return 1
}
# keepalived starts IPVS's connection sync daemons for lvs_sync_daemon but leaves them
# running in the kernel when a reload drops the keyword or keepalived stops (seen with
# 2.2.7): stop them when the configuration that started them is gone. Only then: a sync
# daemon the operator started by hand, with no lvs_sync_daemon of ours, is left alone.
has_sync() { [ -f "$1" ] && grep -q '^[[:space:]]*lvs_sync_daemon[[:space:]]' "$1"; }
stop_sync_daemons() { ipvsadm --stop-daemon master 2>/dev/null || true; ipvsadm --stop-daemon backup 2>/dev/null || true; }
# $1 = the configuration keepalived ran, $2 = the one it runs now (a missing file: none).
sync_dropped() { if has_sync "$1" && ! has_sync "$2"; then stop_sync_daemons; fi; }
# The generation's files reach the disk before the pointer to them does, and the pointer
# before keepalived is reloaded: a director that loses power within the kernel's writeback
# delay (30 s) must boot with one whole generation, not the new pointer to files never
# written (seen on the lab: dir1 powered off 25 s after an apply booted keepalived with no
# virtual_server at all).
swap_live() { # $1 = generation name, or empty for none
  sync
  if [ -n "$1" ]; then ln -sfn "$1" "$root/live.tmp" && mv -Tf "$root/live.tmp" "$live"; else rm -f "$live"; fi
  sync
}`;

/**
 * Builds a new generation from the live one plus the ops on stdin, checks it with
 * `keepalived -t`, swaps it in, reloads, and waits for keepalived to finish. On a failure
 * after the swap the previous generation is swapped back and reloaded.
 * $1: "pair" when this change may install the main file (create of a KeepalivedPair);
 * $2: "adopt" to take over a foreign keepalived.conf.
 * stdin: lines `write <relative path> <base64>`, `remove <relative path>`, `removetree <relative path>`.
 * stdout: `previous <path> <base64>` / `absent <path>` per op, then `generation <name>`.
 */
const APPLY_SCRIPT = `${COMMON}
installs_main=$1 adopt=$2
command -v keepalived >/dev/null 2>&1 || { echo "keepalived is not installed" >&2; exit ${EXIT.keepalivedMissing}; }
if [ "$installs_main" = pair ] && [ -e "$main" ] && ! grep -qxF "$marker" "$main"; then
  [ "$adopt" = adopt ] || { echo "foreign $main" >&2; exit ${EXIT.foreignConfig}; }
fi
# A candidate that never goes live leaves nothing behind: not its generation, and not the
# tree when this run created it (a refused first install leaves the node as it was).
fresh_root=no
[ -d "$root" ] || fresh_root=yes
mkdir -p "$root"; chmod 0700 "$root"
old=$(readlink "$live" 2>/dev/null || true)
new="gen.$(date +%s%N)"
drop_candidate() { rm -rf "$root/$new"; if [ "$fresh_root" = yes ]; then rm -rf "$root"; fi; }
trap drop_candidate EXIT
if [ -n "$old" ] && [ -d "$root/$old" ]; then cp -a "$root/$old" "$root/$new"; else mkdir -p "$root/$new"; fi
while IFS=' ' read -r op rel data; do
  case "$rel" in ''|/*|*..*) echo "refusing path '$rel'" >&2; exit ${EXIT.badOp};; esac
  f="$root/$new/$rel"
  if [ -f "$f" ]; then printf 'previous %s %s\\n' "$rel" "$(base64 -w0 <"$f")"; else printf 'absent %s\\n' "$rel"; fi
  case "$op" in
    write) mkdir -p "$(dirname "$f")"; printf '%s' "$data" | base64 -d >"$f"; chmod 0600 "$f" ;;
    # A directory the file leaves empty goes too (a service's last real server): the tree is
    # then as it was before that file's create. Never the generation itself (it keeps keepalived.conf).
    remove) rm -f "$f"; [ "$(dirname "$f")" = "$root/$new" ] || rmdir "$(dirname "$f")" 2>/dev/null || true ;;
    removetree) rm -rf "$f" ;;
    *) echo "unknown op '$op'" >&2; exit ${EXIT.badOp} ;;
  esac
done
# keepalived refuses a virtual_server without real servers, so a service is included
# (services/<s>.conf -> include <s>.vs) only while it has at least one real server file.
for conf in "$root/$new/services"/*.conf; do
  [ -e "$conf" ] || continue
  stem=$(basename "$conf" .conf)
  case "$stem" in 0-*) continue ;; esac
  [ -e "$root/$new/services/$stem.vs" ] || rm -f "$conf"
done
for vs in "$root/$new/services"/*.vs; do
  [ -e "$vs" ] || continue
  stem=$(basename "$vs" .vs)
  if ls "$root/$new/services/$stem.d/"*.conf >/dev/null 2>&1; then
    printf 'include %s.vs\n' "$stem" >"$root/$new/services/$stem.conf"
  else
    rm -f "$root/$new/services/$stem.conf"
  fi
done
# In a PID namespace of its own: keepalived 2.2.7's -t signals its own process group when
# it checks a script run by a user other than root (fixed upstream in 2.2.8), killing
# this script with it.
if ! out=$(cd / && unshare --pid --fork keepalived -t -f "$root/$new/keepalived.conf" 2>&1); then
  # keepalived -t also fails on warnings about adjustments it makes at run time. These two
  # are normal when every real server of a service has weight 0 (quiesced), so they do not
  # count as a rejection; anything else does.
  rest=$(printf '%s\\n' "$out" | grep -v -E \\
    -e '^Warning - quorum [0-9]+ for .* exceeds total weight of real servers [0-9]+, reducing quorum to [0-9]+$' \\
    -e '^Virtual server .*: hysteresis [0-9]+ >= quorum [0-9]+; setting hysteresis to [0-9]+$' \\
    -e '^$' || true)
  if [ -n "$rest" ] || [ -z "$out" ]; then
    [ -n "$out" ] || out="keepalived -t exited without output (killed by a signal?)"
    printf '%s\\n' "$out" | sed "s#$root/$new/#candidate:#g" >&2
    exit ${EXIT.rejected}
  fi
  printf '%s\\n' "$out" | sed 's/^/warning /'
fi
if [ "$installs_main" = pair ] && ! { [ -e "$main" ] && grep -qxF "$marker" "$main"; }; then
  if [ ! -e "$root/original" ]; then
    { if [ -e "$main" ]; then echo "conf=kept"; else echo "conf=absent"; fi
      if systemctl is-active --quiet keepalived; then echo "active=yes"; else echo "active=no"; fi
      if systemctl is-enabled --quiet keepalived 2>/dev/null; then echo "enabled=yes"; else echo "enabled=no"; fi
    } >"$root/original"
  fi
  [ -e "$main" ] && mv -f "$main" "$main${ORIGINAL_SUFFIX}"
  mkdir -p "$(dirname "$main")"
  printf '%s\\ninclude %s/keepalived.conf\\n' "$marker" "$live" >"$main.tmp" && mv -f "$main.tmp" "$main"
fi
# Read at the next boot (no daemon-reload needed for that). Written by the pair's first install.
if [ "$installs_main" = pair ] && [ ! -e "$dropin" ]; then mkdir -p "$(dirname "$dropin")"; printf '[Unit]\\nAfter=ipvsadm.service\\n' >"$dropin"; fi
swap_live "$new"
trap - EXIT
if ! reload_keepalived; then
  swap_live "$old"
  if [ -z "$old" ]; then
    systemctl stop keepalived || true
    sync_dropped "$root/$new/keepalived.conf" ""
    rm -rf "$root/$new"
    exit ${EXIT.reloadFailed}
  fi
  sync_dropped "$root/$new/keepalived.conf" "$root/$old/keepalived.conf"
  rm -rf "$root/$new"
  # Say so when the previous configuration does not come back either: never report it restored.
  if ! reload_keepalived >/dev/null 2>&1; then
    echo "the previous files are back in place, but reloading keepalived with them failed too" >&2
    exit ${EXIT.restoreFailed}
  fi
  exit ${EXIT.reloadFailed}
fi
sync_dropped "$root/$old/keepalived.conf" "$root/$new/keepalived.conf"
for g in "$root"/gen.*; do [ "$g" = "$root/$new" ] || rm -rf "$g"; done
echo "generation $new"`;

export function applyArgv(installsMain: boolean, adopt: boolean): string[] {
  return ["sh", "-c", APPLY_SCRIPT, "pulumi-lvs-keepalived-apply", installsMain ? "pair" : "service", adopt ? "adopt" : "no-adopt"];
}

/**
 * Deletes a pair from a node (also the roll-back of a pair's first install): stop
 * keepalived (the VIPs and its IPVS rules go with it), remove our tree, put back the
 * keepalived.conf that was there before, and start keepalived again if it was running
 * before the pair was created. Also after a run cut anywhere in the install: a main file
 * already moved aside comes back even when ours was not written yet.
 * stdout: one line per thing done (`restored <path>`, `removed <path>`, `stopped`, `started`).
 */
const REMOVE_PAIR_SCRIPT = `${COMMON}
orig="$main${ORIGINAL_SUFFIX}"
rm -f ${JSON.stringify(KEEPALIVED_JSON_DUMP)}
[ -e "$root" ] || [ -e "$orig" ] || { [ -e "$main" ] && grep -qxF "$marker" "$main"; } || exit 0
was_active=no
[ -f "$root/original" ] && grep -qx 'active=yes' "$root/original" && was_active=yes
was_enabled=yes
[ -f "$root/original" ] && grep -qx 'enabled=no' "$root/original" && was_enabled=no
synced=no
has_sync "$live/keepalived.conf" && synced=yes
if [ ! -e "$main" ] || grep -qxF "$marker" "$main"; then
  if systemctl is-active --quiet keepalived; then systemctl stop keepalived || true; echo "stopped"; fi
  if [ "$synced" = yes ]; then stop_sync_daemons; echo "stopped sync daemons"; fi
  if [ -e "$orig" ]; then mv -f "$orig" "$main"; echo "restored $main"; elif [ -e "$main" ]; then rm -f "$main"; echo "removed $main"; fi
fi
if [ -e "$root" ]; then rm -rf "$root"; echo "removed $root"; fi
if [ -e "$dropin" ]; then rm -f "$dropin"; rmdir "$(dirname "$dropin")" 2>/dev/null || true; fi
if [ "$was_enabled" = no ]; then systemctl disable --quiet keepalived 2>/dev/null || true; fi
if [ "$was_active" = yes ]; then systemctl start keepalived; echo "started"; fi
echo removed`;

export function removePairArgv(): string[] {
  return ["sh", "-c", REMOVE_PAIR_SCRIPT, "pulumi-lvs-keepalived-remove-pair"];
}

/**
 * Prints each requested file of the live generation: `file <path> <base64>` or `absent <path>`;
 * a requested directory prints `tree <path>` and a `file` line for every file under it.
 */
const READ_SCRIPT = `set -eu
live=${JSON.stringify(LIVE_LINK)}
for rel in "$@"; do
  f="$live/$rel"
  if [ -f "$f" ]; then printf 'file %s %s\\n' "$rel" "$(base64 -w0 <"$f")"
  elif [ -d "$f" ]; then
    printf 'tree %s\\n' "$rel"
    (cd "$live" && find "$rel" -type f) | while IFS= read -r sub; do printf 'file %s %s\\n' "$sub" "$(base64 -w0 <"$live/$sub")"; done
  else printf 'absent %s\\n' "$rel"; fi
done
if [ -e ${JSON.stringify(KEEPALIVED_CONF)} ] && grep -qxF ${JSON.stringify(MAIN_FILE_MARKER)} ${JSON.stringify(KEEPALIVED_CONF)}; then echo "main ours"; elif [ -e ${JSON.stringify(KEEPALIVED_CONF)} ]; then echo "main foreign"; else echo "main absent"; fi`;

export function readFilesArgv(relativePaths: readonly string[]): string[] {
  return ["sh", "-c", READ_SCRIPT, "pulumi-lvs-keepalived-read", ...relativePaths];
}

/**
 * The keepalived configuration a pair is about to adopt: every file under /etc/keepalived
 * but our own tree, as `file <base64 path> <base64 content>`. keepalived.conf is the
 * foreign one, or, when an adoption was cut after moving it aside, the copy it was moved to
 * (printed under keepalived.conf's own path: the path its relative includes resolve from).
 */
const READ_ADOPTED_SCRIPT = `set -eu
root=${JSON.stringify(CONFIG_ROOT)} main=${JSON.stringify(KEEPALIVED_CONF)} marker=${JSON.stringify(MAIN_FILE_MARKER)}
orig="$main${ORIGINAL_SUFFIX}"
emit() { printf 'file %s %s\\n' "$(printf %s "$1" | base64 -w0)" "$(base64 -w0 <"$2")"; }
[ -d /etc/keepalived ] || exit 0
find /etc/keepalived -path "$root" -prune -o -type f -size -1024k -print | sort | while IFS= read -r f; do
  case "$f" in "$main"|"$orig") continue ;; esac
  emit "$f" "$f"
done
if [ -f "$main" ] && ! grep -qxF "$marker" "$main"; then emit "$main" "$main"
elif [ -f "$orig" ]; then emit "$main" "$orig"; fi`;

export function readAdoptedArgv(): string[] {
  return ["sh", "-c", READ_ADOPTED_SCRIPT, "pulumi-lvs-keepalived-read-adopted"];
}

/**
 * keepalived's own view: the VRRP instances as JSON, the addresses on the host, and the
 * IPVS table keepalived programmed.
 *
 * The JSON comes from keepalived's SIGJSON dump in /tmp, which any local user can write
 * to, and which holds the VRRP password (auth_data). keepalived 2.2 writes it by creating
 * a temporary file and renaming it over the path before writing into it, so a new dump is
 * a new inode that may still be growing. Only a dump that appeared after our signal, is a
 * regular file (not a symlink), is owned by root, is writable by no one else, and has
 * stopped changing is read; it is removed at once, so the password does not stay behind.
 * \`dump <state>\` says which: fresh (read), missing (none came), untrusted (one came that
 * fails those checks; left alone), partial (still changing when we gave up).
 */
const STATUS_SCRIPT = `set -u
dump=${JSON.stringify(KEEPALIVED_JSON_DUMP)}
pid=$(systemctl show -p MainPID --value keepalived 2>/dev/null || echo 0)
echo "pid $pid"
echo "active $(systemctl is-active keepalived 2>/dev/null || true)"
identity() { stat -c '%i %y %s' -- "$dump" 2>/dev/null || echo none; }
trusted() { # a root-owned regular file that only root can write, in a sticky /tmp
  [ -k "$(dirname "$dump")" ] && [ -f "$dump" ] && [ ! -L "$dump" ] || return 1
  [ "$(stat -c %u -- "$dump")" = 0 ] || return 1
  [ $(( 0$(stat -c %a -- "$dump") & 022 )) -eq 0 ]
}
if [ "$pid" != 0 ] && [ -n "$pid" ]; then
  before=$(identity)
  kill -s "$(keepalived --signum=JSON)" "$pid" 2>/dev/null || true
  state=missing seen=
  i=0
  while [ "$i" -lt 50 ]; do
    sleep 0.1; i=$((i + 1))
    now=$(identity)
    if [ "$now" = none ] || [ "$now" = "$before" ]; then continue; fi
    if ! trusted; then state=untrusted; continue; fi
    state=partial
    # Unchanged since the last look and not empty: keepalived has finished writing it.
    if [ "$now" != "$seen" ] || [ "\${now##* }" = 0 ]; then seen=$now; continue; fi
    data=$(base64 -w0 <"$dump") || continue
    [ "$(identity)" = "$now" ] || continue
    rm -f -- "$dump"
    printf 'json %s\\n' "$data"
    state=fresh
    break
  done
  echo "dump $state"
fi
printf 'addrs %s\\n' "$(ip -o addr show | base64 -w0)"
printf 'ipvs %s\\n' "$(ipvsadm -S -n 2>/dev/null | base64 -w0)"`;

export function statusArgv(): string[] {
  return ["sh", "-c", STATUS_SCRIPT, "pulumi-lvs-keepalived-status"];
}
