/**
 * Stress scenarios on current positions.
 *
 * Conventions:
 * - a position is `units` of the base asset (signed: long > 0, short < 0; units = lots ·
 *   contractSize) marked at `price` (quote currency); its P&L for a relative price change
 *   c is units · price · c · quoteToAccount (account currency);
 * - a shock is a relative change of one symbol's price ("EURUSD −3 %" = −0.03);
 * - a historical window replays each symbol's relative change between two dates of
 *   its price history (p_end / p_start − 1) on today's positions.
 */
import { DomainError } from '../errors';

export interface StressPosition {
  symbol: string;
  /** Signed base units: long > 0, short < 0. */
  units: number;
  /** Current mark price (quote currency). */
  price: number;
  /** Account-currency value of one quote-currency unit (default 1). */
  quoteToAccount?: number;
}

export interface Shock {
  symbol: string;
  /** Relative price change: −0.03 = −3 %. */
  change: number;
}

export interface ScenarioResult {
  name: string;
  /** Total P&L in account currency (negative = loss). */
  pnl: number;
  /** P&L per symbol. */
  bySymbol: Record<string, number>;
  /** The relative changes applied. */
  changes: Record<string, number>;
}

/**
 * Parse "EURUSD -3%", "XAUUSD +5 %", "EURUSD −0.5%" (Unicode minus accepted) or
 * "EURUSD -0.03" (a bare number is a fraction) into a Shock.
 */
export function parseShock(text: string): Shock {
  const m = /^\s*([A-Za-z0-9._#-]+?)\s*([+\-−]\s*\d+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) throw new DomainError('BAD_SCENARIO', `cannot read shock ${JSON.stringify(text)}; expected e.g. "EURUSD -3%"`);
  const num = Number(m[2].replace('−', '-').replace(/\s+/g, ''));
  const change = m[3] === '%' ? num / 100 : num;
  if (!(change > -1) || !Number.isFinite(change)) throw new DomainError('BAD_SCENARIO', `shock ${JSON.stringify(text)} must leave a positive price (change > −100 %)`);
  return { symbol: m[1].toUpperCase(), change };
}

function pnlOf(p: StressPosition, change: number): number {
  return p.units * p.price * change * (p.quoteToAccount ?? 1);
}

/** Apply relative price changes to positions; symbols without a change contribute 0. */
export function applyChanges(name: string, positions: StressPosition[], changes: Record<string, number>): ScenarioResult {
  const bySymbol: Record<string, number> = {};
  let pnl = 0;
  for (const p of positions) {
    const c = changes[p.symbol] ?? 0;
    const v = pnlOf(p, c);
    bySymbol[p.symbol] = (bySymbol[p.symbol] ?? 0) + v;
    pnl += v;
  }
  return { name, pnl, bySymbol, changes: { ...changes } };
}

/** Shock scenario: e.g. shockScenario(positions, [parseShock('EURUSD -3%')]). */
export function shockScenario(positions: StressPosition[], shocks: Shock[], name?: string): ScenarioResult {
  const changes: Record<string, number> = {};
  for (const s of shocks) changes[s.symbol] = s.change;
  return applyChanges(name ?? shocks.map((s) => `${s.symbol} ${s.change >= 0 ? '+' : ''}${(s.change * 100).toFixed(2)}%`).join(', '), positions, changes);
}

/**
 * Historical-window scenario: each symbol's change from index `start` to `end` of its
 * price history (all histories aligned on the same dates) replayed on today's positions.
 */
export function historicalWindowScenario(positions: StressPosition[], history: Record<string, ArrayLike<number>>, start: number, end: number, name?: string): ScenarioResult {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start)) throw new DomainError('BAD_SCENARIO', `window must satisfy 0 ≤ start < end, got [${start}, ${end}]`);
  const changes: Record<string, number> = {};
  for (const p of positions) {
    const h = history[p.symbol];
    if (!h) continue;
    if (end >= h.length) throw new DomainError('BAD_SCENARIO', `history of ${p.symbol} has ${h.length} points; window ends at ${end}`);
    if (!(h[start] > 0)) throw new DomainError('BAD_SCENARIO', `history of ${p.symbol} at ${start} is not a positive price`);
    changes[p.symbol] = h[end] / h[start] - 1;
  }
  return applyChanges(name ?? `window [${start}, ${end}]`, positions, changes);
}

/**
 * The worst `length`-period window of the aligned histories replayed on today's
 * positions (every window start is tried; O(n · positions)). Null when histories are
 * shorter than the window.
 */
export function worstHistoricalWindow(positions: StressPosition[], history: Record<string, ArrayLike<number>>, length: number): (ScenarioResult & { start: number; end: number }) | null {
  if (!(Number.isInteger(length) && length >= 1)) throw new DomainError('BAD_SCENARIO', `window length must be a positive integer, got ${length}`);
  const lens = positions.map((p) => history[p.symbol]?.length).filter((n): n is number => n !== undefined);
  if (lens.length === 0) return null;
  const n = Math.min(...lens);
  let worst: (ScenarioResult & { start: number; end: number }) | null = null;
  for (let s = 0; s + length < n; s++) {
    const r = historicalWindowScenario(positions, history, s, s + length, `worst ${length}-period window`);
    if (worst === null || r.pnl < worst.pnl) worst = { ...r, start: s, end: s + length };
  }
  return worst;
}
