/**
 * Tick validation and normalisation on the ingest path (≈10⁵ ticks/s): plain
 * numeric checks, no allocation per good tick, never throws. A bad tick is
 * dropped and its reason counted by the caller.
 */
import { Tick, TICK_DROP_REASONS, TickDropReason, SymbolSpecParams } from '../../types/market';

/** Why a tick was dropped. Stable names: they appear in `/feed/status` and the ingest reply. */
export const DROP_REASONS = TICK_DROP_REASONS;
export type DropReason = TickDropReason;
export type DropCounts = Record<DropReason, number>;

export function emptyDropCounts(): DropCounts {
  return { bad_symbol: 0, bad_time: 0, not_finite: 0, non_positive: 0, crossed: 0, time_backwards: 0 };
}

/** Add `b` into `a`; returns `a`. */
export function addDropCounts(a: DropCounts, b: DropCounts): DropCounts {
  for (const r of DROP_REASONS) a[r] += b[r];
  return a;
}

/** Only the reasons that occurred (for compact replies). */
export function nonZeroDrops(d: DropCounts): Partial<DropCounts> {
  const out: Partial<DropCounts> = {};
  for (const r of DROP_REASONS) if (d[r] > 0) out[r] = d[r];
  return out;
}

/** Specification of a symbol as far as market data cares. `point` is the price step (10^-digits for FX). */
export type SymbolSpec = SymbolSpecParams;

/** Canonical symbol names: letters, digits and `._#-`, up to 32 characters (`EURUSD`, `US500.cash`). */
export const SYMBOL_RE = /^[A-Za-z0-9][A-Za-z0-9._#-]{0,31}$/;

/** 2000-01-01 and 2200-01-01 in ms: anything outside is a unit or clock error (seconds, µs, zero). */
const MIN_TIME_MS = 946_684_800_000;
const MAX_TIME_MS = 7_258_118_400_000;

export interface TickValidatorOptions {
  /** How far (ms) a tick may be older than the newest tick of its symbol before it is dropped. Equal times are always fine. */
  backwardsToleranceMs?: number;
}

interface SymbolClock {
  last: number;
  crossedOk: boolean;
  /** 10^digits when the spec is known, else 0 (no rounding). */
  scale: number;
}

/**
 * Stateful validator: remembers the newest tick time per symbol so that a
 * clock running backwards is caught. State is per symbol (market-scoped), not per source.
 */
export class TickValidator {
  readonly backwardsToleranceMs: number;
  private readonly clocks = new Map<string, SymbolClock>();
  private readonly specs = new Map<string, SymbolSpec>();
  private lastSymbol = '';
  private lastClock: SymbolClock | null = null;

  constructor(opts: TickValidatorOptions = {}) {
    this.backwardsToleranceMs = opts.backwardsToleranceMs ?? 1000;
    if (!(this.backwardsToleranceMs >= 0)) throw new RangeError('backwardsToleranceMs must be ≥ 0');
  }

  /** Register or replace a symbol's spec (crossed quotes allowed, price rounding to `digits`). */
  setSpec(spec: SymbolSpec): void {
    this.specs.set(spec.symbol, spec);
    const c = this.clocks.get(spec.symbol);
    if (c) this.applySpec(c, spec);
  }

  spec(symbol: string): SymbolSpec | undefined {
    return this.specs.get(symbol);
  }

  /** Newest accepted tick time of a symbol, or -Infinity. */
  lastTime(symbol: string): number {
    return this.clocks.get(symbol)?.last ?? -Infinity;
  }

  /** Start a symbol's clock at `timeMs` (restart: the newest stored tick). */
  seedTime(symbol: string, timeMs: number): void {
    const c = this.clock(symbol);
    if (timeMs > c.last) c.last = timeMs;
  }

  private applySpec(c: SymbolClock, spec: SymbolSpec): void {
    c.crossedOk = spec.allowCrossed === true;
    c.scale = Number.isInteger(spec.digits) && spec.digits >= 0 && spec.digits <= 10 ? 10 ** spec.digits : 0;
  }

  private clock(symbol: string): SymbolClock {
    if (symbol === this.lastSymbol && this.lastClock) return this.lastClock;
    let c = this.clocks.get(symbol);
    if (!c) {
      c = { last: -Infinity, crossedOk: false, scale: 0 };
      const spec = this.specs.get(symbol);
      if (spec) this.applySpec(c, spec);
      this.clocks.set(symbol, c);
    }
    this.lastSymbol = symbol;
    this.lastClock = c;
    return c;
  }

  /**
   * Check one tick; on success normalise it **in place** (time floored to whole ms,
   * prices rounded to the symbol's digits when its spec is known) and advance the
   * symbol's clock. Returns null when good, else the reason it must be dropped.
   */
  check(t: Tick): DropReason | null {
    const symbol = t.symbol;
    if (typeof symbol !== 'string') return 'bad_symbol';
    let c: SymbolClock | undefined;
    if (symbol === this.lastSymbol && this.lastClock) c = this.lastClock;
    else {
      c = this.clocks.get(symbol);
      if (!c) {
        if (!SYMBOL_RE.test(symbol)) return 'bad_symbol';
        c = this.clock(symbol);
      } else {
        this.lastSymbol = symbol;
        this.lastClock = c;
      }
    }
    let time = t.time_msc;
    if (typeof time !== 'number' || !(time >= MIN_TIME_MS && time < MAX_TIME_MS)) return 'bad_time';
    const bid = t.bid;
    const ask = t.ask;
    if (typeof bid !== 'number' || typeof ask !== 'number' || !Number.isFinite(bid) || !Number.isFinite(ask)) return 'not_finite';
    if (bid <= 0 || ask <= 0) return 'non_positive';
    if (bid > ask && !c.crossedOk) return 'crossed';
    if (time < c.last - this.backwardsToleranceMs) return 'time_backwards';
    // Optional fields: JSON null means absent; anything else must be a finite, non-negative number.
    const last = t.last;
    if (last !== undefined) {
      if (last === null) t.last = undefined;
      else if (typeof last !== 'number' || !Number.isFinite(last)) return 'not_finite';
      else if (last <= 0) return 'non_positive';
    }
    const volume = t.volume;
    if (volume !== undefined) {
      if (volume === null) t.volume = undefined;
      else if (typeof volume !== 'number' || !Number.isFinite(volume)) return 'not_finite';
      else if (volume < 0) return 'non_positive';
    }
    if (time !== Math.floor(time)) {
      time = Math.floor(time);
      t.time_msc = time;
    }
    if (c.scale !== 0) {
      const s = c.scale;
      const rb = Math.round(bid * s) / s;
      const ra = Math.round(ask * s) / s;
      if (rb !== bid) t.bid = rb;
      if (ra !== ask) t.ask = ra;
    }
    if (time > c.last) c.last = time;
    return null;
  }

  /**
   * Validate `ticks` into `out` (good ticks appended, same objects), counting
   * drops into `drops`. Returns the number accepted.
   */
  validateBatch(ticks: readonly Tick[], out: Tick[], drops: DropCounts): number {
    let n = 0;
    for (let i = 0; i < ticks.length; i++) {
      const t = ticks[i];
      const why = t === null || typeof t !== 'object' ? 'bad_symbol' : this.check(t);
      if (why === null) {
        out.push(t);
        n++;
      } else drops[why]++;
    }
    return n;
  }
}
