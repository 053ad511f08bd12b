/**
 * Write-behind log of approved evaluations: rows are batched and inserted every
 * `maxDelayMs` (or at `maxBatch` rows) in one multi-row INSERT, off the order's path.
 * The order itself carries the same verdicts in the same statement that persists it,
 * so an approval is never unrecorded; this table is the searchable history, and a row
 * whose order carries its checks leaves them to the order (readers join it). Rejected
 * evaluations are written synchronously by the evaluator (no order carries them).
 */
import type { Db } from '../../lib/storage/db';
import { Evaluation, insertEvaluations, LoggedEvaluation } from './risk.store';

export class EvaluationLog {
  private buf: LoggedEvaluation[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly onError: (e: unknown) => void,
    private readonly opts: { maxDelayMs: number; maxBatch: number } = { maxDelayMs: 20, maxBatch: 500 },
  ) {}

  /** `onOrder`: the order created with this evaluation carries its checks (they are not written twice). */
  add(e: Evaluation, onOrder = false): void {
    this.buf.push({ e, onOrder });
    if (this.buf.length >= this.opts.maxBatch) this.kick();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.kick(), this.opts.maxDelayMs);
      this.timer.unref();
    }
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.buf;
    this.buf = [];
    if (rows.length === 0) return;
    this.chain = this.chain.then(() => insertEvaluations(this.db, rows)).catch(this.onError);
  }

  /** Write everything buffered (tests, reports, shutdown). */
  async flush(): Promise<void> {
    this.kick();
    await this.chain;
  }
}
