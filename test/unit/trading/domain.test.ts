import { DomainError } from '../../../lib/errors';
import { assertTransition, canTransition, statesBefore } from '../../../lib/trading/order-state';
import { commissionOf, marketFillPrice, pendingFillPrice, protectiveTrigger, trailedStop } from '../../../lib/trading/paper';
import { applyHedgingFill, applyNettingFill, closePnl, quoteToAccount, unrealizedPnl } from '../../../lib/trading/positions';
import { STANDARD_SYMBOLS } from '../../../lib/trading/price-source';
import { requestHash } from '../../../lib/trading/request-hash';
import { validateOrder } from '../../../lib/trading/validate';
import type { OrderIntent } from '../../../types/trading';

const EURUSD = STANDARD_SYMBOLS.EURUSD;
const Q = { bid: 1.1, ask: 1.1002 };

function reason(fn: () => void): { code: string; field: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    const d = e as DomainError;
    return { code: d.code, field: (d.data as { field?: string })?.field, message: d.message };
  }
  throw new Error('expected a refusal');
}

describe('order state machine', () => {
  it('allows the documented transitions only', () => {
    expect(canTransition('new', 'accepted')).toBe(true);
    expect(canTransition('accepted', 'partially_filled')).toBe(true);
    expect(canTransition('partially_filled', 'filled')).toBe(true);
    expect(canTransition('new', 'unknown')).toBe(true);
    expect(canTransition('unknown', 'filled')).toBe(true);
    expect(canTransition('filled', 'cancelled')).toBe(false);
    expect(canTransition('rejected', 'accepted')).toBe(false);
    expect(canTransition('cancelled', 'filled')).toBe(false);
    expect(() => assertTransition('filled', 'cancelled')).toThrow(/cannot become cancelled/);
    expect(statesBefore('cancelled').sort()).toEqual(['accepted', 'new', 'partially_filled', 'unknown']);
  });
});

describe('order validation', () => {
  const ok: OrderIntent = { symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.1 };

  it('accepts a sound market order with stops on the right sides', () => {
    expect(() => validateOrder({ ...ok, sl: 1.095, tp: 1.11 }, EURUSD, Q)).not.toThrow();
    expect(() => validateOrder({ ...ok, side: 'sell', sl: 1.105, tp: 1.09 }, EURUSD, Q)).not.toThrow();
  });

  it.each([
    [{ volume: 0 }, 'volume', /positive finite/],
    [{ volume: -1 }, 'volume', /positive finite/],
    [{ volume: Infinity }, 'volume', /positive finite/],
    [{ volume: NaN }, 'volume', /positive finite/],
    [{ volume: 0.001 }, 'volume', /below EURUSD's minimum 0.01/],
    [{ volume: 0.015 }, 'volume', /not a multiple of EURUSD's volume step 0.01/],
    [{ volume: 101 }, 'volume', /above EURUSD's maximum/],
    [{ sl: 1.1005 }, 'sl', /stop loss 1.10050 of a buy must be below the entry price 1.10020/],
    [{ tp: 1.1 }, 'tp', /take profit 1.10000 of a buy must be above/],
    [{ side: 'sell', sl: 1.0999 }, 'sl', /of a sell must be above/],
    [{ type: 'limit' }, 'price', /needs a price/],
    [{ type: 'limit', price: 1.1003 }, 'price', /buy limit at 1.10030 must be below the ask/],
    [{ type: 'stop', price: 1.1001 }, 'price', /buy stop at 1.10010 must be above the ask/],
    [{ type: 'limit', side: 'sell', price: 1.0999 }, 'price', /sell limit .* must be above the bid/],
    [{ type: 'stop', side: 'sell', price: 1.1001 }, 'price', /sell stop .* must be below the bid/],
    [{ price: 1.1 }, 'price', /market order takes no price/],
    [{ trailing: -0.001 }, 'trailing', /positive/],
  ] as [Partial<OrderIntent>, string, RegExp][])('refuses %j (field %s)', (patch, field, msg) => {
    const r = reason(() => validateOrder({ ...ok, ...patch }, EURUSD, Q));
    expect(r.code).toBe('INVALID_ORDER');
    expect(r.field).toBe(field);
    expect(r.message).toMatch(msg);
  });

  it('pending orders check SL against their own price', () => {
    expect(() => validateOrder({ ...ok, type: 'limit', price: 1.09, sl: 1.085 }, EURUSD, Q)).not.toThrow();
    expect(reason(() => validateOrder({ ...ok, type: 'limit', price: 1.09, sl: 1.095 }, EURUSD, Q)).field).toBe('sl');
  });

  it('honours the stops level', () => {
    const spec = { ...EURUSD, trade_stops_level: 50 };
    expect(reason(() => validateOrder({ ...ok, sl: 1.0999 }, spec, Q)).message).toMatch(/closer than 50 points/);
    expect(() => validateOrder({ ...ok, sl: 1.0997 }, spec, Q)).not.toThrow();
  });
});

describe('positions: netting', () => {
  const c = 100_000;
  it('opens, adds at the weighted average, reduces with realised P&L, closes and reverses', () => {
    const a = applyNettingFill(null, { side: 'buy', volume: 1, price: 1.1 }, c, 1, 'p1');
    expect(a).toMatchObject({ change: 'opened', realizedPnl: 0, position: { id: 'p1', side: 'buy', volume: 1, priceOpen: 1.1 } });
    const b = applyNettingFill(a.position, { side: 'buy', volume: 1, price: 1.2 }, c, 1, 'x');
    expect(b.change).toBe('increased');
    expect(b.position.volume).toBe(2);
    expect(b.position.priceOpen).toBeCloseTo(1.15, 12);
    const r = applyNettingFill(b.position, { side: 'sell', volume: 0.5, price: 1.16 }, c, 1, 'x');
    expect(r.change).toBe('reduced');
    expect(r.position.volume).toBe(1.5);
    expect(r.realizedPnl).toBeCloseTo(0.01 * 0.5 * c, 6); // 500
    const cl = applyNettingFill(r.position, { side: 'sell', volume: 1.5, price: 1.14 }, c, 1, 'x');
    expect(cl.change).toBe('closed');
    expect(cl.position.closed).toBe(true);
    expect(cl.realizedPnl).toBeCloseTo(-0.01 * 1.5 * c, 6); // −1,500
    const rv = applyNettingFill(r.position, { side: 'sell', volume: 2, price: 1.17 }, c, 1, 'x');
    expect(rv.change).toBe('reversed');
    expect(rv.position).toMatchObject({ id: 'p1', side: 'sell', volume: 0.5, priceOpen: 1.17, closed: false });
    expect(rv.realizedPnl).toBeCloseTo(0.02 * 1.5 * c, 6); // 3,000
    expect(rv.closedVolume).toBe(1.5);
  });

  it('keeps float dust out of volumes', () => {
    let p = applyNettingFill(null, { side: 'buy', volume: 0.1, price: 1 }, c, 1, 'p').position;
    p = applyNettingFill(p, { side: 'buy', volume: 0.2, price: 1 }, c, 1, 'p').position;
    expect(p.volume).toBe(0.3);
    expect(applyNettingFill(p, { side: 'sell', volume: 0.3, price: 1 }, c, 1, 'p').change).toBe('closed');
  });
});

describe('positions: hedging', () => {
  it('opens a new position per fill and closes only the named one', () => {
    const a = applyHedgingFill(null, { side: 'buy', volume: 1, price: 1.1 }, 100_000, 1, 'h1');
    expect(a.change).toBe('opened');
    const r = applyHedgingFill(a.position, { side: 'sell', volume: 0.4, price: 1.101 }, 100_000, 1, 'x');
    expect(r).toMatchObject({ change: 'reduced', position: { id: 'h1', volume: 0.6 } });
    expect(r.realizedPnl).toBeCloseTo(40, 6);
    expect(() => applyHedgingFill(a.position, { side: 'buy', volume: 0.4, price: 1.1 }, 100_000, 1, 'x')).toThrow(/opposite side/);
    expect(() => applyHedgingFill(a.position, { side: 'sell', volume: 2, price: 1.1 }, 100_000, 1, 'x')).toThrow(/cannot close 2 lots/);
  });
});

describe('P&L conversion', () => {
  it('USDJPY P&L in a USD account divides by the price', () => {
    const jpy = STANDARD_SYMBOLS.USDJPY;
    expect(quoteToAccount(jpy, 'USD', 150)).toBeCloseTo(1 / 150, 15);
    expect(quoteToAccount(EURUSD, 'USD', 1.1)).toBe(1);
    // 1 lot long USDJPY 150.000 → 151.000: 1,000 JPY per pip-yen… 100,000 JPY = 662.25 USD at 151.
    expect(closePnl('buy', 150, 151, 1, 100_000, quoteToAccount(jpy, 'USD', 151))).toBeCloseTo(100_000 / 151, 6);
    expect(unrealizedPnl({ side: 'sell', volume: 1, priceOpen: 1.1 }, 1.09, 1.0902, 100_000)).toBeCloseTo(980, 6);
  });
});

describe('paper execution rules', () => {
  it('market buys fill at the ask, sells at the bid, slippage against the trader', () => {
    expect(marketFillPrice('buy', Q, 0, EURUSD.point)).toBe(1.1002);
    expect(marketFillPrice('sell', Q, 0, EURUSD.point)).toBe(1.1);
    expect(marketFillPrice('buy', Q, 3, EURUSD.point)).toBeCloseTo(1.10023, 12);
    expect(marketFillPrice('sell', Q, 3, EURUSD.point)).toBeCloseTo(1.09997, 12);
    expect(commissionOf(0.5, { slippagePoints: 0, commissionPerLot: 7 })).toBe(3.5);
  });

  it('limit orders fill at the limit or better, stops as market orders once touched', () => {
    expect(pendingFillPrice({ side: 'buy', type: 'limit', price: 1.09 }, Q, 0, 1e-5)).toBeNull();
    expect(pendingFillPrice({ side: 'buy', type: 'limit', price: 1.09 }, { bid: 1.0895, ask: 1.0897 }, 0, 1e-5)).toBe(1.0897);
    expect(pendingFillPrice({ side: 'sell', type: 'limit', price: 1.11 }, { bid: 1.11, ask: 1.1102 }, 0, 1e-5)).toBe(1.11);
    expect(pendingFillPrice({ side: 'buy', type: 'stop', price: 1.11 }, { bid: 1.1099, ask: 1.1101 }, 0, 1e-5)).toBe(1.1101);
    expect(pendingFillPrice({ side: 'sell', type: 'stop', price: 1.09 }, Q, 0, 1e-5)).toBeNull();
  });

  it('SL/TP trigger on the closing side of the quote', () => {
    const long = { side: 'buy' as const, sl: 1.095, tp: 1.11 };
    expect(protectiveTrigger(long, Q, 0, 1e-5)).toBeNull();
    expect(protectiveTrigger(long, { bid: 1.095, ask: 1.0952 }, 0, 1e-5)).toEqual({ reason: 'sl', price: 1.095 });
    expect(protectiveTrigger(long, { bid: 1.11, ask: 1.1102 }, 0, 1e-5)).toEqual({ reason: 'tp', price: 1.11 });
    const short = { side: 'sell' as const, sl: 1.105, tp: 1.09 };
    // The ask (not the bid) closes a short: bid 1.1049 / ask 1.1051 hits the 1.105 stop.
    expect(protectiveTrigger(short, { bid: 1.1049, ask: 1.1051 }, 0, 1e-5)).toEqual({ reason: 'sl', price: 1.1051 });
    expect(protectiveTrigger(short, { bid: 1.0898, ask: 1.09 }, 0, 1e-5)).toEqual({ reason: 'tp', price: 1.09 });
  });

  it('trailing stops move only in profit and never back', () => {
    const p = { side: 'buy' as const, priceOpen: 1.1, sl: null as number | null, trailing: 0.002 };
    expect(trailedStop(p, { bid: 1.101, ask: 1.1012 })).toBeNull(); // 1.099 < open
    expect(trailedStop(p, { bid: 1.103, ask: 1.1032 })).toBeCloseTo(1.101, 12);
    expect(trailedStop({ ...p, sl: 1.101 }, { bid: 1.1025, ask: 1.1027 })).toBeNull();
    expect(trailedStop({ side: 'sell', priceOpen: 1.1, sl: 1.099, trailing: 0.002 }, { bid: 1.0948, ask: 1.095 })).toBeCloseTo(1.097, 12);
  });
});

describe('request fingerprint', () => {
  it('ignores key order and defaults the account; differs on any field', () => {
    const a = requestHash({ symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.1 }, null);
    const b = requestHash({ volume: 0.1, type: 'market', side: 'buy', symbol: 'EURUSD', account: 'paper' }, undefined);
    expect(a).toBe(b);
    expect(requestHash({ symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.2 }, null)).not.toBe(a);
    expect(requestHash({ symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.1 }, 'd1')).not.toBe(a);
  });
});
