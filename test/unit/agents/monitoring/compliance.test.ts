import { ComplianceAgent, inWindow } from '../../../../agents/monitoring/compliance/compliance.agent';
import { checkOpinion } from '../../../../lib/agents/opinion';

const T = Date.UTC(2014, 4, 8, 12, 30);

function agent() {
  const a = new ComplianceAgent();
  a.update({ type: 'positions.updated', snapshot: { tenantId: 't1', equity: 100_000, positions: [], time: Date.UTC(2014, 4, 8, 0, 5) } });
  return a;
}

const veto = (a: ComplianceAgent, symbol = 'EURUSD', asOf = T, tenantId = 't1') => {
  const o = a.opine({ symbol, tf: 'M1', asOf, tenantId });
  expect(checkOpinion(o)).toEqual([]);
  return o.veto?.reason;
};

describe('compliance agent', () => {
  it('passes a tenant without rules, and says so', () => {
    expect(agent().opine({ symbol: 'EURUSD', tf: 'M1', asOf: T, tenantId: 't1' }).rationale).toBe('This tenant has set no compliance rules.');
  });

  it('vetoes a restricted symbol, naming the rule, for that tenant only', () => {
    const a = agent();
    a.configure({ restrictedSymbols: ['eurusd'] }, 't1');
    expect(veto(a)).toBe('restrictedSymbols: EURUSD is restricted for this tenant');
    expect(veto(a, 'GBPUSD')).toBeUndefined();
    expect(veto(a, 'EURUSD', T, 't2')).toBeUndefined();
  });

  it('vetoes outside trading hours, windows may wrap midnight', () => {
    const a = agent();
    a.configure({ tradingHours: ['07:00-16:00'] }, 't1');
    expect(veto(a)).toBeUndefined();
    expect(veto(a, 'EURUSD', Date.UTC(2014, 4, 8, 17, 0))).toBe('tradingHours: 17:00 UTC is outside 07:00-16:00');
    expect(inWindow('22:00-02:00', 23 * 60)).toBe(true);
    expect(inWindow('22:00-02:00', 60)).toBe(true);
    expect(inWindow('22:00-02:00', 12 * 60)).toBe(false);
    expect(() => a.configure({ tradingHours: ['7-16'] }, 't1')).toThrow(/HH:MM/);
  });

  it('vetoes position and gross exposure beyond the limits', () => {
    const a = agent();
    a.configure({ maxPositionPct: 2, maxExposurePct: 3 }, 't1');
    a.update({ type: 'positions.updated', snapshot: { tenantId: 't1', equity: 100_000, positions: [{ symbol: 'EURUSD', notional: -250_000 }, { symbol: 'GBPUSD', notional: 100_000 }], time: T } });
    expect(veto(a)).toBe('maxPositionPct: EURUSD exposure is 2.5× equity, limit 2×; maxExposurePct: gross exposure is 3.5× equity, limit 3×');
    expect(veto(a, 'GBPUSD')).toBe('maxExposurePct: gross exposure is 3.5× equity, limit 3×');
  });

  it('vetoes after the daily loss limit, from the day’s first equity', () => {
    const a = agent();
    a.configure({ maxDailyLossPct: 0.03 }, 't1');
    a.update({ type: 'positions.updated', snapshot: { tenantId: 't1', equity: 96_000, positions: [], time: T } });
    expect(veto(a)).toBe('maxDailyLossPct: down 4% today, limit 3%');
    // a new UTC day starts from its own first equity
    a.update({ type: 'positions.updated', snapshot: { tenantId: 't1', equity: 96_000, positions: [], time: T + 86_400_000 } });
    expect(veto(a, 'EURUSD', T + 86_400_000)).toBeUndefined();
  });

  it('vetoes a burst of orders', () => {
    const a = agent();
    a.configure({ maxOrdersPerMinute: 3 }, 't1');
    for (const s of [10, 20, 30]) a.update({ type: 'order.updated', order: { tenantId: 't1', symbol: 'EURUSD', side: 'buy', volume: 0.1, status: 'accepted', time: T - s * 1000 } });
    expect(veto(a)).toBe('maxOrdersPerMinute: 3 orders in the last minute, limit 3');
    expect(veto(a, 'EURUSD', T + 60_000)).toBeUndefined();
  });

  it('rules belong to a tenant', () => {
    expect(() => new ComplianceAgent().configure({ maxOrdersPerMinute: 1 })).toThrow(/belong to a tenant/);
  });
});
