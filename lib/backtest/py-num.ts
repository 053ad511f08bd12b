/**
 * The few Python numeric rules the engine must reproduce bit for bit, because
 * its reference semantics (fills, sizing) are defined by Python arithmetic.
 */

/**
 * Python's float floor division `a // b` (CPython float_floor_div). Unlike
 * `Math.floor(a / b)` it is exact: when a / b rounds up to a whole number but
 * the true quotient is just below it, Python (and this) returns the lower one.
 */
export function pyFloorDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('float floor division by zero');
  let mod = a % b; // C fmod: exact
  let div = (a - mod) / b;
  if (mod) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  if (div) {
    let floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
    return floordiv;
  }
  return a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
}

/** Python's `round(x)` for floats: half to even. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Python truthiness of an optional price: NaN (our "None") and 0 are false. */
export function has(x: number): boolean {
  return x === x && x !== 0;
}
