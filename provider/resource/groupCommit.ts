// Group commit: the changes that arrive for one key while nothing is being sent for it go
// out together on the next turn of the event loop, and the ones that arrive while a batch
// is in flight go together as soon as it is done. The engine creates a cluster's
// RealServers in parallel and they all plan against one shared read, so their changes
// arrive in one burst: one batch, one lock, one dump, one rules-file write, instead of N of
// each one after the other.
//
// Pure scheduling: what a batch does on a host is the `send` function's (executor.ts).

/** The outcome of one member of a batch: its own result or its own error. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Sends one batch; returns one outcome per member, in order. Throwing fails every member. */
export type SendBatch<M, R> = (members: M[]) => Promise<Array<Settled<R>>>;

interface Waiting<M, R> {
  member: M;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<M, R> {
  queue: Array<Waiting<M, R>>;
  /** A batch is being sent, or one is scheduled to go on the next turn. */
  busy: boolean;
}

export class GroupCommit<M, R> {
  private readonly lanes = new Map<string, Lane<M, R>>();
  private batches = 0;

  /**
   * @param send what one batch does.
   * @param maxBatch members per batch at most: the batch holds the host's lock while its
   *   changes run one after the other, and the lock wait of everyone else is bounded.
   */
  constructor(
    private readonly send: SendBatch<M, R>,
    private readonly maxBatch: number,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  /** Batches sent so far (for tests and the bench). */
  batchCount(): number {
    return this.batches;
  }

  /** Queues `member` for `key`'s next batch; settles with the member's own outcome. */
  submit(key: string, member: M): Promise<R> {
    let lane = this.lanes.get(key);
    if (lane === undefined) this.lanes.set(key, (lane = { queue: [], busy: false }));
    const promise = new Promise<R>((resolve, reject) => lane!.queue.push({ member, resolve, reject }));
    if (!lane.busy) {
      lane.busy = true;
      // The rest of the burst arrives in this turn (continuations of one shared read).
      setImmediate(() => void this.drain(key, lane!));
    }
    return promise;
  }

  private async drain(key: string, lane: Lane<M, R>): Promise<void> {
    while (lane.queue.length > 0) {
      const batch = lane.queue.splice(0, this.maxBatch);
      this.batches += 1;
      let outcomes: Array<Settled<R>>;
      try {
        outcomes = await this.send(batch.map((w) => w.member));
        if (outcomes.length !== batch.length) throw new Error(`a batch of ${batch.length} changes returned ${outcomes.length} outcomes`);
      } catch (error) {
        outcomes = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach((w, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) w.resolve(outcome.value);
        else w.reject(outcome.error);
      });
    }
    lane.busy = false;
    this.lanes.delete(key);
  }
}
