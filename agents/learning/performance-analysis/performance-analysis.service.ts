/**
 * `agent.performance-analysis`: scores every decision's opinions against the
 * market and publishes reliabilities (see performance-analysis.agent.ts).
 *
 * - Reliabilities are broadcast as `agents.reliability.updated` with the values,
 *   which every consensus instance applies at once, and written to
 *   `agent_reliability` at most every 2 s (RELIABILITY_SAVE_MS) and on stop.
 * - On start it replays the newest stored decisions and their bars.
 * - REST `GET /agents/performance?agent&symbol`.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import type { AgentFact } from '../../../lib/agents/agent';
import { CoalescedWriter } from '../../../lib/util/coalesced-writer';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import { replayHistory } from '../replay-history';
import { PerformanceAnalysisAgent, PerformanceReport, ReliabilityUpdate } from './performance-analysis.agent';

interface Vars {
  /** `agents.reliability.updated`, merged while one is on its way (a history replay makes thousands). */
  broadcaster: CoalescedWriter<ReliabilityUpdate>;
  /** `agent_reliability`, written at most every RELIABILITY_SAVE_MS. */
  saver: CoalescedWriter<ReliabilityUpdate>;
  history: Promise<unknown> | null;
}

type This = AgentThis & DbThis & Vars;

/** At most one `agent_reliability` write per this many ms (a write per candle competed with the decision's INSERT). */
export const RELIABILITY_SAVE_MS = 2_000;

function merge(a: ReliabilityUpdate | null, u: ReliabilityUpdate): ReliabilityUpdate {
  return a ? { asOf: Math.max(a.asOf, u.asOf), reliabilities: { ...a.reliabilities, ...u.reliabilities } } : u;
}

async function save(self: This, u: ReliabilityUpdate): Promise<void> {
  const rows = Object.entries(u.reliabilities).map(([agent, r]) => ({ agent, alpha: r.alpha, beta: r.beta }));
  await self.db.query(
    `INSERT INTO agent_reliability (agent, alpha, beta) SELECT x.agent, x.alpha, x.beta FROM jsonb_to_recordset($1::jsonb) AS x(agent text, alpha double precision, beta double precision)
     ON CONFLICT (agent) DO UPDATE SET alpha = EXCLUDED.alpha, beta = EXCLUDED.beta, updated_at = now()`,
    [JSON.stringify(rows)],
  );
}

/**
 * Reliabilities reach every consensus instance at once (broadcast on the next timer turn)
 * and the table at most every RELIABILITY_SAVE_MS (they are rebuilt from the stored
 * decisions on start, so a crash loses nothing that matters). Never blocks the agent.
 */
function publish(this: AgentThis, fact: AgentFact): Promise<void> {
  const self = this as This;
  if (fact.event !== 'agents.reliability.updated') return self.broker.emit(fact.event, fact.payload).then(() => undefined);
  const u = fact.payload as ReliabilityUpdate;
  self.broadcaster.push(u);
  self.saver.push(u);
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
    this.broadcaster = new CoalescedWriter({
      merge,
      write: (u) => this.broker.broadcast('agents.reliability.updated', u),
      everyMs: 0,
      onError: (e) => this.logger.warn(`performance-analysis: reliabilities not broadcast: ${(e as Error).message}`),
    });
    this.saver = new CoalescedWriter({
      merge,
      write: (u) => save(this, u),
      everyMs: RELIABILITY_SAVE_MS,
      onError: (e) => this.logger.warn(`performance-analysis: reliabilities not saved: ${(e as Error).message}`),
    });
    this.history = null;
  },
  started(this: This) {
    this.history = replayHistory(this.broker, this.runtime.feed, this.logger, { decisions: 10_000, barsBefore: 200 }).catch((e: unknown) =>
      this.logger.warn(`performance-analysis: history not replayed: ${(e as Error).message}`),
    );
  },
  async stopped(this: This) {
    await this.history;
    await Promise.all([this.broadcaster.flush(), this.saver.flush()]);
  },
};

export default PerformanceAnalysisService;
