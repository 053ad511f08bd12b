/** Ticks through the bar engine, on Lean's EUR/USD quote day. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBacktest } from '../../../lib/backtest/engine';
import { medianRelativeSpread, parseLeanQuoteTicks, ticksToBars } from '../../../lib/backtest/ticks';
import { SHARED_DATA_DIR } from '../../../paths';
import { script } from './helpers';

const FILE = path.join(SHARED_DATA_DIR, 'lean', 'forex', 'oanda', 'tick', 'eurusd', '20140508_eurusd_tick_quote.csv');
const DAY0 = Date.UTC(2014, 4, 8);

describe('tick quotes', () => {
  const q = parseLeanQuoteTicks(fs.readFileSync(FILE, 'utf8'), DAY0);

  it('reads the CRLF file without a final newline', () => {
    expect(q.t).toHaveLength(87_833);
    expect(q.t[0]).toBe(DAY0 + 8715);
    expect(q.t[q.t.length - 1]).toBe(DAY0 + (23 * 3600 + 59 * 60 + 49) * 1000 + 8);
    expect(Math.min(...q.bid)).toBeCloseTo(1.3832, 5);
    expect(Math.max(...q.bid)).toBeCloseTo(1.39928, 5);
  });

  it('becomes one-price mid bars with strictly increasing times', () => {
    const b = ticksToBars(q);
    let increasing = true;
    for (let k = 1; k < b.length; k++) increasing &&= b.t[k] > b.t[k - 1];
    expect(increasing).toBe(true);
    expect(b.c[0]).toBeCloseTo((q.bid[0] + q.ask[0]) / 2, 12);
    expect(b.o).toBe(b.c);
    const s = medianRelativeSpread(q);
    expect(s).toBeGreaterThan(0.5e-4 / 1.39);
    expect(s).toBeLessThan(2e-4 / 1.39);
  });

  it('a tick strategy fills at the next quote mid plus the spread', () => {
    const b = ticksToBars(q);
    const spread = 1e-4;
    const r = runBacktest(b, script((i, ctx) => {
      if (i === 100) ctx.buy({ size: 10_000 });
      if (i === 200) ctx.close();
    }), { cash: 100_000, spread });
    expect(r.trades[0].entryPrice).toBeCloseTo(b.c[101] * (1 + spread), 12);
    expect(r.trades[0].exitPrice).toBe(b.c[201]);
    expect(r.equity[b.length - 1]).toBeCloseTo(100_000 + r.trades[0].pnl, 8);
  });

  it('rejects a malformed quote line', () => {
    expect(() => parseLeanQuoteTicks('1000,1.1,1.2\r\n2000,x,1.2', DAY0)).toThrow(/line 2: bad quote/);
  });
});
