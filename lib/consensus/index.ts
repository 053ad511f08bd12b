/**
 * All three fusions of one decision, side by side, and the acting one chosen
 * by the tenant's method, with quorum applied. Vetoes are applied inside each
 * fusion (any veto → hold, with the reason).
 *
 * Advisory opinions (`Opinion.advisory`: no market view) are not votes: the
 * fusions and the quorum see only the opinions with a view, and an advisory
 * opinion acts only through its veto.
 */
import type { FusionMethod, FusionResult, Opinion } from '../../types/agents';
import { bayesianFusion } from './bayesian';
import { applyQuorum, applyVetoes, type TrustMap } from './common';
import { EnsembleRunner, neuralFusion } from './neural';
import { weightedVote } from './weighted';

export * from './common';
export { weightedVote, reliability } from './weighted';
export { bayesianFusion, temperings } from './bayesian';
export { neuralFusion, createRunner, modelFromJson, modelToJson } from './neural';
export type { EnsembleModel, EnsembleModelJson, EnsembleRunner } from './neural';
export { SignalCorrelation } from './correlation';

export const FUSION_METHODS: readonly FusionMethod[] = ['weighted', 'bayesian', 'neural'];

export interface FuseOptions {
  trust?: TrustMap;
  correlation?: (a: string, b: string) => number;
  runner?: EnsembleRunner | null;
  /** The method that acts. */
  method: FusionMethod;
  /** Minimum number of opinions for a non-hold action (default 1). */
  quorum?: number;
}

export interface FuseOutcome {
  acting: FusionResult;
  fusions: FusionResult[];
}

export function fuseAll(opinions: readonly Opinion[], opts: FuseOptions): FuseOutcome {
  const quorum = opts.quorum ?? 1;
  const b = { trust: opts.trust, correlation: opts.correlation };
  const voters = opinions.filter((o) => !o.advisory);
  const advisers = voters.length === opinions.length ? [] : opinions.filter((o) => o.advisory && o.veto);
  const fusions = [weightedVote(voters, opts.trust), bayesianFusion(voters, b), neuralFusion(opts.runner ?? null, voters, b)].map((f) => applyQuorum(applyVetoes(f, advisers), voters.length, quorum));
  const acting = fusions.find((f) => f.method === opts.method) ?? fusions[0];
  return { acting, fusions };
}

/**
 * What fusion is told about each agent that opined: the tenant's config weight
 * (`weightOf`, default 1) and the learned Beta(alpha, beta) hit-rate posterior
 * (`reliabilityOf`, default the Beta(1,1) prior). Shared by the consensus
 * service and the offline consensus strategy.
 */
export function trustFor(
  opinions: readonly Opinion[],
  weightOf: (agent: string) => number | undefined,
  reliabilityOf: (agent: string) => { alpha: number; beta: number } | undefined,
): TrustMap {
  const trust: TrustMap = {};
  for (const o of opinions) {
    const r = reliabilityOf(o.agent);
    trust[o.agent] = { weight: weightOf(o.agent) ?? 1, alpha: r?.alpha ?? 1, beta: r?.beta ?? 1 };
  }
  return trust;
}

/**
 * The signals of one candle's market-scoped agents that have a market view
 * (advisory opinions excluded), for `SignalCorrelation.observe`; null when
 * fewer than two agents spoke (nothing co-moves).
 */
export function marketSignals(opinions: readonly Opinion[], isMarketScoped: (agent: string) => boolean): Record<string, number> | null {
  const sig: Record<string, number> = {};
  let n = 0;
  for (const o of opinions) {
    if (!o.advisory && isMarketScoped(o.agent)) {
      sig[o.agent] = o.signal;
      n++;
    }
  }
  return n > 1 ? sig : null;
}
