// Reboot safety: after every change the director's rules file is rewritten from the live
// table, so what the kernel has is what comes back after a reboot.
//
// Why we render the file ourselves instead of `ipvsadm -S > file`: ipvsadm 1.31's save
// format drops the real servers' thresholds (-x/-y); a table restored from it comes back
// without them (the reboot test caught this). So the live table is read (both listings),
// parsed, and rendered back with every option.
//
// One remote command per batch of changes (executor.ts batches the concurrent changes to
// one director), all of it under the host-wide lock:
//  1. apply the batch's ipvsadm changes, bump a change counter, dump the live table, and
//     print RULES_FILE_REQUEST;
//  2. the executor renders the file from that dump and sends it back on the same stdin
//     (exec's `answer`), its length first and "end" after it; the script writes it
//     (temporary name + rename: never half a file) only if all of it came.
// The lock is held from the first change to the rename, so no other change can slip in
// between our dump and our write and be lost from the file. The counter is still bumped:
// an older pulumi-lvs (two round trips, the write guarded by the counter) may share the
// host, and its write must give way to ours.
//
// A command cut anywhere (a dropped connection, a killed provider) leaves either the old
// file or the new one, never a partial one: a reply cut short ends stdin early, the length
// or the "end" line is missing, and the script removes its temporary file and fails.
//
// The script is a constant; values reach it as positional parameters ("$@"), the changes
// and the file content on stdin, so nothing is ever interpolated into shell text. It takes
// the lock file and the lock wait first (see provider/resource/hostLock.ts).

import { HOST_LOCK_FUNCTION, hostLockFile } from "../resource/hostLock";
import { normalizeTable, type IpvsTable } from "./model";
import { renderOp } from "./render";
import { SENTINEL_FWMARK, SENTINEL_LINE, isRestoreToken, parseRestoreOutput } from "./restoreBatch";

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

/** Printed (alone) by a restore batch that found the sentinel's service and changed nothing. */
export const SENTINEL_PRESENT = "@@pulumi-lvs-sentinel-present@@";

/** Printed by the batch script when it has dumped the table and waits for the rules file. */
export const RULES_FILE_REQUEST = "@@pulumi-lvs-rules-file-please@@";
/** Exit code of the batch script when the rules file did not arrive whole (sysexits' EX_SOFTWARE). */
export const RULES_FILE_INCOMPLETE_EXIT = 70;

// The batch (executor.ts coalesces the changes that concurrent resources make to one
// director): every change under one lock, a refused one failing alone while the others
// still apply, then one dump, then the rules file written from it. The changes come on
// stdin, NUL-separated: their number, then per change a token count and that many tokens.
// bash for its arrays and `read -d`/`-t`; nothing read is ever evaluated.
//
// Two ways to run the changes ($3): "restore" sends them all through one `ipvsadm -R`,
// each line followed by a sentinel line whose known message splits the output per change
// (restoreBatch.ts says why and when that is exact); "each" runs one ipvsadm per change.
// A restore batch whose sentinel service exists changes nothing and says so (the executor
// then sends its changes one by one, in commands of a bounded size).
const CHANGE_BATCH_SCRIPT = `set -eu
${HOST_LOCK_FUNCTION}
host_lock "$1" "$2"
reply_wait=$2
mode=$3
shift 3
IFS= read -r -d '' changes
if [ "$mode" = restore ] && ipvsadm -L -n -f ${SENTINEL_FWMARK} >/dev/null 2>&1; then
  echo "${SENTINEL_PRESENT}"
  exit 0
fi
restore=()
n=0
while [ "$n" -lt "$changes" ]; do
  IFS= read -r -d '' count
  args=()
  for ((i = 0; i < count; i++)); do IFS= read -r -d '' token; args+=("$token"); done
  n=$((n + 1))
  if [ "$mode" = restore ]; then
    restore+=("\${args[*]}" "${SENTINEL_LINE}")
  elif out=$(ipvsadm "\${args[@]}" 2>&1); then
    echo "${BATCH_MARKER} $n ok"
  else
    echo "${BATCH_MARKER} $n failed $?"
    printf '%s\\n' "$out" | head -c 4000 | sed 's/^/  /'
  fi
done
if [ "$mode" = restore ]; then
  echo "${BATCH_MARKER} restore"
  printf '%s\\n' "\${restore[@]}" | ipvsadm -R 2>&1 | sed 's/^/  /'
fi
count=$(cat ${IPVS_CHANGE_COUNTER} 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" >${IPVS_CHANGE_COUNTER}
echo ${OUTPUT_SEPARATOR}
ipvsadm -S -n
echo ${OUTPUT_SEPARATOR}
ipvsadm -L -n --exact --thresholds
echo ${OUTPUT_SEPARATOR}
echo "$count"
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
echo ${RULES_FILE_REQUEST}
tmp="$rules.pulumi-lvs.tmp"
incomplete() {
  rm -f -- "$tmp"
  echo "the rules file did not arrive whole ($1); $rules is unchanged" >&2
  exit ${RULES_FILE_INCOMPLETE_EXIT}
}
IFS= read -r -t "$reply_wait" length || incomplete "no length"
case $length in '' | *[!0-9]*) incomplete "no length" ;; esac
timeout "$reply_wait" head -c "$length" >"$tmp" || incomplete "cut short"
IFS= read -r -t "$reply_wait" end || incomplete "no end"
[ "$end" = end ] && [ "$(wc -c <"$tmp")" = "$length" ] || incomplete "cut short"
sync "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$rules"
echo "$rules"`;

/**
 * A batch's argv: the changes go on stdin (batchStdin), the rules file as the answer to
 * RULES_FILE_REQUEST (rulesFileReply). The lock wait also bounds the wait for that answer.
 */
export function changeBatchArgv(lockWaitSeconds: string, mode: BatchMode): string[] {
  return ["bash", "-c", CHANGE_BATCH_SCRIPT, "pulumi-lvs-ipvs-batch", IPVS_LOCK_FILE, checkedWait(lockWaitSeconds), mode];
}

/** How the batch script runs its changes: one `ipvsadm -R` for them all, or one ipvsadm each. */
export type BatchMode = "restore" | "each";

/** The changes of a batch as the batch script reads them: their number, then per change its token count and its tokens, NUL-separated. */
export function batchStdin(changes: ReadonlyArray<readonly string[]>): string {
  const fields: string[] = [String(changes.length)];
  for (const argv of changes) {
    if (argv[0] !== "ipvsadm") throw new Error(`a batch only runs ipvsadm, got "${argv[0]}"`);
    const tokens = argv.slice(1);
    for (const token of tokens) if (token.includes("\0")) throw new Error(`an ipvsadm argument cannot hold NUL: ${JSON.stringify(token)}`);
    fields.push(String(tokens.length), ...tokens);
  }
  return fields.map((f) => `${f}\0`).join("");
}

/**
 * What each change of a batch did: ok, or ipvsadm's message (with its exit code when it ran
 * alone; `-R` has none per line), or, after a line that stopped `-R`, not run at all.
 */
export type BatchChangeResult = { ok: true } | { ok: false; exitCode?: number; stderr: string; notRun?: true };

/** What the batch script printed up to and including RULES_FILE_REQUEST. */
export interface BatchDump {
  results: BatchChangeResult[];
  /** `ipvsadm -S -n` and `ipvsadm -L -n --exact --thresholds`, taken under the lock. */
  listings: string[];
}

/**
 * The batch's per-change results and the two listings, from its stdout up to the request.
 * The script also prints the host's change counter (bumped for older clients sharing the
 * host, which guard their rules-file write with it); this client has no use for it.
 */
export function parseChangeBatchAndDump(stdout: string, changeCount: number): BatchDump {
  const request = `${RULES_FILE_REQUEST}\n`;
  if (!stdout.endsWith(request)) throw new Error("the IPVS batch script did not ask for the rules file");
  const parts = stdout.slice(0, -request.length).split(`${OUTPUT_SEPARATOR}\n`);
  if (parts.length !== 4) throw new Error(`unexpected output from the IPVS batch script (${parts.length} parts)`);
  const lines = parts[0]!.split("\n");
  const restoreAt = lines.indexOf(`${BATCH_MARKER} restore`);
  if (restoreAt >= 0) {
    const output = lines.slice(restoreAt + 1).filter((line) => line.startsWith("  ")).map((line) => line.slice(2));
    return { results: parseRestoreOutput(output, changeCount), listings: [parts[1]!, parts[2]!] };
  }
  const results: BatchChangeResult[] = [];
  for (const line of lines) {
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
  return { results, listings: [parts[1]!, parts[2]!] };
}

function checkedWait(seconds: string): string {
  if (!/^\d+(\.\d+)?$/.test(seconds)) throw new Error(`not a lock wait in seconds: ${JSON.stringify(seconds)}`);
  return seconds;
}

/** The rules file as the batch script reads it back: its length in bytes, the content, "end". */
export function rulesFileReply(content: string): string {
  return `${Buffer.byteLength(content, "utf8")}\n${content}end\n`;
}

/** The rules file's path, which the batch script prints last. */
export function parseRulesFilePath(stdout: string): string {
  const after = stdout.slice(stdout.lastIndexOf(`${RULES_FILE_REQUEST}\n`) + RULES_FILE_REQUEST.length + 1).trim();
  if (!after.startsWith("/") || after.includes("\n")) throw new Error(`the IPVS batch script did not say where it wrote the rules file: ${JSON.stringify(after.slice(0, 200))}`);
  return after;
}

/**
 * The table in ipvsadm-restore's format: one ipvsadm command line per entry without the
 * word "ipvsadm", every option included. Tokens are written bare, so each must be one
 * ipvsadm-restore reads back as it is (isRestoreToken); the table's never fail that.
 */
export function renderRulesFile(table: IpvsTable): string {
  const t = normalizeTable(table);
  const lines = [
    ...t.services.map((service) => renderOp({ kind: "add-service", service })),
    ...t.destinations.map((destination) => renderOp({ kind: "add-destination", destination })),
  ].map((argv) => {
    const tokens = argv.slice(1);
    for (const token of tokens) {
      if (!isRestoreToken(token)) throw new Error(`cannot write ${JSON.stringify(token)} into an ipvsadm rules file`);
    }
    return tokens.join(" ");
  });
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

