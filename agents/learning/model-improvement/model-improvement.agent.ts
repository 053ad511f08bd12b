/**
 * model-improvement (learning, market-scoped): gathers training samples for
 * the neural ensemble — each decision's opinions with what the market then did
 * (outcome class over `horizonBars`, lib/agents/outcomes.ts) — and reports on
 * the model. Training itself (tfjs, walk-forward, promotion only when better
 * out of sample: lib/consensus/walk-forward.ts) runs in its service, off the
 * decision path (deploy it on its own node: SERVICES=agents/learning/model-improvement).
 * No market view (confidence 0).
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { neutralDraft } from '../../../lib/agents/opinion';
import { OutcomeTracker } from '../../../lib/agents/outcomes';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import type { TrainingSample } from '../../../lib/consensus/train';
import type { OpinionQuery } from '../../../types/agents';

export interface ModelImprovementParams {
  horizonBars: number;
  maxSamples: number;
  trainEvery: number;
}

export const MODEL_IMPROVEMENT_PARAMS: ParamSchema<ModelImprovementParams> = {
  horizonBars: { type: 'number', min: 1, max: 500, integer: true, doc: 'bars after a decision its outcome is read' },
  maxSamples: { type: 'number', min: 100, max: 1_000_000, integer: true, doc: 'most recent samples kept for training' },
  trainEvery: { type: 'number', min: 50, max: 1_000_000, integer: true, doc: 'new samples between two training runs' },
};

export interface ModelReport {
  version: number | null;
  promoted: boolean | null;
  reason: string;
  at: number;
}

export class ModelImprovementAgent implements Agent {
  readonly id = 'model-improvement';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['decision.made', 'candle.closed'] as const;
  private params: ModelImprovementParams;
  private tracker: OutcomeTracker<TrainingSample['opinions']>;
  private readonly seen = new Set<string>();
  private data: TrainingSample[] = [];
  private fresh = 0;
  private last: ModelReport | null = null;

  constructor(params: Partial<ModelImprovementParams> = {}) {
    this.params = applyParams(MODEL_IMPROVEMENT_PARAMS, { horizonBars: 15, maxSamples: 50_000, trainEvery: 2000 }, params);
    this.tracker = new OutcomeTracker(this.params.horizonBars);
  }

  update(e: AgentEvent): void {
    if (e.type === 'decision.made') {
      const d = e.decision;
      const k = `${d.symbol}|${d.tf}|${d.asOf}`;
      if (this.seen.has(k)) return;
      this.seen.add(k);
      if (this.seen.size > 200_000) this.seen.clear();
      this.tracker.add(d.symbol, d.tf, d.asOf, d.opinions.map((o) => ({ agent: o.agent, p: o.p, confidence: o.confidence })));
    } else if (e.type === 'candle.closed') {
      for (const r of this.tracker.onCandle(e.candle)) {
        this.data.push({ opinions: r.item, outcome: r.outcome });
        this.fresh++;
      }
      if (this.data.length > this.params.maxSamples) this.data = this.data.slice(-this.params.maxSamples);
    }
  }

  /** Samples in time order, and whether enough new ones arrived since the last run. */
  samples(): TrainingSample[] {
    return this.data;
  }

  due(): boolean {
    return this.fresh >= this.params.trainEvery;
  }

  /** Record a training run (the service calls this). */
  noteRun(r: ModelReport): void {
    this.fresh = 0;
    this.last = r;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? 0 };
    const run = this.last ? ` Last run: ${this.last.reason}.` : ' No training run yet.';
    return { ...neutralDraft(head, `${this.data.length} training samples (${this.tracker.waiting} awaiting their outcome; next run after ${Math.max(0, this.params.trainEvery - this.fresh)} more).${run} No market view of its own.`), features: { samples: this.data.length, ...(this.last?.version ? { modelVersion: this.last.version } : {}) } };
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(MODEL_IMPROVEMENT_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { samples: this.data.length, waiting: this.tracker.waiting, lastRun: this.last };
  }
}
