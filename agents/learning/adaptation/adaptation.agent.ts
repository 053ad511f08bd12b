/**
 * adaptation (learning, market-scoped): which regime the market is in —
 * trending, ranging or volatile, with probabilities — and what that implies.
 *
 * A 3-state Gaussian HMM (lib/learning/regime.ts) over efficiency, relative
 * volatility and trend size of the last `window` bars is fitted on the last
 * `fitBars` bars of each (symbol, tf) and refitted every `refitBars` new bars;
 * the regime probabilities at a bar are the forward-filtered state
 * probabilities over the `filterBars` bars up to it, under the newest model
 * fitted on data earlier than that bar (so a query never sees the future).
 * On the update path a new bar costs one feature row and one forward step. A
 * (re)fit is warm-started from the previous model (a few EM steps) and is
 * maintenance (`maintain`): queued at the bar that makes it due, done once that
 * bar's opinion is given (or at the start of the next `update`), and used from
 * the next bar on — the same readings whenever it runs, off the decision's path.
 *
 * Opinion: in a trend, lean with it (signal = direction × min(1, ER/0.4)); in a
 * range, lean against the stretch from the mean (signal = −z/2, z = distance of
 * the close from its `window`-bar mean in σ of price); the two are weighted by
 * their probabilities. Volatility makes it stand aside: hold bias = 0.6·P(volatile).
 * confidence = P(top regime) × min(1, 2|signal|) × (1 − 0.5·P(volatile)).
 *
 * Publishes `regime.changed` when the top regime of a series changes (and at
 * its first reading), which `strategy-formulation` reads.
 */
import type { Agent, AgentEvent, AgentFact, OpinionDraft } from '../../../lib/agents/agent';
import { BarStore, closeTime } from '../../../lib/agents/bars';
import { clamp, fmt, neutralDraft, pct, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { featureRow, featuresAt, fitRegimeModel, regimeProbabilities, RegimeFeatures, RegimeModel, stepRegime, topRegime } from '../../../lib/learning/regime';
import { DomainError } from '../../../lib/errors';
import type { OpinionQuery } from '../../../types/agents';
import { REGIME_LABELS, RegimeChange, RegimeLabel } from '../../../types/events';
import type { Candle, Timeframe } from '../../../types/market';

export interface AdaptationParams {
  window: number;
  volWindow: number;
  fitBars: number;
  minFitBars: number;
  refitBars: number;
  filterBars: number;
}

export const ADAPTATION_PARAMS: ParamSchema<AdaptationParams> = {
  window: { type: 'number', min: 5, max: 200, integer: true, doc: 'bars of the efficiency, volatility and trend-size window' },
  volWindow: { type: 'number', min: 20, max: 2000, integer: true, doc: 'bars of the long volatility the short one is compared with' },
  fitBars: { type: 'number', min: 60, max: 5000, integer: true, doc: 'feature rows the HMM is fitted on' },
  minFitBars: { type: 'number', min: 30, max: 5000, integer: true, doc: 'feature rows needed before a first fit' },
  refitBars: { type: 'number', min: 1, max: 5000, integer: true, doc: 'new bars between refits' },
  filterBars: { type: 'number', min: 10, max: 5000, integer: true, doc: 'bars the forward filter runs over for one reading' },
};

const DEFAULTS: AdaptationParams = { window: 30, volWindow: 100, fitBars: 400, minFitBars: 120, refitBars: 100, filterBars: 120 };

/** One regime reading of a series at a bar. */
export interface RegimeReading {
  /** Close time of the bar (data time). */
  time: number;
  regime: RegimeLabel;
  p: Record<RegimeLabel, number>;
  features: RegimeFeatures;
  /** Distance of the close from its window mean, in σ of the window's closes. */
  z: number;
  direction: number;
  /** Rows the model in use was fitted on, and up to which data time. */
  fittedOn: number;
  fittedThrough: number;
}

interface Row {
  /** Close time of the bar. */
  time: number;
  f: RegimeFeatures;
  x: [number, number];
  z: number;
}

interface Series {
  /** Feature rows of the newest bars (enough for a fit), oldest first. */
  rows: Row[];
  /** Bars older than the newest were inserted (warm-up): rebuild the rows at the next new bar. */
  stale: boolean;
  /** Fitted models, oldest first, each with the close time of the last bar it saw. */
  models: { through: number; model: RegimeModel }[];
  newSinceFit: number;
  /** A fit made due by the bar `through` (its rows), not yet done. */
  due: { through: number; rows: Row[] } | null;
  /** Filtered state probabilities at the last row under the newest model. */
  state: Float64Array | null;
  last: RegimeLabel | null;
  cache: Map<number, RegimeReading | null>;
}

const key = (symbol: string, tf: Timeframe) => symbol + '|' + tf;

export class AdaptationAgent implements Agent {
  readonly id = 'adaptation';
  readonly group = 'learning' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed'] as const;
  private readonly bars = new BarStore(1200);
  private readonly series = new Map<string, Series>();
  private facts: AgentFact[] = [];
  private params: AdaptationParams;

  constructor(params: Partial<AdaptationParams> = {}) {
    this.params = AdaptationAgent.check(applyParams(ADAPTATION_PARAMS, DEFAULTS, params));
  }

  private static check(p: AdaptationParams): AdaptationParams {
    if (p.volWindow < p.window) throw new DomainError('BAD_CONFIG', 'volWindow must be at least window', 422, { window: p.window, volWindow: p.volWindow });
    if (p.minFitBars > p.fitBars) throw new DomainError('BAD_CONFIG', 'minFitBars must not exceed fitBars', 422, { minFitBars: p.minFitBars, fitBars: p.fitBars });
    return p;
  }

  private seriesOf(symbol: string, tf: Timeframe): Series {
    const k = key(symbol, tf);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { rows: [], stale: false, models: [], newSinceFit: 0, due: null, state: null, last: null, cache: new Map() }));
    return s;
  }

  private rowAt(bars: readonly Candle[], i: number): Row | null {
    const p = this.params;
    const f = featuresAt(bars, i, p);
    if (!f) return null;
    let m = 0;
    for (let j = i - p.window + 1; j <= i; j++) m += bars[j].c;
    m /= p.window;
    let v = 0;
    for (let j = i - p.window + 1; j <= i; j++) v += (bars[j].c - m) ** 2;
    const sdev = Math.sqrt(v / Math.max(1, p.window - 1));
    return { time: closeTime(bars[i]), f, x: featureRow(f), z: sdev > 0 ? (bars[i].c - m) / sdev : 0 };
  }

  update(e: AgentEvent): void {
    if (e.type !== 'candle.closed') return;
    const c = e.candle;
    const latest = this.bars.latest(c.symbol, c.tf);
    // the same bar again (the event and the candle passed with a query): nothing changes
    if (latest && latest.t === c.t && latest.c === c.c) return;
    const s = this.seriesOf(c.symbol, c.tf);
    this.fitDue(s);
    const isNew = this.bars.add(c);
    if (!isNew) {
      s.stale = true; // a bar replaced with another close: its features changed
      return;
    }
    if (latest && c.t < latest.t) {
      s.stale = true; // an older (warm-up) bar
      return;
    }
    const p = this.params;
    const bars = this.bars.get(c.symbol, c.tf);
    const keep = p.fitBars + 1;
    if (s.stale) {
      s.rows = [];
      for (let i = Math.max(0, bars.length - keep); i < bars.length; i++) {
        const r = this.rowAt(bars, i);
        if (r) s.rows.push(r);
      }
      s.stale = false;
      s.state = null;
      s.cache.clear();
    } else {
      const r = this.rowAt(bars, bars.length - 1);
      if (r) s.rows.push(r);
      if (s.rows.length > keep * 1.5) s.rows.splice(0, s.rows.length - keep);
    }
    s.newSinceFit++;
    const row = s.rows[s.rows.length - 1];
    if (!row || row.time !== closeTime(c)) return;
    const m = s.models[s.models.length - 1];
    if (m) {
      // the filtered state at this row: one forward step, or a re-run over the last filterBars rows (a stale series)
      let step: { state: Float64Array; p: Record<RegimeLabel, number> };
      if (s.state) step = stepRegime(m.model, s.state, row.x);
      else step = this.filterOver(m.model, s.rows);
      s.state = step.state;
      const reading = this.toReading(row, step.p, m);
      s.cache.set(row.time, reading);
      if (s.cache.size > 256) s.cache.delete(s.cache.keys().next().value as number);
      if (reading.regime !== s.last) {
        const change: RegimeChange = { symbol: c.symbol, tf: c.tf, time: row.time, regime: reading.regime, previous: s.last, p: reading.p, direction: reading.direction };
        this.facts.push({ event: 'regime.changed', payload: change });
        s.last = reading.regime;
      }
    }
    // A (re)fit due at this bar is maintenance: done after this bar's opinion, used from the next bar.
    if ((s.models.length === 0 || s.newSinceFit >= p.refitBars) && s.rows.length >= p.minFitBars && !s.due) {
      s.due = { through: row.time, rows: s.rows.slice(-p.fitBars) };
      s.newSinceFit = 0;
    }
  }

  /** The filtered state at the last of `rows`, run over its last `filterBars` rows. */
  private filterOver(model: RegimeModel, rows: readonly Row[]): { state: Float64Array; p: Record<RegimeLabel, number> } {
    let st: Float64Array | null = null;
    let step: { state: Float64Array; p: Record<RegimeLabel, number> } = { state: new Float64Array(3), p: { trending: 0, ranging: 0, volatile: 0 } };
    for (const r of rows.slice(-this.params.filterBars)) {
      step = stepRegime(model, st, r.x);
      st = step.state;
    }
    return step;
  }

  /** Do the fit a series has due: the model through its bar, and the filtered state there under it. */
  private fitDue(s: Series): void {
    const due = s.due;
    if (!due) return;
    s.due = null;
    const prev = s.models[s.models.length - 1]?.model;
    const model = fitRegimeModel(due.rows.map((r) => r.x), prev);
    s.models.push({ through: due.through, model });
    if (s.models.length > 4) s.models.shift();
    // Done before any later row was added: the series' last row is the fit's.
    s.state = s.rows[s.rows.length - 1]?.time === due.through ? this.filterOver(model, s.rows).state : null;
  }

  maintain(): void {
    for (const s of this.series.values()) this.fitDue(s);
  }

  maintenanceDue(): boolean {
    for (const s of this.series.values()) if (s.due) return true;
    return false;
  }

  private toReading(row: Row, p: Record<RegimeLabel, number>, m: { through: number; model: RegimeModel }): RegimeReading {
    return { time: row.time, regime: topRegime(p), p, features: row.f, z: row.z, direction: Math.sign(row.f.move), fittedOn: m.model.n, fittedThrough: m.through };
  }

  /** The reading at the last of `bars` (all closed by the query time): cached from `update`, else filtered afresh. */
  private readingOf(symbol: string, tf: Timeframe, bars: readonly Candle[]): RegimeReading | null {
    const p = this.params;
    if (bars.length === 0) return null;
    const s = this.seriesOf(symbol, tf);
    const time = closeTime(bars[bars.length - 1]);
    const hit = s.cache.get(time);
    if (hit !== undefined) return hit;
    const m = [...s.models].reverse().find((x) => x.through < time);
    let reading: RegimeReading | null = null;
    if (m) {
      const rows: Row[] = [];
      for (let i = Math.max(0, bars.length - p.filterBars); i < bars.length; i++) {
        const r = this.rowAt(bars, i);
        if (r) rows.push(r);
      }
      if (rows.length > 0) reading = this.toReading(rows[rows.length - 1], regimeProbabilities(m.model, rows.map((r) => r.x)), m);
    }
    s.cache.set(time, reading);
    if (s.cache.size > 256) s.cache.delete(s.cache.keys().next().value as number);
    return reading;
  }

  /** The regime reading of a series as of `asOf` (default: its latest bar); null before a model exists. */
  reading(symbol: string, tf: Timeframe, asOf?: number): RegimeReading | null {
    return this.readingOf(symbol, tf, this.bars.get(symbol, tf, asOf));
  }

  opine(q: OpinionQuery): OpinionDraft {
    const p = this.params;
    const bars = this.bars.get(q.symbol, q.tf, q.asOf);
    const asOf = q.asOf ?? (bars.length > 0 ? closeTime(bars[bars.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const r = this.readingOf(q.symbol, q.tf, bars);
    if (!r) return neutralDraft(head, `${q.symbol} ${q.tf}: ${bars.length} bars; the regime model needs ${p.minFitBars + p.volWindow} to fit.`);
    const trend = r.direction * Math.min(1, r.features.efficiency / 0.4);
    const revert = -clamp(r.z / 2, -1, 1);
    const signal = clamp(r.p.trending * trend + r.p.ranging * revert, -1, 1);
    const top = r.p[r.regime];
    const confidence = clamp(top * Math.min(1, 2 * Math.abs(signal)) * (1 - 0.5 * r.p.volatile), 0, 1);
    const probs = REGIME_LABELS.map((l) => `${l} ${r.p[l].toFixed(2)}`).join(', ');
    const what =
      r.regime === 'trending'
        ? `lean with the ${r.direction > 0 ? 'up' : r.direction < 0 ? 'down' : 'flat'}trend`
        : r.regime === 'ranging'
          ? `lean against the stretch (close ${fmt(r.z, 2)}σ from its ${p.window}-bar mean)`
          : 'stand aside while volatility is abnormal';
    const dir = signal > 0.05 ? 'long' : signal < -0.05 ? 'short' : 'flat';
    return {
      ...head,
      signal,
      p: toProbabilities(signal, confidence, 0.6 * r.p.volatile),
      confidence,
      features: {
        pTrending: r.p.trending,
        pRanging: r.p.ranging,
        pVolatile: r.p.volatile,
        regime: REGIME_LABELS.indexOf(r.regime),
        efficiency: r.features.efficiency,
        volRatio: r.features.volRatio,
        trendSize: r.features.trendSize,
        direction: r.direction,
      },
      rationale:
        `${q.symbol} ${q.tf}: regime ${r.regime} (${probs}) from a 3-state Gaussian HMM fitted on ${r.fittedOn} bars; ` +
        `over ${p.window} bars the move is ${pct(Math.expm1(r.features.move))} at efficiency ${fmt(r.features.efficiency, 2)}, volatility ${fmt(r.features.volRatio, 2)}× its ${p.volWindow}-bar norm: ${what} → ${dir}.`,
    };
  }

  drainFacts(): AgentFact[] {
    const f = this.facts;
    this.facts = [];
    return f;
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = AdaptationAgent.check(applyParams(ADAPTATION_PARAMS, this.params, patch));
    for (const s of this.series.values()) {
      s.models = [];
      s.due = null;
      s.cache.clear();
      s.newSinceFit = 0;
      s.state = null;
      s.stale = true;
    }
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    const regimes: Record<string, string | null> = {};
    for (const [k, s] of this.series) regimes[k.replace('|', ' ')] = s.last;
    return { bars: this.bars.describe(), regimes };
  }
}
