// Batched service changes on a pair (issue 13): the VirtualService and RealServer changes
// that arrive together for one pair (the engine creates a cluster's real servers in
// parallel) go to each node as one candidate generation: one `keepalived -t`, one reload,
// one status check, instead of one of each per resource, one after the other.
//
// A batch that keepalived refuses, or that does not load, has been rolled back whole by
// applyToPair; its members are then applied alone, one after the other, so that only the
// ones at fault fail, each with its own error. A batch cut short with its rollback
// incomplete is not retried: every member gets that error, which says what is on the nodes.

import { describeConnection } from "../ssh";
import { poolKey } from "../ssh/pool";
import { ENGINE_BURST_SETTLE, GroupCommit, type Settled } from "../resource/groupCommit";
import { KeepalivedConfigRejectedError, KeepalivedReloadError } from "./errors";
import { applyToPair, type ApplyOptions, type PairNodeTarget } from "./executor";
import type { FileOp } from "./fileOps";

/** One resource's change: its ops per node, as applyToPair takes them. */
export interface ServiceFilesChange {
  nodes: readonly PairNodeTarget[];
  opsPerNode: readonly FileOp[][];
  options: ApplyOptions;
}

/** Changes per batch at most: one generation holds them all, and its check and reload grow with it. */
export const MAX_SERVICE_CHANGES_PER_BATCH = 100;

type Apply = typeof applyToPair;

/** The batcher, with the apply it uses (the real applyToPair, or a test's); a burst settles first (groupCommit.ts). */
export function serviceFilesBatcher(apply: Apply = applyToPair): GroupCommit<ServiceFilesChange, void> {
  return new GroupCommit<ServiceFilesChange, void>((members) => sendBatch(apply, members), MAX_SERVICE_CHANGES_PER_BATCH, ENGINE_BURST_SETTLE);
}

/** The same pair, reached with the same identities, in the same order: one batch. */
export function pairBatchKey(change: ServiceFilesChange): string {
  return JSON.stringify([change.nodes.map((n) => `${describeConnection(n.connection)}#${poolKey(n.connection)}`), change.options.order]);
}

/** A failure after which the nodes are as before the batch: its members can be tried alone. */
function rolledBackWhole(error: unknown): boolean {
  return (error instanceof KeepalivedConfigRejectedError || error instanceof KeepalivedReloadError) && error.rolledBackCompletely;
}

async function sendBatch(apply: Apply, members: ServiceFilesChange[]): Promise<Array<Settled<void>>> {
  const alone = async (m: ServiceFilesChange): Promise<Settled<void>> => {
    try {
      await apply(m.nodes, m.opsPerNode, m.options);
      return { ok: true, value: undefined };
    } catch (error) {
      return { ok: false, error };
    }
  };
  if (members.length === 1) return [await alone(members[0]!)];
  const first = members[0]!;
  const verifies = members.flatMap((m) => (m.options.verify ? [m.options.verify] : []));
  const merged: ApplyOptions = {
    ...first.options,
    what: `${members.length} changes (${members.map((m) => m.options.what).join(", ")})`,
    secrets: [...new Set(members.flatMap((m) => m.options.secrets))],
    ...(verifies.length > 0 ? { verify: (index, status) => verifies.map((v) => v(index, status)).find((p) => p !== undefined) } : {}),
  };
  try {
    await apply(
      first.nodes,
      first.nodes.map((_, node) => members.flatMap((m) => m.opsPerNode[node]!)),
      merged,
    );
    return members.map(() => ({ ok: true, value: undefined }));
  } catch (error) {
    if (!rolledBackWhole(error)) return members.map(() => ({ ok: false, error }));
    const outcomes: Array<Settled<void>> = [];
    for (const m of members) outcomes.push(await alone(m));
    return outcomes;
  }
}

const batcher = serviceFilesBatcher();

/** Batches of service changes sent to pairs so far (for tests and the bench). */
export function serviceFilesBatchCount(): number {
  return batcher.batchCount();
}

/**
 * Applies one VirtualService's or RealServer's files to its pair, batched with the
 * concurrent changes to the same pair. Rejects with this change's own error.
 */
export function applyServiceFiles(nodes: readonly PairNodeTarget[], opsPerNode: readonly FileOp[][], options: ApplyOptions): Promise<void> {
  const change = { nodes, opsPerNode, options };
  return batcher.submit(pairBatchKey(change), change);
}
