import { FeedStats, RateWindow } from '../../../lib/market/feed-stats';
import { emptyDropCounts } from '../../../lib/market/validate';

describe('RateWindow', () => {
  it('averages counts over the last 10 seconds and forgets older ones', () => {
    const w = new RateWindow();
    const t = 1_700_000_000_000;
    w.add(100, t);
    w.add(50, t + 999);
    w.add(30, t + 5_000);
    expect(w.rate(t + 5_000)).toBe(18);
    // 10 s after the first second, it has left the window
    expect(w.rate(t + 10_000)).toBe(3);
    expect(w.rate(t + 20_000)).toBe(0);
    // a slot reused for a new second starts from zero
    w.add(7, t + 10_000);
    expect(w.rate(t + 10_000)).toBeCloseTo(3.7);
  });
});

describe('FeedStats', () => {
  it('keeps totals, drops and tick times per source and per symbol', () => {
    const s = new FeedStats();
    const now = 1_700_000_000_000;
    const drops = emptyDropCounts();
    drops.crossed = 2;
    s.recordSource('a', 10, drops, 1000, 2000, now);
    s.recordSource('a', 5, emptyDropCounts(), 2500, 3000, now + 100);
    s.recordSymbol('EURUSD', 15, 1000, 3000, now + 100);
    s.recordSymbolDrop('EURUSD', 'crossed');
    const snap = s.snapshot(now + 100);
    expect(snap.sources.a).toMatchObject({ accepted: 15, dropped: { crossed: 2 }, droppedTotal: 2, ticksPerSec: 1.5, firstTickTime: 1000, lastTickTime: 3000, lastSeenAt: now + 100 });
    expect(snap.symbols.EURUSD).toMatchObject({ accepted: 15, dropped: { crossed: 1 }, lastTickIso: '1970-01-01T00:00:03.000Z' });
    expect(snap.total.accepted).toBe(15);
  });
});
