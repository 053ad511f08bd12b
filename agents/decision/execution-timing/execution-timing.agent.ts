/**
 * execution-timing (decision, market-scoped): now or wait. It has no view on
 * direction (signal 0); it says how strongly to wait, and why.
 *
 * - Spread: the current spread (median of the last `spreadRecent` ticks)
 *   against the symbol's own recent spreads (`spreadWindow` ticks): score 0 at
 *   or below their median, 1 at their 99th percentile.
 * - Volatility burst: mean true range of the last 5 bars as a z-score among
 *   the 5-bar means of the 720 bars before (M1 bars when available): 0 up to
 *   2σ, 1 at 5σ.
 * - Session liquidity: ticks per minute in this UTC hour, learned from the
 *   symbol's own bars, against its average over the hours seen; an hour below
 *   `thinLiquidity` × the average counts as thin (score rises to 1 at zero).
 * - Scheduled events: a high-importance release for either currency within
 *   `eventBeforeMin` ahead or `eventAfterMin` behind.
 *
 * wait = 1 − Π(1 − wᵢ·scoreᵢ) (any one reason is enough). The opinion leans to
 * hold by `wait`, with confidence = wait (a "now" has nothing to add to the
 * fused direction). A spread beyond `vetoSpreadMultiple` × its median vetoes.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarStore } from '../../../lib/agents/bars';
import { CalendarBook } from '../../../lib/agents/calendar-book';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { mean, median, percentileRankSorted, quantileSorted, stdev } from '../../../lib/agents/stats';
import { symbolAssets } from '../../../lib/agents/symbols';
import type { OpinionQuery } from '../../../types/agents';
import { Candle, TF_MS } from '../../../types/market';

export interface ExecutionTimingParams {
  spreadWindow: number;
  spreadRecent: number;
  eventBeforeMin: number;
  eventAfterMin: number;
  vetoSpreadMultiple: number;
  thinLiquidity: number;
  weightSpread: number;
  weightVolatility: number;
  weightLiquidity: number;
  weightEvent: number;
}

export const EXECUTION_TIMING_PARAMS: ParamSchema<ExecutionTimingParams> = {
  spreadWindow: { type: 'number', min: 50, max: 100_000, integer: true, doc: 'ticks of spread history' },
  spreadRecent: { type: 'number', min: 1, max: 1000, integer: true, doc: 'ticks whose median is the current spread' },
  eventBeforeMin: { type: 'number', min: 0, max: 1440, doc: 'minutes before a high-importance release to wait' },
  eventAfterMin: { type: 'number', min: 0, max: 1440, doc: 'minutes after a release to wait' },
  vetoSpreadMultiple: { type: 'number', min: 1, max: 100, doc: 'spread multiple of its median that vetoes' },
  thinLiquidity: { type: 'number', min: 0.01, max: 1, doc: 'tick rate (× the average) below which an hour counts as thin' },
  weightSpread: { type: 'number', min: 0, max: 1, doc: 'weight of the spread reason' },
  weightVolatility: { type: 'number', min: 0, max: 1, doc: 'weight of the volatility reason' },
  weightLiquidity: { type: 'number', min: 0, max: 1, doc: 'weight of the liquidity reason' },
  weightEvent: { type: 'number', min: 0, max: 1, doc: 'weight of the event reason' },
};

/** Float ring buffer. */
class Ring {
  readonly buf: Float64Array;
  n = 0;
  i = 0;
  constructor(size: number) {
    this.buf = new Float64Array(size);
  }
  push(x: number): void {
    this.buf[this.i] = x;
    this.i = (this.i + 1) % this.buf.length;
    if (this.n < this.buf.length) this.n++;
  }
  /** The last k values (oldest first). */
  last(k: number): Float64Array {
    const m = Math.min(k, this.n);
    const out = new Float64Array(m);
    for (let j = 0; j < m; j++) out[j] = this.buf[(this.i - m + j + this.buf.length) % this.buf.length];
    return out;
  }
  values(): Float64Array {
    return this.last(this.n);
  }
}

interface SymbolState {
  spreads: Ring;
  /** Relative spreads (spread / mid) as a sorted sample, refreshed every so many ticks. */
  sorted: Float64Array;
  sinceSort: number;
  lastTick: number;
  /** Sum and count of ticks-per-minute by UTC hour. */
  hourSum: Float64Array;
  hourN: Float64Array;
}

function trueRange(b: Candle, prev: Candle | undefined): number {
  return prev ? Math.max(b.h - b.l, Math.abs(b.h - prev.c), Math.abs(b.l - prev.c)) : b.h - b.l;
}

export class ExecutionTimingAgent implements Agent {
  readonly id = 'execution-timing';
  readonly group = 'decision' as const;
  readonly scope = 'market' as const;
  readonly events = ['ticks.received', 'candle.closed', 'calendar.published'] as const;
  private readonly bars = new BarStore(400);
  private readonly state = new Map<string, SymbolState>();
  private readonly calendar = new CalendarBook('high');
  private params: ExecutionTimingParams;

  constructor(params: Partial<ExecutionTimingParams> = {}) {
    this.params = applyParams(
      EXECUTION_TIMING_PARAMS,
      { spreadWindow: 5000, spreadRecent: 10, eventBeforeMin: 15, eventAfterMin: 10, vetoSpreadMultiple: 5, thinLiquidity: 0.6, weightSpread: 1, weightVolatility: 0.8, weightLiquidity: 0.6, weightEvent: 1 },
      params,
    );
  }

  private sym(symbol: string): SymbolState {
    let s = this.state.get(symbol);
    if (!s) {
      s = { spreads: new Ring(this.params.spreadWindow), sorted: new Float64Array(0), sinceSort: 0, lastTick: 0, hourSum: new Float64Array(24), hourN: new Float64Array(24) };
      this.state.set(symbol, s);
    }
    return s;
  }

  update(e: AgentEvent): void {
    if (e.type === 'ticks.received') {
      for (const t of e.ticks) {
        if (!(t.ask >= t.bid) || t.bid <= 0) continue;
        const s = this.sym(t.symbol);
        s.spreads.push((t.ask - t.bid) / ((t.ask + t.bid) / 2));
        s.lastTick = Math.max(s.lastTick, t.time_msc);
        if (++s.sinceSort >= 250 || s.sorted.length < 50) {
          s.sorted = s.spreads.values().sort();
          s.sinceSort = 0;
        }
      }
    } else if (e.type === 'candle.closed') {
      const c = e.candle;
      if (!this.bars.add(c)) return;
      const s = this.sym(c.symbol);
      const h = new Date(c.t).getUTCHours();
      if (TF_MS[c.tf] <= TF_MS.H1) {
        s.hourSum[h] += c.n / (TF_MS[c.tf] / 60_000);
        s.hourN[h]++;
      }
    } else if (e.type === 'calendar.published') {
      this.calendar.add(e.events);
    }
  }

  opine(q: OpinionQuery): OpinionDraft {
    const s = this.state.get(q.symbol);
    const volBars = this.bars.get(q.symbol, 'M1', q.asOf).length >= 30 ? this.bars.get(q.symbol, 'M1', q.asOf) : this.bars.get(q.symbol, q.tf, q.asOf);
    const lastBar = volBars[volBars.length - 1];
    const asOf = q.asOf ?? Math.max(s?.lastTick ?? 0, lastBar ? lastBar.t + TF_MS[lastBar.tf] : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const p = this.params;
    const reasons: string[] = [];
    const features: Record<string, number> = {};
    let keep = 1;
    let known = 0;
    let veto: string | null = null;

    if (s && s.spreads.n >= 50) {
      known++;
      const current = median(s.spreads.last(p.spreadRecent));
      const typical = quantileSorted(s.sorted, 0.5);
      const wide = quantileSorted(s.sorted, 0.99);
      const rank = percentileRankSorted(s.sorted, current);
      const score = wide > typical ? clamp((current - typical) / (wide - typical), 0, 1) : current > typical ? 1 : 0;
      keep *= 1 - p.weightSpread * score;
      const multiple = typical > 0 ? current / typical : 1;
      Object.assign(features, { spreadMultiple: multiple, spreadRank: rank });
      reasons.push(`spread ${fmt(multiple, 3)}× its median (${fmt(rank * 100, 3)}th percentile of the last ${s.spreads.n} ticks)`);
      if (multiple >= p.vetoSpreadMultiple) veto = `spread ${fmt(multiple, 3)}× its median (limit ${p.vetoSpreadMultiple}×)`;
    }
    if (volBars.length >= 30) {
      known++;
      const tr: number[] = [];
      const from = Math.max(1, volBars.length - 720);
      for (let i = from; i < volBars.length; i++) tr.push(trueRange(volBars[i], volBars[i - 1]));
      // The last 5 bars' mean range as a z-score among the 5-bar mean ranges before them.
      const win = (end: number) => (tr[end - 1] + tr[end - 2] + tr[end - 3] + tr[end - 4] + tr[end - 5]) / 5;
      const past: number[] = [];
      for (let end = 5; end <= tr.length - 5; end++) past.push(win(end));
      const recent = win(tr.length);
      const m = mean(past);
      const sd = stdev(past);
      const z = sd > 0 ? (recent - m) / sd : 0;
      const burst = m > 0 ? recent / m : 1;
      const score = clamp((z - 2) / 3, 0, 1);
      keep *= 1 - p.weightVolatility * score;
      features.volatilityBurst = burst;
      features.volatilityZ = z;
      reasons.push(`last 5 ${volBars[0].tf} ranges ${fmt(burst, 3)}× their average (${fmt(z, 2)}σ)`);
    }
    if (s) {
      let hours = 0;
      let total = 0;
      for (let h = 0; h < 24; h++)
        if (s.hourN[h] > 0) {
          hours++;
          total += s.hourSum[h] / s.hourN[h];
        }
      const h = new Date(asOf).getUTCHours();
      // No tick counts at all (bar files without them) say nothing about liquidity: skip the reason, never divide 0 by 0.
      if (hours >= 12 && s.hourN[h] > 0 && total > 0) {
        known++;
        const liquidity = s.hourSum[h] / s.hourN[h] / (total / hours);
        const score = clamp((p.thinLiquidity - liquidity) / p.thinLiquidity, 0, 1);
        keep *= 1 - p.weightLiquidity * score;
        features.liquidity = liquidity;
        reasons.push(`${String(h).padStart(2, '0')}:00 UTC carries ${fmt(liquidity, 3)}× the average tick rate`);
      }
    }
    const { base, quote } = symbolAssets(q.symbol);
    const nearest = this.calendar.nearest(quote ? [base, quote] : [base], asOf, p.eventBeforeMin, p.eventAfterMin);
    if (this.calendar.size > 0) known++;
    if (nearest) {
      const m = nearest.minutes;
      const score = m >= 0 ? 1 - m / Math.max(p.eventBeforeMin, 1e-9) : 1 + m / Math.max(p.eventAfterMin, 1e-9);
      keep *= 1 - p.weightEvent * clamp(score, 0, 1);
      features.minutesToEvent = m;
      const ev = nearest.event;
      reasons.push(m >= 0 ? `${ev.currency} ${ev.name} due in ${fmt(m, 3)} min` : `${ev.currency} ${ev.name} released ${fmt(-m, 3)} min ago`);
    }
    if (known === 0) return neutralDraft(head, `${q.symbol}: no ticks, bars or calendar yet to time an entry.`);
    const wait = clamp(1 - keep, 0, 1);
    features.wait = wait;
    const verdict = veto ? 'do not trade now' : wait >= 0.5 ? 'wait' : wait >= 0.2 ? 'enter with care' : 'now is fine';
    const draft = opinionDraft(head, 0, toProbabilities(0, wait, wait), wait, `${q.symbol}: ${verdict} (wait ${fmt(wait, 2)}): ${reasons.join('; ')}.`, features);
    if (veto) draft.veto = { reason: veto };
    return draft;
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(EXECUTION_TIMING_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { symbols: [...this.state.keys()], bars: this.bars.describe(), events: this.calendar.size };
  }
}
