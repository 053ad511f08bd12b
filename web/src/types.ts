/**
 * Shapes the dashboard reads from REST and `/ws`. Market and agent messages come
 * from the platform's shared types; services still being built are described by
 * the fields the pages use, all optional beyond identity, so a richer server
 * payload never breaks a page.
 */
export type { Candle, Tick, Timeframe } from '../../types/market';
export type { Decision, Opinion, FusionResult, AgentGroup, Action, Probabilities } from '../../types/agents';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CandleItem {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  closed?: boolean;
}

export interface SymbolItem {
  symbol: string;
  ticks: number;
  digits?: number;
  point?: number;
  bid?: number;
  ask?: number;
  lastTime: number | null;
}

export interface TierSpec {
  tier: string;
  title: string;
  priceUsdMonthly: number;
  priceIdrMonthly: number;
  requestsPerMinute: number;
  maxSymbols: number;
  maxOrdersPerDay: number;
  maxBacktestsPerDay: number;
  maxMt5Accounts: number;
  features: string[];
}

export interface TenantInfo {
  id: string;
  name: string;
  tier: string;
  createdAt: number;
  plan: TierSpec;
  tiers: TierSpec[];
}

export interface AgentItem {
  id: string;
  group: string;
  scope?: string;
  enabled?: boolean;
  weight?: number;
  reliability?: { multiplier?: number; pBetterThanChance?: number; alpha?: number; beta?: number };
  status?: {
    opinions?: number;
    latencyMs?: { n?: number; p50?: number | null; p99?: number | null; max?: number };
    lastError?: { at: number; message: string } | null;
    lastOpinion?: import('../../types/agents').Opinion | null;
  } | null;
  error?: string;
}

export interface DecisionSummary {
  id: string;
  symbol: string;
  tf: string;
  asOf: number;
  action: 'buy' | 'sell' | 'hold';
  confidence: number;
  method: string;
  p?: { buy: number; hold: number; sell: number };
  opinionCount?: number;
  vetoes?: { agent: string; reason: string }[];
  abstained?: { agent: string; reason: string }[];
}

export interface OrderEvent {
  event?: string;
  tenantId?: string;
  order?: { id: string; symbol?: string; side?: string; status?: string };
  fill?: FillItem;
}

export interface FillItem {
  id: string;
  orderId?: string;
  symbol: string;
  side: 'buy' | 'sell';
  volume: number;
  price: number;
  time: number;
  realizedPnl?: number;
  commission?: number;
}

export interface StepStats {
  step: string;
  label?: string;
  count: number;
  errors?: number;
  errorRate?: number;
  p50: number;
  p95: number;
  p99: number;
  criticalShare?: number;
  criticalMsMean?: number;
  ops?: { op: string; count: number; p50: number; p99: number; criticalShare?: number }[];
}

export interface ChainStats {
  chain: string;
  tenantId?: string | null;
  window?: { from: number; to: number; ms: number };
  executions?: { sampled: number; estimatedTotal?: number; errors?: number; errorRate?: number; p50: number; p95: number; p99: number };
  steps: StepStats[];
}

export interface ChainItem {
  name: string;
  description?: string;
  steps?: { id: string; label?: string }[];
  builtIn?: boolean;
  stats?: ChainStats;
}

export interface Bottleneck {
  kind: string;
  chain: string;
  step: string;
  op?: string | null;
  share?: number;
  factor?: number;
}

export interface ExecutionSpan {
  id: string;
  op: string;
  step?: string | null;
  service?: string | null;
  offsetMs: number;
  durationMs: number;
  criticalMs?: number;
  error?: { message?: string } | null;
  children?: ExecutionSpan[];
}

export interface ExecutionItem {
  id: string;
  traceId: string;
  chain: string;
  status?: string;
  start: number;
  durationMs: number;
  steps?: { step: string; offsetMs: number; durationMs: number; criticalMs?: number }[];
  missing?: string[];
  tree?: ExecutionSpan | null;
}
