/**
 * Feed counters for `/feed/status`: per source (account key) and per symbol,
 * totals, drops by reason, last tick time and the rate over the last 10 s.
 * Pure: the caller passes wall-clock time. Updated once per batch, not per tick.
 */
import { addDropCounts, DropCounts, emptyDropCounts, nonZeroDrops } from './validate';

/** Rate window length in seconds. */
export const RATE_WINDOW_S = 10;

/** Counts per wall-clock second over the last RATE_WINDOW_S seconds. */
export class RateWindow {
  private readonly counts = new Float64Array(RATE_WINDOW_S);
  private readonly seconds = new Float64Array(RATE_WINDOW_S).fill(-1);

  add(n: number, nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    const i = sec % RATE_WINDOW_S;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.counts[i] = 0;
    }
    this.counts[i] += n;
  }

  /** Events per second over the last RATE_WINDOW_S whole seconds before `nowMs` plus the current one, divided by the window. */
  rate(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let i = 0; i < RATE_WINDOW_S; i++) if (this.seconds[i] > sec - RATE_WINDOW_S && this.seconds[i] <= sec) sum += this.counts[i];
    return sum / RATE_WINDOW_S;
  }
}

export interface FeedCounters {
  accepted: number;
  dropped: DropCounts;
  firstTickTime: number | null;
  lastTickTime: number | null;
  /** Wall-clock ms of the last batch that carried this source/symbol. */
  lastSeenAt: number | null;
  window: RateWindow;
}

function counters(): FeedCounters {
  return { accepted: 0, dropped: emptyDropCounts(), firstTickTime: null, lastTickTime: null, lastSeenAt: null, window: new RateWindow() };
}

export interface FeedCountersView {
  accepted: number;
  dropped: Partial<DropCounts>;
  droppedTotal: number;
  ticksPerSec: number;
  firstTickTime: number | null;
  lastTickTime: number | null;
  lastTickIso: string | null;
  lastSeenAt: number | null;
}

function view(c: FeedCounters, nowMs: number): FeedCountersView {
  let droppedTotal = 0;
  for (const k of Object.keys(c.dropped) as (keyof DropCounts)[]) droppedTotal += c.dropped[k];
  return {
    accepted: c.accepted,
    dropped: nonZeroDrops(c.dropped),
    droppedTotal,
    ticksPerSec: c.window.rate(nowMs),
    firstTickTime: c.firstTickTime,
    lastTickTime: c.lastTickTime,
    lastTickIso: c.lastTickTime === null ? null : new Date(c.lastTickTime).toISOString(),
    lastSeenAt: c.lastSeenAt,
  };
}

export class FeedStats {
  readonly sources = new Map<string, FeedCounters>();
  readonly symbols = new Map<string, FeedCounters>();
  readonly total = counters();

  private get(map: Map<string, FeedCounters>, key: string): FeedCounters {
    let c = map.get(key);
    if (!c) {
      c = counters();
      map.set(key, c);
    }
    return c;
  }

  private bump(c: FeedCounters, accepted: number, first: number, last: number, nowMs: number): void {
    c.accepted += accepted;
    c.lastSeenAt = nowMs;
    if (accepted > 0) {
      c.window.add(accepted, nowMs);
      if (c.firstTickTime === null || first < c.firstTickTime) c.firstTickTime = first;
      if (c.lastTickTime === null || last > c.lastTickTime) c.lastTickTime = last;
    }
  }

  /** One batch of a source: accepted count, its drops and the time span of its good ticks. */
  recordSource(source: string, accepted: number, drops: DropCounts, firstTime: number, lastTime: number, nowMs: number): void {
    const c = this.get(this.sources, source);
    this.bump(c, accepted, firstTime, lastTime, nowMs);
    addDropCounts(c.dropped, drops);
    this.bump(this.total, accepted, firstTime, lastTime, nowMs);
    addDropCounts(this.total.dropped, drops);
  }

  /** The good ticks of one symbol within a batch. */
  recordSymbol(symbol: string, accepted: number, firstTime: number, lastTime: number, nowMs: number): void {
    this.bump(this.get(this.symbols, symbol), accepted, firstTime, lastTime, nowMs);
  }

  /** A dropped tick whose symbol is well-formed (bad symbols are counted per source only). */
  recordSymbolDrop(symbol: string, reason: keyof DropCounts): void {
    this.get(this.symbols, symbol).dropped[reason]++;
  }

  snapshot(nowMs: number): { total: FeedCountersView; sources: Record<string, FeedCountersView>; symbols: Record<string, FeedCountersView> } {
    const sources: Record<string, FeedCountersView> = {};
    for (const [k, c] of [...this.sources].sort((a, b) => a[0].localeCompare(b[0]))) sources[k] = view(c, nowMs);
    const symbols: Record<string, FeedCountersView> = {};
    for (const [k, c] of [...this.symbols].sort((a, b) => a[0].localeCompare(b[0]))) symbols[k] = view(c, nowMs);
    return { total: view(this.total, nowMs), sources, symbols };
  }
}
