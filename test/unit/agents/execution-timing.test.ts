import { ExecutionTimingAgent } from '../../../agents/decision/execution-timing/execution-timing.agent';
import { checkOpinion } from '../../../lib/agents/opinion';
import type { Opinion } from '../../../types/agents';
import type { CalendarEvent } from '../../../types/events';
import type { Tick } from '../../../types/market';
import { eurusdH1, eurusdTicks20140508, ticksToM1 } from '../../helpers/bars';

const DAY = Date.UTC(2014, 4, 8);
const at = (h: number, m: number) => DAY + (h * 60 + m) * 60_000;
const ticks = eurusdTicks20140508();
const m1 = ticksToM1(ticks);
const ECB: CalendarEvent = { id: 'ecb', currency: 'EUR', name: 'ECB Main Refinancing Rate', time: at(11, 45), importance: 'high', actual: 0.25, forecast: 0.25, previous: 0.25 };

/** Replay the day minute by minute (ticks of the minute, then its candle) and opine at the given times. */
function replay(times: number[], opts: { calendar?: boolean; profile?: boolean } = {}): Map<number, Opinion> {
  const a = new ExecutionTimingAgent();
  if (opts.profile) for (const c of eurusdH1()) a.update({ type: 'candle.closed', candle: c });
  if (opts.calendar) a.update({ type: 'calendar.published', events: [ECB] });
  const out = new Map<number, Opinion>();
  let k = 0;
  const want = [...times].sort((x, y) => x - y);
  for (const bar of m1) {
    const end = bar.t + 60_000;
    const batch: Tick[] = [];
    while (k < ticks.length && ticks[k].time_msc < end) batch.push(ticks[k++]);
    a.update({ type: 'ticks.received', ticks: batch });
    a.update({ type: 'candle.closed', candle: bar });
    while (want.length && want[0] <= end) {
      const t = want.shift()!;
      const o = a.opine({ symbol: 'EURUSD', tf: 'M1', asOf: t });
      expect(checkOpinion(o)).toEqual([]);
      out.set(t, { ...o, latencyMs: 0 });
    }
  }
  return out;
}

describe('execution-timing agent on the EURUSD ticks of 2014-05-08 (ECB day)', () => {
  const calm = at(10, 31);
  const decision = at(11, 45);
  const press = at(12, 55);
  const ops = replay([calm, decision, press], { profile: true });

  it('is fine with entering on a calm morning', () => {
    const o = ops.get(calm)!;
    expect(o.features!.wait).toBeLessThan(0.35);
    expect(o.veto).toBeUndefined();
    expect(o.signal).toBe(0);
  });

  it('waits (or vetoes) when the spread blows out at the rate decision', () => {
    const o = ops.get(decision)!;
    expect(o.features!.spreadRank).toBeGreaterThan(0.9);
    expect(o.features!.wait).toBeGreaterThan(0.6);
    expect(o.p.hold).toBeGreaterThan(0.6);
    expect(o.rationale).toMatch(/spread [\d.]+× its median/);
  });

  it('sees the volatility burst of the press conference', () => {
    const o = ops.get(press)!;
    expect(o.features!.volatilityBurst).toBeGreaterThan(3);
    expect(o.features!.volatilityZ).toBeGreaterThan(5);
    expect(o.features!.wait).toBeGreaterThan(ops.get(calm)!.features!.wait);
  });

  it('learns session liquidity from the symbol’s own bars: late evening is thin, the London/New York overlap is thick', () => {
    const o = replay([at(13, 5), at(22, 30)], { profile: true });
    expect(o.get(at(22, 30))!.features!.liquidity).toBeLessThan(0.6);
    expect(o.get(at(13, 5))!.features!.liquidity).toBeGreaterThan(1.2);
    expect(o.get(at(22, 30))!.rationale).toMatch(/22:00 UTC carries [\d.]+× the average tick rate/);
  });

  it('waits more just before a scheduled high-importance release', () => {
    const t = at(11, 38);
    const without = replay([t]).get(t)!;
    const withEvent = replay([t], { calendar: true }).get(t)!;
    expect(withEvent.features!.wait).toBeGreaterThan(without.features!.wait + 0.3);
    expect(withEvent.rationale).toMatch(/EUR ECB Main Refinancing Rate due in 7 min/);
  });

  it('says so when it has nothing to go on', () => {
    expect(new ExecutionTimingAgent().opine({ symbol: 'EURUSD', tf: 'M1', asOf: 1 }).rationale).toMatch(/no ticks, bars or calendar/);
  });
});

describe('execution-timing without tick counts', () => {
  it('gives a finite opinion when every candle has n = 0 (no liquidity reason)', () => {
    const a = new ExecutionTimingAgent();
    const t0 = Date.UTC(2014, 4, 5);
    let c = 1.39;
    for (let i = 0; i < 24 * 60 * 3; i++) {
      c += Math.sin(i / 17) * 1e-5;
      a.update({ type: 'candle.closed', candle: { symbol: 'EURUSD', tf: 'M1', t: t0 + i * 60_000, o: c, h: c + 1e-4, l: c - 1e-4, c, v: 0, n: 0 } });
    }
    const o = a.opine({ symbol: 'EURUSD', tf: 'M1' });
    expect(Number.isFinite(o.confidence)).toBe(true);
    expect(Object.values(o.features ?? {}).every((v) => Number.isFinite(v as number))).toBe(true);
    expect(o.features?.liquidity).toBeUndefined();
  });
});
