/**
 * Built-in strategies by name, each with a parameter schema, defaults and
 * validation. The CLI, the optimiser and (later) the REST job use only this.
 *
 * Seam for `consensus`: a strategy that asks the agents for a decision per bar
 * will be registered here with `needs: ['decisions']`; it receives a
 * `DecisionSource` through `StrategyEnv` (an offline run of the agents over the
 * same bars). Nothing else changes: it is a `Strategy` like the others.
 */
import { DomainError } from '../errors';
import type { Bar, Strategy } from '../backtest/strategy';
import type { BarSeries } from '../backtest/types';
import { Breakout } from './breakout';
import { RsiReversion } from './rsi-reversion';
import { SmaCross } from './sma-cross';

export type StrategyParams = Record<string, number>;

export interface ParamSpec {
  name: string;
  type: 'int' | 'number';
  default: number;
  min: number;
  max: number;
  description: string;
}

/** What a decision-driven strategy (consensus of agents) will be given. */
export interface DecisionSource {
  /** The decision for bar `bar.i`, using only bars ≤ bar.i of `data`. */
  decide(bar: Bar, data: BarSeries): { action: 'buy' | 'sell' | 'hold'; confidence: number };
}

/** Run-time dependencies a strategy may need besides its parameters. */
export interface StrategyEnv {
  decisions?: DecisionSource;
}

export interface StrategyDef {
  name: string;
  summary: string;
  params: readonly ParamSpec[];
  /** Cross-parameter rule; returns an error message or null. */
  check?(p: StrategyParams): string | null;
  /** Dependencies from `StrategyEnv` the strategy cannot run without. */
  needs?: readonly (keyof StrategyEnv)[];
  create(p: StrategyParams, env: StrategyEnv): Strategy;
}

const DEFS: readonly StrategyDef[] = [
  {
    name: 'sma-cross',
    summary: 'Close and reverse on strict crossings of a fast and a slow simple moving average of closes.',
    params: [
      { name: 'fast', type: 'int', default: 10, min: 1, max: 100_000, description: 'fast SMA length, bars' },
      { name: 'slow', type: 'int', default: 30, min: 2, max: 100_000, description: 'slow SMA length, bars' },
    ],
    check: (p) => (p.fast < p.slow ? null : `fast (${p.fast}) must be less than slow (${p.slow})`),
    create: (p) => new SmaCross({ fast: p.fast, slow: p.slow }),
  },
  {
    name: 'rsi-reversion',
    summary: 'Buy when RSI is below `lower`, short above `upper`, exit when it crosses back over `exit`.',
    params: [
      { name: 'period', type: 'int', default: 14, min: 2, max: 10_000, description: 'RSI length (Wilder), bars' },
      { name: 'lower', type: 'number', default: 30, min: 0, max: 100, description: 'oversold level' },
      { name: 'upper', type: 'number', default: 70, min: 0, max: 100, description: 'overbought level' },
      { name: 'exit', type: 'number', default: 50, min: 0, max: 100, description: 'level that closes a position' },
    ],
    check: (p) => (p.lower < p.exit && p.exit < p.upper ? null : `need lower (${p.lower}) < exit (${p.exit}) < upper (${p.upper})`),
    create: (p) => new RsiReversion({ period: p.period, lower: p.lower, upper: p.upper, exit: p.exit }),
  },
  {
    name: 'breakout',
    summary: 'Donchian breakout: enter on a close beyond the `entry`-bar channel, exit beyond the `exit`-bar channel.',
    params: [
      { name: 'entry', type: 'int', default: 20, min: 2, max: 100_000, description: 'entry channel length, bars' },
      { name: 'exit', type: 'int', default: 10, min: 1, max: 100_000, description: 'exit channel length, bars' },
    ],
    check: (p) => (p.exit <= p.entry ? null : `exit (${p.exit}) must not exceed entry (${p.entry})`),
    create: (p) => new Breakout({ entry: p.entry, exit: p.exit }),
  },
];

export function listStrategies(): readonly StrategyDef[] {
  return DEFS;
}

export function getStrategy(name: string): StrategyDef {
  const def = DEFS.find((d) => d.name === name);
  if (!def) {
    throw new DomainError('UNKNOWN_STRATEGY', `unknown strategy '${name}'; available: ${DEFS.map((d) => d.name).join(', ')}`, 404);
  }
  return def;
}

/**
 * Defaults overlaid with `given`, checked against the schema: unknown names,
 * non-finite values, non-integers for int params, out-of-range values and
 * cross-parameter rules are DomainError('BAD_PARAMS').
 */
export function resolveParams(def: StrategyDef, given: Record<string, number>): StrategyParams {
  const out: StrategyParams = {};
  for (const spec of def.params) out[spec.name] = spec.default;
  for (const [k, v] of Object.entries(given)) {
    const spec = def.params.find((s) => s.name === k);
    if (!spec) {
      throw new DomainError('BAD_PARAMS', `unknown parameter '${k}' for ${def.name}; known: ${def.params.map((s) => s.name).join(', ')}`);
    }
    if (!Number.isFinite(v)) throw new DomainError('BAD_PARAMS', `${k} must be a finite number, got ${v}`);
    if (spec.type === 'int' && !Number.isInteger(v)) throw new DomainError('BAD_PARAMS', `${k} must be an integer, got ${v}`);
    if (v < spec.min || v > spec.max) throw new DomainError('BAD_PARAMS', `${k} must be in [${spec.min}, ${spec.max}], got ${v}`);
    out[k] = v;
  }
  const msg = def.check?.(out);
  if (msg) throw new DomainError('BAD_PARAMS', `${def.name}: ${msg}`);
  return out;
}

/** Parse `fast=10,slow=30` into numbers (values must be numeric). */
export function parseParamString(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DomainError('BAD_PARAMS', `parameter '${part}' must look like name=value`);
    const k = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v)) throw new DomainError('BAD_PARAMS', `parameter ${k} must be a number, got '${raw}'`);
    if (k in out) throw new DomainError('BAD_PARAMS', `parameter ${k} given twice`);
    out[k] = v;
  }
  return out;
}

/** Resolve and instantiate a strategy by name. */
export function createStrategy(name: string, given: Record<string, number>, env: StrategyEnv = {}): { def: StrategyDef; params: StrategyParams; strategy: Strategy } {
  const def = getStrategy(name);
  const params = resolveParams(def, given);
  for (const need of def.needs ?? []) {
    if (!env[need]) throw new DomainError('BAD_PARAMS', `${def.name} needs ${need}, which this run does not provide`);
  }
  return { def, params, strategy: def.create(params, env) };
}
