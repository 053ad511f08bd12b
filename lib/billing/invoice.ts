/**
 * Invoice building: lines in minor units, one tax rate on the subtotal, totals,
 * and numbers `INV-YYYYMM-NNNN` (period month, per-month sequence from 1).
 *
 * Tax is `subtotal * taxBps / 10_000` rounded half up (basis points: Indonesian
 * VAT 11 % is 1100). A negative subtotal (credits exceed charges) is carried:
 * tax and total are then 0 and `carriedCredit` holds the remainder.
 */
import { Currency, mulDivRound, tierPriceMinor } from './money';
import { Period, periodKey } from './period';
import { Proration } from './proration';
import { METER_TITLES, UsageCharge } from './usage';
import { TIER_CATALOGUE, Tier } from './tiers';

export interface InvoiceLine {
  kind: 'subscription' | 'usage' | 'proration' | 'credit';
  description: string;
  quantity: number;
  /** Price of one unit (minor units). */
  unitPrice: number;
  /** quantity * unitPrice (minor units; negative for credits). */
  amount: number;
}

export interface InvoiceDraft {
  currency: Currency;
  periodStart: number;
  periodEnd: number;
  lines: InvoiceLine[];
  subtotal: number;
  taxBps: number;
  tax: number;
  total: number;
  /** Credit left over when credits exceed charges (minor units, ≥ 0). */
  carriedCredit: number;
}

/** Indonesian VAT (PPN) in basis points. */
export const DEFAULT_TAX_BPS = 1100;

/** `INV-YYYYMM-NNNN`; `seq` from 1 within the month (more than 9999 widens the number). */
export function invoiceNumber(period: Period, seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`invoice sequence must be a positive integer, got ${seq}`);
  return `INV-${periodKey(period)}-${String(seq).padStart(4, '0')}`;
}

export function subscriptionLine(tier: Tier, currency: Currency): InvoiceLine {
  const p = tierPriceMinor(tier, currency);
  return { kind: 'subscription', description: `${TIER_CATALOGUE[tier].title} plan, monthly`, quantity: 1, unitPrice: p, amount: p };
}

export function usageLines(charges: UsageCharge[]): InvoiceLine[] {
  return charges.map((c) => ({
    kind: 'usage' as const,
    description: `${METER_TITLES[c.meter]} above ${c.included.toLocaleString('en-US')} included: ${c.excess.toLocaleString('en-US')} (${c.blocks} × ${c.blockSize.toLocaleString('en-US')})`,
    quantity: c.blocks,
    unitPrice: c.blockPrice,
    amount: c.amount,
  }));
}

export function prorationLine(p: Proration): InvoiceLine {
  return {
    kind: 'proration',
    description: `${TIER_CATALOGUE[p.from].title} → ${TIER_CATALOGUE[p.to].title}, ${p.remainingDays} of ${p.periodDays} days`,
    quantity: 1,
    unitPrice: p.net,
    amount: p.net,
  };
}

export function buildInvoice(currency: Currency, period: Period, lines: InvoiceLine[], taxBps = DEFAULT_TAX_BPS): InvoiceDraft {
  if (!Number.isSafeInteger(taxBps) || taxBps < 0 || taxBps > 10_000) throw new RangeError(`taxBps must be an integer in [0, 10000], got ${taxBps}`);
  for (const l of lines) {
    if (!Number.isSafeInteger(l.amount) || l.amount !== l.quantity * l.unitPrice) throw new RangeError(`invoice line "${l.description}": amount must equal quantity × unitPrice in integer minor units`);
  }
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  const taxable = Math.max(0, subtotal);
  const tax = mulDivRound(taxable, taxBps, 10_000);
  return { currency, periodStart: period.start, periodEnd: period.end, lines, subtotal, taxBps, tax, total: taxable + tax, carriedCredit: Math.max(0, -subtotal) };
}
