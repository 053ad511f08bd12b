/**
 * Candle history kept by agents: one bounded, time-ordered series per
 * (symbol, timeframe), deduplicated by bar open time, so replaying or re-sending
 * a candle (an event and the same candle passed with a query) changes nothing.
 * Also resampling to a higher timeframe for multi-timeframe views.
 */
import { Candle, TF_MS, TIMEFRAMES, Timeframe } from '../../types/market';

export class BarStore {
  private readonly series = new Map<string, Candle[]>();

  /** Keeps at least `capacity` most recent bars per series. */
  constructor(readonly capacity = 600) {}

  private static key(symbol: string, tf: Timeframe): string {
    return symbol + '|' + tf;
  }

  /** Add or replace a bar; older bars (warm-up) are inserted in order. Returns true when the bar was new. */
  add(c: Candle): boolean {
    const k = BarStore.key(c.symbol, c.tf);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = []));
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
        s[mid] = c;
        return false;
      }
      if (s[mid].t < c.t) lo = mid + 1;
      else hi = mid - 1;
    }
    if (n >= this.capacity * 1.5 && lo === 0) return false; // older than what we keep
    s.splice(lo, 0, c);
    return true;
  }

  /** Bars of a series closed by `asOf` (open time + length ≤ asOf), oldest first; all when asOf is undefined. */
  get(symbol: string, tf: Timeframe, asOf?: number): readonly Candle[] {
    const s = this.series.get(BarStore.key(symbol, tf));
    if (!s || s.length === 0) return [];
    if (asOf === undefined) return s;
    const last = asOf - TF_MS[tf];
    if (s[s.length - 1].t <= last) return s;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].t <= last) lo = mid + 1;
      else hi = mid;
    }
    return s.slice(0, lo);
  }

  latest(symbol: string, tf: Timeframe): Candle | undefined {
    const s = this.series.get(BarStore.key(symbol, tf));
    return s && s.length > 0 ? s[s.length - 1] : undefined;
  }

  /** Series held, as "SYMBOL tf: n bars". */
  describe(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, s] of this.series) out[k.replace('|', ' ')] = s.length;
    return out;
  }

  symbols(): string[] {
    return [...new Set([...this.series.keys()].map((k) => k.split('|')[0]))];
  }
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

/** The next `count` timeframes above `tf` (fewer at the top of the ladder). */
export function higherTimeframes(tf: Timeframe, count: number): Timeframe[] {
  const i = TIMEFRAMES.indexOf(tf);
  return TIMEFRAMES.slice(i + 1, i + 1 + count) as Timeframe[];
}

/**
 * Bars of `tf` for a symbol: the store's own series when it holds at least
 * `minBars` (market-data publishes every timeframe), else resampled from `base`.
 */
export function barsFor(store: BarStore, symbol: string, tf: Timeframe, base: readonly Candle[], asOf: number | undefined, minBars: number): readonly Candle[] {
  const own = store.get(symbol, tf, asOf);
  if (own.length >= minBars) return own;
  const rs = base.length > 0 && TF_MS[base[0].tf] < TF_MS[tf] ? resample(base, tf) : [];
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
