/** Test helpers: bars from arrays, the GOOG fixture, and a strategy driven by a per-bar script. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHARED_DATA_DIR } from '../../../paths';
import { parseBarsCsv } from '../../../lib/backtest/csv-bars';
import type { Bar, Strategy, StrategyContext } from '../../../lib/backtest/strategy';
import { barSeries, sliceBars, type BarSeries } from '../../../lib/backtest/types';

export const DAY = 86_400_000;

/** Daily bars from 2020-01-01 (a Wednesday, so weekends are included). */
export function bars(o: number[], h: number[], l: number[], c: number[], startMs = Date.UTC(2020, 0, 1)): BarSeries {
  return barSeries({ t: o.map((_, k) => startMs + k * DAY), o, h, l, c });
}

/** Bars with Open = High = Low = Close. */
export function flat(prices: number[], startMs?: number): BarSeries {
  return bars(prices, prices, prices, prices, startMs);
}

let goog: BarSeries | null = null;
export function GOOG(): BarSeries {
  goog ??= parseBarsCsv(fs.readFileSync(path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv'), 'utf8'));
  return goog;
}
export const SHORT = (): BarSeries => sliceBars(GOOG(), 0, 20);

/** A strategy whose `next` runs `step(i, ctx)`; no indicators, so the first bar it sees is 1. */
export function script(step: (i: number, ctx: StrategyContext, bar: Bar) => void, init?: (ctx: StrategyContext) => void): Strategy {
  return { init: (ctx) => init?.(ctx), next: (bar, ctx) => step(bar.i, ctx, bar) };
}

/** UTC ms of a YYYY-MM-DD date. */
export const day = (s: string): number => Date.parse(s + 'T00:00:00Z');
