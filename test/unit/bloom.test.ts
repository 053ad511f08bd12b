import { BloomFilter } from '../../lib/util/bloom';

describe('BloomFilter', () => {
  it('never forgets a key it was given, across stages', () => {
    const b = new BloomFilter({ capacity: 100 });
    const keys = Array.from({ length: 5_000 }, (_, i) => `seq-${i}`);
    for (const k of keys) b.add(k);
    expect(b.size).toBe(5_000);
    for (const k of keys) expect(b.mayContain(k)).toBe(true);
  });

  it('keeps the false-positive rate under its bound as it grows past its first stage', () => {
    const b = new BloomFilter({ capacity: 1_000, falsePositiveRate: 0.001 });
    for (let i = 0; i < 20_000; i++) b.add(`d_${i.toString(36)}_${(i * 7919) % 10007}`);
    let fp = 0;
    const probes = 200_000;
    for (let i = 0; i < probes; i++) if (b.mayContain(`other-${i}`)) fp++;
    expect(fp / probes).toBeLessThan(0.001);
    // About 14.4 bits a key at 0.1 %, doubled-up stages included: well under 8 bytes a key.
    expect(b.bytes / b.size).toBeLessThan(8);
  });

  it('an empty filter contains nothing; one-character keys are told apart', () => {
    const b = new BloomFilter();
    expect(b.mayContain('a')).toBe(false);
    b.add('a');
    expect(b.mayContain('a')).toBe(true);
    expect(['b', 'c', 'A', 'aa', ''].filter((k) => b.mayContain(k))).toEqual([]);
  });

  it('rejects nonsense options', () => {
    expect(() => new BloomFilter({ capacity: 0 })).toThrow(RangeError);
    expect(() => new BloomFilter({ falsePositiveRate: 1 })).toThrow(RangeError);
  });
});
