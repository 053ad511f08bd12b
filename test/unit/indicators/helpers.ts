/** Shared fixtures for the indicator tests: real bars from ../shared/data and small helpers. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHARED_DATA_DIR } from '../../../paths';
import { parseOhlcvCsv, type OhlcvData } from '../../../lib/data/ohlcv-csv';
import type { AnyIndicator, Bar, Output } from '../../../lib/indicators/types';

const cache = new Map<string, OhlcvData>();

/** backtesting.py's EURUSD.csv (5000 H1 bars) or GOOG.csv (2148 daily bars). */
export function loadData(name: 'EURUSD' | 'GOOG'): OhlcvData {
  let d = cache.get(name);
  if (!d) {
    const file = path.join(SHARED_DATA_DIR, 'backtesting.py', `${name}.csv`);
    d = parseOhlcvCsv(fs.readFileSync(file, 'utf8'), { source: file });
    cache.set(name, d);
  }
  return d;
}

export function barsOf(d: OhlcvData, from = 0, to = d.close.length): Bar[] {
  const out: Bar[] = [];
  for (let i = from; i < to; i++) out.push({ t: d.timestamps[i], o: d.open[i], h: d.high[i], l: d.low[i], c: d.close[i], v: d.volume[i] });
  return out;
}

/** Streaming output as a record keyed like the batch outputs. */
export function asRecord(ind: AnyIndicator, out: Output | null): Record<string, number> | null {
  if (out === null) return null;
  if (typeof out === 'number') return { [ind.outputs[0]]: out };
  return { ...out };
}

/** Feeds one input (number or bar) to an indicator. */
export function feed(ind: AnyIndicator, x: number | Bar, replace = false): Output | null {
  if (ind.input === 'scalar') return replace ? ind.replace(x as number) : ind.update(x as number);
  return replace ? ind.replace(x as Bar) : ind.update(x as Bar);
}

/** Batch over a plain series: closes for scalar indicators, bars for bar indicators. */
export function batch(ind: AnyIndicator, closes: ArrayLike<number>, bars: Bar[]): Record<string, (number | null)[]> {
  return ind.input === 'scalar' ? ind.compute(closes) : ind.compute(bars);
}

/** Deterministic PRNG (mulberry32) for perturbations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bars from plain arrays (volume 1000, hourly times from 2024-01-01 UTC unless given). */
export function mkBars(h: number[], l: number[], c: number[], v?: number[], t?: number[]): Bar[] {
  return c.map((ci, i) => ({ t: t ? t[i] : Date.UTC(2024, 0, 1) + i * 3_600_000, o: ci, h: h[i], l: l[i], c: ci, v: v ? v[i] : 1000 }));
}
