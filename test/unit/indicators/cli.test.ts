/** `plan2 indicators` end to end through `main`, capturing stdout/stderr. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SHARED_DATA_DIR } from '../../../paths';
import { main } from '../../../cli/plan2';
import { BBands, Ema, Macd, Rsi, Sma } from '../../../lib/indicators';
import { loadData } from './helpers';

const EURUSD = path.join(SHARED_DATA_DIR, 'backtesting.py', 'EURUSD.csv');
const GOOG = path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-ind-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('plan2 indicators --json', () => {
  it('prints exactly one object with the default five indicators, arrays of length n, null warm-up', async () => {
    const r = await run(['indicators', '--csv', EURUSD, '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const o = JSON.parse(r.out) as { n: number; timestamps: number[]; indicators: Record<string, Record<string, (number | null)[]>> };
    expect(Object.keys(o)).toEqual(['n', 'timestamps', 'indicators']);
    expect(o.n).toBe(5000);
    expect(o.timestamps).toHaveLength(5000);
    expect(o.timestamps[0]).toBe(Date.UTC(2017, 3, 19, 9));
    expect(Object.keys(o.indicators)).toEqual(['RSI_14', 'MACD_12_26_9', 'SMA_20', 'EMA_20', 'BBANDS_20_2']);
    expect(Object.keys(o.indicators.RSI_14)).toEqual(['values']);
    expect(Object.keys(o.indicators.MACD_12_26_9)).toEqual(['macd', 'signal', 'hist']);
    expect(Object.keys(o.indicators.BBANDS_20_2)).toEqual(['upper', 'middle', 'lower']);
    for (const series of Object.values(o.indicators)) for (const arr of Object.values(series)) expect(arr).toHaveLength(5000);
    const d = loadData('EURUSD');
    // Same numbers as the library (JSON round-trips doubles exactly).
    expect(o.indicators.RSI_14.values).toEqual(new Rsi(14).compute(d.close).values);
    expect(o.indicators.MACD_12_26_9).toEqual(new Macd(12, 26, 9).compute(d.close));
    expect(o.indicators.SMA_20.values).toEqual(new Sma(20).compute(d.close).values);
    expect(o.indicators.EMA_20.values).toEqual(new Ema(20).compute(d.close).values);
    expect(o.indicators.BBANDS_20_2).toEqual(new BBands(20, 2).compute(d.close));
    expect(o.indicators.RSI_14.values.slice(0, 14).every((v) => v === null)).toBe(true);
    expect(o.indicators.RSI_14.values[14]).not.toBeNull();
    expect(o.indicators.MACD_12_26_9.signal.findIndex((v) => v !== null)).toBe(33);
  });

  it('honours --set and --column', async () => {
    const r = await run(['indicators', '--csv', GOOG, '--json', '--set', 'sma:5, ema:3', '--column', 'high']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out) as { indicators: Record<string, Record<string, (number | null)[]>> };
    expect(Object.keys(o.indicators)).toEqual(['SMA_5', 'EMA_3']);
    expect(o.indicators.SMA_5.values).toEqual(new Sma(5).compute(loadData('GOOG').high).values);
  });
});

describe('plan2 indicators (table)', () => {
  it('prints the last rows as a table', async () => {
    const r = await run(['indicators', '--csv', GOOG, '--rows', '3']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/GOOG\.csv: 2148 rows, 2004-08-19 → 2013-03-01/);
    expect(lines[2]).toMatch(/^time\s+close\s+RSI_14\s+MACD_12_26_9\.macd\s+MACD_12_26_9\.signal\s+MACD_12_26_9\.hist\s+SMA_20\s+EMA_20\s+BBANDS_20_2\.upper/);
    expect(lines.slice(3)).toHaveLength(3);
    expect(lines[5]).toMatch(/^2013-03-01\s+806\.19/);
  });
});

describe('plan2 indicators: bad input exits 2 with a clear message', () => {
  const ok = ',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1,10\n2024-01-02,1,2,0.5,1.1,10\n2024-01-03,1,2,0.5,1.2,10\n';
  it.each([
    [() => ['--csv', file('empty.csv', '')], /empty/],
    [() => ['--csv', file('nocol.csv', ',Open,High,Low,Volume\n2024-01-01,1,2,0.5,10\n')], /missing column "close"/],
    [() => ['--csv', file('nan.csv', ',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,x,10\n')], /line 2, column "Close": "x" is not a number/],
    [() => ['--csv', file('inf.csv', ',Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,inf,10\n')], /"inf" is not a finite number/],
    [() => ['--csv', file('unsorted.csv', ',Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1,10\n2024-01-01,1,2,0.5,1,10\n')], /line 3: timestamp 2024-01-01 00:00:00 is earlier/],
    [() => ['--csv', file('dup.csv', ',Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1,10\n2024-01-02,1,2,0.5,1,10\n')], /line 3: duplicate timestamp/],
    [() => ['--csv', file('ok.csv', ok), '--set', 'rsi:0'], /RSI: period must be an integer in \[2, 100000\], got 0 \(spec "rsi:0"\)/],
    [() => ['--csv', file('ok.csv', ok), '--set', 'sma:-3'], /SMA: period must be an integer in \[1, 100000\], got -3/],
    [() => ['--csv', file('ok.csv', ok), '--set', 'sma:2.5'], /sma: period must be an integer, got "2.5"/],
    [() => ['--csv', file('ok.csv', ok), '--set', 'foo:3'], /unknown indicator "foo" in spec "foo:3"; known: .*sma/],
    [() => ['--csv', file('ok.csv', ok), '--set', 'sma:5'], /SMA_5 needs at least 5 rows \(lookback 4\); .*ok\.csv has 3/],
    [() => ['--csv', file('ok.csv', ok), '--set', 'sma:2', '--column', 'vwap'], /--column must be one of/],
    [() => ['--csv', path.join(tmp, 'nope.csv')], /cannot read --csv/],
    [() => [], /--csv <file> is required/],
    [() => ['--csv', file('ok.csv', ok), '--bogus'], /unknown option --bogus/],
  ])('case %#', async (args, re) => {
    const r = await run(['indicators', ...args()]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(re);
  });
});
