/**
 * strategy-formulation (decision, market-scoped): keeps three strategies
 * (trend-following: EMA crossover; mean-reversion: z-score against a moving
 * mean; breakout: channel breaks), scores each on the last `evalBars` bars
 * (t-statistic of its per-bar P&L), reads the regime, and speaks for the best.
 *
 * Regime from the same window: efficiency ratio ER = |net move| / Σ|moves|
 * against its random-walk level √(2/(π·n)); volatility ratio = σ of the last
 * 20 moves / σ of the window. Trending (ER ≥ 2× random walk) favours
 * trend-following and breakout, ranging favours mean-reversion, a volatility
 * expansion (ratio ≥ 1.5) favours breakout: the favoured strategies get
 * `regimeBonus` added to their t.
 *
 * When the `adaptation` agent has published a regime for the series
 * (`regime.changed`, its HMM over efficiency and relative volatility), that
 * regime decides which strategies are favoured instead: the latest change
 * published for a bar strictly before the query time, so an opinion never
 * depends on whether the change of its own bar arrived first.
 *
 * signal = the chosen strategy's current position; confidence = tanh(t/2) of
 * its adjusted score, 0 (neutral) when no strategy scores above zero.
 *
 * State: one `StrategyStream` (strategies.ts) per series, fed the bars it has
 * not seen when the agent opines (a `BarCursor` on the store), keeping the
 * last `evalBars` + 1 positions of each strategy; scoring them and reading the
 * regime cost O(evalBars). The strategies run from the first bar held: the
 * EMAs are seeded there and a breakout position carries over from before the
 * scoring window (they used to start afresh at the window, 40 bars ahead of
 * it). A revised series restarts the stream from the store; a query into the
 * past runs a stream over the bars up to then.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarCursor, BarStore, closeTime } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { DomainError } from '../../../lib/errors';
import type { OpinionQuery } from '../../../types/agents';
import type { RegimeChange } from '../../../types/events';
import type { Candle, Timeframe } from '../../../types/market';
import { scoreRing, STRATEGIES, StrategyName, StrategyStream } from './strategies';

export interface StrategyFormulationParams {
  evalBars: number;
  fast: number;
  slow: number;
  meanWindow: number;
  channel: number;
  regimeBonus: number;
}

export const STRATEGY_PARAMS: ParamSchema<StrategyFormulationParams> = {
  evalBars: { type: 'number', min: 20, max: 2000, integer: true, doc: 'bars each strategy is scored on' },
  fast: { type: 'number', min: 2, max: 200, integer: true, doc: 'fast EMA of trend-following' },
  slow: { type: 'number', min: 3, max: 500, integer: true, doc: 'slow EMA of trend-following' },
  meanWindow: { type: 'number', min: 5, max: 500, integer: true, doc: 'window of mean-reversion' },
  channel: { type: 'number', min: 5, max: 500, integer: true, doc: 'channel length of breakout' },
  regimeBonus: { type: 'number', min: 0, max: 5, doc: 't-statistic added to the strategies the regime favours' },
};

export type Regime = 'trending' | 'ranging' | 'volatile';

export interface RegimeReading {
  regime: Regime;
  efficiency: number;
  randomWalkEfficiency: number;
  volRatio: number;
}

/** Regime of the last `n` bars (see the file comment). */
export function readRegime(bars: readonly Candle[], n: number): RegimeReading {
  const end = bars.length;
  const from = Math.max(1, end - n);
  const len = end - from;
  let path = 0;
  let sum = 0;
  for (let i = from; i < end; i++) {
    const x = bars[i].c - bars[i - 1].c;
    path += Math.abs(x);
    sum += x;
  }
  const net = Math.abs(bars[end - 1].c - bars[from - 1].c);
  const efficiency = path > 0 ? net / path : 0;
  const randomWalkEfficiency = Math.sqrt(2 / (Math.PI * Math.max(1, len)));
  // σ of the moves from `start` on (sample, n−1 floored at 1).
  const sd = (start: number, total: number) => {
    const k = end - start;
    const m = total / k;
    let v = 0;
    for (let i = start; i < end; i++) v += (bars[i].c - bars[i - 1].c - m) ** 2;
    return Math.sqrt(v / Math.max(1, k - 1));
  };
  const whole = sd(from, sum);
  let volRatio = 1;
  if (whole > 0) {
    const start = Math.max(from, end - 20);
    let recent = 0;
    for (let i = start; i < end; i++) recent += bars[i].c - bars[i - 1].c;
    volRatio = sd(start, recent) / whole;
  }
  const regime: Regime = volRatio >= 1.5 ? 'volatile' : efficiency >= 2 * randomWalkEfficiency ? 'trending' : 'ranging';
  return { regime, efficiency, randomWalkEfficiency, volRatio };
}

/** The strategies run over one series, fed the bars they have not seen when read. */
interface StreamTrack {
  cursor: BarCursor;
  stream: StrategyStream;
}

/** Feature names of the strategies' scores (t_breakout …), built once. */
const FEATURE_KEYS = STRATEGIES.map((s) => `t_${s}`);

const FAVOURED: Record<Regime, StrategyName[]> = { trending: ['trend-following', 'breakout'], ranging: ['mean-reversion'], volatile: ['breakout'] };

export class StrategyFormulationAgent implements Agent {
  readonly id = 'strategy-formulation';
  readonly group = 'decision' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed', 'regime.changed'] as const;
  private readonly bars = new BarStore(1500);
  /** Regime changes published by `adaptation`, per series, oldest first (the last 64). */
  private readonly regimes = new Map<string, RegimeChange[]>();
  private params: StrategyFormulationParams;
  private readonly tracks = new Map<string, StreamTrack>();

  constructor(params: Partial<StrategyFormulationParams> = {}) {
    this.params = applyParams(STRATEGY_PARAMS, { evalBars: 120, fast: 10, slow: 40, meanWindow: 20, channel: 20, regimeBonus: 1 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.bars.add(e.candle);
    else if (e.type === 'regime.changed') {
      const k = e.change.symbol + '|' + e.change.tf;
      const list = this.regimes.get(k) ?? [];
      if (list.some((c) => c.time === e.change.time)) return;
      list.push(e.change);
      list.sort((a, b) => a.time - b.time);
      if (list.length > 64) list.shift();
      this.regimes.set(k, list);
    }
  }

  /** The adaptation agent's regime in force strictly before `asOf`. */
  private publishedRegime(symbol: string, tf: string, asOf: number): RegimeChange | null {
    const list = this.regimes.get(symbol + '|' + tf);
    if (!list) return null;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].time < asOf) return list[i];
    return null;
  }

  /**
   * The strategies over `symbol`'s bars as of `asOf`: its stream, fed the bars
   * it has not seen (restarted from the store when the series was revised);
   * for a query into the past, a stream run over the bars up to then.
   */
  private streamOf(symbol: string, tf: Timeframe, all: readonly Candle[], asOf: number | undefined): StrategyStream {
    const p = this.params;
    const key = symbol + '|' + tf;
    let tr = this.tracks.get(key);
    if (!tr) {
      if (this.tracks.size >= 256) this.tracks.delete(this.tracks.keys().next().value as string);
      tr = { cursor: new BarCursor(this.bars, symbol, tf), stream: new StrategyStream(p, p.evalBars + 1) };
      this.tracks.set(key, tr);
    }
    const st = tr.cursor.advance(asOf);
    if (st === null) {
      const past = new StrategyStream(p, p.evalBars + 1);
      for (const b of all) past.push(b);
      return past;
    }
    if (st.restart) tr.stream = new StrategyStream(p, p.evalBars + 1);
    for (let i = st.from; i < st.to; i++) tr.stream.push(st.bars[i]);
    return tr.stream;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const p = this.params;
    const all = this.bars.get(q.symbol, q.tf, q.asOf);
    const asOf = q.asOf ?? (all.length > 0 ? closeTime(all[all.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const need = p.evalBars + Math.max(p.slow, p.meanWindow, p.channel) + 1;
    if (all.length < need) return neutralDraft(head, `${q.symbol} ${q.tf}: ${all.length} bars, ${need} needed to score the strategies.`);
    const stream = this.streamOf(q.symbol, q.tf, all, q.asOf);
    const own = readRegime(all, p.evalBars);
    const published = this.publishedRegime(q.symbol, q.tf, asOf);
    const reg: RegimeReading = published ? { regime: published.regime, efficiency: own.efficiency, randomWalkEfficiency: own.randomWalkEfficiency, volRatio: own.volRatio } : own;
    const favoured = FAVOURED[reg.regime];
    const features: Record<string, number> = { efficiency: reg.efficiency, volRatio: reg.volRatio, regimePublished: published ? 1 : 0 };
    // Score each strategy; the best adjusted score wins (the first on a tie).
    let best = 0;
    let bestAdjusted = -Infinity;
    let table = '';
    for (let k = 0; k < STRATEGIES.length; k++) {
      const name = STRATEGIES[k];
      const t = scoreRing(all, stream.pos[k], p.evalBars).t;
      const fav = favoured.includes(name);
      const adjusted = t + (fav ? p.regimeBonus : 0);
      if (adjusted > bestAdjusted) {
        best = k;
        bestAdjusted = adjusted;
      }
      features[FEATURE_KEYS[k]] = t;
      table += (k > 0 ? ', ' : '') + `${name} t=${fmt(t, 2)}${fav ? ` (+${p.regimeBonus} regime)` : ''}`;
    }
    const regimeText = published
      ? `regime ${reg.regime} (adaptation's HMM, p ${fmt(published.p[published.regime], 2)}, since ${new Date(published.time).toISOString().slice(0, 16)}Z; efficiency ${fmt(reg.efficiency, 2)} vs ${fmt(reg.randomWalkEfficiency, 2)} random walk, volatility ratio ${fmt(reg.volRatio, 2)})`
      : `regime ${reg.regime} (efficiency ${fmt(reg.efficiency, 2)} vs ${fmt(reg.randomWalkEfficiency, 2)} random walk, volatility ratio ${fmt(reg.volRatio, 2)})`;
    if (bestAdjusted <= 0) {
      const d = neutralDraft(head, `${q.symbol} ${q.tf}: ${regimeText}; over the last ${p.evalBars} bars ${table}: no strategy earns its keep, standing aside.`, 0.1, 0.3);
      d.features = features;
      return d;
    }
    const name = STRATEGIES[best];
    const signal = clamp(stream.pos[best].last(), -1, 1);
    const confidence = clamp(Math.tanh(bestAdjusted / 2), 0, 1);
    const dir = signal > 0 ? 'long' : signal < 0 ? 'short' : 'flat';
    features.chosen = best;
    const rationale = `${q.symbol} ${q.tf}: ${regimeText}; over the last ${p.evalBars} bars ${table}; following ${name}: ${stream.why(name)} → ${dir}.`;
    return opinionDraft(head, signal, toProbabilities(signal, confidence), confidence, rationale, features);
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    const next = applyParams(STRATEGY_PARAMS, this.params, patch);
    if (next.fast >= next.slow) throw new DomainError('BAD_CONFIG', 'fast must be below slow', 422, { fast: next.fast, slow: next.slow });
    this.params = next;
    this.tracks.clear();
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { bars: this.bars.describe(), tracks: this.tracks.size, publishedRegimes: Object.fromEntries([...this.regimes].map(([k, l]) => [k.replace('|', ' '), l[l.length - 1].regime])) };
  }
}
