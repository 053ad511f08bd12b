/** Statistics on a five-bar series worked out by hand. */
import { ceilToResolution, computeStats, dataPeriodMs, drawdowns } from '../../../lib/backtest/stats';
import type { ClosedTrade } from '../../../lib/backtest/types';
import { DAY } from './helpers';

// Mon 2020-01-06 … Fri 2020-01-10: no weekend bars → 252 periods a year.
const t = Float64Array.from([0, 1, 2, 3, 4], (k) => Date.UTC(2020, 0, 6) + k * DAY);
const equity = Float64Array.from([100, 110, 99, 121, 121]);
const close = Float64Array.from([50, 55, 49.5, 60.5, 60.5]);
const trade = (p: Partial<ClosedTrade>): ClosedTrade => ({
  size: 1, entryBar: 0, exitBar: 0, entryTime: 0, exitTime: 0, entryPrice: 1, exitPrice: 1, sl: NaN, tp: NaN, pnl: 0, ret: 0, commission: 0, ...p,
});
const trades = [
  trade({ size: 1, entryBar: 1, exitBar: 3, entryTime: t[1], exitTime: t[3], pnl: 11, ret: 0.1, commission: 0.5 }),
  trade({ size: -1, entryBar: 3, exitBar: 4, entryTime: t[3], exitTime: t[4], pnl: -2, ret: -0.02, commission: 0.25 }),
];
const s = computeStats({ t, close, equity, trades });

describe('stats on a hand-worked series', () => {
  it('returns, exposure, buy & hold', () => {
    expect(s.returnPct).toBeCloseTo(21, 12);
    expect(s.buyHoldReturnPct).toBeCloseTo(21, 12);
    expect(s.exposurePct).toBe(80); // bars 1–4 of 5
    expect(s.equityFinal).toBe(121);
    expect(s.equityPeak).toBe(121);
    expect(s.commissions).toBe(0.75);
    expect(s.durationMs).toBe(4 * DAY);
  });

  it('drawdown: one period from bar 1 to bar 3, 10 % deep, 2 days long', () => {
    expect(s.maxDrawdownPct).toBeCloseTo(-10, 12);
    expect(s.avgDrawdownPct).toBeCloseTo(-10, 12);
    expect(s.maxDrawdownDurationMs).toBe(2 * DAY);
    expect(s.avgDrawdownDurationMs).toBe(2 * DAY);
  });

  it('annualised figures from daily returns [—, .1, −.1, 121/99 − 1, 0]', () => {
    const g = 1.21 ** (1 / 5) - 1; // product of (1 + r) is 1.21; the missing first return counts as 0
    expect(s.annualPeriods).toBe(252);
    expect(s.returnAnnPct).toBeCloseTo(((1 + g) ** 252 - 1) * 100, 6);
    const r = [0.1, -0.1, 121 / 99 - 1, 0];
    const m = r.reduce((a, b) => a + b) / 4;
    const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / 3;
    const vol = Math.sqrt((v + (1 + g) ** 2) ** 252 - (1 + g) ** 504) * 100;
    expect(s.volatilityAnnPct / vol).toBeCloseTo(1, 10);
    expect(s.sharpeRatio / (s.returnAnnPct / vol)).toBeCloseTo(1, 10);
    const downside = Math.sqrt((0 + 0.01 + 0 + 0) / 4) * Math.sqrt(252);
    expect(s.sortinoRatio / (((1 + g) ** 252 - 1) / downside)).toBeCloseTo(1, 10);
    expect(s.calmarRatio / (((1 + g) ** 252 - 1) / 0.1)).toBeCloseTo(1, 10);
    // CAGR: 4 calendar days / 252 "years"
    expect(s.cagrPct / ((1.21 ** (252 / 4) - 1) * 100)).toBeCloseTo(1, 10);
    // Per-bar Sharpe: the same four returns, √252
    expect(s.sharpe).toBeCloseTo((m / Math.sqrt(v)) * Math.sqrt(252), 10);
  });

  it('beta of equity vs close log returns is 1 when equity is twice the close', () => {
    expect(s.beta).toBeCloseTo(1, 12);
    expect(s.alphaPct).toBeCloseTo(0, 10);
  });

  it('trade statistics', () => {
    expect(s.trades).toBe(2);
    expect(s.winRatePct).toBe(50);
    expect(s.bestTradePct).toBeCloseTo(10, 12);
    expect(s.worstTradePct).toBeCloseTo(-2, 12);
    expect(s.avgTradePct).toBeCloseTo((Math.sqrt(1.1 * 0.98) - 1) * 100, 12);
    expect(s.profitFactor).toBeCloseTo(5, 12);
    expect(s.expectancyPct).toBeCloseTo(4, 12);
    expect(s.sqn).toBeCloseTo((Math.sqrt(2) * 4.5) / (13 / Math.sqrt(2)), 12);
    expect(s.kellyCriterion).toBeCloseTo(0.5 - 0.5 / (11 / 2), 12);
    expect(s.maxTradeDurationMs).toBe(2 * DAY);
    expect(s.avgTradeDurationMs).toBe(2 * DAY); // 1.5 days rounded up to the daily resolution
  });

  it('no trades: trade statistics are NaN, exposure 0', () => {
    const z = computeStats({ t, close, equity: Float64Array.from([100, 100, 100, 100, 100]), trades: [] });
    expect(z.trades).toBe(0);
    expect(z.exposurePct).toBe(0);
    for (const k of ['winRatePct', 'bestTradePct', 'avgTradePct', 'profitFactor', 'sqn', 'kellyCriterion', 'maxDrawdownDurationMs'] as const) {
      expect(z[k]).toBeNaN();
    }
    expect(z.maxDrawdownPct === 0).toBe(true);
  });
});

describe('helpers', () => {
  it('drawdown periods need a gap of more than one bar between zero-drawdown bars', () => {
    const { periods } = drawdowns([0, 1, 2, 3, 4, 5, 6], [10, 9, 8, 10, 9, 10, 10]);
    expect(periods.map((p) => [p.end, p.durationMs])).toEqual([[3, 3], [5, 2]]);
    expect(periods[0].peak).toBeCloseTo(0.2, 12);
  });
  it('data period is the median spacing of the last 100 bars; durations round up to its unit', () => {
    expect(dataPeriodMs([0, 10, 20, 40])).toBe(10);
    expect(ceilToResolution(1.5 * DAY, DAY)).toBe(2 * DAY);
    expect(ceilToResolution(90 * 60_000 + 1, 3_600_000)).toBe(2 * 3_600_000);
    expect(ceilToResolution(61_001, 300_000)).toBe(120_000); // 5-minute bars: minute resolution
  });
  it('weekly, monthly and weekend-trading data change the periods per year', () => {
    const weekly = Float64Array.from({ length: 60 }, (_, k) => Date.UTC(2020, 0, 6) + k * 7 * DAY);
    const daily7 = Float64Array.from({ length: 60 }, (_, k) => Date.UTC(2020, 0, 6) + k * DAY);
    const eq = new Float64Array(60).fill(1);
    expect(computeStats({ t: weekly, close: eq, equity: eq, trades: [] }).annualPeriods).toBe(52);
    expect(computeStats({ t: daily7, close: eq, equity: eq, trades: [] }).annualPeriods).toBe(365);
  });
});
