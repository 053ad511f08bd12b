/**
 * A growing Bloom filter over strings: "definitely absent" or "maybe present".
 *
 * Each stage is a classic filter sized for `capacity` keys at the target false-positive
 * rate; when a stage is full the next one is twice the size at half the rate, so the
 * total rate stays under the target however many keys arrive (a scalable Bloom filter).
 * Positions come from two 32-bit FNV-1a variants combined by double hashing.
 */
export interface BloomOptions {
  /** Keys the first stage holds (default 1,024). */
  capacity?: number;
  /** Overall false-positive rate bound (default 0.001). */
  falsePositiveRate?: number;
}

interface Stage {
  bits: Uint32Array;
  /** Bits in the stage (a multiple of 32). */
  m: number;
  k: number;
  capacity: number;
  count: number;
}

/** Two independent 32-bit hashes of a string's UTF-16 code units. */
function hashes(s: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  // Final avalanche so short keys differing in one character spread over the whole word.
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return [h1 >>> 0, (h2 | 1) >>> 0];
}

function stage(capacity: number, rate: number): Stage {
  const m = Math.max(64, Math.ceil((-capacity * Math.log(rate)) / (Math.LN2 * Math.LN2) / 32) * 32);
  const k = Math.max(1, Math.round((m / capacity) * Math.LN2));
  return { bits: new Uint32Array(m / 32), m, k, capacity, count: 0 };
}

export class BloomFilter {
  private readonly stages: Stage[] = [];
  private readonly rate: number;
  private keys = 0;

  constructor(opts: BloomOptions = {}) {
    const capacity = opts.capacity ?? 1024;
    this.rate = opts.falsePositiveRate ?? 0.001;
    if (!(capacity > 0) || !(this.rate > 0 && this.rate < 1)) throw new RangeError('bloom: capacity > 0 and 0 < falsePositiveRate < 1');
    // Stage i gets rate·2^-(i+1): the sum over all stages stays under `rate`.
    this.stages.push(stage(capacity, this.rate / 2));
  }

  /** Keys added (duplicates counted once per add). */
  get size(): number {
    return this.keys;
  }

  /** Bytes the bit arrays take. */
  get bytes(): number {
    let b = 0;
    for (const s of this.stages) b += s.bits.byteLength;
    return b;
  }

  add(key: string): void {
    let s = this.stages[this.stages.length - 1];
    if (s.count >= s.capacity) {
      s = stage(s.capacity * 2, this.rate / 2 ** (this.stages.length + 1));
      this.stages.push(s);
    }
    const [h1, h2] = hashes(key);
    for (let i = 0; i < s.k; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const j = bit % s.m;
      s.bits[j >>> 5] |= 1 << (j & 31);
    }
    s.count++;
    this.keys++;
  }

  /** False: the key was never added. True: it may have been. */
  mayContain(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (const s of this.stages) {
      let all = true;
      for (let i = 0; i < s.k; i++) {
        const j = ((h1 + Math.imul(i, h2)) >>> 0) % s.m;
        if ((s.bits[j >>> 5] & (1 << (j & 31))) === 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }
}
