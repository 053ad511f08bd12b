/**
 * Real bars from ../shared/data for agent tests (see its README for formats and
 * provenance). Times are bar-open ms UTC.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { m1BidBars } from '../../lib/market/candles';
import { SHARED_DATA_DIR } from '../../paths';
import type { Candle, Tick, Timeframe } from '../../types/market';

function lines(rel: string): string[] {
  return fs
    .readFileSync(path.join(SHARED_DATA_DIR, rel), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

/** backtesting.py CSV: `,Open,High,Low,Close,Volume` with a `YYYY-MM-DD[ HH:MM:SS]` index. */
function backtestingPy(file: string, symbol: string, tf: Timeframe): Candle[] {
  return lines(path.join('backtesting.py', file))
    .slice(1)
    .map((l) => {
      const [ts, o, h, lo, c, v] = l.split(',');
      const t = Date.parse(ts.includes(' ') ? ts.replace(' ', 'T') + 'Z' : ts + 'T00:00:00Z');
      return { symbol, tf, t, o: +o, h: +h, l: +lo, c: +c, v: +v, n: Math.max(1, Math.round(+v)) };
    });
}

/** EURUSD hourly, 2017-04-19 → 2018-02-07 (5000 bars). */
export function eurusdH1(): Candle[] {
  return backtestingPy('EURUSD.csv', 'EURUSD', 'H1');
}

/** GOOG daily, 2004-08-19 → 2013-03-01 (2148 bars). */
export function googD1(): Candle[] {
  return backtestingPy('GOOG.csv', 'GOOG', 'D1');
}

/** Lean OANDA daily FX bid bars (eurusd, gbpusd, eurgbp, nzdusd), 2007 → 2018, Sunday bars dropped. */
export function leanDaily(pair: 'eurusd' | 'gbpusd' | 'eurgbp' | 'nzdusd'): Candle[] {
  return lines(path.join('lean', 'forex', 'oanda', 'daily', `${pair}.csv`))
    .map((l) => {
      const [ts, o, h, lo, c] = l.split(',');
      const t = Date.UTC(+ts.slice(0, 4), +ts.slice(4, 6) - 1, +ts.slice(6, 8));
      return { symbol: pair.toUpperCase(), tf: 'D1' as const, t, o: +o, h: +h, l: +lo, c: +c, v: 0, n: 1 };
    })
    .filter((c) => new Date(c.t).getUTCDay() !== 0);
}

/** OANDA EURUSD ticks of 2014-05-08 (the ECB/Draghi day), optionally every k-th. */
export function eurusdTicks20140508(every = 1): Tick[] {
  const day = Date.UTC(2014, 4, 8);
  const out: Tick[] = [];
  lines(path.join('lean', 'forex', 'oanda', 'tick', 'eurusd', '20140508_eurusd_tick_quote.csv')).forEach((l, i) => {
    if (i % every !== 0) return;
    const [ms, bid, ask] = l.split(',');
    out.push({ symbol: 'EURUSD', time_msc: day + Math.round(+ms), bid: +bid, ask: +ask });
  });
  return out;
}

/** M1 bid candles built from ticks (bar-open times, empty minutes skipped). */
export const ticksToM1 = m1BidBars;

/**
 * The same bars mirrored around a level (default: the highest high, so prices stay
 * positive): p → 2·m − p (high and low swap), so
 * every price change is negated exactly. An agent whose view follows the data
 * must flip its signal on the mirror.
 */
export function mirror(bars: readonly Candle[], m = Math.max(...bars.map((b) => b.h))): Candle[] {
  return bars.map((b) => ({ ...b, o: 2 * m - b.o, h: 2 * m - b.l, l: 2 * m - b.h, c: 2 * m - b.c }));
}

/** Index of the bar with open time ≥ iso. */
export function indexAt(bars: readonly Candle[], iso: string): number {
  const t = Date.parse(iso);
  const i = bars.findIndex((b) => b.t >= t);
  if (i < 0) throw new Error(`no bar at ${iso}`);
  return i;
}
