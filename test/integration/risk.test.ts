/**
 * risk + trading on a real broker and a real PostgreSQL with an in-test market-data peer:
 * manual orders through POST /orders, decisions from `decision.made`, the named checks as
 * the service runs them, limits, and the report.
 */
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../config';
import { closeDb } from '../../lib/storage/connect';
import { Platform, startPlatform } from '../../runner';
import type { Decision } from '../../types/agents';
import type { Order, OrderIntent, Position, RiskCheckResult } from '../../types/trading';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { createTenants, EventRecorder, MarketDataPeer, sql, until } from '../helpers/trading';

const meta = (tenantId: string, idempotencyKey?: string) => ({ meta: { tenantId, tier: 'pro', role: 'tenant', ...(idempotencyKey ? { idempotencyKey } : {}) } });

let seq = 0;
function decision(tenantId: string, over: Partial<Decision> = {}): Decision {
  return {
    id: `d-${tenantId}-${++seq}`,
    tenantId,
    symbol: 'EURUSD',
    tf: 'M5',
    asOf: Date.now(),
    action: 'buy',
    p: { buy: 0.7, hold: 0.2, sell: 0.1 },
    confidence: 0.7,
    method: 'weighted',
    fusions: [],
    opinions: [],
    abstained: [],
    vetoes: [],
    latencyMs: 1,
    traceId: null,
    ...over,
  };
}

describe('risk service (real PostgreSQL)', () => {
  let db: TestDatabase;
  let p: Platform;
  let broker: ServiceBroker;
  let md: MarketDataPeer;
  let rec: EventRecorder;

  const order = (tenantId: string, key: string, intent: Partial<OrderIntent> = {}) =>
    broker.call<Order & { risk: { checks: RiskCheckResult[] } }, object>('risk.submitOrder', { symbol: 'EURUSD', side: 'buy', volume: 0.1, ...intent }, meta(tenantId, key));
  const rejection = (pr: Promise<unknown>) => pr.then(() => { throw new Error('expected a rejection'); }, (e: { code: number; type: string; message: string; data: { checks?: RiskCheckResult[] } }) => e);
  const failed = (e: { data: { checks?: RiskCheckResult[] } }) => (e.data.checks ?? []).filter((c) => !c.passed).map((c) => c.name);
  const limits = (tenantId: string, patch: Record<string, unknown>) => broker.call('risk.putLimits', patch, meta(tenantId));
  const count = async (text: string, params: unknown[]) => (await sql<{ n: number }>(db.url, text, params))[0].n;

  beforeAll(async () => {
    db = await createTestDatabase('risk');
    const cfg = setConfig(testConfig({ DATABASE_URL: db.url, SERVICES: 'trading,risk' }));
    try {
      p = await startPlatform(cfg);
    } catch (e) {
      await closeDb();
      throw e;
    }
    broker = p.broker;
    md = new MarketDataPeer(broker);
    rec = new EventRecorder(broker, ['order.filled', 'position.changed', 'order.rejected']);
    await broker.waitForServices(['market-data', 'recorder']);
    await createTenants(db.url, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
    await md.tick('EURUSD', 1.1, 1.1001);
    await md.tick('GBPUSD', 1.3, 1.3002);
  });

  afterAll(async () => {
    await p?.stop();
    await db?.drop();
  });

  it('a manual order goes through every check, is submitted with the client key and carries the verdicts', async () => {
    const o = await order('a', 'client-key-1');
    expect(o.status).toBe('accepted');
    expect(o.idempotencyKey).toBe('client-key-1');
    expect(o.risk.checks.map((c) => c.name)).toEqual(['compliance_veto', 'duplicate_decision', 'drawdown_breaker', 'daily_loss', 'orders_per_minute', 'stale_data', 'spread', 'max_position', 'symbol_exposure', 'total_exposure', 'leverage']);
    expect(o.risk.checks.every((c) => c.passed)).toBe(true);
    const stored = await broker.call<Order, object>('trading.getOrder', { id: o.id }, meta('a'));
    expect(stored.risk!.checks).toHaveLength(11);
    // Approved evaluations are written behind the order (which carries the verdicts itself).
    const ev = await until(async () => {
      const rows = await sql(db.url, `SELECT verdict, source, idempotency_key FROM risk_evaluations WHERE tenant_id = 'a'`);
      return rows.length > 0 && rows;
    });
    expect(ev).toEqual([{ verdict: 'approved', source: 'manual', idempotency_key: 'client-key-1' }]);
    // Its checks are stored once, on the order; the log reads them from there.
    expect(await count(`SELECT count(*)::int AS n FROM risk_evaluations WHERE tenant_id = 'a' AND checks IS NULL AND sizing IS NULL`, [])).toBe(1);
    const listed = await broker.call<{ items: { id: string; checks: RiskCheckResult[] }[] }, object>('risk.listEvaluations', {}, meta('a'));
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0].id).toBe(stored.risk!.evaluationId);
    expect(listed.items[0].checks).toEqual(stored.risk!.checks);
  });

  it('POST /orders without an Idempotency-Key is 400 and persists nothing', async () => {
    await expect(broker.call('risk.submitOrder', { symbol: 'EURUSD', side: 'buy', volume: 0.1 }, meta('b'))).rejects.toMatchObject({ code: 400, type: 'IDEMPOTENCY_KEY_REQUIRED' });
    await expect(broker.call('risk.submitOrder', { symbol: 'EURUSD', side: 'buy', volume: 'lots' }, meta('b', 'x'))).rejects.toMatchObject({ code: 422 });
    await expect(order('b', 'bad-step', { volume: 0.123 })).rejects.toMatchObject({ code: 422, message: expect.stringMatching(/volume step/) });
    await expect(order('b', 'bad-sl', { sl: 1.2 })).rejects.toMatchObject({ code: 422, message: expect.stringMatching(/stop loss/) });
    await expect(order('b', 'bad-sym', { symbol: 'ZZZ' })).rejects.toMatchObject({ code: 422, message: expect.stringMatching(/unknown symbol ZZZ/) });
    expect(await count(`SELECT count(*)::int AS n FROM orders WHERE tenant_id = 'b'`, [])).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM risk_evaluations WHERE tenant_id = 'b'`, [])).toBe(0);
  });

  it('100 concurrent POST /orders with one key → one order; another body with that key → 409', async () => {
    const rs = await Promise.all(Array.from({ length: 100 }, () => order('c', 'burst', { volume: 0.2 })));
    expect(new Set(rs.map((r) => r.id)).size).toBe(1);
    expect(rs.filter((r) => !(r as unknown as { replayed: boolean }).replayed)).toHaveLength(1);
    expect(await count(`SELECT count(*)::int AS n FROM orders WHERE tenant_id = 'c'`, [])).toBe(1);
    await rec.wait('order.filled', (e) => (e.order as Order).id === rs[0].id);
    expect(await count(`SELECT count(*)::int AS n FROM fills WHERE tenant_id = 'c'`, [])).toBe(1);
    await expect(order('c', 'burst', { volume: 0.3 })).rejects.toMatchObject({ code: 409, type: 'IDEMPOTENCY_CONFLICT' });
  });

  it('max_position, symbol_exposure, total_exposure and leverage reject with their reasons; nothing reaches trading', async () => {
    await limits('d', { maxPositionLots: 0.5 });
    let e = await rejection(order('d', 'mp', { volume: 0.6 }));
    expect(e).toMatchObject({ code: 422, type: 'RISK_LIMIT' });
    expect(failed(e)).toEqual(['max_position']);
    await limits('d', { maxPositionLots: 10, maxSymbolExposure: 100_000 });
    e = await rejection(order('d', 'se', { volume: 1 }));
    expect(failed(e)).toEqual(['symbol_exposure']);
    await limits('d', { maxSymbolExposure: 200_000, maxTotalExposure: 200_000, maxLeverage: 1 });
    e = await rejection(order('d', 'lev', { volume: 1 }));
    expect(failed(e)).toEqual(['leverage']);
    await limits('d', { maxLeverage: 30, maxTotalExposure: 300_000, maxSymbolExposure: 300_000 });
    await order('d', 'ok1', { volume: 1 });
    e = await rejection(order('d', 'tot', { symbol: 'GBPUSD', volume: 1.5 }));
    expect(failed(e)).toEqual(['total_exposure']);
    expect(await count(`SELECT count(*)::int AS n FROM orders WHERE tenant_id = 'd'`, [])).toBe(1);
    await until(async () => (await count(`SELECT count(*)::int AS n FROM risk_evaluations WHERE tenant_id = 'd'`, [])) === 5);
    const ev = await sql<{ verdict: string; reason: string }>(db.url, `SELECT verdict, reason FROM risk_evaluations WHERE tenant_id = 'd' ORDER BY created_at`);
    expect(ev.map((x) => x.verdict)).toEqual(['rejected', 'rejected', 'rejected', 'approved', 'rejected']);
    expect(ev[0].reason).toMatch(/max_position: EURUSD would hold 0.6 lots, above 0.5/);
  });

  it('orders_per_minute counts approvals', async () => {
    await limits('e', { maxOrdersPerMinute: 2 });
    await order('e', 'r1');
    await order('e', 'r2');
    const e = await rejection(order('e', 'r3'));
    expect(failed(e)).toEqual(['orders_per_minute']);
  });

  it('stale_data and spread', async () => {
    await limits('f', { maxQuoteAgeMs: 5000, maxSpreadPoints: 30 });
    // A symbol never seen on the tick stream with a 10-second-old quote.
    md.quotes.set('NZDUSD', { symbol: 'NZDUSD', bid: 0.6, ask: 0.6001, time_msc: Date.now() - 10_000 });
    let e = await rejection(order('f', 'stale', { symbol: 'NZDUSD' }));
    expect(failed(e)).toEqual(['stale_data']);
    await md.tick('AUDUSD', 0.65, 0.6504); // 40 points
    e = await rejection(order('f', 'wide', { symbol: 'AUDUSD' }));
    expect(failed(e)).toEqual(['spread']);
  });

  it('daily_loss and the drawdown breaker stop new risk but let positions be reduced; the breaker stays latched until reset', async () => {
    await limits('g', { maxDailyLoss: 0.01, maxDrawdown: 0.02, maxPositionLots: 20, maxSymbolExposure: 2_000_000, maxTotalExposure: 3_000_000 });
    const o = await order('g', 'big', { volume: 10 });
    await rec.wait('order.filled', (x) => (x.order as Order).id === o.id);
    await broker.call('trading.book', { tenantId: 'g' }); // marks the peak
    await md.tick('EURUSD', 1.0985, 1.0986); // −15 pips on 10 lots: −1,600 USD ≈ −1.6 %
    let e = await rejection(order('g', 'more'));
    expect(failed(e)).toEqual(['daily_loss']);
    await md.tick('EURUSD', 1.0975, 1.0976); // −2.6 %
    e = await rejection(order('g', 'more2'));
    expect(failed(e)).toEqual(['drawdown_breaker', 'daily_loss']);
    const reduce = await order('g', 'reduce', { side: 'sell', volume: 5 });
    expect(reduce.risk.checks.find((c) => c.name === 'drawdown_breaker')!.reason).toBe('risk-reducing order');
    await rec.wait('order.filled', (x) => (x.order as Order).id === reduce.id);
    await md.tick('EURUSD', 1.1, 1.1001); // price recovers, the breaker does not
    e = await rejection(order('g', 'after'));
    expect(failed(e)).toContain('drawdown_breaker');
    expect(e.data.checks!.find((c) => c.name === 'drawdown_breaker')!.reason).toMatch(/circuit breaker tripped/);
    await limits('g', { resetBreaker: true, maxDailyLoss: null });
    await order('g', 'after-reset');
  });

  it('decisions: non-hold decision.made events become sized paper orders linked to the decision; vetoes and duplicates are refused', async () => {
    const d = decision('h');
    await broker.emit('decision.made', d);
    const filled = (await rec.wait('order.filled', (x) => (x.order as Order).decisionId === d.id)) as { order: Order; position: Position };
    // Default sizing: 1 % of 100,000 at a 200-point stop = 5 lots, SL 200 points below the ask.
    expect(filled.order).toMatchObject({ idempotencyKey: d.id, volume: 5, sl: 1.0981, tp: 1.1041, origin: 'decision' });
    expect(filled.order.risk!.sizing).toMatchObject({ method: 'fixed_fraction', volume: 5 });
    await broker.emit('decision.made', d); // the same decision again
    await broker.emit('decision.made', decision('h', { vetoes: [{ agent: 'compliance', reason: 'news blackout' }] }));
    await broker.emit('decision.made', decision('h', { action: 'hold' }));
    await until(async () => (await count(`SELECT count(*)::int AS n FROM risk_evaluations WHERE tenant_id = 'h'`, [])) === 3);
    const ev = await sql<{ verdict: string; reason: string | null }>(db.url, `SELECT verdict, reason FROM risk_evaluations WHERE tenant_id = 'h' ORDER BY created_at`);
    expect(ev[0].verdict).toBe('approved');
    expect(ev[1].reason).toMatch(/^duplicate_decision/);
    expect(ev[2].reason).toMatch(/compliance_veto: vetoed: compliance: news blackout/);
    expect(await count(`SELECT count(*)::int AS n FROM orders WHERE tenant_id = 'h'`, [])).toBe(1);
    const listed = await broker.call<{ items: { verdict: string }[] }, object>('risk.listEvaluations', { verdict: 'rejected' }, meta('h'));
    expect(listed.items).toHaveLength(2);
  });

  it('contradictory limits are 422 and change nothing', async () => {
    await expect(limits('i', { maxSymbolExposure: 5_000_000, maxTotalExposure: 1_000_000 })).rejects.toMatchObject({ code: 422, type: 'CONTRADICTORY_LIMITS' });
    await expect(limits('i', { maxDailyLoss: 0.5, maxDrawdown: 0.1 })).rejects.toMatchObject({ code: 422 });
    await expect(limits('i', { maxLeverage: -3 })).rejects.toMatchObject({ code: 422 });
    const l = await broker.call<{ limits: { maxSymbolExposure: number } }, object>('risk.getLimits', {}, meta('i'));
    expect(l.limits.maxSymbolExposure).toBe(1_000_000);
    expect(await count(`SELECT count(*)::int AS n FROM risk_limits WHERE tenant_id = 'i'`, [])).toBe(0);
  });

  it('the report shows exposure, VaR/ES, drawdown and scenarios (bundled history for EURUSD/GBPUSD)', async () => {
    const o1 = await order('j', 'r-eur', { volume: 1 });
    const o2 = await order('j', 'r-gbp', { symbol: 'GBPUSD', side: 'sell', volume: 0.5 });
    await rec.wait('order.filled', (x) => (x.order as Order).id === o1.id);
    await rec.wait('order.filled', (x) => (x.order as Order).id === o2.id);
    const r = await broker.call<any, object>('risk.report', { shocks: 'EURUSD -3%, GBPUSD +2%' }, meta('j'));
    expect(r.exposure.bySymbol.map((x: { symbol: string }) => x.symbol).sort()).toEqual(['EURUSD', 'GBPUSD']);
    expect(r.var.source).toMatch(/Lean/);
    expect(r.var.observations).toBe(500);
    for (const L of ['95', '99']) {
      expect(r.var[L].historical.var).toBeGreaterThan(0);
      expect(r.var[L].historical.es).toBeGreaterThanOrEqual(r.var[L].historical.var);
      // Long EUR / short GBP are positively correlated legs: diversified VaR < undiversified.
      expect(r.var[L].parametric.var).toBeLessThan(r.var[L].parametric.undiversified);
      expect(Math.abs(r.var[L].monteCarlo.var - r.var[L].parametric.var) / r.var[L].parametric.var).toBeLessThan(0.02);
    }
    expect(r.var['99'].parametric.var).toBeGreaterThan(r.var['95'].parametric.var);
    const custom = r.scenarios.find((s: { name: string }) => s.name.startsWith('custom'));
    // −3 % on 100,000 EUR at 1.10005 and +2 % on a 50,000 GBP short at 1.3001.
    expect(custom.pnl).toBeCloseTo(-0.03 * 100_000 * 1.10005 - 0.02 * 50_000 * 1.3001, 0);
    const brexit = r.scenarios.find((s: { name: string }) => s.name.startsWith('Brexit'));
    expect(brexit.changes.GBPUSD).toBeCloseTo(-0.0621, 3);
    expect(brexit.bySymbol.GBPUSD).toBeGreaterThan(0); // the GBP short gains
    expect(r.scenarios.some((s: { name: string }) => s.name.startsWith('worst 5-day window'))).toBe(true);
    expect(r.drawdown).toMatchObject({ breaker: null });
    expect(r.checks.byName.find((c: { name: string }) => c.name === 'leverage')).toMatchObject({ failed: 0, total: 2 });
    expect(r.checks.recent).toHaveLength(2);
    expect(r.checks.recent[0]).toMatchObject({ verdict: 'approved', symbol: expect.any(String) });
    expect(r.checks.recent[0].checks).toHaveLength(11);
  });

  it('another tenant sees neither the orders nor the evaluations', async () => {
    const list = await broker.call<{ items: Order[] }, object>('trading.listOrders', {}, meta('k'));
    expect(list.items).toHaveLength(0);
    const evs = await broker.call<{ items: unknown[] }, object>('risk.listEvaluations', {}, meta('k'));
    expect(evs.items).toHaveLength(0);
  });
});
