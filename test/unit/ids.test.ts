/**
 * lib/ids.ts: opaque ids and v4 UUIDs drawn from one pooled CSPRNG page. Enough ids to
 * cross several page refills, interleaved, so a bug in the pool offset (bytes reused,
 * a byte never refreshed) shows as duplicates or a constant digit.
 */
import { newId, uuidV4 } from '../../lib/ids';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ids', () => {
  it('makes distinct RFC 4122 version-4 UUIDs across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const u = uuidV4();
      expect(u).toMatch(V4);
      seen.add(u);
    }
    expect(seen.size).toBe(5000);
  });

  it('varies every random digit (no byte of the pool is skipped or frozen)', () => {
    const digits = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      const u = uuidV4();
      for (let k = 0; k < 36; k++) digits[k].add(u[k]);
    }
    const fixed = new Set([8, 13, 14, 18, 23]); // the four dashes and the version digit
    for (let k = 0; k < 36; k++) {
      if (fixed.has(k)) expect(digits[k].size).toBe(1);
      else if (k === 19) expect([...digits[k]].sort()).toEqual(['8', '9', 'a', 'b']); // the variant
      else expect(digits[k].size).toBe(16);
    }
  });

  it('never hands the same pool bytes to an id and a UUID', () => {
    // Alternate UUIDs and ids; a call that did not move the pool on would give the next
    // one its bytes. Compare the first six bytes (twelve hex digits, none of them the
    // UUID's fixed version or variant bits) of each neighbour pair.
    const hex: string[] = [];
    for (let i = 0; i < 1000; i++) {
      hex.push(uuidV4().replace(/-/g, ''));
      hex.push(newId('o_').slice(2));
    }
    for (let i = 0; i + 1 < hex.length; i++) expect(hex[i + 1].slice(0, 12)).not.toBe(hex[i].slice(0, 12));
    expect(new Set(hex).size).toBe(hex.length);
  });

  it('prefixes opaque ids with their kind', () => {
    expect(newId('ev_')).toMatch(/^ev_[0-9a-f]{24}$/);
  });
});
