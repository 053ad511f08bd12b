/**
 * cloneIndicator over every indicator of the contract: after part of a real
 * series, the copy continues exactly as the original would, `replace` included,
 * and feeding the copy leaves the original untouched.
 */
import { cloneIndicator, createIndicator, INDICATOR_NAMES } from '../../../lib/indicators';
import type { Bar } from '../../../lib/indicators/types';
import { asRecord, barsOf, feed, loadData } from './helpers';

describe('cloneIndicator', () => {
  const d = loadData('EURUSD');
  const m = 600;
  const bars = barsOf(d, 0, m);
  const closes = Array.from(d.close.slice(0, m));

  it.each([...INDICATOR_NAMES, 'macd:3:5:1', 'bbands:5:1.5:2.5', 'vwap:21.5', 'ichimoku:3:5:7:1'])('%s', (spec) => {
    const inputs: (number | Bar)[] = createIndicator(spec).input === 'scalar' ? closes : bars;
    const split = 350;
    const original = createIndicator(spec);
    const reference = createIndicator(spec);
    for (let i = 0; i < split; i++) {
      feed(original, inputs[i]);
      feed(reference, inputs[i]);
    }
    const copy = cloneIndicator(original);
    expect(copy).not.toBe(original);
    expect(Object.getPrototypeOf(copy)).toBe(Object.getPrototypeOf(original));
    expect(copy.id).toBe(original.id);
    expect(copy.count).toBe(split);
    // Run the copy ahead (with a provisional bar replaced), then the original: the original must be unaffected.
    const ahead: (Record<string, number> | null)[] = [];
    for (let i = split; i < m; i++) {
      feed(copy, inputs[i]);
      ahead.push(asRecord(copy, feed(copy, inputs[i], true)));
    }
    for (let i = split; i < m; i++) {
      const want = asRecord(reference, feed(reference, inputs[i]));
      const got = asRecord(original, feed(original, inputs[i]));
      expect(got).toEqual(want);
      expect(ahead[i - split]).toEqual(want);
    }
  });
});
