/**
 * risk-assessment (decision, tenant-scoped): how much risk the would-be
 * position adds for this tenant; never a direction (signal 0). It leans to
 * hold as risk approaches the tenant's limits and vetoes beyond them.
 *
 * - Realised volatility σ of log returns (`window` bars) and ATR(14) (Wilder,
 *   TA-Lib) run from the first bar held.
 * - VaR/ES (historical, `level`, over `horizonBars`) of the exposure the tenant
 *   would hold: its current exposure on the symbol plus `positionFraction` of
 *   equity, as a fraction of equity.
 * - Drawdown of the tenant's equity from its peak (from `positions.updated`).
 * - Event risk: a high-importance release for the symbol's currencies within
 *   `eventWindowMin`.
 *
 * Each reason gives a score in [0,1]: VaR and drawdown start counting at half
 * their limit and reach 1 at it; the event score grows as the release nears.
 * risk = 1 − Π(1 − scoreᵢ); the opinion holds with bias = risk and confidence =
 * risk. Veto: VaR above its limit, drawdown above its limit, or a release
 * within `vetoEventMin`.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { BarCursor, BarStore, closeTime } from '../../../lib/agents/bars';
import { Atr } from '../../../lib/indicators';
import { CalendarBook } from '../../../lib/agents/calendar-book';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { RollingWindow } from '../../../lib/agents/rolling';
import { logReturns, stdev } from '../../../lib/agents/stats';
import { symbolAssets } from '../../../lib/agents/symbols';
import { historicalTailRisk, TailRisk } from '../../../lib/agents/tail-risk';
import type { OpinionQuery } from '../../../types/agents';
import type { PortfolioSnapshot } from '../../../types/events';
import { Candle, TF_MS, Timeframe } from '../../../types/market';

export interface RiskParams {
  window: number;
  horizonBars: number;
  level: number;
  positionFraction: number;
  maxVarPct: number;
  maxDrawdownPct: number;
  eventWindowMin: number;
  vetoEventMin: number;
}

export const RISK_PARAMS: ParamSchema<RiskParams> = {
  window: { type: 'number', min: 30, max: 5000, integer: true, doc: 'bars of returns for volatility and VaR' },
  horizonBars: { type: 'number', min: 1, max: 1000, integer: true, doc: 'holding horizon of the VaR, bars' },
  level: { type: 'number', min: 0.9, max: 0.999, doc: 'VaR confidence level' },
  positionFraction: { type: 'number', min: 0, max: 100, doc: 'would-be position notional as a multiple of equity' },
  maxVarPct: { type: 'number', min: 0.0001, max: 1, doc: 'VaR limit as a fraction of equity' },
  maxDrawdownPct: { type: 'number', min: 0.001, max: 1, doc: 'drawdown limit as a fraction of peak equity' },
  eventWindowMin: { type: 'number', min: 0, max: 1440, doc: 'minutes around a high-importance release that count as event risk' },
  vetoEventMin: { type: 'number', min: 0, max: 1440, doc: 'minutes before a high-importance release that veto' },
};

const DEFAULTS: RiskParams = { window: 500, horizonBars: 20, level: 0.99, positionFraction: 1, maxVarPct: 0.02, maxDrawdownPct: 0.1, eventWindowMin: 30, vetoEventMin: 2 };

interface MarketRisk {
  sigma: number;
  close: number;
  atr: number;
  tail: TailRisk;
}

interface TenantBook {
  equity: number;
  peak: number;
  exposure: Map<string, number>;
}

/** Log returns and ATR(14) of one series, kept as its bars arrive (the last `capacity` returns). */
interface SeriesTrack {
  cursor: BarCursor;
  returns: RollingWindow;
  atr: Atr;
  /** ATR at the last bar folded (NaN while warming up). */
  atrValue: number;
  /** Close of the last bar folded (NaN before the first). */
  prev: number;
}

/** Scratch for the returns of one computation (single-threaded, used within one call). */
let retBuf = new Float64Array(1024);

export class RiskAssessmentAgent implements Agent {
  readonly id = 'risk-assessment';
  readonly group = 'decision' as const;
  readonly scope = 'tenant' as const;
  readonly events = ['candle.closed', 'positions.updated', 'calendar.published'] as const;
  private readonly bars = new BarStore(5000);
  private readonly calendar = new CalendarBook('high');
  private readonly tenants = new Map<string, TenantBook>();
  private readonly tenantParams = new Map<string, RiskParams>();
  private defaults: RiskParams;
  private readonly marketCache = new Map<string, MarketRisk>();
  private readonly tracks = new Map<string, SeriesTrack>();

  constructor(params: Partial<RiskParams> = {}) {
    this.defaults = applyParams(RISK_PARAMS, DEFAULTS, params);
  }

  private paramsOf(tenantId?: string): RiskParams {
    return (tenantId && this.tenantParams.get(tenantId)) || this.defaults;
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') this.bars.add(e.candle);
    else if (e.type === 'calendar.published') this.calendar.add(e.events);
    else if (e.type === 'positions.updated') this.book(e.snapshot);
  }

  private book(s: PortfolioSnapshot): void {
    const prev = this.tenants.get(s.tenantId);
    const exposure = new Map<string, number>();
    for (const p of s.positions) exposure.set(p.symbol, (exposure.get(p.symbol) ?? 0) + p.notional);
    this.tenants.set(s.tenantId, { equity: s.equity, peak: Math.max(prev?.peak ?? s.equity, s.peakEquity ?? s.equity, s.equity), exposure });
  }

  /**
   * The last `window` log returns of a series as of `asOf` (fewer when the
   * bars are fewer) and its ATR(14): from the series' track, fed the bars it
   * has not seen; for a query into the past, from the bars up to then.
   */
  private seriesState(symbol: string, tf: Timeframe, bars: readonly Candle[], asOf: number | undefined, window: number): { rets: Float64Array; atr: number } {
    const key = symbol + '|' + tf;
    let tr = this.tracks.get(key);
    if (!tr) {
      if (this.tracks.size >= 256) this.tracks.delete(this.tracks.keys().next().value as string);
      tr = { cursor: new BarCursor(this.bars, symbol, tf), returns: new RollingWindow(this.bars.capacity), atr: new Atr(14), atrValue: NaN, prev: NaN };
      this.tracks.set(key, tr);
    }
    const st = tr.cursor.advance(asOf);
    if (st === null) {
      const atr = new Atr(14);
      let a: number | null = null;
      for (const b of bars) a = atr.update(b);
      return { rets: logReturns(bars.slice(-window - 1).map((b) => b.c)), atr: a ?? NaN };
    }
    if (st.restart) {
      tr.returns.clear();
      tr.atr = new Atr(14);
      tr.atrValue = NaN;
      tr.prev = NaN;
    }
    for (let i = st.from; i < st.to; i++) {
      const b = st.bars[i];
      if (tr.prev === tr.prev) tr.returns.push(Math.log(b.c / tr.prev));
      tr.prev = b.c;
      tr.atrValue = tr.atr.update(b) ?? NaN;
    }
    const k = Math.max(0, Math.min(window, bars.length - 1, tr.returns.length));
    if (retBuf.length < k) retBuf = new Float64Array(k);
    tr.returns.copyTo(retBuf, k);
    return { rets: retBuf.subarray(0, k), atr: tr.atrValue };
  }

  /** The tenant-independent part (volatility, ATR, VaR per unit of exposure), computed once per bar and parameter set. */
  private marketRisk(symbol: string, tf: Timeframe, bars: readonly Candle[], asOf: number | undefined, p: RiskParams): MarketRisk {
    const last = bars[bars.length - 1];
    const key = `${symbol}|${tf}|${last.t}|${bars.length}|${this.bars.revision(symbol, tf)}|${p.window}|${p.horizonBars}|${p.level}`;
    let m = this.marketCache.get(key);
    if (m) return m;
    const { rets, atr } = this.seriesState(symbol, tf, bars, asOf, p.window);
    m = { sigma: stdev(rets), close: last.c, atr, tail: historicalTailRisk(rets, p.horizonBars, p.level) };
    if (this.marketCache.size >= 256) this.marketCache.delete(this.marketCache.keys().next().value as string);
    this.marketCache.set(key, m);
    return m;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const p = this.paramsOf(q.tenantId);
    const bars = this.bars.get(q.symbol, q.tf, q.asOf);
    const asOf = q.asOf ?? (bars.length > 0 ? closeTime(bars[bars.length - 1]) : 0);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    if (bars.length < 30) return neutralDraft(head, `${q.symbol} ${q.tf}: ${bars.length} bars, too few to measure risk; not standing in the way.`);

    const { sigma, close, atr, tail } = this.marketRisk(q.symbol, q.tf, bars, q.asOf, p);

    const book = q.tenantId ? this.tenants.get(q.tenantId) : undefined;
    const existing = book && book.equity > 0 ? Math.abs(book.exposure.get(q.symbol) ?? 0) / book.equity : 0;
    const exposure = existing + p.positionFraction;
    const varPct = tail.var * exposure;
    const esPct = tail.es * exposure;
    const varRatio = varPct / p.maxVarPct;
    const dd = book && book.peak > 0 ? Math.max(0, 1 - book.equity / book.peak) : 0;
    const ddRatio = dd / p.maxDrawdownPct;
    const { base, quote } = symbolAssets(q.symbol);
    const ev = this.calendar.nearest(quote ? [base, quote] : [base], asOf, p.eventWindowMin, p.eventWindowMin / 2);

    const varScore = clamp((varRatio - 0.5) / 0.5, 0, 1);
    const ddScore = clamp((ddRatio - 0.5) / 0.5, 0, 1);
    const evScore = ev ? clamp(1 - Math.abs(ev.minutes) / Math.max(p.eventWindowMin, 1e-9), 0, 1) : 0;
    const risk = 1 - (1 - varScore) * (1 - ddScore) * (1 - evScore);

    const vetoes: string[] = [];
    if (varRatio > 1) vetoes.push(`VaR ${fmt(p.level * 100, 3)}% over ${p.horizonBars} bars is ${fmt(varPct * 100, 3)}% of equity, above the ${fmt(p.maxVarPct * 100, 3)}% limit`);
    if (ddRatio > 1) vetoes.push(`drawdown ${fmt(dd * 100, 3)}% is beyond the ${fmt(p.maxDrawdownPct * 100, 3)}% limit`);
    if (ev && ev.minutes >= 0 && ev.minutes <= p.vetoEventMin) vetoes.push(`${ev.event.currency} ${ev.event.name} is due in ${fmt(ev.minutes, 2)} min`);

    const barsPerDay = TF_MS.D1 / TF_MS[q.tf];
    const parts = [
      `σ ${fmt(sigma * 100, 3)}% per bar (${fmt(sigma * Math.sqrt(barsPerDay) * 100, 3)}% daily)`,
      `ATR(14) ${fmt((atr / close) * 100, 3)}% of price`,
      `VaR ${fmt(p.level * 100, 3)}% over ${p.horizonBars} bars ${fmt(tail.var * 100, 3)}% of price${tail.scaled ? ' (1-bar × √h)' : ''}, ES ${fmt(tail.es * 100, 3)}%`,
      `at ${fmt(exposure, 3)}× equity that is ${fmt(varPct * 100, 3)}% of equity (limit ${fmt(p.maxVarPct * 100, 3)}%)`,
      book ? `drawdown ${fmt(dd * 100, 3)}% (limit ${fmt(p.maxDrawdownPct * 100, 3)}%)` : 'no account snapshot yet',
      ev ? `${ev.event.currency} ${ev.event.name} ${ev.minutes >= 0 ? `in ${fmt(ev.minutes, 3)} min` : `${fmt(-ev.minutes, 3)} min ago`}` : `no high-importance release within ${p.eventWindowMin} min`,
    ];
    const verdict = vetoes.length > 0 ? 'Veto' : risk >= 0.5 ? 'Risk high: lean to hold' : risk > 0 ? 'Risk elevated' : 'Risk acceptable';
    const features: Record<string, number> = { sigma, atrPct: atr / close, varPct, esPct, exposure, drawdown: dd, risk };
    if (ev) features.minutesToEvent = ev.minutes;
    const draft = opinionDraft(head, 0, toProbabilities(0, risk, risk), risk, `${q.symbol} ${q.tf}: ${parts.join('; ')}. ${verdict}${vetoes.length ? ': ' + vetoes.join('; ') : ''}.`, features);
    if (vetoes.length > 0) draft.veto = { reason: vetoes.join('; ') };
    return draft;
  }

  configure(patch: Record<string, unknown>, tenantId?: string): Record<string, unknown> {
    if (!tenantId) {
      this.defaults = applyParams(RISK_PARAMS, this.defaults, patch);
      return { ...this.defaults };
    }
    const next = applyParams(RISK_PARAMS, this.paramsOf(tenantId), patch);
    this.tenantParams.set(tenantId, next);
    return { ...next };
  }

  config(tenantId?: string): Record<string, unknown> {
    return { ...this.paramsOf(tenantId) };
  }

  snapshot(): Record<string, unknown> {
    return { bars: this.bars.describe(), tracks: this.tracks.size, tenants: this.tenants.size, configuredTenants: this.tenantParams.size, events: this.calendar.size };
  }
}
