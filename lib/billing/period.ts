/**
 * Billing periods are UTC calendar months: [first day 00:00, first day of next month 00:00).
 * Proration counts whole UTC days.
 */
export const DAY_MS = 86_400_000;

export interface Period {
  /** Inclusive start, ms since epoch UTC. */
  start: number;
  /** Exclusive end, ms since epoch UTC. */
  end: number;
}

/** The UTC calendar month containing `t` (ms). */
export function periodOf(t: number): Period {
  const d = new Date(t);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { start, end };
}

/** The period right after `p`. */
export function nextPeriod(p: Period): Period {
  return periodOf(p.end);
}

/** `YYYYMM` of a period's start (UTC), as used in invoice numbers. */
export function periodKey(p: Period): string {
  const d = new Date(p.start);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Whole UTC days in a period. */
export function periodDays(p: Period): number {
  return Math.round((p.end - p.start) / DAY_MS);
}
