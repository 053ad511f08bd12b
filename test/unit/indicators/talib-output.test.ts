/**
 * `plan2 indicators` against TA-Lib's own output. The fixture holds what the TA-Lib
 * C library (0.4.x, through the talib addon, run once and not needed at test time)
 * returned for GOOG.csv; our CLI must agree from the first valid bar, with the same
 * warm-up, to within 1e-9 relative (it is in fact bit-identical when this was written).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../cli/plan2';
import { ROOT, SHARED_DATA_DIR } from '../../../paths';

interface Fixture {
  n: number;
  series: Record<string, { begIndex: number; values: number[] }>;
}

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'talib', 'GOOG.json'), 'utf8')) as Fixture;

async function cli(argv: string[]): Promise<{ indicators: Record<string, Record<string, (number | null)[]>>; n: number }> {
  let out = '';
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  try {
    expect(await main(argv)).toBe(0);
  } finally {
    so.mockRestore();
  }
  return JSON.parse(out);
}

describe('plan2 indicators equals TA-Lib on GOOG.csv', () => {
  let got: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    got = await cli(['indicators', '--csv', path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv'), '--set', 'rsi:14,macd:12:26:9,sma:20,ema:20,bbands:20:2,atr:14,adx:14,cci:14,willr:14,sar:0.02:0.2,tema:20', '--json']);
  });

  it.each(Object.keys(fixture.series))('%s', (name) => {
    // `ID.output` for multi-output indicators; ids themselves may contain dots (SAR_0.02_0.2)
    const m = /^(.*)\.([a-z]+)$/.exec(name);
    const [id, output] = m ? [m[1], m[2]] : [name, 'values'];
    const ours = got.indicators[id][output];
    const ref = fixture.series[name];
    expect(got.n).toBe(fixture.n);
    expect(ours).toHaveLength(fixture.n);
    // same warm-up: null exactly until TA-Lib's begIndex
    expect(ours.findIndex((v) => v !== null)).toBe(ref.begIndex);
    let worst = 0;
    for (let i = 0; i < ref.values.length; i++) {
      const a = ours[ref.begIndex + i] as number;
      const b = ref.values[i];
      const rel = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
      if (rel > worst) worst = rel;
    }
    expect(worst).toBeLessThanOrEqual(1e-9);
  });
});
