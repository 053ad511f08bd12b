import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHARED_DATA_DIR } from '../../../paths';
import {
  calmar,
  cagr,
  correlationMatrix,
  cumulativeReturn,
  downsideDeviation,
  erfc,
  logReturns,
  maxDrawdown,
  mean,
  normalCdf,
  normalQuantile,
  quantile,
  Rng,
  seriesRiskSummary,
  sharpe,
  simpleReturns,
  sortino,
  std,
} from '../../../lib/risk';

/** Relative closeness for values computed by numpy (reference printed in the comments). */
function expectRel(actual: number, expected: number, tol = 1e-12): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  if (Math.abs(actual - expected) / scale > tol) throw new Error(`expected ${expected}, got ${actual} (rel err ${Math.abs(actual - expected) / scale})`);
}

function closes(file: string): number[] {
  const lines = fs.readFileSync(path.join(SHARED_DATA_DIR, file), 'utf8').trim().split(/\r?\n/);
  const col = lines[0].split(',').map((h) => h.trim().toLowerCase()).indexOf('close');
  return lines.slice(1).map((l) => Number(l.split(',')[col]));
}

describe('returns and sample statistics', () => {
  it('computes simple and log returns of consecutive prices', () => {
    expect(simpleReturns([100, 110, 99])).toEqual([0.10000000000000009, -0.09999999999999998]);
    const lr = logReturns([100, 110, 99]);
    expectRel(lr[0], Math.log(1.1));
    expectRel(lr[1], Math.log(0.9));
    expect(simpleReturns([5])).toEqual([]);
  });

  it('refuses non-positive prices for log returns and non-finite prices', () => {
    expect(() => logReturns([1, 0, 2])).toThrow(/positive prices/);
    expect(() => simpleReturns([1, NaN, 2])).toThrow(/not a finite/);
  });

  it('std uses n − ddof (classic 2,4,4,4,5,5,7,9 example: population σ = 2)', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(std(xs, 0)).toBe(2);
    expectRel(std(xs, 1), Math.sqrt(32 / 7));
    expect(std([1], 1)).toBeNaN();
  });

  it('quantile is numpy linear interpolation (type 7)', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75); // numpy.quantile([1,2,3,4], .25)
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expectRel(quantile([-0.05, -0.03, -0.01, 0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06], 0.05), -0.041);
    expect(() => quantile([1, 2], 1.5)).toThrow(/\[0, 1\]/);
  });

  it('compounds simple returns', () => {
    expectRel(cumulativeReturn([0.1, -0.1]), -0.01);
  });

  it('correlation matrix: perfectly (anti)correlated series give ±1', () => {
    const m = correlationMatrix([
      [1, 2, 3, 5],
      [2, 4, 6, 10],
      [5, 3, 2, 1],
    ]);
    expect(m[0][0]).toBe(1);
    expectRel(m[0][1], 1);
    expect(m[0][2]).toBeLessThan(-0.9);
    expect(m[2][0]).toBe(m[0][2]);
  });
});

describe('risk-adjusted performance', () => {
  const r = [0.01, 0.02, -0.01, 0.03];

  it('Sharpe = mean / std(ddof 1) · √252 (hand: 0.0125 / 0.0170783 · 15.8745)', () => {
    expectRel(sharpe(r), 11.618950038622248); // numpy
    expectRel(sharpe(r, { periodsPerYear: 1 }), 0.0125 / Math.sqrt(8.75e-4 / 3));
    expect(sharpe([0.01, 0.01, 0.01])).toBeNaN();
  });

  it('Sharpe subtracts the per-period risk-free rate', () => {
    expectRel(sharpe(r, { periodsPerYear: 1, riskFree: 0.005 }), 0.0075 / Math.sqrt(8.75e-4 / 3));
  });

  it('Sortino uses the downside deviation over all n periods (hand: √(0.01²/4) = 0.005)', () => {
    expectRel(downsideDeviation(r), 0.005);
    expectRel(sortino(r), 39.68626966596885); // 0.0125 / 0.005 · √252
    expect(sortino([0.01, 0.02])).toBe(Infinity);
  });

  it('max drawdown with peak, trough and recovery indices', () => {
    const dd = maxDrawdown([100, 120, 90, 110, 130, 65, 140]);
    expect(dd).toEqual({ maxDrawdown: 0.5, peakIndex: 4, troughIndex: 5, recoveryIndex: 6, duration: 1 });
    const open = maxDrawdown([100, 80, 90]);
    expect(open.maxDrawdown).toBeCloseTo(0.2, 15);
    expect(open.recoveryIndex).toBeNull();
    expect(maxDrawdown([1, 2, 3])).toEqual({ maxDrawdown: 0, peakIndex: 0, troughIndex: 0, recoveryIndex: 0, duration: 0 });
    expect(() => maxDrawdown([1, -1])).toThrow(/positive/);
  });

  it('Calmar = CAGR / max drawdown (hand: equity 1 → 1.5 → 1.2 → 1.5 over one year: 0.5 / 0.2)', () => {
    expectRel(cagr([0.5, -0.2, 0.25], 3), 0.5);
    expectRel(calmar([0.5, -0.2, 0.25], 3), 2.5);
    expectRel(calmar([0.1, -0.5, 0.2], 3), -0.34 / 0.5);
  });
});

describe('standard normal', () => {
  it('matches published quantiles to 1e-14 (AS241 values as printed by Python statistics.NormalDist)', () => {
    expectRel(normalQuantile(0.95), 1.6448536269514722, 1e-14);
    expectRel(normalQuantile(0.99), 2.3263478740408408, 1e-14);
    expectRel(normalQuantile(0.975), 1.959963984540054, 1e-14);
    expectRel(normalQuantile(0.001), -3.090232306167813, 1e-14);
    expectRel(normalQuantile(1e-10), -6.361340902404056, 1e-14);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
  });

  it('erfc is accurate in the tail (values of C math.erfc)', () => {
    expectRel(erfc(1), 0.15729920705028513, 1e-14);
    expectRel(erfc(2), 0.0046777349810472654, 1e-14);
    expectRel(erfc(4), 1.541725790028002e-8, 1e-14);
    expectRel(erfc(10), 2.0884875837625449e-45, 1e-14);
    expectRel(normalCdf(-1.6448536269514722), 0.05, 1e-14);
  });
});

describe('seeded generator', () => {
  it('xoshiro128** reproduces the reference vector for state {1, 2, 3, 4}', () => {
    const g = Rng.fromState([1, 2, 3, 4]);
    expect([1, 2, 3, 4, 5, 6].map(() => g.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('is deterministic per seed and draws standard normals', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa);
    const g = new Rng(1);
    const zs = Array.from({ length: 200_000 }, () => g.normal());
    // Standard errors: mean 1/√n ≈ 0.0022, std ≈ 0.0016.
    expect(Math.abs(mean(zs))).toBeLessThan(0.01);
    expect(Math.abs(std(zs) - 1)).toBeLessThan(0.01);
    expect(zs.filter((z) => z < -1.6448536269514722).length / zs.length).toBeCloseTo(0.05, 2);
  });
});

describe('series risk summary on real data (reference: numpy 2.x on the same file)', () => {
  it('GOOG daily closes, log returns', () => {
    const s = seriesRiskSummary(closes('backtesting.py/GOOG.csv'), 'log');
    expect(s.n).toBe(2147);
    expect(s.returns).toBe('log');
    expectRel(s.mean, 0.0009705426304983818, 1e-11);
    expectRel(s.std, 0.021521900610075025, 1e-11);
    expectRel(s.sharpe, 0.7158701687944146, 1e-11);
    expectRel(s.var95, 0.03126368084276434, 1e-11);
    expectRel(s.es95, 0.04944338866784991, 1e-11);
    expectRel(s.var99, 0.05938666009338597, 1e-11);
    expectRel(s.es99, 0.07970717974399605, 1e-11);
    expectRel(s.maxDrawdown, 0.6529475997249895, 1e-12);
    expect([s.peakIndex, s.troughIndex]).toEqual([810, 1075]);
  });

  it('EURUSD hourly closes, simple returns', () => {
    const s = seriesRiskSummary(closes('backtesting.py/EURUSD.csv'), 'simple');
    expect(s.n).toBe(4999);
    expectRel(s.mean, 2.7745406027867628e-5, 1e-10);
    expectRel(s.std, 0.0009315949505872776, 1e-11);
    expectRel(s.sharpe, 0.4727855877362202, 1e-10);
    expectRel(s.var95, 0.001291418896305485, 1e-11);
    expectRel(s.es95, 0.0020047196479320156, 1e-11);
    expectRel(s.var99, 0.0022491617767755544, 1e-11);
    expectRel(s.es99, 0.0033772870908242193, 1e-11);
    expectRel(s.maxDrawdown, 0.04273603338079941, 1e-12);
    expect([s.peakIndex, s.troughIndex]).toEqual([2444, 3461]);
  });

  it('needs three prices', () => {
    expect(() => seriesRiskSummary([1, 2])).toThrow(/at least 3 prices/);
  });
});
