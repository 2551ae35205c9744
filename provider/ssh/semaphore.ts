// A counting semaphore with a FIFO queue: the pool holds one per connection so that no
// more than `maxChannels` sessions are open at once (sshd refuses past MaxSessions), and
// the rest wait their turn in order instead of failing.

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Resolves with a release function once a slot is free. Releasing twice is harmless. */
  async acquire(): Promise<() => void> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(); // hand the slot straight over
      else this.active--;
    };
  }
}
