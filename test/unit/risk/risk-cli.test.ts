import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../cli/plan2';
import { SHARED_DATA_DIR } from '../../../paths';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('plan2 risk', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-risk-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it('prints the documented JSON for GOOG closes (numpy reference values)', async () => {
    const r = await run(['risk', '--csv', path.join(SHARED_DATA_DIR, 'backtesting.py/GOOG.csv'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, number | string>;
    expect(Object.keys(j)).toEqual(['n', 'returns', 'mean', 'std', 'sharpe', 'var95', 'var99', 'es95', 'es99', 'maxDrawdown', 'peakIndex', 'troughIndex']);
    expect(j.n).toBe(2147);
    expect(j.returns).toBe('log');
    expect(j.sharpe as number).toBeCloseTo(0.7158701687944146, 11);
    expect(j.var99 as number).toBeCloseTo(0.05938666009338597, 12);
    expect(j.es95 as number).toBeCloseTo(0.04944338866784991, 12);
    expect(j.maxDrawdown as number).toBeCloseTo(0.6529475997249895, 13);
  });

  it('hand-checkable tiny series with --column and --returns simple', async () => {
    // Prices 100, 110, 99, 108.9: simple returns 0.1, −0.1, 0.1; max drawdown (110 − 99)/110 = 0.1.
    const f = write('tiny.csv', 'Date,Open,Price\n2024-01-01,1,100\n2024-01-02,1,110\r\n2024-01-03,1,99\n2024-01-04,1,108.9\n\n');
    const r = await run(['risk', '--csv', f, '--column', 'price', '--returns', 'simple', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, number>;
    expect(j.n).toBe(3);
    expect(j.mean).toBeCloseTo(0.1 / 3, 14);
    expect(j.std).toBeCloseTo(Math.sqrt((2 * (0.1 - 0.1 / 3) ** 2 + (-0.1 - 0.1 / 3) ** 2) / 2), 14);
    // quantile of [−0.1, 0.1, 0.1] at 0.05: h = 0.1 → −0.1 + 0.1·0.2 = −0.08.
    expect(j.var95).toBeCloseTo(0.08, 14);
    expect(j.es95).toBeCloseTo(0.1, 14);
    expect(j.maxDrawdown).toBeCloseTo(0.1, 14);
    expect([j.peakIndex, j.troughIndex]).toEqual([1, 2]);
  });

  it('prints a readable table without --json', async () => {
    const r = await run(['risk', '--csv', path.join(SHARED_DATA_DIR, 'backtesting.py/EURUSD.csv')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/4999 log returns/);
    expect(r.out).toMatch(/max drawdown\s+4\.2736 %/);
  });

  it.each([
    [['risk'], /--csv <file> is required/],
    [['risk', '--csv', '/nonexistent/x.csv'], /cannot read/],
    [['risk', '--csv', 'GOOD', '--returns', 'cubic'], /log or simple/],
  ])('bad arguments exit 2: %j', async (argv, msg) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });

  it('bad files exit 2 with the reason', async () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['time,close\n2024-01-01,1\n2024-01-03,2\n2024-01-02,3\n', /line 4: timestamp 2024-01-02 00:00:00 is earlier/],
      ['time,close\n2024-01-01,1\n2024-01-02,x\n2024-01-03,3\n', /line 3, column "close": "x" is not a number/],
      ['time,open\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n', /missing column "close"/],
      ['a,b\n1,2\n', /no column "close".*columns: a, b/],
      ['close\n1\n2\nabc\n', /line 4: column "close" is "abc"/],
      ['close\n1\n\n2\n', /at least 3 prices/],
      ['close\n1\n0\n2\n', /positive prices/],
      ['close\n1\n,\n2\n', /line 3: column "close" is empty/],
    ];
    for (const [text, msg] of cases) {
      const r = await run(['risk', '--csv', write('bad.csv', text), '--json']);
      expect({ text, code: r.code }).toEqual({ text, code: 2 });
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    }
  });
});
