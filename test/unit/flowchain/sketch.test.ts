import { QuantileSketch } from '../../../flowchain/sketch';
import { lcg } from './spans';

function exactQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))];
}

describe('QuantileSketch', () => {
  const rnd = lcg(42);
  // log-normal-ish latencies from 0.05 ms to ~2 s
  const xs = Array.from({ length: 20_000 }, () => Math.exp(rnd() * 10 - 3));

  it('reports quantiles within its relative accuracy', () => {
    const s = new QuantileSketch(0.01);
    for (const x of xs) s.add(x);
    expect(s.count).toBe(xs.length);
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = exactQuantile(xs, q);
      expect(Math.abs(s.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.0101);
    }
    expect(s.quantile(0)).toBe(Math.min(...xs));
    expect(s.quantile(1)).toBe(Math.max(...xs));
    expect(s.mean).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 9);
  });

  it('merges exactly: two halves give the quantiles of the whole', () => {
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    const whole = new QuantileSketch();
    xs.forEach((x, i) => {
      (i % 2 ? a : b).add(x);
      whole.add(x);
    });
    a.merge(b);
    for (const q of [0.5, 0.95, 0.99]) expect(a.quantile(q)).toBe(whole.quantile(q));
    expect(a.count).toBe(whole.count);
  });

  it('round-trips through JSON', () => {
    const s = new QuantileSketch();
    for (const x of xs.slice(0, 1000)) s.add(x);
    s.add(0);
    const back = QuantileSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    for (const q of [0, 0.001, 0.5, 0.99, 1]) expect(back.quantile(q)).toBe(s.quantile(q));
    expect(back.count).toBe(1001);
  });

  it('bounds memory by collapsing the lowest bins and keeps high quantiles accurate', () => {
    const s = new QuantileSketch(0.01, 32);
    for (const x of xs) s.add(x);
    expect(s.toJSON().b.length).toBeLessThanOrEqual(32);
    const exact = exactQuantile(xs, 0.99);
    expect(Math.abs(s.quantile(0.99) - exact) / exact).toBeLessThanOrEqual(0.0101);
  });

  it('counts zeros and rejects bad values', () => {
    const s = new QuantileSketch();
    s.add(0).add(0).add(5);
    expect(s.quantile(0.5)).toBe(0);
    expect(Number.isNaN(new QuantileSketch().quantile(0.5))).toBe(true);
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(NaN)).toThrow(RangeError);
    expect(() => new QuantileSketch(0.01).merge(new QuantileSketch(0.02))).toThrow(/accuracy/);
  });
});
