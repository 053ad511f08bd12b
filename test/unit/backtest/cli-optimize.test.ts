/** `plan2 optimize` through the CLI entry point. */
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
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('plan2 optimize', () => {
  it('grid on two workers: JSON with every combination and the best, HTML with a heat map', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-opt-'));
    const html = path.join(dir, 'opt.html');
    const r = await run(['optimize', '--csv', GOOG_CSV, '--strategy', 'sma-cross', '--grid', 'fast=5:15:5,slow=20|30', '--finalize-trades', '--workers', '2', '--json', '--html', html]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.runs).toBe(6);
    expect(j.results).toHaveLength(6);
    const best = j.results.reduce((a: { score: number }, b: { score: number }) => (b.score > a.score ? b : a));
    expect(j.best.params).toEqual(best.params);
    expect(j.results.find((x: { params: { fast: number; slow: number } }) => x.params.fast === 10 && x.params.slow === 30).score).toBeCloseTo(1.0766187356697705, 10);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('Optimisation heat map: sqn');
    expect(page).toContain('TradingView Lightweight Charts');
  });

  it('walk-forward in this thread prints one line per fold', async () => {
    const r = await run(['optimize', '--csv', GOOG_CSV, '--strategy', 'sma-cross', '--grid', 'fast=5|10,slow=20|30', '--walk-forward', '--in-sample', '800', '--out-of-sample', '400', '--workers', '0']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/walk-forward, 3 folds/);
    expect(r.out.match(/^ {2}IS /gm)).toHaveLength(3);
    expect(r.out).toMatch(/out-of-sample return \(chained\)/);
  });

  it.each([
    [['--strategy', 'sma-cross'], /--grid <ranges> is required/],
    [['--strategy', 'sma-cross', '--grid', 'fast=30,slow=10'], /no admissible/],
    [['--strategy', 'sma-cross', '--grid', 'fast=5,slow=20', '--method', 'annealing'], /--method/],
    [['--strategy', 'sma-cross', '--grid', 'fast=5,slow=20', '--maximize', 'luck'], /--maximize/],
    [['--strategy', 'sma-cross', '--grid', 'fast=5,slow=20', '--walk-forward', '--in-sample', '5000', '--out-of-sample', '100', '--workers', '0'], /fewer than one fold/],
    [['--strategy', 'nope', '--grid', 'fast=5'], /unknown strategy/],
  ])('bad input %j → exit 2', async (extra, msg) => {
    const r = await run(['optimize', '--csv', GOOG_CSV, ...(extra as string[])]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg as RegExp);
  });
});
