/**
 * Independent copy of an indicator's whole streaming state, so a caller can
 * try an input (a still-forming bar) on the copy without touching the live
 * instance. Indicators are plain state machines: numbers, typed arrays, arrays
 * and nested cores (EmaCore, Ring, …), so a structural deep copy that keeps
 * each object's prototype is exact. Functions (VWAP's optional `sessionOf`)
 * are pure by contract and shared, not copied.
 */
import type { AnyIndicator } from './types';

function copyValue(v: unknown, seen: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  const done = seen.get(v);
  if (done !== undefined) return done;
  if (ArrayBuffer.isView(v)) {
    const c = (v as unknown as { slice(): unknown }).slice();
    seen.set(v, c);
    return c;
  }
  if (Array.isArray(v)) {
    const c: unknown[] = [];
    seen.set(v, c);
    for (const x of v) c.push(copyValue(x, seen));
    return c;
  }
  const c = Object.create(Object.getPrototypeOf(v) as object | null) as Record<string, unknown>;
  seen.set(v, c);
  for (const k of Object.keys(v)) c[k] = copyValue((v as Record<string, unknown>)[k], seen);
  return c;
}

/** A deep copy of `ind`: same outputs for the same future inputs, no shared mutable state. */
export function cloneIndicator<T extends AnyIndicator>(ind: T): T {
  return copyValue(ind, new Map()) as T;
}
