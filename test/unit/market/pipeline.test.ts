import { MarketPipeline } from '../../../lib/market/pipeline';
import type { Tick } from '../../../types/market';

const DAY = Date.UTC(2014, 4, 8);
const tk = (time: number, bid: number, symbol = 'EURUSD'): Tick => ({ symbol, time_msc: time, bid, ask: bid + 0.0001 });

describe('MarketPipeline', () => {
  it('groups good ticks per symbol, counts drops, closes bars', () => {
    const p = new MarketPipeline({ timeframes: ['M1'] });
    const out = p.ingest('src', [tk(DAY, 1.1), tk(DAY + 1, 1.2, 'GBPUSD'), tk(DAY + 2, NaN), tk(DAY + 3, 1.3), tk(DAY + 60_000, 1.4)], 0);
    expect(out.accepted).toBe(4);
    expect(out.dropped.not_finite).toBe(1);
    expect(out.bySymbol.map((g) => [g.symbol, g.ticks.length])).toEqual([
      ['EURUSD', 3],
      ['GBPUSD', 1],
    ]);
    expect(out.closed).toEqual([{ symbol: 'EURUSD', tf: 'M1', t: DAY, o: 1.1, h: 1.3, l: 1.1, c: 1.3, v: 0, n: 2 }]);
    expect(p.latest('EURUSD')?.bid).toBe(1.4);
  });

  it("closes bars by the feed's own clock: newest tick time plus wall time since it arrived, after the grace", () => {
    const p = new MarketPipeline({ timeframes: ['M1'], backwardsToleranceMs: 1000 });
    const wall = 1_800_000_000_000; // today's wall clock, far from the 2014 feed
    p.ingest('src', [tk(DAY + 59_000, 1.1)], wall);
    // 1.9 s later the feed clock is at 60.9 s: the bar ended but the 1 s grace has not passed
    expect(p.flush(wall + 1_900)).toEqual([]);
    const closed = p.flush(wall + 2_000);
    expect(closed.map((c) => [c.tf, c.t])).toEqual([['M1', DAY]]);
    expect(p.flush(wall + 100_000)).toEqual([]);
    // a tick of the closed minute arriving late is counted, not folded into the closed bar
    p.ingest('src', [tk(DAY + 59_500, 1.2)], wall + 2_100);
    expect(p.aggregator.late).toBe(1);
    expect(p.aggregator.forming('EURUSD', 'M1')).toBeNull();
  });
});
