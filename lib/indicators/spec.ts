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
