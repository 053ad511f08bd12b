import { ComplianceAgent } from '../../../agents/monitoring/compliance/compliance.agent';
import { checkOpinion } from '../../../lib/agents/opinion';
import { mergeRules, NO_RULES, withinHours } from '../../../lib/compliance/rules';
import type { Order } from '../../../types/trading';

const T = Date.UTC(2024, 4, 8, 14, 30); // a Wednesday, 14:30 UTC
const q = (asOf = T) => ({ symbol: 'EURUSD', tf: 'M1' as const, tenantId: 'ta', asOf });

function order(id: string, createdAt: number): Order {
  return { id, tenantId: 'ta', createdAt } as unknown as Order;
}

function agentWith(rules: Record<string, unknown>): ComplianceAgent {
  const a = new ComplianceAgent();
  a.setRules('ta', mergeRules(NO_RULES, rules));
  return a;
}

let snapTime = T - 100_000;
const book = (equity: number, dayStart: number, positions: { symbol: string; notional: number; volume: number }[]) => ({ type: 'positions.updated' as const, snapshot: { tenantId: 'ta', equity, dayStartEquity: dayStart, positions, time: (snapTime += 1000) } });

describe('compliance rules', () => {
  it('validate every rule and name the bad one', () => {
    expect(() => mergeRules(NO_RULES, { maxLeverage: -2 })).toThrow('compliance rule maxLeverage must be a positive number or null');
    expect(() => mergeRules(NO_RULES, { maxDailyLoss: 5 })).toThrow('compliance rule maxDailyLoss must be a fraction in (0, 1] or null');
    expect(() => mergeRules(NO_RULES, { tradingHours: { days: [1], from: '25:00', to: '10:00' } })).toThrow(/tradingHours/);
    expect(() => mergeRules(NO_RULES, { maxOrdersPerMinute: 2.5 })).toThrow(/whole number/);
    expect(() => mergeRules(NO_RULES, { maxMoon: 1 })).toThrow("unknown compliance rule 'maxMoon'");
    const r = mergeRules(NO_RULES, { restrictedSymbols: ['XAUUSD', 'BTCUSD', 'XAUUSD'], maxLeverage: 10 });
    expect(r.restrictedSymbols).toEqual(['BTCUSD', 'XAUUSD']);
    expect(mergeRules(r, { maxLeverage: null }).maxLeverage).toBeNull();
  });

  it('judge trading hours in UTC, including sessions that wrap past midnight', () => {
    const h = { days: [1, 2, 3, 4, 5], from: '07:00', to: '21:00' };
    expect(withinHours(h, T)).toBe(true);
    expect(withinHours(h, Date.UTC(2024, 4, 8, 21, 0))).toBe(false);
    expect(withinHours(h, Date.UTC(2024, 4, 11, 12, 0))).toBe(false); // Saturday
    const night = { days: [0], from: '22:00', to: '02:00' }; // Sunday 22:00 → Monday 02:00
    expect(withinHours(night, Date.UTC(2024, 4, 12, 23, 0))).toBe(true);
    expect(withinHours(night, Date.UTC(2024, 4, 13, 1, 0))).toBe(true);
    expect(withinHours(night, Date.UTC(2024, 4, 14, 1, 0))).toBe(false);
  });
});

describe('compliance agent', () => {
  it('has nothing to say without rules (and no market view)', () => {
    const o = new ComplianceAgent().opine(q());
    expect(checkOpinion(o)).toEqual([]);
    expect(o).toMatchObject({ signal: 0, confidence: 0, advisory: [] });
    expect(o.veto).toBeUndefined();
  });

  it('vetoes a restricted symbol and trading outside hours, naming each rule', () => {
    const a = agentWith({ restrictedSymbols: ['EURUSD'], tradingHours: { days: [1, 2, 3, 4, 5], from: '08:00', to: '12:00' } });
    const o = a.opine(q());
    expect(checkOpinion(o)).toEqual([]);
    expect(o.veto!.reason).toBe(
      "compliance rule restricted_symbols: EURUSD is on the tenant's restricted list; compliance rule trading_hours: 2024-05-08T14:30Z is outside trading hours 08:00–12:00 UTC (days 1,2,3,4,5)",
    );
    expect(o.advisory!.map((n) => n.code)).toEqual(['restricted_symbols', 'trading_hours']);
    expect(a.opine({ ...q(Date.UTC(2024, 4, 8, 9)), symbol: 'GBPUSD' }).veto).toBeUndefined();
  });

  it('vetoes on the book: daily loss, position size, exposure, leverage — and flags what is near', () => {
    const a = agentWith({ maxDailyLoss: 0.03, maxPositionLots: 2, maxSymbolExposure: 300_000, maxTotalExposure: 1_000_000, maxLeverage: 20 });
    a.update(book(100_000, 101_000, [{ symbol: 'EURUSD', notional: 162_000, volume: 1.5 }]));
    let o = a.opine(q());
    expect(o.veto).toBeUndefined();
    expect(o.advisory).toEqual([]);
    expect(o.features).toMatchObject({ max_daily_loss: expect.closeTo(0.0099, 3), max_position_lots: 1.5, max_leverage: 1.62 });
    a.update(book(100_000, 101_000, [{ symbol: 'EURUSD', notional: 183_600, volume: 1.7 }]));
    expect(a.opine(q()).advisory).toEqual([{ code: 'near_limit', level: 'warn', message: 'max_position_lots: EURUSD position (lots) 1.7 is within the limit of 2' }]);
    a.update(book(97_000, 101_000, [{ symbol: 'EURUSD', notional: -216_000, volume: -2 }, { symbol: 'GBPUSD', notional: 900_000, volume: 7 }]));
    o = a.opine(q());
    const rules = o.advisory!.filter((n) => n.level === 'critical').map((n) => n.code);
    expect(rules).toEqual(['max_daily_loss', 'max_position_lots', 'max_total_exposure']);
    expect(o.veto!.reason).toMatch(/^compliance rule max_daily_loss: today's loss \(fraction of the day's starting equity\) 0.0396 reaches the limit of 0.03; compliance rule max_position_lots: EURUSD position \(lots\) 2 reaches the limit of 2; compliance rule max_total_exposure: total exposure 1,116,000 reaches the limit of 1,000,000$/);
  });

  it('counts orders in the last minute', () => {
    const a = agentWith({ maxOrdersPerMinute: 5 });
    for (let i = 0; i < 5; i++) a.update({ type: 'order.accepted', order: order(`o${i}`, T - 50_000 + i * 10_000) });
    a.update({ type: 'order.filled', order: order('o4', T - 10_000) }); // the same order again: counted once
    expect(a.opine(q()).veto?.reason).toBe('compliance rule max_orders_per_minute: orders in the last minute 5 reaches the limit of 5');
    expect(a.opine(q(T + 15_000)).veto).toBeUndefined(); // the oldest fell out of the minute
  });

  it('turns a veto into a warning while an override is active, and back when it expires', () => {
    const a = agentWith({ restrictedSymbols: ['EURUSD'] });
    a.setOverrides('ta', [{ id: 'ov_1', rule: 'restricted_symbols', symbol: 'EURUSD', until: T + 60_000, reason: 'hedge the ECB exposure', by: 'key:abc' }]);
    const o = a.opine(q());
    expect(o.veto).toBeUndefined();
    expect(o.advisory).toEqual([{ code: 'override_applied', level: 'warn', message: expect.stringMatching(/^restricted_symbols \(override ov_1\): EURUSD is on the tenant's restricted list — overridden by key:abc until 2024-05-08T14:31Z: hedge the ECB exposure$/) }]);
    expect(a.opine(q(T + 60_000)).veto?.reason).toMatch(/^compliance rule restricted_symbols/);
    // another tenant is not affected by ta's rules
    expect(a.opine({ ...q(), tenantId: 'tb' }).veto).toBeUndefined();
  });
});
