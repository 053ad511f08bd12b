/**
 * model-improvement (learning, market-scoped, advisory): keeps the
 * neural-ensemble fusion learning from what happened.
 *
 * Every decision becomes a training sample once its outcome is known
 * (`horizonBars` later, lib/learning/outcomes.ts): the opinions of the agents
 * with a market view, and the action that turned out right (buy / hold / sell
 * by the σ band). One sample per (symbol, tf, bar), whichever tenant's decision
 * brought it; the newest `maxSamples` are kept.
 *
 * The service trains walk-forward on a worker thread once `minSamples` exist
 * and again every `retrainEvery` new ones (lib/learning/walk-forward.ts),
 * promotes a candidate only when it beats the active model (or Bayesian fusion
 * while none is active) out of sample, stores every version with its metrics,
 * and tells consensus to load a promoted one.
 *
 * Its opinion has no market view: which model decides, how it was judged, how
 * much has been learnt since, and a training in progress.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { advisoryDraft, fmt } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import type { TrainingSample } from '../../../lib/consensus/train';
import { OutcomeTracker, Resolved } from '../../../lib/learning/outcomes';
import type { WalkForwardReport } from '../../../lib/learning/walk-forward';
import type { AdvisoryNote, Decision, OpinionQuery } from '../../../types/agents';
import type { TrainProgress } from './training';

export interface ModelImprovementParams {
  horizonBars: number;
  band: number;
  minSamples: number;
  retrainEvery: number;
  maxSamples: number;
  folds: number;
  epochs: number;
  margin: number;
}

export const MODEL_PARAMS: ParamSchema<ModelImprovementParams> = {
  horizonBars: { type: 'number', min: 1, max: 500, integer: true, doc: 'bars after a decision its right action is read' },
  band: { type: 'number', min: 0, max: 5, doc: 'half-width of the "hold was right" band, in σ of the horizon return' },
  minSamples: { type: 'number', min: 30, max: 1_000_000, integer: true, doc: 'labelled samples before the first training' },
  retrainEvery: { type: 'number', min: 1, max: 1_000_000, integer: true, doc: 'new samples between trainings' },
  maxSamples: { type: 'number', min: 100, max: 1_000_000, integer: true, doc: 'newest samples kept and trained on' },
  folds: { type: 'number', min: 1, max: 10, integer: true, doc: 'walk-forward folds' },
  epochs: { type: 'number', min: 1, max: 1000, integer: true, doc: 'training epochs per fold' },
  margin: { type: 'number', min: 0, max: 1, doc: 'out-of-sample log-loss gain (nats) a candidate needs to be promoted' },
};

const DEFAULTS: ModelImprovementParams = { horizonBars: 5, band: 0.25, minSamples: 500, retrainEvery: 250, maxSamples: 20_000, folds: 3, epochs: 40, margin: 0.01 };

/** Agents whose opinions never carry a market view or feed on the ensemble itself. */
const EXCLUDED = new Set(['model-improvement', 'performance-analysis']);

interface Pending {
  asOf: number;
  opinions: TrainingSample['opinions'];
}

export interface ActiveModelInfo {
  version: number;
  agents: string[];
  oosLogLoss: number | null;
  promotedAt: number | null;
}

export interface TrainingStatus {
  running: boolean;
  startedAt: number | null;
  progress: TrainProgress | null;
  last: { version: number; at: number; report: WalkForwardReport } | null;
  lastError: string | null;
}

export class ModelImprovementAgent implements Agent {
  readonly id = 'model-improvement';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed', 'decision.made'] as const;
  private params: ModelImprovementParams;
  private tracker: OutcomeTracker<Pending>;
  private samples: (TrainingSample & { asOf: number })[] = [];
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private newSince = 0;
  private trainedOnce = false;
  active: ActiveModelInfo | null = null;
  readonly status: TrainingStatus = { running: false, startedAt: null, progress: null, last: null, lastError: null };

  constructor(params: Partial<ModelImprovementParams> = {}) {
    this.params = applyParams(MODEL_PARAMS, DEFAULTS, params);
    this.tracker = new OutcomeTracker<Pending>({ horizonBars: this.params.horizonBars, band: this.params.band, volBars: 100 });
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.take(this.tracker.addBar(e.candle));
    else if (e.type === 'decision.made') this.takeDecision(e.decision);
  }

  private takeDecision(d: Decision): void {
    const key = `${d.symbol}|${d.tf}|${d.asOf}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.seenOrder.push(key);
    if (this.seenOrder.length > 200_000) this.seen.delete(this.seenOrder.shift()!);
    const opinions = d.opinions.filter((o) => !o.advisory && !EXCLUDED.has(o.agent)).map((o) => ({ agent: o.agent, p: o.p, confidence: o.confidence }));
    if (opinions.length === 0) return;
    const r = this.tracker.track(d.symbol, d.tf, d.asOf, { asOf: d.asOf, opinions });
    if (r) this.take([r]);
  }

  private take(resolved: Resolved<Pending>[]): void {
    for (const { item, outcome } of resolved) {
      this.samples.push({ asOf: item.asOf, opinions: item.opinions, outcome: outcome.label });
      this.newSince++;
    }
    if (this.samples.length > this.params.maxSamples * 1.25) this.samples.splice(0, this.samples.length - this.params.maxSamples);
  }

  sampleCount(): number {
    return this.samples.length;
  }

  /** True when a training should start now. */
  dueForTraining(): boolean {
    const p = this.params;
    return !this.status.running && this.samples.length >= p.minSamples && (!this.trainedOnce || this.newSince >= p.retrainEvery);
  }

  /** The training set (time order, the newest `maxSamples`) and the agents the model takes, and it marks the start. */
  startTraining(now: number): { samples: TrainingSample[]; agents: string[]; folds: number; epochs: number; margin: number } {
    const sorted = [...this.samples].sort((a, b) => a.asOf - b.asOf).slice(-this.params.maxSamples);
    const agents = [...new Set(sorted.flatMap((s) => s.opinions.map((o) => o.agent)))].sort();
    this.status.running = true;
    this.status.startedAt = now;
    this.status.progress = null;
    this.newSince = 0;
    this.trainedOnce = true;
    return { samples: sorted.map((s) => ({ opinions: s.opinions, outcome: s.outcome })), agents, folds: this.params.folds, epochs: this.params.epochs, margin: this.params.margin };
  }

  progress(p: TrainProgress): void {
    this.status.progress = p;
  }

  finishTraining(result: { version: number; at: number; report: WalkForwardReport } | { error: string }): void {
    this.status.running = false;
    this.status.progress = null;
    if ('error' in result) this.status.lastError = result.error;
    else {
      this.status.last = result;
      this.status.lastError = null;
    }
  }

  opine(q: OpinionQuery): OpinionDraft {
    const p = this.params;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? 0 };
    const notes: AdvisoryNote[] = [];
    const parts: string[] = [];
    parts.push(
      this.active
        ? `neural ensemble v${this.active.version} decides for tenants who chose it (over ${this.active.agents.length} agents${this.active.oosLogLoss !== null ? `, out-of-sample log loss ${fmt(this.active.oosLogLoss, 3)}` : ''})`
        : 'no neural ensemble promoted yet: Bayesian fusion stands in',
    );
    parts.push(`${this.samples.length} labelled decision(s) held`);
    const l = this.status.last;
    if (l) {
      parts.push(`last training (v${l.version}, ${l.report.samples} samples, ${l.report.folds.length} fold(s), ${fmt(l.report.trainingMs / 1000, 3)} s): ${l.report.promote ? 'promoted' : 'kept out'} — ${l.report.reason}`);
      notes.push({ code: l.report.promote ? 'model_promoted' : 'model_rejected', level: 'info', message: `v${l.version}: ${l.report.reason}` });
    }
    if (this.status.running) {
      const pr = this.status.progress;
      parts.push(pr ? `training now: fold ${pr.fold}/${pr.folds}, epoch ${pr.epoch}/${pr.epochs}, loss ${fmt(pr.loss, 3)}` : 'training now: starting');
      notes.push({ code: 'training', level: 'info', message: pr ? `fold ${pr.fold}/${pr.folds}, epoch ${pr.epoch}/${pr.epochs}` : 'starting' });
    } else if (this.samples.length < p.minSamples) parts.push(`first training at ${p.minSamples} samples`);
    else parts.push(`next training after ${Math.max(0, p.retrainEvery - this.newSince)} more sample(s)`);
    if (this.status.lastError) notes.push({ code: 'training_failed', level: 'warn', message: this.status.lastError });
    return advisoryDraft(head, notes, parts.join('; ') + '.', { features: { samples: this.samples.length, activeVersion: this.active?.version ?? 0, training: this.status.running ? 1 : 0 } });
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    const next = applyParams(MODEL_PARAMS, this.params, patch);
    if (next.horizonBars !== this.params.horizonBars || next.band !== this.params.band) {
      this.tracker = new OutcomeTracker<Pending>({ horizonBars: next.horizonBars, band: next.band, volBars: 100 });
      this.samples = [];
      this.seen.clear();
      this.seenOrder.length = 0;
    }
    this.params = next;
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { samples: this.samples.length, pending: this.tracker.pendingCount(), training: this.status.running, activeVersion: this.active?.version ?? null };
  }
}
