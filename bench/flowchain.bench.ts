/**
 * `npm run bench -- flowchain [--n 1500] [--blocks 8] [--agents 8] [--pg postgres://…] [--nats nats://…]`
 *
 * 1. overhead: a decision-like call chain in one process (consensus.decide →
 *    N agents' opine in parallel, each ~20 µs of arithmetic → fusion →
 *    risk.evaluate → trading.submit → order.filled), closed loop, latency of
 *    `consensus.decide`. Four modes in blocks, the order rotated per block (the
 *    machine is shared, so bursts of other load hit all modes alike; p99 is
 *    compared as the median of per-block ratios, CPU µs per decision too):
 *    tracing off; Moleculer tracing without exporter (its own cost); tracing +
 *    FlowChain exporter + sampling + the flowchain service in the same process
 *    (the single-process `npm start` layout); the same with FlowChain on its own
 *    node (a child process) over NATS (the production layout).
 * 2. exportLatency: time from a decision's end to its execution being
 *    assembled in FlowChain, and bytes per span on the wire, with Moleculer's
 *    Event exporter (interval 1 s; FlowChain must then wait 1.3 s for a trace to
 *    settle) versus the FlowChain exporter (100 ms batches, 600 ms settle).
 * 3. tickIngest: calls/s of a trivial tick ingest action with tracing off,
 *    ticks sampled at 1 %, and every tick traced.
 * 4. absorb: spans/s the engine assembles (synthetic decision traces, many
 *    tenants; wall and per CPU second), spans/s converted by the exporter,
 *    executions/s stored.
 *
 * Needs PostgreSQL (default postgres://postgres@127.0.0.1:5432/postgres): a
 * database is created for the run and dropped after.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Context, ServiceBroker, ServiceSchema } from 'moleculer';
import { parseArgs, flagNumber, flagString } from '../cli/command';
import { Config, loadConfig, setConfig } from '../config';
import { FlowChainEngine } from '../flowchain/engine';
import FlowChainService from '../flowchain/flowchain.service';
import type { FlowChainRuntime } from '../flowchain/runtime';
import { toSpanRecord, SpanLike } from '../flowchain/span';
import { saveExecutions } from '../flowchain/store';
import { closeDb, getMigratedDb } from '../lib/storage/connect';
import { brokerOptions } from '../moleculer.config';
import { createBroker } from '../runner';
import type { Execution, SpanRecord } from '../types/flowchain';
import { createScratchDatabase } from '../lib/storage/scratch';
import { Bench, nowNs, percentile, summarize } from './util';

type Mode = 'off' | 'tracing' | 'flowchain' | 'remote';
const MODES: Mode[] = ['off', 'tracing', 'flowchain', 'remote'];

/** An agent's stand-in computation: an EMA over `iters` synthetic prices. */
function work(seed: number, iters: number): number {
  let ema = 1.1;
  for (let i = 0; i < iters; i++) ema += (1.1 + Math.sin(seed + i) * 1e-3 - ema) * 0.05;
  return ema;
}

let agentIters = 400;

function services(agents: number): ServiceSchema[] {
  const names = Array.from({ length: agents }, (_, i) => `bench-agent-${i}`);
  return [
    ...names.map(
      (name, i): ServiceSchema => ({
        name,
        actions: {
          opine: {
            params: { symbol: 'string', tf: 'string' },
            handler: () => ({ agent: name, signal: Math.tanh(work(i, agentIters) - 1.1), confidence: 0.5 }),
          },
        },
      }),
    ),
    {
      name: 'consensus',
      actions: {
        decide: {
          params: { symbol: 'string', tf: 'string' },
          async handler(ctx: Context<{ symbol: string; tf: string }>) {
            const ops = await Promise.all(names.map((n) => ctx.call<{ signal: number }, object>(`${n}.opine`, ctx.params)));
            const s = ops.reduce((a, o) => a + o.signal, 0) / ops.length;
            return ctx.call('risk.evaluate', { symbol: ctx.params.symbol, side: s >= 0 ? 'buy' : 'sell' });
          },
        },
      },
    },
    {
      name: 'risk',
      actions: {
        evaluate: {
          params: { symbol: 'string', side: 'string' },
          handler: (ctx: Context<{ symbol: string; side: string }>) => ctx.call('trading.submit', { ...ctx.params, volume: 0.1 }),
        },
      },
    },
    {
      name: 'trading',
      actions: {
        submit: {
          params: { symbol: 'string', side: 'string', volume: 'number' },
          async handler(ctx: Context) {
            await ctx.emit('order.filled', ctx.params);
            return { status: 'filled' };
          },
        },
      },
      events: { 'order.filled': () => undefined },
    },
  ];
}

async function startBroker(cfg: Config, mode: Mode, agents: number, flowchain: Record<string, unknown> = {}, exporter?: unknown, namespace?: string): Promise<ServiceBroker> {
  const base = brokerOptions(cfg);
  const overrides =
    mode === 'off'
      ? { tracing: { enabled: false }, middlewares: [] }
      : mode === 'tracing'
        ? { tracing: { ...(base.tracing as object), exporter: null }, middlewares: [] }
        : exporter
          ? { tracing: { ...(base.tracing as object), exporter: [exporter] } }
          : {};
  const c = mode === 'remote' ? { ...cfg } : { ...cfg, transporter: null };
  const broker = createBroker(c, { nodeID: `bench-${mode}-${randomBytes(2).toString('hex')}`, ...(namespace ? { namespace } : {}), ...overrides } as never);
  for (const s of services(agents)) broker.createService(s);
  if (mode === 'flowchain') broker.createService({ ...FlowChainService, settings: { ...FlowChainService.settings, flowchain } } as never);
  await broker.start();
  if (mode === 'remote') await broker.waitForServices(['flowchain'], 20_000);
  return broker;
}

/** A FlowChain node in a child process, over NATS. */
async function startRemoteFlowChain(nats: string, namespace: string, databaseUrl: string): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, 'flowchain-node' + (__filename.endsWith('.ts') ? '.ts' : '.js')), [nats, namespace, databaseUrl], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`flowchain node exited with ${code}`)));
  });
  return child;
}

async function stopRemote(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

async function decisions(broker: ServiceBroker, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowNs();
    await broker.call('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, { meta: { tenantId: 'bench' } });
    out.push(Number(nowNs() - t0) / 1e6);
  }
  return out;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
function stats(xs: number[]) {
  const s = summarize(xs);
  return { n: s.n, p50: r3(s.p50), p90: r3(s.p90), p99: r3(s.p99), mean: r3(s.mean), max: r3(s.max) };
}

async function overhead(cfg: Config, n: number, blocks: number, agents: number, iters: number, nats: string) {
  agentIters = iters;
  const samples: Record<Mode, number[]> = { off: [], tracing: [], flowchain: [], remote: [] };
  const p99s: Record<Mode, number[]> = { off: [], tracing: [], flowchain: [], remote: [] };
  const cpu: Record<Mode, number[]> = { off: [], tracing: [], flowchain: [], remote: [] };
  let fcCounters: unknown = null;
  const namespace = `bench-fc-${randomBytes(3).toString('hex')}`;
  const remoteCfg: Config = { ...cfg, transporter: nats };
  const child = await startRemoteFlowChain(nats, namespace, cfg.databaseUrl as string);
  try {
    for (let b = 0; b < blocks; b++) {
      // rotate the order so that no mode always runs first or last in a block
      const order = MODES.map((_, i) => MODES[(i + b) % MODES.length]);
      for (const mode of order) {
        const broker = await startBroker(mode === 'remote' ? remoteCfg : cfg, mode, agents, {}, undefined, mode === 'remote' ? namespace : undefined);
        await decisions(broker, Math.min(300, n)); // warm-up (JIT, pools)
        const c0 = process.cpuUsage();
        const xs = await decisions(broker, n);
        const c1 = process.cpuUsage(c0);
        cpu[mode].push(r3((c1.user + c1.system) / n));
        samples[mode].push(...xs);
        p99s[mode].push(r3(percentile(Float64Array.from(xs).sort(), 99)));
        if (mode === 'flowchain') {
          const rt = (broker.getLocalService('flowchain') as unknown as { rt: FlowChainRuntime }).rt;
          await new Promise((r) => setTimeout(r, 1000));
          fcCounters = { engine: { ...rt.engine.counters }, runtime: { ...rt.counters } };
        }
        await broker.stop();
        await closeDb();
      }
    }
  } finally {
    await stopRemote(child);
  }
  const off = stats(samples.off);
  const med = (xs: number[]) => r3(percentile(Float64Array.from(xs).sort(), 50));
  const ratio = (m: Mode) => med(p99s[m].map((v, i) => v / p99s.off[i]));
  const pct = (a: number, b: number) => Math.round(((a - b) / b) * 1000) / 10;
  const out: Record<string, unknown> = { agents, agentWorkIterations: iters, decisionsPerMode: samples.off.length, blocks };
  const label: Record<Mode, string> = { off: 'off', tracing: 'tracingOnly', flowchain: 'flowchainInProcess', remote: 'flowchainOnOwnNode' };
  for (const m of MODES) {
    const st = stats(samples[m]);
    out[label[m]] = {
      ...st,
      p99PerBlock: p99s[m],
      cpuUsPerDecision: med(cpu[m]),
      ...(m === 'off' ? {} : { overheadPct: { p50: pct(st.p50, off.p50), p99Pooled: pct(st.p99, off.p99), p99MedianOfBlockRatios: Math.round((ratio(m) - 1) * 1000) / 10 } }),
    };
  }
  out.flowchainInProcessCounters = fcCounters;
  return out;
}

async function exportLatency(cfg: Config, agents: number, n: number) {
  const out: Record<string, unknown> = {};
  const variants = [
    { name: 'eventExporter1s', exporter: { type: 'Event', options: { eventName: '$tracing.spans', sendStartSpan: false, sendFinishSpan: true, broadcast: false, interval: 1 } }, settleMs: 1300 },
    { name: 'flowchainExporter', exporter: undefined, settleMs: 600 },
  ];
  for (const v of variants) {
    const broker = await startBroker(cfg, 'flowchain', agents, { settleMs: v.settleMs, tickMs: 50 }, v.exporter);
    const rt = (broker.getLocalService('flowchain') as unknown as { rt: FlowChainRuntime }).rt;
    const ended = new Map<string, number>();
    const appeared = new Map<string, number>();
    const tick = rt.tick.bind(rt);
    rt.tick = (now: number, force?: boolean): Execution[] => {
      const ex = tick(now, force);
      const t = Date.now();
      for (const e of ex) if (e.chain === 'AI_Decision' && !appeared.has(e.traceId)) appeared.set(e.traceId, t);
      return ex;
    };
    let bytes = 0;
    let spans = 0;
    for (const m of ['emit', 'broadcast'] as const) {
      const orig = broker[m].bind(broker) as (e: string, p: unknown, o?: unknown) => Promise<void>;
      (broker as unknown as Record<string, unknown>)[m] = (e: string, p: unknown, o?: unknown) => {
        if (e === '$tracing.spans' || e === 'flowchain.spans') {
          bytes += JSON.stringify(p).length;
          spans += Array.isArray(p) ? p.length : (p as { spans: unknown[] }).spans.length;
        }
        return orig(e, p, o);
      };
    }
    for (let i = 0; i < n; i++) {
      const id = `lat-${v.name}-${i}-${randomBytes(3).toString('hex')}`;
      await broker.call('consensus.decide', { symbol: 'EURUSD', tf: 'M1' }, { meta: { tenantId: 'bench' }, requestID: id });
      ended.set(id, Date.now());
      await new Promise((r) => setTimeout(r, 23)); // spread decisions over the flush phases
    }
    const deadline = Date.now() + 5000;
    while (appeared.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lat = [...ended].filter(([id]) => appeared.has(id)).map(([id, t]) => (appeared.get(id) as number) - t);
    const flushMs = v.exporter ? 1000 : ((broker.tracer as unknown as { exporter: { flushMs?: number }[] }).exporter[0]?.flushMs ?? null);
    out[v.name] = { flushMs, settleMs: v.settleMs, executions: lat.length, ofDecisions: n, visibleAfterMs: stats(lat), bytesPerSpan: spans ? Math.round(bytes / spans) : null };
    await broker.stop();
    await closeDb();
  }
  return out;
}

/**
 * Tick ingest through the broker: a trivial `market-data.ingest` called in a
 * closed loop; calls/s and CPU µs per call with tracing off, with ticks sampled
 * at `rate` (Plan2's default 1 %) and with every tick traced. The FlowChain
 * exporter runs in every traced mode; no flowchain service listens, so spans of
 * kept ticks are converted and dropped (the node-side cost only).
 */
async function tickIngest(cfg: Config, n: number, rate: number) {
  const modes: { name: string; tracing: boolean; rate: number }[] = [
    { name: 'tracingOff', tracing: false, rate: 0 },
    { name: `sampled${Math.round(rate * 1000) / 10}pct`, tracing: true, rate },
    { name: 'tracedAll', tracing: true, rate: 1 },
  ];
  const out: Record<string, unknown> = {};
  for (const m of modes) {
    const c: Config = { ...cfg, transporter: null, tickTraceRate: m.rate };
    const broker = createBroker(c, { nodeID: `bench-ingest-${randomBytes(2).toString('hex')}`, ...(m.tracing ? {} : { tracing: { enabled: false } }) } as never);
    broker.createService({ name: 'market-data', actions: { ingest: { params: { symbol: 'string', bid: 'number' }, handler: () => true } } });
    await broker.start();
    const p = { symbol: 'EURUSD', bid: 1.1 };
    for (let i = 0; i < 5000; i++) await broker.call('market-data.ingest', p);
    const c0 = process.cpuUsage();
    const t0 = nowNs();
    for (let i = 0; i < n; i++) await broker.call('market-data.ingest', p);
    const wall = Number(nowNs() - t0) / 1e9;
    const cu = process.cpuUsage(c0);
    out[m.name] = { calls: n, callsPerSecWall: Math.round(n / wall), cpuUsPerCall: r3((cu.user + cu.system) / n) };
    await broker.stop();
  }
  return out;
}

function syntheticTraces(count: number, tenants: number, agents: number): SpanRecord[][] {
  const traces: SpanRecord[][] = [];
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const traceId = `syn-${i}`;
    const tenantId = `t${i % tenants}`;
    const base = t0 + i;
    const mk = (id: string, parentId: string | null, op: string, kind: SpanRecord['kind'], start: number, duration: number, extra: Partial<SpanRecord> = {}): SpanRecord => ({
      id: `${traceId}-${id}`,
      traceId,
      parentId: parentId && `${traceId}-${parentId}`,
      kind,
      name: op,
      op,
      service: op.split(/[.@]/)[0],
      node: 'n1',
      tenantId,
      start: base + start,
      duration,
      error: null,
      ...extra,
    });
    const spans = [
      mk('cc', null, 'candle.closed@consensus', 'event', 0, 3, { event: 'candle.closed', tenantId: null, sampleRate: 1 }),
      mk('d', 'cc', 'consensus.decide', 'action', 0.1, 2.8, { action: 'consensus.decide' }),
      ...Array.from({ length: agents }, (_, a) => mk(`o${a}`, 'd', `agent-${a}.opine`, 'action', 0.2, 0.5 + a * 0.1, { action: `agent-${a}.opine` })),
      mk('r', 'd', 'risk.evaluate', 'action', 1.6, 1.2, { action: 'risk.evaluate' }),
      mk('s', 'r', 'trading.submit', 'action', 1.7, 1.0, { action: 'trading.submit' }),
    ];
    traces.push(spans);
  }
  return traces;
}

async function absorb(cfg: Config, agents: number) {
  const traces = syntheticTraces(20_000, 500, agents);
  const spans = traces.flat();
  const eng = new FlowChainEngine({ settleMs: 0 });
  const cpu0 = process.cpuUsage();
  const t0 = nowNs();
  let now = Date.now();
  for (let i = 0; i < spans.length; i += 500) {
    eng.ingest(spans.slice(i, i + 500), now);
    if ((i / 500) % 4 === 3) eng.tick(++now);
  }
  eng.flushAll(++now);
  const sec = Number(nowNs() - t0) / 1e9;
  const cpuU = process.cpuUsage(cpu0);
  const cpuSec = (cpuU.user + cpuU.system) / 1e6;
  // exporter-side conversion of live-like spans
  const live: SpanLike[] = spans.slice(0, 50_000).map((s) => ({
    id: s.id,
    traceID: s.traceId,
    parentID: s.parentId,
    name: s.name,
    type: s.kind === 'custom' ? 'custom' : s.kind,
    service: { name: s.service ?? '', fullName: s.service ?? '' },
    startTime: s.start,
    finishTime: s.start + s.duration,
    duration: s.duration,
    error: null,
    tags: { callingLevel: 2, action: { name: s.action, rawName: 'x' }, remoteCall: false, nodeID: 'n1', callerNodeID: 'n1', options: {}, requestID: s.traceId, meta: { tenantId: s.tenantId } },
  }));
  const c0 = nowNs();
  for (const l of live) toSpanRecord(l);
  const convSec = Number(nowNs() - c0) / 1e9;
  // storage: executions/s in batches of 1000 on real PostgreSQL
  const db = await getMigratedDb(cfg);
  await db.query(`INSERT INTO tenants (id, name) SELECT 't' || g, 'T' || g FROM generate_series(0, 499) g ON CONFLICT DO NOTHING`);
  const execs = new FlowChainEngine({ settleMs: 0 });
  execs.ingest(spans.slice(0, 5000 * (agents + 4)), 0);
  const ex = execs.flushAll(1);
  const s0 = nowNs();
  for (let i = 0; i < ex.length; i += 1000) await saveExecutions(db, ex.slice(i, i + 1000));
  const storeSec = Number(nowNs() - s0) / 1e9;
  await closeDb();
  return {
    engine: {
      spans: spans.length,
      traces: traces.length,
      tenants: 500,
      executions: eng.counters.executions,
      seconds: r3(sec),
      spansPerSec: Math.round(spans.length / sec),
      executionsPerSec: Math.round(eng.counters.executions / sec),
      spansPerCpuSec: Math.round(spans.length / cpuSec),
    },
    exporterConversion: { spans: live.length, spansPerSec: Math.round(live.length / convSec) },
    storage: { executions: ex.length, seconds: r3(storeSec), executionsPerSec: Math.round(ex.length / storeSec) },
  };
}

const bench: Bench = async (args) => {
  const p = parseArgs(args);
  const n = flagNumber(p, 'n', 1500);
  const blocks = flagNumber(p, 'blocks', 8);
  const agents = flagNumber(p, 'agents', 8);
  const pgAdmin = flagString(p, 'pg') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const nats = flagString(p, 'nats') ?? 'nats://127.0.0.1:4222';
  const scratch = await createScratchDatabase(pgAdmin, 'bench_fc');
  const cfg = setConfig(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'error', NODE_ENV: 'production' }));
  try {
    const db = await getMigratedDb(cfg);
    await db.query(`INSERT INTO tenants (id, name) VALUES ('bench', 'Bench')`);
    await closeDb();
    process.stderr.write('  overhead (minimal agents)…\n');
    const minimal = await overhead(cfg, n, blocks, agents, 400, nats);
    process.stderr.write('  overhead (agents near the consensus budget)…\n');
    const realistic = await overhead(cfg, Math.round(n / 3), blocks, agents, 12_000, nats);
    agentIters = 400;
    process.stderr.write('  export latency…\n');
    const l = await exportLatency(cfg, agents, 300);
    process.stderr.write('  tick ingest…\n');
    const t = await tickIngest(cfg, 50_000, 0.01);
    process.stderr.write('  absorb…\n');
    const a = await absorb(cfg, agents);
    return {
      setup: { decisionsPerBlock: n, blocks, agents, postgres: 'real, fresh database', loop: 'closed, one decision at a time' },
      goal: 'tracing + FlowChain ≤ 10 % over tracing off at p99',
      overhead: {
        note: 'minimal: agents do ~9 µs each, the decision is almost pure framework (worst case for relative overhead); nearBudget: agents do real work so an untraced decision takes ~1 ms, the scale of the consensus target (p99 ≤ 2 ms in-process)',
        minimal,
        nearBudget: realistic,
      },
      exportLatency: l,
      tickIngest: t,
      absorb: a,
    };
  } finally {
    await closeDb();
    await scratch.drop();
  }
};

export default bench;
