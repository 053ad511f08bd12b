/**
 * Scoring opinions against outcomes (lib/learning/outcomes.ts).
 *
 * Per scored opinion:
 * - Brier score Σ_k (p_k − y_k)² over {buy, hold, sell} (0 perfect, 2 worst);
 * - log loss −ln max(p_y, 1e-6);
 * - directional hit: only when the opinion took a side (|signal|·confidence ≥
 *   the conviction threshold) and the market moved (r ≠ 0): hit when
 *   sign(signal) = sign(r);
 * - P&L attribution signal·confidence·r: the log return the agent would have
 *   earned trading its own conviction as a position (r in log units).
 *
 * Reliability is a Beta(α, β) posterior of the directional hit rate with
 * exponential forgetting: every new directional score first shrinks the
 * evidence towards the Beta(1, 1) prior by λ = 0.5^(1/halfLife), then adds the
 * hit to α or the miss to β. So an agent's trust follows its recent record
 * (half of the weight lies in its last `halfLife` calls).
 */
import type { Action, Probabilities } from '../../types/agents';

export const LOG_LOSS_FLOOR = 1e-6;

export interface OpinionScore {
  brier: number;
  logLoss: number;
  /** true/false for a directional call on a move; null otherwise. */
  hit: boolean | null;
  pnl: number;
}

/** Score one opinion (p, signal, confidence) against the outcome (label, r). */
export function scoreOpinion(o: { p: Probabilities; signal: number; confidence: number }, label: Action, ret: number, minConviction: number): OpinionScore {
  const y = { buy: label === 'buy' ? 1 : 0, hold: label === 'hold' ? 1 : 0, sell: label === 'sell' ? 1 : 0 };
  const brier = (o.p.buy - y.buy) ** 2 + (o.p.hold - y.hold) ** 2 + (o.p.sell - y.sell) ** 2;
  const logLoss = -Math.log(Math.max(o.p[label], LOG_LOSS_FLOOR));
  const conviction = Math.abs(o.signal) * o.confidence;
  const hit = conviction >= minConviction && o.signal !== 0 && ret !== 0 ? Math.sign(o.signal) === Math.sign(ret) : null;
  return { brier, logLoss, hit, pnl: o.signal * o.confidence * ret };
}

/** Running totals of scores (plain sums; means on read). */
export class ScoreStats {
  n = 0;
  directional = 0;
  hits = 0;
  brier = 0;
  logLoss = 0;
  pnl = 0;

  add(s: OpinionScore): void {
    this.n++;
    this.brier += s.brier;
    this.logLoss += s.logLoss;
    this.pnl += s.pnl;
    if (s.hit !== null) {
      this.directional++;
      if (s.hit) this.hits++;
    }
  }

  view(): ScoreView {
    return {
      scored: this.n,
      directional: this.directional,
      hitRate: this.directional > 0 ? this.hits / this.directional : null,
      brier: this.n > 0 ? this.brier / this.n : null,
      logLoss: this.n > 0 ? this.logLoss / this.n : null,
      pnl: this.pnl,
    };
  }
}

export interface ScoreView {
  scored: number;
  directional: number;
  hitRate: number | null;
  /** Mean Brier score. */
  brier: number | null;
  /** Mean log loss (nats). */
  logLoss: number | null;
  /** Σ signal·confidence·r, log-return units. */
  pnl: number;
}

/** Beta(α, β) hit-rate posterior with exponential forgetting towards Beta(1, 1). */
export class DecayingBeta {
  alpha = 1;
  beta = 1;
  private readonly lambda: number;

  constructor(readonly halfLife: number) {
    this.lambda = Math.pow(0.5, 1 / halfLife);
  }

  add(hit: boolean): void {
    this.alpha = 1 + this.lambda * (this.alpha - 1) + (hit ? 1 : 0);
    this.beta = 1 + this.lambda * (this.beta - 1) + (hit ? 0 : 1);
  }

  /** Posterior mean hit rate. */
  mean(): number {
    return this.alpha / (this.alpha + this.beta);
  }
}
