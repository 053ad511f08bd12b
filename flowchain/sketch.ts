/**
 * A streaming quantile sketch with relative accuracy (the DDSketch idea):
 * positive values fall into logarithmic bins of ratio γ = (1+α)/(1−α), so any
 * quantile it reports is within α (default 1 %) of the true sample quantile's
 * value, whatever the distribution. Bins are sparse, sketches merge exactly
 * (add the bin counts), so per-bucket sketches of a time window combine into
 * the window's quantiles, and they serialise compactly for Postgres.
 *
 * Memory is bounded by `maxBins`: beyond it the lowest bins collapse into one,
 * which keeps high quantiles (p95, p99: what bottlenecks are about) exact to α.
 *
 * Deterministic; no sampling. Values are durations in ms; values ≤ `MIN_VALUE`
 * (including 0) are counted in a zero bin.
 */
export const MIN_VALUE = 1e-6;

export interface SketchJson {
  /** relative accuracy α */
  a: number;
  /** count of values ≤ MIN_VALUE */
  z: number;
  min: number;
  max: number;
  sum: number;
  /** [bin index, count] pairs */
  b: [number, number][];
}

export class QuantileSketch {
  readonly alpha: number;
  private readonly lnGamma: number;
  private readonly gamma: number;
  private readonly bins = new Map<number, number>();
  private zero = 0;
  private n = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private total = 0;

  constructor(alpha = 0.01, readonly maxBins = 512) {
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`sketch accuracy must be in (0, 1), got ${alpha}`);
    if (!(maxBins >= 8)) throw new RangeError(`sketch maxBins must be ≥ 8, got ${maxBins}`);
    this.alpha = alpha;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.lnGamma = Math.log(this.gamma);
  }

  get count(): number {
    return this.n;
  }

  get sum(): number {
    return this.total;
  }

  get min(): number {
    return this.n === 0 ? NaN : this.lo;
  }

  get max(): number {
    return this.n === 0 ? NaN : this.hi;
  }

  get mean(): number {
    return this.n === 0 ? NaN : this.total / this.n;
  }

  /** Add one value (ms). Non-finite or negative values are rejected. */
  add(x: number, count = 1): this {
    if (!Number.isFinite(x) || x < 0) throw new RangeError(`sketch value must be a finite non-negative number, got ${x}`);
    if (count <= 0) return this;
    this.n += count;
    this.total += x * count;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    if (x <= MIN_VALUE) {
      this.zero += count;
      return this;
    }
    const i = Math.ceil(Math.log(x) / this.lnGamma);
    this.bins.set(i, (this.bins.get(i) ?? 0) + count);
    if (this.bins.size > this.maxBins) this.collapse();
    return this;
  }

  /** Value at quantile q ∈ [0, 1]; NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    if (q <= 0) return this.lo;
    if (q >= 1) return this.hi;
    const rank = q * (this.n - 1);
    let seen = this.zero;
    if (rank < seen) return Math.max(this.lo, 0);
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      seen += this.bins.get(k) as number;
      if (rank < seen) return this.clamp((2 * Math.pow(this.gamma, k)) / (this.gamma + 1));
    }
    return this.hi;
  }

  /** Add every value of `other` (same accuracy required). */
  merge(other: QuantileSketch): this {
    if (other.alpha !== this.alpha) throw new RangeError(`cannot merge sketches of accuracy ${other.alpha} into ${this.alpha}`);
    if (other.n === 0) return this;
    this.n += other.n;
    this.total += other.total;
    this.zero += other.zero;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    for (const [k, c] of other.bins) this.bins.set(k, (this.bins.get(k) ?? 0) + c);
    if (this.bins.size > this.maxBins) this.collapse();
    return this;
  }

  clone(): QuantileSketch {
    return new QuantileSketch(this.alpha, this.maxBins).merge(this);
  }

  toJSON(): SketchJson {
    return {
      a: this.alpha,
      z: this.zero,
      min: this.n === 0 ? 0 : this.lo,
      max: this.n === 0 ? 0 : this.hi,
      sum: this.total,
      b: [...this.bins.entries()].sort((x, y) => x[0] - y[0]),
    };
  }

  static fromJSON(j: SketchJson, maxBins = 512): QuantileSketch {
    const s = new QuantileSketch(j.a, maxBins);
    let n = j.z;
    for (const [k, c] of j.b) {
      s.bins.set(k, c);
      n += c;
    }
    s.zero = j.z;
    s.n = n;
    s.total = j.sum;
    if (n > 0) {
      s.lo = j.min;
      s.hi = j.max;
    }
    return s;
  }

  private clamp(v: number): number {
    return Math.min(this.hi, Math.max(this.lo, v));
  }

  private collapse(): void {
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    const excess = keys.length - this.maxBins;
    let moved = 0;
    for (let i = 0; i <= excess; i++) moved += this.bins.get(keys[i]) as number;
    for (let i = 0; i <= excess; i++) this.bins.delete(keys[i]);
    const target = keys[excess];
    this.bins.set(target, (this.bins.get(target) ?? 0) + moved);
  }
}
