import { approved, CHECK_NAMES, CheckInput, CHECKS, DEFAULT_LIMITS, mergeLimits, notionalOf, runChecks, sizeDecision, validateLimits } from '../../../lib/risk';
import { STANDARD_SYMBOLS } from '../../../lib/trading/price-source';

const EURUSD = STANDARD_SYMBOLS.EURUSD;
const NOW_QUOTE = { symbol: 'EURUSD', bid: 1.1, ask: 1.1001, time_msc: 0 };

function input(over: Partial<CheckInput> = {}): CheckInput {
  return {
    limits: DEFAULT_LIMITS,
    order: { symbol: 'EURUSD', side: 'buy', volume: 1 },
    spec: EURUSD,
    quote: NOW_QUOTE,
    quoteAgeMs: 100,
    accountCurrency: 'USD',
    equity: 100_000,
    dayStartEquity: 100_000,
    peakEquity: 100_000,
    exposure: [],
    ordersLastMinute: 0,
    vetoes: [],
    duplicate: false,
    breaker: null,
    ...over,
  };
}

const limits = (patch: Parameters<typeof mergeLimits>[1]) => mergeLimits(DEFAULT_LIMITS, patch);

describe('risk checks (each alone)', () => {
  it('a plain order passes every check, in the documented order', () => {
    const r = runChecks(input());
    expect(r.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    expect(approved(r)).toBe(true);
  });

  it('compliance_veto: any veto rejects and is quoted', () => {
    const r = CHECKS.compliance_veto(input({ vetoes: [{ agent: 'compliance', reason: 'symbol on the restricted list' }] }));
    expect(r).toMatchObject({ passed: false, value: 1 });
    expect(r.reason).toMatch(/compliance: symbol on the restricted list/);
  });

  it('duplicate_decision', () => {
    expect(CHECKS.duplicate_decision(input({ duplicate: true })).passed).toBe(false);
    expect(CHECKS.duplicate_decision(input()).passed).toBe(true);
  });

  it('drawdown_breaker: trips at the limit, stays latched, lets risk-reducing orders through', () => {
    expect(CHECKS.drawdown_breaker(input({ peakEquity: 100_000, equity: 80_001 })).passed).toBe(true);
    const hit = CHECKS.drawdown_breaker(input({ peakEquity: 100_000, equity: 80_000 }));
    expect(hit).toMatchObject({ passed: false, value: 0.2, limit: 0.2 });
    const latched = CHECKS.drawdown_breaker(input({ breaker: { at: 0, reason: 'drawdown 21 %' } }));
    expect(latched.passed).toBe(false);
    expect(latched.reason).toMatch(/tripped.*drawdown 21 %/);
    const closing = input({ breaker: { at: 0, reason: 'x' }, order: { symbol: 'EURUSD', side: 'sell', volume: 1 }, exposure: [{ symbol: 'EURUSD', netLots: 2, notional: 220_000 }] });
    expect(CHECKS.drawdown_breaker(closing)).toMatchObject({ passed: true, reason: 'risk-reducing order' });
    expect(CHECKS.drawdown_breaker(input({ limits: limits({ maxDrawdown: null }) })).skipped).toBe(true);
  });

  it('daily_loss: loss since the day start against the limit', () => {
    expect(CHECKS.daily_loss(input({ dayStartEquity: 100_000, equity: 95_001 })).passed).toBe(true);
    const r = CHECKS.daily_loss(input({ dayStartEquity: 100_000, equity: 95_000 }));
    expect(r).toMatchObject({ passed: false, value: 0.05, limit: 0.05 });
    expect(r.reason).toMatch(/5.00 % reached the 5.00 % daily limit/);
  });

  it('orders_per_minute counts this order', () => {
    expect(CHECKS.orders_per_minute(input({ ordersLastMinute: 59 })).passed).toBe(true);
    expect(CHECKS.orders_per_minute(input({ ordersLastMinute: 60 }))).toMatchObject({ passed: false, value: 61, limit: 60 });
  });

  it('stale_data', () => {
    expect(CHECKS.stale_data(input({ quoteAgeMs: 60_000 })).passed).toBe(true);
    expect(CHECKS.stale_data(input({ quoteAgeMs: 60_001 })).reason).toMatch(/EURUSD quote is 60001 ms old/);
  });

  it('spread in points', () => {
    expect(CHECKS.spread(input()).value).toBe(10);
    const wide = CHECKS.spread(input({ quote: { ...NOW_QUOTE, ask: 1.10051 } }));
    expect(wide).toMatchObject({ passed: false, value: 51, limit: 50 });
  });

  it('max_position: net lots after the order incl. working orders; per-symbol override', () => {
    expect(CHECKS.max_position(input({ exposure: [{ symbol: 'EURUSD', netLots: 9, notional: 0 }] }))).toMatchObject({ passed: true, value: 10 });
    expect(CHECKS.max_position(input({ exposure: [{ symbol: 'EURUSD', netLots: 9.5, notional: 0 }] }))).toMatchObject({ passed: false, value: 10.5 });
    expect(CHECKS.max_position(input({ limits: limits({ symbolMaxPositionLots: { EURUSD: 0.5 } }) })).passed).toBe(false);
    // Reversal is not risk-reducing: 3 long, sell 8 → 5 short, checked.
    const rev = input({ limits: limits({ maxPositionLots: 4 }), order: { symbol: 'EURUSD', side: 'sell', volume: 8 }, exposure: [{ symbol: 'EURUSD', netLots: 3, notional: 0 }] });
    expect(CHECKS.max_position(rev)).toMatchObject({ passed: false, value: 5 });
  });

  it('symbol_exposure: notional at the mid in account currency', () => {
    // 1 lot EURUSD at mid 1.10005 = 110,005 USD.
    expect(CHECKS.symbol_exposure(input()).value).toBeCloseTo(110_005, 2);
    expect(CHECKS.symbol_exposure(input({ limits: limits({ maxSymbolExposure: 110_000 }) })).passed).toBe(false);
    expect(notionalOf(1, STANDARD_SYMBOLS.USDJPY, 150, 'USD')).toBe(100_000);
  });

  it('total_exposure adds other symbols', () => {
    const i = input({ limits: limits({ maxTotalExposure: 200_000, maxSymbolExposure: 150_000 }), exposure: [{ symbol: 'XAUUSD', netLots: -0.5, notional: 100_000 }] });
    const r = CHECKS.total_exposure(i);
    expect(r.value).toBeCloseTo(210_005, 2);
    expect(r.passed).toBe(false);
  });

  it('leverage = total exposure / equity', () => {
    const r = CHECKS.leverage(input({ equity: 5_000 }));
    expect(r.value).toBeCloseTo(22.001, 3);
    expect(r.passed).toBe(true);
    expect(CHECKS.leverage(input({ equity: 3_000 })).passed).toBe(false);
    expect(CHECKS.leverage(input({ equity: 0 })).reason).toMatch(/equity is not positive/);
  });
});

describe('risk limits', () => {
  it('accepts the defaults and refuses contradictions with 422', () => {
    expect(validateLimits(DEFAULT_LIMITS)).toBe(DEFAULT_LIMITS);
    const cases: [Parameters<typeof mergeLimits>[1], RegExp][] = [
      [{ maxSymbolExposure: 5e6, maxTotalExposure: 1e6 }, /maxSymbolExposure 5000000 exceeds maxTotalExposure 1000000/],
      [{ maxDailyLoss: 0.3, maxDrawdown: 0.2 }, /breaker would always trip first/],
      [{ maxDailyLoss: 0.005, sizing: { riskFraction: 0.01 } }, /one stopped trade would breach/],
      [{ sizing: { method: 'kelly', stopPoints: null } }, /needs sizing.stopPoints/],
      [{ maxLeverage: -1 }, /positive number or null/],
      [{ maxDrawdown: 1.5 }, /fraction in \(0, 1\]/],
    ];
    for (const [patch, msg] of cases) {
      let err: { code?: string; status?: number; message?: string } = {};
      try {
        validateLimits(mergeLimits(DEFAULT_LIMITS, patch));
      } catch (e) {
        err = e as typeof err;
      }
      expect({ patch, code: err.code, status: err.status }).toEqual({ patch, code: 'CONTRADICTORY_LIMITS', status: 422 });
      expect(err.message).toMatch(msg);
    }
  });

  it('merge: null switches a check off, omitted keeps it', () => {
    const m = mergeLimits(DEFAULT_LIMITS, { maxLeverage: null, sizing: { method: 'fixed' } });
    expect(m.maxLeverage).toBeNull();
    expect(m.maxDrawdown).toBe(DEFAULT_LIMITS.maxDrawdown);
    expect(m.sizing).toEqual({ ...DEFAULT_LIMITS.sizing, method: 'fixed' });
  });
});

describe('sizing a decision', () => {
  const ctx = { equity: 100_000, spec: EURUSD, quote: { symbol: 'EURUSD', bid: 1.1, ask: 1.1002, time_msc: 0 }, accountCurrency: 'USD' };
  const d = { action: 'buy' as const, p: { buy: 0.6, hold: 0.3, sell: 0.1 }, opinions: [] };

  it('fixed fraction: 1 % of 100,000 at a 200-point (0.002) stop = 1,000 / 200 per lot = 5 lots, SL/TP around the ask', () => {
    const s = sizeDecision(DEFAULT_LIMITS.sizing, d, ctx);
    expect(s.volume).toBe(5);
    expect(s.sl).toBe(1.0982);
    expect(s.tp).toBe(1.1042);
    const sell = sizeDecision(DEFAULT_LIMITS.sizing, { ...d, action: 'sell' }, ctx);
    expect([sell.sl, sell.tp]).toEqual([1.102, 1.096]);
  });

  it('volatility target uses the opinions\' ATR, else falls back', () => {
    const pol = { ...DEFAULT_LIMITS.sizing, method: 'volatility' as const, atrMultiple: 2 };
    const withAtr = { ...d, opinions: [{ features: { atr: 0.0025 } }] as never[] };
    const s = sizeDecision(pol, withAtr, ctx);
    expect(s.volume).toBe(2); // 1,000 / (2 · 0.0025 · 100,000)
    expect(s.sl).toBe(1.0952);
    expect(sizeDecision(pol, d, ctx).details.method).toBe('fixed_fraction');
  });

  it('Kelly with the decision\'s probability, capped at riskFraction', () => {
    const pol = { ...DEFAULT_LIMITS.sizing, method: 'kelly' as const, kellyFraction: 0.5, riskFraction: 0.02 };
    // p = 0.6, b = 400/200 = 2 → f* = 0.4, half → 0.2, capped at 0.02 → 2,000 / 200 per lot = 10 lots.
    const s = sizeDecision(pol, d, ctx);
    expect(s.details.kelly).toBe(0.02);
    expect(s.volume).toBe(10);
    const weak = sizeDecision(pol, { ...d, p: { buy: 0.3, hold: 0.4, sell: 0.3 } }, ctx);
    expect(weak.volume).toBe(0); // 0.3 − 0.7/2 < 0
  });

  it('fixed lots', () => {
    expect(sizeDecision({ ...DEFAULT_LIMITS.sizing, method: 'fixed', volume: 0.03 }, d, ctx).volume).toBe(0.03);
  });
});
