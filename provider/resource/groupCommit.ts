// Group commit: the changes that arrive for one key while nothing is being sent for it go
// out together on the next turn of the event loop, and the ones that arrive while a batch
// is in flight go together as soon as it is done. The engine creates a cluster's
// RealServers in parallel and they all plan against one shared read, so their changes
// arrive in one burst: one batch, one lock, one dump, one rules-file write, instead of N of
// each one after the other.
//
// With a settle window, a batch also waits until its arrivals pause: the engine hands a
// step's operations to the provider one by one, milliseconds apart, so a burst of 100
// creates comes over a second or two, and without the wait the first batch would take the
// first one alone and the next whatever came during it.
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
  /** A batch is being sent, or one is scheduled to go. */
  busy: boolean;
  /** When the last member arrived (for the settle window). */
  lastArrival: number;
}

/**
 * How long a batch waits for the rest of its burst: it goes once no member has arrived for
 * `quietMs`, or `maxWaitMs` after its first member, or when it is full.
 */
export interface SettleWindow {
  quietMs: number;
  maxWaitMs: number;
}

/**
 * The window for changes the engine sends: it hands over a step's operations milliseconds
 * apart (up to about 90 ms between two, measured on the lab with 100 RealServers), and a
 * batch costs a second or more on a slow host whatever its size, so waiting for a pause
 * makes one batch where there were three.
 */
export const ENGINE_BURST_SETTLE: SettleWindow = { quietMs: 150, maxWaitMs: 2000 };

export class GroupCommit<M, R> {
  private readonly lanes = new Map<string, Lane<M, R>>();
  private batches = 0;

  /**
   * @param send what one batch does.
   * @param maxBatch members per batch at most: the batch holds the host's lock while its
   *   changes run one after the other, and the lock wait of everyone else is bounded.
   * @param settle without it, a batch goes on the next turn of the event loop.
   */
  constructor(
    private readonly send: SendBatch<M, R>,
    private readonly maxBatch: number,
    private readonly settle?: SettleWindow,
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
    if (lane === undefined) this.lanes.set(key, (lane = { queue: [], busy: false, lastArrival: 0 }));
    lane.lastArrival = Date.now();
    const promise = new Promise<R>((resolve, reject) => lane!.queue.push({ member, resolve, reject }));
    if (!lane.busy) {
      lane.busy = true;
      // The rest of the burst arrives in this turn (continuations of one shared read).
      setImmediate(() => void this.drain(key, lane!));
    }
    return promise;
  }

  /** Resolves when the batch whose first member arrived at `since` should go. */
  private async settled(lane: Lane<M, R>, since: number): Promise<void> {
    if (!this.settle) return;
    const { quietMs, maxWaitMs } = this.settle;
    for (;;) {
      const now = Date.now();
      const due = Math.min(lane.lastArrival + quietMs, since + maxWaitMs);
      if (now >= due || lane.queue.length >= this.maxBatch) return;
      await new Promise((resolve) => setTimeout(resolve, due - now));
    }
  }

  private async drain(key: string, lane: Lane<M, R>): Promise<void> {
    let since = Date.now();
    while (lane.queue.length > 0) {
      await this.settled(lane, since);
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
      // The next batch's members arrived while this one was out: its window starts now.
      since = Date.now();
    }
    lane.busy = false;
    this.lanes.delete(key);
  }
}
