/**
 * Worked examples computed by hand on small series for WMA, DEMA, TEMA, ATR,
 * ADX, Stochastic, Stochastic RSI, CCI, Williams %R, OBV, MFI, ROC, MOM, VWAP,
 * Donchian, Keltner, Parabolic SAR, SuperTrend and Ichimoku, plus the TA-Lib
 * edge cases specific to each.
 */
import { Adx, Atr, Cci, Dema, Donchian, Ichimoku, Keltner, Mfi, Mom, Obv, Roc, Sar, Stoch, StochRsi, SuperTrend, Tema, Vwap, WillR, Wma } from '../../../lib/indicators';
import { mkBars } from './helpers';

const close = (a: (number | null)[], b: (number | null)[], digits = 10): void => {
  expect(a).toHaveLength(b.length);
  a.forEach((v, i) => {
    if (b[i] === null) expect(v).toBeNull();
    else if (v === null || Math.abs(v - (b[i] as number)) > 10 ** -digits) throw new Error(`index ${i}: got ${v}, expected ${b[i]}`);
  });
};
const N = null;

describe('WMA', () => {
  it('weights 1..p', () => close(new Wma(3).compute([1, 2, 3, 4, 1]).values, [N, N, 14 / 6, 20 / 6, 14 / 6]));
  it('period 1 copies', () => expect(new Wma(1).compute([3, 1, 2]).values).toEqual([3, 1, 2]));
});

describe('DEMA / TEMA', () => {
  // k = 2/3. e1: 1.5, 19/6, 115/18, 691/54; e2 (seeded at i2): 7/3, 136/27, 827/81; e3 (seeded at i3): 199/54
  it('DEMA 2 = 2·e1 − e2', () => close(new Dema(2).compute([1, 2, 4, 8]).values, [N, N, 4, 209 / 27]));
  it('TEMA 2 = 3·e1 − 3·e2 + e3', () => close(new Tema(2).compute([1, 2, 4, 8]).values, [N, N, N, (3 * 115) / 18 - (3 * 136) / 27 + 199 / 54]));
  it('period 1 TEMA copies the input (TA-Lib special case)', () => expect(new Tema(1).compute([3, 1, 2]).values).toEqual([3, 1, 2]));
});

// (h, l, c) bars used by ATR and Keltner: TRs from bar 1: 2, 2, 4, 1, 6.5
const atrBars = mkBars([10, 11, 12, 15, 14, 20], [8, 9, 10, 11, 13, 19], [9, 10, 11.5, 14, 13.5, 19.5]);

describe('ATR', () => {
  it('seed = mean of the first p TRs (bar 0 has none), then Wilder', () => {
    close(new Atr(2).compute(atrBars).values, [N, N, 2, 3, 2, 4.25]);
  });
  it('period 1 is the true range, gap included', () => close(new Atr(1).compute(atrBars).values, [N, 2, 2, 4, 1, 6.5]));
  it('flat bars give 0', () => expect(new Atr(3).compute(mkBars([5, 5, 5, 5, 5], [5, 5, 5, 5, 5], [5, 5, 5, 5, 5])).values).toEqual([N, N, N, 0, 0]));
});

describe('ADX', () => {
  const bars = mkBars([10, 11, 13, 12, 11], [8, 9, 10, 9, 10], [9, 10, 12, 10, 10.5]);
  it('hand-computed 2-period ADX, +DI, −DI (TA-Lib recurrence)', () => {
    // bar1 +DM 2... see the derivation: DX(bar2) = 100, DX(bar3) = 100/9 → ADX 500/9; bar4: DX 100/9 → 100/3
    const r = new Adx(2).compute(bars);
    close(r.adx, [N, N, N, 500 / 9, 100 / 3]);
    close(r.plusDI, [N, N, N, 25, 125 / 7]);
    close(r.minusDI, [N, N, N, 20, 100 / 7]);
  });
  it('lookback 2·period − 1 (27 for 14)', () => expect(new Adx(14).lookback).toBe(27));
  it('flat bars: TR = 0 → DIs 0 and ADX 0 (TA-Lib skips the undefined DX)', () => {
    const flat = mkBars(Array(8).fill(2), Array(8).fill(2), Array(8).fill(2));
    const r = new Adx(3).compute(flat);
    expect(r.adx.slice(5)).toEqual([0, 0, 0]);
    expect(r.plusDI.slice(5)).toEqual([0, 0, 0]);
  });
});

describe('Stochastic', () => {
  const bars = mkBars([10, 11, 12, 13, 12, 14], [8, 9, 10, 11, 10, 12], [9, 10, 11, 11, 10, 14]);
  it('fast %K 75, 50, 0, 100 → slow %K (SMA 2) and %D (SMA 2)', () => {
    const r = new Stoch(3, 2, 2).compute(bars);
    close(r.k, [N, N, N, N, 25, 50]);
    close(r.d, [N, N, N, N, 43.75, 37.5]);
  });
  it('a zero range gives %K 0 (TA-Lib), not NaN', () => {
    const flat = mkBars(Array(6).fill(3), Array(6).fill(3), Array(6).fill(3));
    expect(new Stoch(3, 1, 1).compute(flat).k).toEqual([N, N, 0, 0, 0, 0]);
  });
});

describe('Stochastic RSI', () => {
  it('RSI(2) 50, 75, 87.5, 43.75 → %K over 2 RSI values: 100, 100, 0', () => {
    const r = new StochRsi(2, 2, 1).compute([1, 2, 1, 2, 3, 2]);
    close(r.k, [N, N, N, 100, 100, 0]);
    close(r.d, [N, N, N, 100, 100, 0]);
  });
  it('a flat series (RSI 0, zero range) gives 0', () => {
    const r = new StochRsi(3, 2, 2).compute(Array(10).fill(1.5));
    expect(r.k.slice(5)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('CCI', () => {
  it('typical prices 2, 3, 6 → (6 − 11/3)/(0.015 · 14/9) = 100', () => {
    close(new Cci(3).compute(mkBars([3, 4, 8], [1, 2, 4], [2, 3, 6])).values, [N, N, 100]);
  });
  it('for period 3 any single spike after a flat run gives exactly 100 (up) or −100 (down)', () => {
    const up = new Cci(3).compute(mkBars([1, 1, 1, 7], [1, 1, 1, 7], [1, 1, 1, 7])).values;
    close(up, [N, N, 0, 100]);
    const down = new Cci(3).compute(mkBars([5, 5, 5, 2], [5, 5, 5, 2], [5, 5, 5, 2])).values;
    close(down, [N, N, 0, -100]);
  });
});

describe('Williams %R', () => {
  it('(hh − c)/((hh − ll)/−100)', () => {
    close(new WillR(3).compute(mkBars([10, 11, 12, 13], [8, 9, 10, 11], [9, 10, 11, 11])).values, [N, N, -25, -50]);
  });
  it('flat range gives 0', () => expect(new WillR(2).compute(mkBars([4, 4, 4], [4, 4, 4], [4, 4, 4])).values).toEqual([N, 0, 0]));
});

describe('OBV', () => {
  it('starts at the first volume; + on up closes, − on down, = on equal', () => {
    expect(new Obv().compute(mkBars([0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [10, 11, 11, 9, 12], [100, 200, 300, 400, 500])).values).toEqual([100, 300, 300, -100, 400]);
  });
});

describe('MFI', () => {
  it('flows +300, −400, +200, none → 300/700, 200/600, 100', () => {
    const bars = mkBars([3, 4, 3, 5, 5], [1, 2, 1, 3, 3], [2, 3, 2, 4, 4], [100, 100, 200, 50, 1000]);
    close(new Mfi(2).compute(bars).values, [N, N, 300 / 7, 100 / 3, 100]);
  });
  it('a window without money flow gives 0 (flat prices, or zero volume)', () => {
    const flat = mkBars(Array(6).fill(2), Array(6).fill(1), Array(6).fill(1.5));
    expect(new Mfi(2).compute(flat).values).toEqual([N, N, 0, 0, 0, 0]);
  });
  it('typical prices equal up to rounding count as unchanged (scaled dead zone)', () => {
    // (1.11832+1.11715+1.11775)/3 = 1.1177400000000002 vs (1.11809+1.1173+1.11783)/3 = 1.11774
    const bars = mkBars([2, 1.11809, 1.11832], [1, 1.1173, 1.11715], [1.5, 1.11783, 1.11775], [10, 10, 1e6]);
    // bar 1 falls (negative flow only); bar 2 is "unchanged" → no positive flow: MFI stays 0
    expect(new Mfi(2).compute(bars).values).toEqual([N, N, 0]);
  });
});

describe('ROC / MOM', () => {
  it('ROC = (x/x[−p] − 1)·100, 0 when the old price is 0', () => {
    close(new Roc(2).compute([10, 11, 12, 0, 6, 3]).values, [N, N, 20, -100, -50, 0]);
  });
  it('MOM = x − x[−p]', () => expect(new Mom(2).compute([10, 11, 12, 0, 6, 3]).values).toEqual([N, N, 2, -11, -6, 3]));
});

describe('VWAP', () => {
  const day = Date.UTC(2024, 2, 4);
  const H = 3_600_000;
  const bars = mkBars([3, 4, 6, 9], [1, 2, 4, 7], [2, 3, 5, 8], [100, 300, 0, 100], [day + 10 * H, day + 11 * H, day + 24 * H + 1 * H, day + 24 * H + 2 * H]);
  it('accumulates within the UTC day and restarts at midnight', () => {
    // day 1: (2·100 + 3·300)/400 = 2.75; day 2: no volume yet → mean typical price 5; then 800/100 = 8
    close(new Vwap().compute(bars).values, [2, 2.75, 5, 8]);
  });
  it('session start hour moves the boundary (22:00 UTC: 21:00 and 23:00 are different sessions)', () => {
    const b = mkBars([3, 4, 6], [1, 2, 4], [2, 3, 5], [100, 100, 100], [day + 21 * H, day + 23 * H, day + 25 * H]);
    close(new Vwap({ startHourUtc: 22 }).compute(b).values, [2, 3, 4]);
    close(new Vwap().compute(b).values, [2, 2.5, 5]);
  });
  it('custom session function (one session for everything)', () => {
    close(new Vwap({ sessionOf: () => 0 }).compute(bars).values, [2, 2.75, 2.75, (200 + 900 + 800) / 500]);
  });
  it('needs bar times', () => {
    expect(() => new Vwap().update({ h: 1, l: 1, c: 1, v: 1 })).toThrow(/VWAP: bar time t \(ms\) is required/);
  });
});

describe('Donchian', () => {
  it('highest high, lowest low, midpoint', () => {
    const r = new Donchian(3).compute(mkBars([5, 6, 4, 7], [1, 2, 3, 2], [3, 3, 3, 3]));
    close(r.upper, [N, N, 6, 7]);
    close(r.lower, [N, N, 1, 2]);
    close(r.middle, [N, N, 3.5, 4.5]);
  });
});

describe('Keltner', () => {
  it('EMA(close) ± k·ATR', () => {
    // EMA2: 9.5, 65/6, 233/18; ATR2: 2, 3, 2 (see ATR)
    const r = new Keltner(2, 1, 2).compute(atrBars.slice(0, 5));
    close(r.middle, [N, N, 65 / 6, 233 / 18, (13.5 - 233 / 18) * (2 / 3) + 233 / 18]);
    close(r.upper, [N, N, 65 / 6 + 2, 233 / 18 + 3, (13.5 - 233 / 18) * (2 / 3) + 233 / 18 + 2]);
    close(r.lower, [N, N, 65 / 6 - 2, 233 / 18 - 3, (13.5 - 233 / 18) * (2 / 3) + 233 / 18 - 2]);
  });
});

describe('Parabolic SAR', () => {
  it('starts long when bar 1 has no −DM; reverses on penetration to the extreme point', () => {
    const bars = mkBars([10, 11, 12, 12.5, 11, 10, 9], [9, 10, 11, 8, 7, 6, 5], [0, 0, 0, 0, 0, 0, 0]);
    // 9 (bar 0 low), 9 + .02·2 = 9.04, then 9.04 + .04·2.96 = 9.1584 (not output: the low 8 breaks it);
    // reversal outputs ep 12 clamped up to the bar's high 12.5; then clamped to the 12.5 high; then 12.5 + .06·(6 − 12.5)
    close(new Sar().compute(bars).values, [N, 9, 9.04, 12.5, 12.5, 12.5, 12.11]);
  });
  it('starts short when bar 1 moves down (−DM > 0)', () => {
    const bars = mkBars([10, 9.5], [9, 8], [0, 0]);
    close(new Sar().compute(bars).values, [N, 10]);
  });
  it('acceleration above the maximum is lowered to it (TA-Lib)', () => {
    expect(new Sar(0.5, 0.2).compute(mkBars([10, 11, 12], [9, 10, 11], [0, 0, 0])).values).toEqual(new Sar(0.2, 0.2).compute(mkBars([10, 11, 12], [9, 10, 11], [0, 0, 0])).values);
  });
});

describe('SuperTrend', () => {
  it('hand-computed with ATR(1) and multiplier 1', () => {
    const bars = mkBars([10, 11, 13, 12, 10], [8, 9, 11, 10, 8], [9, 10.5, 12.8, 10.2, 9]);
    const r = new SuperTrend(1, 1).compute(bars);
    close(r.value, [N, 12, 9.5, 9.5, 11.2]);
    expect(r.direction).toEqual([N, -1, 1, 1, -1]);
  });
});

describe('Ichimoku', () => {
  it('2/3/4 with displacement 2', () => {
    const bars = mkBars([5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6], [3, 4, 5, 6, 7, 8]);
    const r = new Ichimoku(2, 3, 4, 2).compute(bars);
    close(r.tenkan, [N, N, N, N, 6.5, 7.5]);
    close(r.kijun, [N, N, N, N, 6, 7]);
    close(r.leadA, [N, N, N, N, 6.25, 7.25]);
    close(r.leadB, [N, N, N, N, 5.5, 6.5]);
    close(r.spanA, [N, N, N, N, 5.25, 6.25]);
    close(r.spanB, [N, N, N, N, 4.5, 5.5]);
  });
  it('default lookback 76 (52 − 1 + 26 − 1)', () => expect(new Ichimoku().lookback).toBe(76));
});
