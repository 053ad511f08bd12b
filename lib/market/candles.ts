/**
 * Streaming multi-timeframe candle aggregation (M1 M5 M15 H1 D1 by default).
 *
 * Conventions:
 * - `t` is the bar's open time, aligned to UTC boundaries (`time - time % len`; D1 starts at 00:00 UTC).
 * - Prices are the bid (FX convention) unless `price: 'mid'`; `n` counts ticks; `v` sums the
 *   ticks' real `volume` (0 for FX quotes, whose tick volume is `n`).
 * - No invented bars: a minute without ticks has no M1 bar; weekend gaps stay gaps.
 * - A bar closes when a tick of a later bar of that timeframe arrives, or when
 *   `flush(now)` sees that its time is over (the service drives it with a timer).
 * - A tick older than the bar it would belong to (that bar already closed, or the
 *   symbol has moved to a later bar) is *late* for that timeframe: closed bars are
 *   immutable, so it is counted in `late` and not folded anywhere. Within a bar, a tick
 *   older than the newest one seen (allowed by the validator's tolerance) updates
 *   high, low and counts but not the close.
 *
 * Hot path: per tick, a map lookup (cached for runs of one symbol) and a few
 * float operations per timeframe on a Float64Array; the only allocation is the
 * Candle object of a bar that closes.
 */
import { Candle, TF_MS, Timeframe, TIMEFRAMES, Tick } from '../../types/market';

export type CandlePrice = 'bid' | 'mid';

export interface CandleAggregatorOptions {
  timeframes?: readonly Timeframe[];
  price?: CandlePrice;
}

// Layout of one timeframe's slot in SymbolBars.bars.
const T = 0;
const O = 1;
const H = 2;
const L = 3;
const C = 4;
const V = 5;
const N = 6;
const OPEN = 7; // 1 while the bar is forming
const SLOT = 8;

class SymbolBars {
  readonly bars: Float64Array;
  /** Open time of the newest bar ever opened per timeframe (forming or closed); -Infinity before the first. */
  readonly floor: Float64Array;
  /** Newest tick time folded in. */
  lastTime = -Infinity;
  /** Changed since the last `takeForming(true)`. */
  dirty = false;

  constructor(
    readonly symbol: string,
    nTf: number,
  ) {
    this.bars = new Float64Array(nTf * SLOT);
    this.floor = new Float64Array(nTf).fill(-Infinity);
  }
}

export class CandleAggregator {
  readonly timeframes: readonly Timeframe[];
  readonly price: CandlePrice;
  private readonly lens: Float64Array;
  private readonly symbols = new Map<string, SymbolBars>();
  private lastSymbol = '';
  private lastBars: SymbolBars | null = null;
  /** Ticks that were late for at least one timeframe (see the module doc). */
  late = 0;

  constructor(opts: CandleAggregatorOptions = {}) {
    const tfs = opts.timeframes ?? TIMEFRAMES;
    // Sorted by length so that "this tick is in the same M1 bar" implies the same larger bars.
    this.timeframes = [...new Set(tfs)].sort((a, b) => TF_MS[a] - TF_MS[b]);
    if (this.timeframes.length === 0) throw new RangeError('at least one timeframe');
    this.lens = Float64Array.from(this.timeframes.map((tf) => TF_MS[tf]));
    this.price = opts.price ?? 'bid';
  }

  private state(symbol: string): SymbolBars {
    if (symbol === this.lastSymbol && this.lastBars) return this.lastBars;
    let s = this.symbols.get(symbol);
    if (!s) {
      s = new SymbolBars(symbol, this.timeframes.length);
      this.symbols.set(symbol, s);
    }
    this.lastSymbol = symbol;
    this.lastBars = s;
    return s;
  }

  private candle(s: SymbolBars, i: number): Candle {
    const b = s.bars;
    const k = i * SLOT;
    return { symbol: s.symbol, tf: this.timeframes[i], t: b[k + T], o: b[k + O], h: b[k + H], l: b[k + L], c: b[k + C], v: b[k + V], n: b[k + N] };
  }

  /** Fold one (validated) tick in; bars it closes are appended to `out`. */
  add(tick: Tick, out: Candle[]): void {
    const s = this.state(tick.symbol);
    const time = tick.time_msc;
    const price = this.price === 'bid' ? tick.bid : (tick.bid + tick.ask) / 2;
    const vol = tick.volume !== undefined && tick.volume > 0 ? tick.volume : 0;
    const newest = time >= s.lastTime;
    const b = s.bars;
    const lens = this.lens;
    let late = false;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i];
      const bucket = time - (time % len);
      const k = i * SLOT;
      const floor = s.floor[i];
      if (bucket === floor && b[k + OPEN] === 1) {
        if (price > b[k + H]) b[k + H] = price;
        if (price < b[k + L]) b[k + L] = price;
        if (newest) b[k + C] = price;
        b[k + V] += vol;
        b[k + N] += 1;
      } else if (bucket > floor) {
        if (b[k + OPEN] === 1) out.push(this.candle(s, i));
        b[k + T] = bucket;
        b[k + O] = price;
        b[k + H] = price;
        b[k + L] = price;
        b[k + C] = price;
        b[k + V] = vol;
        b[k + N] = 1;
        b[k + OPEN] = 1;
        s.floor[i] = bucket;
      } else late = true;
    }
    if (late) this.late++;
    if (newest) s.lastTime = time;
    s.dirty = true;
  }

  /** Fold a batch in; returns the closed bars (also appended to `out` when given). */
  addBatch(ticks: readonly Tick[], out: Candle[] = []): Candle[] {
    for (let i = 0; i < ticks.length; i++) this.add(ticks[i], out);
    return out;
  }

  /**
   * Close every forming bar whose time is over at `nowMs` (t + len ≤ now), for one
   * symbol or all. Closed bars are appended to `out` (shorter timeframes first).
   */
  flush(nowMs: number, out: Candle[] = [], symbol?: string): Candle[] {
    const list = symbol === undefined ? this.symbols.values() : [this.symbols.get(symbol)].filter((s): s is SymbolBars => s !== undefined);
    for (const s of list) {
      const b = s.bars;
      for (let i = 0; i < this.lens.length; i++) {
        const k = i * SLOT;
        if (b[k + OPEN] === 1 && b[k + T] + this.lens[i] <= nowMs) {
          out.push(this.candle(s, i));
          b[k + OPEN] = 0;
          s.dirty = true;
        }
      }
    }
    return out;
  }

  /**
   * Snapshots of the forming bars (all symbols, or only those changed since the
   * previous call with `onlyDirty`, whose flags it clears).
   */
  takeForming(onlyDirty = false): Candle[] {
    const out: Candle[] = [];
    for (const s of this.symbols.values()) {
      if (onlyDirty && !s.dirty) continue;
      s.dirty = false;
      for (let i = 0; i < this.lens.length; i++) if (s.bars[i * SLOT + OPEN] === 1) out.push(this.candle(s, i));
    }
    return out;
  }

  /** The forming bar of one symbol and timeframe, or null. */
  forming(symbol: string, tf: Timeframe): Candle | null {
    const s = this.symbols.get(symbol);
    const i = this.timeframes.indexOf(tf);
    if (!s || i < 0 || s.bars[i * SLOT + OPEN] !== 1) return null;
    return this.candle(s, i);
  }

  /** Newest tick time folded in for a symbol, or -Infinity. */
  lastTime(symbol: string): number {
    return this.symbols.get(symbol)?.lastTime ?? -Infinity;
  }

  symbolNames(): string[] {
    return [...this.symbols.keys()];
  }

  /**
   * Restore state after a restart from a stored bar: `forming` = it was still
   * open when stored (later ticks of its period continue it), else it was
   * closed (later ticks of its period are late). Bars older than what the
   * aggregator already has are ignored.
   */
  seed(c: Candle, forming: boolean, lastTickTime?: number): void {
    const i = this.timeframes.indexOf(c.tf);
    if (i < 0) return;
    const s = this.state(c.symbol);
    if (c.t < s.floor[i]) return;
    const k = i * SLOT;
    const b = s.bars;
    b[k + T] = c.t;
    b[k + O] = c.o;
    b[k + H] = c.h;
    b[k + L] = c.l;
    b[k + C] = c.c;
    b[k + V] = c.v;
    b[k + N] = c.n;
    b[k + OPEN] = forming ? 1 : 0;
    s.floor[i] = c.t;
    if (lastTickTime !== undefined && lastTickTime > s.lastTime) s.lastTime = lastTickTime;
  }
}

/**
 * M1 bid bars of a run of quotes in one pass (replays, benchmarks, tests): bar-open
 * times, minutes without ticks skipped, the last bar included, and `v` = `n` = the ticks
 * in the bar (tick volume; the aggregator above leaves FX `v` at 0).
 */
export function m1BidBars(ticks: readonly Tick[]): Candle[] {
  const out: Candle[] = [];
  for (const k of ticks) {
    const t = Math.floor(k.time_msc / 60_000) * 60_000;
    const last = out[out.length - 1];
    if (last && last.t === t) {
      last.h = Math.max(last.h, k.bid);
      last.l = Math.min(last.l, k.bid);
      last.c = k.bid;
      last.n++;
      last.v++;
    } else out.push({ symbol: k.symbol, tf: 'M1', t, o: k.bid, h: k.bid, l: k.bid, c: k.bid, v: 1, n: 1 });
  }
  return out;
}
