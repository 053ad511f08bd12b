/**
 * Cross-checks against plain O(n·p) implementations written here from the
 * textbook definitions (not from the library's code), on real data. Different
 * operation order means agreement to rounding, not to the bit.
 */
import { Adx, Atr, BBands, Cci, Dema, Donchian, Ema, Ichimoku, Keltner, Macd, Mfi, Mom, Obv, Roc, Rsi, Sma, Stoch, StochRsi, SuperTrend, Tema, Vwap, WillR, Wma } from '../../../lib/indicators';
import { loadData } from './helpers';
import { type Arr, naiveAdx, naiveAtr, naiveCci, naiveDonchian, naiveEma, naiveIchimoku, naiveMfi, naiveObv, naiveRsi, naiveSma, naiveStd, naiveStoch, naiveStochRsi, naiveSuperTrend, naiveVwap, naiveWillR, naiveWma } from './naive';

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

describe.each(['EURUSD', 'GOOG'] as const)('reference implementations (bars) on %s', (name) => {
  const d = loadData(name);
  const x = d.close;
  const mask = (a: Arr, lb: number): Arr => a.map((v, i) => (i < lb ? null : v));

  it('WMA 20', () => near(new Wma(20).compute(x).values, naiveWma(x, 20), 1e-12));
  it('DEMA 20 = 2·EMA − EMA(EMA)', () => {
    const e1 = naiveEma(x, 20);
    const e2 = naiveEma(e1, 20, 19);
    near(new Dema(20).compute(x).values, e2.map((v, i) => (v === null ? null : 2 * (e1[i] as number) - v)), 1e-11);
  });
  it('TEMA 20 = 3·e1 − 3·e2 + e3', () => {
    const e1 = naiveEma(x, 20);
    const e2 = naiveEma(e1, 20, 19);
    const e3 = naiveEma(e2, 20, 38);
    near(new Tema(20).compute(x).values, e3.map((v, i) => (v === null ? null : 3 * (e1[i] as number) - 3 * (e2[i] as number) + v)), 1e-11);
  });
  it('ROC 10 and MOM 10', () => {
    near(new Roc(10).compute(x).values, Array.from(x, (v, i) => (i < 10 ? null : (v / x[i - 10] - 1) * 100)), 1e-12);
    near(new Mom(10).compute(x).values, Array.from(x, (v, i) => (i < 10 ? null : v - x[i - 10])), 1e-12);
  });
  it('ATR 14 (Wilder, TR from bar 1)', () => near(new Atr(14).compute(d).values, naiveAtr(d, 14), 1e-10));
  it('ADX 14 with +DI/−DI', () => {
    const r = new Adx(14).compute(d);
    const e = naiveAdx(d, 14);
    near(r.adx, e.adx, 1e-9);
    near(r.plusDI, e.plusDI, 1e-9);
    near(r.minusDI, e.minusDI, 1e-9);
  });
  it('STOCH 14/3/3', () => {
    const r = new Stoch(14, 3, 3).compute(d);
    const e = naiveStoch(d, 14, 3, 3);
    near(r.k, e.k, 1e-9);
    near(r.d, e.d, 1e-9);
  });
  it('STOCHRSI 14/14/3', () => {
    const r = new StochRsi(14, 14, 3).compute(x);
    const e = naiveStochRsi(x, 14, 14, 3);
    near(r.k, e.k, 1e-7);
    near(r.d, e.d, 1e-7);
  });
  it('CCI 20 (mean deviation)', () => near(new Cci(20).compute(d).values, naiveCci(d, 20), 1e-9));
  it('Williams %R 14', () => near(new WillR(14).compute(d).values, naiveWillR(d, 14), 1e-9));
  it('OBV', () => near(new Obv().compute(d).values, naiveObv(d), 1e-12));
  it('MFI 14', () => near(new Mfi(14).compute(d).values, naiveMfi(d, 14), 1e-9));
  it('Donchian 20', () => {
    const r = new Donchian(20).compute(d);
    const e = naiveDonchian(d, 20);
    near(r.upper, e.upper, 0);
    near(r.lower, e.lower, 0);
    near(r.middle, e.middle, 0);
  });
  it('Keltner 20/2/10 = EMA ± 2·ATR', () => {
    const r = new Keltner(20, 2, 10).compute(d);
    const ema = naiveEma(x, 20);
    const atr = naiveAtr(d, 10);
    near(r.middle, mask(ema, 19), 1e-12);
    near(r.upper, mask(ema.map((m, i) => (m === null || atr[i] === null ? null : m + 2 * (atr[i] as number))), 19), 1e-10);
    near(r.lower, mask(ema.map((m, i) => (m === null || atr[i] === null ? null : m - 2 * (atr[i] as number))), 19), 1e-10);
  });
  it('VWAP per UTC day, and per day starting 22:00 UTC', () => {
    near(new Vwap().compute(d).values, naiveVwap(d), 1e-12);
    near(new Vwap({ startHourUtc: 22 }).compute(d).values, naiveVwap(d, 22), 1e-12);
  });
  it('SuperTrend 10/3 (Pine rules on the TA-Lib ATR)', () => {
    const r = new SuperTrend(10, 3).compute(d);
    const e = naiveSuperTrend(d, naiveAtr(d, 10), 3);
    near(r.direction, e.direction, 0);
    near(r.value, e.value, 1e-10);
  });
  it('Ichimoku 9/26/52/26', () => {
    const r = new Ichimoku().compute(d);
    const e = naiveIchimoku(d, 9, 26, 52, 26);
    for (const k of ['tenkan', 'kijun', 'spanA', 'spanB', 'leadA', 'leadB'] as const) near(r[k], e[k], 1e-15);
  });
});
