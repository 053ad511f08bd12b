/**
 * Candle history kept by agents: one bounded, time-ordered series per
 * (symbol, timeframe), deduplicated by bar open time, so replaying or re-sending
 * a candle (an event and the same candle passed with a query) changes nothing.
 * Also resampling to a higher timeframe for multi-timeframe views, and the
 * means to keep a computation over a series incrementally (`BarCursor`).
 *
 * Each series has a revision, bumped whenever a change is not an append: a
 * bar inserted before the last one, or a bar replaced by different values.
 * Appends keep it, so a fold that has consumed bars up to time t can carry on
 * from t while the revision is unchanged, and must start over when it moved.
 */
import { Candle, TF_MS, TIMEFRAMES, Timeframe } from '../../types/market';

interface Series {
  bars: Candle[];
  rev: number;
}

/** A higher-timeframe series resampled from a base series, kept as base bars arrive. */
interface Derived {
  cursor: BarCursor;
  resampler: Resampler;
  bars: Candle[];
}

function sameBar(a: Candle, b: Candle): boolean {
  return a.o === b.o && a.h === b.h && a.l === b.l && a.c === b.c && a.v === b.v && a.n === b.n;
}

export class BarStore {
  /** Series by symbol, then timeframe (no key strings built per lookup). */
  private readonly series = new Map<string, Map<Timeframe, Series>>();
  private readonly derived = new Map<string, Derived>();

  /** Keeps at least `capacity` most recent bars per series. */
  constructor(readonly capacity = 600) {}

  private find(symbol: string, tf: Timeframe): Series | undefined {
    return this.series.get(symbol)?.get(tf);
  }

  /** Add or replace a bar; older bars (warm-up) are inserted in order. Returns true when the bar was new. */
  add(c: Candle): boolean {
    let bySymbol = this.series.get(c.symbol);
    if (!bySymbol) this.series.set(c.symbol, (bySymbol = new Map()));
    let ser = bySymbol.get(c.tf);
    if (!ser) bySymbol.set(c.tf, (ser = { bars: [], rev: 0 }));
    const s = ser.bars;
    const n = s.length;
    if (n === 0 || c.t > s[n - 1].t) {
      s.push(c);
      if (s.length > this.capacity * 1.5) s.splice(0, s.length - this.capacity);
      return true;
    }
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].t === c.t) {
        if (!sameBar(s[mid], c)) ser.rev++;
        s[mid] = c;
        return false;
      }
      if (s[mid].t < c.t) lo = mid + 1;
      else hi = mid - 1;
    }
    if (n >= this.capacity * 1.5 && lo === 0) return false; // older than what we keep
    s.splice(lo, 0, c);
    ser.rev++;
    return true;
  }

  /** Bars of a series closed by `asOf` (open time + length ≤ asOf), oldest first; all when asOf is undefined. */
  get(symbol: string, tf: Timeframe, asOf?: number): readonly Candle[] {
    const s = this.find(symbol, tf)?.bars;
    if (!s || s.length === 0) return [];
    if (asOf === undefined) return s;
    const end = countThrough(s, asOf - TF_MS[tf]);
    return end === s.length ? s : s.slice(0, end);
  }

  latest(symbol: string, tf: Timeframe): Candle | undefined {
    const s = this.find(symbol, tf)?.bars;
    return s && s.length > 0 ? s[s.length - 1] : undefined;
  }

  /** Revision of a series: changes whenever a bar is inserted before the last or replaced by different values (never on an append). */
  revision(symbol: string, tf: Timeframe): number {
    return this.find(symbol, tf)?.rev ?? 0;
  }

  /**
   * Bars of `tf` resampled from the `from` series (as `resample` does: complete
   * groups only) that closed by `asOf`. Kept as the base series grows, so a
   * repeated call costs the new base bars only; the series is rebuilt when the
   * base is revised, and a query into the past resamples the base prefix.
   * Holds up to 1.5× capacity bars of its own, trimmed like the store's.
   */
  resampled(symbol: string, from: Timeframe, tf: Timeframe, asOf?: number): readonly Candle[] {
    const k = symbol + '|' + from + '>' + tf;
    let d = this.derived.get(k);
    if (!d) this.derived.set(k, (d = { cursor: new BarCursor(this, symbol, from), resampler: new Resampler(tf), bars: [] }));
    const step = d.cursor.advance(asOf);
    if (step === null) return resample(this.get(symbol, from, asOf), tf);
    if (step.restart) {
      d.resampler.reset();
      d.bars = [];
    }
    const out = d.bars;
    for (let i = step.from; i < step.to; i++) {
      const g = d.resampler.add(step.bars[i]);
      if (g === null) continue;
      if (d.resampler.revised) out[out.length - 1] = g;
      else {
        out.push(g);
        if (out.length > this.capacity * 1.5) out.splice(0, out.length - this.capacity);
      }
    }
    return out;
  }

  /** Series held, as "SYMBOL tf: n bars". */
  describe(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [symbol, byTf] of this.series) for (const [tf, s] of byTf) out[symbol + ' ' + tf] = s.bars.length;
    return out;
  }

  symbols(): string[] {
    return [...this.series.keys()];
  }
}

/** Where an incremental fold resumes: fold `bars[from..to)`, after resetting its state when `restart`. */
export interface CursorStep {
  bars: readonly Candle[];
  from: number;
  to: number;
  restart: boolean;
}

/**
 * Follows one series of a BarStore for an incremental computation (a fold
 * over the bars in time order). `advance(asOf)` says which bars the fold has
 * not consumed yet among those closed by `asOf`, or that it must start over
 * (the series was revised, or bars it never consumed were trimmed away), or
 * — `null` — that the fold is already past `asOf` and cannot answer it (the
 * caller computes that query from scratch). Every step it returns is taken as
 * consumed.
 */
export class BarCursor {
  private rev = -1;
  private lastT = -Infinity;
  private readonly step: CursorStep = { bars: [], from: 0, to: 0, restart: false };

  constructor(
    readonly store: BarStore,
    readonly symbol: string,
    readonly tf: Timeframe,
  ) {}

  /** Open time of the last bar consumed (−∞ before any). */
  get last(): number {
    return this.lastT;
  }

  /** Forget everything consumed: the next step restarts from the first bar. */
  reset(): void {
    this.rev = -1;
    this.lastT = -Infinity;
  }

  advance(asOf?: number): CursorStep | null {
    const bars = this.store.get(this.symbol, this.tf);
    const to = asOf === undefined ? bars.length : countThrough(bars, asOf - TF_MS[this.tf]);
    const rev = this.store.revision(this.symbol, this.tf);
    const st = this.step;
    st.bars = bars;
    st.to = to;
    if (rev !== this.rev || (bars.length > 0 && bars[0].t > this.lastT && this.lastT !== -Infinity)) {
      st.from = 0;
      st.restart = true;
    } else {
      const end = to > 0 ? bars[to - 1].t : -Infinity;
      if (end < this.lastT) return null;
      let i = to;
      while (i > 0 && bars[i - 1].t > this.lastT) i--;
      st.from = i;
      st.restart = false;
    }
    this.rev = rev;
    if (to > 0 && (st.restart || to > st.from)) this.lastT = bars[to - 1].t;
    else if (st.restart) this.lastT = -Infinity;
    return st;
  }
}

/** How many bars of `s` (time-ordered) open at or before `lastT`. */
function countThrough(s: readonly Candle[], lastT: number): number {
  const n = s.length;
  if (n === 0 || s[n - 1].t <= lastT) return n;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid].t <= lastT) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Close time of a bar (ms). */
export function closeTime(c: Candle): number {
  return c.t + TF_MS[c.tf];
}

/**
 * Aggregate bars into a higher timeframe aligned on multiples of its length
 * (UTC). The last group is dropped unless complete, so no forming bar leaks in.
 */
export function resample(bars: readonly Candle[], tf: Timeframe): Candle[] {
  const ms = TF_MS[tf];
  const out: Candle[] = [];
  let cur: Candle | null = null;
  let curEnd = 0;
  let lastClose = 0;
  for (const b of bars) {
    const start = Math.floor(b.t / ms) * ms;
    if (!cur || start !== cur.t) {
      if (cur && lastClose >= curEnd) out.push(cur);
      cur = { symbol: b.symbol, tf, t: start, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v, n: b.n };
      curEnd = start + ms;
    } else {
      if (b.h > cur.h) cur.h = b.h;
      if (b.l < cur.l) cur.l = b.l;
      cur.c = b.c;
      cur.v += b.v;
      cur.n += b.n;
    }
    lastClose = b.t + TF_MS[b.tf];
  }
  if (cur && lastClose >= curEnd) out.push(cur);
  return out;
}

/**
 * `resample` one base bar at a time: `add` returns a group (a fresh candle)
 * once the bar closing it has arrived, and null otherwise. A group that gets
 * another bar after it was returned (base bars not aligned on the group) is
 * returned again with `revised` set. Fed the same bars, the groups it returns
 * are exactly those of `resample`.
 */
export class Resampler {
  private cur: Candle | null = null;
  private curEnd = 0;
  private emitted = false;
  /** Whether the last group returned replaces the one returned before it. */
  revised = false;

  constructor(readonly tf: Timeframe) {}

  add(b: Candle): Candle | null {
    const ms = TF_MS[this.tf];
    const start = Math.floor(b.t / ms) * ms;
    let cur = this.cur;
    if (!cur || start !== cur.t) {
      cur = this.cur = { symbol: b.symbol, tf: this.tf, t: start, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v, n: b.n };
      this.curEnd = start + ms;
      this.emitted = false;
    } else {
      if (b.h > cur.h) cur.h = b.h;
      if (b.l < cur.l) cur.l = b.l;
      cur.c = b.c;
      cur.v += b.v;
      cur.n += b.n;
    }
    if (!this.emitted && b.t + TF_MS[b.tf] < this.curEnd) return null;
    this.revised = this.emitted;
    this.emitted = true;
    return { ...cur };
  }

  reset(): void {
    this.cur = null;
    this.curEnd = 0;
    this.emitted = false;
    this.revised = false;
  }
}

/** The next `count` timeframes above `tf` (fewer at the top of the ladder). */
export function higherTimeframes(tf: Timeframe, count: number): Timeframe[] {
  const i = TIMEFRAMES.indexOf(tf);
  return TIMEFRAMES.slice(i + 1, i + 1 + count) as Timeframe[];
}

/**
 * Bars of `tf` for a symbol: the store's own series when it holds at least
 * `minBars` (market-data publishes every timeframe), else resampled from the
 * `base` series (the store's bars of a lower timeframe as of `asOf`), kept
 * incrementally by the store (`BarStore.resampled`).
 */
export function barsFor(store: BarStore, symbol: string, tf: Timeframe, base: readonly Candle[], asOf: number | undefined, minBars: number): readonly Candle[] {
  const own = store.get(symbol, tf, asOf);
  if (own.length >= minBars) return own;
  const rs = base.length > 0 && TF_MS[base[0].tf] < TF_MS[tf] ? store.resampled(symbol, base[0].tf, tf, asOf) : [];
  return rs.length > own.length ? rs : own;
}

/** Mean true range over the last `n` bars (simple average; a scale for distances). */
export function meanTrueRange(bars: readonly Candle[], n: number): number {
  const from = Math.max(1, bars.length - n);
  let s = 0;
  let k = 0;
  for (let i = from; i < bars.length; i++) {
    const b = bars[i];
    const pc = bars[i - 1].c;
    s += Math.max(b.h - b.l, Math.abs(b.h - pc), Math.abs(b.l - pc));
    k++;
  }
  return k > 0 ? s / k : 0;
}
