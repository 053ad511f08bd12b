/** `plan2 optimize`: grid / random / successive-halving search and walk-forward over strategy parameters, in parallel. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { runBacktest } from '../../lib/backtest/engine';
import { statsTable } from '../../lib/backtest/format';
import {
  evaluateTask,
  gridCombos,
  optimize,
  parseRanges,
  walkForward,
  type Evaluator,
  type OptimizeResult,
  type OptimizeSpec,
  type StatKey,
  type WalkForwardResult,
} from '../../lib/backtest/optimize';
import { escapeHtml, renderHeatmap, renderReport } from '../../lib/backtest/report';
import { num, statsJson } from '../../lib/backtest/result-json';
import { computeStats, type BacktestStats } from '../../lib/backtest/stats';
import { BacktestPool } from '../../lib/backtest/worker-pool';
import { getStrategy, listStrategies } from '../../lib/strategies/registry';
import { CliCommand, UsageError, flagNumber, flagString, parseArgs } from '../command';
import { loadChartLibrary } from '../report-assets';
import { BROKER_BOOLEANS, asUsage, brokerOptions, loadBars, progressBar, rejectUnknownFlags } from '../backtest-common';

const STAT_KEYS: StatKey[] = [
  'sqn', 'sharpeRatio', 'sharpe', 'sortinoRatio', 'calmarRatio', 'returnPct', 'returnAnnPct', 'cagrPct', 'equityFinal',
  'winRatePct', 'profitFactor', 'expectancyPct', 'avgTradePct', 'maxDrawdownPct', 'kellyCriterion', 'alphaPct',
];

const usage = `Usage: plan2 optimize --csv <file> --strategy <name> --grid <ranges> [options]

Searches strategy parameters; every run uses the same broker rules as plan2 backtest.

Options:
  --grid <ranges>        parameter values: name=a:b:step (inclusive), name=a|b|c, name=v;
                         e.g. fast=5:30:5,slow=20:100:10 (combinations the strategy rejects are skipped)
  --method <m>           grid (default) | random | halving (successive halving, η = 3)
  --samples <n>          random: combinations to draw (default 100); halving: to start from (default all)
  --seed <n>             seed of the random draw (default 1)
  --maximize <stat>      ${STAT_KEYS.join(' | ')} (default sqn)
  --workers <n>          worker threads (default: CPU count; 0 = run in this thread)
  --walk-forward         rolling optimisation: --in-sample <bars> then --out-of-sample <bars>, stepping by the latter
  --in-sample <n>        bars per in-sample window
  --out-of-sample <n>    bars per out-of-sample window
  --top <n>              rows of the result table (default 10)
  --json                 print the result as JSON
  --html <file>          report of the best parameters over all bars, with the heat map
  --csv, --cash, --commission, --spread, --margin, --exclusive-orders, --finalize-trades,
  --trade-on-close, --hedging, --symbol: as plan2 backtest

Strategies: ${listStrategies().map((d) => `${d.name} (${d.params.map((p) => p.name).join(', ')})`).join('; ')}
`;

function scoreText(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : '—';
}

function statsBrief(s: BacktestStats | undefined | null): Record<string, number | null> {
  if (!s) return {};
  return { trades: s.trades, returnPct: num(s.returnPct), sharpeRatio: num(s.sharpeRatio), sqn: num(s.sqn), maxDrawdownPct: num(s.maxDrawdownPct), winRatePct: num(s.winRatePct) };
}

const command: CliCommand = {
  name: 'optimize',
  summary: 'Optimise strategy parameters (grid, random, halving, walk-forward) in parallel; heat map report',
  usage,
  async run(argv) {
    const p = parseArgs(argv, [...BROKER_BOOLEANS, 'json', 'walk-forward']);
    rejectUnknownFlags(p, [
      'csv', 'strategy', 'grid', 'method', 'samples', 'seed', 'maximize', 'workers', 'walk-forward', 'in-sample', 'out-of-sample', 'top', 'json', 'html', 'symbol',
      'cash', 'commission', 'spread', 'margin', ...BROKER_BOOLEANS,
    ]);
    const name = flagString(p, 'strategy');
    if (!name) throw new UsageError('--strategy <name> is required');
    const def = asUsage(() => getStrategy(name));
    const gridSpec = flagString(p, 'grid');
    if (!gridSpec) throw new UsageError('--grid <ranges> is required, e.g. fast=5:30:5,slow=20:100:10');
    const ranges = asUsage(() => parseRanges(gridSpec));
    const method = (flagString(p, 'method') ?? 'grid') as OptimizeSpec['method'];
    if (!['grid', 'random', 'halving'].includes(method)) throw new UsageError(`--method must be grid, random or halving, got ${method}`);
    const maximize = (flagString(p, 'maximize') ?? 'sqn') as StatKey;
    if (!STAT_KEYS.includes(maximize)) throw new UsageError(`--maximize must be one of ${STAT_KEYS.join(', ')}`);
    const samplesFlag = flagString(p, 'samples');
    const samples = samplesFlag === undefined ? undefined : flagNumber(p, 'samples', 0);
    if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1)) throw new UsageError('--samples must be a whole number ≥ 1');
    const seed = flagNumber(p, 'seed', 1);
    const workers = flagNumber(p, 'workers', Math.max(1, os.availableParallelism()));
    if (!(Number.isInteger(workers) && workers >= 0 && workers <= 256)) throw new UsageError('--workers must be a whole number in [0, 256]');
    const top = flagNumber(p, 'top', 10);
    const wf = p.flags['walk-forward'] === true;
    const opts = brokerOptions(p);
    const bars = loadBars(p);
    const spec: OptimizeSpec = { strategy: name, ranges, maximize, method, samples, seed };
    asUsage(() => gridCombos(def, ranges)); // fail fast on a bad grid, before any worker starts

    let total = 0;
    let done = 0;
    const prog: { bar: ReturnType<typeof progressBar> } = { bar: null };
    const planned = (n: number): void => {
      total += n;
      prog.bar ??= progressBar(Math.max(total, 1), 'runs', 20, 500);
      prog.bar?.setTotal(total);
    };
    const finished = (n: number): void => {
      done += n;
      prog.bar?.update(done);
    };

    let pool: BacktestPool | null = null;
    let evaluate: Evaluator;
    const { onProgress: _op, ...plainOpts } = opts;
    if (workers > 0) {
      pool = new BacktestPool(bars, { strategy: name, opts: { ...plainOpts, commission: opts.commission as number }, maximize }, workers);
      pool.onDone = finished;
      evaluate = pool.evaluate;
    } else {
      evaluate = async (tasks) => tasks.map((t) => {
        const r = evaluateTask(bars, def, plainOpts, maximize, t);
        finished(1);
        return r;
      });
    }

    let result: OptimizeResult | null = null;
    let walk: WalkForwardResult | null = null;
    try {
      if (wf) {
        const inSample = flagNumber(p, 'in-sample', NaN);
        const outOfSample = flagNumber(p, 'out-of-sample', NaN);
        walk = await asUsageAsync(() => walkForward(bars, def, { ...spec, inSample, outOfSample }, evaluate, planned));
      } else {
        result = await asUsageAsync(() => optimize(def, spec, evaluate, { from: 0, to: bars.length }, planned));
      }
    } finally {
      prog.bar?.stop();
      await pool?.close();
    }

    const best = result?.best ?? null;
    let bestRun: { stats: BacktestStats; html?: string } | null = null;
    const htmlFile = flagString(p, 'html');
    const fullParams = best?.params ?? walk?.folds[walk.folds.length - 1]?.best?.params;
    if (fullParams && (htmlFile || result)) {
      const r = runBacktest(bars, def.create(fullParams, {}), opts);
      const stats = computeStats({ t: bars.t, close: bars.c, equity: r.equity, trades: r.trades, warmupBars: r.warmupBars });
      bestRun = { stats };
      if (htmlFile) {
        const extra = [result ? renderHeatmap(result.results, maximize) : '', walk ? walkForwardHtml(walk) : ''].join('\n');
        const title = `${name}(${Object.entries(fullParams).map(([k, v]) => `${k}=${v}`).join(', ')}) — ${walk ? 'walk-forward, last fold\'s parameters' : `best ${maximize} of ${result?.runs} runs (${method})`}`;
        fs.writeFileSync(htmlFile, renderReport({ bars, result: r, stats, strategy: name, params: fullParams, settings: plainOpts, chartLibrary: loadChartLibrary(), title, extraHtml: extra }));
        if (!p.flags.json) process.stderr.write(`wrote ${htmlFile}\n`);
      }
    }

    if (p.flags.json) {
      const out = result
        ? {
            method, maximize, gridSize: result.gridSize, runs: result.runs,
            best: best ? { params: best.params, score: num(best.score), stats: bestRun ? statsJson(bestRun.stats) : null } : null,
            results: result.results.map((r) => ({ params: r.params, score: num(r.score), ...statsBrief(r.stats) })),
          }
        : {
            method, maximize, walkForward: true, runs: walk?.runs, oosReturnPct: num(walk?.oosReturnPct ?? NaN), oosTrades: walk?.oosTrades,
            folds: walk?.folds.map((f) => ({ inSample: f.inSample, outOfSample: f.outOfSample, params: f.best?.params ?? null, inSampleScore: num(f.best?.score ?? NaN), oos: statsBrief(f.oos) })),
          };
      process.stdout.write(JSON.stringify(out) + '\n');
      return 0;
    }

    if (result) {
      const ranked = result.results.filter((r) => r.score === r.score).sort((a, b) => b.score - a.score).slice(0, top);
      const lines = [`${name}: ${result.runs} runs (${method}) over ${result.gridSize} admissible combinations, maximising ${maximize}`];
      if (!best) lines.push('no run made a trade');
      for (const r of ranked) lines.push(`  ${scoreText(r.score).padStart(10)}  ${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(',')}`);
      if (best && bestRun) lines.push('', `best: ${Object.entries(best.params).map(([k, v]) => `${k}=${v}`).join(',')}`, statsTable(bestRun.stats));
      process.stdout.write(lines.join('\n') + '\n');
    } else if (walk) {
      const lines = [`${name}: walk-forward, ${walk.folds.length} folds, ${walk.runs} runs, maximising ${maximize}`];
      for (const f of walk.folds) {
        const d = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
        lines.push(
          `  IS ${d(f.inSample.startTime)}…${d(f.inSample.endTime)}  OOS ${d(f.outOfSample.startTime)}…${d(f.outOfSample.endTime)}  ` +
            `${f.best ? Object.entries(f.best.params).map(([k, v]) => `${k}=${v}`).join(',') : '(no trades in-sample)'}  ` +
            `IS ${scoreText(f.best?.score ?? NaN)}  OOS return ${scoreText(f.oos?.returnPct ?? NaN)}%  trades ${f.oos?.trades ?? 0}`,
        );
      }
      lines.push(`out-of-sample return (chained): ${scoreText(walk.oosReturnPct)}%, ${walk.oosTrades} trades`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  },
};

async function asUsageAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return asUsage(() => {
      throw e;
    });
  }
}

function walkForwardHtml(w: WalkForwardResult): string {
  const d = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const rows = w.folds
    .map(
      (f) =>
        `<tr><td>${d(f.inSample.startTime)} … ${d(f.inSample.endTime)}</td><td>${d(f.outOfSample.startTime)} … ${d(f.outOfSample.endTime)}</td>` +
        `<td>${escapeHtml(f.best ? Object.entries(f.best.params).map(([k, v]) => `${k}=${v}`).join(', ') : '—')}</td><td>${scoreText(f.best?.score ?? NaN)}</td>` +
        `<td>${scoreText(f.oos?.returnPct ?? NaN)}</td><td>${f.oos?.trades ?? 0}</td><td>${scoreText(f.oos?.maxDrawdownPct ?? NaN)}</td></tr>`,
    )
    .join('\n');
  return `<h2>Walk-forward: out-of-sample return ${scoreText(w.oosReturnPct)} % over ${w.folds.length} folds</h2>
<div class="scroll"><table><thead><tr><th>In-sample</th><th>Out-of-sample</th><th>Parameters</th><th>IS score</th><th>OOS return %</th><th>OOS trades</th><th>OOS max DD %</th></tr></thead><tbody>
${rows}
</tbody></table></div>`;
}

export default command;
