/** OHLCV CSV text → a BarSeries, through the shared reader (lib/data/ohlcv-csv). Volume is optional (NaN when absent). */
import { parseOhlcvCsv } from '../data/ohlcv-csv';
import type { BarSeries } from './types';

/** Throws DomainError('BAD_CSV') naming the line and column for anything malformed. */
export function parseBarsCsv(text: string, opts: { source?: string; symbol?: string } = {}): BarSeries {
  const d = parseOhlcvCsv(text, { require: ['open', 'high', 'low', 'close'], source: opts.source });
  return { length: d.close.length, t: Float64Array.from(d.timestamps), o: d.open, h: d.high, l: d.low, c: d.close, v: d.volume, symbol: opts.symbol };
}
