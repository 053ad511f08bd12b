/**
 * Cross-checks against plain O(n·p) implementations written here from the
 * textbook definitions (not from the library's code), on real data. Different
 * operation order means agreement to rounding, not to the bit.
 */
import { BBands, Ema, Macd, Rsi, Sma } from '../../../lib/indicators';
import { loadData } from './helpers';

function near(actual: (number | null)[], expected: (number | null)[], tol: number): void {
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (e === null || a === null) {
      if (a !== e) throw new Error(`index ${i}: ${a} vs ${e}`);
      continue;
    }
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`index ${i}: ${a} vs reference ${e}`);
  }
}

export function naiveSma(x: ArrayLike<number>, p: number): (number | null)[] {
  return Array.from(x, (_, i) => {
    if (i < p - 1) return null;
    let s = 0;
    for (let j = i - p + 1; j <= i; j++) s += x[j];
    return s / p;
  });
}

/** EMA seeded with the mean of the first p values of `x` starting at `from`. */
export function naiveEma(x: ArrayLike<number | null>, p: number, from = 0): (number | null)[] {
  const out: (number | null)[] = Array.from({ length: x.length }, () => null);
  const k = 2 / (p + 1);
  let e = 0;
  for (let i = from + p - 1; i < x.length; i++) {
    if (i === from + p - 1) {
      let s = 0;
      for (let j = from; j <= i; j++) s += x[j] as number;
      e = s / p;
    } else e = e + k * ((x[i] as number) - e);
    out[i] = e;
  }
  return out;
}

function naiveRsi(x: ArrayLike<number>, p: number): (number | null)[] {
  const out: (number | null)[] = Array.from({ length: x.length }, () => null);
  let ag = 0;
  let al = 0;
  for (let i = 1; i < x.length; i++) {
    const ch = x[i] - x[i - 1];
    const g = Math.max(ch, 0);
    const l = Math.max(-ch, 0);
    if (i <= p) {
      ag += g / p;
      al += l / p;
    } else {
      ag = (ag * (p - 1) + g) / p;
      al = (al * (p - 1) + l) / p;
    }
    if (i >= p) out[i] = ag + al === 0 ? 0 : 100 - 100 / (1 + ag / al);
  }
  return out;
}

function naiveStd(x: ArrayLike<number>, p: number, i: number): number {
  let m = 0;
  for (let j = i - p + 1; j <= i; j++) m += x[j];
  m /= p;
  let v = 0;
  for (let j = i - p + 1; j <= i; j++) v += (x[j] - m) ** 2;
  return Math.sqrt(v / p);
}

describe.each(['EURUSD', 'GOOG'] as const)('reference implementations on %s', (name) => {
  const x = loadData(name).close;

  it('SMA 20', () => near(new Sma(20).compute(x).values, naiveSma(x, 20), 1e-12));
  it('EMA 20', () => near(new Ema(20).compute(x).values, naiveEma(x, 20), 1e-12));
  it('RSI 14', () => near(new Rsi(14).compute(x).values, naiveRsi(x, 14), 1e-9));
  it('MACD 12/26/9', () => {
    const slow = naiveEma(x, 26);
    const fast = naiveEma(x, 12, 26 - 12);
    const line = slow.map((s, i) => (s === null ? null : (fast[i] as number) - s));
    const signal = naiveEma(line, 9, 25);
    const r = new Macd(12, 26, 9).compute(x);
    const mask = (a: (number | null)[]): (number | null)[] => a.map((v, i) => (i < 33 ? null : v));
    near(r.macd, mask(line), 1e-12);
    near(r.signal, signal, 1e-12);
    near(r.hist, mask(line.map((m, i) => (m === null || signal[i] === null ? null : m - (signal[i] as number)))), 1e-12);
  });
  it('Bollinger 20/2 with population σ', () => {
    const r = new BBands(20, 2).compute(x);
    const mid = naiveSma(x, 20);
    near(r.middle, mid, 1e-12);
    near(r.upper, mid.map((m, i) => (m === null ? null : m + 2 * naiveStd(x, 20, i))), 1e-9);
    near(r.lower, mid.map((m, i) => (m === null ? null : m - 2 * naiveStd(x, 20, i))), 1e-9);
  });
});
