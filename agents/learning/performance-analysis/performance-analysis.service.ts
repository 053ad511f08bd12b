/**
 * `agent.performance-analysis`: scores every decision's opinions against the
 * market and publishes reliabilities (see performance-analysis.agent.ts).
 *
 * - Reliabilities are written to `agent_reliability` (coalesced: one statement
 *   per burst), then broadcast as `agents.reliability.updated` with the values,
 *   which every consensus instance applies at once.
 * - On start it replays the newest stored decisions and their bars.
 * - REST `GET /agents/performance?agent&symbol`.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import type { AgentFact } from '../../../lib/agents/agent';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import { replayHistory } from '../replay-history';
import { PerformanceAnalysisAgent, PerformanceReport, ReliabilityUpdate } from './performance-analysis.agent';

interface Vars {
  pendingRel: ReliabilityUpdate | null;
  flushing: Promise<void> | null;
  history: Promise<unknown> | null;
}

type This = AgentThis & DbThis & Vars;

async function flush(self: This): Promise<void> {
  while (self.pendingRel) {
    const u = self.pendingRel;
    self.pendingRel = null;
    const rows = Object.entries(u.reliabilities).map(([agent, r]) => ({ agent, alpha: r.alpha, beta: r.beta }));
    await self.db.query(
      `INSERT INTO agent_reliability (agent, alpha, beta) SELECT x.agent, x.alpha, x.beta FROM jsonb_to_recordset($1::jsonb) AS x(agent text, alpha double precision, beta double precision)
       ON CONFLICT (agent) DO UPDATE SET alpha = EXCLUDED.alpha, beta = EXCLUDED.beta, updated_at = now()`,
      [JSON.stringify(rows)],
    );
    await self.broker.broadcast('agents.reliability.updated', u);
  }
}

/** Merge an update into the pending one and make sure a flusher runs; never blocks the agent. */
function publish(this: AgentThis, fact: AgentFact): Promise<void> {
  const self = this as This;
  if (fact.event !== 'agents.reliability.updated') return self.broker.emit(fact.event, fact.payload).then(() => undefined);
  const u = fact.payload as ReliabilityUpdate;
  self.pendingRel = self.pendingRel ? { asOf: Math.max(self.pendingRel.asOf, u.asOf), reliabilities: { ...self.pendingRel.reliabilities, ...u.reliabilities } } : u;
  if (!self.flushing) {
    self.flushing = flush(self)
      .catch((e: unknown) => self.logger.warn(`performance-analysis: reliabilities not saved: ${(e as Error).message}`))
      .finally(() => {
        self.flushing = null;
      });
  }
  return Promise.resolve();
}

const PerformanceAnalysisService: ServiceSchema<ServiceSettingSchema, object, This> = {
  name: 'agent.performance-analysis',
  mixins: [createDbMixin(), createAgentMixin(() => new PerformanceAnalysisAgent(), { publish })],
  settings: { rest: '/' },
  actions: {
    /** Hit rate, Brier score, log loss, P&L attribution and reliability per agent, per symbol, per regime. */
    performance: {
      rest: 'GET /agents/performance',
      params: { agent: { type: 'string', min: 1, max: 64, optional: true }, symbol: { type: 'string', min: 1, max: 32, optional: true } },
      handler(this: This, ctx: Context<{ agent?: string; symbol?: string }>): PerformanceReport {
        return agentOf<PerformanceAnalysisAgent>(this).report(ctx.params);
      },
    },
  },
  created(this: This) {
    this.pendingRel = null;
    this.flushing = null;
    this.history = null;
  },
  started(this: This) {
    this.history = replayHistory(this.broker, this.runtime.feed, this.logger, { decisions: 10_000, barsBefore: 200 }).catch((e: unknown) =>
      this.logger.warn(`performance-analysis: history not replayed: ${(e as Error).message}`),
    );
  },
  async stopped(this: This) {
    await this.history;
    await this.flushing;
  },
};

export default PerformanceAnalysisService;
