/** lib/billing: hand-computed cases, every amount an exact integer of minor units. */
import { ceilDiv, formatMoney, mulDivRound, tierPriceMinor } from '../../../lib/billing/money';
import { periodDays, periodKey, periodOf } from '../../../lib/billing/period';
import { prorate } from '../../../lib/billing/proration';
import { priceUsage, withinAllowance } from '../../../lib/billing/usage';
import { buildInvoice, invoiceNumber, prorationLine, subscriptionLine, usageLines } from '../../../lib/billing/invoice';
import { arpu, cacPaybackMonths, churnRate, ltv, mrr, SubscriptionFact } from '../../../lib/billing/metrics';

const U = Date.UTC;

describe('money', () => {
  it('rounds a*b/c half away from zero, exactly', () => {
    expect(mulDivRound(5, 1, 2)).toBe(3);
    expect(mulDivRound(-5, 1, 2)).toBe(-3);
    expect(mulDivRound(7, 1, 3)).toBe(2);
    expect(mulDivRound(9_007_199_254_740_991, 3, 3)).toBe(9_007_199_254_740_991); // product exceeds 2^53
    expect(() => mulDivRound(1.5, 1, 1)).toThrow(RangeError);
    expect(ceilDiv(1001, 1000)).toBe(2);
    expect(ceilDiv(1000, 1000)).toBe(1);
  });
  it('prices tiers in minor units and formats them', () => {
    expect(tierPriceMinor('pro', 'USD')).toBe(4900);
    expect(tierPriceMinor('pro', 'IDR')).toBe(790_000);
    expect(formatMoney(790_000, 'IDR')).toBe('Rp 790.000');
    expect(formatMoney(4905, 'USD')).toBe('$49.05');
  });
});

describe('periods', () => {
  it('are UTC calendar months', () => {
    const p = periodOf(U(2024, 1, 29, 23, 59));
    expect(p).toEqual({ start: U(2024, 1, 1), end: U(2024, 2, 1) });
    expect(periodDays(p)).toBe(29);
    expect(periodKey(p)).toBe('202402');
  });
});

describe('proration (day-based, change day counts on the new tier)', () => {
  it('pro → enterprise on 11 March (21 of 31 days left), IDR', () => {
    const r = prorate('pro', 'enterprise', periodOf(U(2024, 2, 1)), U(2024, 2, 11, 15), 'IDR');
    expect(r.remainingDays).toBe(21);
    expect(r.periodDays).toBe(31);
    expect(r.credit).toBe(535_161); // 790000 × 21/31 = 535161.29
    expect(r.charge).toBe(5_412_581); // 7990000 × 21/31 = 5412580.65
    expect(r.net).toBe(4_877_420);
    expect(r.direction).toBe('upgrade');
  });
  it('free → pro on the first and the last day of February 2024, USD', () => {
    const feb = periodOf(U(2024, 1, 10));
    expect(prorate('free', 'pro', feb, U(2024, 1, 1), 'USD')).toMatchObject({ remainingDays: 29, credit: 0, charge: 4900, net: 4900 });
    expect(prorate('free', 'pro', feb, U(2024, 1, 29, 23, 59), 'USD')).toMatchObject({ remainingDays: 1, charge: 169, net: 169 }); // 4900/29 = 168.97
  });
  it('enterprise → pro on 16 April gives a credit', () => {
    const r = prorate('enterprise', 'pro', periodOf(U(2024, 3, 1)), U(2024, 3, 16), 'USD');
    expect(r).toMatchObject({ remainingDays: 15, credit: 24_950, charge: 2450, net: -22_500, direction: 'downgrade' });
  });
  it('refuses a time outside the period', () => {
    expect(() => prorate('free', 'pro', periodOf(U(2024, 3, 1)), U(2024, 4, 1), 'USD')).toThrow(RangeError);
  });
});

describe('usage pricing', () => {
  it('bills started blocks above the allowance', () => {
    const c = priceUsage('pro', { decisions: 100_001, orders: 61_500, apiCalls: 2_000_000 }, 'IDR');
    expect(c.map((x) => [x.meter, x.excess, x.blocks, x.amount])).toEqual([
      ['decisions', 1, 1, 5000],
      ['orders', 1500, 2, 20_000],
    ]);
  });
  it('never bills a hard-capped (free) meter, and refuses beyond it', () => {
    expect(priceUsage('free', { decisions: 10_000, orders: 0, apiCalls: 0 }, 'USD')).toEqual([]);
    expect(withinAllowance('free', 'decisions', 2999)).toBe(true);
    expect(withinAllowance('free', 'decisions', 3000)).toBe(false);
    expect(withinAllowance('pro', 'decisions', 10_000_000)).toBe(true);
  });
  it('rejects negative or fractional usage', () => {
    expect(() => priceUsage('pro', { decisions: -1, orders: 0, apiCalls: 0 }, 'USD')).toThrow(RangeError);
  });
});

describe('invoices', () => {
  const march = periodOf(U(2024, 2, 5));
  it('numbers INV-YYYYMM-NNNN', () => {
    expect(invoiceNumber(march, 7)).toBe('INV-202403-0007');
    expect(invoiceNumber(march, 12_345)).toBe('INV-202403-12345');
    expect(() => invoiceNumber(march, 0)).toThrow(RangeError);
  });
  it('sums lines and adds 11 % VAT', () => {
    const usage = usageLines(priceUsage('pro', { decisions: 100_001, orders: 61_500, apiCalls: 0 }, 'IDR'));
    const inv = buildInvoice('IDR', march, [subscriptionLine('pro', 'IDR'), ...usage]);
    expect(inv.subtotal).toBe(815_000);
    expect(inv.tax).toBe(89_650);
    expect(inv.total).toBe(904_650);
    expect(inv.lines[1].description).toMatch(/AI decisions above 100,000 included: 1 \(1 × 1,000\)/);
  });
  it('rounds tax half up', () => {
    const inv = buildInvoice('USD', march, [{ kind: 'usage', description: 'x', quantity: 1, unitPrice: 50, amount: 50 }]);
    expect(inv.tax).toBe(6); // 5.5
    const inv2 = buildInvoice('USD', march, [subscriptionLine('pro', 'USD'), { kind: 'usage', description: 'y', quantity: 1, unitPrice: 30, amount: 30 }]);
    expect([inv2.subtotal, inv2.tax, inv2.total]).toEqual([4930, 542, 5472]); // 542.3
  });
  it('carries a credit instead of a negative total', () => {
    const p = prorate('enterprise', 'pro', periodOf(U(2024, 3, 1)), U(2024, 3, 16), 'USD');
    const inv = buildInvoice('USD', periodOf(U(2024, 3, 1)), [prorationLine(p)]);
    expect(inv).toMatchObject({ subtotal: -22_500, tax: 0, total: 0, carriedCredit: 22_500 });
  });
  it('refuses a line whose amount is not quantity × unit price', () => {
    expect(() => buildInvoice('USD', march, [{ kind: 'usage', description: 'bad', quantity: 2, unitPrice: 3, amount: 5 }])).toThrow(RangeError);
  });
});

describe('SaaS metrics', () => {
  const subs: SubscriptionFact[] = [
    { tier: 'pro', startedAt: U(2024, 0, 1), cancelledAt: null },
    { tier: 'enterprise', startedAt: U(2024, 0, 1), cancelledAt: U(2024, 2, 15) },
    { tier: 'free', startedAt: U(2024, 0, 10), cancelledAt: null },
    { tier: 'pro', startedAt: U(2024, 2, 5), cancelledAt: null },
  ];
  const t = U(2024, 2, 1);
  it('MRR, ARPU, churn, LTV and CAC payback', () => {
    expect(mrr(subs, t, 'IDR')).toBe(8_780_000);
    expect(arpu(subs, t, 'IDR')).toBe(2_926_667); // 8780000 / 3
    expect(arpu(subs, t, 'IDR', true)).toBe(4_390_000);
    const churn = churnRate(subs, t, U(2024, 3, 1));
    expect(churn).toBeCloseTo(1 / 3, 12);
    expect(ltv(2_926_667, churn)).toBe(8_780_001);
    expect(ltv(2_926_667, 0)).toBeNull();
    expect(cacPaybackMonths(1_000_000, 2_926_667, 0.8)).toBeCloseTo(1_000_000 / 2_341_333.6, 9);
    expect(cacPaybackMonths(1_000_000, 0)).toBeNull();
    expect(mrr(subs, U(2024, 3, 1), 'USD')).toBe(9800); // two pro after the enterprise cancelled
  });
});
