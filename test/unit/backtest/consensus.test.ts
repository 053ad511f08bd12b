/** The `consensus` strategy: the agents' pure classes and the live fusion run offline over real EUR/USD hourly bars. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { symbolFromFileName } from '../../../cli/backtest-common';
import { main } from '../../../cli/plan2';
import { parseBarsCsv } from '../../../lib/backtest/csv-bars';
import { runBacktest } from '../../../lib/backtest/engine';
import { BarSeries, sliceBars } from '../../../lib/backtest/types';
import { BACKTEST_AGENT_IDS, ConsensusStrategy, inferTimeframe } from '../../../lib/strategies/consensus';
import { createStrategy, displayParams, getStrategy, parseParamString, resolveParams } from '../../../lib/strategies/registry';
import { SHARED_DATA_DIR } from '../../../paths';

const EURUSD_CSV = path.join(SHARED_DATA_DIR, 'backtesting.py', 'EURUSD.csv');
const N = 600;
const eurusd = (): BarSeries => sliceBars(parseBarsCsv(fs.readFileSync(EURUSD_CSV, 'utf8'), { symbol: 'EURUSD' }), 0, N);

/** Prices reflected around their mean: rises become falls (high and low swap). */
function mirrored(b: BarSeries): BarSeries {
  let m = 0;
  for (let i = 0; i < b.length; i++) m += b.c[i];
  m /= b.length;
  const f = (x: Float64Array) => x.map((v) => 2 * m - v);
  return { ...b, o: f(b.o), h: f(b.l), l: f(b.h), c: f(b.c) };
}

function run(b: BarSeries, threshold = 0.2) {
  const s = new ConsensusStrategy({ method: 'bayesian', threshold });
  const r = runBacktest(b, s, { cash: 10_000, finalizeTrades: true });
  return { r, s };
}

describe('consensus strategy', () => {
  it('infers the timeframe from the bar spacing', () => {
    const at = (step: number, n = 10) => Array.from({ length: n }, (_, i) => 1e12 + i * step);
    expect(inferTimeframe(at(60_000))).toBe('M1');
    expect(inferTimeframe(at(300_000))).toBe('M5');
    expect(inferTimeframe(at(900_000))).toBe('M15');
    expect(inferTimeframe(at(3_600_000))).toBe('H1');
    expect(inferTimeframe(at(86_400_000))).toBe('D1');
    expect(inferTimeframe(at(7 * 86_400_000))).toBe('D1');
    expect(inferTimeframe(at(1000))).toBe('M1');
    // weekend gaps don't move the median
    expect(inferTimeframe(eurusd().t)).toBe('H1');
  });

  it('takes method, threshold and an agent subset as named parameters', () => {
    const def = getStrategy('consensus');
    const p = resolveParams(def, parseParamString('method=weighted,threshold=0.3,agents=market-analysis+technical-indicator'));
    expect(displayParams(def, p)).toEqual({ method: 'weighted', threshold: 0.3, agents: 'market-analysis+technical-indicator', flatOnHold: 0 });
    expect(displayParams(def, resolveParams(def, {}))).toEqual({ method: 'bayesian', threshold: 0, agents: 'all', flatOnHold: 0 });
    expect(() => resolveParams(def, { method: 'neural' })).toThrow(/method must be one of weighted, bayesian/);
    expect(() => resolveParams(def, { agents: 'market-analysis+oracle' })).toThrow(/unknown 'oracle'/);
    expect(() => resolveParams(def, { threshold: 2 })).toThrow(/threshold must be in \[0, 1\]/);
    expect(() => resolveParams(getStrategy('sma-cross'), { fast: 'ten' })).toThrow(/fast must be a number/);
    expect(BACKTEST_AGENT_IDS).toHaveLength(15);
    expect(BACKTEST_AGENT_IDS).not.toContain('system-health');
  });

  it('is deterministic and not trivial on real EUR/USD hourly bars', () => {
    const a = run(eurusd());
    const b = run(eurusd());
    expect(b.r.trades).toEqual(a.r.trades);
    expect(Array.from(b.r.equity)).toEqual(Array.from(a.r.equity));
    expect(b.s.decisions).toEqual(a.s.decisions);
    // it trades, both ways, and its decisions vary
    expect(a.r.trades.length).toBeGreaterThan(10);
    expect(a.r.trades.some((t) => t.size > 0) && a.r.trades.some((t) => t.size < 0)).toBe(true);
    const actions = new Set(a.s.decisions.map((d) => d.action));
    expect(actions).toEqual(new Set(['buy', 'sell', 'hold']));
    expect(new Set(a.s.decisions.map((d) => d.confidence.toFixed(4))).size).toBeGreaterThan(50);
    // every agent answered on every bar (no abstentions), and equity moved
    expect(a.s.abstentions.size).toBe(0);
    expect(a.s.decisions.every((d) => d.opinions === 15)).toBe(true);
    expect(Math.max(...a.r.equity) - Math.min(...a.r.equity)).toBeGreaterThan(50);
  });

  it('decides from the data: mirrored prices give other decisions and trades', () => {
    const a = run(eurusd());
    const m = run(mirrored(eurusd()));
    const differ = a.s.decisions.filter((d, i) => d.action !== m.s.decisions[i].action).length;
    expect(differ).toBeGreaterThan(N / 10);
    const dir = (ds: typeof a.s.decisions) => ds.filter((d) => d.action === 'buy').length - ds.filter((d) => d.action === 'sell').length;
    expect(dir(m.s.decisions)).not.toBe(dir(a.s.decisions));
    expect(m.r.trades).not.toEqual(a.r.trades);
  });

  it('runs from the registry as a plain Strategy', () => {
    const { strategy } = createStrategy('consensus', { method: 'weighted', agents: 'market-analysis+technical-indicator+strategy-formulation' });
    const r = runBacktest(sliceBars(eurusd(), 0, 300), strategy, { cash: 10_000 });
    expect(r.trades.length + r.openTrades.length).toBeGreaterThan(0);
    expect((strategy as ConsensusStrategy).decisions.every((d) => d.opinions === 3)).toBe(true);
  });
});

describe('plan2 backtest --strategy consensus', () => {
  it('names the symbol after the file unless --symbol is given', () => {
    expect(symbolFromFileName('/data/EURUSD.csv')).toBe('EURUSD');
    expect(symbolFromFileName('goog.csv')).toBe('GOOG');
    expect(symbolFromFileName('20140508_eurusd_tick_quote.csv')).toBeUndefined();
  });

  it('takes method=bayesian,threshold=0.2 (exit 2 on a bad method)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-cbt-'));
    const file = path.join(dir, 'EURUSD.csv');
    fs.writeFileSync(file, fs.readFileSync(EURUSD_CSV, 'utf8').split('\n').slice(0, 401).join('\n') + '\n');
    let out = '';
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await main(['backtest', '--csv', file, '--strategy', 'consensus', '--params', 'method=bayesian,threshold=0.2', '--finalize-trades', '--json']);
      expect(code).toBe(0);
      const bad = await main(['backtest', '--csv', file, '--strategy', 'consensus', '--params', 'method=oracle']);
      expect(bad).toBe(2);
    } finally {
      o.mockRestore();
      e.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const j = JSON.parse(out.split('\n')[0]);
    expect(j.strategy).toEqual({ name: 'consensus', params: { method: 'bayesian', threshold: 0.2, agents: 'all', flatOnHold: 0 } });
    expect(j.equity).toHaveLength(400);
    expect(j.trades.length).toBeGreaterThan(3);
    // the same run through the library gives the same trades (the CLI adds nothing)
    const bars = sliceBars(eurusd(), 0, 400);
    const s = new ConsensusStrategy({ method: 'bayesian', threshold: 0.2 });
    const r = runBacktest(bars, s, { cash: 10_000, finalizeTrades: true });
    expect(j.trades.map((t: { entryBar: number; size: number }) => [t.entryBar, t.size])).toEqual(r.trades.map((t) => [t.entryBar, t.size]));
  });
});
