import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../config';
import { closeDb } from '../../lib/storage/connect';
import { createBroker, loadServices } from '../../runner';
import type { CandleItem, IngestReply, Page, TickItem } from '../../services/market-data/market-data';
import { Candle, TF_MS, Tick, TIMEFRAMES } from '../../types/market';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { groupBy, LEAN_DAY, leanTicks } from '../helpers/lean';

const SOURCE = 't1:5001@Demo-Server';

interface Node {
  broker: ServiceBroker;
  closed: Candle[];
  received: number;
  stop(): Promise<void>;
}

/** A node running market-data plus a listener recording its events. */
async function startNode(dbUrl: string): Promise<Node> {
  const cfg = setConfig(testConfig({ DATABASE_URL: dbUrl, SERVICES: 'market-data' }));
  const broker = createBroker(cfg);
  loadServices(broker, cfg);
  const node: Node = {
    broker,
    closed: [],
    received: 0,
    async stop() {
      await broker.stop();
      await closeDb();
    },
  };
  broker.createService({
    name: 'listener',
    events: {
      'candle.closed'(ctx: { params: Candle }) {
        node.closed.push(ctx.params);
      },
      'ticks.received'(ctx: { params: { symbol: string; ticks: Tick[] } }) {
        node.received += ctx.params.ticks.length;
      },
    },
  });
  await broker.start();
  return node;
}

async function ingestAll(broker: ServiceBroker, ticks: Tick[], batch = 5000): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < ticks.length; i += batch) {
    const r = await broker.call<IngestReply, object>('market-data.ingest', { source: SOURCE, ticks: ticks.slice(i, i + batch) });
    accepted += r.accepted;
  }
  return accepted;
}

async function allCandles(broker: ServiceBroker, tf: string): Promise<CandleItem[]> {
  const items: CandleItem[] = [];
  let cursor: string | undefined;
  let from: number | undefined = LEAN_DAY;
  for (;;) {
    const page = await broker.call<Page<CandleItem>, object>('market-data.candles', { symbol: 'EURUSD', tf, limit: 1000, ...(cursor ? { cursor } : { from }) });
    items.push(...page.items);
    if (!page.nextCursor) return items;
    cursor = page.nextCursor;
    from = undefined;
  }
}

const key = (c: { t: number; tf?: string }) => `${c.tf}/${c.t}`;

describe('market-data service on a real broker and PostgreSQL', () => {
  const day = leanTicks();
  const expected = Object.fromEntries(TIMEFRAMES.map((tf) => [tf, groupBy(day, TF_MS[tf])]));

  describe('one run over the Lean day', () => {
    let tdb: TestDatabase;
    let node: Node;
    beforeAll(async () => {
      tdb = await createTestDatabase('md');
      node = await startNode(tdb.url);
    });
    afterAll(async () => {
      await node?.stop();
      await tdb?.drop();
    });

    it('ingests the day in 5,000-tick batches and serves candles equal to the group-by', async () => {
      expect(await ingestAll(node.broker, leanTicks())).toBe(day.length);
      for (const tf of TIMEFRAMES) {
        const got = await allCandles(node.broker, tf);
        expect(got.map(({ t, o, h, l, c, n }) => ({ t, o, h, l, c, n }))).toEqual(expected[tf]);
        expect(got.slice(0, -1).every((c) => c.closed)).toBe(true);
        expect(got[0].time).toBe(new Date(got[0].t).toISOString());
      }
      // every bar but the still-forming last one of each timeframe was announced once
      const bars = TIMEFRAMES.reduce((n, tf) => n + expected[tf].length - 1, 0);
      expect(node.closed).toHaveLength(bars);
      expect(new Set(node.closed.map(key)).size).toBe(bars);
      expect(node.received).toBe(day.length);
    });

    it('pages ticks across repeated timestamps without losing or repeating one', async () => {
      const from = day[1000].time_msc;
      const to = day[1400].time_msc;
      const want = day.filter((t) => t.time_msc >= from && t.time_msc < to);
      expect(new Set(want.map((t) => t.time_msc)).size).toBeLessThan(want.length); // the range has repeats
      const got: TickItem[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 1000; guard++) {
        const page = await node.broker.call<Page<TickItem>, object>('market-data.ticks', { symbol: 'EURUSD', to: String(to), limit: '3', ...(cursor ? { cursor } : { from: String(from) }) });
        got.push(...page.items);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(got.map((t) => [t.time_msc, t.bid, t.ask])).toEqual(want.map((t) => [t.time_msc, t.bid, t.ask]));
      expect(got[0]).toMatchObject({ source: SOURCE, time: new Date(from).toISOString() });
    });

    it('answers the newest ticks and candles without a range, and CSV on request', async () => {
      const newest = await node.broker.call<Page<TickItem>, object>('market-data.ticks', { symbol: 'EURUSD', limit: 2 });
      expect(newest.items.map((t) => t.time_msc)).toEqual(day.slice(-2).map((t) => t.time_msc));
      expect(newest.nextCursor).toBeNull();
      const h1 = await node.broker.call<Page<CandleItem>, object>('market-data.candles', { symbol: 'EURUSD', tf: 'H1', limit: 3 });
      expect(h1.items.map((c) => c.t)).toEqual(expected.H1.slice(-3).map((c) => c.t));
      const csv = await node.broker.call<string, object>('market-data.candles', { symbol: 'EURUSD', tf: 'M15', limit: 5, format: 'csv' });
      const lines = csv.trim().split('\n');
      expect(lines[0]).toBe('time,t,o,h,l,c,v,n,closed');
      expect(lines).toHaveLength(6);
      const last = expected.M15[expected.M15.length - 1];
      expect(lines[5]).toBe(`${new Date(last.t).toISOString()},${last.t},${last.o},${last.h},${last.l},${last.c},0,${last.n},false`);
    });

    it('reports symbols, the latest quote and feed status', async () => {
      const syms = await node.broker.call<Page<{ symbol: string; ticks: number; firstTime: number; lastTime: number; last: string }>, object>('market-data.symbols', {});
      expect(syms.items).toEqual([expect.objectContaining({ symbol: 'EURUSD', ticks: day.length, firstTime: day[0].time_msc, lastTime: day[day.length - 1].time_msc, last: '2014-05-08T23:59:49.008Z' })]);
      const q = await node.broker.call<{ bid: number; ask: number; time_msc: number }, object>('market-data.latest', { symbol: 'EURUSD' });
      const lastTick = day[day.length - 1];
      expect(q).toMatchObject({ bid: lastTick.bid, ask: lastTick.ask, time_msc: lastTick.time_msc });
      const st = await node.broker.call<{ sources: Record<string, { accepted: number; ticksPerSec: number; lastTickTime: number }>; symbols: Record<string, { accepted: number }> }, object>('market-data.status', {});
      expect(st.sources[SOURCE]).toMatchObject({ accepted: day.length, lastTickTime: lastTick.time_msc });
      expect(st.sources[SOURCE].ticksPerSec).toBeGreaterThan(0);
      expect(st.symbols.EURUSD.accepted).toBe(day.length);
    });

    it('counts and drops bad ticks without failing the batch', async () => {
      const t0 = day[day.length - 1].time_msc;
      const batch = [
        { symbol: 'EURUSD', time_msc: t0 + 10, bid: 1.3842, ask: 1.3843 },
        { symbol: 'EURUSD', time_msc: t0 + 20, bid: 1.3844, ask: 1.3843 },
        { symbol: 'EURUSD', time_msc: t0 - 60_000, bid: 1.3842, ask: 1.3843 },
        { symbol: 'EURUSD', time_msc: t0 + 30, bid: null, ask: 1.3843 },
        { symbol: 'bad symbol!', time_msc: t0 + 40, bid: 1, ask: 2 },
        { symbol: 'EURUSD', time_msc: t0 + 50, bid: -1, ask: 1.3843 },
      ];
      const r = await node.broker.call<IngestReply, object>('market-data.ingest', { source: SOURCE, ticks: batch });
      expect(r).toEqual({ accepted: 1, dropped: { crossed: 1, time_backwards: 1, not_finite: 1, bad_symbol: 1, non_positive: 1 } });
      const st = await node.broker.call<{ sources: Record<string, { dropped: Record<string, number> }>; symbols: Record<string, { dropped: Record<string, number> }> }, object>('market-data.status', {});
      expect(st.sources[SOURCE].dropped).toEqual({ crossed: 1, time_backwards: 1, not_finite: 1, bad_symbol: 1, non_positive: 1 });
      expect(st.symbols.EURUSD.dropped).toEqual({ crossed: 1, time_backwards: 1, not_finite: 1, non_positive: 1 });
    });

    it('accepts crossed quotes for a symbol registered to allow them', async () => {
      await node.broker.call('market-data.registerSymbol', { symbol: 'SYNTH', digits: 2, point: 0.01, allowCrossed: true });
      const r = await node.broker.call<IngestReply, object>('market-data.ingest', { source: SOURCE, ticks: [{ symbol: 'SYNTH', time_msc: LEAN_DAY, bid: 10.016, ask: 10.0 }] });
      expect(r).toEqual({ accepted: 1, dropped: {} });
      expect(await node.broker.call('market-data.latest', { symbol: 'SYNTH' })).toMatchObject({ bid: 10.02, ask: 10 });
    });

    it('closes a bar by the timer when no later tick comes (live feed clock)', async () => {
      const now = Date.now();
      const end = Math.floor(now / 60_000) * 60_000;
      // a tick 500 ms before the current minute began: its M1 bar is over, the grace (1 s) not yet
      const r = await node.broker.call<IngestReply, object>('market-data.ingest', { source: 'live', ticks: [{ symbol: 'LIVE1', time_msc: end - 500, bid: 2.5, ask: 2.6 }] });
      expect(r.accepted).toBe(1);
      const deadline = Date.now() + 8000;
      let bar: Candle | undefined;
      while (!bar && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 100));
        bar = node.closed.find((c) => c.symbol === 'LIVE1' && c.tf === 'M1');
      }
      expect(bar).toEqual({ symbol: 'LIVE1', tf: 'M1', t: end - 60_000, o: 2.5, h: 2.5, l: 2.5, c: 2.5, v: 0, n: 1 });
      const page = await node.broker.call<Page<CandleItem>, object>('market-data.candles', { symbol: 'LIVE1', tf: 'M1' });
      expect(page.items).toEqual([expect.objectContaining({ t: end - 60_000, closed: true })]);
    });

    it('rejects an unknown symbol with 404 naming the known ones, and a bad timeframe with 422', async () => {
      await expect(node.broker.call('market-data.candles', { symbol: 'XAUUSD', tf: 'M1' })).rejects.toMatchObject({ code: 404, type: 'NOT_FOUND', data: { known: ['EURUSD', 'LIVE1', 'SYNTH'] } });
      await expect(node.broker.call('market-data.candles', { symbol: 'EURUSD', tf: 'M2' })).rejects.toMatchObject({ code: 422 });
      await expect(node.broker.call('market-data.ticks', { symbol: 'EURUSD', limit: '0' })).rejects.toMatchObject({ code: 422 });
      await expect(node.broker.call('market-data.ticks', { symbol: 'EURUSD', cursor: 'abc' })).rejects.toMatchObject({ code: 422, type: 'BAD_CURSOR' });
      await expect(node.broker.call('market-data.latest', { symbol: 'GBPUSD' })).rejects.toMatchObject({ code: 404 });
    });
  });

  describe('restart mid-stream', () => {
    let tdb: TestDatabase;
    beforeAll(async () => {
      tdb = await createTestDatabase('mdr');
    });
    afterAll(async () => {
      await tdb?.drop();
    });

    it('continues on a new broker over the same database: no candle lost, none duplicated', async () => {
      const ticks = leanTicks();
      // split inside a minute (and inside every larger bar) so forming bars must be continued
      const split = ticks.findIndex((t) => t.time_msc >= LEAN_DAY + 12 * 3_600_000 + 30_500);
      const a = await startNode(tdb.url);
      try {
        await ingestAll(a.broker, ticks.slice(0, split), 5000);
      } finally {
        await a.stop();
      }
      const b = await startNode(tdb.url);
      try {
        // before any new tick the restarted node knows the symbol and its last quote from the store
        const before = ticks[split - 1];
        expect(await b.broker.call('market-data.latest', { symbol: 'EURUSD' })).toMatchObject({ time_msc: before.time_msc, bid: before.bid, ask: before.ask });
        await ingestAll(b.broker, ticks.slice(split), 5000);
        for (const tf of TIMEFRAMES) {
          const got = await allCandles(b.broker, tf);
          expect(got.map(({ t, o, h, l, c, n }) => ({ t, o, h, l, c, n }))).toEqual(expected[tf]);
        }
        const announced = [...a.closed, ...b.closed];
        const bars = TIMEFRAMES.reduce((n, tf) => n + expected[tf].length - 1, 0);
        expect(announced).toHaveLength(bars);
        expect(new Set(announced.map(key)).size).toBe(bars);
        // the bars forming at the split were closed by the second node, with all their ticks
        const m1 = b.closed.find((c) => c.tf === 'M1' && c.t === LEAN_DAY + 12 * 3_600_000);
        expect(m1).toMatchObject(expected.M1.find((c) => c.t === LEAN_DAY + 12 * 3_600_000) as object);
      } finally {
        await b.stop();
      }
    });
  });
});
