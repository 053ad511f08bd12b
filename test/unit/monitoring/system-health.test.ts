import { HealthSample, SystemHealthAgent } from '../../../agents/monitoring/system-health/system-health.agent';
import { checkOpinion } from '../../../lib/agents/opinion';
import type { SpanRecord } from '../../../types/flowchain';
import { TF_MS } from '../../../types/market';
import { eurusdH1, eurusdTicks20140508, ticksToM1 } from '../../helpers/bars';

const NOW = Date.UTC(2024, 4, 8, 12);

function sample(over: Partial<HealthSample> = {}): HealthSample {
  return {
    at: NOW,
    node: 'n1',
    eventLoop: { p50: 1, p99: 12, max: 20 },
    memory: { rssMb: 200, heapUsedMb: 90 },
    db: { ok: true, latencyMs: 0.8 },
    transporter: null,
    feed: { EURUSD: { lastArrivalAt: NOW - 2000, lastTickTime: NOW - 2100 } },
    ...over,
  };
}

function span(i: number, error: SpanRecord['error'] = null): SpanRecord {
  return { id: `s${i}`, traceId: `t${i}`, parentId: null, kind: 'action', name: 'x', op: 'risk.evaluate', service: 'risk', node: 'n1', tenantId: null, start: NOW - 30_000 + i * 100, duration: 1, error };
}

const q = { symbol: 'EURUSD', tf: 'M1' as const };

describe('system-health agent', () => {
  it('lets a healthy, fresh system trade and says so without a market view', () => {
    const a = new SystemHealthAgent();
    a.sample(sample());
    const o = a.opine(q);
    expect(checkOpinion(o)).toEqual([]);
    expect(o.veto).toBeUndefined();
    expect(o.confidence).toBe(0);
    expect(o.advisory).toEqual([]);
    expect(o.rationale).toMatch(/^System healthy for EURUSD: last EURUSD tick 2 s ago; event-loop delay p99 12 ms/);
  });

  it('vetoes on stale data, naming the check and the age', () => {
    const a = new SystemHealthAgent();
    a.sample(sample({ feed: { EURUSD: { lastArrivalAt: NOW - 200_000, lastTickTime: NOW - 200_000 } } }));
    const o = a.opine(q);
    expect(o.veto?.reason).toBe('stale_data: no EURUSD tick for 200 s (limit 120 s)');
    expect(o.advisory).toEqual([{ code: 'stale_data', level: 'critical', message: 'no EURUSD tick for 200 s (limit 120 s)' }]);
    // a symbol that never ticked
    expect(a.opine({ symbol: 'GBPUSD', tf: 'M1' }).veto?.reason).toBe('stale_data: no GBPUSD tick has reached the platform');
    // and it recovers with the next fresh sample
    a.sample(sample({ at: NOW + 1000, feed: { EURUSD: { lastArrivalAt: NOW + 900, lastTickTime: NOW + 900 } } }));
    expect(a.opine(q).veto).toBeUndefined();
  });

  it('vetoes on a stalled event loop, a lost database and a burst of server errors, warns below', () => {
    const a = new SystemHealthAgent();
    a.sample(sample({ eventLoop: { p50: 5, p99: 350, max: 400 } }));
    let o = a.opine(q);
    expect(o.veto).toBeUndefined();
    expect(o.advisory).toEqual([expect.objectContaining({ code: 'event_loop', level: 'warn' })]);
    a.sample(sample({ at: NOW + 1000, eventLoop: { p50: 900, p99: 1800, max: 2100 }, db: { ok: false, latencyMs: null, error: 'connect ECONNREFUSED' } }));
    o = a.opine(q);
    expect(o.veto?.reason).toMatch(/^event_loop: event-loop delay p99 1800 ms over the last 2 s \(veto above 1000 ms\); database: database unreachable: connect ECONNREFUSED/);
    const b = new SystemHealthAgent();
    const spans = [...Array.from({ length: 12 }, (_, i) => span(i)), ...Array.from({ length: 18 }, (_, i) => span(100 + i, { name: 'Error', message: 'boom', code: 500 }))];
    b.update({ type: 'flowchain.spans', batch: { node: 'n1', spans } });
    b.sample(sample());
    expect(b.opine(q).veto?.reason).toBe('error_rate: 18 of 30 calls failed with a server error in the last 60 s (60%)');
    // business rejections are not system errors
    const c = new SystemHealthAgent();
    c.update({ type: 'flowchain.spans', batch: { node: 'n1', spans: Array.from({ length: 30 }, (_, i) => span(i, { name: 'MoleculerClientError', message: 'limit', code: 422 })) } });
    c.sample(sample());
    expect(c.opine(q).veto).toBeUndefined();
  });

  it('vetoes for a few bars after a hole in the data, but not over a weekend', () => {
    const m1 = ticksToM1(eurusdTicks20140508());
    const cut = m1.findIndex((b) => b.t >= Date.UTC(2014, 4, 8, 13, 0));
    const bars = [...m1.slice(0, cut), ...m1.slice(cut + 45)]; // 45 minutes missing after 13:00
    const a = new SystemHealthAgent({ gapBars: 30, recoverBars: 10 });
    a.sample(sample());
    const vetoes = new Map<number, string | undefined>();
    bars.forEach((b, i) => {
      a.update({ type: 'candle.closed', candle: b });
      vetoes.set(i, a.opine({ ...q, asOf: b.t + TF_MS.M1 }).veto?.reason);
    });
    expect([...vetoes].filter(([, v]) => v !== undefined).map(([i]) => i)).toEqual(Array.from({ length: 11 }, (_, k) => cut + k));
    expect(vetoes.get(cut)).toMatch(/^data_gap: EURUSD M1 is missing 4[5-9] bars from 2014-05-08T13:00Z to 2014-05-08T13:4\dZ \(0 bar\(s\) ago/);
    expect(vetoes.get(cut + 10)).toMatch(/\(10 bar\(s\) ago/);
    // the weekend in hourly EURUSD is not a fault
    const h1 = eurusdH1();
    const w = new SystemHealthAgent({ gapBars: 3, recoverBars: 5 });
    w.sample(sample({ feed: { EURUSD: { lastArrivalAt: NOW, lastTickTime: NOW } } }));
    const monday = h1.findIndex((b, i) => i > 0 && b.t - h1[i - 1].t > 24 * 3_600_000);
    for (const b of h1.slice(0, monday + 3)) w.update({ type: 'candle.closed', candle: b });
    expect(w.opine({ symbol: 'EURUSD', tf: 'H1', asOf: h1[monday + 1].t + TF_MS.H1 }).veto).toBeUndefined();
  });

  it('reports every check for GET /system/health', () => {
    const a = new SystemHealthAgent();
    a.sample(sample({ transporter: { nodes: [{ id: 'agents-1', available: true, rttMs: 0.9 }, { id: 'agents-2', available: false, rttMs: null }] } }));
    const r = a.report();
    expect(r.status).toBe('degraded');
    expect(r.checks.map((c) => `${c.name}:${c.level}`)).toEqual(['stale_data:ok', 'event_loop:ok', 'database:ok', 'transporter:warn']);
    expect(r.checks[3].detail).toMatch(/^node\(s\) unavailable: agents-2; 2 node\(s\), slowest round trip 0.9 ms/);
    expect(r.feed.EURUSD.ageMs).toBe(2000);
  });
});
