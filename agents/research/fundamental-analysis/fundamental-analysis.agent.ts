/**
 * fundamental-analysis (research, market-scoped): the economic calendar.
 *
 * - Surprise of a release = (actual − forecast) / scale, where scale is the RMS
 *   of past surprises of the same release (same currency and name, at least
 *   `minHistory` of them), else |forecast − previous|, else a unit surprise.
 *   Clipped to ±3. Releases where higher is worse for the currency
 *   (unemployment, jobless claims) count negated.
 * - A currency's impact = Σ surprise · importance weight (high 1, medium 0.5,
 *   low 0.2) · 0.5^(age / halfLife) over released entries.
 * - Rate differential: the latest policy-rate decision of each currency
 *   (names with "rate decision", "refinancing rate", "bank rate", "funds rate",
 *   "cash rate", "interest rate"); carry = tanh(rate(base) − rate(quote)).
 * - Event window: a high-importance release for either currency within
 *   `windowMin` ahead cuts confidence in proportion and leans to hold (the
 *   number is unknown and the spread will widen).
 *
 * signal = (1 − carryWeight)·tanh(impact(base) − impact(quote)) + carryWeight·carry.
 * confidence = (1 − e^(−Σ weights used)) · window factor.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { decay } from '../../../lib/agents/stats';
import type { OpinionQuery } from '../../../types/agents';
import type { CalendarEvent, Importance } from '../../../types/events';
import { symbolAssets } from '../../../lib/agents/symbols';

export interface FundamentalParams {
  halfLifeHours: number;
  windowMin: number;
  carryWeight: number;
  minHistory: number;
}

export const FUNDAMENTAL_PARAMS: ParamSchema<FundamentalParams> = {
  halfLifeHours: { type: 'number', min: 0.1, max: 24 * 90, doc: 'half-life of a release surprise, hours' },
  windowMin: { type: 'number', min: 0, max: 24 * 60, doc: 'minutes before a high-importance release when the agent steps back' },
  carryWeight: { type: 'number', min: 0, max: 1, doc: 'share of the signal from the rate differential' },
  minHistory: { type: 'number', min: 1, max: 100, integer: true, doc: 'past surprises needed to scale by their RMS' },
};

export const IMPORTANCE_WEIGHT: Record<Importance, number> = { high: 1, medium: 0.5, low: 0.2 };
const INVERSE = /unemploy|jobless|claims|layoff/i;
const POLICY_RATE = /rate decision|refinancing rate|bank rate|funds rate|cash rate|interest rate|policy rate|deposit rate/i;

export interface Surprise {
  event: CalendarEvent;
  z: number;
  scale: string;
}

export class FundamentalAnalysisAgent implements Agent {
  readonly id = 'fundamental-analysis';
  readonly group = 'research' as const;
  readonly scope = 'market' as const;
  readonly events = ['calendar.published'] as const;
  /** Entries by currency, time-ordered; an id appears once (the latest version). */
  private readonly byCurrency = new Map<string, CalendarEvent[]>();
  private readonly ids = new Map<string, CalendarEvent>();
  /** Standardised surprise per entry id, recomputed for a release whenever one of its entries changes. */
  private readonly surprises = new Map<string, Surprise | null>();
  private params: FundamentalParams;
  private latestRelease = 0;

  constructor(params: Partial<FundamentalParams> = {}) {
    this.params = applyParams(FUNDAMENTAL_PARAMS, { halfLifeHours: 24, windowMin: 30, carryWeight: 0.25, minHistory: 3 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type !== 'calendar.published') return;
    const touched = new Set<string>();
    for (const ev of e.events) {
      touched.add(ev.currency + '|' + ev.name);
      if (ev.actual != null && ev.time > this.latestRelease) this.latestRelease = ev.time;
      const prev = this.ids.get(ev.id);
      if (prev) {
        const list = this.byCurrency.get(prev.currency)!;
        list.splice(list.indexOf(prev), 1);
      }
      this.ids.set(ev.id, ev);
      let list = this.byCurrency.get(ev.currency);
      if (!list) this.byCurrency.set(ev.currency, (list = []));
      let i = list.length;
      while (i > 0 && list[i - 1].time > ev.time) i--;
      list.splice(i, 0, ev);
    }
    for (const k of touched) {
      const [currency, name] = k.split('|');
      let ss = 0;
      let n = 0;
      for (const ev of this.byCurrency.get(currency) ?? []) {
        if (ev.name !== name) continue;
        this.surprises.set(ev.id, this.surpriseGiven(ev, ss, n));
        if (ev.actual != null && ev.forecast != null) {
          ss += (ev.actual - ev.forecast) ** 2;
          n++;
        }
      }
    }
  }

  /** Standardised surprise of a released entry (null before release). */
  surprise(ev: CalendarEvent): Surprise | null {
    return this.surprises.get(ev.id) ?? null;
  }

  /** Surprise given the sum of squares `ss` of the `n` earlier surprises of the same release. */
  private surpriseGiven(ev: CalendarEvent, ss: number, n: number): Surprise | null {
    if (ev.actual == null || ev.forecast == null) return null;
    const raw = ev.actual - ev.forecast;
    let scale: number;
    let how: string;
    if (n >= this.params.minHistory && ss > 0) {
      scale = Math.sqrt(ss / n);
      how = `RMS of ${n} past surprises`;
    } else if (ev.previous != null && ev.previous !== ev.forecast) {
      scale = Math.abs(ev.forecast - ev.previous);
      how = 'forecast − previous';
    } else {
      scale = raw === 0 ? 1 : Math.abs(raw);
      how = 'no history: unit surprise';
    }
    const z = clamp(raw / scale, -3, 3) * (INVERSE.test(ev.name) ? -1 : 1);
    return { event: ev, z, scale: how };
  }

  private impact(currency: string, asOf: number): { value: number; weight: number; top: Surprise[] } {
    const halfLife = this.params.halfLifeHours * 3_600_000;
    let value = 0;
    let weight = 0;
    const used: { s: Surprise; w: number }[] = [];
    const list = this.byCurrency.get(currency) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const ev = list[i];
      if (ev.time > asOf) continue;
      const d = decay(asOf - ev.time, halfLife);
      if (d < 1e-4) break;
      const s = this.surprise(ev);
      if (!s) continue;
      const w = IMPORTANCE_WEIGHT[ev.importance] * d;
      value += s.z * w;
      weight += w;
      used.push({ s, w });
    }
    used.sort((a, b) => Math.abs(b.s.z) * b.w - Math.abs(a.s.z) * a.w);
    return { value, weight, top: used.slice(0, 2).map((u) => u.s) };
  }

  private policyRate(currency: string, asOf: number): CalendarEvent | null {
    const list = this.byCurrency.get(currency) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i].time <= asOf && list[i].actual != null && POLICY_RATE.test(list[i].name)) return list[i];
    return null;
  }

  private nextHighImpact(currencies: string[], asOf: number): CalendarEvent | null {
    let best: CalendarEvent | null = null;
    for (const c of currencies)
      for (const ev of this.byCurrency.get(c) ?? [])
        if (ev.time > asOf && ev.importance === 'high') {
          if (!best || ev.time < best.time) best = ev;
          break;
        }
    return best;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const asOf = q.asOf ?? this.latestRelease;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const { base, quote } = symbolAssets(q.symbol);
    const ccys = quote ? [base, quote] : [base];
    if (!ccys.some((c) => this.byCurrency.has(c))) return neutralDraft(head, `No calendar entries for ${ccys.join(' or ')}.`);

    const ib = this.impact(base, asOf);
    const iq = quote ? this.impact(quote, asOf) : { value: 0, weight: 0, top: [] };
    const rb = this.policyRate(base, asOf);
    const rq = quote ? this.policyRate(quote, asOf) : null;
    const diff = rb && rq ? rb.actual! - rq.actual! : null;
    const carry = diff !== null ? Math.tanh(diff) : 0;
    const cw = diff !== null ? this.params.carryWeight : 0;
    const surprisePart = Math.tanh(ib.value - iq.value);
    const signal = clamp((1 - cw) * surprisePart + cw * carry, -1, 1);

    const next = this.nextHighImpact(ccys, asOf);
    const minutes = next ? (next.time - asOf) / 60_000 : Infinity;
    const inWindow = this.params.windowMin > 0 && minutes <= this.params.windowMin;
    const windowFactor = inWindow ? minutes / this.params.windowMin : 1;
    const evidence = ib.weight + iq.weight + (diff !== null ? 0.5 : 0);
    const confidence = clamp((1 - Math.exp(-evidence)) * windowFactor, 0, 1);
    const holdBias = inWindow ? 1 - windowFactor : 0;

    const describe = (s: Surprise) => {
      const e = s.event;
      return `${e.currency} ${e.name} ${fmt(e.actual!, 4)}${e.unit === '%' ? '%' : ''} vs ${fmt(e.forecast!, 4)} forecast (${s.z >= 0 ? '+' : ''}${fmt(s.z, 2)}σ${INVERSE.test(e.name) ? ', lower is better' : ''}; ${s.scale})`;
    };
    const parts: string[] = [];
    const tops = [...ib.top, ...iq.top];
    parts.push(tops.length > 0 ? `surprises: ${tops.map(describe).join('; ')}` : 'no released surprises in memory');
    if (diff !== null) parts.push(`policy rates ${base} ${fmt(rb!.actual!, 4)}% vs ${quote} ${fmt(rq!.actual!, 4)}% (differential ${diff >= 0 ? '+' : ''}${fmt(diff, 3)} pp)`);
    if (next && Number.isFinite(minutes)) parts.push(`next high-importance release: ${next.currency} ${next.name} in ${fmt(minutes, 3)} min${inWindow ? ' (inside the event window: stepping back)' : ''}`);
    const rationale = `${q.symbol}: ${parts.join('; ')}.`;
    const features: Record<string, number> = { impactBase: ib.value, impactQuote: iq.value, carry, windowFactor };
    if (diff !== null) features.rateDifferential = diff;
    if (Number.isFinite(minutes)) features.minutesToEvent = minutes;
    return opinionDraft(head, signal, toProbabilities(signal, confidence, holdBias), confidence, rationale, features);
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(FUNDAMENTAL_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { entries: this.ids.size, currencies: [...this.byCurrency.keys()] };
  }
}
