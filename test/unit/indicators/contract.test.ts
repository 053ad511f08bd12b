/**
 * The shared contract every indicator obeys, run over every indicator the
 * factory knows, on real EURUSD (H1) and GOOG (daily) bars:
 *  - batch arrays are as long as the input, null exactly for the warm-up;
 *  - the warm-up equals the documented lookback (table below, written
 *    independently of the code);
 *  - streaming `update` equals batch to the last bit (Object.is);
 *  - `replace` after a provisional update equals the from-scratch result;
 *  - no NaN or infinity after the warm-up; `reset` starts over.
 */
import { createIndicator, INDICATOR_NAMES } from '../../../lib/indicators';
import type { Bar } from '../../../lib/indicators/types';
import { asRecord, barsOf, batch, feed, loadData, rng } from './helpers';

/** spec → expected lookback (TA-Lib's lookback where TA-Lib has the indicator). */
export const CONTRACT_SPECS: Record<string, number> = {
  'sma:20': 19,
  'sma:1': 0,
  'ema:20': 19,
  'ema:1': 0,
  'rsi:14': 14,
  'rsi:2': 2,
  'macd:12:26:9': 33,
  'macd:3:5:1': 4,
  'bbands:20:2': 19,
  'bbands:5:1.5:2.5': 4,
  'wma:20': 19,
  'wma:1': 0,
  'dema:20': 38,
  'tema:20': 57,
  'tema:1': 0,
  'atr:14': 14,
  'atr:1': 1,
  'adx:14': 27,
  'adx:2': 3,
  'stoch:5:3:3': 8,
  'stoch:14:1:1': 13,
  'stochrsi:14:5:3': 20,
  'stochrsi:14:14:3': 29,
  'cci:14': 13,
  'cci:20': 19,
  'willr:14': 13,
  'obv': 0,
  'mfi:14': 14,
  'roc:10': 10,
  'mom:10': 10,
  'vwap': 0,
  'vwap:21.5': 0,
  'donchian:20': 19,
  'keltner:20:2:10': 19,
  'keltner:5:1.5:10': 10,
  'sar:0.02:0.2': 1,
  'sar:0.3:0.2': 1,
  'supertrend:10:3': 10,
  'ichimoku:9:26:52:26': 76,
  'ichimoku:3:5:7:1': 6,
};

const datasets = ['EURUSD', 'GOOG'] as const;

function perturbBar(b: Bar, r: () => number): Bar {
  const f = 1 + (r() - 0.5) * 0.01;
  const h = b.h * f * 1.001;
  const l = b.l * f * 0.999;
  return { t: b.t, o: b.o, h, l, c: Math.min(h, Math.max(l, b.c * f)), v: (b.v ?? 0) * (0.5 + r()) };
}

describe('indicator contract', () => {
  it('covers every indicator the factory knows', () => {
    const covered = new Set(Object.keys(CONTRACT_SPECS).map((s) => createIndicator(s).id.split('_')[0]));
    for (const name of INDICATOR_NAMES) expect([name, covered.has(createIndicator(name).id.split('_')[0])]).toEqual([name, true]);
  });

  describe.each(datasets)('%s', (dataset) => {
    const d = loadData(dataset);
    const bars = barsOf(d);
    const closes = d.close;
    const n = closes.length;

    describe.each(Object.entries(CONTRACT_SPECS))('%s', (spec, expectedLookback) => {
      const proto = createIndicator(spec);
      const expected = batch(proto, closes, bars);
      const inputs: (number | Bar)[] = proto.input === 'scalar' ? Array.from(closes) : bars;

      it('has the documented lookback and full-length arrays with null warm-up', () => {
        expect(proto.lookback).toBe(expectedLookback);
        expect(Object.keys(expected).sort()).toEqual([...proto.outputs].sort());
        for (const key of proto.outputs) {
          const arr = expected[key];
          expect(arr).toHaveLength(n);
          const firstNonNull = arr.findIndex((v) => v !== null);
          expect(firstNonNull).toBe(expectedLookback);
          expect(arr.slice(expectedLookback).every((v) => v !== null && Number.isFinite(v))).toBe(true);
        }
      });

      it('typed batch equals nullable batch, and bars equal columns', () => {
        const typed = proto.input === 'scalar' ? proto.computeTyped(closes) : proto.computeTyped(d);
        for (const key of proto.outputs) {
          const t = typed[key];
          expect(t).toBeInstanceOf(Float64Array);
          for (let i = 0; i < n; i++) {
            const e = expected[key][i];
            if (e === null) expect(Number.isNaN(t[i])).toBe(true);
            else if (!Object.is(t[i], e)) throw new Error(`${spec} ${key}[${i}]: typed ${t[i]} != ${e}`);
          }
        }
      });

      it('streaming update equals batch to the last bit; isReady and count follow', () => {
        const ind = createIndicator(spec);
        for (let i = 0; i < n; i++) {
          const got = asRecord(ind, feed(ind, inputs[i]));
          if (ind.count !== i + 1) throw new Error(`${spec}: count ${ind.count} after ${i + 1} updates`);
          if (i < expectedLookback) {
            if (got !== null) throw new Error(`${spec}: output during warm-up at ${i}`);
            if (ind.isReady) throw new Error(`${spec}: ready during warm-up at ${i}`);
            continue;
          }
          if (got === null) throw new Error(`${spec}: null after warm-up at ${i}`);
          if (!ind.isReady) throw new Error(`${spec}: not ready at ${i}`);
          for (const key of ind.outputs) {
            if (!Object.is(got[key], expected[key][i])) throw new Error(`${spec} ${key}[${i}]: stream ${got[key]} != batch ${expected[key][i]}`);
          }
        }
      });

      it('replace() of a provisional last input equals the from-scratch result', () => {
        const ind = createIndicator(spec);
        const r = rng(42);
        for (let i = 0; i < n; i++) {
          const x = inputs[i];
          const fake = typeof x === 'number' ? x * (1 + (r() - 0.5) * 0.02) : perturbBar(x, r);
          feed(ind, fake);
          if (r() < 0.3) feed(ind, typeof x === 'number' ? x * 1.01 : perturbBar(x, r), true);
          const got = asRecord(ind, feed(ind, x, true));
          if (ind.count !== i + 1) throw new Error(`${spec}: count ${ind.count} after replace at ${i}`);
          for (const key of ind.outputs) {
            const e = expected[key][i];
            const g = got === null ? null : got[key];
            if (!Object.is(g, e)) throw new Error(`${spec} ${key}[${i}]: after replace ${g} != ${e}`);
          }
        }
      });

      it('reset() starts over', () => {
        const ind = createIndicator(spec);
        for (let i = 0; i < Math.min(n, 300); i++) feed(ind, inputs[i]);
        ind.reset();
        expect(ind.count).toBe(0);
        expect(ind.isReady).toBe(false);
        expect(() => feed(ind, inputs[0], true)).toThrow(/replace\(\) needs a previous update\(\)/);
        for (let i = 0; i < n; i++) {
          const got = asRecord(ind, feed(ind, inputs[i]));
          for (const key of ind.outputs) {
            const e = expected[key][i];
            if (!Object.is(got === null ? null : got[key], e)) throw new Error(`${spec} ${key}[${i}] after reset`);
          }
        }
      });
    });
  });
});

describe('replace() at one bar then continuing equals recomputing the changed series from scratch', () => {
  it.each(Object.keys(CONTRACT_SPECS))('%s', (spec) => {
    const d = loadData('EURUSD');
    const m = 400;
    const k = 250;
    const bars = barsOf(d, 0, m);
    const closes = Array.from(d.close.slice(0, m));
    const closes2 = closes.slice();
    closes2[k] *= 1.003;
    const bars2 = bars.map((b) => ({ ...b }));
    bars2[k] = { ...bars2[k], h: bars2[k].h * 1.004, c: bars2[k].c * 1.003, v: (bars2[k].v ?? 0) + 500 };
    const ind = createIndicator(spec);
    const expected = batch(ind, closes2, bars2);
    const inputs: (number | Bar)[] = ind.input === 'scalar' ? closes : bars;
    const inputs2: (number | Bar)[] = ind.input === 'scalar' ? closes2 : bars2;
    for (let i = 0; i < m; i++) {
      const got = asRecord(ind, i < k ? feed(ind, inputs[i]) : i === k ? (feed(ind, inputs[i]), feed(ind, inputs2[i], true)) : feed(ind, inputs2[i]));
      if (i < k) continue;
      for (const key of ind.outputs) {
        if (!Object.is(got === null ? null : got[key], expected[key][i])) throw new Error(`${spec} ${key}[${i}] differs from the recomputed series`);
      }
    }
  });
});
