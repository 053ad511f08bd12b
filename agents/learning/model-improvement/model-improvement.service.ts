/**
 * `agent.model-improvement`: walk-forward training of the neural ensemble on a
 * worker thread, promotion only out-of-sample, every version in Postgres (see
 * model-improvement.agent.ts, lib/learning/walk-forward.ts).
 *
 * - Checks every few seconds whether a training is due; one at a time.
 * - Every candidate is stored in `ensemble_models` with its metrics and its
 *   walk-forward report (`evaluation`); a promoted one becomes the only active
 *   version in the same transaction, then `consensus.model.updated` is broadcast.
 * - Progress: `model.training.progress` events (at most one a second) and the
 *   agent's advisory opinion; REST `GET /agents/models`, `POST /agents/models/train` (operators).
 * - On start it replays the newest stored decisions and their bars.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { DomainError } from '../../../lib/errors';
import { EnsembleModelJson, modelFromJson, modelToJson } from '../../../lib/consensus/neural';
import type { WalkForwardReport } from '../../../lib/learning/walk-forward';
import type { Queryable } from '../../../lib/storage/db';
import { requireTenant } from '../../../lib/tenant';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import type { TenantMeta } from '../../../types/meta';
import { replayHistory } from '../replay-history';
import { ModelImprovementAgent } from './model-improvement.agent';
import { trainOnWorker } from './training';

const CHECK_EVERY_MS = 5000;

interface Vars {
  timer: NodeJS.Timeout | null;
  training: Promise<TrainOutcome> | null;
  stopWorker: (() => void) | null;
  history: Promise<unknown> | null;
  lastProgressAt: number;
}

type This = AgentThis & DbThis & Vars;

export interface TrainOutcome {
  version: number;
  promoted: boolean;
  report: WalkForwardReport;
}

export interface ModelVersion {
  version: number;
  agents: string[];
  active: boolean;
  metrics: Record<string, number>;
  evaluation: Partial<WalkForwardReport>;
  createdAt: number;
  promotedAt: number | null;
}

async function activeModel(db: Queryable): Promise<EnsembleModelJson | null> {
  const rows = await db.query<{ version: number; agents: string[]; weights: EnsembleModelJson['layers']; metrics: Record<string, number> }>('SELECT version, agents, weights, metrics FROM ensemble_models WHERE active');
  return rows[0] ? { version: rows[0].version, agents: rows[0].agents, layers: rows[0].weights, metrics: rows[0].metrics } : null;
}

async function refreshActive(self: This): Promise<void> {
  const m = await activeModel(self.db);
  const rows = m ? await self.db.query<{ promoted_at: Date | null }>('SELECT promoted_at FROM ensemble_models WHERE version = $1', [m.version]) : [];
  agentOf<ModelImprovementAgent>(self).active = m
    ? { version: m.version, agents: m.agents, oosLogLoss: typeof m.metrics?.oosLogLoss === 'number' ? m.metrics.oosLogLoss : null, promotedAt: rows[0]?.promoted_at ? new Date(rows[0].promoted_at).getTime() : null }
    : null;
}

/** Store a candidate (active when promoted: the only active one), in one transaction. */
async function saveVersion(self: This, candidate: EnsembleModelJson, report: WalkForwardReport): Promise<number> {
  return self.db.transaction(async (tx) => {
    await tx.query('LOCK TABLE ensemble_models IN SHARE ROW EXCLUSIVE MODE');
    const [{ v }] = await tx.query<{ v: number }>('SELECT coalesce(max(version), 0) + 1 AS v FROM ensemble_models');
    if (report.promote) await tx.query('UPDATE ensemble_models SET active = false WHERE active');
    const j = modelToJson(modelFromJson({ ...candidate, version: v }));
    await tx.query('INSERT INTO ensemble_models (version, agents, weights, metrics, active, evaluation, promoted_at) VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $5 THEN now() END)', [
      v,
      JSON.stringify(j.agents),
      JSON.stringify(j.layers),
      JSON.stringify(j.metrics ?? {}),
      report.promote,
      JSON.stringify(report),
    ]);
    return v;
  });
}

/** Train now (one at a time): worker thread, store the version, announce a promotion. */
function train(self: This): Promise<TrainOutcome> {
  if (self.training) return self.training;
  const agent = agentOf<ModelImprovementAgent>(self);
  self.training = (async () => {
    const incumbent = await activeModel(self.db);
    const set = agent.startTraining(Date.now());
    self.logger.info(`model-improvement: training on ${set.samples.length} samples over ${set.agents.length} agents (${set.folds} folds × ${set.epochs} epochs)`);
    try {
      const job = trainOnWorker({ ...set, version: 0, seed: 1, incumbent }, (p) => {
        agent.progress(p);
        const now = Date.now();
        if (now - self.lastProgressAt >= 1000 || (p.fold === p.folds && p.epoch === p.epochs)) {
          self.lastProgressAt = now;
          self.broker.emit('model.training.progress', p).catch(() => undefined);
        }
      });
      self.stopWorker = job.stop;
      const { candidate, report } = await job.result;
      const version = await saveVersion(self, candidate, report);
      agent.finishTraining({ version, at: Date.now(), report });
      self.logger.info(`model-improvement: v${version} ${report.promote ? 'promoted' : 'kept out'}: ${report.reason}`);
      if (report.promote) {
        await refreshActive(self);
        await self.broker.broadcast('consensus.model.updated', { version });
      }
      return { version, promoted: report.promote, report };
    } catch (e) {
      agent.finishTraining({ error: (e as Error).message });
      throw e;
    }
  })().finally(() => {
    self.training = null;
    self.stopWorker = null;
  });
  return self.training;
}

const ModelImprovementService: ServiceSchema<ServiceSettingSchema, object, This> = {
  name: 'agent.model-improvement',
  mixins: [createDbMixin(), createAgentMixin(() => new ModelImprovementAgent())],
  settings: { rest: '/' },
  actions: {
    /** Every stored version with its metrics and walk-forward report, newest first. */
    models: {
      rest: 'GET /agents/models',
      params: { limit: { type: 'number', integer: true, min: 1, max: 1000, optional: true, convert: true } },
      async handler(this: This, ctx: Context<{ limit?: number }>): Promise<{ items: ModelVersion[]; training: ModelImprovementAgent['status']; samples: number }> {
        const rows = await this.db.query<{ version: number; agents: string[]; active: boolean; metrics: Record<string, number>; evaluation: Partial<WalkForwardReport>; created_at: Date; promoted_at: Date | null }>(
          'SELECT version, agents, active, metrics, evaluation, created_at, promoted_at FROM ensemble_models ORDER BY version DESC LIMIT $1',
          [ctx.params.limit ?? 100],
        );
        const agent = agentOf<ModelImprovementAgent>(this);
        return {
          items: rows.map((r) => ({ version: r.version, agents: r.agents, active: r.active, metrics: r.metrics, evaluation: r.evaluation, createdAt: new Date(r.created_at).getTime(), promotedAt: r.promoted_at ? new Date(r.promoted_at).getTime() : null })),
          training: agent.status,
          samples: agent.sampleCount(),
        };
      },
    },
    /** Train now on what has been learnt (operators); answers when the version is stored. */
    train: {
      rest: 'POST /agents/models/train',
      params: {},
      async handler(this: This, ctx: Context<object, Partial<TenantMeta>>): Promise<TrainOutcome> {
        if (ctx.meta?.tenantId !== undefined) {
          requireTenant(ctx.meta);
          if (ctx.meta.role !== 'admin') throw new DomainError('FORBIDDEN', 'training is started by operators', 403);
        }
        const agent = agentOf<ModelImprovementAgent>(this);
        if (agent.sampleCount() < 40) throw new DomainError('NOT_ENOUGH_DATA', `${agent.sampleCount()} labelled decisions; training needs at least 40`, 422);
        return train(this);
      },
    },
  },
  events: {
    'consensus.model.updated'(this: This) {
      return refreshActive(this);
    },
  },
  created(this: This) {
    this.timer = null;
    this.training = null;
    this.stopWorker = null;
    this.history = null;
    this.lastProgressAt = 0;
  },
  async started(this: This) {
    await refreshActive(this);
    this.history = replayHistory(this.broker, this.runtime.feed, this.logger, { decisions: 10_000, barsBefore: 200 }).catch((e: unknown) =>
      this.logger.warn(`model-improvement: history not replayed: ${(e as Error).message}`),
    );
    this.timer = setInterval(() => {
      if (!agentOf<ModelImprovementAgent>(this).dueForTraining()) return;
      train(this).catch((e: unknown) => this.logger.error(`model-improvement: training failed: ${(e as Error).message}`));
    }, CHECK_EVERY_MS);
    this.timer.unref();
  },
  async stopped(this: This) {
    if (this.timer) clearInterval(this.timer);
    this.stopWorker?.(); // a training in progress is abandoned, not waited for
    await this.history;
    await this.training?.catch(() => undefined);
  },
};

export default ModelImprovementService;
