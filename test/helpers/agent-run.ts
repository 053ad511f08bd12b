/** Drive a pure agent over real bars the way the runtime does: candle in, opinion out. */
import type { Agent } from '../../lib/agents/agent';
import { checkOpinion } from '../../lib/agents/opinion';
import type { Opinion } from '../../types/agents';
import { Candle, TF_MS } from '../../types/market';

/** Feed `bars` in order; after each bar whose index is in `at`, record the opinion as of its close. Fails on an invalid opinion. */
export function opinionsAt(agent: Agent, bars: readonly Candle[], at: readonly number[], tenantId?: string): Map<number, Opinion> {
  const want = new Set(at);
  const out = new Map<number, Opinion>();
  bars.forEach((c, i) => {
    agent.update({ type: 'candle.closed', candle: c });
    if (!want.has(i)) return;
    const q = { symbol: c.symbol, tf: c.tf, asOf: c.t + TF_MS[c.tf], ...(tenantId ? { tenantId } : {}) };
    const d = agent.opine(q);
    const bad = checkOpinion(d);
    if (bad.length > 0) throw new Error(`${agent.id} at bar ${i}: ${bad.join('; ')}`);
    out.set(i, { ...d, latencyMs: 0 });
  });
  return out;
}

/** Indices from `from` to `to` (exclusive) every `step`. */
export function every(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i += step) out.push(i);
  return out;
}

/** Trailing simple return of closes over `n` bars at index i. */
export function trailingReturn(bars: readonly Candle[], i: number, n: number): number {
  return bars[i].c / bars[i - n].c - 1;
}
