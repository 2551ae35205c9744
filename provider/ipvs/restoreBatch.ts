// A batch of IPVS changes through one `ipvsadm -R` instead of one ipvsadm process per
// change. On a slow host a process start is most of a change's cost (about 80 ms each on
// the lab's emulated VMs: 100 changes took 7.8 s one by one), and `-R` runs every line in
// one process.
//
// What `-R` does not give is which line failed: it carries on past a line the kernel
// refuses, prints the kernel's message with no line number, and exits with the last
// line's status (ipvsadm 1.31, tried on the lab). So every change line is followed by a
// sentinel line that always fails with one known message: zeroing the counters of a
// service that does not exist (`-Z -f 4294967295`, checked absent under the lock first;
// were it there, the batch changes nothing and goes again change by change). stderr is
// unbuffered and `-R` runs the lines in order, so the output splits at the sentinel's
// messages into one segment per change: empty when the change applied, its message when
// the kernel refused it.
//
// That split is only exact when no change can print the sentinel's own message. The kernel
// says "No such service" only to `-E` and `-D` of a service (and `-Z`), so batches with
// those go change by change (they are rare: a VirtualService's edit or delete). A line
// `-R` could not parse at all may end `-R` early: the changes after it did not run, and
// are run again change by change (executor.ts).

/** A service no table has: the highest firewall mark, checked absent before each use. */
export const SENTINEL_FWMARK = "4294967295";
/** The sentinel line: zero a service's counters, which fails when the service is absent. */
export const SENTINEL_LINE = `-Z -f ${SENTINEL_FWMARK}`;
/** What ipvsadm 1.31 prints for the sentinel line (ipvs_strerror: ipvs_zero_service, ESRCH). */
export const SENTINEL_MESSAGE = "No such service";

/** The ipvsadm commands whose kernel errors never read SENTINEL_MESSAGE. */
const RESTORABLE_COMMANDS = new Set(["-A", "-a", "-e", "-d"]);

const PLAIN_TOKEN = /^[^\s"'\\#]+$/;

/**
 * Whether `ipvsadm -R` (and ipvsadm-restore at boot, which reads the rules file the same
 * way) reads this token back exactly as it is: not empty, no white space (lines are split
 * on it), and nothing a line parser might take as quoting, escaping or a comment. Our
 * inputs never hold these.
 */
export function isRestoreToken(token: string): boolean {
  return PLAIN_TOKEN.test(token);
}

/**
 * True when these changes can go through one `ipvsadm -R`: every one adds a service or
 * adds, edits or deletes a destination, and every token is a restore token. Anything else
 * goes one ipvsadm per change, where argv passes each token as it is.
 */
export function restoreApplicable(changes: ReadonlyArray<readonly string[]>): boolean {
  return changes.length > 0 && changes.every((argv) => argv[0] === "ipvsadm" && RESTORABLE_COMMANDS.has(argv[1] ?? "") && argv.slice(1).every(isRestoreToken));
}

/** One change of a restore batch: applied, refused with the kernel's message, or never run. */
export type RestoreOutcome = { ok: true } | { ok: false; stderr: string; notRun?: true };

/**
 * `ipvsadm -R`'s output for `changeCount` change lines, each followed by SENTINEL_LINE →
 * one outcome per change. Output that cannot be split that way throws: nothing about any
 * change of the batch can be told from it.
 */
export function parseRestoreOutput(lines: readonly string[], changeCount: number): RestoreOutcome[] {
  const outcomes: RestoreOutcome[] = [];
  let segment: string[] = [];
  for (const line of lines) {
    if (line !== SENTINEL_MESSAGE) {
      segment.push(line);
      continue;
    }
    if (outcomes.length === changeCount) throw new Error(`ipvsadm -R answered ${changeCount + 1} sentinels for ${changeCount} changes`);
    outcomes.push(segment.length === 0 ? { ok: true } : { ok: false, stderr: `${segment.join("\n")}\n` });
    segment = [];
  }
  if (outcomes.length === changeCount) {
    if (segment.length > 0) throw new Error(`ipvsadm -R printed after its last line: ${JSON.stringify(segment.join("\n").slice(0, 500))}`);
    return outcomes;
  }
  // -R stopped at the change after the last sentinel answered: that change failed with
  // what it printed; the ones after it never ran.
  outcomes.push({ ok: false, stderr: segment.length > 0 ? `${segment.join("\n")}\n` : "ipvsadm -R stopped at this change without a message\n" });
  while (outcomes.length < changeCount) outcomes.push({ ok: false, stderr: "", notRun: true });
  return outcomes;
}
