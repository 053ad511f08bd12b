/**
 * Opinion helpers shared by every agent and by the runtime's output check.
 */
import type { Action, AdvisoryNote, Probabilities } from '../../types/agents';
import type { OpinionDraft } from './agent';

/** Tolerance of the "probabilities sum to 1" check. */
export const PROB_SUM_TOLERANCE = 1e-9;

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Probabilities from a direction and how sure the agent is, plus an explicit
 * preference for standing aside.
 *
 * `d = signal·confidence` is the directional conviction. The mass not committed
 * to a direction, `1 − |d|`, is spread evenly (an agent with no view is uniform,
 * which Bayesian fusion treats as no evidence). `holdBias ∈ [0,1]` then moves
 * that share of the whole distribution onto `hold` ("wait", "too risky").
 */
export function toProbabilities(signal: number, confidence: number, holdBias = 0): Probabilities {
  const d = clamp(signal, -1, 1) * clamp(confidence, 0, 1);
  const rest = (1 - Math.abs(d)) / 3;
  const h = clamp(holdBias, 0, 1);
  const buy = (Math.max(d, 0) + rest) * (1 - h);
  const sell = (Math.max(-d, 0) + rest) * (1 - h);
  // hold takes the exact complement so the sum is 1 to the last bit.
  return { buy, hold: 1 - buy - sell, sell };
}

/** Probabilities closer than this are a tie (rounding of equal evidence). */
export const TIE_TOLERANCE = 1e-12;

/** The most probable action; a tie (within 1e-12) involving hold, or between buy and sell, is hold. */
export function argmaxAction(p: Probabilities): Action {
  const t = TIE_TOLERANCE;
  if (p.buy > p.hold + t && p.buy > p.sell + t) return 'buy';
  if (p.sell > p.hold + t && p.sell > p.buy + t) return 'sell';
  return 'hold';
}

/**
 * Checks the contract of an opinion (ARCHITECTURE §5). Returns the list of
 * violations, empty when valid: signal ∈ [-1,1], confidence ∈ [0,1], every
 * probability finite and in [0,1] and their sum within 1e-9 of 1, a rationale.
 */
export function checkOpinion(o: OpinionDraft): string[] {
  const bad: string[] = [];
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (!finite(o.signal) || o.signal < -1 || o.signal > 1) bad.push(`signal ${String(o.signal)} outside [-1, 1]`);
  if (!finite(o.confidence) || o.confidence < 0 || o.confidence > 1) bad.push(`confidence ${String(o.confidence)} outside [0, 1]`);
  const p = o.p as Partial<Probabilities> | undefined;
  if (!p || !finite(p.buy) || !finite(p.hold) || !finite(p.sell)) bad.push('p must hold finite buy, hold, sell');
  else {
    for (const k of ['buy', 'hold', 'sell'] as const) if (p[k]! < 0 || p[k]! > 1) bad.push(`p.${k} ${p[k]} outside [0, 1]`);
    const s = p.buy + p.hold + p.sell;
    if (Math.abs(s - 1) > PROB_SUM_TOLERANCE) bad.push(`probabilities sum to ${s}, not 1`);
  }
  if (!finite(o.asOf)) bad.push('asOf must be a time in ms');
  if (typeof o.rationale !== 'string' || o.rationale.length === 0) bad.push('rationale is empty');
  if (o.veto !== undefined && (typeof o.veto.reason !== 'string' || o.veto.reason.length === 0)) bad.push('a veto needs a reason');
  if (o.features) for (const k in o.features) if (!finite(o.features[k])) bad.push(`feature ${k} is not a finite number`);
  if (o.advisory !== undefined) {
    const levels = ['info', 'warn', 'critical'];
    if (!Array.isArray(o.advisory) || !o.advisory.every((n) => typeof n?.code === 'string' && n.code.length > 0 && levels.includes(n.level) && typeof n.message === 'string' && n.message.length > 0))
      bad.push('advisory must be a list of {code, level: info|warn|critical, message}');
    if (o.signal !== 0 || o.confidence !== 0) bad.push('an advisory opinion has no market view: signal and confidence must be 0');
    if (p && finite(p.buy) && finite(p.hold) && finite(p.sell) && [p.buy, p.hold, p.sell].some((x) => Math.abs(x - 1 / 3) > PROB_SUM_TOLERANCE))
      bad.push('an advisory opinion has no market view: p must be uniform');
  }
  return bad;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Round for rationales: `fmt(0.012345, 3)` → "0.0123" style significant
 * digits; exactly `Number(x.toPrecision(digits)).toString()`. Rationales
 * format a dozen numbers per opinion, so the common case (|x| in [1e-6, 1e21),
 * up to 15 digits) scales and rounds in floating point — exact when the
 * scaled value is not within 1e-9 of a rounding tie (one correctly rounded
 * operation by an exact power of ten) — and writes the digits itself; ties
 * and everything else go through `toPrecision`.
 */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-6 && ax < 1e21 && digits >= 1 && digits <= 15 && Number.isInteger(digits)) {
    let e = Math.floor(Math.log10(ax));
    for (let pass = 0; pass < 2; pass++) {
      const k = e - digits + 1; // the value is n·10^k with n of `digits` digits
      if (k > 22 || k < -22) break;
      const scaled = k >= 0 ? ax / POW10[k] : ax * POW10[-k];
      if (scaled < POW10[digits - 1]) {
        e--;
        continue;
      }
      if (scaled >= POW10[digits]) {
        e++;
        continue;
      }
      const fl = Math.floor(scaled);
      const frac = scaled - fl;
      if (frac > 0.5 - 1e-9 && frac < 0.5 + 1e-9) break;
      let n = frac > 0.5 ? fl + 1 : fl;
      let point = e + 1; // digits before the decimal point
      if (n === POW10[digits]) {
        n = POW10[digits - 1];
        point++;
      }
      if (point < -5 || point > 21) break;
      let s = String(n);
      let len = s.length;
      while (len > 1 && s.charCodeAt(len - 1) === 48) len--;
      if (len < s.length) s = s.slice(0, len);
      const out = point >= len ? s + '0'.repeat(point - len) : point > 0 ? s.slice(0, point) + '.' + s.slice(point) : '0.' + '0'.repeat(-point) + s;
      return x < 0 ? '-' + out : out;
    }
  }
  return Number(x.toPrecision(digits)).toString();
}

/** Signed percentage with a sign: `pct(0.0123)` → "+1.23%". */
export function pct(x: number, digits = 2): string {
  const s = (x * 100).toFixed(digits);
  return (x > 0 ? '+' : '') + s + '%';
}

/** Identity and query fields every draft opinion repeats. */
export interface DraftBase {
  agent: string;
  group: import('../../types/agents').AgentGroup;
  symbol: string;
  tf: import('../../types/market').Timeframe;
  asOf: number;
}

/**
 * An opinion draft: `base` with a view, built field by field in one fixed
 * shape. (Spreading `base` into a literal with more fields after it costs
 * microseconds per object in V8, the price of a whole opinion.)
 */
export function opinionDraft(base: DraftBase, signal: number, p: Probabilities, confidence: number, rationale: string, features?: Record<string, number>): OpinionDraft {
  const d: OpinionDraft = { agent: base.agent, group: base.group, symbol: base.symbol, tf: base.tf, asOf: base.asOf, signal, p, confidence, rationale };
  if (features) d.features = features;
  return d;
}

/**
 * An opinion with no market view (see `Opinion.advisory`): signal 0, uniform p,
 * confidence 0, the notes, and optionally a veto and features.
 */
export function advisoryDraft(base: DraftBase, notes: AdvisoryNote[], rationale: string, extra: { veto?: { reason: string }; features?: Record<string, number> } = {}): OpinionDraft {
  const d = opinionDraft(base, 0, toProbabilities(0, 0), 0, rationale);
  d.advisory = notes;
  if (extra.veto) d.veto = extra.veto;
  if (extra.features) d.features = extra.features;
  return d;
}

/** An opinion without a view (not enough data, nothing to say): uniform p, optional lean to hold. */
export function neutralDraft(base: DraftBase, rationale: string, confidence = 0, holdBias = 0): OpinionDraft {
  return opinionDraft(base, 0, toProbabilities(0, confidence, holdBias), confidence, rationale);
}
