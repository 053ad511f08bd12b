/**
 * `npm run bench -- ingest [--clients N] [--seconds S] [--warmup S] [--paced-rate R] [--only full|fullPaced|gatewayOnly|twoNodes]`
 *
 * Several replay clients (mt5-gateway/replay.ts, the same code `plan2 replay`
 * runs) push the Lean EURUSD day in a loop over real TCP, as fast as the wire
 * allows, into the real mt5-gateway service:
 *  1. `full`: gateway → real market-data (validate, aggregate M1…D1, emit) →
 *     real PostgreSQL persistence (fresh database, dropped afterwards);
 *     `fullPaced`: the same, with the clients paced to R ticks/s in total
 *     (default 50,000) so latency is measured below saturation;
 *     `twoNodes`: gateway node + market-data node (child process) over NATS,
 *     the production split, saturated;
 *  2. `gatewayOnly`: the same clients into the gateway with a `market-data`
 *     peer that only counts, to show the gateway's own ceiling.
 * Reported per run: sustained ticks/s acknowledged by market-data (and stored,
 * in `full`) over the measured window, tick-to-ingest latency p50/p99 (from the
 * first tick of a batch arriving on the socket to market-data's reply for it,
 * i.e. the worst tick of each batch), memory (RSS, heap) and whether every tick
 * the clients sent was ingested once they stopped.
 *
 * Everything runs in one process plus one worker thread (the clients) on the
 * machine's cores, shared with PostgreSQL; the load average is recorded.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../config';
import { closeDb, getMigratedDb } from '../lib/storage/connect';
import type { Mt5Gateway } from '../mt5-gateway/gateway';
import Mt5GatewayService from '../mt5-gateway/gateway.service';
import type { ReplayStats } from '../mt5-gateway/replay';
import { createMt5Token } from '../mt5-gateway/tokens';
import { DATA_BUNDLE_DIR } from '../paths';
import { createBroker } from '../runner';
import MarketDataService from '../services/market-data/market-data.service';
import { createTestDatabase, NATS_URL, testConfig } from '../test/helpers/infra';
import type { Bench } from './util';

const FILE = path.join(DATA_BUNDLE_DIR, 'lean/forex/oanda/tick/eurusd/20140508_eurusd_tick_quote.csv');
const EXT = __filename.endsWith('.ts') ? '.ts' : '.js';
const GOAL = 100_000;

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

function mib(n: number): number {
  return Math.round((n / 2 ** 20) * 10) / 10;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Average tick rate of the Lean day (ticks per second of data time), to turn a target rate into a replay speed. */
const LEAN_TICKS_PER_DATA_SEC = 87_833 / 86_400;

type Mode = 'full' | 'twoNodes' | 'gatewayOnly';

async function run(mode: Mode, clients: number, seconds: number, warmup: number, targetRate = 0): Promise<Record<string, unknown>> {
  const tdb = await createTestDatabase('bench_ingest');
  let broker: ServiceBroker | null = null;
  let node: ReturnType<typeof fork> | null = null;
  try {
    const namespace = 'bench' + randomBytes(4).toString('hex');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, HOST: '127.0.0.1', MT5_PORT: '0', LOG_LEVEL: 'error', ...(mode === 'twoNodes' ? { TRANSPORTER: NATS_URL, NODE_ID: `${namespace}-gateway` } : {}) }));
    const db = await getMigratedDb(cfg);
    await db.query("INSERT INTO tenants (id, name) VALUES ('t_bench', 'Bench')");
    const token = (await createMt5Token(db, 't_bench', 'bench')).token;
    if (mode === 'twoNodes') {
      // market-data in its own process (the second core), reached over NATS
      node = fork(path.join(__dirname, 'ingest-node' + EXT), [tdb.url, NATS_URL, namespace], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      await new Promise<void>((resolve, reject) => {
        node!.once('message', () => resolve());
        node!.once('exit', (code) => reject(new Error(`market-data node exited with ${code}`)));
      });
    }
    broker = createBroker(cfg, { namespace });
    let doubleIngested = 0;
    // twoNodes: market-data runs on the other node
    if (mode === 'full') broker.createService(MarketDataService);
    else if (mode === 'gatewayOnly') {
      broker.createService({
        name: 'market-data',
        actions: {
          ingest: {
            params: { source: 'string', ticks: 'array' },
            handler(ctx: { params: { ticks: unknown[] } }) {
              doubleIngested += ctx.params.ticks.length;
              return { accepted: ctx.params.ticks.length, dropped: {} };
            },
          },
        },
      });
    }
    broker.createService(Mt5GatewayService);
    await broker.start();
    if (mode === 'twoNodes') await broker.waitForServices(['market-data'], 30_000);
    const gw = (broker.getLocalService('mt5-gateway') as unknown as { gateway: Mt5Gateway }).gateway;
    const port = gw.address()!.port;
    const status = () => gw.status();
    const stored = async (): Promise<number> => {
      if (mode === 'gatewayOnly') return doubleIngested;
      const s = await broker!.call<{ writer: { written: { ticks: number } } }, object>('market-data.status', {});
      return s.writer.written.ticks;
    };

    const worker = new Worker(path.join(__dirname, 'ingest-clients' + EXT), { workerData: { file: FILE, clients, port, token, prefix: 'BENCH', speed: targetRate > 0 ? targetRate / clients / LEAN_TICKS_PER_DATA_SEC : 0 } });
    let finalStats: ReplayStats[] | null = null;
    let workerError: string | null = null;
    worker.on('message', (m: { kind: string; sent?: number; stats?: ReplayStats[]; message?: string }) => {
      if (m.kind === 'done') finalStats = m.stats!;
      else if (m.kind === 'error') workerError = m.message!;
    });
    worker.on('error', (e) => (workerError = String(e)));

    let rssPeak = 0;
    let heapPeak = 0;
    const mem = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 100);

    await sleep(warmup * 1000);
    gw.resetLatency();
    const t0 = performance.now();
    const ing0 = status().totals.ingested;
    const st0 = await stored();
    const rates: number[] = [];
    let last = ing0;
    for (let s = 0; s < seconds; s++) {
      await sleep(1000);
      const now = status().totals.ingested;
      rates.push(now - last);
      last = now;
    }
    const dt = (performance.now() - t0) / 1000;
    const ing1 = status().totals.ingested;
    const st1 = await stored();
    const during = status();

    worker.postMessage('stop');
    for (let i = 0; i < 600 && finalStats === null && workerError === null; i++) await sleep(50);
    const totalSent = (finalStats ?? []).reduce((a: number, s: ReplayStats) => a + s.sent, 0);
    // every tick the clients wrote must reach market-data once they stop
    for (let i = 0; i < 600 && status().totals.ingested + status().totals.droppedDownstream < totalSent; i++) await sleep(50);
    const end = status();
    clearInterval(mem);
    await worker.terminate();
    const ingestedAll = end.totals.ingested + end.totals.droppedDownstream;
    return {
      mode,
      clients,
      offeredRate: targetRate > 0 ? `paced: ${targetRate} ticks/s on average (Lean day timing, bursty)` : 'as fast as the wire allows',
      measuredSeconds: Math.round(dt * 100) / 100,
      ticksPerSec: Math.round((ing1 - ing0) / dt),
      storedTicksPerSec: Math.round((st1 - st0) / dt),
      perSecond: { min: Math.min(...rates), max: Math.max(...rates) },
      tickToIngestMs: during.ingestLatencyMs,
      batches: end.totals.batches,
      readPauses: end.totals.pauses,
      seqGaps: end.totals.gaps,
      malformed: end.totals.malformed,
      sentByClients: totalSent,
      ingested: ingestedAll,
      lostTicks: totalSent - ingestedAll,
      droppedByMarketData: end.totals.droppedDownstream,
      ingestFailed: end.totals.ingestFailed,
      memoryMiB: { rssPeak: mib(rssPeak), heapUsedPeak: mib(heapPeak), rssEnd: mib(process.memoryUsage().rss) },
      workerError,
    };
  } finally {
    if (broker) await broker.stop();
    if (node) {
      node.send('stop');
      await new Promise((r) => {
        node!.once('exit', r);
        setTimeout(r, 20_000).unref();
      });
      node.kill();
    }
    await closeDb();
    await tdb.drop();
  }
}

const bench: Bench = async (args) => {
  const clients = flag(args, 'clients', 4);
  const seconds = flag(args, 'seconds', 20);
  const warmup = flag(args, 'warmup', 3);
  const load0 = os.loadavg()[0];
  const pacedRate = flag(args, 'paced-rate', 50_000);
  const oi = args.indexOf('--only');
  const only = oi >= 0 ? args[oi + 1] : null;
  const want = (name: string) => only === null || only === name;
  const skipped = { skipped: true };
  const full = want('full') ? await run('full', clients, seconds, warmup) : skipped;
  const fullPaced = want('fullPaced') ? await run('full', clients, seconds, warmup, pacedRate) : skipped;
  const gatewayOnly = want('gatewayOnly') ? await run('gatewayOnly', clients, seconds, warmup) : skipped;
  const twoNodes = want('twoNodes') ? await run('twoNodes', clients, seconds, warmup) : skipped;
  return {
    goalTicksPerSec: GOAL,
    meetsGoal: ((full as { ticksPerSec?: number }).ticksPerSec ?? 0) >= GOAL,
    data: 'Lean EURUSD 2014-05-08 (bundled), looped, one symbol per client',
    wire: 'replay clients → TCP NDJSON (PROTOCOL.md) → mt5-gateway → market-data.ingest (batches ≤ 5,000, ≤ 4 in flight per session)',
    loadAverage1m: { before: Math.round(load0 * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
    meetsGoalTwoNodes: ((twoNodes as { ticksPerSec?: number }).ticksPerSec ?? 0) >= GOAL,
    note: 'full: one process, saturated (latency is queueing behind the store); fullPaced: the same below capacity, for latency; gatewayOnly: market-data replaced by a counting peer; twoNodes: gateway and market-data in two processes over NATS (SERVICES split), saturated',
    full,
    fullPaced,
    gatewayOnly,
    twoNodes,
  };
};

export default bench;
