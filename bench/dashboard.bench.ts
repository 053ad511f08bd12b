/**
 * `npm run bench -- dashboard [--loads 10] [--clients 1000] [--messages 1000] [--runs 7] [--services …] [--pg postgres://…/postgres]`
 * (`--loads 0` or `--clients 0` skips that part)
 *
 * The platform in-process (every service unless `--services`; real PostgreSQL,
 * fresh database dropped afterwards; 500 minutes of the bundled Lean EURUSD day
 * ingested, so the chart opens on 500 M1 bars):
 *  1. load to chart: headless Debian Chromium opens `/#/market` in a fresh
 *     context (cold cache) with a stored key; the time is the `plan2:chart-rendered`
 *     mark (first frame with the candles drawn), in ms since navigation start
 *     (Navigation Timing origin); FCP and DOMContentLoaded from the Paint and
 *     Navigation Timing APIs alongside. Median of `--loads` for a returning user
 *     (symbol and timeframe remembered) and for a first visit after sign-in; and,
 *     from Chrome traces of `--loads` more loads, the CPU time of the page's main
 *     thread until the chart (independent of what else the machine runs).
 *  2. WebSocket fan-out, on an api role node (api, users, stream; the same
 *     database): `--clients` connections in a child process (its own CPU),
 *     `--messages` tick events per run, each to every client. The stream
 *     service path is the real one (`broker.emit('ticks.received')` → stream →
 *     /ws); the baseline is a bare `ws` server in the same process sending the
 *     same frames, two ways: a JSON string per message `send` to every client, and
 *     one Buffer per message shared by every socket. Deliveries/s = clients ×
 *     messages / (first publish → last client has the last message). Runs
 *     alternate; medians reported, the ratio against the faster bare variant.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { loadConfig, setConfig } from '../config';
import { parseLeanTicks } from '../lib/market/lean';
import { getMigratedDb } from '../lib/storage/connect';
import { DATA_BUNDLE_DIR, ROOT } from '../paths';
import { startPlatform, type Platform } from '../runner';
import { createApiKey, createTenant } from '../services/users/tenants';
import type { Tick } from '../types/market';
import { Bench, median } from './util';

const CHROMIUM = '/usr/bin/chromium';
const EXT = __filename.endsWith('.ts') ? '.ts' : '.js';

function flag(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

async function withDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `plan2_bench_dash_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  try {
    return await fn(u.toString());
  } finally {
    const c = new Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  }
}

interface LoadTiming {
  chartMs: number;
  fcpMs: number | null;
  dclMs: number;
  responseEndMs: number;
  bars: number;
  mainThreadCpuMs: number | null;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
}

/** Σ thread time (ms) of the renderer main thread's tasks from navigationStart to the `plan2:chart-rendered` mark. */
function rendererCpuUntilChart(file: string): number | null {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const ev = Array.isArray(raw) ? raw : (raw.traceEvents ?? []);
  const parse = ev.find((e) => e.name === 'ParseHTML');
  const mark = ev.find((e) => e.name === 'plan2:chart-rendered');
  if (!parse || !mark) return null;
  const nav = ev.find((e) => e.name === 'navigationStart' && e.pid === parse.pid);
  const from = nav ? nav.ts : parse.ts;
  let us = 0;
  for (const e of ev) {
    if (e.pid === parse.pid && e.tid === parse.tid && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.ts >= from && e.ts < mark.ts) us += e.tdur ?? 0;
  }
  return us / 1000;
}

async function loadToChart(base: string, key: string, loads: number): Promise<Record<string, unknown>> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors: string[] = [];
  const one = async (returning: boolean, trace = false): Promise<LoadTiming> => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.addInitScript(
      ({ k, r }) => {
        localStorage.setItem('plan2.key', k);
        if (r) localStorage.setItem('plan2.prefs', JSON.stringify({ symbol: 'EURUSD', tf: 'M1' }));
      },
      { k: key, r: returning },
    );
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const traceFile = path.join(os.tmpdir(), `plan2-dashboard-trace-${process.pid}.json`);
    if (trace) await browser.startTracing(page, { path: traceFile, categories: ['devtools.timeline', 'blink.user_timing', 'toplevel'] });
    // No polling script in the page while it loads (it would compete for the main thread):
    // wait for the load event, then a second, then read the marks.
    await page.goto(base + '/#/market', { waitUntil: 'load' });
    await new Promise((r) => setTimeout(r, 1000));
    await page.waitForFunction(() => document.documentElement.dataset.chartRendered, undefined, { timeout: 30_000, polling: 250 });
    let mainThreadCpuMs: number | null = null;
    if (trace) {
      await browser.stopTracing();
      mainThreadCpuMs = rendererCpuUntilChart(traceFile);
      fs.rmSync(traceFile, { force: true });
    }
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return {
        chartMs: performance.getEntriesByName('plan2:chart-rendered')[0].startTime,
        fcpMs: fcp ? fcp.startTime : null,
        dclMs: nav.domContentLoadedEventEnd,
        responseEndMs: nav.responseEnd,
        bars: Number(document.getElementById('chart')?.dataset.bars),
      };
    });
    await ctx.close();
    return { ...t, mainThreadCpuMs };
  };
  try {
    await one(true); // browser warm-up, not counted
    const out: Record<string, unknown> = {};
    for (const [name, returning] of [
      ['returningUser', true],
      ['firstVisit', false],
    ] as const) {
      const runs: LoadTiming[] = [];
      for (let i = 0; i < loads; i++) runs.push(await one(returning));
      out[name] = {
        medianChartMs: r1(median(runs.map((r) => r.chartMs))),
        medianFcpMs: r1(median(runs.map((r) => r.fcpMs ?? NaN))),
        medianDomContentLoadedMs: r1(median(runs.map((r) => r.dclMs))),
        medianResponseEndMs: r1(median(runs.map((r) => r.responseEndMs))),
        chartMs: runs.map((r) => r1(r.chartMs)),
        bars: runs[0]?.bars,
      };
    }
    // CPU time the page's main thread spent until the chart was drawn: what the load costs,
    // whatever else the machine runs (the wall times above stretch with the load average).
    const cpu: number[] = [];
    for (let i = 0; i < loads; i++) {
      const c = (await one(true, true)).mainThreadCpuMs;
      if (c !== null) cpu.push(c);
    }
    out.returningUserMainThreadCpuMs = { median: r1(median(cpu)), runs: cpu.map(r1), note: 'renderer main thread, thread time of its tasks from navigation start to the chart mark (Chrome trace, separate traced loads)' };
    out.consoleErrors = errors;
    out.indexHtmlBytes = fs.statSync(path.join(ROOT, 'web', 'dist', 'index.html')).size;
    return out;
  } finally {
    await browser.close();
  }
}

class Clients {
  private readonly child: ChildProcess;
  private waiting: ((m: { ok?: string; ms?: number; error?: string }) => void) | null = null;

  constructor() {
    this.child = fork(path.join(__dirname, 'ws-clients' + EXT), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { ok?: string; ms?: number; error?: string }) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
  }

  private ask(cmd: unknown, timeoutMs: number): Promise<{ ok?: string; ms?: number }> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ws clients: no answer to ${JSON.stringify(cmd)} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = (m) => {
        clearTimeout(t);
        if (m.error) reject(new Error(m.error));
        else resolve(m);
      };
      this.child.send(cmd as object);
    });
  }

  open(url: string, n: number, key?: string, topic?: string) {
    return this.ask({ cmd: 'open', url, n, key, topic }, 120_000);
  }

  /** Resolves when every client has received `count` events in total. */
  expect(count: number) {
    return this.ask({ cmd: 'expect', count }, 300_000);
  }

  close(): void {
    this.child.send({ cmd: 'close' });
  }
}

const yieldIo = () => new Promise<void>((r) => setImmediate(r));

function tickEvent(i: number): { symbol: string; ticks: Tick[] } {
  return { symbol: 'BENCH', ticks: [{ symbol: 'BENCH', time_msc: 1_399_507_200_000 + i, bid: 1.3921 + (i % 50) * 1e-5, ask: 1.39222 + (i % 50) * 1e-5 }] };
}

/**
 * Publish `m` messages (yielding to I/O after each) and wait until every client has
 * them all; returns the wall time and the time spent inside `publish` (the server's
 * hand-off of the frames to the sockets), both in ms.
 */
async function timedRun(clients: Clients, sent: { n: number }, m: number, publish: (i: number) => Promise<void> | void): Promise<{ ms: number; publishMs: number }> {
  const done = clients.expect(sent.n + m);
  const t0 = performance.now();
  let publishMs = 0;
  for (let i = 0; i < m; i++) {
    const p0 = performance.now();
    await publish(sent.n + i);
    publishMs += performance.now() - p0;
    await yieldIo();
  }
  await done;
  sent.n += m;
  return { ms: performance.now() - t0, publishMs };
}

async function fanOut(platform: Platform, port: number, key: string, n: number, m: number, runs: number): Promise<Record<string, unknown>> {
  const topic = 'ticks:BENCH';
  // Bare ws server: same process, same frames.
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const barePort = (wss.address() as { port: number }).port;
  const bareClients = new Clients();
  const streamClients = new Clients();
  try {
    const bareOpen = await bareClients.open(`ws://127.0.0.1:${barePort}`, n);
    const streamOpen = await streamClients.open(`ws://127.0.0.1:${port}/ws`, n, key, topic);
    const bareSent = { n: 0 };
    const streamSent = { n: 0 };
    const runsOf = { bareString: [] as number[], bareSharedBuffer: [] as number[], stream: [] as number[] };
    // The plain broadcast: one JSON string per message, `send` to every client (ws encodes it per socket).
    const bareString = (i: number) => {
      const frame = JSON.stringify({ type: 'event', topic, data: tickEvent(i) });
      for (const c of wss.clients) c.send(frame);
    };
    // The tuned broadcast: one Buffer per message shared by every socket (what the stream hub does).
    const bareSharedBuffer = (i: number) => {
      const frame = Buffer.from(JSON.stringify({ type: 'event', topic, data: tickEvent(i) }));
      for (const c of wss.clients) c.send(frame, { binary: false });
    };
    const streamPublish = (i: number) => platform.broker.emit('ticks.received', tickEvent(i));
    // Warm-up of every path (JIT, socket buffers), not counted.
    await timedRun(bareClients, bareSent, Math.min(200, m), bareString);
    await timedRun(bareClients, bareSent, Math.min(200, m), bareSharedBuffer);
    await timedRun(streamClients, streamSent, Math.min(200, m), streamPublish);
    const s0 = await platform.broker.call<{ slowDrops: number; clients: number }, object>('stream.stats', {});
    const rate = (ms: number) => ((n * m) / ms) * 1000;
    const publishOf = { bareString: [] as number[], bareSharedBuffer: [] as number[], stream: [] as number[] };
    const run = async (k: keyof typeof runsOf, c: Clients, sent: { n: number }, f: (i: number) => Promise<void> | void) => {
      const r = await timedRun(c, sent, m, f);
      runsOf[k].push(rate(r.ms));
      publishOf[k].push(r.publishMs / m);
    };
    for (let r = 0; r < runs; r++) {
      await run('bareString', bareClients, bareSent, bareString);
      await run('bareSharedBuffer', bareClients, bareSent, bareSharedBuffer);
      await run('stream', streamClients, streamSent, streamPublish);
    }
    const s1 = await platform.broker.call<{ slowDrops: number; clients: number; deliveries: number }, object>('stream.stats', {});
    const med = { bareString: median(runsOf.bareString), bareSharedBuffer: median(runsOf.bareSharedBuffer), stream: median(runsOf.stream) };
    const bestBare = Math.max(med.bareString, med.bareSharedBuffer);
    return {
      clients: n,
      messagesPerRun: m,
      runs,
      messageBytes: Buffer.byteLength(JSON.stringify({ type: 'event', topic, data: tickEvent(0) })),
      connectMs: { bare: Math.round(bareOpen.ms ?? NaN), stream: Math.round(streamOpen.ms ?? NaN) },
      deliveriesPerSec: { bareString: Math.round(med.bareString), bareSharedBuffer: Math.round(med.bareSharedBuffer), stream: Math.round(med.stream) },
      ratioToBestBare: Math.round((med.stream / bestBare) * 1000) / 1000,
      ratioToBareString: Math.round((med.stream / med.bareString) * 1000) / 1000,
      // Server side alone: ms per message to hand one frame to every socket (the stream: broker event + hub).
      publishMsPerMessage: {
        bareString: Math.round(median(publishOf.bareString) * 1000) / 1000,
        bareSharedBuffer: Math.round(median(publishOf.bareSharedBuffer) * 1000) / 1000,
        stream: Math.round(median(publishOf.stream) * 1000) / 1000,
      },
      goal: 0.7,
      runsDeliveriesPerSec: { bareString: runsOf.bareString.map(Math.round), bareSharedBuffer: runsOf.bareSharedBuffer.map(Math.round), stream: runsOf.stream.map(Math.round) },
      streamClientsConnected: s1.clients,
      slowDropsDuringRuns: s1.slowDrops - s0.slowDrops,
    };
  } finally {
    bareClients.close();
    streamClients.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
}

const bench: Bench = async (args) => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`the dashboard benchmark needs Debian's chromium at ${CHROMIUM}`);
  const pg = flag(args, 'pg', 'postgres://postgres@127.0.0.1:5432/postgres');
  const loads = Number(flag(args, 'loads', '10'));
  const clients = Number(flag(args, 'clients', '1000'));
  const messages = Number(flag(args, 'messages', '1000'));
  const runs = Number(flag(args, 'runs', '7'));
  const services = flag(args, 'services', '');
  execFileSync(process.execPath, [path.join(ROOT, 'web', 'build.js')], { stdio: 'pipe' });
  const loadBefore = os.loadavg();
  const result = await withDatabase(pg, async (url) => {
    const cfg = setConfig(loadConfig({ DATABASE_URL: url, PORT: '0', MT5_PORT: '0', REPLAY: 'false', LOG_LEVEL: 'warn', SERVICES: services }));
    const platform = await startPlatform(cfg);
    let running = true;
    const stopPlatform = async () => {
      if (running) await platform.stop();
      running = false;
    };
    try {
      const db = await getMigratedDb(cfg);
      const t = await createTenant(db, 'Bench', 'pro');
      const key = (await createApiKey(db, t.id, 'bench')).key;
      const file = path.join(DATA_BUNDLE_DIR, 'lean/forex/oanda/tick/eurusd/20140508_eurusd_tick_quote.csv');
      const day = parseLeanTicks(fs.readFileSync(file, 'utf8'), 'EURUSD', Date.UTC(2014, 4, 8));
      const until = day[0].time_msc + 500 * 60_000;
      const ticks = day.filter((x) => x.time_msc < until);
      for (let i = 0; i < ticks.length; i += 5000) await platform.broker.call('market-data.ingest', { source: 'bench:1@Lean', ticks: ticks.slice(i, i + 5000) });
      await new Promise((r) => setTimeout(r, 2000)); // let consensus and FlowChain settle after the burst
      const addr = await platform.broker.call<{ port: number }, object>('api.address', {});
      const base = `http://127.0.0.1:${addr.port}`;
      const load = loads > 0 ? await loadToChart(base, key, loads) : null;
      await stopPlatform();
      // Fan-out on an api role node (api, users, stream): in the all-in-one process every other
      // subscriber of ticks.received (agents, trading) would work on each bench event too.
      let fan: Record<string, unknown> | null = null;
      if (clients > 0) {
        const apiNode = await startPlatform(setConfig({ ...cfg, services: ['api', 'users', 'stream'] }));
        try {
          const a = await apiNode.broker.call<{ port: number }, object>('api.address', {});
          fan = { services: apiNode.services, ...(await fanOut(apiNode, a.port, key, clients, messages, runs)) };
        } finally {
          await apiNode.stop();
        }
      }
      return { services: platform.services, ticksIngested: ticks.length, loadToChart: load, fanOut: fan };
    } finally {
      await stopPlatform();
    }
  });
  return { ...result, goalLoadToChartMs: 200, loadAverage: { before: loadBefore.map(r1), after: os.loadavg().map(r1) }, memoryRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) };
};

export default bench;
