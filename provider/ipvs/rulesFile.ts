// Reboot safety: after every change the director's rules file is rewritten from the live
// table, so what the kernel has is what comes back after a reboot.
//
// The change and the save run in ONE remote command, under one host-wide lock:
// - one SSH round trip per change instead of three;
// - every save dumps the whole live table, and saves are serialised by the lock, so the
//   last save always contains every change made before it: concurrent resources (100
//   RealServers created at once) never lose each other's entries;
// - the file is written to a temporary name and renamed, so a reader (or a reboot) never
//   sees half a file.
//
// The script is a constant. The ipvsadm arguments reach it as positional parameters
// ("$@"), so nothing is ever interpolated into shell text.

/** Where the rules live and how boot restores them, per distribution family. */
export const RULES_FILES = {
  /** Debian/Ubuntu: /etc/init.d/ipvsadm restores this file at boot when AUTO="true". */
  debian: "/etc/ipvsadm.rules",
  /** RHEL/Fedora: ipvsadm.service restores this file at boot (when enabled). */
  rhel: "/etc/sysconfig/ipvsadm",
} as const;

/** Held while changing the table and saving it; /run/lock is tmpfs, so a crash frees it. */
export const IPVS_LOCK_FILE = "/run/lock/pulumi-lvs-ipvsadm.lock";

const CHANGE_AND_SAVE_SCRIPT = `set -e
exec 9>${IPVS_LOCK_FILE}
flock 9
if [ "$#" -gt 0 ]; then "$@"; fi
if [ -e /etc/debian_version ] || [ ! -d /etc/sysconfig ]; then
  rules=${RULES_FILES.debian}
  defaults=/etc/default/ipvsadm
  if [ -f "$defaults" ] && ! grep -q '^AUTO="true"' "$defaults"; then
    cp -p "$defaults" "$defaults.pulumi-lvs.bak"
    if grep -q '^AUTO=' "$defaults"; then
      sed -i 's/^AUTO=.*/AUTO="true"/' "$defaults"
    else
      echo 'AUTO="true"' >>"$defaults"
    fi
  fi
else
  rules=${RULES_FILES.rhel}
fi
tmp="$rules.pulumi-lvs.tmp"
ipvsadm -S -n >"$tmp"
sync "$tmp" 2>/dev/null || true
mv -f "$tmp" "$rules"
echo "$rules"`;

/**
 * The argv that applies one ipvsadm change (or none, for a plain save) and rewrites the
 * rules file. Its stdout is the path of the rules file it wrote.
 */
export function changeAndSaveArgv(ipvsadmArgv: readonly string[] = []): string[] {
  if (ipvsadmArgv.length > 0 && ipvsadmArgv[0] !== "ipvsadm") {
    throw new Error(`changeAndSaveArgv only runs ipvsadm, got "${ipvsadmArgv[0]}"`);
  }
  return ["sh", "-c", CHANGE_AND_SAVE_SCRIPT, "pulumi-lvs-ipvs", ...ipvsadmArgv];
}
