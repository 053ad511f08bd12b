/** A fixed-size ring of recent latencies with percentiles (nearest-rank on a sorted copy). */
export class LatencyWindow {
  private readonly buf: Float64Array;
  private n = 0;
  private i = 0;
  count = 0;
  max = 0;

  constructor(size = 1024) {
    this.buf = new Float64Array(size);
  }

  add(ms: number): void {
    this.buf[this.i] = ms;
    this.i = (this.i + 1) % this.buf.length;
    if (this.n < this.buf.length) this.n++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** p-th percentile (0..100) of the window by linear interpolation; null when empty. */
  percentile(p: number): number | null {
    if (this.n === 0) return null;
    const s = this.buf.slice(0, this.n).sort();
    const r = (p / 100) * (this.n - 1);
    const lo = Math.floor(r);
    const hi = Math.ceil(r);
    return s[lo] + (s[hi] - s[lo]) * (r - lo);
  }

  summary(): { n: number; p50: number | null; p99: number | null; max: number } {
    return { n: this.count, p50: this.percentile(50), p99: this.percentile(99), max: this.max };
  }
}
