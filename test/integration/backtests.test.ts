/** Backtest jobs over REST on real PostgreSQL: queue, progress events, result equal to the library's, tenant isolation, bad input. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Context } from 'moleculer';
import { setConfig } from '../../config';
import { parseBarsCsv } from '../../lib/backtest/csv-bars';
import { runBacktest } from '../../lib/backtest/engine';
import { computeStats } from '../../lib/backtest/stats';
import { parseLeanTicks } from '../../lib/market/lean';
import { getMigratedDb } from '../../lib/storage/connect';
import { createStrategy, parseParamString } from '../../lib/strategies/registry';
import { DATA_BUNDLE_DIR, SHARED_DATA_DIR } from '../../paths';
import { Platform, startPlatform } from '../../runner';
import { createApiKey, createTenant } from '../../services/users/tenants';
import { http } from '../helpers/http';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';

const GOOG = fs.readFileSync(path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv'), 'utf8');

describe('backtests over REST', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let base: string;
  let keyA: string;
  let keyB: string;
  let tenantA: string;
  const events: { event: string; params: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('bt');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,users,storage,market-data,backtests', TICK_TOLERANCE_MS: '3600000' }));
    p = await startPlatform(cfg);
    p.broker.createService({
      name: 'probe',
      events: {
        'backtest.*'(ctx: Context<Record<string, unknown>>) {
          events.push({ event: ctx.eventName as string, params: ctx.params });
        },
      },
    });
    const db = await getMigratedDb(cfg);
    const a = await createTenant(db, 'A', 'pro');
    const b = await createTenant(db, 'B', 'pro');
    tenantA = a.id;
    keyA = (await createApiKey(db, a.id)).key;
    keyB = (await createApiKey(db, b.id)).key;
    base = `http://127.0.0.1:${(await p.broker.call<{ port: number }, object>('api.address', {})).port}`;
  });
  afterAll(async () => {
    await p?.stop();
    await tdb?.drop();
  });

  async function finished(id: string, key: string) {
    for (let i = 0; i < 200; i++) {
      const r = await http(base, 'GET', `/api/v1/backtests/${id}`, { key });
      if (r.body.status === 'done' || r.body.status === 'failed') return r.body;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`backtest ${id} did not finish`);
  }

  it('runs a CSV job to the same result as the library, with progress events for the tenant', async () => {
    const r = await http(base, 'POST', '/api/v1/backtests', { key: keyA, body: { strategy: 'sma-cross', params: 'fast=10,slow=30', csv: GOOG, cash: 10_000, finalizeTrades: true } });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`/api/v1/backtests/${r.body.id}`);
    expect(r.body.topic).toBe(`backtests:${r.body.id}`);
    const job = await finished(r.body.id, keyA);
    expect(job.status).toBe('done');

    const bars = parseBarsCsv(GOOG);
    const lib = runBacktest(bars, createStrategy('sma-cross', parseParamString('fast=10,slow=30')).strategy, { cash: 10_000, finalizeTrades: true });
    const stats = computeStats({ t: bars.t, close: bars.c, equity: lib.equity, trades: lib.trades, warmupBars: lib.warmupBars });
    expect(job.result.stats.trades).toBe(stats.trades);
    expect(job.result.stats.equityFinal).toBe(stats.equityFinal);
    expect(job.result.trades).toHaveLength(lib.trades.length);
    expect(job.result.equity).toHaveLength(bars.length);

    const mine = events.filter((e) => e.params.id === r.body.id);
    expect(mine.map((e) => e.event)).toEqual(expect.arrayContaining(['backtest.started', 'backtest.progress', 'backtest.done']));
    expect(mine.every((e) => e.params.tenantId === tenantA)).toBe(true);
    const last = mine.filter((e) => e.event === 'backtest.progress').pop()!;
    expect(last.params.pct).toBe(100);
  });

  it('backtests stored candles of a symbol', async () => {
    const text = fs.readFileSync(path.join(DATA_BUNDLE_DIR, 'lean', 'forex', 'oanda', 'tick', 'eurusd', '20140508_eurusd_tick_quote.csv'), 'utf8');
    const ticks = parseLeanTicks(text, 'EURUSD', Date.UTC(2014, 4, 8)).slice(0, 20_000);
    for (let i = 0; i < ticks.length; i += 5000) await p.broker.call('market-data.ingest', { source: 't', ticks: ticks.slice(i, i + 5000) });
    const r = await http(base, 'POST', '/api/v1/backtests', { key: keyA, body: { strategy: 'sma-cross', params: 'fast=3,slow=8', symbol: 'EURUSD', tf: 'M1', cash: 100_000 } });
    expect(r.status).toBe(202);
    const job = await finished(r.body.id, keyA);
    expect(job.status).toBe('done');
    expect(job.result.equity.length).toBeGreaterThan(100);
    expect(job.result.stats.trades).toBeGreaterThan(0);
  });

  it("never shows one tenant's job to another", async () => {
    const r = await http(base, 'POST', '/api/v1/backtests', { key: keyA, body: { strategy: 'rsi-reversion', csv: GOOG } });
    await finished(r.body.id, keyA);
    expect((await http(base, 'GET', `/api/v1/backtests/${r.body.id}`, { key: keyB })).status).toBe(404);
    const list = await http(base, 'GET', '/api/v1/backtests', { key: keyB });
    expect(list.body.items.map((j: { id: string }) => j.id)).not.toContain(r.body.id);
    expect((await http(base, 'GET', '/api/v1/backtests', { key: keyA })).body.items.map((j: { id: string }) => j.id)).toContain(r.body.id);
  });

  it.each([
    ['unknown strategy', { strategy: 'nope', csv: GOOG }, 422, 'VALIDATION_ERROR'],
    ['fast ≥ slow', { strategy: 'sma-cross', params: 'fast=30,slow=10', csv: GOOG }, 422, 'BAD_STRATEGY_PARAMS'],
    ['no data source', { strategy: 'sma-cross' }, 422, 'VALIDATION_ERROR'],
    ['a malformed CSV', { strategy: 'sma-cross', csv: 'time,open\nx,1' }, 422, 'BAD_CSV'],
    ['commission 0.5', { strategy: 'sma-cross', csv: GOOG, commission: 0.5 }, 422, 'VALIDATION_ERROR'],
  ])('rejects %s and queues nothing', async (_what, body, status, code) => {
    const before = (await http(base, 'GET', '/api/v1/backtests', { key: keyB })).body.items.length;
    const r = await http(base, 'POST', '/api/v1/backtests', { key: keyB, body });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect((await http(base, 'GET', '/api/v1/backtests', { key: keyB })).body.items.length).toBe(before);
  });
});
