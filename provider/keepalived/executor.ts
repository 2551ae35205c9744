// The only part of keepalived management that touches hosts. A change to a pair is a
// list of file ops per node, applied node by node in applyOrder (BACKUP first, so the
// MASTER keeps serving until the backup has proven the new config). Each node stages a
// candidate generation, checks it with `keepalived -t`, swaps it in and reloads (the host
// script, hostScripts.ts); then we ask keepalived what it loaded. If any node fails, the
// nodes already changed get their previous files back, and the error carries keepalived's
// own `(file: Line N)` lines.

import { describeConnection, exec, RemoteCommandError, type SshConnection } from "../ssh";
import { trimStderr } from "../ssh/errors";
import { ForeignKeepalivedConfigError, KeepalivedConfigRejectedError, KeepalivedMissingError, KeepalivedReloadError } from "./errors";
import { encodeOps, inverseOps, parsePreviousFiles, parseReadFiles, type FileOp } from "./fileOps";
import { applyArgv, EXIT, readFilesArgv, removePairArgv, statusArgv } from "./hostScripts";
import { parseNodeStatus, type NodeStatus } from "./status";

export interface PairNodeTarget {
  connection: SshConnection;
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
}

interface NodeOutcome {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function applyOnNode(connection: SshConnection, ops: readonly FileOp[], options: Pick<ApplyOptions, "installsMain" | "adopt">): Promise<NodeOutcome> {
  const result = await exec(connection, applyArgv(options.installsMain, options.adopt), { stdin: encodeOps(ops), timeoutMs: 120_000 });
  return { ok: result.exitCode === 0, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** Puts the nodes already changed back as they were; returns the hosts that were rolled back. */
async function rollBack(done: Array<{ connection: SshConnection; ops: FileOp[]; stdout: string }>, options: ApplyOptions): Promise<string[]> {
  const rolledBack: string[] = [];
  for (const d of done.reverse()) {
    const inverse = inverseOps(d.ops, parsePreviousFiles(d.stdout));
    if (inverse.length === 0) continue;
    const outcome = await applyOnNode(d.connection, inverse, { installsMain: false, adopt: false });
    rolledBack.push(outcome.ok ? describeConnection(d.connection) : `${describeConnection(d.connection)} (FAILED: ${trimStderr(outcome.stderr)})`);
  }
  return rolledBack;
}

/** Applies per-node ops to a pair; throws a typed error after rolling back on any failure. */
export async function applyToPair(nodes: readonly PairNodeTarget[], opsPerNode: readonly FileOp[][], options: ApplyOptions): Promise<void> {
  const done: Array<{ connection: SshConnection; ops: FileOp[]; stdout: string }> = [];
  for (const index of options.order) {
    const connection = nodes[index]!.connection;
    const ops = opsPerNode[index]!;
    const host = describeConnection(connection);
    const outcome = await applyOnNode(connection, ops, options);
    if (outcome.ok) {
      done.push({ connection, ops: [...ops], stdout: outcome.stdout });
      const problem = options.verify ? options.verify(index, await readNodeStatus(connection)) : undefined;
      if (problem === undefined) continue;
      const rolledBack = await rollBack(done, options);
      throw new KeepalivedReloadError({ host, what: options.what, detail: problem, restored: true, rolledBack: rolledBack.filter((h) => h !== host) }, options.secrets);
    }
    if (outcome.exitCode === EXIT.keepalivedMissing) {
      await rollBack(done, options);
      throw new KeepalivedMissingError({ host });
    }
    if (outcome.exitCode === EXIT.foreignConfig) {
      await rollBack(done, options);
      throw new ForeignKeepalivedConfigError({ host, path: "/etc/keepalived/keepalived.conf" });
    }
    const rolledBack = await rollBack(done, options);
    if (outcome.exitCode === EXIT.rejected) {
      throw new KeepalivedConfigRejectedError({ host, what: options.what, output: outcome.stderr, rolledBack }, options.secrets);
    }
    if (outcome.exitCode === EXIT.reloadFailed) {
      throw new KeepalivedReloadError({ host, what: options.what, detail: outcome.stderr || "keepalived stopped", restored: true, rolledBack }, options.secrets);
    }
    throw new RemoteCommandError({ target: host, command: "pulumi-lvs-keepalived-apply", exitCode: outcome.exitCode, stderr: outcome.stderr }, options.secrets);
  }
}

/** The live generation's files on one node (absent ones as undefined). */
export async function readNodeFiles(connection: SshConnection, relativePaths: readonly string[]) {
  const result = await exec(connection, readFilesArgv(relativePaths));
  if (result.exitCode !== 0) {
    throw new RemoteCommandError({ target: describeConnection(connection), command: "pulumi-lvs-keepalived-read", exitCode: result.exitCode, stderr: result.stderr });
  }
  return parseReadFiles(result.stdout);
}

export async function readNodeStatus(connection: SshConnection): Promise<NodeStatus> {
  const result = await exec(connection, statusArgv());
  return parseNodeStatus(result.stdout);
}

export async function removePairFromNode(connection: SshConnection): Promise<void> {
  const result = await exec(connection, removePairArgv(), { timeoutMs: 120_000 });
  if (result.exitCode !== 0) {
    throw new RemoteCommandError({ target: describeConnection(connection), command: "pulumi-lvs-keepalived-remove-pair", exitCode: result.exitCode, stderr: result.stderr });
  }
}
