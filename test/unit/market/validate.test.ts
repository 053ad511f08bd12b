import { emptyDropCounts, TickValidator } from '../../../lib/market/validate';
import type { Tick } from '../../../types/market';

const T0 = Date.UTC(2014, 4, 8, 12, 0, 0);
const tick = (p: Partial<Tick> = {}): Tick => ({ symbol: 'EURUSD', time_msc: T0, bid: 1.3921, ask: 1.3922, ...p });

describe('TickValidator', () => {
  it('accepts a good tick and advances the clock', () => {
    const v = new TickValidator();
    expect(v.check(tick())).toBeNull();
    expect(v.lastTime('EURUSD')).toBe(T0);
  });

  it.each([
    ['bad_symbol', { symbol: '' }],
    ['bad_symbol', { symbol: 'EUR USD' }],
    ['bad_symbol', { symbol: 42 as unknown as string }],
    ['bad_time', { time_msc: NaN }],
    ['bad_time', { time_msc: 1399550400 }], // seconds, not ms
    ['bad_time', { time_msc: '1399550400000' as unknown as number }],
    ['not_finite', { bid: Infinity }],
    ['not_finite', { ask: NaN }],
    ['not_finite', { bid: '1.2' as unknown as number }],
    ['non_positive', { bid: 0 }],
    ['non_positive', { ask: -1.2 }],
    ['crossed', { bid: 1.3923, ask: 1.3922 }],
    ['not_finite', { volume: 'x' as unknown as number }],
    ['not_finite', { last: NaN }],
    ['non_positive', { volume: -1 }],
    ['non_positive', { last: 0 }],
  ])('drops %s %p', (reason, patch) => {
    const v = new TickValidator();
    expect(v.check(tick(patch as Partial<Tick>))).toBe(reason);
  });

  it('accepts locked quotes (bid = ask) and crossed ones when the symbol allows them', () => {
    const v = new TickValidator();
    expect(v.check(tick({ bid: 1.5, ask: 1.5 }))).toBeNull();
    v.setSpec({ symbol: 'SYNTH', digits: 2, point: 0.01, allowCrossed: true });
    expect(v.check(tick({ symbol: 'SYNTH', bid: 10.02, ask: 10.01 }))).toBeNull();
  });

  it('allows equal timestamps and small backward steps, drops beyond the tolerance', () => {
    const v = new TickValidator({ backwardsToleranceMs: 1000 });
    expect(v.check(tick({ time_msc: T0 }))).toBeNull();
    expect(v.check(tick({ time_msc: T0 }))).toBeNull();
    expect(v.check(tick({ time_msc: T0 - 1000 }))).toBeNull();
    expect(v.check(tick({ time_msc: T0 - 1001 }))).toBe('time_backwards');
    // a backward step does not move the clock back
    expect(v.lastTime('EURUSD')).toBe(T0);
    // clocks are per symbol
    expect(v.check(tick({ symbol: 'GBPUSD', time_msc: T0 - 60_000 }))).toBeNull();
    const strict = new TickValidator({ backwardsToleranceMs: 0 });
    expect(strict.check(tick({ time_msc: T0 }))).toBeNull();
    expect(strict.check(tick({ time_msc: T0 - 1 }))).toBe('time_backwards');
  });

  it('treats JSON null optional fields as absent', () => {
    const v = new TickValidator();
    const t = tick({ last: null as unknown as number, volume: null as unknown as number });
    expect(v.check(t)).toBeNull();
    expect(t.last).toBeUndefined();
    expect(t.volume).toBeUndefined();
    expect(v.check(tick({ time_msc: T0 + 1, volume: 0, last: 1.39 }))).toBeNull();
  });

  it('normalises in place: whole ms, prices to the spec digits', () => {
    const v = new TickValidator();
    v.setSpec({ symbol: 'XAUUSD', digits: 3, point: 0.001 });
    const t = tick({ symbol: 'XAUUSD', time_msc: T0 + 0.76, bid: 1283.1, ask: 1283.63414986 });
    expect(v.check(t)).toBeNull();
    expect(t).toEqual({ symbol: 'XAUUSD', time_msc: T0, bid: 1283.1, ask: 1283.634 });
  });

  it('counts drops per reason over a batch and keeps good ticks around bad ones', () => {
    const v = new TickValidator();
    const drops = emptyDropCounts();
    const out: Tick[] = [];
    const batch = [tick(), tick({ bid: NaN }), null as unknown as Tick, tick({ time_msc: T0 + 5 }), tick({ bid: 2, ask: 1 }), tick({ time_msc: T0 - 5000 })];
    expect(v.validateBatch(batch, out, drops)).toBe(2);
    expect(out.map((t) => t.time_msc)).toEqual([T0, T0 + 5]);
    expect(drops).toEqual({ bad_symbol: 1, bad_time: 0, not_finite: 1, non_positive: 0, crossed: 1, time_backwards: 1 });
  });

  it('seeds the clock on restart', () => {
    const v = new TickValidator({ backwardsToleranceMs: 0 });
    v.seedTime('EURUSD', T0);
    expect(v.check(tick({ time_msc: T0 - 1 }))).toBe('time_backwards');
    expect(v.check(tick({ time_msc: T0 }))).toBeNull();
  });
});
