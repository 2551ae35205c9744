// Reboot safety: after every change the director's rules file is rewritten from the live
// table, so what the kernel has is what comes back after a reboot.
//
// Why we render the file ourselves instead of `ipvsadm -S > file`: ipvsadm 1.31's save
// format drops the real servers' thresholds (-x/-y); a table restored from it comes back
// without them (the reboot test caught this). So the live table is read (both listings),
// parsed, and rendered back with every option.
//
// Two remote commands per batch of changes (executor.ts batches the concurrent changes to
// one director), both under one host-wide lock:
//  1. apply the batch's ipvsadm changes, bump a change counter, dump the live table;
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
/** Starts the status line of each change in a batch. */
const BATCH_MARKER = "@@pulumi-lvs-change@@";

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

// Step 1 for a batch of changes (executor.ts coalesces the changes that concurrent
// resources make to one director): every change under one lock, each its own ipvsadm run
// so that a refused one fails alone and the others still apply, then one dump. The changes
// come on stdin, NUL-separated: a token count, then that many tokens, per change. bash for
// its arrays; nothing read is ever evaluated.
const CHANGE_BATCH_AND_DUMP_SCRIPT = `set -u
${HOST_LOCK_FUNCTION}
host_lock "$1" "$2"
shift 2
n=0
while IFS= read -r -d '' count; do
  args=()
  for ((i = 0; i < count; i++)); do IFS= read -r -d '' token; args+=("$token"); done
  n=$((n + 1))
  if out=$(ipvsadm "\${args[@]}" 2>&1); then
    echo "${BATCH_MARKER} $n ok"
  else
    echo "${BATCH_MARKER} $n failed $?"
    printf '%s\\n' "$out" | head -c 4000 | sed 's/^/  /'
  fi
done
count=$(cat ${IPVS_CHANGE_COUNTER} 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" >${IPVS_CHANGE_COUNTER}
echo ${OUTPUT_SEPARATOR}
ipvsadm -S -n
echo ${OUTPUT_SEPARATOR}
ipvsadm -L -n --exact --thresholds
echo ${OUTPUT_SEPARATOR}
echo "$count"`;

/** Step 1 for a batch: the argv (the changes go on stdin: batchStdin). */
export function changeBatchAndDumpArgv(lockWaitSeconds: string): string[] {
  return ["bash", "-c", CHANGE_BATCH_AND_DUMP_SCRIPT, "pulumi-lvs-ipvs-batch", IPVS_LOCK_FILE, checkedWait(lockWaitSeconds)];
}

/** The changes of a batch as the batch script reads them: per change, its token count and its tokens, NUL-separated. */
export function batchStdin(changes: ReadonlyArray<readonly string[]>): string {
  const fields: string[] = [];
  for (const argv of changes) {
    if (argv[0] !== "ipvsadm") throw new Error(`a batch only runs ipvsadm, got "${argv[0]}"`);
    const tokens = argv.slice(1);
    for (const token of tokens) if (token.includes("\0")) throw new Error(`an ipvsadm argument cannot hold NUL: ${JSON.stringify(token)}`);
    fields.push(String(tokens.length), ...tokens);
  }
  return fields.map((f) => `${f}\0`).join("");
}

/** What each change of a batch did: ok, or its exit code and ipvsadm's message. */
export type BatchChangeResult = { ok: true } | { ok: false; exitCode: number; stderr: string };

/** The batch's per-change results, the two listings and the change counter, from step 1's stdout. */
export function parseChangeBatchAndDump(stdout: string, changeCount: number): { results: BatchChangeResult[]; listings: string[]; changeCount: string } {
  const parts = stdout.split(`${OUTPUT_SEPARATOR}\n`);
  if (parts.length !== 4) throw new Error(`unexpected output from the IPVS batch script (${parts.length} parts)`);
  const results: BatchChangeResult[] = [];
  for (const line of parts[0]!.split("\n")) {
    const status = new RegExp(`^${BATCH_MARKER} (\\d+) (ok|failed (\\d+))$`).exec(line);
    if (status) {
      if (Number(status[1]) !== results.length + 1) throw new Error(`the IPVS batch script reported change ${status[1]} after ${results.length}`);
      results.push(status[2] === "ok" ? { ok: true } : { ok: false, exitCode: Number(status[3]), stderr: "" });
    } else if (line.startsWith("  ") && results.length > 0 && !results[results.length - 1]!.ok) {
      const last = results[results.length - 1] as { ok: false; stderr: string };
      last.stderr += `${line.slice(2)}\n`;
    }
  }
  if (results.length !== changeCount) throw new Error(`the IPVS batch script reported ${results.length} of ${changeCount} changes`);
  return { results, listings: [parts[1]!, parts[2]!], changeCount: parts[3]!.trim() };
}

function checkedWait(seconds: string): string {
  if (!/^\d+(\.\d+)?$/.test(seconds)) throw new Error(`not a lock wait in seconds: ${JSON.stringify(seconds)}`);
  return seconds;
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

