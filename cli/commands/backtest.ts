/** `plan2 backtest`: run a built-in strategy over an OHLCV CSV and print statistics (table or JSON), optionally an HTML report. */
import * as fs from 'node:fs';
import { runBacktest } from '../../lib/backtest/engine';
import { renderReport } from '../../lib/backtest/report';
import { statsTable } from '../../lib/backtest/format';
import { backtestJson } from '../../lib/backtest/result-json';
import { computeStats } from '../../lib/backtest/stats';
import { createStrategy, displayParams, listStrategies, parseParamString } from '../../lib/strategies/registry';
import { CliCommand, UsageError, flagString, parseArgs } from '../command';
import { loadChartLibrary } from '../report-assets';
import { BROKER_BOOLEANS, asUsage, brokerOptions, loadBars, progressBar, rejectUnknownFlags } from '../backtest-common';

const usage = `Usage: plan2 backtest --csv <file> --strategy <name> [--params k=v,…] [options]

Runs a strategy over OHLCV bars (CSV with a header naming time, Open, High, Low, Close
and optionally Volume — comma, tab or semicolon separated; times YYYY-MM-DD[ HH:MM[:SS]]
as UTC unless they carry an offset, or epoch s/ms) with backtesting.py 0.6 fill semantics:
market orders fill at the next bar's open, sizes default to all available cash.

Options:
  --csv <file>           bars to test (required)
  --strategy <name>      ${listStrategies().map((d) => d.name).join(' | ')} (required)
  --params k=v,…         strategy parameters, e.g. fast=10,slow=30 (defaults otherwise)
  --cash <n>             starting cash, > 0 (default 10000)
  --commission <r>       rate of traded value charged on entry and exit, [0, 0.1) (default 0)
  --spread <r>           relative spread added to entry prices (default 0)
  --margin <r>           margin ratio in (0, 1]; leverage = 1/margin (default 1)
  --exclusive-orders     each new order first closes the open position
  --finalize-trades      close trades still open at the end (they count in the stats)
  --trade-on-close       fill market orders at the signal bar's close
  --hedging              allow long and short trades at once
  --json                 print {"stats","trades","equity",…} as JSON
  --html <file>          write a self-contained HTML report
  --symbol <s>           symbol (reports; the agents of consensus), default from the file name

Strategies:
${listStrategies()
  .map((d) => `  ${d.name}: ${d.summary}\n    ${d.params.map((p) => `${p.name}=${p.default} (${p.description})`).join(', ')}`)
  .join('\n')}

JSON conventions: percentages in percent, maxDrawdownPct negative, times in ms since
epoch UTC, durations in ms, bars 0-based, trade size signed (negative = short), null
for undefined values. sharpeRatio is backtesting.py's; sharpe is mean/std (ddof 1) of
per-bar equity returns × √(bars per year).
`;

const command: CliCommand = {
  name: 'backtest',
  summary: 'Backtest a strategy over an OHLCV CSV (stats, trades, equity; JSON or HTML report)',
  usage,
  async run(argv) {
    const p = parseArgs(argv, [...BROKER_BOOLEANS, 'json']);
    rejectUnknownFlags(p, ['csv', 'strategy', 'params', 'cash', 'commission', 'spread', 'margin', 'json', 'html', 'symbol', ...BROKER_BOOLEANS]);
    const name = flagString(p, 'strategy');
    if (!name) throw new UsageError('--strategy <name> is required');
    const given = asUsage(() => parseParamString(flagString(p, 'params') ?? ''));
    const created = asUsage(() => createStrategy(name, given));
    const { strategy } = created;
    const params = displayParams(created.def, created.params);
    const opts = brokerOptions(p);
    const htmlFile = flagString(p, 'html');
    const bars = loadBars(p);

    const bar = progressBar(bars.length, 'bars', 200_000, 2_000_000);
    const result = asUsage(() =>
      runBacktest(bars, strategy, { ...opts, onProgress: bar ? (done) => bar.update(done) : undefined, progressEvery: 100_000 }),
    );
    bar?.stop();
    const stats = computeStats({ t: bars.t, close: bars.c, equity: result.equity, trades: result.trades, warmupBars: result.warmupBars });

    if (htmlFile) {
      fs.writeFileSync(htmlFile, renderReport({ bars, result, stats, strategy: name, params, settings: opts, chartLibrary: loadChartLibrary() }));
      if (!p.flags.json) process.stderr.write(`wrote ${htmlFile}\n`);
    }
    const { onProgress: _p, ...settings } = opts;
    if (p.flags.json) {
      process.stdout.write(JSON.stringify(backtestJson({ bars, result, stats, strategy: name, params, settings })) + '\n');
    } else {
      process.stdout.write(`${name}(${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(',')})\n${statsTable(stats)}\n`);
      for (const w of result.warnings.slice(0, 5)) process.stderr.write(`warning: ${w}\n`);
    }
    return 0;
  },
};

export default command;
