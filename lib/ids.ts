/** Opaque ids: a short prefix naming the kind (`o_` order, `f_` fill, `p_` position, `ev_` evaluation) + 96 random bits in hex (≤ 28 chars, fits MT5's 31-char comment with `p2:`). */
import { randomBytes } from 'node:crypto';

export function newId(prefix: string): string {
  return prefix + randomBytes(12).toString('hex');
}
