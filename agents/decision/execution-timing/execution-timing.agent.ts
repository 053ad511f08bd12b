/**
 * execution-timing (decision, market-scoped): now or wait. It has no view on
 * direction (signal 0); it says how strongly to wait, and why.
 *
 * - Spread: the current spread (median of the last `spreadRecent` ticks)
 *   against the symbol's own recent spreads (`spreadWindow` ticks): score 0 at
 *   or below their median, 1 at their 99th percentile.
 * - Volatility burst: mean true range of the last 5 bars as a z-score among
 *   the 5-bar means of the 720 bars before (M1 bars when available): 0 up to
 *   2σ, 1 at 5σ. (The store used to hold only 400–600 bars, so the sample was
 *   that long; it now keeps 721.)
 * - Session liquidity: ticks per minute in this UTC hour, learned from the
 *   symbol's own bars, against its average over the hours seen; an hour below
 *   `thinLiquidity` × the average counts as thin (score rises to 1 at zero).
 * - Scheduled events: a high-importance release for either currency within
 *   `eventBeforeMin` ahead or `eventAfterMin` behind.
 *
 * wait = 1 − Π(1 − wᵢ·scoreᵢ) (any one reason is enough). The opinion leans to
 * hold by `wait`, with confidence = wait (a "now" has nothing to add to the
 * fused direction). A spread beyond `vetoSpreadMultiple` × its median vetoes.
 *
 * State: the spreads in a `SortedSnapshot` (its sorted sample refreshed every
 * 250 ticks by merging in what changed; non-finite spreads are skipped), and
 * per series the 5-bar mean true ranges of its last 720 bars with running sums
 * (`SummedWindow`, so σ of the sample is O(1)), fed the bars they have not
 * seen when the agent opines (a `BarCursor`), restarted from the store when
 * the series is revised; a query into the past reads the bars up to then.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarCursor, BarStore } from '../../../lib/agents/bars';
import { CalendarBook } from '../../../lib/agents/calendar-book';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { RollingWindow, SortedSnapshot, SummedWindow } from '../../../lib/agents/rolling';
import { mean, percentileRankSorted, quantileSelect, quantileSorted, stdev } from '../../../lib/agents/stats';
import { symbolAssets } from '../../../lib/agents/symbols';
import type { OpinionQuery } from '../../../types/agents';
import { Candle, TF_MS, Timeframe } from '../../../types/market';

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

interface SymbolState {
  /** Relative spreads (spread / mid) and their sorted sample, refreshed every so many ticks. */
  spreads: SortedSnapshot;
  sinceSort: number;
  lastTick: number;
  /** Sum and count of ticks-per-minute by UTC hour. */
  hourSum: Float64Array;
  hourN: Float64Array;
}

/**
 * The volatility reason's state for one series: the 5-bar mean true ranges of
 * its last RANGE_BARS bars. Each new bar gives a true range and the mean of
 * the last five; a mean joins the "before" sample (running sums) once it no
 * longer overlaps the latest five bars, and leaves it when its bars leave the
 * window.
 */
interface RangeTrack {
  cursor: BarCursor;
  prev: Candle | null;
  /** The last five true ranges. */
  ranges: RollingWindow;
  /** The last six 5-bar means: the oldest is the newest one that no longer overlaps the latest. */
  recentMeans: RollingWindow;
  /** 5-bar means of the window that end before its last five bars. */
  before: SummedWindow;
}

/** Bars whose ranges the volatility reason looks at (the store keeps at least one more). */
const RANGE_BARS = 720;

function trueRange(b: Candle, prev: Candle | undefined): number {
  return prev ? Math.max(b.h - b.l, Math.abs(b.h - prev.c), Math.abs(b.l - prev.c)) : b.h - b.l;
}

/** The volatility burst computed from bars (the last RANGE_BARS of them), for queries the range track cannot answer. */
function burstOf(bars: readonly Candle[]): { z: number; burst: number } {
  const L = bars.length;
  const m = Math.min(RANGE_BARS, L - 1);
  for (let j = 0; j < m; j++) ranges[j] = trueRange(bars[L - m + j], bars[L - m + j - 1]);
  const win = (end: number) => (ranges[end - 1] + ranges[end - 2] + ranges[end - 3] + ranges[end - 4] + ranges[end - 5]) / 5;
  let k = 0;
  for (let end = 5; end <= m - 5; end++) means[k++] = win(end);
  const recent = win(m);
  const mu = mean(means, 0, k);
  const sd = stdev(means, 0, k);
  return { z: sd > 0 ? (recent - mu) / sd : 0, burst: mu > 0 ? recent / mu : 1 };
}

/** UTC hour (0–23) of a time in ms, as Date#getUTCHours. */
function utcHour(t: number): number {
  return (((Math.floor(t / 3_600_000) % 24) + 24) % 24) | 0;
}

/** Scratch for the fallback's ranges and 5-bar means and for recent spreads (single-threaded, used within one call). */
const ranges = new Float64Array(RANGE_BARS);
const means = new Float64Array(RANGE_BARS);
let recentSpreads = new Float64Array(16);

export class ExecutionTimingAgent implements Agent {
  readonly id = 'execution-timing';
  readonly group = 'decision' as const;
  readonly scope = 'market' as const;
  readonly events = ['ticks.received', 'candle.closed', 'calendar.published'] as const;
  private readonly bars = new BarStore(RANGE_BARS + 1);
  private readonly state = new Map<string, SymbolState>();
  private readonly rangeTracks = new Map<string, RangeTrack>();
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
      s = { spreads: new SortedSnapshot(this.params.spreadWindow), sinceSort: 0, lastTick: 0, hourSum: new Float64Array(24), hourN: new Float64Array(24) };
      this.state.set(symbol, s);
    }
    return s;
  }

  update(e: AgentEvent): void {
    if (e.type === 'ticks.received') {
      for (const t of e.ticks) {
        if (!(t.ask >= t.bid) || t.bid <= 0) continue;
        const spread = (t.ask - t.bid) / ((t.ask + t.bid) / 2);
        if (!Number.isFinite(spread)) continue;
        const s = this.sym(t.symbol);
        s.spreads.push(spread);
        s.lastTick = Math.max(s.lastTick, t.time_msc);
        if (++s.sinceSort >= 250 || s.spreads.sorted.length < 50) {
          s.spreads.refresh();
          s.sinceSort = 0;
        }
      }
    } else if (e.type === 'candle.closed') {
      const c = e.candle;
      if (!this.bars.add(c)) return;
      const s = this.sym(c.symbol);
      const h = utcHour(c.t);
      if (TF_MS[c.tf] <= TF_MS.H1) {
        s.hourSum[h] += c.n / (TF_MS[c.tf] / 60_000);
        s.hourN[h]++;
      }
    } else if (e.type === 'calendar.published') {
      this.calendar.add(e.events);
    }
  }

  /**
   * The z-score of the last 5 bars' mean true range among the 5-bar means of
   * the (up to) 720 bars before, and the burst ratio recent / mean: from the
   * series' range track, fed the bars it has not seen (running sums, O(1) a
   * bar); for a query into the past, from the bars up to then.
   */
  private burst(symbol: string, tf: Timeframe, volBars: readonly Candle[], asOf: number | undefined): { z: number; burst: number } {
    const key = symbol + '|' + tf;
    let tr = this.rangeTracks.get(key);
    if (!tr) {
      if (this.rangeTracks.size >= 256) this.rangeTracks.delete(this.rangeTracks.keys().next().value as string);
      tr = { cursor: new BarCursor(this.bars, symbol, tf), prev: null, ranges: new RollingWindow(5), recentMeans: new RollingWindow(6), before: new SummedWindow(RANGE_BARS - 9) };
      this.rangeTracks.set(key, tr);
    }
    const st = tr.cursor.advance(asOf);
    if (st === null) return burstOf(volBars);
    if (st.restart) {
      tr.prev = null;
      tr.ranges.clear();
      tr.recentMeans.clear();
      tr.before = new SummedWindow(RANGE_BARS - 9);
    }
    for (let i = st.from; i < st.to; i++) {
      const b = st.bars[i];
      if (tr.prev) {
        const r = tr.ranges;
        r.push(trueRange(b, tr.prev));
        if (r.length === 5) {
          // Newest first, as the batch form adds them.
          tr.recentMeans.push((r.at(4) + r.at(3) + r.at(2) + r.at(1) + r.at(0)) / 5);
          if (tr.recentMeans.length === 6) tr.before.push(tr.recentMeans.at(0));
        }
      }
      tr.prev = b;
    }
    const recent = tr.recentMeans.last();
    const mu = tr.before.mean();
    const sd = tr.before.stdev();
    return { z: sd > 0 ? (recent - mu) / sd : 0, burst: mu > 0 ? recent / mu : 1 };
  }

  opine(q: OpinionQuery): OpinionDraft {
    const s = this.state.get(q.symbol);
    const m1 = this.bars.get(q.symbol, 'M1', q.asOf);
    const volTf: Timeframe = m1.length >= 30 ? 'M1' : q.tf;
    const volBars = volTf === 'M1' ? m1 : this.bars.get(q.symbol, q.tf, q.asOf);
    const lastBar = volBars[volBars.length - 1];
    const asOf = q.asOf ?? Math.max(s?.lastTick ?? 0, lastBar ? lastBar.t + TF_MS[lastBar.tf] : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const p = this.params;
    const reasons: string[] = [];
    const features: Record<string, number> = {};
    let keep = 1;
    let known = 0;
    let veto: string | null = null;

    if (s && s.spreads.length >= 50) {
      known++;
      if (recentSpreads.length < p.spreadRecent) recentSpreads = new Float64Array(p.spreadRecent);
      const nRecent = s.spreads.copyLast(recentSpreads, p.spreadRecent);
      const current = quantileSelect(recentSpreads, nRecent, 0.5);
      const sorted = s.spreads.sorted;
      const typical = quantileSorted(sorted, 0.5);
      const wide = quantileSorted(sorted, 0.99);
      const rank = percentileRankSorted(sorted, current);
      const score = wide > typical ? clamp((current - typical) / (wide - typical), 0, 1) : current > typical ? 1 : 0;
      keep *= 1 - p.weightSpread * score;
      const multiple = typical > 0 ? current / typical : 1;
      features.spreadMultiple = multiple;
      features.spreadRank = rank;
      reasons.push(`spread ${fmt(multiple, 3)}× its median (${fmt(rank * 100, 3)}th percentile of the last ${s.spreads.length} ticks)`);
      if (multiple >= p.vetoSpreadMultiple) veto = `spread ${fmt(multiple, 3)}× its median (limit ${p.vetoSpreadMultiple}×)`;
    }
    if (volBars.length >= 30) {
      known++;
      const { z, burst } = this.burst(q.symbol, volTf, volBars, q.asOf);
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
      const h = utcHour(asOf);
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
    return { symbols: [...this.state.keys()], bars: this.bars.describe(), tracks: this.rangeTracks.size, events: this.calendar.size };
  }
}
