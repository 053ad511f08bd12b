/**
 * Indicator factory from spec strings: `name[:param[:param…]]`, e.g. `rsi:14`,
 * `macd:12:26:9`, `bbands:20:2`, `sma:20`. Omitted trailing parameters take the
 * defaults listed in `INDICATORS`. Unknown names, malformed or out-of-range
 * parameters throw a DomainError (code UNKNOWN_INDICATOR / BAD_PARAM, status
 * 400) whose message names the spec and the parameter.
 */
import { DomainError } from '../errors';
import type { AnyIndicator } from './types';
import { Sma } from './sma';
import { Ema } from './ema';
import { Rsi } from './rsi';
import { Macd } from './macd';
import { BBands } from './bbands';
import { Wma } from './wma';
import { Dema } from './dema';
import { Tema } from './tema';
import { Atr } from './atr';
import { Adx } from './adx';
import { Stoch } from './stoch';
import { StochRsi } from './stochrsi';
import { Cci } from './cci';
import { WillR } from './willr';
import { Obv } from './obv';
import { Mfi } from './mfi';
import { Mom, Roc } from './roc';
import { Vwap } from './vwap';
import { Donchian } from './donchian';
import { Keltner } from './keltner';
import { Sar } from './sar';
import { SuperTrend } from './supertrend';
import { Ichimoku } from './ichimoku';

interface ParamDef {
  name: string;
  kind: 'int' | 'num';
  dflt: number;
}

export interface IndicatorDef {
  /** One line for help texts. */
  summary: string;
  params: readonly ParamDef[];
  /** Parameter count that may be omitted beyond the defaults is fixed by `params`. */
  create(args: number[]): AnyIndicator;
  aliases?: readonly string[];
}

const int = (name: string, dflt: number): ParamDef => ({ name, kind: 'int', dflt });
const num = (name: string, dflt: number): ParamDef => ({ name, kind: 'num', dflt });

/** Every indicator the factory knows, by canonical name. */
export const INDICATORS: Readonly<Record<string, IndicatorDef>> = {
  sma: { summary: 'simple moving average', params: [int('period', 20)], create: ([p]) => new Sma(p) },
  ema: { summary: 'exponential moving average (SMA-seeded)', params: [int('period', 20)], create: ([p]) => new Ema(p) },
  rsi: { summary: "Wilder's RSI", params: [int('period', 14)], create: ([p]) => new Rsi(p) },
  macd: { summary: 'MACD line, signal, histogram', params: [int('fast period', 12), int('slow period', 26), int('signal period', 9)], create: ([f, s, g]) => new Macd(f, s, g) },
  bbands: {
    summary: 'Bollinger Bands (population σ)',
    params: [int('period', 20), num('deviations', 2), num('deviations down', NaN)],
    create: ([p, k, kd]) => new BBands(p, k, Number.isNaN(kd) ? k : kd),
    aliases: ['bb', 'bollinger'],
  },
  wma: { summary: 'linearly weighted moving average', params: [int('period', 20)], create: ([p]) => new Wma(p) },
  dema: { summary: 'double EMA', params: [int('period', 20)], create: ([p]) => new Dema(p) },
  tema: { summary: 'triple EMA', params: [int('period', 20)], create: ([p]) => new Tema(p) },
  atr: { summary: "Wilder's average true range", params: [int('period', 14)], create: ([p]) => new Atr(p) },
  adx: { summary: 'ADX with +DI and -DI', params: [int('period', 14)], create: ([p]) => new Adx(p), aliases: ['dmi'] },
  stoch: { summary: 'stochastic slow %K/%D (SMA)', params: [int('fast %K period', 5), int('slow %K period', 3), int('slow %D period', 3)], create: ([a, b, c]) => new Stoch(a, b, c) },
  stochrsi: { summary: 'stochastic RSI fast %K/%D', params: [int('RSI period', 14), int('fast %K period', 5), int('fast %D period', 3)], create: ([a, b, c]) => new StochRsi(a, b, c) },
  cci: { summary: 'commodity channel index (mean deviation)', params: [int('period', 14)], create: ([p]) => new Cci(p) },
  willr: { summary: 'Williams %R', params: [int('period', 14)], create: ([p]) => new WillR(p), aliases: ['williams', 'wpr'] },
  obv: { summary: 'on-balance volume', params: [], create: () => new Obv() },
  mfi: { summary: 'money flow index', params: [int('period', 14)], create: ([p]) => new Mfi(p) },
  roc: { summary: 'rate of change, percent', params: [int('period', 10)], create: ([p]) => new Roc(p) },
  mom: { summary: 'momentum (price difference)', params: [int('period', 10)], create: ([p]) => new Mom(p), aliases: ['momentum'] },
  vwap: { summary: 'session VWAP (UTC day; optional session start hour)', params: [num('session start hour UTC', 0)], create: ([h]) => new Vwap({ startHourUtc: h }) },
  donchian: { summary: 'Donchian channel', params: [int('period', 20)], create: ([p]) => new Donchian(p), aliases: ['dc'] },
  keltner: { summary: 'Keltner channels (EMA ± k·ATR)', params: [int('period', 20), num('multiplier', 2), int('ATR period', 10)], create: ([p, k, a]) => new Keltner(p, k, a), aliases: ['kc'] },
  sar: { summary: 'parabolic SAR', params: [num('acceleration', 0.02), num('maximum', 0.2)], create: ([a, m]) => new Sar(a, m), aliases: ['psar'] },
  supertrend: { summary: 'SuperTrend (ATR bands)', params: [int('ATR period', 10), num('multiplier', 3)], create: ([p, k]) => new SuperTrend(p, k) },
  ichimoku: { summary: 'Ichimoku (tenkan, kijun, cloud)', params: [int('tenkan period', 9), int('kijun period', 26), int('senkou B period', 52), int('displacement', 26)], create: ([a, b, c, d]) => new Ichimoku(a, b, c, d) },
};

const ALIASES: Record<string, string> = {};
for (const [name, def] of Object.entries(INDICATORS)) {
  ALIASES[name] = name;
  for (const a of def.aliases ?? []) ALIASES[a] = name;
}

/** Canonical names, sorted. */
export const INDICATOR_NAMES: readonly string[] = Object.keys(INDICATORS).sort();

function parseParam(spec: string, name: string, def: ParamDef, raw: string): number {
  const s = raw.trim();
  if (def.kind === 'int') {
    if (!/^[+-]?\d+$/.test(s)) {
      throw new DomainError('BAD_PARAM', `${name}: ${def.name} must be an integer, got "${raw}" (spec "${spec}")`, 400, { spec, param: def.name, value: raw });
    }
    return Number(s);
  }
  const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v)) {
    throw new DomainError('BAD_PARAM', `${name}: ${def.name} must be a number, got "${raw}" (spec "${spec}")`, 400, { spec, param: def.name, value: raw });
  }
  return v;
}

/** Builds one indicator from a spec string such as `rsi:14`. */
export function createIndicator(spec: string): AnyIndicator {
  const parts = spec.trim().split(':');
  const given = parts[0].trim().toLowerCase();
  const name = ALIASES[given];
  if (!name) {
    throw new DomainError('UNKNOWN_INDICATOR', `unknown indicator "${parts[0].trim()}" in spec "${spec}"; known: ${INDICATOR_NAMES.join(', ')}`, 400, { spec });
  }
  const def = INDICATORS[name];
  const raw = parts.slice(1);
  if (raw.length > def.params.length) {
    throw new DomainError('BAD_PARAM', `${name}: takes at most ${def.params.length} parameter(s) (${def.params.map((p) => p.name).join(', ') || 'none'}), got ${raw.length} in spec "${spec}"`, 400, { spec });
  }
  const args = def.params.map((p, i) => (i < raw.length ? parseParam(spec, name, p, raw[i]) : p.dflt));
  try {
    return def.create(args);
  } catch (e) {
    if (e instanceof DomainError && e.code === 'BAD_PARAM') throw new DomainError('BAD_PARAM', `${e.message} (spec "${spec}")`, 400, { ...(e.data as object), spec });
    throw e;
  }
}

/** Builds indicators from a comma-separated list (`rsi:14,macd:12:26:9`); duplicates (same id) are kept once. */
export function createIndicators(list: string): AnyIndicator[] {
  const specs = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (specs.length === 0) throw new DomainError('BAD_PARAM', 'empty indicator list', 400, { list });
  const out: AnyIndicator[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const ind = createIndicator(s);
    if (!seen.has(ind.id)) {
      seen.add(ind.id);
      out.push(ind);
    }
  }
  return out;
}
