/**
 * Shared pieces of the three fusion methods: how much each agent is trusted,
 * how vetoes and quorum override an action, and how confident a fused
 * distribution is.
 */
import { argmaxAction } from '../agents/opinion';
import type { Action, FusionMethod, FusionResult, Opinion, Probabilities } from '../../types/agents';

/**
 * What consensus knows about one agent for one tenant.
 * `weight` (config, ≥ 0, default 1) and a Beta(alpha, beta) posterior of the
 * agent's directional hit rate (hits add to alpha, misses to beta; default the
 * Beta(1,1) prior, i.e. no history).
 */
export interface AgentTrust {
  weight: number;
  alpha: number;
  beta: number;
}

export type TrustMap = Record<string, Partial<AgentTrust> | undefined>;

export const DEFAULT_TRUST: AgentTrust = { weight: 1, alpha: 1, beta: 1 };

export function trustOf(trust: TrustMap | undefined, agent: string): AgentTrust {
  const t = trust?.[agent];
  return { weight: t?.weight ?? DEFAULT_TRUST.weight, alpha: t?.alpha ?? DEFAULT_TRUST.alpha, beta: t?.beta ?? DEFAULT_TRUST.beta };
}

export const UNIFORM: Probabilities = { buy: 1 / 3, hold: 1 / 3, sell: 1 / 3 };

/**
 * How far the chosen action's probability stands above chance, in [0,1]:
 * (p[action] − 1/3)·3/2, so a uniform distribution is 0 and a certain one is 1.
 */
export function edge(p: Probabilities, action: Action): number {
  const x = ((p[action] - 1 / 3) * 3) / 2;
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** The result when no agent spoke: uniform, hold, confidence 0. */
export function noOpinion(method: FusionMethod): FusionResult {
  return { method, action: 'hold', p: { ...UNIFORM }, confidence: 0, note: 'no opinions' };
}

/** A vetoing opinion forces hold; the note names every veto. The fused `p` is kept for the record. */
export function applyVetoes(r: FusionResult, opinions: readonly Opinion[]): FusionResult {
  const vetoes = opinions.filter((o) => o.veto);
  if (vetoes.length === 0) return r;
  const why = vetoes.map((o) => `${o.agent}: ${o.veto!.reason}`).join('; ');
  return Object.assign({}, r, { action: 'hold' as const, note: `vetoed by ${why}` + (r.note ? `; ${r.note}` : '') });
}

/** Fewer opinions than `quorum` → hold with the reason. */
export function applyQuorum(r: FusionResult, present: number, quorum: number): FusionResult {
  if (present >= quorum) return r;
  return Object.assign({}, r, { action: 'hold' as const, note: `quorum not met: ${present} of ${quorum} opinions` + (r.note ? `; ${r.note}` : '') });
}

export function normalise(buy: number, hold: number, sell: number): Probabilities {
  const s = buy + hold + sell;
  const b = buy / s;
  const se = sell / s;
  return { buy: b, hold: 1 - b - se, sell: se };
}

export { argmaxAction };
