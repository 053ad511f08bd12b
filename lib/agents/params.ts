/**
 * Typed, validated agent parameters. Each agent declares a schema; `applyParams`
 * merges a patch into the current values or throws a DomainError (422) naming
 * the key and what it accepts, so a bad `configure` never half-applies.
 */
import { DomainError } from '../errors';

export type ParamSpec =
  | { type: 'number'; min: number; max: number; integer?: boolean; doc: string }
  | { type: 'boolean'; doc: string }
  | { type: 'strings'; doc: string };

export type ParamValue = number | boolean | string[];
export type ParamSchema<T> = { [K in keyof T]: ParamSpec };

/** New values = current ⊕ patch, validated against `schema`. Unknown keys and bad values → DomainError BAD_CONFIG. */
export function applyParams<T extends { [K in keyof T]: ParamValue }>(schema: ParamSchema<T>, current: T, patch: Record<string, unknown>): T {
  const next = { ...current } as Record<string, ParamValue>;
  for (const [k, v] of Object.entries(patch)) {
    const spec = (schema as Record<string, ParamSpec>)[k];
    if (!spec) throw new DomainError('BAD_CONFIG', `unknown parameter '${k}'`, 422, { known: Object.keys(schema) });
    if (spec.type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max || (spec.integer && !Number.isInteger(v)))
        throw new DomainError('BAD_CONFIG', `parameter '${k}' must be ${spec.integer ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}]`, 422, { key: k, got: v });
      next[k] = v;
    } else if (spec.type === 'boolean') {
      if (typeof v !== 'boolean') throw new DomainError('BAD_CONFIG', `parameter '${k}' must be true or false`, 422, { key: k, got: v });
      next[k] = v;
    } else {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 64))
        throw new DomainError('BAD_CONFIG', `parameter '${k}' must be a list of strings`, 422, { key: k, got: v });
      next[k] = [...(v as string[])];
    }
  }
  return next as T;
}
