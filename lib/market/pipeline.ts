/**
 * The market-data pipeline behind `market-data.ingest`, free of the broker:
 * validate + normalise → aggregate candles → group good ticks per symbol → count.
 * One instance per service; single-threaded by construction (one event loop).
 */
import type { Candle, Tick, Timeframe } from '../../types/market';
import { CandleAggregator, CandlePrice } from './candles';
import { FeedStats } from './feed-stats';
import { DropCounts, emptyDropCounts, SymbolSpec, TickValidator } from './validate';

export interface MarketPipelineOptions {
  /** See TickValidatorOptions. Default 1000 ms. */
  backwardsToleranceMs?: number;
  timeframes?: readonly Timeframe[];
  price?: CandlePrice;
}

export interface SymbolTicks {
  symbol: string;
  ticks: Tick[];
}

export interface IngestOutcome {
  accepted: number;
  dropped: DropCounts;
  /** Good ticks per symbol, in arrival order. */
  bySymbol: SymbolTicks[];
  /** Bars closed by this batch, in the order they closed. */
  closed: Candle[];
}

interface Group extends SymbolTicks {
  first: number;
  last: number;
}

interface Arrival {
  /** Newest tick time of the symbol. */
  tickTime: number;
  /** Wall-clock ms when it arrived. */
  wallMs: number;
}

/** Runs one named pass of the pipeline (a tracing span around it, or just the call). */
export type PhaseRunner = <T>(name: 'validate' | 'aggregate' | 'store', fn: () => T) => T;

const runPhase: PhaseRunner = (_name, fn) => fn();

export class MarketPipeline {
  readonly validator: TickValidator;
  readonly aggregator: CandleAggregator;
  readonly stats = new FeedStats();
  private readonly quotes = new Map<string, Tick>();
  private readonly arrivals = new Map<string, Arrival>();

  constructor(opts: MarketPipelineOptions = {}) {
    this.validator = new TickValidator({ backwardsToleranceMs: opts.backwardsToleranceMs });
    this.aggregator = new CandleAggregator({ timeframes: opts.timeframes, price: opts.price });
  }

  setSpec(spec: SymbolSpec): void {
    this.validator.setSpec(spec);
  }

  /**
   * Run one batch of one source through the pipeline. Never throws on bad ticks.
   * Two passes, validate then aggregate, so each can be observed on its own
   * (`phase` wraps each pass; FlowChain sees them as the chain's steps).
   */
  ingest(source: string, ticks: readonly Tick[], wallNowMs: number, phase: PhaseRunner = runPhase): IngestOutcome {
    const dropped = emptyDropCounts();
    const groups: Group[] = [];
    let accepted = 0;
    let first = Infinity;
    let last = -Infinity;
    const good: Tick[] = phase('validate', () => {
      const v = this.validator;
      const out: Tick[] = [];
      let g: Group | null = null;
      for (let i = 0; i < ticks.length; i++) {
        const t = ticks[i];
        if (t === null || typeof t !== 'object') {
          dropped.bad_symbol++;
          continue;
        }
        const why = v.check(t);
        if (why !== null) {
          dropped[why]++;
          if (why !== 'bad_symbol') this.stats.recordSymbolDrop(t.symbol, why);
          continue;
        }
        out.push(t);
        const time = t.time_msc;
        if (time < first) first = time;
        if (time > last) last = time;
        if (g === null || g.symbol !== t.symbol) {
          g = null;
          for (let k = 0; k < groups.length; k++) if (groups[k].symbol === t.symbol) g = groups[k];
          if (g === null) {
            g = { symbol: t.symbol, ticks: [], first: time, last: time };
            groups.push(g);
          }
        }
        g.ticks.push(t);
        if (time < g.first) g.first = time;
        if (time > g.last) g.last = time;
      }
      return out;
    });
    accepted = good.length;
    const closed: Candle[] = phase('aggregate', () => {
      const agg = this.aggregator;
      const out: Candle[] = [];
      for (let i = 0; i < good.length; i++) agg.add(good[i], out);
      return out;
    });
    this.stats.recordSource(source, accepted, dropped, first, last, wallNowMs);
    const bySymbol: SymbolTicks[] = [];
    for (const grp of groups) {
      this.stats.recordSymbol(grp.symbol, grp.ticks.length, grp.first, grp.last, wallNowMs);
      this.quotes.set(grp.symbol, grp.ticks[grp.ticks.length - 1]);
      const a = this.arrivals.get(grp.symbol);
      if (!a) this.arrivals.set(grp.symbol, { tickTime: grp.last, wallMs: wallNowMs });
      else if (grp.last >= a.tickTime) {
        a.tickTime = grp.last;
        a.wallMs = wallNowMs;
      }
      bySymbol.push({ symbol: grp.symbol, ticks: grp.ticks });
    }
    return { accepted, dropped, bySymbol, closed };
  }

  /**
   * Close bars whose time is over when no tick comes. Each symbol's feed clock is
   * estimated as its newest tick time plus the wall time since that tick arrived
   * (so a replay of an old day is not closed by today's clock); a bar closes once
   * that clock is `graceMs` past its end (a tick inside the validator's tolerance may still come).
   */
  flush(wallNowMs: number, graceMs = this.validator.backwardsToleranceMs): Candle[] {
    const out: Candle[] = [];
    for (const [symbol, a] of this.arrivals) {
      const feedNow = a.tickTime + Math.max(0, wallNowMs - a.wallMs);
      this.aggregator.flush(feedNow - graceMs, out, symbol);
    }
    return out;
  }

  /** The newest good tick of a symbol seen by this process. */
  latest(symbol: string): Tick | undefined {
    return this.quotes.get(symbol);
  }

  /** Restore after a restart: the newest stored tick time of a symbol (validator clock + close rule). */
  seedSymbol(symbol: string, lastTickTime: number, lastTick?: Tick): void {
    this.validator.seedTime(symbol, lastTickTime);
    if (lastTick) this.quotes.set(symbol, lastTick);
  }

  /** Restore a stored bar (forming = still open when stored). */
  seedCandle(c: Candle, forming: boolean, lastTickTime?: number): void {
    this.aggregator.seed(c, forming, lastTickTime);
  }
}
