import { BusinessIntelligenceAgent } from '../../../agents/monitoring/business-intelligence/business-intelligence.agent';
import { UserExperienceAgent } from '../../../agents/monitoring/user-experience/user-experience.agent';
import { checkOpinion, toProbabilities } from '../../../lib/agents/opinion';
import type { Decision } from '../../../types/agents';
import type { SpanBatch, SpanRecord } from '../../../types/flowchain';
import type { Order } from '../../../types/trading';

const T = Date.UTC(2024, 4, 8, 14, 0);
let n = 0;

/** One REST request of a tenant as the tracer reports it: the route's http span and the action below it that carries the tenant. */
function request(tenantId: string, start: number, durationMs: number, code?: number): SpanRecord[] {
  const id = `h${++n}`;
  const http: SpanRecord = { id, traceId: `t${n}`, parentId: null, kind: 'http', name: 'POST /api/v1/decisions', op: 'POST /api/v1/decisions', service: 'api', node: 'n', tenantId: null, start, duration: durationMs, error: code ? { name: 'E', message: 'x', code } : null };
  const child: SpanRecord = { id: `a${n}`, traceId: `t${n}`, parentId: id, kind: 'action', name: 'consensus.decide', op: 'consensus.decide', service: 'consensus', node: 'n', tenantId, start: start + 1, duration: durationMs - 2, error: null };
  return [child, http];
}

const batch = (spans: SpanRecord[]): { type: 'flowchain.spans'; batch: SpanBatch } => ({ type: 'flowchain.spans', batch: { node: 'n', spans } });
const q = (tenantId: string) => ({ symbol: 'EURUSD', tf: 'M1' as const, tenantId, asOf: T });
function decision(tenantId: string, asOf: number, symbol = 'EURUSD'): Decision {
  return { id: `${tenantId}-${asOf}-${symbol}`, tenantId, symbol, tf: 'M1', asOf, action: 'hold', p: toProbabilities(0, 0), confidence: 0, method: 'bayesian', fusions: [], opinions: [], abstained: [], vetoes: [], latencyMs: 1, traceId: null };
}

describe('user-experience agent', () => {
  it('measures each tenant’s own API latency and errors from spans and flags degraded service', () => {
    const a = new UserExperienceAgent();
    const spans: SpanRecord[] = [];
    for (let i = 0; i < 25; i++) spans.push(...request('ta', T - 100_000 + i * 1000, 20 + i));
    for (let i = 0; i < 5; i++) spans.push(...request('ta', T - 50_000 + i * 1000, 30, 500));
    for (let i = 0; i < 30; i++) spans.push(...request('tb', T - 40_000 + i * 100, 15));
    a.update(batch(spans));
    const r = a.report('ta');
    expect(r).toMatchObject({ requests: 30, p50Ms: 30, serverErrorRate: 5 / 30, rateLimitedShare: 0 });
    const o = a.opine(q('ta'));
    expect(checkOpinion(o)).toEqual([]);
    expect(o).toMatchObject({ signal: 0, confidence: 0 });
    expect(o.veto).toBeUndefined();
    expect(o.advisory).toEqual([{ code: 'api_degraded', level: 'warn', message: 'service degraded for this tenant: 16.7% server errors (limit 5%) over 30 requests' }]);
    // the other tenant's requests are fine, and are its own
    expect(a.report('tb')).toMatchObject({ requests: 30, serverErrorRate: 0 });
    expect(a.opine(q('tb')).advisory).toEqual([]);
    // more failures → critical
    a.update(batch(Array.from({ length: 20 }, (_, i) => request('ta', T - 20_000 + i * 100, 30, 503)).flat()));
    expect(a.opine(q('ta')).advisory![0].level).toBe('critical');
  });

  it('advises backing off when the rate limiter refuses requests, and a digest when notifications pile up', () => {
    const a = new UserExperienceAgent();
    a.update(batch([...Array.from({ length: 20 }, (_, i) => request('ta', T - 60_000 + i * 10, 12)).flat(), ...Array.from({ length: 10 }, (_, i) => request('ta', T - 30_000 + i * 10, 1, 429)).flat()]));
    for (let i = 0; i < 70; i++) a.update({ type: 'notification.sent', notification: { tenantId: 'ta', channel: 'telegram', kind: 'decision', time: T - 3_000_000 + i * 40_000 } });
    const codes = a.opine(q('ta')).advisory!.map((x) => x.code);
    expect(codes).toEqual(['rate_limited', 'throttle_notifications']);
    expect(a.report('ta').p95Ms).toBe(12 + 0); // refused requests do not flatter the latency
    const b = new UserExperienceAgent();
    for (let i = 0; i < 150; i++) b.update({ type: 'decision.made', decision: decision('tc', T - 3_000_000 + i * 20_000) });
    expect(b.opine(q('tc')).advisory).toEqual([{ code: 'throttle_notifications', level: 'info', message: '150 decisions in the last hour: notify on changes of action only' }]);
  });

  it('counts the last hour exactly when times arrive out of order, forgets older ones, and keeps at most 10,000', () => {
    const a = new UserExperienceAgent();
    const at = (t: number) => a.update({ type: 'decision.made', decision: decision('td', t) });
    for (let i = 0; i < 50; i++) at(T - 2 * 3_600_000 - i * 1000); // two hours before
    const recent = Array.from({ length: 40 }, (_, i) => T - 3_500_000 + i * 80_000);
    for (const t of [...recent.filter((_, i) => i % 2 === 1), ...recent.filter((_, i) => i % 2 === 0)]) at(t); // odd ones first
    expect(a.report('td').decisionsLastHour).toBe(40);
    at(T + 200_000); // moves the hour: the first recent ones (up to T − 3,400,000) drop out
    expect(a.report('td').decisionsLastHour).toBe(40 + 1 - recent.filter((t) => t <= T + 200_000 - 3_600_000).length);
    const busy = new UserExperienceAgent();
    for (let i = 0; i < 25_000; i++) busy.update({ type: 'decision.made', decision: decision('te', T - 3_000_000 + i * 100) });
    expect(busy.report('te').decisionsLastHour).toBe(10_000);
  });
});

describe('business-intelligence agent', () => {
  const order = (tenantId: string, id: string, createdAt: number) => ({ type: 'order.accepted' as const, order: { id, tenantId, createdAt } as unknown as Order });

  it('measures usage against the plan and advises before the allowance runs out', () => {
    const a = new BusinessIntelligenceAgent();
    a.setTenants([
      { id: 'free1', name: 'Free One', tier: 'free', createdAt: 0 },
      { id: 'pro1', name: 'Pro One', tier: 'pro', createdAt: 0 },
      { id: 'pro2', name: 'Pro Two', tier: 'pro', createdAt: 0 },
    ]);
    for (let i = 0; i < 45; i++) a.update(order('free1', `o${i}`, T + i * 1000));
    for (const s of ['EURUSD', 'GBPUSD', 'XAUUSD']) a.update({ type: 'decision.made', decision: decision('free1', T, s) });
    a.update({ type: 'decision.made', decision: decision('pro1', T) });
    a.update(order('pro1', 'p1', T));
    let o = a.opine(q('free1'));
    expect(checkOpinion(o)).toEqual([]);
    expect(o.advisory!.map((x) => `${x.code}:${x.level}`)).toEqual(['order_allowance:warn', 'symbol_allowance:warn', 'upgrade:info']);
    expect(o.advisory![0].message).toBe('45 of 50 orders allowed per day on the Free plan used today (the Pro plan allows more)');
    for (let i = 45; i < 50; i++) a.update(order('free1', `o${i}`, T + i * 1000));
    o = a.opine(q('free1'));
    expect(o.advisory![0]).toMatchObject({ code: 'order_allowance', level: 'critical' });
    expect(a.opine(q('pro1')).advisory).toEqual([]);
    // requests: the busiest minute against the plan's rate
    a.update(batch(Array.from({ length: 100 }, (_, i) => request('free1', T + 120_000 + i * 100, 5)).flat()));
    expect(a.usageOf('free1').peakRequestsPerMinute).toBe(100);
    expect(a.opine(q('free1')).advisory!.map((x) => x.code)).toContain('rate_allowance');
  });

  it('reports active tenants, decisions and orders per tier, and list-price MRR', () => {
    const a = new BusinessIntelligenceAgent();
    a.setTenants([
      { id: 'free1', name: 'F', tier: 'free', createdAt: 0 },
      { id: 'pro1', name: 'P1', tier: 'pro', createdAt: 0 },
      { id: 'pro2', name: 'P2', tier: 'pro', createdAt: 0 },
      { id: 'ent1', name: 'E', tier: 'enterprise', createdAt: 0 },
    ]);
    a.update({ type: 'decision.made', decision: decision('pro1', T - 3 * 86_400_000) }); // three days ago: not active now
    a.update({ type: 'decision.made', decision: decision('pro2', T) });
    a.update({ type: 'decision.made', decision: decision('ent1', T) });
    a.update(order('ent1', 'e1', T));
    a.update(order('ent1', 'e2', T));
    const r = a.report();
    expect(r).toMatchObject({ day: '2024-05-08', tenants: 4, activeTenants: 2, mrr: { usd: 2 * 49 + 499, idr: 2 * 790_000 + 7_990_000, basis: 'list price' } });
    expect(r.byTier.pro).toMatchObject({ tenants: 2, active: 1, decisionsToday: 1, ordersToday: 0 });
    expect(r.byTier.enterprise).toMatchObject({ tenants: 1, active: 1, decisionsToday: 1, ordersToday: 2 });
    expect(r.byTier.free).toMatchObject({ tenants: 1, active: 0 });
  });
});
