/**
 * End to end with the real market-data service on real PostgreSQL: a client
 * written from PROTOCOL.md pushes ticks for a new symbol and reads back correct
 * M1 candles; backfill points come from what market-data stored; the replay
 * feed plays the Lean EURUSD day through the whole pipeline.
 */
import * as path from 'node:path';
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../../config';
import { closeDb, getMigratedDb } from '../../../lib/storage/connect';
import Mt5GatewayService from '../../../mt5-gateway/gateway.service';
import { readTickFile, startReplay } from '../../../mt5-gateway/replay';
import { createMt5Token } from '../../../mt5-gateway/tokens';
import { SHARED_DATA_DIR } from '../../../paths';
import { createBroker } from '../../../runner';
import MarketDataService from '../../../services/market-data/market-data.service';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { RawClient } from './raw-client';

const LEAN_EURUSD = path.join(SHARED_DATA_DIR, 'lean/forex/oanda/tick/eurusd/20140508_eurusd_tick_quote.csv');
const OFFSET_MS = 10800 * 1000;

describe('mt5-gateway → real market-data → Postgres', () => {
  let tdb: TestDatabase;
  let broker: ServiceBroker;
  let port: number;
  let token: string;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('mt5pipe');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, HOST: '127.0.0.1', MT5_PORT: '0' }));
    const db = await getMigratedDb(cfg);
    await db.query("INSERT INTO tenants (id, name) VALUES ('t_pipe', 'Pipeline')");
    token = (await createMt5Token(db, 't_pipe', 'e2e')).token;
    broker = createBroker(cfg);
    broker.createService(MarketDataService);
    broker.createService({ ...Mt5GatewayService, settings: { ...Mt5GatewayService.settings, gateway: { heartbeatSec: 1, backfillMaxMs: 50 * 365 * 86_400_000 } } });
    await broker.start();
    port = (await broker.call<{ port: number }, object>('mt5-gateway.info', {})).port;
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await broker.stop();
    await closeDb();
    await tdb.drop();
  });

  it('a PROTOCOL.md client pushes ticks for a new symbol and reads back correct M1 candles, then resumes from the stored point', async () => {
    const c = await RawClient.tcp(port);
    clients.push(c);
    c.hello(token, { login: '700' });
    await c.type('welcome');
    c.send({ type: 'symbols', symbols: [{ name: 'GBPJPY.x', digits: 3, point: 0.001, currency_base: 'GBP', currency_profit: 'JPY' }] });
    expect(await c.type('backfill')).toMatchObject({ symbols: ['GBPJPY.x'], last_time_msc: {} });
    // three minutes of ticks on 2014-05-08 (UTC), sent in the broker's clock (UTC+3), then one tick in the fourth minute
    const m0 = Date.UTC(2014, 4, 8, 10, 0, 0);
    const ticks: [number, number, number][] = [];
    for (let minute = 0; minute < 3; minute++) {
      for (let k = 0; k < 20; k++) {
        const t = m0 + minute * 60_000 + k * 2_900 + 7;
        const bid = 171.2 + minute * 0.05 + ((k * 37) % 11) * 0.004;
        ticks.push([t, Number(bid.toFixed(3)), Number((bid + 0.025).toFixed(3))]);
      }
    }
    ticks.push([m0 + 3 * 60_000 + 500, 171.5, 171.525]);
    for (const [t, bid, ask] of ticks) c.tick('GBPJPY.x', t + OFFSET_MS, bid, ask);
    // independent group-by of the sent ticks: bid-based OHLC and count per minute
    const expected = new Map<number, { o: number; h: number; l: number; c: number; n: number }>();
    for (const [t, bid] of ticks) {
      const m = Math.floor(t / 60_000) * 60_000;
      const e = expected.get(m);
      if (!e) expected.set(m, { o: bid, h: bid, l: bid, c: bid, n: 1 });
      else Object.assign(e, { h: Math.max(e.h, bid), l: Math.min(e.l, bid), c: bid, n: e.n + 1 });
    }
    let items: any[] = [];
    for (let i = 0; i < 100; i++) {
      items = (await broker.call<{ items: any[] }, object>('market-data.candles', { symbol: 'GBPJPY', tf: 'M1', from: m0, limit: 10 })).items;
      if (items.length >= 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(items.map((x) => x.t)).toEqual([...expected.keys()]);
    for (const bar of items.slice(0, 3)) {
      const e = expected.get(bar.t)!;
      expect({ t: bar.t, o: bar.o, h: bar.h, l: bar.l, c: bar.c, n: bar.n }).toEqual({ t: bar.t, ...e });
    }
    // the stored point drives the next session's backfill (server clock)
    c.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const c2 = await RawClient.tcp(port);
    clients.push(c2);
    c2.hello(token, { login: '700' });
    const w = await c2.type('welcome');
    expect(w.last_time_msc).toEqual({ 'GBPJPY.x': ticks[ticks.length - 1][0] + OFFSET_MS });
    const sym = (await broker.call<{ items: any[] }, object>('market-data.symbols', {})).items.find((s) => s.symbol === 'GBPJPY');
    expect(sym).toMatchObject({ ticks: ticks.length, lastTime: ticks[ticks.length - 1][0], digits: 3 });
  }, 30_000);

  it('replays the Lean EURUSD day through the whole pipeline: every tick accounted for, one M1 bar per traded minute', async () => {
    const series = readTickFile(LEAN_EURUSD);
    const minutes = new Set<number>();
    for (let i = 0; i < series.length; i++) minutes.add(Math.floor(series.time[i] / 60_000));
    const s = await startReplay({ file: LEAN_EURUSD, speed: 0, port, token, login: '701' }).done;
    expect(s).toMatchObject({ sent: 87_833, reason: 'end of file', errors: {} });
    let stored: any;
    for (let i = 0; i < 400; i++) {
      stored = (await broker.call<{ items: any[] }, object>('market-data.symbols', {})).items.find((x) => x.symbol === 'EURUSD');
      if (stored?.ticks === 87_833) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // the Lean day has no crossed or backwards quotes: all of it is stored
    expect(stored).toMatchObject({ ticks: 87_833, firstTime: series.time[0], lastTime: series.time[series.length - 1] });
    const gw = await broker.call<any, object>('mt5-gateway.status', {});
    expect(gw.totals.ingested).toBeGreaterThanOrEqual(87_833);
    expect(gw.totals.droppedDownstream).toBe(0);
    const bars = (await broker.call<{ items: any[] }, object>('market-data.candles', { symbol: 'EURUSD', tf: 'M1', from: Date.UTC(2014, 4, 8), limit: 2000 })).items;
    expect(bars).toHaveLength(minutes.size);
    expect(bars[0]).toMatchObject({ t: Date.UTC(2014, 4, 8, 0, 0), o: 1.39101 });
  }, 120_000);
});
