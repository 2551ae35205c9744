// Reboot safety: after every change the director's rules file is rewritten from the live
// table, so what the kernel has is what comes back after a reboot.
//
// Why we render the file ourselves instead of `ipvsadm -S > file`: ipvsadm 1.31's save
// format drops the real servers' thresholds (-x/-y); a table restored from it comes back
// without them (the reboot test caught this). So the live table is read (both listings),
// parsed, and rendered back with every option.
//
// Two remote commands per change, both under one host-wide lock:
//  1. apply the ipvsadm change, bump a change counter, dump the live table;
//  2. write the rendered file (temporary name + rename: never half a file) — but only if
//     the counter has not moved since step 1. If it moved, another resource changed the
//     table after our dump, and its own save (whose dump includes our change) writes the
//     file instead. So concurrent resources never lose each other's entries, and the last
//     change always ends up in the file.
//
// The scripts are constants; values reach them as positional parameters ("$@"), and the
// file content on stdin, so nothing is ever interpolated into shell text. Both take the
// lock file and the lock wait first (see provider/resource/hostLock.ts).

import { HOST_LOCK_FUNCTION, hostLockFile } from "../resource/hostLock";
import { normalizeTable, type IpvsTable } from "./model";
import { renderOp } from "./render";

/** Where the rules live and how boot restores them, per distribution family. */
export const RULES_FILES = {
  /** Debian/Ubuntu: /etc/init.d/ipvsadm restores this file at boot when AUTO="true". */
  debian: "/etc/ipvsadm.rules",
  /** RHEL/Fedora: ipvsadm.service restores this file at boot (when enabled). */
  rhel: "/etc/sysconfig/ipvsadm",
} as const;

/** Held while changing the table and saving it; /run is tmpfs, so a crash frees it. */
export const IPVS_LOCK_FILE = hostLockFile("ipvsadm");
/** Counts changes made by pulumi-lvs since boot; guards the file write (see above). */
export const IPVS_CHANGE_COUNTER = "/run/pulumi-lvs-ipvs.changes";
/** Separates the outputs of the dump commands in one remote command's stdout. */
export const OUTPUT_SEPARATOR = "@@pulumi-lvs-next-output@@";

const CHANGE_AND_DUMP_SCRIPT = `set -e
${HOST_LOCK_FUNCTION}
host_lock "$1" "$2"
shift 2
"$@"
count=$(cat ${IPVS_CHANGE_COUNTER} 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" >${IPVS_CHANGE_COUNTER}
ipvsadm -S -n
echo ${OUTPUT_SEPARATOR}
ipvsadm -L -n --exact --thresholds
echo ${OUTPUT_SEPARATOR}
echo "$count"`;

const WRITE_IF_UNCHANGED_SCRIPT = `set -e
${HOST_LOCK_FUNCTION}
host_lock "$1" "$2"
shift 2
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
count=$(cat ${IPVS_CHANGE_COUNTER} 2>/dev/null || echo 0)
if [ "$count" != "$1" ]; then cat >/dev/null; echo "$rules"; exit 0; fi
cat >"$rules.pulumi-lvs.tmp"
sync "$rules.pulumi-lvs.tmp" 2>/dev/null || true
mv -f "$rules.pulumi-lvs.tmp" "$rules"
echo "$rules"`;

/**
 * Step 1: apply one ipvsadm change, then dump the table. See parseChangeAndDump.
 * `lockWaitSeconds` comes from hostLockWaitSeconds (below the command's timeout).
 */
export function changeAndDumpArgv(ipvsadmArgv: readonly string[], lockWaitSeconds: string): string[] {
  if (ipvsadmArgv[0] !== "ipvsadm") throw new Error(`changeAndDumpArgv only runs ipvsadm, got "${ipvsadmArgv[0]}"`);
  return ["sh", "-c", CHANGE_AND_DUMP_SCRIPT, "pulumi-lvs-ipvs", IPVS_LOCK_FILE, checkedWait(lockWaitSeconds), ...ipvsadmArgv];
}

/**
 * Step 1 without a change: only the dump, for a rules file that must catch up with the
 * table (a create cut between the change and the save, carried on by its re-run).
 */
export function dumpArgv(lockWaitSeconds: string): string[] {
  return ["sh", "-c", CHANGE_AND_DUMP_SCRIPT, "pulumi-lvs-ipvs", IPVS_LOCK_FILE, checkedWait(lockWaitSeconds), "true"];
}

function checkedWait(seconds: string): string {
  if (!/^\d+(\.\d+)?$/.test(seconds)) throw new Error(`not a lock wait in seconds: ${JSON.stringify(seconds)}`);
  return seconds;
}

/** The two listings (for parseLiveTable) and the change counter, from step 1's stdout. */
export function parseChangeAndDump(stdout: string): { listings: string[]; changeCount: string } {
  const parts = stdout.split(`${OUTPUT_SEPARATOR}\n`);
  if (parts.length !== 3) throw new Error(`unexpected output from the IPVS change script (${parts.length} parts)`);
  return { listings: [parts[0]!, parts[1]!], changeCount: parts[2]!.trim() };
}

/** Step 2: write the rules file (content on stdin) unless another change came after. */
export function writeRulesFileArgv(changeCount: string, lockWaitSeconds: string): string[] {
  if (!/^\d+$/.test(changeCount)) throw new Error(`not a change count: ${JSON.stringify(changeCount)}`);
  return ["sh", "-c", WRITE_IF_UNCHANGED_SCRIPT, "pulumi-lvs-ipvs-save", IPVS_LOCK_FILE, checkedWait(lockWaitSeconds), changeCount];
}

/**
 * The table in ipvsadm-restore's format: one ipvsadm command line per entry without the
 * word "ipvsadm", every option included. ipvsadm-restore splits lines on white space
 * and does not unquote, so tokens are written bare (none can contain white space).
 */
export function renderRulesFile(table: IpvsTable): string {
  const t = normalizeTable(table);
  const lines = [
    ...t.services.map((service) => renderOp({ kind: "add-service", service })),
    ...t.destinations.map((destination) => renderOp({ kind: "add-destination", destination })),
  ].map((argv) => {
    const tokens = argv.slice(1);
    for (const token of tokens) {
      if (/\s/.test(token) || token === "") throw new Error(`cannot write ${JSON.stringify(token)} into an ipvsadm rules file`);
    }
    return tokens.join(" ");
  });
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

