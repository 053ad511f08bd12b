/**
 * Cases from backtesting.py 0.6's own test suite (expected values as published
 * there), run through our engine: spread and commission accounting, SL/TP
 * ordering, stop and limit fills, trade-on-close, margin and stop-out.
 */
import { runBacktest } from '../../../lib/backtest/engine';
import { computeStats } from '../../../lib/backtest/stats';
import type { StrategyContext } from '../../../lib/backtest/strategy';
import { barSeries } from '../../../lib/backtest/types';
import { GOOG, SHORT, day, flat, script } from './helpers';

/** Buy once flat, then close, then do nothing (the reference's spread/commission test strategy). */
function buyThenClose() {
  let done = false;
  return script((_i, ctx) => {
    if (done) return;
    if (!ctx.position.size) ctx.buy();
    else {
      ctx.close();
      done = true;
    }
  });
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

describe('spread and commission (reference test_spread_commission / test_commissions)', () => {
  it('spread .01 + commission .01: entry at open × 1.01, equity 9685.31, 9749.33', () => {
    const b = SHORT();
    const r = runBacktest(b, buyThenClose(), { cash: 10_000, spread: 0.01, commission: 0.01 });
    expect(r.trades[0].entryPrice).toBe(b.o[2] * (1 + 0.01));
    expect([round2(r.equity[2]), round2(r.equity[3])]).toEqual([9685.31, 9749.33]);
  });

  it('commission (100, .01): equity 9784.50, 9718.69', () => {
    const r = runBacktest(SHORT(), buyThenClose(), { cash: 10_000, commission: [100, 0.01] });
    expect([round2(r.equity[2]), round2(r.equity[3])]).toEqual([9784.5, 9718.69]);
  });

  it('commission as a function of (size, price): equity 9781.28, 9846.04', () => {
    const r = runBacktest(SHORT(), buyThenClose(), { cash: 10_000, commission: (size, price) => size * price * 0.01 });
    expect([round2(r.equity[2]), round2(r.equity[3])]).toEqual([9781.28, 9846.04]);
  });

  it('fixed + relative commission on entry and exit of a TP trade', () => {
    const arr = [1, 1, 1, 2, 4, 1, 2];
    const s = script((i, ctx) => {
      if (i === 1) ctx.buy({ size: 100, tp: 3 });
    });
    const b = flat(arr);
    const r = runBacktest(b, s, { cash: 5000, commission: [10, 0.01] });
    const paid = 10 + 0.01 * 100 * 1 + 10 + 0.01 * 100 * 4;
    const st = computeStats({ t: b.t, close: b.c, equity: r.equity, trades: r.trades });
    expect(st.commissions).toBe(paid);
    expect(r.trades[0].commission).toBe(paid);
    expect(st.equityFinal).toBe(5000 + (4 - 1) * 100 - paid);
  });
});

describe('stop-loss, take-profit, stop and limit orders', () => {
  it('a market entry can hit its SL on the entry bar (2012-10-17, sl=720 → exit 720)', () => {
    const g = GOOG();
    const the = day('2012-10-17');
    const r = runBacktest(g, script((i, ctx) => { if (g.t[i] === the) ctx.buy({ sl: 720 }); }), { cash: 10_000 });
    expect(r.trades[0].exitPrice).toBe(720);
  });

  it('a stop entry does not hit its SL on the entry bar (stop=758, sl=720 → exit 705.58, with a warning)', () => {
    const g = GOOG();
    const the = day('2012-10-17');
    const r = runBacktest(g, script((i, ctx) => { if (g.t[i] === the) ctx.buy({ stop: 758, sl: 720 }); }), { cash: 10_000 });
    expect(r.trades[0].exitPrice).toBe(705.58);
    expect(r.warnings.some((w) => w.includes('contingent'))).toBe(true);
  });

  it('stop between SL and TP fills at the stop (2004-09-09, stop=104 → entry 104)', () => {
    const g = GOOG();
    const the = day('2004-09-09');
    const r = runBacktest(g, script((i, ctx) => { if (g.t[i] === the) ctx.buy({ stop: 104, sl: 103, tp: 110 }); }), { cash: 10_000 });
    expect(r.trades[0].entryPrice).toBe(104);
  });

  it('stop-limit orders fill at the stop price ([112, 107])', () => {
    const r = runBacktest(SHORT(), script((i, ctx) => {
      if (i === 1) {
        ctx.buy({ stop: 112, limit: 113, size: 1 });
        ctx.sell({ stop: 107, limit: 105, size: 1 });
      }
    }), { cash: 10_000 });
    expect(r.trades.flatMap((t) => [t.entryPrice, t.exitPrice])).toEqual([112, 107]);
  });

  it('SL is processed before TP when both are set on an open trade (exit 104.95)', () => {
    const r = runBacktest(SHORT(), script((i, ctx) => {
      const n = i + 1; // the reference counts len(data)
      if (n === 4) ctx.buy();
      if (n === 5) {
        const t = ctx.trades[0];
        t.sl = 105;
        t.tp = 107.9;
      }
    }), { cash: 10_000 });
    expect(r.trades[0].exitPrice).toBe(104.95);
  });

  it('a stop entry and its TP in the same bar fill on that bar (exit bar 3 at 105)', () => {
    const r = runBacktest(SHORT(), script((i, ctx) => { if (i + 1 === 3) ctx.sell({ stop: 108, tp: 105, sl: 113 }); }), { cash: 10_000 });
    expect(r.trades[0].exitBar).toBe(3);
    expect(r.trades[0].exitPrice).toBe(105);
  });

  it('rejects an order whose TP is not above the spread-adjusted price', () => {
    const s = script((_i, ctx, bar) => { ctx.buy({ tp: bar.c * 1.01 }); });
    expect(() => runBacktest(SHORT(), s, { cash: 10_000, spread: 0.02 })).toThrow(/SL .* < LIMIT .* < TP/);
  });
});

describe('trade on close (reference test_trade_on_close_closes_trades_on_close)', () => {
  const arr = [100, 101, 102, 50, 51];
  const b = barSeries({ t: arr.map((_, k) => Date.UTC(2020, 0, 1) + k * 86_400_000), o: arr.map((x) => x - 10), h: arr, l: arr, c: arr });
  const coro = () =>
    script((i, ctx: StrategyContext) => {
      if (i === 1) {
        ctx.buy({ size: 1, sl: 90 });
        ctx.buy({ size: 1, sl: 80 });
      } else if (i === 2) {
        expect(ctx.trades).toHaveLength(2);
        ctx.trades[0].close();
      }
    });

  it('tradeOnClose: fills at the signal bar close, booked on that bar', () => {
    const t = runBacktest(b, coro(), { cash: 250, tradeOnClose: true }).trades;
    expect(t.map((x) => [x.entryBar, x.exitBar, x.entryPrice, x.exitPrice])).toEqual([
      [1, 2, 101, 102],
      [1, 3, 101, 40],
    ]);
  });

  it('default: fills at the next open', () => {
    const t = runBacktest(b, coro(), { cash: 250, tradeOnClose: false }).trades;
    expect(t.map((x) => [x.entryBar, x.exitBar, x.entryPrice, x.exitPrice])).toEqual([
      [2, 3, 92, 40],
      [2, 3, 92, 40],
    ]);
  });

  it('an SL gapped through exits at the open (reference gh-521: exit 50)', () => {
    const s = script((_i, ctx, bar) => { if (bar.c === 100) ctx.buy({ size: 1, sl: 90 }); });
    const r = runBacktest(flat([100, 100, 100, 50, 50]), s, { cash: 100, tradeOnClose: true });
    expect(r.trades[0].exitPrice).toBe(50);
  });
});

describe('margin, stop and limit entries, stop-out (reference test_wellknown)', () => {
  it('peaks at 46961, ends at 0 with two trades', () => {
    const g = GOOG();
    const s = script((i, ctx) => {
      const d = g.t[i];
      if (d === day('2006-10-19')) ctx.buy({ stop: 484, limit: 466, size: 100 });
      else if (d === day('2007-10-30')) ctx.close();
      else if (d === day('2008-11-11')) ctx.sell({ stop: g.l[i], limit: 324.9, size: 200 });
    });
    const r = runBacktest(g, s, { cash: 10_000, margin: 0.1 });
    const st = computeStats({ t: g.t, close: g.c, equity: r.equity, trades: r.trades });
    expect(st.equityPeak).toBeCloseTo(46961, 6);
    expect(st.equityFinal).toBe(0);
    expect(r.outOfMoney).toBe(true);
    expect(r.trades).toHaveLength(2);
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(r.trades.map((t) => [iso(t.entryTime), iso(t.exitTime)])).toEqual([
      ['2006-11-01', '2007-10-31'],
      ['2008-11-14', '2009-09-21'],
    ]);
    expect(r.trades.map((t) => Math.round(t.pnl))).toEqual([23469, -34420]);
  });
});

describe('orders placed on the last bar and finalizeTrades (reference)', () => {
  const s = () => script((i, ctx) => {
    if (!ctx.position.size) ctx.buy();
    else if (i === 19) ctx.close();
  });
  it('without finalize, a close placed on the last bar never fills', () => {
    const r = runBacktest(SHORT(), s(), { cash: 10_000, finalizeTrades: false });
    expect(r.trades).toHaveLength(0);
    expect(r.openTrades).toHaveLength(1);
    expect(r.warnings.join()).toMatch(/finalizeTrades/);
  });
  it('with finalize, it fills at the last bar', () => {
    const r = runBacktest(SHORT(), s(), { cash: 10_000, finalizeTrades: true });
    expect(r.trades).toHaveLength(1);
    expect(r.openTrades).toHaveLength(0);
  });
});

describe('exclusive orders and hedging (reference TestStrategy)', () => {
  it('exclusiveOrders: a sell of 3 after a buy of 2 leaves one short trade of 3', () => {
    const seen: number[][] = [];
    runBacktest(SHORT(), script((i, ctx) => {
      if (i === 1) ctx.buy({ size: 2 });
      if (i === 2) {
        seen.push(ctx.trades.map((t) => t.size));
        ctx.sell({ size: 3 });
      }
      if (i === 3) seen.push(ctx.trades.map((t) => t.size));
    }), { cash: 10_000, exclusiveOrders: true });
    expect(seen).toEqual([[2], [-3]]);
  });

  it('hedging: a sell of 1 after a buy of 2 keeps both trades', () => {
    let n = 0;
    runBacktest(SHORT(), script((i, ctx) => {
      if (i === 1) ctx.buy({ size: 2 });
      if (i === 2) ctx.sell({ size: 1 });
      if (i === 3) n = ctx.trades.length;
    }), { cash: 10_000, hedging: true });
    expect(n).toBe(2);
  });

  it('netting (default): a sell of 1 after a buy of 2 reduces the long to 1 and books a 1-unit trade', () => {
    let sizes: number[] = [];
    const r = runBacktest(SHORT(), script((i, ctx) => {
      if (i === 1) ctx.buy({ size: 2 });
      if (i === 2) ctx.sell({ size: 1 });
      if (i === 3) sizes = ctx.trades.map((t) => t.size);
    }), { cash: 10_000 });
    expect(sizes).toEqual([1]);
    expect(r.trades.map((t) => t.size)).toEqual([1]);
  });
});
