/**
 * Stand-ins for the real market-data, agents, consensus, risk and trading
 * services, with the names and call shapes of ARCHITECTURE §7: FlowChain
 * matches by names, so these exercise it honestly on a real broker. Timings
 * are real sleeps; one agent can be slowed and risk can reject chosen tenants.
 */
import { Context, Errors, ServiceBroker, ServiceSchema } from 'moleculer';
import type { ChainStats, FlowChainUpdated } from '../../../types/flowchain';

export interface FixtureKnobs {
  /** Tenants consensus decides for on every closed candle. */
  tenants: string[];
  /** Sleep of `agent-slow.opine`, ms. */
  slowAgentMs: number;
  /** Sleep of the other agents, ms. */
  agentMs: number;
  /** Tenants whose orders risk rejects with RISK_LIMIT. */
  rejectTenants: Set<string>;
}

export const AGENTS = ['agent-trend', 'agent-momentum', 'agent-slow'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Meta = { tenantId?: string };

export function marketData(): ServiceSchema {
  return {
    name: 'market-data',
    actions: {
      ingest: {
        params: { symbol: 'string', bid: 'number', close: { type: 'boolean', optional: true } },
        async handler(ctx: Context<{ symbol: string; bid: number; close?: boolean }>) {
          const c = ctx as unknown as { startSpan(n: string): unknown; finishSpan(s: unknown): void };
          for (const step of ['validate', 'aggregate', 'store']) {
            const span = c.startSpan(step);
            await sleep(step === 'store' ? 2 : 0);
            c.finishSpan(span);
          }
          if (ctx.params.close) await ctx.emit('candle.closed', { symbol: ctx.params.symbol, tf: 'M1', t: Date.now(), c: ctx.params.bid });
          return { ok: true };
        },
      },
    },
  };
}

export function agent(name: string, knobs: FixtureKnobs): ServiceSchema {
  return {
    name,
    actions: {
      opine: {
        params: { symbol: 'string', tf: 'string' },
        async handler() {
          await sleep(name === 'agent-slow' ? knobs.slowAgentMs : knobs.agentMs);
          return { agent: name, signal: 0.1, confidence: 0.5 };
        },
      },
    },
    events: {
      // agents keep their own state from market events; these listeners are not decisions
      'candle.closed'() {
        return undefined;
      },
    },
  };
}

export function consensus(knobs: FixtureKnobs): ServiceSchema {
  return {
    name: 'consensus',
    actions: {
      decide: {
        params: { symbol: 'string', tf: 'string' },
        async handler(ctx: Context<{ symbol: string; tf: string }, Meta>) {
          const ops = await Promise.all(AGENTS.map((a) => ctx.call<{ signal: number }, object>(`${a}.opine`, { symbol: ctx.params.symbol, tf: ctx.params.tf })));
          const signal = ops.reduce((a, o) => a + o.signal, 0) / ops.length;
          try {
            return await ctx.call('risk.evaluate', { symbol: ctx.params.symbol, side: signal >= 0 ? 'buy' : 'sell' });
          } catch (e) {
            // a vetoed decision is still a decision: consensus records it and carries on
            return { action: 'hold', vetoed: (e as Error).message };
          }
        },
      },
    },
    events: {
      async 'candle.closed'(ctx: Context<{ symbol: string; tf: string }>) {
        await Promise.allSettled(knobs.tenants.map((t) => ctx.call('consensus.decide', { symbol: ctx.params.symbol, tf: ctx.params.tf }, { meta: { tenantId: t } })));
      },
    },
  };
}

export function risk(knobs: FixtureKnobs): ServiceSchema {
  return {
    name: 'risk',
    actions: {
      evaluate: {
        params: { symbol: 'string', side: 'string' },
        async handler(ctx: Context<{ symbol: string; side: string }, Meta>) {
          if (ctx.meta.tenantId && knobs.rejectTenants.has(ctx.meta.tenantId)) {
            throw new Errors.MoleculerClientError('exposure limit reached', 422, 'RISK_LIMIT', { check: 'maxExposure' });
          }
          return ctx.call('trading.submit', { symbol: ctx.params.symbol, side: ctx.params.side, volume: 0.1 });
        },
      },
    },
  };
}

export function trading(): ServiceSchema {
  return {
    name: 'trading',
    actions: {
      submit: {
        params: { symbol: 'string', side: 'string', volume: 'number' },
        async handler(ctx: Context<{ symbol: string; side: string; volume: number }>) {
          await ctx.emit('order.filled', { symbol: ctx.params.symbol, volume: ctx.params.volume });
          return { orderId: ctx.id, status: 'filled' };
        },
      },
    },
    events: {
      'order.filled'() {
        return undefined;
      },
    },
  };
}

/** Records `flowchain.updated` events (what the `stream` service will fan out). */
export function updatesRecorder(into: { at: number; u: FlowChainUpdated }[]): ServiceSchema {
  return {
    name: 'updates-recorder',
    events: {
      'flowchain.updated'(ctx: Context<FlowChainUpdated>) {
        into.push({ at: Date.now(), u: ctx.params });
      },
    },
  };
}

export function createFixtures(broker: ServiceBroker, knobs: FixtureKnobs, which: ('market-data' | 'agents' | 'consensus' | 'risk' | 'trading')[]): void {
  if (which.includes('market-data')) broker.createService(marketData());
  if (which.includes('agents')) for (const a of AGENTS) broker.createService(agent(a, knobs));
  if (which.includes('consensus')) broker.createService(consensus(knobs));
  if (which.includes('risk')) broker.createService(risk(knobs));
  if (which.includes('trading')) broker.createService(trading());
}

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * `minutes` batches of 12 EURUSD ticks, one batch per minute from 2014-05-08 00:00 UTC
 * (each closes the previous M1 candle), into the real `market-data.ingest` as the
 * gateway sends them.
 */
export async function ingestMinutes(broker: ServiceBroker, minutes: number): Promise<void> {
  let t = Date.UTC(2014, 4, 8, 0, 0, 0);
  let bid = 1.3921;
  for (let m = 0; m < minutes; m++) {
    const ticks = [];
    for (let k = 0; k < 12; k++) {
      bid += Math.sin(m * 12 + k) * 0.0002;
      ticks.push({ symbol: 'EURUSD', time_msc: t, bid: +bid.toFixed(5), ask: +(bid + 0.0001).toFixed(5) });
      t += 5000;
    }
    await broker.call('market-data.ingest', { source: 'test', ticks });
  }
}

export const ADMIN = { meta: { role: 'admin', tenantId: 'ops' } };

/** FlowChain's AI_Decision stats once at least `executions` decisions have been assembled. */
export function decisionStats(broker: ServiceBroker, executions: number, timeoutMs: number): Promise<ChainStats> {
  return waitFor(
    async () => {
      const s = await broker.call<ChainStats, object>('flowchain.stats', { name: 'AI_Decision' }, ADMIN);
      return s.executions.sampled >= executions ? s : null;
    },
    timeoutMs,
    `${executions} AI_Decision executions`,
  );
}
export const asTenant = (tenantId: string) => ({ meta: { role: 'tenant', tenantId } });
