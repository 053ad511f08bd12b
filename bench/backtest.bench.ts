/**
 * Backtester throughput.
 * - bars/s: sma-cross(10, 30) over real hourly EUR/USD bars repeated end to end
 *   to 10 M bars (times shifted so they keep increasing), whole `runBacktest`
 *   (indicators included), statistics timed separately.
 * - ticks/s: a mid-price EMA-cross tick strategy over Lean's EUR/USD quote day
 *   (87,833 quotes), once and repeated to ~4.4 M quotes.
 * - optimize: grid runs/s on GOOG with the worker pool.
 * - consensus: bars/s of the `consensus` strategy (15 agents' pure classes +
 *   Bayesian fusion per bar, threshold 0.2) over the 5000 EUR/USD hourly bars,
 *   once after a 500-bar warm-up run (it costs milliseconds per bar).
 * Args: [bars=10000000] [runs=3]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBacktest } from '../lib/backtest/engine';
import { parseBarsCsv } from '../lib/backtest/csv-bars';
import { gridCombos } from '../lib/backtest/optimize';
import { computeStats } from '../lib/backtest/stats';
import type { Bar, Strategy, StrategyContext } from '../lib/backtest/strategy';
import { medianRelativeSpread, parseLeanQuoteTicks, ticksToBars } from '../lib/backtest/ticks';
import { sliceBars, type BarSeries } from '../lib/backtest/types';
import { BacktestPool } from '../lib/backtest/worker-pool';
import { createStrategy, getStrategy } from '../lib/strategies/registry';
import { SHARED_DATA_DIR } from '../paths';
import { Bench, median, nowNs } from './util';

/** `src` repeated end to end to `n` bars; each copy starts one median bar after the previous one ends. */
function repeatBars(src: BarSeries, n: number): BarSeries {
  const cols = { t: new Float64Array(n), o: new Float64Array(n), h: new Float64Array(n), l: new Float64Array(n), c: new Float64Array(n), v: new Float64Array(n) };
  const step = src.t[1] - src.t[0];
  const span = src.t[src.length - 1] - src.t[0] + step;
  for (let a = 0, rep = 0; a < n; a += src.length, rep++) {
    const len = Math.min(src.length, n - a);
    for (const k of ['o', 'h', 'l', 'c', 'v'] as const) cols[k].set(src[k].subarray(0, len), a);
    for (let j = 0; j < len; j++) cols.t[a + j] = src.t[j] + rep * span;
  }
  return { length: n, ...cols, symbol: src.symbol };
}

/** EMA cross on mid prices: long when the fast EMA is above the slow one, short below; fixed 100k units. */
class TickEmaCross implements Strategy {
  private fast = 0;
  private slow = 0;
  private side = 0;
  private seen = 0;
  init(ctx: StrategyContext): void {
    this.fast = this.slow = ctx.data.c[0];
  }
  next(bar: Bar, ctx: StrategyContext): void {
    const x = bar.c;
    this.fast += (2 / 21) * (x - this.fast);
    this.slow += (2 / 201) * (x - this.slow);
    if (++this.seen < 200) return;
    const want = this.fast > this.slow ? 1 : this.fast < this.slow ? -1 : this.side;
    if (want !== this.side) {
      ctx.close();
      if (want > 0) ctx.buy({ size: 100_000 });
      else ctx.sell({ size: 100_000 });
      this.side = want;
    }
  }
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const t0 = nowNs();
  const value = fn();
  return { ms: Number(nowNs() - t0) / 1e6, value };
}

function consensusBench(eurusd: BarSeries): Record<string, unknown> {
  const params = { method: 'bayesian', threshold: 0.2 };
  runBacktest(sliceBars(eurusd, 0, 500), createStrategy('consensus', params).strategy, { cash: 10_000 }); // JIT warm-up
  const cpu0 = process.cpuUsage();
  const { ms, value } = timed(() => runBacktest(eurusd, createStrategy('consensus', params).strategy, { cash: 10_000, finalizeTrades: true }));
  const cpu = process.cpuUsage(cpu0);
  return {
    source: 'backtesting.py EURUSD.csv (5000 hourly bars)',
    params: 'method=bayesian,threshold=0.2, all 15 backtest agents',
    bars: eurusd.length,
    trades: value.trades.length,
    ms: Math.round(ms),
    barsPerSec: Math.round(eurusd.length / (ms / 1000)),
    msPerBar: Number((ms / eurusd.length).toFixed(3)),
    cpuMsPerBar: Number(((cpu.user + cpu.system) / 1000 / eurusd.length).toFixed(3)),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

const bench: Bench = async (args) => {
  const nBars = Number(args[0] ?? 10_000_000);
  const runs = Number(args[1] ?? 3);

  // Bars.
  const eurusd = parseBarsCsv(fs.readFileSync(path.join(SHARED_DATA_DIR, 'backtesting.py', 'EURUSD.csv'), 'utf8'), { symbol: 'EURUSD' });
  const big = repeatBars(eurusd, nBars);
  const barMs: number[] = [];
  let trades = 0;
  let last: ReturnType<typeof runBacktest> | null = null;
  for (let r = 0; r < runs + 1; r++) {
    const { strategy } = createStrategy('sma-cross', { fast: 10, slow: 30 });
    const { ms, value } = timed(() => runBacktest(big, strategy, { cash: 10_000, commission: 0.0002, finalizeTrades: true }));
    if (r > 0) barMs.push(ms); // the first run warms up the JIT
    trades = value.trades.length;
    last = value;
  }
  const statsMs = last ? timed(() => computeStats({ t: big.t, close: big.c, equity: last!.equity, trades: last!.trades, warmupBars: last!.warmupBars })).ms : NaN;
  const barRunMs = median(barMs);

  // Ticks.
  const leanFile = path.join(SHARED_DATA_DIR, 'lean', 'forex', 'oanda', 'tick', 'eurusd', '20140508_eurusd_tick_quote.csv');
  const q = parseLeanQuoteTicks(fs.readFileSync(leanFile, 'utf8'), Date.UTC(2014, 4, 8));
  const tickBars = ticksToBars(q, 'EURUSD');
  const spread = medianRelativeSpread(q);
  const reps = 50;
  const manyTicks = repeatBars(tickBars, tickBars.length * reps);
  const tickOpts = { cash: 1_000_000, spread, margin: 0.02, finalizeTrades: true };
  const oneDay: number[] = [];
  const many: number[] = [];
  let tickTrades = 0;
  for (let r = 0; r < runs + 1; r++) {
    const a = timed(() => runBacktest(tickBars, new TickEmaCross(), tickOpts));
    const b = timed(() => runBacktest(manyTicks, new TickEmaCross(), tickOpts));
    if (r > 0) {
      oneDay.push(a.ms);
      many.push(b.ms);
    }
    tickTrades = a.value.trades.length;
  }

  // Optimisation throughput.
  const goog = parseBarsCsv(fs.readFileSync(path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv'), 'utf8'), { symbol: 'GOOG' });
  const workers = Math.max(1, os.availableParallelism());
  const pool = new BacktestPool(goog, { strategy: 'sma-cross', opts: { cash: 10_000, finalizeTrades: true }, maximize: 'sqn' }, workers);
  const combos = gridCombos(getStrategy('sma-cross'), { fast: Array.from({ length: 20 }, (_, k) => 2 + k * 2), slow: Array.from({ length: 20 }, (_, k) => 10 + k * 10) });
  const tasks = combos.map((params) => ({ params, from: 0, to: goog.length }));
  await pool.evaluate(tasks.slice(0, workers * 4)); // warm-up
  const t0 = nowNs();
  await pool.evaluate(tasks);
  const optMs = Number(nowNs() - t0) / 1e6;
  await pool.close();

  return {
    smaCross: {
      bars: nBars,
      source: 'backtesting.py EURUSD.csv (5000 hourly bars) repeated end to end',
      trades,
      runsMs: barMs.map((x) => Math.round(x)),
      medianMs: Math.round(barRunMs),
      barsPerSec: Math.round(nBars / (barRunMs / 1000)),
      statsMs: Math.round(statsMs),
      goalBarsPerSec: 1_000_000,
    },
    ticks: {
      source: 'Lean EURUSD 2014-05-08 quotes (mid bars, median relative spread charged on entry)',
      strategy: 'EMA(20) / EMA(200) cross on mid, 100k units, margin 0.02',
      ticks: tickBars.length,
      trades: tickTrades,
      oneDayMedianMs: Number(median(oneDay).toFixed(2)),
      oneDayTicksPerSec: Math.round(tickBars.length / (median(oneDay) / 1000)),
      repeatedTicks: manyTicks.length,
      repeatedMedianMs: Math.round(median(many)),
      ticksPerSec: Math.round(manyTicks.length / (median(many) / 1000)),
    },
    optimize: {
      data: 'GOOG daily, 2148 bars',
      workers,
      runs: tasks.length,
      ms: Math.round(optMs),
      runsPerSec: Math.round(tasks.length / (optMs / 1000)),
    },
    loadAverageAtEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
    consensus: consensusBench(eurusd),
  };
};

export default bench;
