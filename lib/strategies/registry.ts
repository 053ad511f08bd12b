/**
 * Built-in strategies by name, each with a parameter schema, defaults and
 * validation. The CLI, the optimiser and (later) the REST job use only this.
 *
 * `consensus` (lib/strategies/consensus.ts) runs the agents' pure classes and
 * the live fusion inside the strategy itself, per bar, from the bars it is
 * given: it needs nothing from `StrategyEnv`. The `DecisionSource` seam stays for
 * strategies fed decisions from elsewhere (recorded decisions, a live runner).
 */
import { DomainError } from '../errors';
import type { Bar, Strategy } from '../backtest/strategy';
import type { BarSeries } from '../backtest/types';
import { Breakout } from './breakout';
import { BACKTEST_AGENT_IDS, ConsensusStrategy } from './consensus';
import { RsiReversion } from './rsi-reversion';
import { SmaCross } from './sma-cross';

/**
 * Resolved parameters: every value a number. `choice` parameters hold the index
 * of the chosen name in `choices`, `set` parameters a bitmask over `choices`
 * (bit k = choices[k]); `displayParams` turns them back into names.
 */
export type StrategyParams = Record<string, number>;

/** A parameter as given (CLI `--params`, REST): numbers, or names for choice/set parameters. */
export type GivenParams = Record<string, number | string>;

export interface ParamSpec {
  name: string;
  /** `choice`: one of `choices` (given by name or index); `set`: a non-empty subset of `choices` (given as `a+b+c`, `all`, or a bitmask). */
  type: 'int' | 'number' | 'choice' | 'set';
  default: number;
  min: number;
  max: number;
  description: string;
  choices?: readonly string[];
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

const CONSENSUS_METHODS = ['weighted', 'bayesian'] as const;

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
  {
    name: 'consensus',
    summary: "The agents' consensus (their pure classes and the live fusion, run offline per bar): buy/sell on a decision at or above `threshold`.",
    params: [
      { name: 'method', type: 'choice', choices: CONSENSUS_METHODS, default: 1, min: 0, max: CONSENSUS_METHODS.length - 1, description: 'fusion that acts: weighted | bayesian' },
      { name: 'threshold', type: 'number', default: 0, min: 0, max: 1, description: 'minimum fused confidence to act' },
      { name: 'agents', type: 'set', choices: BACKTEST_AGENT_IDS, default: 2 ** BACKTEST_AGENT_IDS.length - 1, min: 1, max: 2 ** BACKTEST_AGENT_IDS.length - 1, description: 'agents to run, a+b+… (default all)' },
      { name: 'flatOnHold', type: 'int', default: 0, min: 0, max: 1, description: '1: a hold at or above the threshold closes the position' },
    ],
    create: (p) =>
      new ConsensusStrategy({ method: CONSENSUS_METHODS[p.method], threshold: p.threshold, agents: setMembers(BACKTEST_AGENT_IDS, p.agents), flatOnHold: p.flatOnHold === 1 }),
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
export function resolveParams(def: StrategyDef, given: GivenParams): StrategyParams {
  const out: StrategyParams = {};
  for (const spec of def.params) out[spec.name] = spec.default;
  for (const [k, raw] of Object.entries(given)) {
    const spec = def.params.find((s) => s.name === k);
    if (!spec) {
      throw new DomainError('BAD_PARAMS', `unknown parameter '${k}' for ${def.name}; known: ${def.params.map((s) => s.name).join(', ')}`);
    }
    const v = typeof raw === 'string' ? decodeNamed(spec, raw) : raw;
    if ((spec.type === 'choice' || spec.type === 'set') && !Number.isInteger(v)) throw new DomainError('BAD_PARAMS', `${k} must be one of ${spec.choices?.join(', ')}, got ${v}`);
    if (!Number.isFinite(v)) throw new DomainError('BAD_PARAMS', `${k} must be a finite number, got ${v}`);
    if (spec.type === 'int' && !Number.isInteger(v)) throw new DomainError('BAD_PARAMS', `${k} must be an integer, got ${v}`);
    if (v < spec.min || v > spec.max) throw new DomainError('BAD_PARAMS', `${k} must be in [${spec.min}, ${spec.max}], got ${v}`);
    out[k] = v;
  }
  const msg = def.check?.(out);
  if (msg) throw new DomainError('BAD_PARAMS', `${def.name}: ${msg}`);
  return out;
}

/** A name (choice) or `a+b` / `all` (set) → its number; a numeric string → that number; else BAD_PARAMS. */
function decodeNamed(spec: ParamSpec, raw: string): number {
  const choices = spec.choices ?? [];
  if (spec.type === 'choice') {
    const k = choices.indexOf(raw);
    if (k < 0) throw new DomainError('BAD_PARAMS', `${spec.name} must be one of ${choices.join(', ')}, got '${raw}'`);
    return k;
  }
  if (spec.type === 'set') {
    if (raw === 'all') return 2 ** choices.length - 1;
    let mask = 0;
    for (const name of raw.split('+').map((x) => x.trim()).filter(Boolean)) {
      const k = choices.indexOf(name);
      if (k < 0) throw new DomainError('BAD_PARAMS', `${spec.name}: unknown '${name}'; known: ${choices.join(', ')}`);
      mask |= 2 ** k;
    }
    return mask;
  }
  throw new DomainError('BAD_PARAMS', `parameter ${spec.name} must be a number, got '${raw}'`);
}

/** Resolved params with choice/set parameters spelled as names (`method=bayesian`, `agents=a+b`), for reports and JSON. */
export function displayParams(def: StrategyDef, p: StrategyParams): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(p)) {
    const spec = def.params.find((s) => s.name === k);
    const choices = spec?.choices ?? [];
    if (spec?.type === 'choice') out[k] = choices[v] ?? v;
    else if (spec?.type === 'set') out[k] = v === 2 ** choices.length - 1 ? 'all' : setMembers(choices, v).join('+');
    else out[k] = v;
  }
  return out;
}

/** The names a `set` parameter's bitmask selects. */
export function setMembers(choices: readonly string[], mask: number): string[] {
  return choices.filter((_, i) => Math.floor(mask / 2 ** i) % 2 === 1);
}

/**
 * Parse `fast=10,slow=30` into numbers; a value that is not a number is kept as
 * a string (a name for a choice or set parameter, checked by `resolveParams`).
 */
export function parseParamString(s: string): GivenParams {
  const out: GivenParams = {};
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DomainError('BAD_PARAMS', `parameter '${part}' must look like name=value`);
    const k = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (raw === '') throw new DomainError('BAD_PARAMS', `parameter ${k} must be a number, got ''`);
    const v = Number(raw);
    if (k in out) throw new DomainError('BAD_PARAMS', `parameter ${k} given twice`);
    out[k] = Number.isFinite(v) ? v : raw;
  }
  return out;
}

/** Resolve and instantiate a strategy by name. */
export function createStrategy(name: string, given: GivenParams, env: StrategyEnv = {}): { def: StrategyDef; params: StrategyParams; strategy: Strategy } {
  const def = getStrategy(name);
  const params = resolveParams(def, given);
  for (const need of def.needs ?? []) {
    if (!env[need]) throw new DomainError('BAD_PARAMS', `${def.name} needs ${need}, which this run does not provide`);
  }
  return { def, params, strategy: def.create(params, env) };
}
