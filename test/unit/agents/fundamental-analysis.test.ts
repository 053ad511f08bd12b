import { FundamentalAnalysisAgent } from '../../../agents/research/fundamental-analysis/fundamental-analysis.agent';
import { parseCalendarCsv } from '../../../lib/calendar/calendar';
import { argmaxAction, checkOpinion } from '../../../lib/agents/opinion';
import type { CalendarEvent } from '../../../types/events';

const H = 3_600_000;
const T = Date.UTC(2014, 4, 2, 12, 30); // a Friday release time

/** A constructed calendar: monthly US payrolls with forecasts and actuals, and the two policy rates. */
const HISTORY = `time,currency,name,importance,actual,forecast,previous
2014-01-10T13:30:00Z,USD,Non-Farm Employment Change,high,74K,197K,241K
2014-02-07T13:30:00Z,USD,Non-Farm Employment Change,high,113K,185K,75K
2014-03-07T13:30:00Z,USD,Non-Farm Employment Change,high,175K,149K,129K
2014-04-04T12:30:00Z,USD,Non-Farm Employment Change,high,192K,200K,197K
2014-04-30T18:00:00Z,USD,Federal Funds Rate,high,0.25%,0.25%,0.25%
2014-04-03T11:45:00Z,EUR,ECB Main Refinancing Rate,high,0.25%,0.25%,0.25%`;

function agentWith(extra: CalendarEvent[] = [], csv = HISTORY) {
  const a = new FundamentalAnalysisAgent();
  a.update({ type: 'calendar.published', events: parseCalendarCsv(csv) });
  if (extra.length) a.update({ type: 'calendar.published', events: extra });
  return a;
}

function nfp(actual: number | null, forecast = 218_000, time = T): CalendarEvent {
  return { id: 'nfp-may', currency: 'USD', name: 'Non-Farm Employment Change', time, importance: 'high', actual, forecast, previous: 192_000 };
}

function opine(a: FundamentalAnalysisAgent, asOf: number, symbol = 'EURUSD') {
  const o = a.opine({ symbol, tf: 'H1', asOf });
  expect(checkOpinion(o)).toEqual([]);
  return o;
}

describe('fundamental-analysis agent', () => {
  it('scales a surprise by the history of surprises of the same release', () => {
    const a = agentWith([nfp(288_000)]);
    const s = a.surprise(nfp(288_000))!;
    const rms = Math.sqrt(((74 - 197) ** 2 + (113 - 185) ** 2 + (175 - 149) ** 2 + (192 - 200) ** 2) / 4) * 1000;
    expect(s.z).toBeCloseTo(70_000 / rms, 9);
    expect(s.scale).toBe('RMS of 4 past surprises');
  });

  it('a strong US release is bearish EURUSD, a weak one bullish, a bigger one more so', () => {
    const beat = opine(agentWith([nfp(288_000)]), T + H);
    const miss = opine(agentWith([nfp(150_000)]), T + H);
    const bigBeat = opine(agentWith([nfp(400_000)]), T + H);
    expect(beat.signal).toBeLessThan(0);
    expect(miss.signal).toBeGreaterThan(0);
    expect(bigBeat.signal).toBeLessThan(beat.signal);
    expect(argmaxAction(beat.p)).toBe('sell');
    expect(beat.rationale).toMatch(/USD Non-Farm Employment Change 288000 vs 218000 forecast \(\+[\d.]+σ; RMS of 4 past surprises\)/);
  });

  it('is the mirror for the same surprise on the other side of the pair', () => {
    const usd = opine(agentWith([nfp(288_000)]), T + H);
    const eurCsv = HISTORY.replace(/USD,Non-Farm/g, 'EUR,Non-Farm');
    const eur = opine(agentWith([{ ...nfp(288_000), currency: 'EUR' }], eurCsv), T + H);
    expect(eur.signal).toBeCloseTo(-usd.signal, 12);
  });

  it('reads unemployment the other way round', () => {
    const a = agentWith([{ id: 'u', currency: 'USD', name: 'Unemployment Rate', time: T, importance: 'high', actual: 6.3, forecast: 6.6, previous: 6.7 }]);
    expect(opine(a, T + H).signal).toBeLessThan(0); // lower unemployment = stronger USD
  });

  it('fades a surprise with time', () => {
    const a = agentWith([nfp(288_000)]);
    expect(Math.abs(opine(a, T + 72 * H).signal)).toBeLessThan(Math.abs(opine(a, T + H).signal));
  });

  it('leans to the higher-yielding currency', () => {
    const hike = parseCalendarCsv(`time,currency,name,importance,actual,forecast,previous\n2014-05-01T11:45:00Z,EUR,ECB Main Refinancing Rate,high,1.25%,1.25%,0.25%`);
    const o = opine(agentWith(hike), T + 48 * H);
    expect(o.features!.rateDifferential).toBeCloseTo(1, 12);
    expect(o.signal).toBeGreaterThan(0);
    expect(o.rationale).toMatch(/policy rates EUR 1.25% vs USD 0.25%/);
  });

  it('steps back before a high-importance release and says when', () => {
    const a = agentWith([nfp(null)]);
    const far = opine(a, T - 5 * H);
    const near = opine(a, T - 10 * 60_000);
    expect(near.confidence).toBeLessThan(far.confidence);
    expect(near.p.hold).toBeGreaterThan(far.p.hold);
    expect(near.rationale).toMatch(/Non-Farm Employment Change in 10 min \(inside the event window/);
  });

  it('updates an entry when its actual arrives (same id) and has nothing to say without entries', () => {
    const a = agentWith([nfp(null)]);
    a.update({ type: 'calendar.published', events: [nfp(288_000)] });
    expect(a.snapshot().entries).toBe(7);
    expect(opine(a, T + H).signal).toBeLessThan(0);
    expect(opine(new FundamentalAnalysisAgent(), T).rationale).toMatch(/No calendar entries for EUR or USD/);
  });
});

describe('calendar import', () => {
  it('parses units and scales, and names the bad line', () => {
    const ev = parseCalendarCsv('time,currency,name,importance,actual,forecast\n2014-05-02 12:30,usd,"Payrolls, total",3,288K,218K');
    expect(ev[0]).toMatchObject({ currency: 'USD', name: 'Payrolls, total', importance: 'high', actual: 288_000, forecast: 218_000, unit: 'K', time: Date.UTC(2014, 4, 2, 12, 30) });
    expect(() => parseCalendarCsv('time,currency,name,importance\n2014-05-02,USD,x,urgent')).toThrow(/line 2: importance "urgent"/);
    expect(() => parseCalendarCsv('time,name\n1,2')).toThrow(/lacks "currency"/);
  });
});
