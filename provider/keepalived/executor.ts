// The only part of keepalived management that touches hosts. A change to a pair is a
// list of file ops per node, applied node by node in applyOrder (BACKUP first, so the
// MASTER keeps serving until the backup has proven the new config). Each node stages a
// candidate generation, checks it with `keepalived -t`, swaps it in and reloads (the host
// script, hostScripts.ts); then we ask keepalived what it loaded.
//
// Before a node is changed we read what it holds, so that it can be put back whatever
// happens next: a refusal on the other node, a failed check, or a connection lost with the
// change in flight (the command may or may not have run; putting the files back is the
// same either way, and the pool dials again for it). A node that had no pair of ours gets
// the pair removed, which also puts back a keepalived.conf it adopted and keepalived's
// running state. The error then says, per node and per file, what was put back and what
// could not be.

import { hostLockFailure } from "../resource/hostLock";
import {
  CommandTimeoutError,
  ConnectionConfigError,
  describeConnection,
  exec,
  HostKeyMismatchError,
  HostKeyUnknownError,
  RemoteCommandError,
  SshAuthError,
  SshChannelError,
  SshConnectionLostError,
  SshDialError,
  SudoPasswordRequiredError,
  UnsafeArgumentError,
  withRetry,
  type SshConnection,
} from "../ssh";
import { trimStderr } from "../ssh/errors";
import {
  ForeignKeepalivedConfigError,
  KeepalivedApplyInterruptedError,
  KeepalivedConfigRejectedError,
  KeepalivedMissingError,
  KeepalivedReloadError,
  redactKeepalivedAuth,
  type NodeRollback,
} from "./errors";
import { encodeOps, inverseOps, parseAdoptedFiles, parseReadFiles, previousFromRead, type FileOp } from "./fileOps";
import { applyArgv, EXIT, readAdoptedArgv, readFilesArgv, removePairArgv, statusArgv } from "./hostScripts";
import { MAIN_FILE } from "./layout";
import { describeDumpState, parseNodeStatus, type NodeStatus } from "./status";

export interface PairNodeTarget {
  connection: SshConnection;
}

/** How long to keep asking keepalived before deciding it did not load a change. */
export interface SettleTiming {
  /** Status reads after a reload before a verify problem counts (default 5). */
  attempts: number;
  /** Pause between them (default 1000 ms). */
  delayMs: number;
  /** Injected in tests so that no real time passes. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ApplyOptions {
  /** What is being applied, for messages ("KeepalivedPair VI_51", "VirtualService tcp:…"). */
  what: string;
  /** Node indexes in the order to apply (BACKUP first). */
  order: readonly number[];
  /** True for a KeepalivedPair: the change may install /etc/keepalived/keepalived.conf. */
  installsMain: boolean;
  adopt: boolean;
  /** Values to redact from anything a host prints back (the VRRP password). */
  secrets: readonly string[];
  /** After a node reloaded: what keepalived loaded, or why it is not what we applied. */
  verify?: (nodeIndex: number, status: NodeStatus) => string | undefined;
  settle?: Partial<SettleTiming>;
}

const APPLY_TIMEOUT_MS = 120_000;
const DEFAULT_SETTLE: SettleTiming = { attempts: 5, delayMs: 1000 };
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How to put a node back: remove a pair it did not have, or put its files back. */
type Undo = { kind: "uninstall" } | { kind: "files"; ops: FileOp[] };

/** A node that may differ from before the change. */
interface Touched {
  connection: SshConnection;
  host: string;
  undo: Undo;
  /** The apply script already swapped the previous generation back and reloaded it. */
  restoredByScript?: boolean;
}

/** Failures that prove the command never reached the host: the node is unchanged. */
function neverRan(e: unknown): boolean {
  return [SshDialError, SshAuthError, HostKeyMismatchError, HostKeyUnknownError, SshChannelError, SudoPasswordRequiredError, UnsafeArgumentError, ConnectionConfigError].some(
    (type) => e instanceof type,
  );
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function planUndo(connection: SshConnection, ops: readonly FileOp[], installsMain: boolean): Promise<Undo> {
  const before = await readNodeFiles(connection, ops.map((o) => o.path));
  // No working pair of ours there yet: the way back is removing the pair (tree, main file, service state).
  if (installsMain && (before.main !== "ours" || before.files.get(MAIN_FILE) === undefined)) return { kind: "uninstall" };
  return { kind: "files", ops: inverseOps(ops, previousFromRead(before.files)) };
}

/** Puts one node back; never throws: what could not be done is in the result. */
async function undoNode(node: Touched): Promise<NodeRollback> {
  const { host, undo } = node;
  if (node.restoredByScript) return { host, restored: true, steps: ["keepalived reloaded with the previous files, put back by the apply script"] };
  if (undo.kind === "files" && undo.ops.length === 0) return { host, restored: true, steps: [] };
  const argv = undo.kind === "uninstall" ? removePairArgv() : applyArgv(false, false);
  const stdin = undo.kind === "files" ? encodeOps(undo.ops) : undefined;
  try {
    // Both ways back are idempotent, so a connection lost during one is retried on a new one.
    const result = await withRetry(`roll back on ${host}`, () => exec(node.connection, argv, { timeoutMs: APPLY_TIMEOUT_MS, ...(stdin !== undefined ? { stdin } : {}) }), {
      attempts: 3,
      baseDelayMs: 1000,
      maxDelayMs: 4000,
      isRetryable: (e) => e instanceof SshConnectionLostError || e instanceof SshDialError || e instanceof CommandTimeoutError,
    });
    if (result.exitCode !== 0) {
      const doing = undo.kind === "uninstall" ? "removing the half-installed pair" : "putting the previous files back";
      return { host, restored: false, steps: [], problem: `${doing} failed (exit ${result.exitCode}): ${trimStderr(result.stderr) || "no output"}` };
    }
    const steps =
      undo.kind === "uninstall"
        ? result.stdout.split("\n").filter((l) => /^(restored|removed) \/|^(stopped|started)$/.test(l)).map((l) => (l === "stopped" || l === "started" ? `${l} keepalived` : l))
        : undo.ops.map((o) => (o.op === "write" ? `restored ${o.path}` : `removed ${o.path}`));
    return { host, restored: true, steps };
  } catch (e) {
    return { host, restored: false, steps: [], problem: `could not roll back: ${messageOf(e)}` };
  }
}

/** Puts every touched node back, latest first. */
async function rollBack(touched: readonly Touched[]): Promise<NodeRollback[]> {
  const report: NodeRollback[] = [];
  for (const node of [...touched].reverse()) report.push(await undoNode(node));
  return report;
}

/** Reads until keepalived reports what `verify` wants, or `attempts` reads say otherwise. */
async function awaitLoaded(connection: SshConnection, index: number, verify: NonNullable<ApplyOptions["verify"]>, timing: SettleTiming): Promise<string | undefined> {
  const sleep = timing.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    const status = await readNodeStatus(connection, { dumpAttempts: 1 });
    const problem = verify(index, status);
    if (problem === undefined) return undefined;
    if (attempt >= timing.attempts) {
      const dump = status.running ? describeDumpState(status.dump) : undefined;
      return `${problem}${dump ? ` (${dump})` : ""}; still so after ${attempt} status reads`;
    }
    await sleep(timing.delayMs);
  }
}

type FailureBuilder = (rollback: NodeRollback[]) => Error;

/** Applies the change to one node; returns how to report a failure, or undefined when it took. */
async function applyNode(index: number, connection: SshConnection, ops: readonly FileOp[], options: ApplyOptions, touched: Touched[]): Promise<FailureBuilder | undefined> {
  const host = describeConnection(connection);
  const { what, secrets } = options;
  const node: Touched = { connection, host, undo: await planUndo(connection, ops, options.installsMain) };
  let outcome;
  try {
    outcome = await exec(connection, applyArgv(options.installsMain, options.adopt), { stdin: encodeOps(ops), timeoutMs: APPLY_TIMEOUT_MS });
  } catch (e) {
    if (!neverRan(e)) touched.push(node);
    throw e;
  }
  const stderr = redactKeepalivedAuth(outcome.stderr);
  // The lock was never taken, so this node is unchanged: the error names who holds it.
  const lock = hostLockFailure(host, outcome.exitCode, stderr);
  if (lock) return () => lock;
  switch (outcome.exitCode) {
    case 0: {
      touched.push(node);
      if (!options.verify) return undefined;
      const problem = await awaitLoaded(connection, index, options.verify, { ...DEFAULT_SETTLE, ...options.settle });
      return problem === undefined ? undefined : (rollback) => new KeepalivedReloadError({ host, what, detail: problem, rollback }, secrets);
    }
    case EXIT.keepalivedMissing:
      return (rollback) => new KeepalivedMissingError({ host, rollback });
    case EXIT.foreignConfig:
      return (rollback) => new ForeignKeepalivedConfigError({ host, path: "/etc/keepalived/keepalived.conf", rollback });
    case EXIT.rejected:
      return (rollback) => new KeepalivedConfigRejectedError({ host, what, output: stderr, rollback }, secrets);
    case EXIT.reloadFailed:
      // The script put the previous generation back; a first install still has its main file and tree.
      touched.push({ ...node, restoredByScript: node.undo.kind === "files" });
      return (rollback) => new KeepalivedReloadError({ host, what, detail: stderr || "keepalived stopped", rollback }, secrets);
    case EXIT.restoreFailed:
      touched.push(node);
      return (rollback) => new KeepalivedReloadError({ host, what, detail: stderr, rollback }, secrets);
    default: {
      if (outcome.exitCode !== EXIT.badOp) touched.push(node); // anything unexpected may have changed the node
      const failure = new RemoteCommandError({ target: host, command: "pulumi-lvs-keepalived-apply", exitCode: outcome.exitCode, stderr }, secrets);
      return (rollback) => new KeepalivedApplyInterruptedError({ host, what, cause: failure.message, rollback }, secrets);
    }
  }
}

/**
 * Applies per-node ops to a pair. On any failure after the first change, every node that
 * may have changed is put back, and the typed error reports per node what was restored.
 */
export async function applyToPair(nodes: readonly PairNodeTarget[], opsPerNode: readonly FileOp[][], options: ApplyOptions): Promise<void> {
  const touched: Touched[] = [];
  for (const index of options.order) {
    const connection = nodes[index]!.connection;
    let failure: FailureBuilder | undefined;
    try {
      failure = await applyNode(index, connection, opsPerNode[index]!, options, touched);
    } catch (e) {
      const host = describeConnection(connection);
      failure = (rollback) => new KeepalivedApplyInterruptedError({ host, what: options.what, cause: redactKeepalivedAuth(messageOf(e)), rollback }, options.secrets);
    }
    if (failure) throw failure(await rollBack(touched));
  }
}

/** The live generation's files on one node (absent ones as undefined; a directory lists its files). */
export async function readNodeFiles(connection: SshConnection, relativePaths: readonly string[]) {
  const result = await exec(connection, readFilesArgv(relativePaths));
  if (result.exitCode !== 0) {
    throw new RemoteCommandError({ target: describeConnection(connection), command: "pulumi-lvs-keepalived-read", exitCode: result.exitCode, stderr: result.stderr });
  }
  return parseReadFiles(result.stdout);
}

/** The keepalived configuration written by hand that a pair adopts on this node (hostScripts.ts), by absolute path. */
export async function readAdoptedConfig(connection: SshConnection): Promise<Record<string, string>> {
  const result = await exec(connection, readAdoptedArgv());
  if (result.exitCode !== 0) {
    throw new RemoteCommandError({ target: describeConnection(connection), command: "pulumi-lvs-keepalived-read-adopted", exitCode: result.exitCode, stderr: result.stderr });
  }
  return parseAdoptedFiles(result.stdout);
}

/**
 * What keepalived is doing on a node. A running keepalived whose dump did not come (or
 * came half-written) is asked again, up to `dumpAttempts` times in all (default 3).
 */
export async function readNodeStatus(connection: SshConnection, opts: { dumpAttempts?: number } = {}): Promise<NodeStatus> {
  const attempts = opts.dumpAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const status = parseNodeStatus((await exec(connection, statusArgv())).stdout);
    if (!status.running || status.dump === "fresh" || attempt >= attempts) return status;
  }
}

export async function removePairFromNode(connection: SshConnection): Promise<void> {
  const result = await exec(connection, removePairArgv(), { timeoutMs: APPLY_TIMEOUT_MS });
  if (result.exitCode !== 0) {
    throw new RemoteCommandError({ target: describeConnection(connection), command: "pulumi-lvs-keepalived-remove-pair", exitCode: result.exitCode, stderr: result.stderr });
  }
}
