// The only part of the IPVS layer that touches a host. Everything it runs is an argv from
// render.ts or rulesFile.ts; everything it returns is parsed by parse.ts.
//
// Cost matters: a refresh of a cluster with 100 RealServers calls `read` 100 times at
// once in one provider process. Reads of the same director's table are coalesced: callers
// that arrive while a read is in flight share its result. Writes are batched the same way
// (groupCommit.ts): the changes that arrive together go in one remote command under one
// lock, with one dump and one rules-file write, in that same command. Writes bump the director's generation, so
// nobody is ever handed a table older than their own change.
//
// A shared read is also a shared proof of identity: its result says "this host, checked
// against these host-key rules, let these credentials in". So only callers whose
// connection is the same in every respect that decides that (host, port, user,
// credentials, host-key pin and policy, jump hosts: the SSH pool's key, which holds
// secrets only as a keyed hash) share one; anyone else dials, is verified and reads alone.

import { describeConnection, exec, parseSshConnection, renderCommandLine, run, type SshConnection, type SshConnectionInput } from "../ssh";
import { RemoteCommandError } from "../ssh/errors";
import { poolKey } from "../ssh/pool";
import { hostLockFailure, hostLockWaitMs, hostLockWaitSeconds } from "../resource/hostLock";
import type { IpvsTable } from "./model";
import {
  CONNECTION_COUNTS_COMMAND,
  KERNEL_RELEASE_COMMAND,
  READ_TABLE_COMMANDS,
  availableSchedulersCommand,
  parseAvailableSchedulers,
  parseConnectionCounts,
  parseLiveTable,
  IpvsListingMismatchError,
} from "./parse";
import { IpvsChangeError } from "./errors";
import { ENGINE_BURST_SETTLE, GroupCommit, type Settled } from "../resource/groupCommit";
import {
  OUTPUT_SEPARATOR,
  RULES_FILE_REQUEST,
  SENTINEL_PRESENT,
  batchStdin,
  changeBatchArgv,
  parseChangeBatchAndDump,
  parseRulesFilePath,
  renderRulesFile,
  rulesFileReply,
  type BatchChangeResult,
  type BatchDump,
  type BatchMode,
} from "./rulesFile";
import { restoreApplicable } from "./restoreBatch";

interface SharedRead {
  generation: number;
  promise: Promise<IpvsTable>;
}

const sharedReads = new Map<string, SharedRead>();
const generations = new Map<string, number>();
let tableReads = 0;

/** The director a connection points at: the same table whatever user or key reaches it. */
export function directorKey(connection: SshConnection): string {
  return describeConnection({ ...connection, user: "any" });
}

/**
 * Which concurrent reads may share one result: the same director reached with the same
 * connection identity. The pool dials and verifies exactly one connection per such key, so
 * the shared read is one that authenticated with the caller's own identity.
 */
export function sharedReadKey(connection: SshConnection): string {
  return `${directorKey(connection)}#${poolKey(connection)}`;
}

function generationOf(key: string): number {
  return generations.get(key) ?? 0;
}

function bumpGeneration(key: string): void {
  generations.set(key, generationOf(key) + 1);
}

/** The number of table dumps actually sent to hosts (for tests and the cost report). */
export function ipvsTableReadCount(): number {
  return tableReads;
}

// All the read commands in one remote command (one round trip), their outputs separated by
// a marker line. The script is made only of constants, quoted by the one quoting function.
const READ_TABLE_SCRIPT = READ_TABLE_COMMANDS.map((argv) => renderCommandLine(argv)).join(
  ` && echo ${OUTPUT_SEPARATOR} && `,
);

/** The pause before the next read of a table that changed while it was read: 0.1 s doubling to 2 s. */
export function mismatchRetryDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** (attempt - 1), 2000);
}

async function dumpTable(connection: SshConnection): Promise<IpvsTable> {
  // A read takes no lock, so a batch of changes running meanwhile (up to
  // MAX_CHANGES_ONE_BY_ONE ipvsadm runs under the host's lock: seconds on a slow host) can
  // change the table between its two listings. Read again until the table holds still, for
  // as long as a change would wait for that lock.
  const deadline = Date.now() + hostLockWaitMs(connection.timeouts.commandMs);
  for (let attempt = 1; ; attempt++) {
    tableReads += 1;
    const { stdout } = await run(connection, ["sh", "-c", READ_TABLE_SCRIPT]);
    try {
      return parseLiveTable(stdout.split(`${OUTPUT_SEPARATOR}\n`));
    } catch (err) {
      if (!(err instanceof IpvsListingMismatchError) || Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, mismatchRetryDelayMs(attempt)));
    }
  }
}

/** The director's live IPVS table, shared with concurrent readers of the same director and identity. */
export function readIpvsTable(input: SshConnectionInput | SshConnection): Promise<IpvsTable> {
  const connection = parseSshConnection(input);
  const generation = generationOf(directorKey(connection));
  const key = sharedReadKey(connection);
  const shared = sharedReads.get(key);
  // Only a read still in flight is shared: a read that has finished may already be older
  // than an out-of-band edit, and refresh must see those.
  if (shared !== undefined && shared.generation === generation) return shared.promise;

  const entry: SharedRead = { generation, promise: dumpTable(connection) };
  sharedReads.set(key, entry);
  const forget = (): void => {
    if (sharedReads.get(key) === entry) sharedReads.delete(key);
  };
  entry.promise.then(forget, forget);
  return entry.promise;
}

/** One change (or, with no argv, only a rules-file save) waiting for its director's next batch. */
interface TableChange {
  connection: SshConnection;
  ipvsadmArgv: readonly string[] | undefined;
}

/**
 * Changes per batch at most. Each batch dumps the whole table once (the rules file is
 * rendered from it), so a burst of N changes in batches of B moves about N²/2B entries:
 * B large keeps that term small. Through one `ipvsadm -R` 1,000 changes hold the host's
 * lock for about a second on the lab's VMs.
 */
export const MAX_CHANGES_PER_BATCH = 1000;

/**
 * Changes per remote command when they run one ipvsadm each (about 80 ms apiece on the
 * lab's VMs): they hold the host's lock, which every other writer waits for, only within a
 * bounded wait (hostLockWaitSeconds).
 */
export const MAX_CHANGES_ONE_BY_ONE = 200;

// Concurrent changes to one director, by callers of the same connection identity (the
// identity rule of shared reads: a batch runs with the first member's credentials).
const batches = new GroupCommit<TableChange, string>(sendBatch, MAX_CHANGES_PER_BATCH, ENGINE_BURST_SETTLE);

/** The number of change batches sent to hosts (for tests and the cost report). */
export function ipvsChangeBatchCount(): number {
  return batches.batchCount();
}

/**
 * Applies one ipvsadm change and rewrites the rules file from the live table, under the
 * host-wide lock (see rulesFile.ts), batched with the concurrent changes to the same
 * director. Returns the rules file written, or the one a later concurrent change will
 * write. Rejects with this change's own error: another change of the batch failing does
 * not fail this one.
 */
export async function changeIpvsTable(input: SshConnectionInput | SshConnection, ipvsadmArgv: readonly string[]): Promise<string> {
  const connection = parseSshConnection(input);
  return batches.submit(sharedReadKey(connection), { connection, ipvsadmArgv });
}

/**
 * Rewrites the rules file from the live table without changing it: what a create whose
 * entry is already in the kernel (its earlier run was cut before the save) still owes.
 */
export async function saveIpvsTable(input: SshConnectionInput | SshConnection): Promise<string> {
  const connection = parseSshConnection(input);
  return batches.submit(sharedReadKey(connection), { connection, ipvsadmArgv: undefined });
}

/**
 * One batch in one remote command: its changes, one dump, and the rules file rendered here
 * from that dump and written there, all under the host's lock (rulesFile.ts). The changes
 * go through one `ipvsadm -R` where that tells each change's outcome apart
 * (restoreBatch.ts), else one ipvsadm each; changes a stopped `-R` never ran go again, one
 * by one, in a second command.
 */
async function sendBatch(members: TableChange[]): Promise<Array<Settled<string>>> {
  const connection = members[0]!.connection;
  const key = directorKey(connection);
  const changes = members.flatMap((m) => (m.ipvsadmArgv ? [m.ipvsadmArgv] : []));
  bumpGeneration(key);
  try {
    let results: BatchChangeResult[];
    let rulesFile: string;
    const restored = restoreApplicable(changes) ? await runBatch(connection, changes, "restore") : undefined;
    if (restored === undefined || restored === SENTINEL_FOUND) {
      ({ results, rulesFile } = await runOneByOne(connection, changes));
    } else {
      ({ results, rulesFile } = restored);
      const notRun = results.flatMap((r, i) => (!r.ok && r.notRun ? [i] : []));
      if (notRun.length > 0) {
        const again = await runOneByOne(connection, notRun.map((i) => changes[i]!));
        notRun.forEach((i, j) => (results[i] = again.results[j]!));
        rulesFile = again.rulesFile;
      }
    }
    const host = describeConnection(connection);
    let next = 0;
    return members.map((m): Settled<string> => {
      if (!m.ipvsadmArgv) return { ok: true, value: rulesFile };
      const result = results[next++]!;
      return result.ok
        ? { ok: true, value: rulesFile }
        : { ok: false, error: new IpvsChangeError({ host, command: renderCommandLine(m.ipvsadmArgv), exitCode: result.exitCode, stderr: result.stderr }) };
    });
  } finally {
    // Readers that started during the change must not be handed a pre-change table.
    bumpGeneration(key);
  }
}

/** Changes run one ipvsadm each, in remote commands of at most MAX_CHANGES_ONE_BY_ONE. */
async function runOneByOne(connection: SshConnection, changes: ReadonlyArray<readonly string[]>): Promise<{ results: BatchChangeResult[]; rulesFile: string }> {
  const results: BatchChangeResult[] = [];
  let rulesFile = "";
  let from = 0;
  do {
    const part = await runBatch(connection, changes.slice(from, from + MAX_CHANGES_ONE_BY_ONE), "each");
    if (part === SENTINEL_FOUND) throw new Error("the IPVS batch script checked for the sentinel in a batch of one change at a time");
    results.push(...part.results);
    rulesFile = part.rulesFile;
    from += MAX_CHANGES_ONE_BY_ONE;
  } while (from < changes.length);
  return { results, rulesFile };
}

/** What a restore batch answers when the sentinel's service is on the director: it changed nothing. */
const SENTINEL_FOUND = Symbol("sentinel found");

/**
 * One remote command of a batch: the changes, the dump, the rules file written; each
 * change's outcome. Or, for a restore batch, SENTINEL_FOUND: nothing changed.
 */
async function runBatch(
  connection: SshConnection,
  changes: ReadonlyArray<readonly string[]>,
  mode: BatchMode,
): Promise<{ results: BatchChangeResult[]; rulesFile: string } | typeof SENTINEL_FOUND> {
  const host = describeConnection(connection);
  const dump: { taken?: BatchDump } = {};
  let rulesFile: string;
  try {
    const out = await run(connection, changeBatchArgv(hostLockWaitSeconds(connection.timeouts.commandMs), mode), {
      stdin: batchStdin(changes),
      answer: {
        marker: RULES_FILE_REQUEST,
        // Both listings were taken under the lock, so they describe the same table.
        reply: (stdoutSoFar) => {
          dump.taken = parseChangeBatchAndDump(stdoutSoFar, changes.length);
          return rulesFileReply(renderRulesFile(parseLiveTable(dump.taken.listings)));
        },
      },
    });
    if (mode === "restore" && out.stdout.trim() === SENTINEL_PRESENT) return SENTINEL_FOUND;
    rulesFile = parseRulesFilePath(out.stdout);
  } catch (err) {
    if (err instanceof RemoteCommandError) {
      const what = changes.length === 1 ? renderCommandLine(changes[0]!) : `a batch of ${changes.length} ipvsadm changes`;
      throw hostLockFailure(host, err.exitCode, err.stderr) ?? new IpvsChangeError({ host, command: what, exitCode: err.exitCode, stderr: err.stderr });
    }
    throw err;
  }
  if (!dump.taken) throw new Error(`the IPVS batch on ${host} wrote a rules file without dumping the table`);
  return { results: dump.taken.results, rulesFile };
}

/** Active and inactive connection counts of one service's destinations (drain only). */
export async function readConnectionCounts(
  input: SshConnectionInput | SshConnection,
  serviceSelector: readonly string[],
): Promise<Map<string, { active: number; inactive: number }>> {
  const connection = parseSshConnection(input);
  const result = await run(connection, [...CONNECTION_COUNTS_COMMAND, ...serviceSelector]);
  return parseConnectionCounts(result.stdout);
}

/** The schedulers this director's kernel can load, for a clear error when one is missing. */
export async function availableSchedulers(input: SshConnectionInput | SshConnection): Promise<string[]> {
  const connection = parseSshConnection(input);
  const release = (await run(connection, KERNEL_RELEASE_COMMAND)).stdout;
  const listing = await exec(connection, availableSchedulersCommand(release));
  return parseAvailableSchedulers(listing.exitCode === 0 ? listing.stdout : "");
}

/**
 * True when an ipvsadm add was refused because the entry is already in the kernel (ipvsadm
 * 1.31: "Service already exists", "Destination already exists", exit 255).
 */
export function isAlreadyInKernelError(err: unknown): boolean {
  return err instanceof IpvsChangeError && /^(Service|Destination) already exists$/im.test(err.stderr);
}

/** True when a real server's add was refused because its service is not in the kernel ("Service not defined"). */
export function isServiceMissingError(err: unknown): boolean {
  return err instanceof IpvsChangeError && /^Service not defined$/im.test(err.stderr);
}

/** True when a failed ipvsadm command failed because the scheduler module does not exist. */
export function isMissingSchedulerError(err: unknown): boolean {
  // ipvsadm 1.31 says "Scheduler or persistence engine not found" (the kernel's ENOENT).
  return err instanceof IpvsChangeError && /scheduler (or persistence engine )?not found/i.test(err.stderr);
}
