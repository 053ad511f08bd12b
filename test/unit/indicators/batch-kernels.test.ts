/**
 * The batch kernels (SMA, EMA, RSI, MACD, BBANDS, WMA, DEMA, TEMA, ROC, MOM:
 * warm-up through `step`, then a tight loop over a Float64Array) against the
 * streaming path, bit for bit (Object.is), on real closes and on the edges
 * where a kernel's hand-over could go wrong: a flat series, a spike, zeros,
 * a series exactly as long as the warm-up plus one output, shorter than the
 * warm-up, empty; every input form (Float64Array, subarray, number[]); and a
 * NaN/±Infinity anywhere gives the streaming error with its index.
 */
import { DomainError } from '../../../lib/errors';
import { createIndicator } from '../../../lib/indicators';
import type { ScalarIndicator } from '../../../lib/indicators/types';
import { loadData } from './helpers';

const KERNEL_SPECS = [
  'sma:20',
  'sma:2',
  'sma:1',
  'ema:20',
  'ema:2',
  'ema:1',
  'rsi:14',
  'rsi:2',
  'macd:12:26:9',
  'macd:3:5:1',
  'macd:2:2:1',
  'bbands:20:2',
  'bbands:5:1.5:2.5',
  'bbands:2:0',
  'wma:20',
  'wma:2',
  'wma:1',
  'dema:20',
  'dema:1',
  'tema:20',
  'tema:2',
  'tema:1',
  'roc:10',
  'roc:1',
  'mom:10',
  'mom:1',
];

function scalar(spec: string): ScalarIndicator<number | Record<string, number>, string> {
  const ind = createIndicator(spec);
  if (ind.input !== 'scalar') throw new Error(`${spec} is not a scalar indicator`);
  return ind as unknown as ScalarIndicator<number | Record<string, number>, string>;
}

/** Streaming outputs as typed columns (NaN while warming up). */
function streamed(spec: string, xs: ArrayLike<number>): Record<string, Float64Array> {
  const ind = scalar(spec);
  const cols: Record<string, Float64Array> = {};
  for (const key of ind.outputs) cols[key] = new Float64Array(xs.length).fill(NaN);
  for (let i = 0; i < xs.length; i++) {
    const out = ind.update(xs[i]);
    if (out === null) continue;
    if (typeof out === 'number') cols[ind.outputs[0]][i] = out;
    else for (const key of ind.outputs) cols[key][i] = out[key];
  }
  return cols;
}

function expectSame(spec: string, label: string, got: Record<string, ArrayLike<number | null>>, want: Record<string, Float64Array>, nullable = false): void {
  const lookback = scalar(spec).lookback;
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const key of Object.keys(want)) {
    const g = got[key];
    const w = want[key];
    expect(g).toHaveLength(w.length);
    for (let i = 0; i < w.length; i++) {
      const e = nullable && i < lookback ? null : w[i];
      if (!Object.is(g[i], e)) throw new Error(`${spec} ${label} ${key}[${i}]: batch ${g[i]} != streaming ${e}`);
    }
  }
}

function checkAllForms(spec: string, xs: Float64Array): void {
  const want = streamed(spec, xs);
  expectSame(spec, 'typed', scalar(spec).computeTyped(xs), want);
  expectSame(spec, 'array', scalar(spec).computeTyped(Array.from(xs)), want);
  expectSame(spec, 'nullable', scalar(spec).compute(Array.from(xs)), want, true);
  // A subarray (non-zero byteOffset) of a longer buffer.
  const padded = new Float64Array(xs.length + 7);
  padded.set(xs, 3);
  expectSame(spec, 'subarray', scalar(spec).computeTyped(padded.subarray(3, 3 + xs.length)), want);
}

const eurusd = Float64Array.from(loadData('EURUSD').close);
const goog = Float64Array.from(loadData('GOOG').close);

function flat(n: number, v = 1.2345): Float64Array {
  return new Float64Array(n).fill(v);
}

function spike(n: number, at: number, v = 1.1, high = 250): Float64Array {
  const xs = flat(n, v);
  xs[at] = high;
  return xs;
}

describe.each(KERNEL_SPECS)('%s batch kernel equals streaming to the last bit', (spec) => {
  const lookback = scalar(spec).lookback;

  it('on EURUSD and GOOG closes', () => {
    checkAllForms(spec, eurusd);
    checkAllForms(spec, goog);
  });

  it('on a flat series, a spike, zeros, negative and large values', () => {
    checkAllForms(spec, flat(300));
    checkAllForms(spec, spike(300, lookback + 5));
    checkAllForms(spec, spike(300, Math.max(0, lookback - 1)));
    checkAllForms(spec, Float64Array.from({ length: 200 }, (_, i) => (i % 7 < 3 ? 0 : i % 5) - 1.5));
    checkAllForms(spec, Float64Array.from(eurusd.subarray(0, 500), (x) => x * 1e150));
    checkAllForms(spec, Float64Array.from(eurusd.subarray(0, 500), (x) => -x * 1e-7));
  });

  it('on values near ±1.8e308, where differences and sums overflow to ±Infinity', () => {
    // Normal closes, then moves of ±1.6e308 (RSI's move overflows: its kernel hands over to `step`), then normal again.
    const xs = Float64Array.from(eurusd.subarray(0, 400), (x, i) => (i >= 120 && i < 140 ? (i % 2 ? 0.8e308 : -0.8e308) * x : x));
    checkAllForms(spec, xs);
    for (const big of [1.7e308, -1.7e308]) checkAllForms(spec, Float64Array.from(eurusd.subarray(0, 300), (x, i) => (i === 100 ? big : i === 101 ? -big : x)));
  });

  it('on series around the warm-up length and empty', () => {
    for (const n of [0, 1, 2, lookback, lookback + 1, lookback + 2, lookback + 3]) checkAllForms(spec, eurusd.slice(0, n));
  });

  it.each([NaN, Infinity, -Infinity])('a %p input gives the streaming error with its index', (bad) => {
    for (const at of [0, Math.max(0, lookback - 1), lookback, lookback + 1, 777, 999]) {
      const xs = eurusd.slice(0, 1000);
      xs[at] = bad;
      const stream = scalar(spec);
      let streamErr: unknown;
      try {
        for (let i = 0; i < xs.length; i++) stream.update(xs[i]);
      } catch (e) {
        streamErr = e;
      }
      expect(streamErr).toBeInstanceOf(DomainError);
      for (const input of [xs, Array.from(xs)]) {
        let err: unknown;
        try {
          scalar(spec).computeTyped(input);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe('BAD_INPUT');
        expect((err as DomainError).message).toBe(`${(streamErr as Error).message} at index ${at}`);
        expect((err as DomainError).data).toMatchObject({ index: at });
      }
    }
  });
});
