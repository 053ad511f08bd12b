/**
 * The last `size` values of a stream in a fixed Float64Array ring: the
 * bounded memory behind agents' incremental state (recent indicator readings,
 * returns, positions). Reading is oldest first.
 */
export class RollingWindow {
  private readonly buf: Float64Array;
  /** Slot the next push writes. */
  private pos = 0;
  private n = 0;

  constructor(readonly size: number) {
    this.buf = new Float64Array(size);
  }

  /** Values held (at most `size`). */
  get length(): number {
    return this.n;
  }

  push(x: number): void {
    this.buf[this.pos] = x;
    this.pos = this.pos + 1 === this.size ? 0 : this.pos + 1;
    if (this.n < this.size) this.n++;
  }

  /** Overwrites the latest value (a revised last bar). */
  setLast(x: number): void {
    if (this.n === 0) return;
    this.buf[this.pos === 0 ? this.size - 1 : this.pos - 1] = x;
  }

  /** The i-th value held, oldest first (0 ≤ i < length). */
  at(i: number): number {
    let k = this.pos - this.n + i;
    if (k < 0) k += this.size;
    return this.buf[k];
  }

  /** The latest value (NaN when empty). */
  last(): number {
    return this.n === 0 ? NaN : this.buf[this.pos === 0 ? this.size - 1 : this.pos - 1];
  }

  /** Copies the last `k` values (all by default), oldest first, into `out` from index 0; returns how many were copied. */
  copyTo(out: Float64Array, k = this.n): number {
    const m = Math.min(k, this.n);
    let j = this.pos - m;
    if (j < 0) j += this.size;
    for (let i = 0; i < m; i++) {
      out[i] = this.buf[j];
      if (++j === this.size) j = 0;
    }
    return m;
  }

  clear(): void {
    this.pos = 0;
    this.n = 0;
  }
}

/**
 * A RollingWindow that also keeps its finite values sorted (NaN and ±∞ are
 * held as gaps and never ranked), so a percentile rank is a binary search
 * and a quantile a lookup. A push costs two moves within the sorted copy.
 */
export class SortedWindow {
  private readonly recent: RollingWindow;
  private readonly sorted: Float64Array;
  private m = 0;

  constructor(readonly size: number) {
    this.recent = new RollingWindow(size);
    this.sorted = new Float64Array(size);
  }

  /** Values held, gaps included. */
  get length(): number {
    return this.recent.length;
  }

  /** Finite values held. */
  get count(): number {
    return this.m;
  }

  push(x: number): void {
    if (this.recent.length === this.size) this.remove(this.recent.at(0));
    this.recent.push(x);
    this.insert(x);
  }

  /** Overwrites the latest value. */
  setLast(x: number): void {
    if (this.recent.length === 0) return this.push(x);
    this.remove(this.recent.last());
    this.recent.setLast(x);
    this.insert(x);
  }

  /** The latest finite value (NaN when none). */
  lastFinite(): number {
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const v = this.recent.at(i);
      if (v - v === 0) return v;
    }
    return NaN;
  }

  /** The i-th value held, oldest first, gaps included. */
  at(i: number): number {
    return this.recent.at(i);
  }

  /** Values held oldest first, gaps included, into `out`; returns how many. */
  copyTo(out: Float64Array): number {
    return this.recent.copyTo(out);
  }

  /** Share of the finite values below x plus half of those within `tol` of x (`percentileRank` with a tolerance); 0.5 when empty. */
  rank(x: number, tol = 0): number {
    if (this.m === 0) return 0.5;
    const below = this.countBelow(x - tol, false);
    const upTo = this.countBelow(x + tol, true);
    return (below + (upTo - below) / 2) / this.m;
  }

  /** q-quantile (0..1) of the finite values, by linear interpolation (NaN when empty). */
  quantile(q: number): number {
    if (this.m === 0) return NaN;
    const s = this.sorted;
    const r = q * (this.m - 1);
    const lo = Math.floor(r);
    return s[lo] + (s[Math.ceil(r)] - s[lo]) * (r - lo);
  }

  clear(): void {
    this.recent.clear();
    this.m = 0;
  }

  /** Number of sorted values < x, or ≤ x with `inclusive`. */
  private countBelow(x: number, inclusive: boolean): number {
    const s = this.sorted;
    let lo = 0;
    let hi = this.m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] < x || (inclusive && s[mid] === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insert(x: number): void {
    if (!(x - x === 0)) return;
    const at = this.countBelow(x, true);
    this.sorted.copyWithin(at + 1, at, this.m);
    this.sorted[at] = x;
    this.m++;
  }

  private remove(x: number): void {
    if (!(x - x === 0)) return;
    const at = this.countBelow(x, false);
    this.sorted.copyWithin(at, at + 1, this.m);
    this.m--;
  }
}

/**
 * The last `size` finite values of a stream in a ring, and a sorted snapshot
 * of them refreshed on demand (`refresh`). A refresh merges the values pushed
 * and dropped since the previous one into the snapshot — linear in `size`
 * plus sorting the changes — instead of sorting everything again; after more
 * than `size` pushes it sorts. Either way the snapshot is exactly the ring's
 * values in ascending order. Buffers are reused: no allocation per push, and
 * a refresh writes into the spare of two snapshot buffers.
 */
export class SortedSnapshot {
  private readonly ring: Float64Array;
  private pos = 0;
  private n = 0;
  /** The ring's values in ascending order as of the last refresh (a view on one of two buffers). */
  sorted: Float64Array = new Float64Array(0);
  private spare: Float64Array;
  private current: Float64Array;
  private added: Float64Array = new Float64Array(64);
  private dropped: Float64Array = new Float64Array(64);
  private nAdded = 0;
  private nDropped = 0;
  /** More pushes since the last refresh than the ring holds: the next refresh sorts. */
  private spilled = false;

  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
    this.current = new Float64Array(size);
    this.spare = new Float64Array(size);
  }

  /** Values held. */
  get length(): number {
    return this.n;
  }

  push(x: number): void {
    if (this.n === this.size) {
      if (!this.spilled) this.dropped = append(this.dropped, this.nDropped++, this.ring[this.pos]);
    } else this.n++;
    this.ring[this.pos] = x;
    this.pos = this.pos + 1 === this.size ? 0 : this.pos + 1;
    if (this.spilled) return;
    this.added = append(this.added, this.nAdded++, x);
    if (this.nAdded > this.size) {
      this.spilled = true;
      this.nAdded = 0;
      this.nDropped = 0;
    }
  }

  /** The last `k` values (at most all held), oldest first, into `out`; returns how many. */
  copyLast(out: Float64Array, k: number): number {
    const m = Math.min(k, this.n);
    let j = this.pos - m;
    if (j < 0) j += this.size;
    for (let i = 0; i < m; i++) {
      out[i] = this.ring[j];
      if (++j === this.size) j = 0;
    }
    return m;
  }

  refresh(): void {
    const out = this.spare;
    if (this.spilled) {
      this.copyLast(out, this.n);
      out.subarray(0, this.n).sort();
    } else if (this.nAdded > 0) {
      const a = this.sorted;
      const b = this.added.subarray(0, this.nAdded).sort();
      const r = this.dropped.subarray(0, this.nDropped).sort();
      let i = 0;
      let j = 0;
      let k = 0;
      let o = 0;
      while (i < a.length || j < b.length) {
        const x = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
        if (k < r.length && r[k] === x) k++;
        else out[o++] = x;
      }
    } else return;
    this.spare = this.current;
    this.current = out;
    this.sorted = out.subarray(0, this.n);
    this.nAdded = 0;
    this.nDropped = 0;
    this.spilled = false;
  }
}

/** Writes x at index i of `buf`, growing it (doubling) when full; returns the buffer to keep. */
function append(buf: Float64Array, i: number, x: number): Float64Array {
  if (i === buf.length) {
    const grown = new Float64Array(buf.length * 2);
    grown.set(buf);
    buf = grown;
  }
  buf[i] = x;
  return buf;
}

/**
 * A RollingWindow of values that may have gaps (NaN), with the count, sum and
 * sum of squares of its finite values kept as values enter and leave, so
 * their mean and sample σ cost O(1). The sums are taken again exactly every
 * `size` pushes, so rounding does not accumulate; fed the same values from
 * the same start, two windows agree to the last bit.
 */
export class SummedWindow {
  private readonly recent: RollingWindow;
  private n = 0;
  private sum = 0;
  private sum2 = 0;
  private sinceExact = 0;

  constructor(readonly size: number) {
    this.recent = new RollingWindow(size);
  }

  /** Finite values held. */
  get count(): number {
    return this.n;
  }

  push(x: number): void {
    if (this.recent.length === this.size) this.leave(this.recent.at(0));
    this.recent.push(x);
    this.enter(x);
    if (++this.sinceExact >= this.size) this.resum();
  }

  /** Overwrites the latest value. */
  setLast(x: number): void {
    if (this.recent.length === 0) return this.push(x);
    this.leave(this.recent.last());
    this.recent.setLast(x);
    this.enter(x);
  }

  /** The latest finite value (NaN when none). */
  lastFinite(): number {
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const v = this.recent.at(i);
      if (v - v === 0) return v;
    }
    return NaN;
  }

  /** Mean of the finite values (NaN when none). */
  mean(): number {
    return this.n > 0 ? this.sum / this.n : NaN;
  }

  /** Sample standard deviation (n−1) of the finite values (NaN with fewer than 2), never negative under rounding. */
  stdev(): number {
    if (this.n < 2) return NaN;
    const m = this.sum / this.n;
    const v = (this.sum2 - m * this.sum) / (this.n - 1);
    return v > 0 ? Math.sqrt(v) : 0;
  }

  private enter(x: number): void {
    if (!(x - x === 0)) return;
    this.n++;
    this.sum += x;
    this.sum2 += x * x;
  }

  private leave(x: number): void {
    if (!(x - x === 0)) return;
    this.n--;
    this.sum -= x;
    this.sum2 -= x * x;
  }

  private resum(): void {
    this.sinceExact = 0;
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < this.recent.length; i++) {
      const v = this.recent.at(i);
      if (v - v === 0) {
        n++;
        s += v;
        s2 += v * v;
      }
    }
    this.n = n;
    this.sum = s;
    this.sum2 = s2;
  }
}
