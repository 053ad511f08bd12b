/**
 * Ticks through the bar engine: each quote becomes a one-price bar (open = high
 * = low = close = mid), so market orders fill at the next quote's mid and the
 * spread is charged through the engine's relative `spread` (entry only, as the
 * reference does; pass the typical relative half-spread × 2 to charge a full
 * round trip on entry).
 */
import { DomainError } from '../errors';
import type { BarSeries } from './types';

export interface QuoteColumns {
  /** ms since epoch UTC, non-decreasing; equal times are nudged apart by 1 µs steps in the bars. */
  t: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
}

/** One-price bars from quotes (mid prices), volume NaN. */
export function ticksToBars(q: QuoteColumns, symbol?: string): BarSeries {
  const n = q.t.length;
  const t = new Float64Array(n);
  const mid = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    t[k] = k > 0 && q.t[k] <= t[k - 1] ? t[k - 1] + 0.001 : q.t[k];
    mid[k] = (q.bid[k] + q.ask[k]) / 2;
  }
  return { length: n, t, o: mid, h: mid, l: mid, c: mid, v: new Float64Array(n).fill(NaN), symbol };
}

/** Median of (ask − bid) / mid over the quotes. */
export function medianRelativeSpread(q: QuoteColumns): number {
  const s = Float64Array.from(q.bid, (b, k) => (q.ask[k] - b) / ((q.ask[k] + b) / 2)).sort();
  return s.length ? s[s.length >> 1] : NaN;
}

/**
 * Parse Lean's tick quote CSV (`ms_since_midnight,bid,ask`, no header, CRLF or
 * LF) for the UTC day starting at `dayStartMs`.
 */
export function parseLeanQuoteTicks(text: string, dayStartMs: number): QuoteColumns {
  const lines = text.split(/\r?\n/).filter((x) => x.length);
  const n = lines.length;
  const t = new Float64Array(n);
  const bid = new Float64Array(n);
  const ask = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const a = lines[k].indexOf(',');
    const b = lines[k].indexOf(',', a + 1);
    t[k] = dayStartMs + Number(lines[k].slice(0, a));
    bid[k] = Number(lines[k].slice(a + 1, b));
    ask[k] = Number(lines[k].slice(b + 1));
    if (!(t[k] === t[k] && bid[k] > 0 && ask[k] > 0)) throw new DomainError('BAD_CSV', `line ${k + 1}: bad quote ${JSON.stringify(lines[k])}`);
  }
  return { t, bid, ask };
}
