/** `plan2 backtest` end to end through the CLI entry point (real files, real engine). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../cli/plan2';
import { SHARED_DATA_DIR } from '../../../paths';

const GOOG_CSV = path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('plan2 backtest', () => {
  it('--json: the acceptance run matches the published statistics', async () => {
    const r = await run(['backtest', '--csv', GOOG_CSV, '--strategy', 'sma-cross', '--params', 'fast=10,slow=30', '--cash', '10000', '--commission', '0', '--finalize-trades', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.stats).toMatchObject({ trades: 66, equityPeak: 75787.44, winRatePct: 46.96969696969697, maxDrawdownPct: -47.98012705007589, exposurePct: 96.74115456238361, buyHoldReturnPct: 522.0601851851852 });
    expect(j.stats.returnPct).toBeCloseTo(414.2298999999996, 9);
    expect(j.stats.equityFinal).toBeCloseTo(51422.98999999996, 9);
    expect(j.stats.sharpeRatio).toBeCloseTo(0.5803778344714113, 12);
    expect(typeof j.stats.sharpe).toBe('number');
    expect(j.stats.startIso).toBe('2004-08-19T00:00:00.000Z');
    expect(j.equity).toHaveLength(2148);
    expect(j.trades).toHaveLength(66);
    expect(Object.keys(j.trades[0])).toEqual(expect.arrayContaining(['size', 'entryBar', 'exitBar', 'entryTime', 'exitTime', 'entryPrice', 'exitPrice', 'pnl', 'returnPct']));
    expect(j.trades[0].size).toBeLessThan(0); // the first cross on GOOG is bearish: a short
    // Indicator values at entry and exit, as the reference's Entry_/Exit_ columns: at the signal
    // bar (entry − 1) the fast SMA had just crossed below the slow one.
    expect(Object.keys(j.trades[0].indicators)).toEqual(['SMA(10)', 'SMA(30)']);
    expect(j.trades[0].indicators['SMA(10)'].entry).toEqual(expect.any(Number));
    const t = j.trades[1];
    expect(t.returnPct).toBeCloseTo(((t.exitPrice / t.entryPrice - 1) * 100) * Math.sign(t.size), 9);
  });

  it('prints a table by default', async () => {
    const r = await run(['backtest', '--csv', GOOG_CSV, '--strategy', 'sma-cross', '--params', 'fast=10,slow=30', '--finalize-trades']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/# Trades\s+66/);
    expect(r.out).toMatch(/Max\. Drawdown Duration\s+584 days/);
  });

  it.each([
    [['--strategy', 'nope'], /unknown strategy 'nope'/],
    [['--strategy', 'sma-cross', '--params', 'fast=30,slow=10'], /fast \(30\) must be less than slow \(10\)/],
    [['--strategy', 'sma-cross', '--params', 'fast=10,slow=10'], /must be less than/],
    [['--strategy', 'sma-cross', '--params', 'speed=3'], /unknown parameter 'speed'/],
    [['--strategy', 'sma-cross', '--params', 'fast=abc'], /must be a number/],
    [['--strategy', 'sma-cross', '--params', 'fast=2.5'], /integer/],
    [['--strategy', 'sma-cross', '--cash', '0'], /--cash must be > 0/],
    [['--strategy', 'sma-cross', '--cash', '-5'], /--cash must be > 0/],
    [['--strategy', 'sma-cross', '--commission', '0.1'], /--commission must be in \[0, 0.1\)/],
    [['--strategy', 'sma-cross', '--commission', '-0.01'], /--commission/],
    [['--strategy', 'sma-cross', '--bogus'], /unknown option --bogus/],
    [['--params', 'fast=3'], /--strategy <name> is required/],
  ])('bad input %j → exit 2 with a clear message', async (extra, msg) => {
    const r = await run(['backtest', '--csv', GOOG_CSV, ...(extra as string[])]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg as RegExp);
  });

  it('--html writes a self-contained report next to the JSON output', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-bt-'));
    const file = path.join(dir, 'report.html');
    const r = await run(['backtest', '--csv', GOOG_CSV, '--strategy', 'rsi-reversion', '--json', '--html', file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).strategy).toEqual({ name: 'rsi-reversion', params: { period: 14, lower: 30, upper: 70, exit: 50 } });
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('rsi-reversion(period=14, lower=30, upper=70, exit=50)');
    expect(html).toContain('TradingView Lightweight Charts');
  });

  it('a bad CSV is exit 2 naming the line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-bt-'));
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, ',Open,High,Low,Close\n2020-01-01,1,2,0.5,1.5\n2020-01-02,1,x,0.5,1.5\n');
    let r = await run(['backtest', '--csv', bad, '--strategy', 'sma-cross']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 3, column "High": "x" is not a number/);
    fs.writeFileSync(bad, 'a,b,c\n1,2,3\n');
    r = await run(['backtest', '--csv', bad, '--strategy', 'sma-cross']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/header/);
    r = await run(['backtest', '--csv', path.join(dir, 'missing.csv'), '--strategy', 'sma-cross']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read/);
  });
});
