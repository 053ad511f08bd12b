import { RateSampler } from '../../../flowchain/sampling';

describe('RateSampler', () => {
  it.each([0.01, 0.1, 0.25, 1 / 3, 0.5, 1])('keeps exactly rate·n of n traces, evenly (rate %p)', (rate) => {
    const s = new RateSampler(rate);
    const kept: number[] = [];
    for (let i = 0; i < 3000; i++) if (s.next()) kept.push(i);
    expect(kept.length).toBe(Math.round(3000 * rate));
    expect(kept[0]).toBe(0); // the first trace of a quiet system is kept
    const gaps = kept.slice(1).map((k, i) => k - kept[i]);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
    expect(s.kept / s.seen).toBeCloseTo(rate, 2);
  });

  it('keeps nothing at rate 0 and rejects rates outside [0, 1]', () => {
    const s = new RateSampler(0);
    for (let i = 0; i < 10; i++) expect(s.next()).toBe(false);
    expect(() => new RateSampler(1.5)).toThrow(RangeError);
  });
});
