/**
 * Parameter search over a registered strategy: exhaustive grid, seeded random
 * sampling of the grid, successive halving, and walk-forward (rolling
 * in-sample optimisation, out-of-sample test).
 *
 * Rules:
 * - A combination is admissible when the strategy's schema and cross-parameter
 *   check accept it (e.g. sma-cross needs fast < slow); others are skipped.
 * - Score = the chosen statistic of a run (default `sqn`, as backtesting.py);
 *   a run without trades, or with an undefined statistic, scores NaN and can't
 *   be best. Best = highest score, ties to the earlier combination.
 * - Random search draws `samples` distinct combinations with a seeded
 *   generator (same seed, same draw, any number of workers).
 * - Successive halving (η = 3): every candidate runs on the first n/η^R bars,
 *   the best third go on to η times more bars, … the last round uses all bars.
 * - Walk-forward: folds of `inSample` bars followed by `outOfSample` bars, moving
 *   by `outOfSample`; the in-sample grid picks the parameters, which then run
 *   alone on the out-of-sample bars (their indicators warm up inside that
 *   window). The out-of-sample equity is chained fold to fold by compounding.
 *
 * Evaluation is delegated to an `Evaluator` (in-process or the worker pool), so
 * this module stays pure.
 */
import { DomainError } from '../errors';
import { resolveParams, type StrategyDef, type StrategyParams } from '../strategies/registry';
import { runBacktest } from './engine';
import { computeStats, type BacktestStats } from './stats';
import { sliceBars, type BacktestOptions, type BarSeries } from './types';

export type StatKey = keyof BacktestStats;

/** One unit of work: a parameter set on bars [from, to). */
export interface EvalTask {
  params: StrategyParams;
  from: number;
  to: number;
}

export interface EvalResult {
  score: number;
  stats: BacktestStats;
}

/** Runs tasks (possibly in parallel); results come back in task order. */
export type Evaluator = (tasks: EvalTask[]) => Promise<EvalResult[]>;

export interface OptimizeSpec {
  strategy: string;
  ranges: Record<string, number[]>;
  maximize: StatKey;
  method: 'grid' | 'random' | 'halving';
  /** Random search: how many combinations; halving: how many to start from (default: all). */
  samples?: number;
  seed?: number;
}

export interface Scored {
  params: StrategyParams;
  score: number;
  stats?: BacktestStats;
}

export interface OptimizeResult {
  method: OptimizeSpec['method'];
  maximize: StatKey;
  /** Admissible combinations in the grid. */
  gridSize: number;
  /** Backtests run. */
  runs: number;
  best: Scored | null;
  /** Final score of every evaluated combination, in grid order. */
  results: Scored[];
}

/**
 * Parse `fast=5:30:5,slow=20|40|60,n=14` into value lists: `a:b:step` is
 * inclusive, `a|b|c` a list, a single number one value.
 */
export function parseRanges(spec: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const part of spec.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DomainError('BAD_PARAMS', `range '${part}' must look like name=a:b:step or name=a|b|c`);
    const name = part.slice(0, eq).trim();
    const body = part.slice(eq + 1).trim();
    const num = (s: string): number => {
      const v = Number(s);
      if (s.trim() === '' || !Number.isFinite(v)) throw new DomainError('BAD_PARAMS', `range ${name}: '${s}' is not a number`);
      return v;
    };
    let values: number[];
    if (body.includes(':')) {
      const [a, b, st = '1'] = body.split(':');
      const lo = num(a);
      const hi = num(b);
      const step = num(st);
      if (!(step > 0)) throw new DomainError('BAD_PARAMS', `range ${name}: step must be > 0`);
      if (hi < lo) throw new DomainError('BAD_PARAMS', `range ${name}: end ${hi} is before start ${lo}`);
      const count = Math.floor((hi - lo) / step + 1e-9) + 1;
      if (count > 100_000) throw new DomainError('BAD_PARAMS', `range ${name} has ${count} values; at most 100000`);
      values = Array.from({ length: count }, (_, k) => Number((lo + k * step).toPrecision(12)));
    } else values = body.split('|').map(num);
    if (name in out) throw new DomainError('BAD_PARAMS', `range ${name} given twice`);
    out[name] = [...new Set(values)];
  }
  if (!Object.keys(out).length) throw new DomainError('BAD_PARAMS', 'no parameter ranges given');
  return out;
}

/** Admissible combinations of `ranges` (cartesian product, first name varies slowest). */
export function gridCombos(def: StrategyDef, ranges: Record<string, number[]>, limit = 2_000_000): StrategyParams[] {
  const names = Object.keys(ranges);
  for (const n of names) {
    if (!def.params.some((p) => p.name === n)) {
      throw new DomainError('BAD_PARAMS', `unknown parameter '${n}' for ${def.name}; known: ${def.params.map((p) => p.name).join(', ')}`);
    }
  }
  const total = names.reduce((a, n) => a * ranges[n].length, 1);
  if (total > limit) throw new DomainError('BAD_PARAMS', `the grid has ${total} combinations; at most ${limit}`);
  const out: StrategyParams[] = [];
  const idx = new Array<number>(names.length).fill(0);
  let firstError: string | null = null;
  for (let k = 0; k < total; k++) {
    const given: Record<string, number> = {};
    names.forEach((n, j) => (given[n] = ranges[n][idx[j]]));
    try {
      out.push(resolveParams(def, given));
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      firstError ??= e.message;
    }
    for (let j = names.length - 1; j >= 0; j--) {
      if (++idx[j] < ranges[names[j]].length) break;
      idx[j] = 0;
    }
  }
  if (!out.length) throw new DomainError('BAD_PARAMS', `no admissible parameter combination (e.g. ${firstError})`);
  return out;
}

/** Small fast seeded PRNG (mulberry32): uniform [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct items drawn with a seeded generator, kept in their original order. */
export function sample<T>(items: T[], n: number, seed: number): T[] {
  if (n >= items.length) return items.slice();
  const rnd = seededRandom(seed);
  const idx = items.map((_, k) => k);
  for (let k = 0; k < n; k++) {
    const j = k + Math.floor(rnd() * (idx.length - k));
    [idx[k], idx[j]] = [idx[j], idx[k]];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((k) => items[k]);
}

/** The score of one run: the statistic, NaN when the run made no trade. */
export function scoreOf(stats: BacktestStats, key: StatKey): number {
  const v = stats[key];
  return stats.trades > 0 && Number.isFinite(v) ? v : NaN;
}

export function bestOf(results: Scored[]): Scored | null {
  let best: Scored | null = null;
  for (const r of results) if (r.score === r.score && (best === null || r.score > best.score)) best = r;
  return best;
}

/** Evaluate one task in this thread. */
export function evaluateTask(bars: BarSeries, def: StrategyDef, opts: BacktestOptions, key: StatKey, task: EvalTask): EvalResult {
  const slice = task.from === 0 && task.to === bars.length ? bars : sliceBars(bars, task.from, task.to);
  const result = runBacktest(slice, def.create(task.params, {}), opts);
  const stats = computeStats({ t: slice.t, close: slice.c, equity: result.equity, trades: result.trades, warmupBars: result.warmupBars });
  return { score: scoreOf(stats, key), stats };
}

/** Grid, random or successive-halving search over bars [from, to). */
export async function optimize(
  def: StrategyDef,
  spec: OptimizeSpec,
  evaluate: Evaluator,
  range: { from: number; to: number },
  onRuns?: (planned: number) => void,
): Promise<OptimizeResult> {
  const grid = gridCombos(def, spec.ranges);
  const seed = spec.seed ?? 1;
  let candidates = spec.method === 'grid' ? grid : sample(grid, spec.samples ?? (spec.method === 'random' ? Math.min(100, grid.length) : grid.length), seed);
  const results = new Map<StrategyParams, Scored>();
  let runs = 0;
  if (spec.method === 'halving') {
    const eta = 3;
    const span = range.to - range.from;
    const rounds = Math.max(0, Math.floor(Math.log(candidates.length) / Math.log(eta)));
    let planned = 0;
    for (let r = 0, c = candidates.length; r <= rounds; r++, c = Math.max(1, Math.ceil(c / eta))) planned += c;
    onRuns?.(planned);
    for (let r = 0; r <= rounds; r++) {
      const to = r === rounds ? range.to : range.from + Math.max(2, Math.ceil(span / eta ** (rounds - r)));
      const out = await evaluate(candidates.map((params) => ({ params, from: range.from, to })));
      runs += candidates.length;
      const scored = candidates.map((params, k) => ({ params, score: out[k].score, stats: out[k].stats }));
      for (const s of scored) results.set(s.params, s);
      if (r < rounds) {
        const keep = Math.max(1, Math.ceil(candidates.length / eta));
        candidates = scored
          .map((s, k) => ({ s, k }))
          .sort((a, b) => (b.s.score === b.s.score ? b.s.score : -Infinity) - (a.s.score === a.s.score ? a.s.score : -Infinity) || a.k - b.k)
          .slice(0, keep)
          .map((x) => x.s.params)
          .sort((a, b) => grid.indexOf(a) - grid.indexOf(b));
      } else {
        // Only full-data scores compete for best.
        const best = bestOf(scored);
        return finish(best);
      }
    }
  }
  onRuns?.(candidates.length);
  const out = await evaluate(candidates.map((params) => ({ params, from: range.from, to: range.to })));
  runs += candidates.length;
  candidates.forEach((params, k) => results.set(params, { params, score: out[k].score, stats: out[k].stats }));
  return finish(bestOf([...results.values()]));

  function finish(best: Scored | null): OptimizeResult {
    const ordered = grid.filter((p) => results.has(p)).map((p) => results.get(p) as Scored);
    return { method: spec.method, maximize: spec.maximize, gridSize: grid.length, runs, best, results: ordered };
  }
}

export interface WalkForwardSpec extends OptimizeSpec {
  inSample: number;
  outOfSample: number;
}

export interface Fold {
  inSample: { from: number; to: number; startTime: number; endTime: number };
  outOfSample: { from: number; to: number; startTime: number; endTime: number };
  best: Scored | null;
  /** Statistics of the best parameters on the out-of-sample bars. */
  oos: BacktestStats | null;
}

export interface WalkForwardResult {
  folds: Fold[];
  /** Out-of-sample returns chained across folds, percent. */
  oosReturnPct: number;
  /** Out-of-sample trades across folds. */
  oosTrades: number;
  runs: number;
}

/** Fold boundaries: [from, from+IS) in-sample, then [from+IS, from+IS+OOS) out of sample, stepping by OOS. */
export function walkForwardFolds(n: number, inSample: number, outOfSample: number): { is: [number, number]; oos: [number, number] }[] {
  if (!(Number.isInteger(inSample) && inSample >= 2 && Number.isInteger(outOfSample) && outOfSample >= 2)) {
    throw new DomainError('BAD_PARAMS', 'in-sample and out-of-sample lengths must be whole numbers of bars ≥ 2');
  }
  const folds: { is: [number, number]; oos: [number, number] }[] = [];
  for (let a = 0; a + inSample + outOfSample <= n; a += outOfSample) folds.push({ is: [a, a + inSample], oos: [a + inSample, a + inSample + outOfSample] });
  if (!folds.length) throw new DomainError('BAD_PARAMS', `${n} bars are fewer than one fold of ${inSample} + ${outOfSample}`);
  return folds;
}

export async function walkForward(
  bars: BarSeries,
  def: StrategyDef,
  spec: WalkForwardSpec,
  evaluate: Evaluator,
  onRuns?: (planned: number) => void,
): Promise<WalkForwardResult> {
  const plan = walkForwardFolds(bars.length, spec.inSample, spec.outOfSample);
  const folds: Fold[] = [];
  let growth = 1;
  let trades = 0;
  let runs = 0;
  for (const f of plan) {
    const opt = await optimize(def, spec, evaluate, { from: f.is[0], to: f.is[1] }, onRuns);
    runs += opt.runs;
    let oos: BacktestStats | null = null;
    if (opt.best) {
      const [r] = await evaluate([{ params: opt.best.params, from: f.oos[0], to: f.oos[1] }]);
      runs++;
      oos = r.stats;
      growth *= 1 + oos.returnPct / 100;
      trades += oos.trades;
    }
    folds.push({
      inSample: { from: f.is[0], to: f.is[1], startTime: bars.t[f.is[0]], endTime: bars.t[f.is[1] - 1] },
      outOfSample: { from: f.oos[0], to: f.oos[1], startTime: bars.t[f.oos[0]], endTime: bars.t[f.oos[1] - 1] },
      best: opt.best ? { params: opt.best.params, score: opt.best.score } : null,
      oos,
    });
  }
  return { folds, oosReturnPct: (growth - 1) * 100, oosTrades: trades, runs };
}
