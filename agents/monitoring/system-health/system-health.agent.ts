/**
 * system-health (monitoring, market-scoped): is the platform fit to trade? It
 * never has a market view (signal 0); it vetoes while the data or the system is
 * degraded.
 *
 * - Data freshness: the wall time (from `clock` events) at which the symbol's
 *   last tick arrived; none for `staleSec` → stale feed, veto.
 * - Candle gaps: missing minutes between the last `gapWindow` M1 bars whose
 *   neighbours are less than an hour apart (weekend closes are not gaps).
 * - Event-loop delay: p99 of the last clock period above `maxLoopLagMs` → veto.
 * Time comes only from the events (the runtime's clock, or a backtest's data
 * clock), so the class stays pure.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { fmt, neutralDraft } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import type { OpinionQuery } from '../../../types/agents';
import { Candle, TF_MS } from '../../../types/market';

export interface SystemHealthParams {
  staleSec: number;
  maxLoopLagMs: number;
  gapWindow: number;
}

export const SYSTEM_HEALTH_PARAMS: ParamSchema<SystemHealthParams> = {
  staleSec: { type: 'number', min: 1, max: 86_400, doc: 'seconds without a tick before a feed counts as stale' },
  maxLoopLagMs: { type: 'number', min: 1, max: 60_000, doc: 'event-loop delay (p99) that counts as degraded' },
  gapWindow: { type: 'number', min: 10, max: 10_000, integer: true, doc: 'recent M1 bars checked for gaps' },
};

export interface HealthReport {
  symbol: string;
  status: 'ok' | 'degraded';
  problems: string[];
  lastTickAgoSec: number | null;
  loopLagMs: number | null;
  gaps: number;
}

export class SystemHealthAgent implements Agent {
  readonly id = 'system-health';
  readonly group = 'monitoring' as const;
  readonly scope = 'market' as const;
  readonly events = ['ticks.received', 'candle.closed', 'clock'] as const;
  private now: number | null = null;
  private lag: number | null = null;
  /** Wall time (last clock) at which each symbol's latest tick arrived. */
  private readonly arrived = new Map<string, number>();
  private readonly m1 = new Map<string, number[]>();
  private params: SystemHealthParams;

  constructor(params: Partial<SystemHealthParams> = {}) {
    this.params = applyParams(SYSTEM_HEALTH_PARAMS, { staleSec: 120, maxLoopLagMs: 250, gapWindow: 120 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'clock') {
      this.now = e.now;
      if (e.loopLagMs !== undefined) this.lag = e.loopLagMs;
    } else if (e.type === 'ticks.received') {
      if (this.now === null) return;
      for (const t of e.ticks) this.arrived.set(t.symbol, this.now);
    } else if (e.type === 'candle.closed' && e.candle.tf === 'M1') {
      const c: Candle = e.candle;
      let l = this.m1.get(c.symbol);
      if (!l) this.m1.set(c.symbol, (l = []));
      if (l.length === 0 || c.t > l[l.length - 1]) l.push(c.t);
      if (l.length > this.params.gapWindow * 2) l.splice(0, l.length - this.params.gapWindow);
    }
  }

  /** Health of one symbol's data and of the system. */
  report(symbol: string): HealthReport {
    const problems: string[] = [];
    const at = this.arrived.get(symbol);
    const ago = at !== undefined && this.now !== null ? (this.now - at) / 1000 : null;
    if (this.now !== null && at === undefined) problems.push(`no tick of ${symbol} received yet`);
    if (ago !== null && ago > this.params.staleSec) problems.push(`no tick of ${symbol} for ${fmt(ago, 3)} s (stale feed; limit ${this.params.staleSec} s)`);
    if (this.lag !== null && this.lag > this.params.maxLoopLagMs) problems.push(`event-loop delay ${fmt(this.lag, 3)} ms (limit ${this.params.maxLoopLagMs} ms)`);
    let gaps = 0;
    const l = (this.m1.get(symbol) ?? []).slice(-this.params.gapWindow);
    for (let i = 1; i < l.length; i++) {
      const d = l[i] - l[i - 1];
      if (d > TF_MS.M1 && d < TF_MS.H1) gaps += d / TF_MS.M1 - 1;
    }
    return { symbol, status: problems.length ? 'degraded' : 'ok', problems, lastTickAgoSec: ago, loopLagMs: this.lag, gaps };
  }

  symbols(): string[] {
    return [...new Set([...this.arrived.keys(), ...this.m1.keys()])].sort();
  }

  opine(q: OpinionQuery): OpinionDraft {
    const asOf = q.asOf ?? this.now ?? 0;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const r = this.report(q.symbol);
    const facts = [r.lastTickAgoSec !== null ? `last ${q.symbol} tick ${fmt(r.lastTickAgoSec, 3)} s ago` : 'no clock yet', r.loopLagMs !== null ? `event-loop delay ${fmt(r.loopLagMs, 3)} ms` : '', r.gaps ? `${r.gaps} missing M1 bar(s) among the last ${this.params.gapWindow}` : ''].filter(Boolean);
    const features: Record<string, number> = { gaps: r.gaps };
    if (r.lastTickAgoSec !== null) features.lastTickAgoSec = r.lastTickAgoSec;
    if (r.loopLagMs !== null) features.loopLagMs = r.loopLagMs;
    if (r.status === 'ok' || this.now === null) return { ...neutralDraft(head, `System and ${q.symbol} data healthy: ${facts.join('; ') || 'no signal of trouble'}.`), features };
    return { ...neutralDraft(head, `Degraded: ${r.problems.join('; ')}. Trading should wait.`, 1, 1), features, veto: { reason: r.problems.join('; ') } };
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(SYSTEM_HEALTH_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { now: this.now, loopLagMs: this.lag, symbols: this.symbols() };
  }
}
