import {
  cholesky,
  fixedFractionSize,
  historicalES,
  historicalVaR,
  historicalVarEs,
  historicalWindowScenario,
  isMultipleOfStep,
  kellyFraction,
  kellyInputsFromTrades,
  kellySize,
  monteCarloVarEs,
  parametricVarEs,
  parseShock,
  portfolioMonteCarloVaR,
  portfolioVaR,
  roundVolume,
  shockScenario,
  StressPosition,
  volatilityTargetSize,
  VolumeSpec,
  worstHistoricalWindow,
} from '../../../lib/risk';

function expectRel(actual: number, expected: number, tol = 1e-12): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  if (Math.abs(actual - expected) / scale > tol) throw new Error(`expected ${expected}, got ${actual}`);
}

describe('historical VaR / ES', () => {
  const r = [0.06, -0.05, 0.01, -0.03, 0.02, -0.01, 0.03, 0, 0.05, 0.04];

  it('VaR = −quantile(r, 1 − level) with linear interpolation (hand: h = 0.45 → −0.05 + 0.45·0.02)', () => {
    expectRel(historicalVaR(r, 0.95), 0.041);
    expectRel(historicalVaR(r, 0.8), 0.014); // h = 1.8 → −0.03 + 0.8·0.02
  });

  it('ES = −mean of returns at or below that quantile', () => {
    expectRel(historicalES(r, 0.95), 0.05); // only −0.05 ≤ −0.041
    expectRel(historicalES(r, 0.8), 0.04); // −0.05, −0.03 ≤ −0.014
    const both = historicalVarEs(r, 0.8);
    expect(both.es).toBeGreaterThanOrEqual(both.var);
  });

  it('an exact order statistic counts as in the tail', () => {
    // n = 11, α = 0.1 → h = 1, q = second smallest exactly.
    const xs = [-0.1, -0.08, 0, 0, 0, 0, 0, 0, 0, 0, 0.1];
    expectRel(historicalVaR(xs, 0.9), 0.08);
    expectRel(historicalES(xs, 0.9), 0.09);
  });

  it('rejects bad levels and samples', () => {
    expect(() => historicalVaR(r, 1)).toThrow(/level/);
    expect(() => historicalVaR([], 0.95)).toThrow(/empty/);
    expect(() => historicalVaR([0.1, Infinity], 0.95)).toThrow(/finite/);
  });
});

describe('parametric and Monte-Carlo VaR', () => {
  it('normal VaR/ES with σ = 1 %: VaR95 = 1.6449 %, VaR99 = 2.3263 %, ES97.5 = 2.3378 % (the Basel III equivalence)', () => {
    expectRel(parametricVarEs({ mean: 0, std: 0.01 }, 0.95).var, 0.016448536269514722, 1e-14);
    expectRel(parametricVarEs({ mean: 0, std: 0.01 }, 0.99).var, 0.023263478740408408, 1e-14);
    expectRel(parametricVarEs({ mean: 0, std: 0.01 }, 0.975).es, 0.023378027922014176, 1e-13);
    expectRel(parametricVarEs({ mean: 0, std: 0.01 }, 0.95).es, 0.020627128075074306, 1e-13);
  });

  it('square-root-of-time scaling and the mean', () => {
    expectRel(parametricVarEs({ mean: 0, std: 0.01 }, 0.99, 10).var, 0.07356557911859554, 1e-13);
    expectRel(parametricVarEs({ mean: 0.001, std: 0.01 }, 0.95).var, 0.016448536269514722 - 0.001, 1e-13);
  });

  it('Monte-Carlo converges to the parametric value and is reproducible by seed', () => {
    const p = { mean: 0, std: 0.01 };
    const a = monteCarloVarEs(p, 0.95, { paths: 200_000, seed: 11 });
    const b = monteCarloVarEs(p, 0.95, { paths: 200_000, seed: 11 });
    const c = monteCarloVarEs(p, 0.95, { paths: 200_000, seed: 12 });
    expect(a).toEqual(b);
    expect(c.var).not.toBe(a.var);
    // Standard error of the 5 % quantile ≈ √(α(1−α)/n)/φ(z) · σ ≈ 1.2e-5.
    expect(Math.abs(a.var - 0.016448536269514722)).toBeLessThan(6e-5);
    expect(Math.abs(a.es - 0.020627128075074306)).toBeLessThan(8e-5);
    const h = monteCarloVarEs(p, 0.99, { paths: 100_000, seed: 3, horizon: 4 });
    expect(Math.abs(h.var - 0.023263478740408408 * 2)).toBeLessThan(6e-4);
  });
});

describe('portfolio VaR with correlations', () => {
  // 1,000,000 at σ 1 % and 500,000 at σ 2 %, ρ = 0.3: σ_P² = 1e8 + 1e8 + 2·0.3·1e8 = 2.6e8.
  const input = { exposures: [1_000_000, 500_000], vols: [0.01, 0.02], correlation: [[1, 0.3], [0.3, 1]] };

  it('delta-normal VaR, ES, undiversified VaR and Euler components (hand-computed)', () => {
    const v = portfolioVaR(input, 0.95);
    expectRel(v.sigma, Math.sqrt(2.6e8));
    expectRel(v.var, 26522.467797412948, 1e-13);
    expectRel(v.es, 33260.24462968287, 1e-13);
    expectRel(v.undiversifiedVar, 32897.07253902943, 1e-13);
    expectRel(v.components[0], 13261.233898706472, 1e-13);
    expectRel(v.components[0] + v.components[1], v.var, 1e-13);
  });

  it('perfect correlation adds VaRs; a perfect hedge has none', () => {
    const full = portfolioVaR({ ...input, correlation: [[1, 1], [1, 1]] }, 0.99);
    expectRel(full.var, full.undiversifiedVar, 1e-13);
    const hedge = portfolioVaR({ exposures: [1e6, 1e6], vols: [0.01, 0.01], correlation: [[1, -1], [-1, 1]] }, 0.99);
    expect(hedge.var).toBeCloseTo(0, 6);
  });

  it('Monte-Carlo with Cholesky converges to the delta-normal figure', () => {
    const mc = portfolioMonteCarloVaR(input, 0.95, { paths: 200_000, seed: 5 });
    expect(Math.abs(mc.var - 26522.47) / 26522.47).toBeLessThan(0.01);
  });

  it('Cholesky factor of [[4,2],[2,3]] is [[2,0],[1,√2]]; inconsistent input is refused', () => {
    const l = cholesky([[4, 2], [2, 3]]);
    expect(l[0]).toEqual([2, 0]);
    expect(l[1][0]).toBe(1);
    expectRel(l[1][1], Math.SQRT2);
    expect(() => portfolioVaR({ ...input, correlation: [[1, 2], [2, 1]] })).toThrow(/correlation/);
    expect(() => portfolioVaR({ ...input, vols: [0.01] })).toThrow(/agree/);
  });
});

const EURUSD: VolumeSpec = { contractSize: 100_000, volumeMin: 0.01, volumeMax: 100, volumeStep: 0.01 };

describe('position sizing', () => {
  it('fixed fraction: 1 % of 10,000 with a 50-pip stop on EURUSD is 0.2 lots', () => {
    const s = fixedFractionSize({ equity: 10_000, riskFraction: 0.01, stopDistance: 0.005, spec: EURUSD });
    expect(s.volume).toBe(0.2);
    expectRel(s.riskAmount, 100);
  });

  it('rounds down to the step so the risk budget is never exceeded', () => {
    const s = fixedFractionSize({ equity: 10_000, riskFraction: 0.01, stopDistance: 0.0037, spec: EURUSD });
    expect(s.volume).toBe(0.27); // raw 0.27027…
    expect(s.riskAmount).toBeLessThanOrEqual(100);
    expect(isMultipleOfStep(s.volume, 0.01)).toBe(true);
  });

  it('zero below the minimum, capped at the maximum, converted to account currency', () => {
    expect(fixedFractionSize({ equity: 100, riskFraction: 0.01, stopDistance: 0.005, spec: EURUSD }).volume).toBe(0);
    const big = fixedFractionSize({ equity: 1e9, riskFraction: 0.05, stopDistance: 0.001, spec: EURUSD });
    expect(big.volume).toBe(100);
    expect(big.note).toMatch(/maximum/);
    // XAUUSD, 100 oz per lot: 2 % of 50,000 with a 10 USD stop → 1 lot; in a EUR account at 0.9 EUR/USD → 1.11.
    const gold: VolumeSpec = { contractSize: 100, volumeMin: 0.01, volumeMax: 50, volumeStep: 0.01 };
    expect(fixedFractionSize({ equity: 50_000, riskFraction: 0.02, stopDistance: 10, spec: gold }).volume).toBe(1);
    expect(fixedFractionSize({ equity: 50_000, riskFraction: 0.02, stopDistance: 10, spec: gold, quoteToAccount: 0.9 }).volume).toBe(1.11);
    expect(roundVolume(0.30000000000000004, EURUSD).volume).toBe(0.3);
    expect(() => fixedFractionSize({ equity: 10_000, riskFraction: 2, stopDistance: 0.005, spec: EURUSD })).toThrow(/fraction/);
  });

  it('volatility target: 0.5 % of 20,000 per 2·ATR with ATR 25 pips is 0.2 lots', () => {
    expect(volatilityTargetSize({ equity: 20_000, targetFraction: 0.005, atr: 0.0025, atrMultiple: 2, spec: EURUSD }).volume).toBe(0.2);
    // Twice the volatility, half the size.
    expect(volatilityTargetSize({ equity: 20_000, targetFraction: 0.005, atr: 0.005, atrMultiple: 2, spec: EURUSD }).volume).toBe(0.1);
  });

  it('Kelly: p = 0.6, b = 1 → 0.2; p = 0.55, b = 2 → 0.325; fraction and cap; no edge → 0', () => {
    expectRel(kellyFraction({ winRate: 0.6, payoff: 1 }), 0.2);
    expectRel(kellyFraction({ winRate: 0.55, payoff: 2 }), 0.325);
    expectRel(kellyFraction({ winRate: 0.55, payoff: 2, fraction: 0.5 }), 0.1625);
    expect(kellyFraction({ winRate: 0.55, payoff: 2, cap: 0.1 })).toBe(0.1);
    expect(kellyFraction({ winRate: 0.4, payoff: 1 })).toBe(0);
    expect(kellyInputsFromTrades([100, -50, 200, -50, 0])).toEqual({ winRate: 0.5, payoff: 3, trades: 4 });
    expect(() => kellyInputsFromTrades([1, 2])).toThrow(/one loss/);
    const k = kellySize({ winRate: 0.6, payoff: 1, cap: 0.02, equity: 10_000, stopDistance: 0.005, spec: EURUSD });
    expect(k.kelly).toBe(0.02);
    expect(k.volume).toBe(0.4);
    expect(kellySize({ winRate: 0.3, payoff: 1, equity: 10_000, stopDistance: 0.005, spec: EURUSD }).volume).toBe(0);
  });
});

describe('stress scenarios', () => {
  const positions: StressPosition[] = [
    { symbol: 'EURUSD', units: 100_000, price: 1.1 },
    { symbol: 'XAUUSD', units: -100, price: 2000 },
  ];

  it('parses shocks', () => {
    expect(parseShock('EURUSD -3%')).toEqual({ symbol: 'EURUSD', change: -0.03 });
    expect(parseShock('xauusd +5 %')).toEqual({ symbol: 'XAUUSD', change: 0.05 });
    expect(parseShock('EURUSD −0.5%').change).toBeCloseTo(-0.005, 15);
    expect(parseShock('EURUSD -0.03')).toEqual({ symbol: 'EURUSD', change: -0.03 });
    expect(() => parseShock('EURUSD down a lot')).toThrow(/cannot read/);
    expect(() => parseShock('EURUSD -150%')).toThrow(/positive price/);
  });

  it('"EURUSD −3 %" costs a 100,000-unit long at 1.10 exactly 3,300; gold +5 % costs the short 10,000', () => {
    const s = shockScenario(positions, [parseShock('EURUSD -3%'), parseShock('XAUUSD +5%')]);
    expectRel(s.bySymbol.EURUSD, -3300);
    expectRel(s.bySymbol.XAUUSD, -10_000);
    expectRel(s.pnl, -13_300);
    expect(s.name).toBe('EURUSD -3.00%, XAUUSD +5.00%');
  });

  it('replays a historical window and finds the worst one', () => {
    const history = { EURUSD: [1.1, 1.12, 1.05, 1.08], XAUUSD: [1900, 1900, 1900, 1950] };
    const w = historicalWindowScenario(positions, history, 1, 2);
    expectRel(w.changes.EURUSD, 1.05 / 1.12 - 1);
    expectRel(w.pnl, 100_000 * 1.1 * (1.05 / 1.12 - 1));
    const worst = worstHistoricalWindow(positions, history, 1)!;
    expect([worst.start, worst.end]).toEqual([1, 2]);
    expect(() => historicalWindowScenario(positions, history, 2, 9)).toThrow(/window ends/);
  });
});
