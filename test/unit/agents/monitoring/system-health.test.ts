import { SystemHealthAgent } from '../../../../agents/monitoring/system-health/system-health.agent';
import { checkOpinion } from '../../../../lib/agents/opinion';
import { eurusdTicks20140508, ticksToM1 } from '../../../helpers/bars';

describe('system-health agent on the EURUSD ticks of 2014-05-08', () => {
  const ticks = eurusdTicks20140508(5);
  const m1 = ticksToM1(ticks);

  /** Replay ticks with the wall clock following data time; stop the feed at `stopAt` but keep the clock going to `until`. */
  function run(stopAt: number, until: number, lagMs = 5) {
    const a = new SystemHealthAgent();
    let k = 0;
    for (let now = ticks[0].time_msc; now <= until; now += 1000) {
      a.update({ type: 'clock', now, loopLagMs: lagMs });
      const batch = [];
      while (k < ticks.length && ticks[k].time_msc <= now && ticks[k].time_msc < stopAt) batch.push(ticks[k++]);
      if (batch.length) a.update({ type: 'ticks.received', ticks: batch });
    }
    for (const c of m1) if (c.t + 60_000 <= Math.min(stopAt, until)) a.update({ type: 'candle.closed', candle: c });
    return a;
  }

  it('is healthy while ticks flow', () => {
    const end = ticks[0].time_msc + 3 * 3_600_000;
    const o = run(Infinity, end).opine({ symbol: 'EURUSD', tf: 'M1', asOf: end });
    expect(checkOpinion(o)).toEqual([]);
    expect(o.veto).toBeUndefined();
    expect(o.confidence).toBe(0);
    expect(o.rationale).toMatch(/healthy: last EURUSD tick [\d.]+ s ago/);
  });

  it('vetoes on stale data with the reason, and recovers when ticks come back', () => {
    const stop = ticks[0].time_msc + 3_600_000;
    const a = run(stop, stop + 10 * 60_000);
    const o = a.opine({ symbol: 'EURUSD', tf: 'M1' });
    expect(o.veto?.reason).toMatch(/^no tick of EURUSD for \d+ s \(stale feed; limit 120 s\)$/);
    expect(o.p.hold).toBeCloseTo(1, 12);
    a.update({ type: 'ticks.received', ticks: [{ symbol: 'EURUSD', time_msc: stop + 10 * 60_000, bid: 1.39, ask: 1.3901 }] });
    expect(a.opine({ symbol: 'EURUSD', tf: 'M1' }).veto).toBeUndefined();
    expect(a.opine({ symbol: 'GBPUSD', tf: 'M1' }).veto?.reason).toMatch(/no tick of GBPUSD received yet/);
  });

  it('vetoes while the event loop lags', () => {
    const end = ticks[0].time_msc + 600_000;
    expect(run(Infinity, end, 900).opine({ symbol: 'EURUSD', tf: 'M1' }).veto?.reason).toMatch(/event-loop delay 900 ms \(limit 250 ms\)/);
  });

  it('counts intraday candle gaps', () => {
    const a = new SystemHealthAgent();
    const c = (t: number) => ({ symbol: 'X', tf: 'M1' as const, t, o: 1, h: 1, l: 1, c: 1, v: 1, n: 1 });
    for (const t of [0, 60_000, 120_000, 300_000, 360_000]) a.update({ type: 'candle.closed', candle: c(t) });
    expect(a.report('X').gaps).toBe(2);
  });
});
