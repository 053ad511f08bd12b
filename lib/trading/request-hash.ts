/**
 * The fingerprint of an order request, stored with its idempotency key: the same key
 * with the same fingerprint replays the order; with another one it is a conflict (409).
 * Canonical JSON (sorted keys, undefined dropped) so field order never matters.
 */
import { createHash } from 'node:crypto';
import type { OrderIntent } from '../../types/trading';

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  const o = v as Record<string, unknown>;
  return (
    '{' +
    Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => JSON.stringify(k) + ':' + canonical(o[k]))
      .join(',') +
    '}'
  );
}

/** sha256 (hex, 32 chars kept) of the canonical request: the intent with its account defaulted, plus the decision id. */
export function requestHash(intent: OrderIntent, decisionId: string | null | undefined): string {
  const body = { ...intent, account: intent.account ?? 'paper', decisionId: decisionId ?? null };
  return createHash('sha256').update(canonical(body)).digest('hex').slice(0, 32);
}
