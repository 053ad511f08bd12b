/**
 * `agent-host`: one per node that runs agents (runner.loadServices adds it next to them).
 *
 * `agent-host.opine({agents, tenantAgents?, symbol, tf, asOf?, candle?, tenantId?, budgetMs})`
 * asks the named agents of this node in parallel (each as its action would answer: params
 * checked, a span per agent, latency measured; called as a function, `localOpine`, or
 * through `agent.<id>.opine` for an agent not built with the mixin) and answers for all of them in one
 * reply: `{results: [{agent, opinion} | {agent, error: {type, message}}]}`. `agents` are
 * market-scoped (asked without a tenant, as consensus asks them: their opinions are shared
 * by every tenant); `tenantAgents` are asked for `tenantId`, with it in their meta.
 *
 * Consensus uses it for agents on other nodes: one request and one reply per node and
 * decision instead of one pair per agent (eight agents on a second node over NATS: sixteen
 * messages, each serialised, sent, woken up for and parsed, against two). The reply goes
 * when every agent has answered or `budgetMs` has passed; an agent still thinking then is
 * left out of the reply, and consensus records it as abstained when its deadline fires,
 * as it would an agent called on its own.
 *
 * It also receives the node's agents' events (`feeds`: the event types they declare) once
 * per node and folds each into every agent of the node that wants it, by function call
 * (agentDispatch): one event context, payload check and handler chain per candle or tick
 * batch instead of one per agent. It is created before the agents (runner.loadServices);
 * an agent created on a broker without a host, or later, subscribes itself.
 */
import { Context, Errors, ServiceBroker, ServiceSchema } from 'moleculer';
import type { AgentEventType } from '../lib/agents/agent';
import { TIMEFRAMES } from '../types/market';
import { AGENT_SERVICE_PREFIX, agentDispatch, AgentReceiver, localOpine, OpineParams, toAgentEvent } from './agent.mixin';

export const AGENT_HOST = 'agent-host';

export interface HostOpineParams {
  agents: string[];
  tenantAgents?: string[];
  symbol: string;
  tf: string;
  asOf?: number;
  candle?: Record<string, unknown>;
  tenantId?: string;
  budgetMs: number;
}

export type HostResult = { agent: string; opinion: unknown } | { agent: string; error: { type: string; message: string } };

/** Settle every promise, or stop at `ms`: the results so far (undefined = still pending). */
function settleWithin<T>(ps: Promise<T>[], ms: number): Promise<(T | undefined)[]> {
  return new Promise((resolve) => {
    const out: (T | undefined)[] = new Array(ps.length);
    let left = ps.length;
    const timer = setTimeout(() => resolve(out.slice()), ms);
    ps.forEach((p, i) =>
      p.then((v) => {
        out[i] = v;
        if (--left === 0) {
          clearTimeout(timer);
          resolve(out);
        }
      }),
    );
  });
}

export function agentHostSchema(feeds: readonly AgentEventType[] = []): ServiceSchema {
  const events: Record<string, { tracing: false; handler(this: { table?: ReadonlyMap<AgentEventType, AgentReceiver[]> }, ctx: Context<unknown>): void }> = {};
  for (const type of feeds) {
    events[type] = {
      tracing: false,
      handler(ctx) {
        const list = this.table?.get(type);
        if (!list || list.length === 0) return;
        const ev = toAgentEvent(type, ctx.params);
        for (const receive of list) receive(ev);
      },
    };
  }
  const schema = {
    name: AGENT_HOST,
    events,
    /** Every node's host gets every event (its own group), as each agent instance would. */
    merged(this: { broker: ServiceBroker }, s: ServiceSchema) {
      for (const def of Object.values(s.events ?? {})) (def as { group?: string }).group = `${AGENT_HOST}@${this.broker.nodeID}`;
    },
    created(this: { broker: ServiceBroker; table?: ReadonlyMap<AgentEventType, AgentReceiver[]> }) {
      this.table = agentDispatch(this.broker, feeds);
    },
    actions: {
      opine: {
        params: {
          agents: { type: 'array', items: { type: 'string', min: 1, max: 64 }, max: 64 },
          tenantAgents: { type: 'array', items: { type: 'string', min: 1, max: 64 }, max: 64, optional: true },
          symbol: { type: 'string', min: 1, max: 32 },
          tf: { type: 'enum', values: [...TIMEFRAMES] },
          asOf: { type: 'number', integer: true, optional: true, convert: true },
          candle: { type: 'object', optional: true },
          tenantId: { type: 'string', min: 1, max: 64, optional: true },
          budgetMs: { type: 'number', positive: true, max: 60_000, convert: true },
        },
        async handler(ctx: Context<HostOpineParams>): Promise<{ results: HostResult[] }> {
          const { agents, tenantAgents = [], budgetMs, tenantId, ...query } = ctx.params;
          if (tenantAgents.length > 0 && !tenantId) throw new Errors.MoleculerClientError('tenantAgents need a tenantId', 422, 'TENANT_REQUIRED');
          const nodeID = ctx.broker.nodeID;
          const forTenant = Object.assign({}, query, { tenantId });
          const parent = ctx.requestID ? { id: ctx.id, traceID: ctx.requestID, sampled: ctx.tracing === true } : undefined;
          const call = (agent: string, tenant: boolean): Promise<unknown> => {
            // An agent of this broker's own: called as a function (its checks, work and span, no broker call).
            const here = localOpine(ctx.broker, agent);
            if (here) {
              try {
                return Promise.resolve(here((tenant ? forTenant : query) as OpineParams, tenant ? tenantId : undefined, parent));
              } catch (e) {
                return Promise.reject(e);
              }
            }
            return tenant
              ? ctx.call(`${AGENT_SERVICE_PREFIX}${agent}.opine`, forTenant, { nodeID, meta: { tenantId } })
              : ctx.call(`${AGENT_SERVICE_PREFIX}${agent}.opine`, query, { nodeID });
          };
          const ask = (agent: string, tenant: boolean) =>
            call(agent, tenant).then(
              (opinion): HostResult => ({ agent, opinion }),
              (e: unknown): HostResult => {
                const err = e as { type?: string; message?: string };
                return { agent, error: { type: err?.type ?? 'ERROR', message: err?.message ?? String(e) } };
              },
            );
          const asks = [...agents.map((a) => ask(a, false)), ...tenantAgents.map((a) => ask(a, true))];
          const settled = await settleWithin(asks, budgetMs);
          return { results: settled.filter((r): r is HostResult => r !== undefined) };
        },
      },
    },
  };
  return schema as unknown as ServiceSchema;
}
