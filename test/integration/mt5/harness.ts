/**
 * A real broker with the real mt5-gateway service on real PostgreSQL and an
 * ephemeral port. Until the market-data service is on main, a tiny `market-data`
 * peer registered here records what it is asked to ingest (a test double of a
 * peer over the broker, not of our own code).
 */
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../../config';
import { closeDb, getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import type { GatewayOptions } from '../../../mt5-gateway/gateway';
import Mt5GatewayService from '../../../mt5-gateway/gateway.service';
import { createMt5Token } from '../../../mt5-gateway/tokens';
import { createBroker } from '../../../runner';
import type { Tick } from '../../../types/market';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';

export interface MarketDataDouble {
  ticks: Tick[];
  sources: string[];
  batches: number;
  /** Delay each ingest by this long (ms). */
  delayMs: number;
  concurrent: number;
  maxConcurrent: number;
  /** Fail the next N ingest calls. */
  failNext: number;
}

export interface Harness {
  broker: ServiceBroker;
  db: Db;
  port: number;
  tenantId: string;
  token: string;
  md: MarketDataDouble;
  events: { name: string; payload: any; meta: any }[];
  newToken(tenantId?: string, bind?: { login: string; server: string }): Promise<string>;
  stop(): Promise<void>;
}

export async function startHarness(tag: string, gateway: Partial<GatewayOptions> = {}, opts: { marketData?: boolean } = {}): Promise<Harness> {
  const tdb: TestDatabase = await createTestDatabase(tag);
  const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'mt5-gateway', MT5_PORT: '0', HOST: '127.0.0.1' }));
  const db = await getMigratedDb(cfg);
  await db.query("INSERT INTO tenants (id, name) VALUES ('t_test', 'Test tenant'), ('t_other', 'Other tenant')");
  const broker = createBroker(cfg);
  const md: MarketDataDouble = { ticks: [], sources: [], batches: 0, delayMs: 0, concurrent: 0, maxConcurrent: 0, failNext: 0 };
  if (opts.marketData !== false) {
    broker.createService({
      name: 'market-data',
      actions: {
        ingest: {
          params: { source: 'string', ticks: 'array' },
          async handler(ctx: any) {
            md.concurrent++;
            md.maxConcurrent = Math.max(md.maxConcurrent, md.concurrent);
            try {
              if (md.delayMs > 0) await new Promise((r) => setTimeout(r, md.delayMs));
              if (md.failNext > 0) {
                md.failNext--;
                throw new Error('market-data double: failing on purpose');
              }
              md.batches++;
              md.sources.push(ctx.params.source);
              for (const t of ctx.params.ticks as Tick[]) md.ticks.push(t);
              return { accepted: ctx.params.ticks.length, dropped: {} };
            } finally {
              md.concurrent--;
            }
          },
        },
        symbols: {
          params: {},
          handler() {
            const last = new Map<string, number>();
            for (const t of md.ticks) last.set(t.symbol, Math.max(last.get(t.symbol) ?? 0, t.time_msc));
            return { items: [...last].map(([symbol, lastTime]) => ({ symbol, lastTime })) };
          },
        },
      },
    });
  }
  const events: Harness['events'] = [];
  broker.createService({
    name: 'mt5-event-recorder',
    events: {
      'mt5.*': {
        handler(ctx: any) {
          events.push({ name: ctx.eventName, payload: ctx.params, meta: ctx.meta });
        },
      },
    },
  });
  broker.createService({ ...Mt5GatewayService, settings: { ...Mt5GatewayService.settings, gateway: { heartbeatSec: 0.25, helloTimeoutMs: 2000, flushMs: 2, backfillMaxMs: 50 * 365 * 86_400_000, ...gateway } } });
  await broker.start();
  const { port } = await broker.call<{ host: string; port: number }>('mt5-gateway.info');
  const newToken = async (tenantId = 't_test', bind?: { login: string; server: string }) => (await createMt5Token(db, tenantId, 'test', bind)).token;
  return {
    broker,
    db,
    port,
    tenantId: 't_test',
    token: await newToken(),
    md,
    events,
    newToken,
    async stop() {
      await broker.stop();
      await closeDb();
      await tdb.drop();
    },
  };
}

export const EURUSD_SPEC = { name: 'EURUSD.m', digits: 5, point: 0.00001, trade_tick_size: 0.00001, trade_tick_value: 1, trade_contract_size: 100000, volume_min: 0.01, volume_max: 100, volume_step: 0.01, filling_mode: 2, trade_mode: 'full', trade_exemode: 'market', currency_base: 'EUR', currency_profit: 'USD', currency_margin: 'EUR' };

export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
