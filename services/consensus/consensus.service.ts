/**
 * `consensus`: asks every enabled agent for its opinion under a deadline, fuses
 * them three ways (weighted, Bayesian, neural ensemble; one acts per tenant),
 * persists the decision with every opinion and emits `decision.made` (on a real
 * PostgreSQL once the row is journaled, its INSERT sent at the end of the turn; readers here
 * wait for it to commit).
 *
 * - Triggers on `candle.closed` for every tenant watching that symbol and
 *   timeframe (table `watchlists`); `consensus.decide` (REST `POST /decisions`)
 *   decides now. Market-scoped opinions are computed once per closed candle
 *   and shared by all tenants (gather.ts); tenant-scoped agents are asked per tenant.
 * - Late or failed agents are abstentions, never awaited; any veto → hold with
 *   the reason; fewer opinions than the tenant's quorum → hold.
 * - Agents are found in the registry (services named `agent.<id>` with
 *   `metadata.agent`), so they may run on other nodes (`SERVICES=agents/**`).
 *
 * REST: GET /agents, PUT /agents/:id/config, GET /decisions, GET /decisions/:id,
 * POST /decisions, GET|PUT /consensus/settings, GET|PUT /watchlist.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../config';
import { hasFeature, isTier, TIER_CATALOGUE, Tier } from '../../lib/billing/tiers';
import { fuseAll, FUSION_METHODS, marketSignals, reliability, SignalCorrelation, trustFor } from '../../lib/consensus';
import { probBetterThan } from '../../lib/consensus/beta';
import { createRunner, EnsembleRunner } from '../../lib/consensus/neural';
import { DomainError, NotFoundError } from '../../lib/errors';
import { AGENT_HOST } from '../../mixins/agent-host';
import { AGENT_SERVICE_PREFIX, AgentDescriptor, AgentStatus, localOpine, OpineParams } from '../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import type { Decision, FusionMethod, Opinion } from '../../types/agents';
import { Candle, TF_MS, TIMEFRAMES, Timeframe } from '../../types/market';
import type { TenantMeta } from '../../types/meta';
import { AgentRef, gather, MarketOpinionCache } from './gather';
import { HostBatch } from './host-batch';
import * as store from './store';
import * as path from 'node:path';
import { journalName } from '../../lib/storage/ack-journal';
import { HandoffWriter } from '../../lib/storage/handoff-writer';
import { InFlight } from '../../lib/util/in-flight';
import { PipelinedConnection } from '../../lib/storage/pipelined-connection';

type AgentInfo = AgentRef & { group: string; nodes: string[]; events: string[] };

interface TenantState {
  settings: store.TenantSettings;
  agents: Map<string, store.AgentSetting>;
}

interface Vars {
  agentList: AgentInfo[] | null;
  /** Nodes running an `agent-host` (refreshed with `agentList`): their agents are asked one call per node. */
  hostNodes: Set<string>;
  /** Which of an agent's nodes to ask next, when several run it. */
  hostTurn: number;
  /** `agent-host.opine` calls made (one per node and decision). */
  hostCalls: number;
  /** Every agent seen since start: one that disappears is recorded as abstained, not forgotten. */
  knownAgents: Map<string, AgentInfo>;
  tenantCache: Map<string, Promise<TenantState>>;
  tierCache: Map<string, Tier>;
  reliabilities: Map<string, { alpha: number; beta: number }>;
  runner: EnsembleRunner | null;
  watch: Map<string, string[]>;
  watchSymbols: Set<string>;
  seenSymbols: Set<string>;
  lastCandle: Map<string, Candle>;
  marketCache: MarketOpinionCache;
  correlation: SignalCorrelation;
  observed: Map<string, number>;
  inflight: InFlight;
  /** Decision rows on a real PostgreSQL: announced once journaled, sent at the end of the turn (lib/storage/handoff-writer.ts). */
  decisionWriter: HandoffWriter | null;
  chains: Map<string, Promise<unknown>>;
}

interface Methods {
  agents(): AgentInfo[];
  hostFor(a: AgentInfo): string | null;
  tenantState(tenantId: string): Promise<TenantState>;
  tierOf(meta: Partial<TenantMeta>): Promise<Tier>;
  reloadWatchlists(): Promise<void>;
  reloadReliability(): Promise<void>;
  reloadModel(): Promise<void>;
  checkSymbol(symbol: string, tf: string): Promise<Timeframe>;
  decideFor(tenantId: string, symbol: string, tf: Timeframe, candle: Candle | null, traceId: string | null, parent?: ContextParentSpan): Promise<store.StoredDecision>;
  persistAndEmit(ds: store.StoredDecision[], parent?: ContextParentSpan): Promise<void>;
  onCandle(c: Candle, parent?: ContextParentSpan): Promise<void>;
}

type This = DbThis & Vars & Methods & { broker: import('moleculer').ServiceBroker; logger: import('moleculer').Logger };

const key = (symbol: string, tf: string) => symbol + '|' + tf;

/** A span to hang calls under (Moleculer's `parentSpan` call option). */
type ContextParentSpan = { id: string; traceID: string; sampled: boolean };

/**
 * The span a decision's calls and events hang under in the trace (the
 * `candle.closed` handler or the `decide` action), so FlowChain sees one
 * AI_Decision execution. Ids only: no meta is inherited, the calls are unchanged.
 */
function parentSpanOf(ctx: Context): ContextParentSpan | undefined {
  return ctx.requestID ? { id: ctx.id, traceID: ctx.requestID, sampled: ctx.tracing === true } : undefined;
}

/** A span under `parent` for work FlowChain should time on its own (`fusion`, `persist`); null when not traced. */
function childSpan(broker: import('moleculer').ServiceBroker, name: string, parent: ContextParentSpan | undefined, tenantId?: string) {
  if (!parent || !broker.isTracingEnabled()) return null;
  return broker.tracer.startSpan(name, { traceID: parent.traceID, parentID: parent.id, sampled: parent.sampled, service: 'consensus', tags: tenantId ? { meta: { tenantId } } : {} });
}

/** The tenant of a call; every consensus route is tenant-owned. */
function tenantOf(ctx: Context<unknown, Partial<TenantMeta>>): string {
  const t = ctx.meta?.tenantId;
  if (!t) throw new DomainError('UNAUTHENTICATED', 'a tenant is required (API key)', 401);
  return t;
}

const ConsensusService: ServiceSchema<ServiceSettingSchema, Methods, This> = {
  name: 'consensus',
  mixins: [createDbMixin()],
  settings: { rest: '/' },

  actions: {
    /** Decide now for the caller's tenant. */
    decide: {
      rest: 'POST /decisions',
      params: { symbol: { type: 'string', min: 1, max: 32 }, tf: { type: 'string', min: 1, max: 8 } },
      async handler(ctx: Context<{ symbol: string; tf: string }, Partial<TenantMeta>>): Promise<Decision> {
        const tenantId = tenantOf(ctx);
        const tf = await this.checkSymbol(ctx.params.symbol, ctx.params.tf);
        const candle = this.lastCandle.get(key(ctx.params.symbol, tf)) ?? null;
        const parent = parentSpanOf(ctx);
        const d = await this.decideFor(tenantId, ctx.params.symbol, tf, candle, ctx.requestID ?? null, parent);
        await this.persistAndEmit([d], parent);
        const { candleT: _c, ...out } = d;
        return out;
      },
    },

    list: {
      rest: 'GET /decisions',
      params: {
        symbol: { type: 'string', min: 1, max: 32, optional: true },
        from: { type: 'number', integer: true, optional: true, convert: true },
        to: { type: 'number', integer: true, optional: true, convert: true },
        limit: { type: 'number', integer: true, min: 1, max: 10_000, optional: true, convert: true },
        cursor: { type: 'string', max: 200, optional: true },
      },
      async handler(ctx: Context<{ symbol?: string; from?: number; to?: number; limit?: number; cursor?: string }, Partial<TenantMeta>>) {
        const tenantId = tenantOf(ctx);
        const p = ctx.params;
        const cursor = p.cursor ? store.decodeCursor(p.cursor) : undefined;
        if (cursor === null) throw new DomainError('BAD_CURSOR', 'cursor is not one this API returned', 422);
        const q: Parameters<typeof store.listDecisions>[2] = { limit: p.limit ?? 100 };
        if (p.symbol) q.symbol = p.symbol;
        if (p.from !== undefined) q.from = p.from;
        if (p.to !== undefined) q.to = p.to;
        if (cursor) q.cursor = cursor;
        await this.decisionWriter?.settled();
        return store.listDecisions(this.db, tenantId, q);
      },
    },

    get: {
      rest: 'GET /decisions/:id',
      params: { id: { type: 'string', min: 1, max: 64 } },
      async handler(ctx: Context<{ id: string }, Partial<TenantMeta>>): Promise<Decision> {
        await this.decisionWriter?.settled();
        const d = await store.getDecision(this.db, tenantOf(ctx), ctx.params.id);
        if (!d) throw new NotFoundError('decision', ctx.params.id);
        const { candleT: _c, ...out } = d;
        return out;
      },
    },

    /** Every agent the registry knows, its status, and this tenant's weight, switch and the learned reliability. */
    agentsList: {
      rest: 'GET /agents',
      params: {},
      async handler(ctx: Context<object, Partial<TenantMeta>>) {
        const tenantId = tenantOf(ctx);
        const st = await this.tenantState(tenantId);
        const live = new Set(this.agents().map((a) => a.id));
        const items = await Promise.all(
          [...this.knownAgents.values()].sort((a, b) => a.id.localeCompare(b.id)).map(async (a) => {
            let status: AgentStatus | null = null;
            let error: string | undefined;
            if (!live.has(a.id)) error = 'unavailable: no node runs it now';
            else
              try {
                status = await ctx.call<AgentStatus, object>(`${AGENT_SERVICE_PREFIX}${a.id}.status`, {}, { timeout: 1000 });
              } catch (e) {
                error = (e as Error).message;
              }
            const s = st.agents.get(a.id);
            const r = this.reliabilities.get(a.id) ?? { alpha: 1, beta: 1 };
            return {
              id: a.id,
              group: a.group,
              scope: a.scope,
              available: live.has(a.id),
              nodes: live.has(a.id) ? a.nodes : [],
              enabled: s?.enabled ?? true,
              weight: s?.weight ?? 1,
              params: s?.params ?? {},
              reliability: { alpha: r.alpha, beta: r.beta, multiplier: reliability(r.alpha, r.beta), pBetterThanChance: probBetterThan(r.alpha, r.beta) },
              status,
              ...(error ? { error } : {}),
            };
          }),
        );
        return { items, method: st.settings.method, quorum: st.settings.quorum, deadlineMs: config().consensusDeadlineMs, model: this.runner ? { version: this.runner.model.version, agents: this.runner.model.agents } : null };
      },
    },

    /** Per-tenant agent switch, weight (≥ 0) and, for tenant-scoped agents, parameters. */
    configureAgent: {
      rest: 'PUT /agents/:id/config',
      params: {
        id: { type: 'string', min: 1, max: 64 },
        enabled: { type: 'boolean', optional: true },
        weight: { type: 'number', min: 0, max: 1000, optional: true },
        params: { type: 'object', optional: true },
      },
      async handler(ctx: Context<{ id: string; enabled?: boolean; weight?: number; params?: Record<string, unknown> }, Partial<TenantMeta>>) {
        const tenantId = tenantOf(ctx);
        const tier = await this.tierOf(ctx.meta);
        if (!hasFeature(tier, 'custom_agents_config')) throw new DomainError('TIER_LIMIT', `agent configuration needs a plan with custom_agents_config (${tier} has not)`, 403, { tier });
        const st = await this.tenantState(tenantId);
        const known = new Map(this.agents().map((a) => [a.id, a]));
        const agent = known.get(ctx.params.id);
        if (!agent && !st.agents.has(ctx.params.id)) throw new NotFoundError('agent', ctx.params.id, { known: [...known.keys()].sort() });
        const cur = st.agents.get(ctx.params.id) ?? { agent: ctx.params.id, enabled: true, weight: 1, params: {} };
        const next: store.AgentSetting = { agent: ctx.params.id, enabled: ctx.params.enabled ?? cur.enabled, weight: ctx.params.weight ?? cur.weight, params: cur.params };
        let effective: Record<string, unknown> | undefined;
        if (ctx.params.params && Object.keys(ctx.params.params).length > 0) {
          if (!agent) throw new DomainError('AGENT_UNAVAILABLE', `agent ${ctx.params.id} is not running; its parameters cannot be checked now`, 422);
          if (agent.scope !== 'tenant') throw new DomainError('MARKET_SCOPED', `${ctx.params.id} is market-scoped: one configuration serves every tenant`, 422, { scope: agent.scope });
          effective = await ctx.call<Record<string, unknown>, object>(`${AGENT_SERVICE_PREFIX}${agent.id}.configure`, { params: ctx.params.params, tenantId });
          next.params = { ...cur.params, ...ctx.params.params };
        }
        await store.saveAgentSetting(this.db, tenantId, next);
        this.tenantCache.delete(tenantId);
        await this.broker.broadcast('consensus.settings.changed', { tenantId });
        return { ...next, ...(effective ? { effective } : {}) };
      },
    },

    settingsGet: {
      rest: 'GET /consensus/settings',
      params: {},
      async handler(ctx: Context<object, Partial<TenantMeta>>) {
        const st = await this.tenantState(tenantOf(ctx));
        return { ...st.settings, deadlineMs: config().consensusDeadlineMs, methods: FUSION_METHODS };
      },
    },

    settingsPut: {
      rest: 'PUT /consensus/settings',
      params: { method: { type: 'enum', values: [...FUSION_METHODS], optional: true }, quorum: { type: 'number', integer: true, min: 0, max: 100, optional: true } },
      async handler(ctx: Context<{ method?: FusionMethod; quorum?: number }, Partial<TenantMeta>>) {
        const tenantId = tenantOf(ctx);
        if (ctx.params.method === 'neural') {
          const tier = await this.tierOf(ctx.meta);
          if (!hasFeature(tier, 'neural_ensemble')) throw new DomainError('TIER_LIMIT', `the neural ensemble needs a plan with neural_ensemble (${tier} has not)`, 403, { tier });
        }
        const cur = (await this.tenantState(tenantId)).settings;
        const next = { method: ctx.params.method ?? cur.method, quorum: ctx.params.quorum ?? cur.quorum };
        await store.saveTenantSettings(this.db, tenantId, next);
        this.tenantCache.delete(tenantId);
        await this.broker.broadcast('consensus.settings.changed', { tenantId });
        return next;
      },
    },

    watchlistGet: {
      rest: 'GET /watchlist',
      params: {},
      async handler(ctx: Context<object, Partial<TenantMeta>>) {
        return { items: await store.loadWatchlist(this.db, tenantOf(ctx)) };
      },
    },

    /** Replace the tenant's watchlist: the symbols and timeframes decided on every closed candle. */
    watchlistPut: {
      rest: 'PUT /watchlist',
      params: {
        items: { type: 'array', max: 1000, items: { type: 'object', props: { symbol: { type: 'string', min: 1, max: 32, pattern: /^[A-Za-z0-9._-]+$/ }, tf: { type: 'enum', values: [...TIMEFRAMES] } } } },
      },
      async handler(ctx: Context<{ items: { symbol: string; tf: Timeframe }[] }, Partial<TenantMeta>>) {
        const tenantId = tenantOf(ctx);
        const tier = await this.tierOf(ctx.meta);
        const symbols = new Set(ctx.params.items.map((i) => i.symbol));
        const max = TIER_CATALOGUE[tier].maxSymbols;
        if (symbols.size > max) throw new DomainError('TIER_LIMIT', `${symbols.size} symbols exceed the ${tier} plan's ${max}`, 403, { tier, max });
        const unique = [...new Map(ctx.params.items.map((i) => [key(i.symbol, i.tf), i])).values()];
        await store.saveWatchlist(this.db, tenantId, unique);
        await this.broker.broadcast('consensus.settings.changed', { tenantId, watchlist: true });
        return { items: unique };
      },
    },

    /**
     * Internal, for the learning agents: candle-triggered decisions of every
     * tenant with their opinions, oldest first, after `afterAsOf` (keyset on
     * as_of, id), or the newest `limit` of them (`newest`). One page per call.
     */
    history: {
      visibility: 'public',
      params: {
        afterAsOf: { type: 'number', integer: true, optional: true },
        afterId: { type: 'string', max: 64, optional: true },
        limit: { type: 'number', integer: true, min: 1, max: 10_000, optional: true },
        newest: { type: 'boolean', optional: true },
      },
      async handler(ctx: Context<{ afterAsOf?: number; afterId?: string; limit?: number; newest?: boolean }>): Promise<{ items: Decision[]; next: { afterAsOf: number; afterId: string } | null }> {
        return store.decisionHistory(this.db, { afterAsOf: ctx.params.afterAsOf ?? -1, afterId: ctx.params.afterId ?? null, limit: ctx.params.limit ?? 1000, newest: ctx.params.newest ?? false });
      },
    },

    /** Internal: give a tenant a first watchlist when it has none (the demo tenant watches EURUSD M1). */
    watchlistSeed: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1, max: 64 }, items: { type: 'array', min: 1, max: 100, items: { type: 'object', props: { symbol: { type: 'string', min: 1, max: 32 }, tf: { type: 'enum', values: [...TIMEFRAMES] } } } } },
      async handler(ctx: Context<{ tenantId: string; items: { symbol: string; tf: Timeframe }[] }>) {
        const seeded = await store.seedWatchlist(this.db, ctx.params.tenantId, ctx.params.items);
        if (seeded) await this.broker.broadcast('consensus.settings.changed', { tenantId: ctx.params.tenantId, watchlist: true });
        return { seeded };
      },
    },
  },

  events: {
    'candle.closed': {
      handler(this: This, ctx: Context<Candle | { candle: Candle }>) {
        const p = ctx.params as Candle & { candle?: Candle };
        const c = p.candle ?? p;
        if (typeof c?.symbol !== 'string' || !TIMEFRAMES.includes(c.tf) || typeof c.t !== 'number') return;
        // One series is decided in candle order (decision.made never goes back in time); series run in parallel.
        const k = key(c.symbol, c.tf);
        const job = (this.chains.get(k) ?? Promise.resolve())
          .then(() => this.onCandle(c, parentSpanOf(ctx)))
          .catch((e: unknown) => this.logger.error(`consensus: decisions on ${c.symbol} ${c.tf} ${c.t} failed: ${(e as Error).message}`));
        this.chains.set(k, job);
        void this.inflight.track(job).finally(() => {
          if (this.chains.get(k) === job) this.chains.delete(k);
        });
      },
    },
    // News and calendar entries change what their agents think between candles: their shared opinions are stale.
    'news.published'(this: This) {
      this.marketCache.invalidate(this.agents().filter((a) => a.events.includes('news.published')).map((a) => a.id));
    },
    'calendar.published'(this: This) {
      this.marketCache.invalidate(this.agents().filter((a) => a.events.includes('calendar.published')).map((a) => a.id));
    },
    /** An agent whose view changed between candles (system-health on a status change): its shared opinions are stale. */
    'agents.opinion.invalidated'(this: This, ctx: Context<{ agent?: string }>) {
      if (typeof ctx.params?.agent === 'string') this.marketCache.invalidate([ctx.params.agent]);
    },
    '$services.changed'(this: This) {
      this.agentList = null;
    },
    'consensus.settings.changed': {
      async handler(this: This, ctx: Context<{ tenantId: string; watchlist?: boolean }>) {
        this.tenantCache.delete(ctx.params.tenantId);
        if (ctx.params.watchlist) await this.reloadWatchlists();
      },
    },
    /** From performance-analysis: the new Beta posteriors in the payload (applied at once), else reload them from Postgres. */
    'agents.reliability.updated'(this: This, ctx: Context<{ reliabilities?: Record<string, { alpha: number; beta: number }> }>) {
      const r = ctx.params?.reliabilities;
      if (!r || typeof r !== 'object') return this.reloadReliability();
      for (const [agent, v] of Object.entries(r)) if (v && v.alpha > 0 && v.beta > 0) this.reliabilities.set(agent, { alpha: v.alpha, beta: v.beta });
    },
    'consensus.model.updated'(this: This) {
      return this.reloadModel();
    },
  },

  methods: {
    agents() {
      if (this.agentList) return this.agentList;
      const byId = new Map<string, AgentInfo>();
      this.hostNodes = new Set();
      for (const s of this.broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true })) {
        if (s.name === AGENT_HOST) this.hostNodes.add(s.nodeID as string);
        const d = (s.metadata as { agent?: AgentDescriptor } | undefined)?.agent;
        if (!d || !s.name.startsWith(AGENT_SERVICE_PREFIX)) continue;
        const cur = byId.get(d.id);
        if (cur) cur.nodes.push(s.nodeID as string);
        else byId.set(d.id, { id: d.id, scope: d.scope, group: d.group, nodes: [s.nodeID as string], events: d.events ?? [] });
      }
      this.agentList = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
      for (const a of this.agentList) this.knownAgents.set(a.id, a);
      return this.agentList;
    },

    /**
     * The node whose agent-host to ask for `a`, or null to call the agent itself: an agent
     * running here is called as a function (`localOpine`); one elsewhere
     * through a host on one of its nodes, turn about when several run it.
     */
    hostFor(a: AgentInfo): string | null {
      const here = this.broker.nodeID;
      if (a.nodes.includes(here)) return null;
      const hosts = a.nodes.filter((n) => this.hostNodes.has(n));
      if (hosts.length === 0) return null;
      return hosts.length === 1 ? hosts[0] : hosts[this.hostTurn++ % hosts.length];
    },

    tenantState(tenantId: string): Promise<TenantState> {
      let p = this.tenantCache.get(tenantId);
      if (!p) {
        p = Promise.all([store.loadTenantSettings(this.db, tenantId), store.loadAgentSettings(this.db, tenantId)]).then(([settings, agents]) => ({ settings, agents }));
        p.catch(() => this.tenantCache.delete(tenantId));
        this.tenantCache.set(tenantId, p);
      }
      return p;
    },

    async tierOf(meta: Partial<TenantMeta>): Promise<Tier> {
      if (meta.tier && isTier(meta.tier)) return meta.tier;
      const id = meta.tenantId!;
      const cached = this.tierCache.get(id);
      if (cached) return cached;
      const rows = await this.db.query<{ tier: string }>('SELECT tier FROM tenants WHERE id = $1', [id]);
      const t = rows[0] && isTier(rows[0].tier) ? rows[0].tier : 'free';
      this.tierCache.set(id, t);
      return t;
    },

    async reloadWatchlists() {
      const rows = await store.loadWatchlists(this.db);
      const w = new Map<string, string[]>();
      const syms = new Set<string>();
      for (const r of rows) {
        const k = key(r.symbol, r.tf);
        const l = w.get(k);
        if (l) l.push(r.tenantId);
        else w.set(k, [r.tenantId]);
        syms.add(r.symbol);
      }
      this.watch = w;
      this.watchSymbols = syms;
    },

    async reloadReliability() {
      this.reliabilities = await store.loadReliability(this.db);
    },

    async reloadModel() {
      const m = await store.loadActiveModel(this.db);
      this.runner = m ? createRunner(m) : null;
      if (m) this.logger.info(`consensus: neural ensemble v${m.version} over ${m.agents.join(', ')}`);
    },

    async checkSymbol(symbol: string, tf: string): Promise<Timeframe> {
      if (!TIMEFRAMES.includes(tf as Timeframe)) throw new NotFoundError('timeframe', tf, { known: [...TIMEFRAMES] });
      if (this.seenSymbols.has(symbol) || this.watchSymbols.has(symbol)) return tf as Timeframe;
      // Symbols market-data knows but that have not closed a candle here yet.
      if (this.broker.registry.actions.isAvailable('market-data.symbols')) {
        try {
          const r = await this.broker.call<{ items: { symbol: string }[] }, object>('market-data.symbols', {}, { timeout: 2000 });
          for (const it of r.items) this.seenSymbols.add(it.symbol);
        } catch (e) {
          this.logger.warn(`consensus: market-data.symbols failed: ${(e as Error).message}`);
        }
        if (this.seenSymbols.has(symbol)) return tf as Timeframe;
      }
      throw new NotFoundError('symbol', symbol, { known: [...new Set([...this.seenSymbols, ...this.watchSymbols])].sort() });
    },

    async decideFor(tenantId: string, symbol: string, tf: Timeframe, candle: Candle | null, traceId: string | null, parent?: ContextParentSpan): Promise<store.StoredDecision> {
      const t0 = performance.now();
      const st = await this.tenantState(tenantId);
      const agents = this.agents().filter((a) => st.agents.get(a.id)?.enabled !== false);
      const gone = [...this.knownAgents.keys()].filter((id) => st.agents.get(id)?.enabled !== false && !agents.some((a) => a.id === id));
      const asOf = candle ? candle.t + TF_MS[tf] : undefined;
      const deadlineMs = config().consensusDeadlineMs;
      const callTimeout = Math.max(1000, 50 * deadlineMs);
      // Agents on other nodes: one call per node (mixins/agent-host.ts). It carries no tenant in
      // its meta, as market-scoped agents are asked; the host gives tenant-scoped ones theirs.
      // The host answers within half the deadline, leaving the rest for the reply's way back.
      // What every agent is asked (a tenant-scoped one also gets `tenantId`).
      const query: Record<string, unknown> = { symbol, tf };
      if (asOf !== undefined) query.asOf = asOf;
      if (candle) query.candle = candle;
      const viaHost = new HostBatch((node, market, forTenant) => {
        this.hostCalls++;
        const params: Record<string, unknown> = { ...query, agents: market, budgetMs: Math.max(1, deadlineMs / 2) };
        if (forTenant.length > 0) {
          params.tenantAgents = forTenant;
          params.tenantId = tenantId;
        }
        return this.broker.call(`${AGENT_HOST}.opine`, params, { nodeID: node, timeout: callTimeout, meta: {}, ...(parent ? { parentSpan: parent } : {}) });
      });
      const g = await gather({
        agents,
        deadlineMs,
        candleT: candle ? candle.t : null,
        symbol,
        tf,
        cache: this.marketCache,
        call: (a) => {
          const node = this.hostFor(a as AgentInfo);
          if (node !== null) return viaHost.ask(node, a.id, a.scope === 'tenant');
          const params = a.scope === 'tenant' ? { ...query, tenantId } : query;
          const here = localOpine(this.broker, a.id);
          if (here) {
            // An agent in this process: called as a function, with the span its action would have made.
            try {
              return Promise.resolve(here(params as unknown as OpineParams, a.scope === 'tenant' ? tenantId : undefined, parent));
            } catch (e) {
              return Promise.reject(e);
            }
          }
          return this.broker.call<Opinion, Record<string, unknown>>(`${AGENT_SERVICE_PREFIX}${a.id}.opine`, params, {
            timeout: callTimeout,
            meta: a.scope === 'tenant' ? { tenantId } : {},
            ...(parent ? { parentSpan: parent } : {}),
          });
        },
      });
      // Learn how agents co-move, once per market candle.
      if (candle) {
        const ok = `${symbol}|${tf}`;
        if (this.observed.get(ok) !== candle.t) {
          this.observed.set(ok, candle.t);
          const sig = marketSignals(g.opinions, (id) => agents.find((a) => a.id === id)?.scope === 'market');
          if (sig) this.correlation.observe(sig);
        }
      }
      const trust = trustFor(g.opinions, (id) => st.agents.get(id)?.weight, (id) => this.reliabilities.get(id));
      // A span of its own, so FlowChain times the fusion as the AI_Decision `fusion` step.
      const span = childSpan(this.broker, 'fusion', parent, tenantId);
      const { acting, fusions } = fuseAll(g.opinions, { trust, correlation: (a, b) => this.correlation.correlation(a, b), runner: this.runner, method: st.settings.method, quorum: st.settings.quorum });
      span?.finish();
      const latencyMs = performance.now() - t0;
      return {
        id: randomUUID(),
        tenantId,
        symbol,
        tf,
        asOf: asOf ?? Math.max(0, ...g.opinions.map((o) => o.asOf)),
        candleT: candle ? candle.t : null,
        action: acting.action,
        p: acting.p,
        confidence: acting.confidence,
        method: acting.method,
        fusions,
        opinions: g.opinions,
        abstained: [...g.abstained, ...gone.map((agent) => ({ agent, reason: 'unavailable: no node runs it now' }))],
        vetoes: g.opinions.filter((o) => o.veto).map((o) => ({ agent: o.agent, reason: o.veto!.reason })),
        advisories: store.advisoriesOf(g.opinions),
        latencyMs,
        traceId: traceId ?? parent?.traceID ?? null,
        madeAt: Date.now(),
      };
    },

    async persistAndEmit(ds: store.StoredDecision[], parent?: ContextParentSpan): Promise<void> {
      const span = childSpan(this.broker, 'persist', parent);
      try {
        if (this.decisionWriter && ds.length > 0) await this.decisionWriter.write(...store.decisionInsert(ds));
        else await store.insertDecisions(this.db, ds);
      } catch (e) {
        span?.setError(e as Error);
        throw e;
      } finally {
        span?.finish();
      }
      for (const d of ds) {
        const { candleT: _c, ...payload } = d;
        await this.broker.emit('decision.made', payload, { meta: { tenantId: d.tenantId }, ...(parent ? { parentSpan: parent } : {}) });
      }
    },

    async onCandle(c: Candle, parent?: ContextParentSpan): Promise<void> {
      this.seenSymbols.add(c.symbol);
      const k = key(c.symbol, c.tf);
      const prev = this.lastCandle.get(k);
      if (prev && prev.t > c.t) return; // late, out-of-order candle: nothing to decide
      this.lastCandle.set(k, c);
      const tenants = this.watch.get(k);
      if (!tenants || tenants.length === 0) return;
      const ds = await Promise.all(tenants.map((t) => this.decideFor(t, c.symbol, c.tf, c, null, parent)));
      for (let i = 0; i < ds.length; i += 500) await this.persistAndEmit(ds.slice(i, i + 500), parent);
    },
  },

  created() {
    this.decisionWriter = null;
    this.agentList = null;
    this.hostNodes = new Set();
    this.hostTurn = 0;
    this.hostCalls = 0;
    this.knownAgents = new Map();
    this.tenantCache = new Map();
    this.tierCache = new Map();
    this.reliabilities = new Map();
    this.runner = null;
    this.watch = new Map();
    this.watchSymbols = new Set();
    this.seenSymbols = new Set();
    this.lastCandle = new Map();
    this.marketCache = new MarketOpinionCache();
    this.correlation = new SignalCorrelation();
    this.observed = new Map();
    this.inflight = new InFlight();
    this.chains = new Map();
  },

  async started() {
    const url = this.db.kind === 'postgres' ? config().databaseUrl : null;
    this.decisionWriter = url
      ? new HandoffWriter({
          conn: new PipelinedConnection({ connectionString: url, applicationName: `plan2-consensus:${this.broker.nodeID}`.slice(0, 63) }),
          db: this.db,
          logger: this.logger,
          what: 'consensus: decisions',
          journal: { dir: path.join(config().dataDir, 'journal'), name: journalName('decisions', url), statements: [store.INSERT_DECISION, store.INSERT_DECISIONS] },
        })
      : null;
    // Decisions a process that stopped had announced but not seen committed.
    const replayed = (await this.decisionWriter?.replay()) ?? 0;
    if (replayed > 0) this.logger.warn(`consensus: replayed ${replayed} decision write(s) from the journal of a process that stopped`);
    await Promise.all([this.reloadWatchlists(), this.reloadReliability(), this.reloadModel()]);
  },

  async stopped() {
    await this.inflight.idle();
    await this.decisionWriter?.close();
  },
};

export default ConsensusService;
