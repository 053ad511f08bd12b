/**
 * Walk-forward training and the promotion rule of the neural-ensemble model.
 *
 * Samples (opinions of a decision and what turned out right) are in time
 * order. They are cut into `folds + 1` consecutive blocks; fold f trains a
 * candidate on blocks 0…f−1 (expanding window) and tests it on block f, which
 * it has never seen. The incumbent — the active model, or the Bayesian fusion
 * consensus falls back to when none is active — is scored on the same test
 * blocks. Metrics per test block: log loss (the criterion), accuracy, Brier.
 *
 * Promotion: the candidate of the last fold (trained on everything but the
 * newest block) becomes the new version only when its mean out-of-sample log
 * loss beats the incumbent's by more than `margin`, it also wins on the newest
 * block, AND it beats the no-skill forecast (each test block predicted by the
 * outcome frequencies of its training blocks): a model that knows less than
 * "how often each outcome happens" must not decide, even if the incumbent is
 * worse still. Otherwise it is kept as a rejected version, with the numbers.
 */
import { argmaxAction } from '../agents/opinion';
import { createRunner, EnsembleModel, EnsembleRunner } from '../consensus/neural';
import { trainEnsemble, TrainingSample } from '../consensus/train';
import type { Opinion, Probabilities } from '../../types/agents';

export interface EvalMetrics {
  n: number;
  /** Mean −ln p(outcome), floored at 1e-6. */
  logLoss: number;
  accuracy: number;
  /** Mean Σ (p − y)². */
  brier: number;
}

export type Predictor = (opinions: TrainingSample['opinions']) => Probabilities;

/** Score a predictor on samples. */
export function evaluate(predict: Predictor, samples: readonly TrainingSample[]): EvalMetrics {
  let ll = 0;
  let acc = 0;
  let br = 0;
  for (const s of samples) {
    const p = predict(s.opinions);
    ll += -Math.log(Math.max(p[s.outcome], 1e-6));
    if (argmaxAction(p) === s.outcome) acc++;
    for (const k of ['buy', 'hold', 'sell'] as const) br += (p[k] - (k === s.outcome ? 1 : 0)) ** 2;
  }
  const n = samples.length;
  return { n, logLoss: n > 0 ? ll / n : NaN, accuracy: n > 0 ? acc / n : NaN, brier: n > 0 ? br / n : NaN };
}

export interface FoldReport {
  fold: number;
  trainFrom: number;
  trainTo: number;
  testFrom: number;
  testTo: number;
  candidate: EvalMetrics;
  incumbent: EvalMetrics;
  /** The training blocks' outcome frequencies as the forecast. */
  noSkill: EvalMetrics;
}

export interface WalkForwardReport {
  samples: number;
  agents: string[];
  folds: FoldReport[];
  /** Means over the folds' test blocks. */
  candidate: EvalMetrics;
  incumbent: EvalMetrics;
  noSkill: EvalMetrics;
  incumbentName: string;
  promote: boolean;
  reason: string;
  trainingMs: number;
}

export interface WalkForwardOptions {
  agents: string[];
  version: number;
  folds: number;
  epochs: number;
  seed?: number;
  hidden?: number;
  /** Log-loss improvement the candidate must show (nats). */
  margin: number;
  /** The active model, or null (then the baseline stands in). */
  incumbent: EnsembleRunner | null;
  /** What decides without a model (Bayesian fusion of the opinions). */
  baseline: Predictor;
  onProgress?: (p: { fold: number; folds: number; epoch: number; epochs: number; loss: number }) => void;
}

function mean(ms: EvalMetrics[]): EvalMetrics {
  const n = ms.reduce((a, m) => a + m.n, 0);
  const w = (f: (m: EvalMetrics) => number) => ms.reduce((a, m) => a + f(m) * m.n, 0) / n;
  return { n, logLoss: w((m) => m.logLoss), accuracy: w((m) => m.accuracy), brier: w((m) => m.brier) };
}

/** Train and judge a candidate walk-forward; returns it with the report (see the file comment). */
export async function walkForward(samples: readonly TrainingSample[], o: WalkForwardOptions): Promise<{ candidate: EnsembleModel; report: WalkForwardReport }> {
  const blocks = o.folds + 1;
  if (o.folds < 1) throw new Error('walk-forward needs at least one fold');
  if (samples.length < blocks * 10) throw new Error(`walk-forward: ${samples.length} samples are too few for ${o.folds} folds`);
  const t0 = Date.now();
  const edge = (b: number) => Math.round((samples.length * b) / blocks);
  const incumbentPredict: Predictor = o.incumbent ? (ops) => o.incumbent!.predict(ops) : o.baseline;
  const folds: FoldReport[] = [];
  let last: EnsembleModel | null = null;
  for (let f = 1; f <= o.folds; f++) {
    const train = samples.slice(0, edge(f));
    const test = samples.slice(edge(f), edge(f + 1));
    const model = await trainEnsemble(train, {
      agents: o.agents,
      version: o.version,
      epochs: o.epochs,
      seed: o.seed ?? 1,
      ...(o.hidden ? { hidden: o.hidden } : {}),
      ...(o.onProgress ? { onEpoch: (epoch: number, loss: number) => o.onProgress!({ fold: f, folds: o.folds, epoch, epochs: o.epochs, loss }) } : {}),
    });
    const runner = createRunner(model);
    const freq = { buy: 1, hold: 1, sell: 1 }; // Laplace: one of each
    for (const s of train) freq[s.outcome]++;
    const tot = freq.buy + freq.hold + freq.sell;
    const prior: Probabilities = { buy: freq.buy / tot, hold: 1 - freq.buy / tot - freq.sell / tot, sell: freq.sell / tot };
    folds.push({
      fold: f,
      trainFrom: 0,
      trainTo: edge(f),
      testFrom: edge(f),
      testTo: edge(f + 1),
      candidate: evaluate((ops) => runner.predict(ops), test),
      incumbent: evaluate(incumbentPredict, test),
      noSkill: evaluate(() => prior, test),
    });
    last = model;
  }
  const c = mean(folds.map((x) => x.candidate));
  const i = mean(folds.map((x) => x.incumbent));
  const ns = mean(folds.map((x) => x.noSkill));
  const newest = folds[folds.length - 1];
  const gain = i.logLoss - c.logLoss;
  const incumbentName = o.incumbent ? `model v${o.incumbent.model.version}` : 'Bayesian fusion (no model yet)';
  const beatsIncumbent = gain > o.margin;
  const winsNewest = newest.candidate.logLoss < newest.incumbent.logLoss;
  const hasSkill = c.logLoss < ns.logLoss;
  const promote = beatsIncumbent && winsNewest && hasSkill;
  const reason = promote
    ? `out of sample the candidate's log loss ${c.logLoss.toFixed(4)} beats ${incumbentName}'s ${i.logLoss.toFixed(4)} by ${gain.toFixed(4)} (margin ${o.margin}) and the no-skill forecast's ${ns.logLoss.toFixed(4)}, and wins on the newest block`
    : !beatsIncumbent
      ? `out of sample the candidate's log loss ${c.logLoss.toFixed(4)} does not beat ${incumbentName}'s ${i.logLoss.toFixed(4)} by the margin ${o.margin}`
      : !winsNewest
        ? `the candidate loses on the newest block (${newest.candidate.logLoss.toFixed(4)} vs ${newest.incumbent.logLoss.toFixed(4)})`
        : `the candidate's out-of-sample log loss ${c.logLoss.toFixed(4)} is no better than forecasting the outcome frequencies (${ns.logLoss.toFixed(4)}): it has no skill to show`;
  const candidate: EnsembleModel = {
    ...last!,
    metrics: { ...(last!.metrics ?? {}), oosLogLoss: c.logLoss, oosAccuracy: c.accuracy, oosBrier: c.brier, incumbentLogLoss: i.logLoss, noSkillLogLoss: ns.logLoss, samples: samples.length, promoted: promote ? 1 : 0 },
  };
  return { candidate, report: { samples: samples.length, agents: o.agents, folds, candidate: c, incumbent: i, noSkill: ns, incumbentName, promote, reason, trainingMs: Date.now() - t0 } };
}

/** Opinions of a sample as full Opinion objects (what the Bayesian baseline takes). */
export function asOpinions(ops: TrainingSample['opinions']): Opinion[] {
  return ops.map((o) => ({ ...o, group: 'research', symbol: '-', tf: 'M1', signal: o.p.buy - o.p.sell, rationale: '-', asOf: 0, latencyMs: 0 }) as Opinion);
}
