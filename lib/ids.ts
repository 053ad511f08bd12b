/** Opaque ids: a short prefix naming the kind (`o_` order, `f_` fill, `p_` position, `ev_` evaluation) + 96 random bits in hex (≤ 28 chars, fits MT5's 31-char comment with `p2:`). */
import { randomFillSync } from 'node:crypto';

// Random bits drawn from the CSPRNG a page at a time: one `randomBytes(12)` per id cost
// ≈ 2.8 µs here (a system call each), a slice of the page ≈ 0.2 µs; ids are on the order path.
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

/** The start of `n` unused random bytes in POOL (refilled when fewer are left). */
function take(n: number): number {
  if (offset + n > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

export function newId(prefix: string): string {
  const at = take(12);
  return prefix + POOL.toString('hex', at, at + 12);
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const UUID = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');
/** Byte i of the 16 goes to UUID[UUID_AT[i]] and the next character. */
const UUID_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * An RFC 4122 version-4 UUID from the same pool, built in a scratch buffer and read out
 * as one flat string: `crypto.randomUUID` joins some twenty strings per id, and the
 * broker makes several ids per call (contexts, requests, spans).
 */
export function uuidV4(): string {
  const from = take(16);
  for (let i = 0; i < 16; i++) {
    let b = POOL[from + i];
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    const at = UUID_AT[i];
    UUID[at] = HEX[b >> 4];
    UUID[at + 1] = HEX[b & 15];
  }
  return UUID.toString('latin1', 0, 36);
}
