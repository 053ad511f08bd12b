/**
 * Money in integer minor units. Every amount in lib/billing is an integer count
 * of the currency's smallest billed unit: USD in cents, IDR in whole rupiah
 * (Midtrans takes `gross_amount` as an integer number of rupiah, so IDR is
 * billed with exponent 0). No floats ever hold money.
 */
import { TIER_CATALOGUE, Tier } from './tiers';

export type Currency = 'IDR' | 'USD';
export const CURRENCIES: readonly Currency[] = ['IDR', 'USD'];

/** Decimal places between the display unit and the minor unit. */
export const MINOR_EXPONENT: Record<Currency, number> = { IDR: 0, USD: 2 };

/**
 * `a * b / c` rounded half away from zero, exactly (BigInt inside, so no
 * intermediate loses precision). `c` must be positive. Result must be a safe integer.
 */
export function mulDivRound(a: number, b: number, c: number): number {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || !Number.isSafeInteger(c) || c <= 0) {
    throw new RangeError(`mulDivRound needs safe integers and c > 0, got ${a}, ${b}, ${c}`);
  }
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const q = (abs * 2n + d) / (2n * d);
  return Number(neg ? -q : q);
}

/** Ceil(a / b) for non-negative integers a and positive b. */
export function ceilDiv(a: number, b: number): number {
  if (a < 0 || b <= 0) throw new RangeError(`ceilDiv needs a >= 0 and b > 0, got ${a}, ${b}`);
  return Math.floor((a + b - 1) / b);
}

/** A tier's monthly list price in minor units of `currency`. */
export function tierPriceMinor(tier: Tier, currency: Currency): number {
  const t = TIER_CATALOGUE[tier];
  return currency === 'IDR' ? t.priceIdrMonthly : Math.round(t.priceUsdMonthly * 100);
}

/** Display form: `Rp 790.000` / `$49.00` (for messages and invoices, never for arithmetic). */
export function formatMoney(minor: number, currency: Currency): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (currency === 'IDR') return `${sign}Rp ${abs.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.')}`;
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
