/**
 * Bayesian fusion in log-odds form. Each agent's distribution is read as a
 * likelihood over {buy, hold, sell} relative to the prior π, tempered by
 *
 *   λᵢ = wᵢ · cᵢ · τᵢ / (1 + Σ_{j≠i} max(0, ρᵢⱼ))
 *
 *   wᵢ  config weight (default 1),
 *   cᵢ  the agent's own confidence,
 *   τᵢ  P(hit rate > 1/2) under the Beta posterior of its past accuracy
 *       (0.5 with no history: the flat prior), so a proven agent counts fully
 *       and a proven-useless one not at all,
 *   ρᵢⱼ correlation of the agents' past signals: agents that say the same thing
 *       for the same reason share one vote instead of each counting in full.
 *
 *   log post_k = log π_k + Σᵢ λᵢ (log pᵢ_k − log π_k), then normalised.
 *
 * Probabilities are floored at 1e-6 so one agent's hard zero cannot veto an
 * outcome (vetoes are explicit). Confidence = edge(posterior, action).
 */
import type { FusionResult, Opinion, Probabilities } from '../../types/agents';
import { probBetterThan } from './beta';
import { applyVetoes, argmaxAction, edge, noOpinion, TrustMap, trustOf, UNIFORM } from './common';

export const PROB_FLOOR = 1e-6;

export interface BayesianOptions {
  trust?: TrustMap;
  /** Correlation of two agents' signals in [-1, 1] (0 when unknown). */
  correlation?: (a: string, b: string) => number;
  prior?: Probabilities;
}

/** The tempering exponent λ of every opinion, in input order (exposed for the record and tests). */
export function temperings(opinions: readonly Opinion[], opts: BayesianOptions = {}): number[] {
  return opinions.map((o, i) => {
    const t = trustOf(opts.trust, o.agent);
    let overlap = 0;
    if (opts.correlation) {
      for (let j = 0; j < opinions.length; j++) if (j !== i) overlap += Math.max(0, opts.correlation(o.agent, opinions[j].agent));
    }
    return (t.weight * o.confidence * probBetterThan(t.alpha, t.beta)) / (1 + overlap);
  });
}

export function bayesianFusion(opinions: readonly Opinion[], opts: BayesianOptions = {}): FusionResult {
  if (opinions.length === 0) return noOpinion('bayesian');
  const prior = opts.prior ?? UNIFORM;
  const lp = [Math.log(prior.buy), Math.log(prior.hold), Math.log(prior.sell)];
  const acc = [...lp];
  const lambdas = temperings(opinions, opts);
  opinions.forEach((o, i) => {
    const l = lambdas[i];
    if (l === 0) return;
    acc[0] += l * (Math.log(Math.max(o.p.buy, PROB_FLOOR)) - lp[0]);
    acc[1] += l * (Math.log(Math.max(o.p.hold, PROB_FLOOR)) - lp[1]);
    acc[2] += l * (Math.log(Math.max(o.p.sell, PROB_FLOOR)) - lp[2]);
  });
  const m = Math.max(acc[0], acc[1], acc[2]);
  const e0 = Math.exp(acc[0] - m);
  const e1 = Math.exp(acc[1] - m);
  const e2 = Math.exp(acc[2] - m);
  const s = e0 + e1 + e2;
  const buy = e0 / s;
  const sell = e2 / s;
  const p = { buy, hold: 1 - buy - sell, sell };
  const action = argmaxAction(p);
  return applyVetoes({ method: 'bayesian', action, p, confidence: edge(p, action) }, opinions);
}
