/** Agent opinions and consensus decisions (ARCHITECTURE §5, §7). */
import type { Timeframe } from './market';

export type AgentGroup = 'research' | 'decision' | 'learning' | 'monitoring';
export type Action = 'buy' | 'hold' | 'sell';

export interface Probabilities {
  buy: number;
  hold: number;
  sell: number;
}

export type AdvisoryLevel = 'info' | 'warn' | 'critical';

/** One thing an advising agent wants on the decision record: a flag or a piece of advice. */
export interface AdvisoryNote {
  /** Stable machine code: `api_degraded`, `throttle_notifications`, `near_order_allowance` … */
  code: string;
  level: AdvisoryLevel;
  message: string;
}

/** What every agent emits. `signal` ∈ [-1, 1]; `p` sums to 1; `confidence` ∈ [0, 1]. */
export interface Opinion {
  agent: string;
  group: AgentGroup;
  symbol: string;
  tf: Timeframe;
  signal: number;
  p: Probabilities;
  confidence: number;
  veto?: { reason: string };
  /**
   * Present when the opinion carries no market view (monitoring agents, and
   * learning agents that report rather than forecast). Then signal = 0,
   * p = uniform and confidence = 0 (the output check enforces it), and every
   * fusion skips the opinion: it neither votes, nor dilutes the fused
   * confidence, nor counts toward quorum. Its veto, if any, still forces hold.
   * An empty list means "nothing to flag".
   */
  advisory?: AdvisoryNote[];
  features?: Record<string, number>;
  rationale: string;
  asOf: number;
  latencyMs: number;
}

export interface OpinionQuery {
  symbol: string;
  tf: Timeframe;
  /** Opinion as of this time (ms); default: latest data. */
  asOf?: number;
  /** Present for tenant-scoped agents. */
  tenantId?: string;
}

export type FusionMethod = 'weighted' | 'bayesian' | 'neural';

export interface FusionResult {
  method: FusionMethod;
  action: Action;
  p: Probabilities;
  confidence: number;
  /** Set when a method could not act and another stood in (e.g. neural → bayesian before training). */
  fallback?: FusionMethod;
  note?: string;
}

export interface Decision {
  id: string;
  tenantId: string;
  symbol: string;
  tf: Timeframe;
  asOf: number;
  action: Action;
  p: Probabilities;
  confidence: number;
  method: FusionMethod;
  fusions: FusionResult[];
  opinions: Opinion[];
  abstained: { agent: string; reason: string }[];
  vetoes: { agent: string; reason: string }[];
  /** Every advisory note of the opinions, with its agent (derived from `opinions`). */
  advisories?: (AdvisoryNote & { agent: string })[];
  latencyMs: number;
  traceId: string | null;
  /** Wall clock (ms) when consensus decided; `asOf` is the data time, which differs in replays. */
  madeAt?: number;
}
