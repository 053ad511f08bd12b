/**
 * A value written at most every `everyMs`: pushes in between are merged into one pending
 * value, written when the timer fires (the timer starts with the first push after a
 * write, and does not keep the process alive). `flush()` writes what is pending now and
 * resolves once it is written; a failed write goes to `onError` and later pushes are
 * written as usual. One write at a time, in push order.
 */
export class CoalescedWriter<T> {
  private pending: T | null = null;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly o: {
      merge: (pending: T | null, next: T) => T;
      write: (value: T) => Promise<void>;
      everyMs: number;
      onError: (e: unknown) => void;
    },
  ) {}

  /** Nothing pending and no write under way. */
  get idle(): boolean {
    return this.pending === null && this.writing === null;
  }

  push(v: T): void {
    this.pending = this.o.merge(this.pending, v);
    if (!this.timer && !this.writing) {
      this.timer = setTimeout(() => void this.flush(), this.o.everyMs);
      this.timer.unref();
    }
  }

  /** Write what is pending now (after a write under way); resolves when written. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.writing) await this.writing;
    if (this.pending === null) return;
    const v = this.pending;
    this.pending = null;
    this.writing = this.o.write(v).catch(this.o.onError);
    try {
      await this.writing;
    } finally {
      this.writing = null;
      // Pushed while writing: wait the interval again.
      if (this.pending !== null && !this.timer) {
        this.timer = setTimeout(() => void this.flush(), this.o.everyMs);
        this.timer.unref();
      }
    }
  }
}
