/** The Lean EURUSD 2014-05-08 tick day and an independent group-by of it, for market-data tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHARED_DATA_DIR } from '../../paths';
import type { Tick } from '../../types/market';

export const LEAN_EURUSD = path.join(SHARED_DATA_DIR, 'lean/forex/oanda/tick/eurusd/20140508_eurusd_tick_quote.csv');
export const LEAN_DAY = Date.UTC(2014, 4, 8);

/** Ticks of the day read with a plain split (no project parser), as fresh objects each call. */
export function leanTicks(symbol = 'EURUSD', dayStart = LEAN_DAY): Tick[] {
  return fs
    .readFileSync(LEAN_EURUSD, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0)
    .map((l) => {
      const [ms, bid, ask] = l.split(',').map(Number);
      return { symbol, time_msc: dayStart + ms, bid, ask };
    });
}

export interface GroupedBar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  n: number;
}

/** Bid OHLC and tick count per bucket floor(time/len)*len, in time order. */
export function groupBy(ticks: readonly Tick[], len: number): GroupedBar[] {
  const m = new Map<number, GroupedBar>();
  for (const r of ticks) {
    const t = Math.floor(r.time_msc / len) * len;
    const b = m.get(t);
    if (!b) m.set(t, { t, o: r.bid, h: r.bid, l: r.bid, c: r.bid, n: 1 });
    else {
      b.h = Math.max(b.h, r.bid);
      b.l = Math.min(b.l, r.bid);
      b.c = r.bid;
      b.n++;
    }
  }
  return [...m.values()].sort((a, b) => a.t - b.t);
}
