/** Promises still running, kept until they settle: `idle()` waits for all of them (those started meanwhile too). */
export class InFlight {
  private readonly set = new Set<Promise<unknown>>();

  get size(): number {
    return this.set.size;
  }

  /** Keep `p` until it settles; returns it. */
  track<T>(p: Promise<T>): Promise<T> {
    this.set.add(p);
    void p.finally(() => this.set.delete(p)).catch(() => undefined);
    return p;
  }

  async idle(): Promise<void> {
    while (this.set.size > 0) await Promise.allSettled([...this.set]);
  }
}
