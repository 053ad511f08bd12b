/**
 * Decision benchmark: closed candle → every available agent → three fusions →
 * decision persisted (PostgreSQL) → `decision.made`, over the bundled EURUSD
 * day (M1 bars built from its ticks).
 *
 * - in-process: consensus and the eight agents in one broker;
 * - over NATS: consensus here, the agents in a second process (`plan2 start`
 *   with SERVICES=agents/research,agents/decision) on the real NATS server; the
 *   sixteen-agent decision is bench/decision-sixteen.bench.ts;
 * - fan-out: one candle decided for 200 tenants (market opinions shared);
 * - pure compute: the eight agent classes and the fusions without broker or
 *   database (the floor of the decision path), twice: `pureCompute` in a fresh
 *   process, `pureComputeWarm` with new agents once V8 has compiled the day's paths;
 * - the machine's scheduling noise (`schedulingStalls`, bench/util.ts);
 * - fusion only (the three methods on eight opinions) and neural-ensemble
 *   inference (typed-array forward pass, 8 agents × 5 inputs → 16 → 3), with
 *   a tfjs `predict` of the same model for comparison.
 *
 * Each run plays the bundled day three times in a row (day k shifted by k × 24 h): the goal's
 * figures time the third day from bar `warmup` on, a node that has run for days (on two CPUs
 * the compile jobs V8 still runs during the first day take the CPU the database round trip
 * needs, and widen its tail); `afterStart` times the first day, a freshly started node.
 *
 * Latency per candle = from `emit('candle.closed')` to the tenant's
 * `decision.made` (emitted once the decision is in the node's journal, its INSERT sent at the
 * end of that turn, see lib/storage/handoff-writer.ts). Before the next candle the bench waits
 * for its commit (`decisionCommitted`, bench/util.ts: the tenant's newest stored decision
 * must be this one; not timed): live, candles of one series are a minute apart and the
 * commit is long done. The first `warmup` bars
 * fill the agents' history and are not timed. Each bar's minute of ticks is sent just
 * before it and handled before the timer starts (in one process `emit` awaits its
 * handlers; over NATS a ping to the agents' node, queued behind the ticks, waits
 * for them: a PING is answered by the transit itself, where a `$node.health` call cost
 * that node half a millisecond of CPU a candle in system calls): tick handling is not part
 * of a decision. On a shared machine the wall
 * clock includes waiting for a CPU; the load average and this process's CPU
 * time per decision are recorded next to it.
 *
 * Needs PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * and NATS (BENCH_NATS_URL, default nats://127.0.0.1:4222) for those parts;
 * a part whose server is unreachable is reported as skipped.
 *
 * `npm run build && npm run bench -- decision [bars=1350] [warmup=600]`: 750 timed candles of
 * each timed day's 1,419, after ten hours of that day (the agents' history); the fan-out
 * takes the 60 after the third day's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { loadConfig, setConfig } from '../config';
import { ROOT } from '../paths';
import { startPlatform, Platform } from '../runner';
import { fuseAll, SignalCorrelation } from '../lib/consensus';
import { compileForward, createRunner, EnsembleModel, encodeInputs } from '../lib/consensus/neural';
import { loadTf } from '../lib/consensus/train';
import type { Decision, Opinion } from '../types/agents';
import type { Candle, Tick } from '../types/market';
import { createScratchDatabase, ScratchDatabase } from '../lib/storage/scratch';
import { PgDb } from '../lib/storage/adapters/pg';
import { insertDecisions, StoredDecision } from '../services/consensus/store';
import { Bench, decisionCommitted, nowNs, schedulingStalls, summarize, bundledEurusdDay, reachable, replayDays, timeCalls } from './util';
import type { Agent } from '../lib/agents/agent';
import { MarketAnalysisAgent } from '../agents/research/market-analysis/market-analysis.agent';
import { NewsSentimentAgent } from '../agents/research/news-sentiment/news-sentiment.agent';
import { TechnicalIndicatorAgent } from '../agents/research/technical-indicator/technical-indicator.agent';
import { FundamentalAnalysisAgent } from '../agents/research/fundamental-analysis/fundamental-analysis.agent';
import { StrategyFormulationAgent } from '../agents/decision/strategy-formulation/strategy-formulation.agent';
import { RiskAssessmentAgent } from '../agents/decision/risk-assessment/risk-assessment.agent';
import { PortfolioOptimizationAgent } from '../agents/decision/portfolio-optimization/portfolio-optimization.agent';
import { ExecutionTimingAgent } from '../agents/decision/execution-timing/execution-timing.agent';

const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';


/** A scratch database on the real PostgreSQL, or null when none answers (the bench then skips persistence runs). */
async function freshDatabase(): Promise<ScratchDatabase | null> {
  return createScratchDatabase(PG, 'bench_decision').catch(() => null);
}


async function addTenants(url: string, ids: string[]): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query("INSERT INTO tenants (id, name, tier) SELECT x, x, 'pro' FROM unnest($1::text[]) AS x ON CONFLICT DO NOTHING", [ids]);
  await c.end();
}

/** Feed ticks and candles [from, to); time candle → the `tenants` decisions from index `warmup` on. */
async function drive(p: Platform, day: { ticks: Tick[]; bars: Candle[] }, tenant: string, from: number, to: number, warmup: number, tenants = 1, barrier?: () => Promise<unknown>): Promise<{ ms: number[]; opinions: number[]; abstained: number; agentMs: number[]; gatherFuseMs: number[]; cpuMsPerCandle: number }> {
  let waiting: { t: number; resolve: () => void; left: number } | null = null;
  let lastId: string | null = null;
  const agentMs: number[] = [];
  const gatherFuseMs: number[] = [];
  let abstained = 0;
  const opinions: number[] = [];
  const probe = p.broker.createService({
    name: `bench-probe-${tenant}-${from}`,
    events: {
      'decision.made'(ctx: { params: Decision }) {
        const d = ctx.params;
        if (!waiting || d.asOf !== waiting.t) return;
        if (d.tenantId === tenant) {
          lastId = d.id;
          opinions.push(d.opinions.length);
          abstained += d.abstained.length;
          for (const o of d.opinions) agentMs.push(o.latencyMs);
          gatherFuseMs.push(d.latencyMs);
        }
        if (--waiting.left === 0) waiting.resolve();
      },
    },
  });
  await new Promise((r) => setTimeout(r, 200));
  const ms: number[] = [];
  let cpu = 0;
  let k = day.ticks.findIndex((t) => t.time_msc >= day.bars[from].t);
  for (let i = from; i < Math.min(to, day.bars.length); i++) {
    const c = day.bars[i];
    const end = c.t + 60_000;
    const batch: Tick[] = [];
    while (k < day.ticks.length && day.ticks[k].time_msc < end) batch.push(day.ticks[k++]);
    await p.broker.emit('ticks.received', { symbol: 'EURUSD', ticks: batch });
    // The minute's ticks, sent at once here (live they arrive over the minute), are handled
    // before the candle is timed: in one process `emit` awaits the handlers; over NATS a
    // ping to the agents' node, queued behind them, does.
    if (barrier) await barrier();
    const done = new Promise<void>((resolve) => (waiting = { t: end, resolve, left: tenants }));
    const c0 = process.cpuUsage();
    const t0 = nowNs();
    await p.broker.emit('candle.closed', c);
    await done;
    if (i >= warmup) {
      ms.push(Number(nowNs() - t0) / 1e6);
      const d = process.cpuUsage(c0);
      cpu += (d.user + d.system) / 1000;
    }
    if (lastId) await decisionCommitted(p.broker, tenant, lastId);
  }
  await p.broker.destroyService(probe);
  return { ms, opinions, abstained, agentMs, gatherFuseMs: gatherFuseMs.slice(-ms.length), cpuMsPerCandle: cpu / Math.max(1, ms.length) };
}


function round(x: Record<string, number>): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [k, v] of Object.entries(x)) o[k] = Math.round(v * 1000) / 1000;
  return o;
}

/** A model of the shape consensus would train: 8 agents × 5 inputs → 16 ReLU → 3 softmax, seeded weights. */
function benchModel(agents: string[]): EnsembleModel {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const nIn = agents.length * 5;
  return createRunner({
    version: 1,
    agents,
    layers: [
      { in: nIn, out: 16, activation: 'relu', w: Float64Array.from({ length: nIn * 16 }, () => rnd() * 0.3), b: new Float64Array(16) },
      { in: 16, out: 3, activation: 'softmax', w: Float64Array.from({ length: 48 }, () => rnd() * 0.3), b: new Float64Array(3) },
    ],
  }).model;
}

async function inference(sample: Opinion[]): Promise<Record<string, unknown>> {
  const agents = [...new Set(sample.map((o) => o.agent))].sort();
  const model = benchModel(agents);
  const runner = createRunner(model);
  const N = 200_000;
  for (let i = 0; i < 20_000; i++) runner.predict(sample);
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = nowNs();
    runner.predict(sample);
    times.push(Number(nowNs() - t0) / 1e6);
  }
  const typed = round(summarize(times));
  // The same model through tfjs predict (wasm), for comparison.
  const tf = await loadTf();
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 16, inputShape: [model.layers[0].in], activation: 'relu' }));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  m.layers[0].setWeights([tf.tensor2d(Float32Array.from(model.layers[0].w), [model.layers[0].in, 16]), tf.tensor1d(Float32Array.from(model.layers[0].b))]);
  m.layers[1].setWeights([tf.tensor2d(Float32Array.from(model.layers[1].w), [16, 3]), tf.tensor1d(Float32Array.from(model.layers[1].b))]);
  const x = encodeInputs(model.agents, sample);
  const tfTimes: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t0 = nowNs();
    const out = tf.tidy(() => m.predict(tf.tensor2d(Float32Array.from(x), [1, x.length])) as import('@tensorflow/tfjs').Tensor);
    out.dataSync();
    out.dispose();
    if (i >= 500) tfTimes.push(Number(nowNs() - t0) / 1e6);
  }
  const ours = compileForward(model)(x);
  const theirs = (m.predict(tf.tensor2d(Float32Array.from(x), [1, x.length])) as import('@tensorflow/tfjs').Tensor).dataSync();
  m.dispose();
  return { model: '8×5 → 16 relu → 3 softmax', typedArrayForwardMs: typed, tfjsPredictMs: round(summarize(tfTimes)), tfjsBackend: tf.getBackend(), maxAbsDiffVsTfjs: Math.max(Math.abs(ours.buy - theirs[0]), Math.abs(ours.hold - theirs[1]), Math.abs(ours.sell - theirs[2])) };
}

function fusionOnly(sample: Opinion[]): Record<string, number> {
  const corr = new SignalCorrelation();
  const runner = createRunner(benchModel([...new Set(sample.map((o) => o.agent))].sort()));
  const times: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    const t0 = nowNs();
    fuseAll(sample, { method: 'bayesian', runner, correlation: (a, b) => corr.correlation(a, b), quorum: 1 });
    if (i >= 5000) times.push(Number(nowNs() - t0) / 1e6);
  }
  return round(summarize(times));
}

/**
 * What the machine itself costs a decision, with the same 1 ms idle between requests as
 * between candles: a PostgreSQL round trip (`SELECT 1`) and a bare NATS request to a
 * subscriber in this process (no Moleculer). On a VM, waking an idle process can cost
 * more than the work; these are the floors under the one write and the remote opinions.
 */
async function floors(): Promise<Record<string, unknown>> {
  const time = async (fn: () => Promise<unknown>) => round(summarize(await timeCalls(fn, { n: 600, warmup: 100, idleMs: 1 })));
  const out: Record<string, unknown> = {};
  const c = new Client({ connectionString: PG });
  try {
    await c.connect();
    out.pgRoundTripAfterIdle = await time(() => c.query('SELECT 1'));
  } catch (e) {
    out.pgRoundTripAfterIdle = { skipped: (e as Error).message };
  } finally {
    await c.end().catch(() => undefined);
  }
  if (await reachable(NATS)) {
    const { connect } = await import('nats');
    const nc = await connect({ servers: NATS });
    const subject = `plan2.bench.echo.${process.pid}`;
    const sub = nc.subscribe(subject, { callback: (_e, m) => m.respond(m.data) });
    const payload = new Uint8Array(600);
    out.natsRequestAfterIdle = await time(() => nc.request(subject, payload, { timeout: 1000 }));
    sub.unsubscribe();
    await nc.close();
  }
  return out;
}

/**
 * The persist step alone: the production INSERT of a real decision (its eight opinions and
 * three fusions) after 1 ms idle, as between candles. The floor under `insertMs` of the
 * candle → decision path on this machine.
 */
async function decisionInsertAfterIdle(url: string, d: Decision): Promise<Record<string, number>> {
  const db = new PgDb({ connectionString: url, max: 1 });
  try {
    const stored: StoredDecision = Object.assign({}, d, { candleT: null });
    return round(summarize(await timeCalls(() => insertDecisions(db, [Object.assign({}, stored, { id: randomUUID() })]), { n: 600, warmup: 100, idleMs: 1 })));
  } finally {
    await db.close();
  }
}

/** The pure pipeline without broker or database: eight agents fed and asked, three fusions. */
function pureCompute(day: { ticks: Tick[]; bars: Candle[] }, bars: number, warmup: number): Record<string, unknown> {
  const agents: Agent[] = [new MarketAnalysisAgent(), new NewsSentimentAgent(), new TechnicalIndicatorAgent(), new FundamentalAnalysisAgent(), new StrategyFormulationAgent(), new RiskAssessmentAgent(), new PortfolioOptimizationAgent(), new ExecutionTimingAgent()];
  const corr = new SignalCorrelation();
  const ms: number[] = [];
  let k = 0;
  for (let i = 0; i < Math.min(bars, day.bars.length); i++) {
    const c = day.bars[i];
    const end = c.t + 60_000;
    const batch: Tick[] = [];
    while (k < day.ticks.length && day.ticks[k].time_msc < end) batch.push(day.ticks[k++]);
    for (const a of agents) if (a.events.includes('ticks.received')) a.update({ type: 'ticks.received', ticks: batch });
    const t0 = nowNs();
    const ops: Opinion[] = [];
    for (const a of agents) {
      if (a.events.includes('candle.closed')) a.update({ type: 'candle.closed', candle: c });
      ops.push({ ...a.opine({ symbol: 'EURUSD', tf: 'M1', asOf: end, ...(a.scope === 'tenant' ? { tenantId: 'bench' } : {}) }), latencyMs: 0 });
    }
    fuseAll(ops, { method: 'bayesian', correlation: (x, y) => corr.correlation(x, y) });
    if (i >= warmup) ms.push(Number(nowNs() - t0) / 1e6);
  }
  return { agentsAndFusionsMs: round(summarize(ms)) };
}

const bench: Bench = async (args) => {
  const bars = Number(args[0] ?? 1350);
  const warmup = Number(args[1] ?? 600);
  const day = bundledEurusdDay();
  const feed = replayDays(day, 3);
  const D = feed.dayBars;
  const result: Record<string, unknown> = { loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100), data: 'bundled EURUSD 2014-05-08, M1 bars from OANDA ticks', bars: Math.min(bars, day.bars.length), warmupBars: warmup, goals: { inProcessP99Ms: 2, natsP99Ms: 5, inferenceP99Ms: 0.2 } };
  let sample: Opinion[] = [];
  let decisionInsertFloor: Record<string, number> | null = null;
  result.schedulingStalls = await schedulingStalls();
  result.pureCompute = pureCompute(day, bars, warmup);
  // The same again with fresh agents: V8 has now compiled every path the day takes, so
  // this is a long-running node's figure (the first pass shows a fresh process's JIT).
  result.pureComputeWarm = pureCompute(day, bars, warmup);

  const db = await freshDatabase();
  if (!db) result.inProcess = { skipped: `PostgreSQL unreachable at ${PG}` };
  else {
    try {
      // In one process.
      const cfg = setConfig(loadConfig({ DATABASE_URL: db.url, SERVICES: 'consensus,agents/research,agents/decision', LOG_LEVEL: 'warn', CONSENSUS_DEADLINE_MS: '10' }));
      const p = await startPlatform(cfg, { logger: false });
      try {
        await addTenants(db.url, ['bench', ...Array.from({ length: 200 }, (_, i) => `fan${i}`)]);
        await p.broker.call('consensus.watchlistSeed', { tenantId: 'bench', items: [{ symbol: 'EURUSD', tf: 'M1' }] });
        // The first day after start, then two more: the second untimed, the third timed from
        // the same bar (the goal's figure, a node that has run for days; see `days`).
        const first = await drive(p, feed, 'bench', 0, bars, warmup);
        const r = await drive(p, feed, 'bench', D, 2 * D + bars, 2 * D + warmup);
        const last = await p.broker.call<{ items: { id: string }[] }, object>('consensus.list', { limit: 1 }, { meta: { tenantId: 'bench' } });
        const d = await p.broker.call<Decision, object>('consensus.get', { id: last.items[0].id }, { meta: { tenantId: 'bench' } });
        sample = d.opinions;
        decisionInsertFloor = await decisionInsertAfterIdle(db.url, d);
        result.inProcess = {
          timedDay: 3,
          candleToPersistedDecisionMs: round(summarize(r.ms)),
          askAndFuseMs: round(summarize(r.gatherFuseMs)),
          processCpuMsPerDecision: Math.round(r.cpuMsPerCandle * 1000) / 1000,
          opinionsPerDecision: { min: Math.min(...r.opinions), max: Math.max(...r.opinions) },
          abstentions: r.abstained,
          agentOpineMs: round(summarize(r.agentMs)),
          deadlineMs: 10,
          afterStart: { timedDay: 1, candleToPersistedDecisionMs: round(summarize(first.ms)), askAndFuseMs: round(summarize(first.gatherFuseMs)), processCpuMsPerDecision: Math.round(first.cpuMsPerCandle * 1000) / 1000 },
        };
        // Fan-out: the next bars for 200 tenants at once.
        for (let i = 0; i < 200; i++) await p.broker.call('consensus.watchlistSeed', { tenantId: `fan${i}`, items: [{ symbol: 'EURUSD', tf: 'M1' }] });
        await new Promise((res) => setTimeout(res, 300));
        const fan = await drive(p, feed, 'fan0', 2 * D + bars, 2 * D + bars + 60, 2 * D + bars, 201);
        result.fanOut200Tenants = { candleToAllPersistedMs: round(summarize(fan.ms)), processCpuMsPerCandle: Math.round(fan.cpuMsPerCandle * 1000) / 1000, candles: fan.ms.length, decisionsPerCandle: 201 };
      } finally {
        await p.stop();
      }
    } finally {
      await db.drop();
    }
  }

  // Over NATS: agents in a second process.
  const bin = path.join(ROOT, 'dist', 'cli', 'plan2.js');
  const db2 = await freshDatabase();
  if (!db2) result.overNats = { skipped: `PostgreSQL unreachable at ${PG}` };
  else if (!fs.existsSync(bin)) result.overNats = { skipped: 'dist/cli/plan2.js missing: npm run build first' };
  else if (!(await reachable(NATS))) {
    result.overNats = { skipped: `NATS unreachable at ${NATS}` };
    await db2.drop();
  }
  else {
    const ns = `plan2bench-${process.pid}-${randomBytes(3).toString('hex')}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-bench-'));
    const child = spawn(process.execPath, [bin, 'start'], { env: { PATH: process.env.PATH ?? '', TRANSPORTER: NATS, NAMESPACE: ns, NODE_ID: `${ns}-agents`, SERVICES: 'agents/research,agents/decision', LOG_LEVEL: 'warn', DATA_DIR: dataDir }, stdio: 'ignore' });
    try {
      const cfg = setConfig(loadConfig({ DATABASE_URL: db2.url, TRANSPORTER: NATS, NAMESPACE: ns, NODE_ID: `${ns}-consensus`, SERVICES: 'consensus', LOG_LEVEL: 'warn', CONSENSUS_DEADLINE_MS: '10' }));
      const p = await startPlatform(cfg, { logger: false });
      try {
        const t0 = Date.now();
        while (p.broker.registry.getServiceList({ onlyAvailable: true }).filter((s) => s.name.startsWith('agent.')).length < 8) {
          if (Date.now() - t0 > 30_000) throw new Error('the agents node did not show up over NATS');
          await new Promise((res) => setTimeout(res, 100));
        }
        await addTenants(db2.url, ['bench']);
        await p.broker.call('consensus.watchlistSeed', { tenantId: 'bench', items: [{ symbol: 'EURUSD', tf: 'M1' }] });
        const barrier = () => p.broker.ping(`${ns}-agents`, 5000);
        const first = await drive(p, feed, 'bench', 0, bars, warmup, 1, barrier);
        const r = await drive(p, feed, 'bench', D, 2 * D + bars, 2 * D + warmup, 1, barrier);
        result.overNats = { timedDay: 3, candleToPersistedDecisionMs: round(summarize(r.ms)), askAndFuseMs: round(summarize(r.gatherFuseMs)), consensusProcessCpuMsPerDecision: Math.round(r.cpuMsPerCandle * 1000) / 1000, opinionsPerDecision: { min: Math.min(...r.opinions), max: Math.max(...r.opinions) }, abstentions: r.abstained, deadlineMs: 10, transport: NATS,
          afterStart: { timedDay: 1, candleToPersistedDecisionMs: round(summarize(first.ms)), askAndFuseMs: round(summarize(first.gatherFuseMs)) } };
      } finally {
        await p.stop();
      }
    } catch (e) {
      result.overNats = { skipped: (e as Error).message };
    } finally {
      child.kill('SIGTERM');
      await db2.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const p99 = (x: unknown) => (x as { candleToPersistedDecisionMs?: { p99: number } } | undefined)?.candleToPersistedDecisionMs?.p99;
  result.goalMet = { inProcessP99: (p99(result.inProcess) ?? Infinity) <= 2, natsP99: (p99(result.overNats) ?? Infinity) <= 5 };
  result.floorMs = Object.assign(await floors(), decisionInsertFloor ? { decisionInsertAfterIdle: decisionInsertFloor } : {});
  result.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  if (sample.length > 0) {
    result.fusionOnlyMs = fusionOnly(sample);
    result.neuralInference = await inference(sample);
  }
  return result;
};

export default bench;
