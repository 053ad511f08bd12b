/**
 * `agent.model-improvement`: trains the neural ensemble walk-forward from the
 * samples its agent gathers, keeps every version with its metrics in Postgres
 * (`ensemble_models`), promotes a version only when it beats the active one
 * (or the Bayesian stand-in) out of sample, and tells consensus
 * (`consensus.model.updated`). Training blocks this process's event loop in
 * chunks: run this service on its own node in production.
 * Action `agent.model-improvement.train` (REST `POST /models/train`, operators) runs it now.
 */
import { Context, Errors } from 'moleculer';
import { improve } from '../../../lib/consensus/walk-forward';
import { AgentRuntime, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import { loadActiveModel, saveModel } from '../../../services/consensus/store';
import type { TenantMeta } from '../../../types/meta';
import { ModelImprovementAgent } from './model-improvement.agent';

type This = DbThis & { runtime: AgentRuntime; running: Promise<unknown> | null; timer: NodeJS.Timeout | null; broker: import('moleculer').ServiceBroker; logger: import('moleculer').Logger };

async function run(self: This): Promise<Record<string, unknown>> {
  const agent = self.runtime.agent as ModelImprovementAgent;
  const samples = agent.samples();
  const agents = [...new Set(samples.flatMap((s) => s.opinions.map((o) => o.agent)))].sort();
  const incumbent = await loadActiveModel(self.db);
  const rows = await self.db.query<{ v: number | null }>('SELECT max(version) AS v FROM ensemble_models');
  const version = (rows[0]?.v ?? 0) + 1;
  const r = await improve(samples, incumbent, { agents, version, epochs: 40, seed: version });
  await self.db.transaction(async (tx) => saveModel(tx, r.candidate, r.promoted));
  agent.noteRun({ version: r.promoted ? version : (incumbent?.version ?? null), promoted: r.promoted, reason: r.reason, at: Date.now() });
  self.logger.info(`model-improvement: v${version} ${r.reason}`);
  if (r.promoted) await self.broker.broadcast('consensus.model.updated', { version });
  return { version, promoted: r.promoted, reason: r.reason, candidate: r.candidateOos, incumbent: { name: r.incumbent, ...r.incumbentOos } };
}

export default {
  name: 'agent.model-improvement',
  mixins: [createAgentMixin(() => new ModelImprovementAgent()), createDbMixin()],
  settings: { rest: '/' },
  actions: {
    train: {
      rest: 'POST /models/train',
      params: {},
      async handler(this: This, ctx: Context<object, Partial<TenantMeta>>) {
        if (ctx.meta?.tenantId && ctx.meta.role !== 'admin') throw new Errors.MoleculerClientError('training the ensemble is for operators', 403, 'FORBIDDEN');
        if (this.running) throw new Errors.MoleculerClientError('a training run is in progress', 409, 'BUSY');
        const p = run(this);
        this.running = p;
        try {
          return await p;
        } finally {
          this.running = null;
        }
      },
    },
  },
  started(this: This) {
    this.running = null;
    // Train when enough new samples arrived (checked once a minute).
    this.timer = setInterval(() => {
      const agent = this.runtime.agent as ModelImprovementAgent;
      if (this.running || !agent.due()) return;
      this.running = run(this)
        .catch((e: unknown) => this.logger.warn(`model-improvement: training failed: ${(e as Error).message}`))
        .finally(() => (this.running = null));
    }, 60_000);
  },
  async stopped(this: This) {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  },
};
