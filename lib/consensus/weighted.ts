/**
 * Weighted voting: p = Σ wᵢ·cᵢ·pᵢ / Σ wᵢ·cᵢ over the agents that spoke, where
 * wᵢ = config weight × learned reliability and cᵢ the agent's confidence.
 *
 * Learned reliability = posterior mean hit rate / 0.5 (chance for a direction),
 * so an agent without history counts 1, a perfect one up to 2, a contrarian-
 * by-accident one towards 0.
 *
 * Confidence = (Σ wᵢcᵢ / Σ wᵢ) · edge(p, action): the weighted mean confidence
 * of the voters times how far the winning probability stands above chance.
 */
import type { FusionResult, Opinion } from '../../types/agents';
import { applyVetoes, argmaxAction, edge, noOpinion, normalise, TrustMap, trustOf } from './common';

/** Reliability multiplier from a Beta(alpha, beta) hit-rate posterior: 2·E[hit rate]. */
export function reliability(alpha: number, beta: number): number {
  return (2 * alpha) / (alpha + beta);
}

export function weightedVote(opinions: readonly Opinion[], trust?: TrustMap): FusionResult {
  let sb = 0;
  let sh = 0;
  let ss = 0;
  let swc = 0;
  let sw = 0;
  for (const o of opinions) {
    const t = trustOf(trust, o.agent);
    const w = t.weight * reliability(t.alpha, t.beta);
    const wc = w * o.confidence;
    sb += wc * o.p.buy;
    sh += wc * o.p.hold;
    ss += wc * o.p.sell;
    swc += wc;
    sw += w;
  }
  if (opinions.length === 0 || swc <= 0 || sw <= 0) return applyVetoes(noOpinion('weighted'), opinions);
  const p = normalise(sb, sh, ss);
  const action = argmaxAction(p);
  return applyVetoes({ method: 'weighted', action, p, confidence: (swc / sw) * edge(p, action) }, opinions);
}
