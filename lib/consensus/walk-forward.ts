/**
 * Walk-forward model improvement for the neural ensemble: train a candidate on
 * the older part of the samples, compare it with the incumbent (the active
 * model, or the Bayesian fusion that stands in before any model exists) on the
 * newer part it never saw, and promote it only when it does better out of
 * sample (lower log loss).
 */
import type { Action, Opinion, Probabilities } from '../../types/agents';
import { bayesianFusion } from './bayesian';
import { createRunner, EnsembleModel } from './neural';
import { trainEnsemble, TrainingSample, TrainOptions } from './train';

export interface Evaluation {
  n: number;
  logLoss: number;
  accuracy: number;
}

/** Mean log loss and accuracy of a predictor over samples. */
export function evaluate(predict: (s: TrainingSample) => Probabilities, samples: readonly TrainingSample[]): Evaluation {
  let ll = 0;
  let hit = 0;
  for (const s of samples) {
    const p = predict(s);
    ll += -Math.log(Math.max(1e-12, p[s.outcome]));
    const best: Action = p.buy > p.hold && p.buy > p.sell ? 'buy' : p.sell > p.hold && p.sell > p.buy ? 'sell' : 'hold';
    if (best === s.outcome) hit++;
  }
  return { n: samples.length, logLoss: samples.length ? ll / samples.length : NaN, accuracy: samples.length ? hit / samples.length : NaN };
}

/** The Bayesian stand-in as a predictor (no reliabilities: what consensus uses before training). */
export function bayesianPredict(s: TrainingSample): Probabilities {
  const ops = s.opinions.map((o) => ({ ...o, group: 'research', symbol: '', tf: 'M1', signal: o.p.buy - o.p.sell, rationale: '', asOf: 0, latencyMs: 0 }) as Opinion);
  return bayesianFusion(ops).p;
}

export interface ImproveResult {
  candidate: EnsembleModel;
  candidateOos: Evaluation;
  incumbentOos: Evaluation;
  incumbent: string;
  promoted: boolean;
  reason: string;
}

/** Train on the first `trainFraction` of `samples` (chronological), judge on the rest. */
export async function improve(samples: readonly TrainingSample[], incumbent: EnsembleModel | null, opts: TrainOptions & { trainFraction?: number; minImprovement?: number }): Promise<ImproveResult> {
  const cut = Math.floor(samples.length * (opts.trainFraction ?? 0.7));
  const train = samples.slice(0, cut);
  const test = samples.slice(cut);
  if (train.length < 50 || test.length < 20) throw new Error(`too few samples for walk-forward training: ${train.length} to train, ${test.length} to test`);
  const candidate = await trainEnsemble(train, opts);
  const cand = createRunner(candidate);
  const candidateOos = evaluate((s) => cand.predict(s.opinions), test);
  let incumbentOos: Evaluation;
  let name: string;
  if (incumbent) {
    const inc = createRunner(incumbent);
    incumbentOos = evaluate((s) => inc.predict(s.opinions), test);
    name = `model v${incumbent.version}`;
  } else {
    incumbentOos = evaluate(bayesianPredict, test);
    name = 'Bayesian fusion (no model yet)';
  }
  const margin = opts.minImprovement ?? 0;
  const promoted = candidateOos.logLoss < incumbentOos.logLoss - margin;
  candidate.metrics = { ...candidate.metrics, oosLogLoss: candidateOos.logLoss, oosAccuracy: candidateOos.accuracy, oosSamples: candidateOos.n, incumbentOosLogLoss: incumbentOos.logLoss };
  const reason = `${promoted ? 'promoted' : 'kept the incumbent'}: out-of-sample log loss ${candidateOos.logLoss.toFixed(4)} (accuracy ${(candidateOos.accuracy * 100).toFixed(1)}%) vs ${name} ${incumbentOos.logLoss.toFixed(4)} (${(incumbentOos.accuracy * 100).toFixed(1)}%) on ${test.length} later samples`;
  return { candidate, candidateOos, incumbentOos, incumbent: name, promoted, reason };
}
