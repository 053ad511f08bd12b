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
import { applyQuorum, applyVetoes, TrustMap } from './common';
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
