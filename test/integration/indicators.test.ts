/**
 * The indicators service on a real broker with real PostgreSQL, market-data,
 * api and users: part of the Lean EURUSD day is ingested, REST values equal
 * lib/indicators batch over the same candles (grouped independently from the
 * ticks), values advance as more candles close (streamed, not re-warmed), the
 * forming bar on request, and bad parameters give the right statuses.
 */
import * as fs from 'node:fs';
import type { ServiceBroker } from 'moleculer';
import { replCommands } from '../../cli/repl-commands';
import { setConfig } from '../../config';
import { createIndicator } from '../../lib/indicators';
import type { Output } from '../../lib/indicators/types';
import { leanFileDate, parseLeanTicks } from '../../lib/market/lean';
import { getMigratedDb } from '../../lib/storage/connect';
import { Platform, startPlatform } from '../../runner';
import type { IngestReply } from '../../services/market-data/market-data';
import type { LatestResponse, ValuesResponse } from '../../services/indicators/indicators.service';
import { createApiKey, createTenant } from '../../services/users/tenants';
import type { Tick } from '../../types/market';
import { http } from '../helpers/http';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { GroupedBar, groupBy, LEAN_EURUSD } from '../helpers/lean';

const DAY = leanFileDate(LEAN_EURUSD);
const TICKS: Tick[] = parseLeanTicks(fs.readFileSync(LEAN_EURUSD, 'utf8'), 'EURUSD', DAY);
const H = 3_600_000;
const part = (fromH: number, toH: number) => TICKS.filter((t) => t.time_msc >= DAY + fromH * H && t.time_msc < DAY + toH * H);

async function ingest(broker: ServiceBroker, ticks: Tick[]): Promise<void> {
  for (let i = 0; i < ticks.length; i += 5000) {
    const r = await broker.call<IngestReply, object>('market-data.ingest', { source: 'test:1@Lean', ticks: ticks.slice(i, i + 5000) });
    expect(r.accepted).toBe(Math.min(5000, ticks.length - i));
  }
}

/** Batch values of `spec` over `bars`, per bar as the stream gives them (number, object or null). */
function batch(spec: string, bars: GroupedBar[]): (Output | null)[] {
  const ind = createIndicator(spec);
  const cols = ind.input === 'scalar' ? ind.compute(bars.map((b) => b.c)) : ind.compute(bars.map((b) => ({ ...b, v: 0 })));
  return bars.map((_, i) => {
    if (ind.outputs.length === 1) return cols[ind.outputs[0]][i];
    if (cols[ind.outputs[0]][i] === null) return null;
    return Object.fromEntries(ind.outputs.map((k) => [k, cols[k][i] as number]));
  });
}

const SPECS = [
  ['rsi:14', 'RSI_14', 14],
  ['macd:12:26:9', 'MACD_12_26_9', 33],
  ['bbands:20:2', 'BBANDS_20_2', 19],
] as const;
const SET = SPECS.map((s) => s[0]).join(',');

describe('indicators service over REST', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let base: string;
  let key: string;
  const get = <T>(path: string) => http<T>(base, 'GET', path, { key });
  // Closed M1 bars after the first ingest (00:00–06:00; the 05:59 bar is still forming).
  let m1: GroupedBar[];
  let m1Closed: number;

  beforeAll(async () => {
    tdb = await createTestDatabase('ind');
    // A tolerance of an hour keeps market-data's timer from closing the forming bar of 2014 data during the test.
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'storage,market-data,indicators,api,users', TICK_TOLERANCE_MS: '3600000' }));
    p = await startPlatform(cfg);
    const addr = await p.broker.call<{ port: number }, object>('api.address', {});
    base = `http://127.0.0.1:${addr.port}`;
    const db = await getMigratedDb(cfg);
    key = (await createApiKey(db, (await createTenant(db, 'Quant', 'pro')).id)).key;
    await ingest(p.broker, part(0, 6));
    m1 = groupBy(part(0, 6), 60_000);
    m1Closed = m1.length - 1;
  });
  afterAll(async () => {
    await p?.stop();
    await tdb?.drop();
  });

  it('serves the last `limit` closed M1 bars with values equal to batch over the warm-up window', async () => {
    const r = await get<ValuesResponse>(`/api/v1/indicators?symbol=EURUSD&tf=M1&set=${SET}&limit=50`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ symbol: 'EURUSD', tf: 'M1', set: ['RSI_14', 'MACD_12_26_9', 'BBANDS_20_2'], nextCursor: null });
    const items = r.body.items;
    expect(items.map((i) => i.t)).toEqual(m1.slice(m1Closed - 50, m1Closed).map((b) => b.t));
    expect(items[49].iso).toBe(new Date(m1[m1Closed - 1].t).toISOString());
    for (const [spec, id, lookback] of SPECS) {
      // warmed from the newest lookback + 100 closed bars (100: the minimum kept)
      const want = batch(spec, m1.slice(m1Closed - lookback - 100, m1Closed)).slice(-50);
      expect(items.map((i) => i.values[id])).toEqual(want);
    }
    expect(typeof items[49].values.RSI_14).toBe('number');
    expect(items[49].values.BBANDS_20_2).toEqual({ upper: expect.any(Number), middle: expect.any(Number), lower: expect.any(Number) });
  });

  it('keeps timeframes apart and shows null during warm-up when history is short', async () => {
    const m5 = groupBy(part(0, 6), 300_000);
    const closed = m5.slice(0, -1); // 71 bars: fewer than lookback + 100, so the whole history
    const r = await get<ValuesResponse>(`/api/v1/indicators?symbol=EURUSD&tf=M5&set=sma:20,macd&limit=200`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((i) => i.t)).toEqual(closed.map((b) => b.t));
    expect(r.body.items.map((i) => i.values.SMA_20)).toEqual(batch('sma:20', closed));
    expect(r.body.items.map((i) => i.values.MACD_12_26_9)).toEqual(batch('macd:12:26:9', closed));
    expect(r.body.items[18].values.SMA_20).toBeNull();
    expect(r.body.items[19].values.SMA_20).not.toBeNull();
  });

  it('advances as more candles close, streaming from the same warm-up (no re-warm)', async () => {
    const before = await get<ValuesResponse>(`/api/v1/indicators?symbol=EURUSD&tf=M1&set=${SET}&limit=50`);
    await ingest(p.broker, part(6, 9));
    const all = groupBy(part(0, 9), 60_000);
    const closedNow = all.length - 1;
    expect(closedNow).toBeGreaterThan(m1Closed + 100);
    const r = await get<ValuesResponse>(`/api/v1/indicators?symbol=EURUSD&tf=M1&set=${SET}&limit=50`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((i) => i.t)).toEqual(all.slice(closedNow - 50, closedNow).map((b) => b.t));
    expect(r.body.items[49].t).toBeGreaterThan(before.body.items[49].t);
    for (const [spec, id, lookback] of SPECS) {
      const want = batch(spec, all.slice(m1Closed - lookback - 100, closedNow)).slice(-50);
      expect(r.body.items.map((i) => i.values[id])).toEqual(want);
    }
    const st = await p.broker.call<{ items: { id: string; tf: string; bars: number; lastT: number }[] }, object>('indicators.status', {});
    const rsi = st.items.find((i) => i.id === 'RSI_14' && i.tf === 'M1');
    expect(rsi).toMatchObject({ bars: closedNow - (m1Closed - 114), lastT: all[closedNow - 1].t });
  });

  it('includes the forming bar only on request, computed as if it closed now', async () => {
    const all = groupBy(part(0, 9), 60_000);
    const forming = all[all.length - 1];
    const r = await get<ValuesResponse>(`/api/v1/indicators?symbol=EURUSD&tf=M1&set=rsi:14&limit=3&includeForming=true`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((i) => [i.t, i.forming ?? false])).toEqual([
      [all[all.length - 3].t, false],
      [all[all.length - 2].t, false],
      [forming.t, true],
    ]);
    expect(r.body.items[2].values.RSI_14).toBe(batch('rsi:14', all.slice(m1Closed - 114)).at(-1));
    const plain = await get<ValuesResponse>(`/api/v1/indicators?symbol=EURUSD&tf=M1&set=rsi:14&limit=3`);
    expect(plain.body.items.map((i) => i.t)).toEqual(all.slice(-4, -1).map((b) => b.t));
    expect(plain.body.items[2].values.RSI_14).toBe(batch('rsi:14', all.slice(m1Closed - 114, -1)).at(-1));
  });

  it('latest: the newest closed bar, over REST and as an action', async () => {
    const all = groupBy(part(0, 9), 60_000);
    const last = all[all.length - 2];
    const r = await get<LatestResponse>(`/api/v1/indicators/latest?symbol=EURUSD&tf=M1&set=rsi:14,macd:12:26:9`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ symbol: 'EURUSD', tf: 'M1', set: ['RSI_14', 'MACD_12_26_9'], t: last.t, iso: new Date(last.t).toISOString() });
    expect(r.body.values.RSI_14).toBe(batch('rsi:14', all.slice(m1Closed - 114, -1)).at(-1));
    const a = await p.broker.call<LatestResponse, object>('indicators.latest', { symbol: 'EURUSD', tf: 'H1', set: 'sma:3' });
    const h1 = groupBy(part(0, 9), H).slice(0, -1);
    expect(a).toMatchObject({ t: h1[h1.length - 1].t, values: { SMA_3: batch('sma:3', h1).at(-1) } });
  });

  it.each([
    ['unknown symbol', 'symbol=XAUUSD&tf=M1&set=rsi:14', 404, 'UNKNOWN_SYMBOL', /unknown symbol XAUUSD; known: EURUSD/],
    ['malformed symbol', 'symbol=EUR%20USD&tf=M1&set=rsi:14', 422, 'VALIDATION_ERROR', /invalid/],
    ['bad timeframe', 'symbol=EURUSD&tf=M2&set=rsi:14', 422, 'VALIDATION_ERROR', /invalid/],
    ['unknown indicator', 'symbol=EURUSD&tf=M1&set=rsi:14,foo:3', 422, 'UNKNOWN_INDICATOR', /spec "foo:3"/],
    ['period 0', 'symbol=EURUSD&tf=M1&set=sma:0', 422, 'BAD_PARAM', /spec "sma:0"/],
    ['negative period', 'symbol=EURUSD&tf=M1&set=rsi:-3', 422, 'BAD_PARAM', /spec "rsi:-3"/],
    ['limit above 10,000', 'symbol=EURUSD&tf=M1&set=rsi:14&limit=10001', 422, 'VALIDATION_ERROR', /invalid/],
    ['limit 0', 'symbol=EURUSD&tf=M1&set=rsi:14&limit=0', 422, 'VALIDATION_ERROR', /invalid/],
    ['no set', 'symbol=EURUSD&tf=M1', 422, 'VALIDATION_ERROR', /invalid/],
  ])('%s: %s → %d', async (_what, query, status, code, msg) => {
    const r = await get<{ error: { code: string; message: string; data?: { known?: string[] } } }>(`/api/v1/indicators?${query}`);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message).toMatch(msg);
    if (status === 404) expect(r.body.error.data?.known).toEqual(['EURUSD']);
  });

  it('REPL: `indicators <symbol> [tf] [set]` prints the last 10 closed bars', async () => {
    const cmd = replCommands().find((c) => c.command.startsWith('indicators '));
    expect(cmd).toBeDefined();
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    try {
      await cmd!.action(p.broker, { symbol: 'EURUSD', tf: 'M1', set: 'rsi:14,bbands' }, { table: (rows) => rows.map((r) => r.join(' | ')).join('\n') });
    } finally {
      spy.mockRestore();
    }
    const lines = out.join('').trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('time (UTC) | RSI_14 | BBANDS_20_2');
    const all = groupBy(part(0, 9), 60_000);
    const rsi = batch('rsi:14', all.slice(m1Closed - 114, -1)).at(-1) as number;
    expect(lines[10]).toMatch(new RegExp(`^${new Date(all[all.length - 2].t).toISOString()} \\| ${Number(rsi.toPrecision(8))} \\| upper=[\\d.]+ middle=[\\d.]+ lower=[\\d.]+$`));
  });

  it('needs an API key', async () => {
    const r = await http(base, 'GET', '/api/v1/indicators?symbol=EURUSD&tf=M1&set=rsi:14');
    expect(r.status).toBe(401);
  });
});
