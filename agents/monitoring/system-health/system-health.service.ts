/**
 * `agent.system-health`: samples this node once a second — event-loop delay
 * (perf_hooks histogram), memory, database round trip, transporter round trips
 * and node availability, and when each symbol's last tick reached the platform
 * (its own `ticks.received` subscription and `market-data.status`) — and feeds
 * the samples to the agent, which vetoes trading while the system or its data
 * is degraded (see system-health.agent.ts). When what vetoes changes it
 * broadcasts `agents.opinion.invalidated` so consensus stops sharing the
 * candle's earlier opinion. REST `GET /system/health?symbol&tf`.
 */
import { monitorEventLoopDelay, IntervalHistogram } from 'node:perf_hooks';
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { withTimeout } from '../../../lib/util/timeout';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import { TIMEFRAMES, Timeframe } from '../../../types/market';
import { HealthReport, HealthSample, SystemHealthAgent } from './system-health.agent';

const SAMPLE_MS = 1000;
/** Transporter pings and market-data status are asked every this many samples. */
const SLOW_EVERY = 5;

interface Vars {
  histogram: IntervalHistogram;
  timer: NodeJS.Timeout | null;
  sampling: Promise<void> | null;
  samples: number;
  arrivals: Map<string, { lastArrivalAt: number; lastTickTime: number | null }>;
  marketFeed: Record<string, { lastArrivalAt: number | null; lastTickTime: number | null }>;
  rtts: Map<string, number>;
}

type This = AgentThis & DbThis & Vars;

async function takeSample(self: This): Promise<HealthSample> {
  const h = self.histogram;
  const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
  const eventLoop = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
  h.reset();
  const mem = process.memoryUsage();
  let db: HealthSample['db'] = null;
  if (self.db) {
    try {
      db = { ok: true, latencyMs: await withTimeout(self.db.ping(), 2000, 'no answer within 2 s') };
    } catch (e) {
      db = { ok: false, latencyMs: null, error: (e as Error).message };
    }
  }
  const slow = self.samples % SLOW_EVERY === 0;
  self.samples++;
  let transporter: HealthSample['transporter'] = null;
  if (self.broker.transit) {
    if (slow) {
      try {
        const pongs = (await self.broker.ping(undefined, 1000)) as unknown as Record<string, { elapsedTime: number } | null>;
        self.rtts.clear();
        for (const [id, p] of Object.entries(pongs ?? {})) if (p) self.rtts.set(id, p.elapsedTime);
      } catch (e) {
        self.logger.debug(`system-health: ping failed: ${(e as Error).message}`);
      }
    }
    const nodes = (self.broker.registry.getNodeList({ onlyAvailable: false, withServices: false }) as { id: string; available: boolean; local: boolean }[])
      .filter((n) => !n.local)
      .map((n) => ({ id: n.id, available: n.available, rttMs: self.rtts.get(n.id) ?? null }));
    transporter = { nodes };
  }
  if (slow && self.broker.registry.actions.isAvailable('market-data.status')) {
    try {
      const st = await self.broker.call<{ symbols?: Record<string, { lastSeenAt: number | null; lastTickTime: number | null }> }, object>('market-data.status', {}, { timeout: 1000 });
      self.marketFeed = {};
      for (const [sym, v] of Object.entries(st.symbols ?? {})) self.marketFeed[sym] = { lastArrivalAt: v.lastSeenAt, lastTickTime: v.lastTickTime };
    } catch (e) {
      self.logger.debug(`system-health: market-data.status failed: ${(e as Error).message}`);
    }
  }
  const feed: HealthSample['feed'] = {};
  for (const [sym, v] of Object.entries(self.marketFeed)) feed[sym] = { ...v };
  for (const [sym, v] of self.arrivals) {
    const cur = feed[sym];
    if (!cur || (cur.lastArrivalAt ?? 0) < v.lastArrivalAt) feed[sym] = { lastArrivalAt: v.lastArrivalAt, lastTickTime: v.lastTickTime ?? cur?.lastTickTime ?? null };
  }
  return { at: Date.now(), node: self.broker.nodeID, eventLoop, memory: { rssMb: mem.rss / 2 ** 20, heapUsedMb: mem.heapUsed / 2 ** 20 }, db, transporter, feed };
}

/** Feed a sample; when what vetoes or warns changed, consensus must not reuse this candle's shared opinion. */
async function record(self: This, s: HealthSample): Promise<void> {
  const agent = agentOf<SystemHealthAgent>(self);
  const before = agent.statusKey();
  agent.sample(s);
  if (agent.statusKey() !== before) await self.broker.broadcast('agents.opinion.invalidated', { agent: agent.id });
}

const SystemHealthService: ServiceSchema<ServiceSettingSchema, object, This> = {
  name: 'agent.system-health',
  mixins: [createDbMixin(), createAgentMixin(() => new SystemHealthAgent(), { warmupBars: 0 })],
  settings: { rest: '/' },
  actions: {
    /** Health of the platform and its data: every check with its level, the last sample, per-symbol freshness. */
    health: {
      rest: 'GET /system/health',
      params: { symbol: { type: 'string', min: 1, max: 32, optional: true }, tf: { type: 'enum', values: [...TIMEFRAMES], optional: true } },
      handler(this: This, ctx: Context<{ symbol?: string; tf?: Timeframe }>): HealthReport {
        return agentOf<SystemHealthAgent>(this).report(ctx.params.symbol, ctx.params.tf ?? 'M1');
      },
    },
    /** Take a sample now (tests, and operators after a fix). */
    sample: {
      params: {},
      async handler(this: This): Promise<HealthReport> {
        await record(this, await takeSample(this));
        return agentOf<SystemHealthAgent>(this).report();
      },
    },
  },
  events: {
    /** When each symbol's ticks reach the platform (wall clock): data freshness. */
    'ticks.received': {
      handler(this: This, ctx: Context<{ symbol?: string; ticks?: { symbol: string; time_msc: number }[] }>) {
        const list = Array.isArray(ctx.params) ? (ctx.params as { symbol: string; time_msc: number }[]) : (ctx.params?.ticks ?? []);
        const now = Date.now();
        for (const t of list) {
          if (typeof t?.symbol !== 'string') continue;
          const cur = this.arrivals.get(t.symbol);
          const tt = typeof t.time_msc === 'number' ? t.time_msc : null;
          if (!cur) this.arrivals.set(t.symbol, { lastArrivalAt: now, lastTickTime: tt });
          else {
            cur.lastArrivalAt = now;
            if (tt !== null && (cur.lastTickTime === null || tt > cur.lastTickTime)) cur.lastTickTime = tt;
          }
        }
      },
    },
  },
  created(this: This) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.timer = null;
    this.sampling = null;
    this.samples = 0;
    this.arrivals = new Map();
    this.marketFeed = {};
    this.rtts = new Map();
  },
  started(this: This) {
    this.histogram.enable();
    this.timer = setInterval(() => {
      if (this.sampling) return; // the previous sample is still waiting on a round trip
      this.sampling = takeSample(this)
        .then((s) => record(this, s))
        .catch((e: unknown) => this.logger.warn(`system-health: sample failed: ${(e as Error).message}`))
        .finally(() => {
          this.sampling = null;
        });
    }, SAMPLE_MS);
    this.timer.unref();
  },
  async stopped(this: This) {
    if (this.timer) clearInterval(this.timer);
    this.histogram.disable();
    await this.sampling;
  },
};

/** Every instance must see every tick batch (its own freshness view): one event group per node. */
function merged(this: { broker: { nodeID: string } }, schema: ServiceSchema): void {
  const def = schema.events?.['ticks.received'];
  if (def && typeof def === 'object') (def as { group?: string }).group = `agent.system-health@${this.broker.nodeID}`;
}

export default Object.assign(SystemHealthService, { merged });
