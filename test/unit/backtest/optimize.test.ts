/** Parameter search: ranges, grid, seeded random, halving, walk-forward, and the worker pool. */
import { runBacktest } from '../../../lib/backtest/engine';
import {
  evaluateTask, gridCombos, optimize, parseRanges, sample, walkForward, walkForwardFolds, type Evaluator,
} from '../../../lib/backtest/optimize';
import { renderHeatmap } from '../../../lib/backtest/report';
import { computeStats } from '../../../lib/backtest/stats';
import { BacktestPool } from '../../../lib/backtest/worker-pool';
import { getStrategy } from '../../../lib/strategies/registry';
import { GOOG } from './helpers';

const def = getStrategy('sma-cross');
const opts = { cash: 10_000, finalizeTrades: true };
const inline: Evaluator = async (tasks) => tasks.map((t) => evaluateTask(GOOG(), def, opts, 'sqn', t));

describe('ranges and grids', () => {
  it('parses a:b:step (inclusive), lists and single values', () => {
    expect(parseRanges('fast=5:20:5, slow=30|60, n=7')).toEqual({ fast: [5, 10, 15, 20], slow: [30, 60], n: [7] });
    expect(parseRanges('x=0.1:0.3:0.1')).toEqual({ x: [0.1, 0.2, 0.3] });
    expect(() => parseRanges('fast=5:1')).toThrow(/before start/);
    expect(() => parseRanges('fast')).toThrow(/name=/);
    expect(() => parseRanges('fast=a|b')).toThrow(/not a number/);
  });

  it('keeps only combinations the strategy accepts (fast < slow), first name slowest', () => {
    const g = gridCombos(def, { fast: [10, 20, 30], slow: [15, 25] });
    expect(g).toEqual([{ fast: 10, slow: 15 }, { fast: 10, slow: 25 }, { fast: 20, slow: 25 }]);
    expect(() => gridCombos(def, { fast: [30], slow: [10] })).toThrow(/no admissible/);
    expect(() => gridCombos(def, { speed: [1] })).toThrow(/unknown parameter 'speed'/);
  });

  it('seeded sampling is reproducible, distinct and in grid order', () => {
    const items = Array.from({ length: 50 }, (_, k) => k);
    const a = sample(items, 10, 42);
    expect(a).toEqual(sample(items, 10, 42));
    expect(new Set(a).size).toBe(10);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(sample(items, 10, 43)).not.toEqual(a);
  });
});

describe('search', () => {
  const ranges = { fast: [5, 10, 15], slow: [20, 30, 40] };

  it('grid: the best is the highest SQN among direct runs', async () => {
    const r = await optimize(def, { strategy: 'sma-cross', ranges, maximize: 'sqn', method: 'grid' }, inline, { from: 0, to: GOOG().length });
    expect(r.runs).toBe(9);
    const direct = gridCombos(def, ranges).map((p) => {
      const res = runBacktest(GOOG(), def.create(p, {}), opts);
      return { p, sqn: computeStats({ t: GOOG().t, close: GOOG().c, equity: res.equity, trades: res.trades, warmupBars: res.warmupBars }).sqn };
    });
    const top = direct.reduce((a, b) => (b.sqn > a.sqn ? b : a));
    expect(r.best?.params).toEqual(top.p);
    expect(r.best?.score).toBe(top.sqn);
    // SmaCross(10, 30) is the published run: its SQN is the published 1.0766…
    expect(r.results.find((x) => x.params.fast === 10 && x.params.slow === 30)?.score).toBeCloseTo(1.0766187356697705, 10);
  });

  it('random: `samples` runs, the same with the same seed', async () => {
    const spec = { strategy: 'sma-cross', ranges, maximize: 'sqn' as const, method: 'random' as const, samples: 4, seed: 9 };
    const a = await optimize(def, spec, inline, { from: 0, to: GOOG().length });
    const b = await optimize(def, spec, inline, { from: 0, to: GOOG().length });
    expect(a.runs).toBe(4);
    expect(a.results.map((x) => x.params)).toEqual(b.results.map((x) => x.params));
  });

  it('halving: 9 → 3 → 1 candidates, the last on all bars', async () => {
    const r = await optimize(def, { strategy: 'sma-cross', ranges, maximize: 'sqn', method: 'halving' }, inline, { from: 0, to: GOOG().length });
    expect(r.runs).toBe(9 + 3 + 1);
    const full = evaluateTask(GOOG(), def, opts, 'sqn', { params: r.best!.params, from: 0, to: GOOG().length });
    expect(r.best?.score).toBe(full.score);
  });

  it('a run without trades scores NaN and is never best', async () => {
    const r = await optimize(def, { strategy: 'sma-cross', ranges: { fast: [1000], slow: [2000] }, maximize: 'sqn', method: 'grid' }, inline, { from: 0, to: GOOG().length });
    expect(r.best).toBeNull();
    expect(r.results[0].score).toBeNaN();
  });
});

describe('walk-forward', () => {
  it('plans rolling folds stepping by the out-of-sample length', () => {
    expect(walkForwardFolds(10, 4, 2)).toEqual([
      { is: [0, 4], oos: [4, 6] },
      { is: [2, 6], oos: [6, 8] },
      { is: [4, 8], oos: [8, 10] },
    ]);
    expect(() => walkForwardFolds(5, 4, 2)).toThrow(/fewer than one fold/);
  });

  it('optimises in-sample and tests the winner on the next window only', async () => {
    const ranges = { fast: [5, 10], slow: [20, 30] };
    const w = await walkForward(GOOG(), def, { strategy: 'sma-cross', ranges, maximize: 'sqn', method: 'grid', inSample: 600, outOfSample: 300 }, inline);
    expect(w.folds).toHaveLength(Math.floor((GOOG().length - 600) / 300));
    let growth = 1;
    for (const f of w.folds) {
      const is = await optimize(def, { strategy: 'sma-cross', ranges, maximize: 'sqn', method: 'grid' }, inline, { from: f.inSample.from, to: f.inSample.to });
      expect(f.best?.params).toEqual(is.best?.params);
      const oos = evaluateTask(GOOG(), def, opts, 'sqn', { params: f.best!.params, from: f.outOfSample.from, to: f.outOfSample.to });
      expect(f.oos?.returnPct).toBe(oos.stats.returnPct);
      growth *= 1 + oos.stats.returnPct / 100;
    }
    expect(w.oosReturnPct).toBeCloseTo((growth - 1) * 100, 9);
  });
});

describe('worker pool', () => {
  it('gives the same results as the in-process evaluation, in task order', async () => {
    const pool = new BacktestPool(GOOG(), { strategy: 'sma-cross', opts, maximize: 'sqn' }, 2);
    let done = 0;
    pool.onDone = (n) => (done += n);
    try {
      const tasks = gridCombos(def, { fast: [3, 5, 8, 10, 12], slow: [15, 20, 30, 40] }).map((params) => ({ params, from: 0, to: GOOG().length }));
      const [par, seq] = await Promise.all([pool.evaluate(tasks), inline(tasks)]);
      expect(par.map((r) => r.score)).toEqual(seq.map((r) => r.score));
      expect(par.map((r) => r.stats.equityFinal)).toEqual(seq.map((r) => r.stats.equityFinal));
      expect(done).toBe(tasks.length);
    } finally {
      await pool.close();
    }
  });

  it('reports a worker-side error as a rejection', async () => {
    const pool = new BacktestPool(GOOG(), { strategy: 'sma-cross', opts: { cash: -1 }, maximize: 'sqn' }, 1);
    try {
      await expect(pool.evaluate([{ params: { fast: 10, slow: 30 }, from: 0, to: 100 }])).rejects.toThrow(/cash must be > 0/);
    } finally {
      await pool.close();
    }
  });
});

describe('heat map', () => {
  it('is a table of the best score per (first, second) parameter', () => {
    const html = renderHeatmap(
      [
        { params: { a: 1, b: 10, c: 0 }, score: 1 },
        { params: { a: 1, b: 10, c: 1 }, score: 3 },
        { params: { a: 2, b: 10, c: 0 }, score: NaN },
        { params: { a: 2, b: 20, c: 0 }, score: 2 },
      ],
      'sqn',
    );
    expect(html).toMatch(/best over c/);
    expect(html).toMatch(/a=1 b=10: 3"/);
    expect((html.match(/<td style=/g) ?? []).length).toBe(2);
    expect((html.match(/<td><\/td>/g) ?? []).length).toBe(2); // (1, 20) never ran; (2, 10) had no score
  });
});
