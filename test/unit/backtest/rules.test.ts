/** Hand-computed small backtests, one per engine rule, and the equity identity on real data. */
import { FULL_EQUITY, runBacktest } from '../../../lib/backtest/engine';
import { pyFloorDiv, pyRound } from '../../../lib/backtest/py-num';
import { createStrategy } from '../../../lib/strategies/registry';
import { bars, flat, GOOG, script } from './helpers';

describe('Python arithmetic the sizing rule depends on', () => {
  it('floor division is exact where Math.floor(a / b) is not', () => {
    expect(Math.floor(1.0 / 0.1)).toBe(10);
    expect(pyFloorDiv(1.0, 0.1)).toBe(9); // Python: 1.0 // 0.1 == 9.0
    expect(pyFloorDiv(0.3, 0.1)).toBe(2);
    expect(pyFloorDiv(1000 * FULL_EQUITY, 12.12)).toBe(82);
    expect(pyFloorDiv(-7, 2)).toBe(-4);
    expect(pyFloorDiv(7, -2)).toBe(-4);
  });
  it('round() is half-to-even', () => {
    expect([pyRound(0.5), pyRound(1.5), pyRound(2.5), pyRound(2.6), pyRound(3)]).toEqual([0, 2, 2, 3, 3]);
  });
});

describe('fills and accounting', () => {
  const o = [10, 11, 12, 13, 14, 15];
  const c = [10.5, 11.5, 12.5, 13.5, 14.5, 15.5];
  const b = bars(o, c.map((x) => x + 1), o.map((x) => x - 1), c);

  it('a market order placed on bar i fills at the open of bar i+1; equity is marked to the close', () => {
    const r = runBacktest(b, script((i, ctx) => { if (i === 1) ctx.buy({ size: 5 }); }), { cash: 1000 });
    expect(r.openTrades[0]).toMatchObject({ entryBar: 2, entryPrice: 12, size: 5 });
    expect(Array.from(r.equity)).toEqual([1000, 1000, 1000 + 5 * 0.5, 1000 + 5 * 1.5, 1000 + 5 * 2.5, 1000 + 5 * 3.5]);
  });

  it('default size buys whole units with all cash after commission: ⌊1000·(1−2⁻⁵²) / (12 + 12·0.01)⌋ = 82', () => {
    const r = runBacktest(b, script((i, ctx) => { if (i === 1) ctx.buy(); }), { cash: 1000, commission: 0.01 });
    const t = r.openTrades[0];
    expect(t.size).toBe(82);
    const cashAfter = 1000 - 82 * 12 * 0.01; // entry commission paid from cash
    expect(r.equity[2]).toBeCloseTo(cashAfter + 82 * (12.5 - 12), 10);
    expect(r.equity[5]).toBeCloseTo(cashAfter + 82 * (15.5 - 12), 10);
  });

  it('an exactly divisible amount still buys one unit less (the fraction is 1 − 2⁻⁵²)', () => {
    const r = runBacktest(flat([10, 10, 10, 10]), script((i, ctx) => { if (i === 1) ctx.buy(); }), { cash: 1000 });
    expect(r.openTrades[0].size).toBe(99);
  });

  it('commission on entry and exit: P&L and return of a closed trade', () => {
    const r = runBacktest(b, script((i, ctx) => {
      if (i === 1) ctx.buy({ size: 10 });
      if (i === 3) ctx.close();
    }), { cash: 1000, commission: 0.01 });
    const t = r.trades[0];
    // entry 12 at bar 2, exit 14 (open of bar 4)
    expect([t.entryBar, t.exitBar, t.entryPrice, t.exitPrice]).toEqual([2, 4, 12, 14]);
    expect(t.commission).toBeCloseTo(10 * 12 * 0.01 + 10 * 14 * 0.01, 12);
    expect(t.pnl).toBeCloseTo(10 * (14 - 12) - 2.6, 12);
    expect(t.ret).toBeCloseTo(14 / 12 - 1 - 2.6 / 120, 12);
    expect(r.equity[5]).toBeCloseTo(1000 + 20 - 2.6, 10);
  });

  it('an order larger than the available margin is cancelled', () => {
    const r = runBacktest(b, script((i, ctx) => { if (i === 1) ctx.buy({ size: 1000 }); }), { cash: 1000 });
    expect(r.trades).toHaveLength(0);
    expect(r.openTrades).toHaveLength(0);
    expect(r.equity[5]).toBe(1000);
  });

  it('margin 0.5 doubles the units a relative order buys', () => {
    const r = runBacktest(flat([10, 10, 10, 10]), script((i, ctx) => { if (i === 1) ctx.buy(); }), { cash: 1000, margin: 0.5 });
    expect(r.openTrades[0].size).toBe(199);
  });

  it('a short loses when the price rises', () => {
    const r = runBacktest(b, script((i, ctx) => {
      if (i === 1) ctx.sell({ size: 4 });
      if (i === 2) ctx.close();
    }), { cash: 1000 });
    expect(r.trades[0]).toMatchObject({ size: -4, entryPrice: 12, exitPrice: 13, pnl: -4 });
  });
});

describe('reversal', () => {
  // Opens 10, 10, 10, 10, 20, 20; closes equal opens.
  const b = flat([10, 10, 10, 10, 20, 20]);

  it('exclusiveOrders: a sell closes the long at the next open and opens the short there', () => {
    const r = runBacktest(b, script((i, ctx) => {
      if (i === 1) ctx.buy({ size: 10 });
      if (i === 3) ctx.sell({ size: 5 });
    }), { cash: 1000, exclusiveOrders: true });
    expect(r.trades).toEqual([expect.objectContaining({ size: 10, entryBar: 2, exitBar: 4, entryPrice: 10, exitPrice: 20, pnl: 100 })]);
    expect(r.openTrades).toEqual([expect.objectContaining({ size: -5, entryBar: 4, entryPrice: 20 })]);
  });

  it('close() then sell() with default size: the short is sized on the cash after the long is closed', () => {
    const r = runBacktest(b, script((i, ctx) => {
      if (i === 1) ctx.buy();
      if (i === 3) {
        ctx.close();
        ctx.sell();
      }
    }), { cash: 1000 });
    expect(r.trades[0]).toMatchObject({ size: 99, exitPrice: 20, pnl: 990 });
    // cash after closing: 1000 + 990 = 1990 → ⌊1990·(1−2⁻⁵²) / 20⌋ = 99
    expect(r.openTrades[0]).toMatchObject({ size: -99, entryBar: 4, entryPrice: 20 });
  });
});

describe('finalizeTrades', () => {
  const b = flat([10, 10, 12, 14, 15]);
  const s = () => script((i, ctx) => { if (i === 1) ctx.buy({ size: 10 }); });
  it('closes the open trade at the last bar open and counts it', () => {
    const r = runBacktest(b, s(), { cash: 1000, finalizeTrades: true });
    expect(r.trades).toEqual([expect.objectContaining({ entryBar: 2, exitBar: 4, entryPrice: 12, exitPrice: 15, pnl: 30 })]);
    expect(r.openTrades).toEqual([]);
    expect(r.equity[4]).toBe(1030);
  });
  it('without it the trade stays open and equity is still marked to the last close', () => {
    const r = runBacktest(b, s(), { cash: 1000 });
    expect(r.trades).toEqual([]);
    expect(r.openTrades).toHaveLength(1);
    expect(r.equity[4]).toBe(1030);
  });
});

describe('equity identity on real data', () => {
  it('every bar: equity = start cash + closed P&L + open trades marked to the close − their entry commission', () => {
    const g = GOOG();
    const rate = 0.002;
    const { strategy } = createStrategy('sma-cross', { fast: 5, slow: 12 });
    const inner = strategy;
    const checks: number[] = [];
    const probe = {
      init: inner.init.bind(inner),
      next: (bar: Parameters<typeof inner.next>[0], ctx: Parameters<typeof inner.next>[1]) => {
        let open = 0;
        for (const t of ctx.trades) open += t.size * (bar.c - t.entryPrice);
        checks.push(ctx.equity - (ctx.cash + open));
        inner.next(bar, ctx);
      },
    };
    const r = runBacktest(g, probe, { cash: 10_000, commission: rate, finalizeTrades: true });
    expect(r.trades.length).toBeGreaterThan(100);
    expect(Math.max(...checks.map(Math.abs))).toBe(0);
    for (let i = r.startBar; i < g.length; i++) {
      let eq = 10_000;
      for (const t of r.trades) {
        if (t.exitBar <= i) eq += t.pnl;
        else if (t.entryBar <= i) eq += t.size * (g.c[i] - t.entryPrice) - Math.abs(t.size) * t.entryPrice * rate;
      }
      expect(Math.abs(r.equity[i] - eq)).toBeLessThan(1e-6);
    }
    // Bars before the strategy started carry the first recorded equity.
    for (let i = 0; i < r.startBar; i++) expect(r.equity[i]).toBe(r.equity[r.startBar]);
  });
});

describe('input checks', () => {
  it('rejects bad sizes, prices and options', () => {
    const b = flat([10, 10, 10]);
    expect(() => runBacktest(b, script((_i, ctx) => ctx.buy({ size: 1.5 })), { cash: 100 })).toThrow(/size/);
    expect(() => runBacktest(b, script((_i, ctx) => ctx.buy({ size: -1 })), { cash: 100 })).toThrow(/size/);
    expect(() => runBacktest(b, script((_i, ctx) => ctx.buy({ limit: -5 })), { cash: 100 })).toThrow(/positive/);
    expect(() => runBacktest(b, script(() => undefined), { cash: 0 })).toThrow(/cash/);
    expect(() => runBacktest(b, script(() => undefined), { cash: 100, margin: 0 })).toThrow(/margin/);
    expect(() => runBacktest(b, script(() => undefined), { cash: 100, commission: 0.2 })).toThrow(/commission/);
  });
});
