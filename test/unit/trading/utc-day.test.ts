import { utcDay } from '../../../services/trading/trading.store';

describe('utcDay', () => {
  it('names the UTC day of a time, across midnight both ways and far apart', () => {
    const midnight = Date.UTC(2026, 10, 27);
    expect(utcDay(midnight - 1)).toBe('2026-11-26');
    expect(utcDay(midnight)).toBe('2026-11-27');
    expect(utcDay(midnight - 1)).toBe('2026-11-26');
    expect(utcDay(midnight + 86_399_999)).toBe('2026-11-27');
    expect(utcDay(midnight + 86_400_000)).toBe('2026-11-28');
    expect(utcDay(0)).toBe('1970-01-01');
    for (let t = Date.UTC(2024, 1, 28); t < Date.UTC(2024, 2, 2); t += 3_600_000) expect(utcDay(t)).toBe(new Date(t).toISOString().slice(0, 10));
  });
});
