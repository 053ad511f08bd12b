/**
 * `billing`: invoices and payment records.
 *
 * - Period invoice (`billing.invoicePeriod`, REST `POST /invoices/close` for
 *   operators): the tier's monthly price plus metered overage of that period,
 *   minus the tenant's credit, with VAT; one per tenant and period however
 *   often it is asked for.
 * - Change invoice (`billing.createChangeInvoice`, called by subscription for a
 *   paid upgrade): the prorated difference; paying it applies the target tier.
 * - `billing.recordPayment` (called by payments): a payment status once per
 *   provider reference; the first `paid` marks the invoice paid and applies
 *   its target tier through subscription → users.
 * - REST: GET /invoices, GET /invoices/:id (another tenant's → 404).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { buildInvoice, InvoiceLine, prorationLine, subscriptionLine, usageLines } from '../../lib/billing/invoice';
import { periodOf } from '../../lib/billing/period';
import type { Proration } from '../../lib/billing/proration';
import { Tier } from '../../lib/billing/tiers';
import { priceUsage, Usage } from '../../lib/billing/usage';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { requireAdmin, tenantOf } from '../../mixins/tenant';
import type { ApiMeta } from '../../types/meta';
import type { Subscription } from '../subscription/store';
import * as B from './store';

type Ctx<P = Record<string, never>> = Context<P, ApiMeta>;

interface Vars {
  invoicePeriod(ctx: Ctx<unknown>, tenantId: string, at: number): Promise<{ invoice: B.Invoice; created: boolean }>;
}

const BillingService: ServiceSchema<ServiceSettingSchema, object, DbThis & Vars> = {
  name: 'billing',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    list: {
      rest: 'GET /invoices',
      params: { limit: { type: 'number', integer: true, min: 1, max: 10_000, convert: true, optional: true }, cursor: { type: 'string', max: 64, optional: true } },
      async handler(ctx: Ctx<{ limit?: number; cursor?: string }>) {
        return B.listInvoices(this.db, tenantOf(ctx), ctx.params.limit ?? 100, ctx.params.cursor);
      },
    },
    get: {
      rest: 'GET /invoices/:id',
      params: { id: { type: 'string', min: 1, max: 64 } },
      async handler(ctx: Ctx<{ id: string }>) {
        const tenantId = tenantOf(ctx);
        const inv = await B.getInvoice(this.db, tenantId, ctx.params.id);
        return { ...inv, payments: await B.listPayments(this.db, tenantId, inv.id) };
      },
    },
    /** Internal: an invoice by id for a given tenant (payments). */
    find: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1 }, id: { type: 'string', min: 1, max: 64 } },
      async handler(ctx: Ctx<{ tenantId: string; id: string }>) {
        return B.getInvoice(this.db, ctx.params.tenantId, ctx.params.id);
      },
    },
    /** Operators: invoice every tenant for the period containing `at` (default: last month). */
    close: {
      rest: 'POST /invoices/close',
      params: { at: { type: 'number', integer: true, convert: true, optional: true } },
      async handler(ctx: Ctx<{ at?: number }>) {
        requireAdmin(ctx);
        const at = ctx.params.at ?? periodOf(Date.now()).start - 1;
        const tenants = await ctx.call<{ items: { id: string }[] }, object>('users.listTenants', {}, { meta: ctx.meta });
        const out = [];
        for (const t of tenants.items) {
          const r = await this.invoicePeriod(ctx, t.id, at);
          out.push({ tenantId: t.id, invoiceId: r.invoice.id, number: r.invoice.number, total: r.invoice.total, created: r.created });
        }
        return { items: out, nextCursor: null };
      },
    },
    invoicePeriod: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1 }, at: { type: 'number', integer: true } },
      async handler(ctx: Ctx<{ tenantId: string; at: number }>) {
        return this.invoicePeriod(ctx, ctx.params.tenantId, ctx.params.at);
      },
    },
    createChangeInvoice: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1 }, proration: { type: 'object' } },
      async handler(ctx: Ctx<{ tenantId: string; proration: Proration }>) {
        const p = ctx.params.proration;
        const period = periodOf(p.effectiveAt);
        const draft = buildInvoice(p.currency, period, [prorationLine(p)]);
        const r = await B.insertInvoice(this.db, { tenantId: ctx.params.tenantId, kind: 'change', draft, targetTier: p.to, idempotencyKey: ctx.meta.idempotencyKey });
        return r.invoice;
      },
    },
    recordPayment: {
      visibility: 'public',
      params: {
        tenantId: { type: 'string', min: 1 }, invoiceId: { type: 'string', min: 1 }, provider: { type: 'string', min: 1 }, providerRef: { type: 'string', min: 1 },
        status: { type: 'enum', values: ['pending', 'paid', 'failed'] }, amount: { type: 'number', integer: true }, raw: { type: 'any', optional: true },
      },
      async handler(ctx: Ctx<{ tenantId: string; invoiceId: string; provider: string; providerRef: string; status: B.PaymentStatus; amount: number; raw?: unknown }>) {
        const { tenantId, invoiceId, ...p } = ctx.params;
        const r = await B.recordPayment(this.db, tenantId, invoiceId, { ...p, raw: p.raw });
        if (r.transitioned && r.invoice.targetTier) {
          await ctx.call('subscription.applyTier', { tenantId, tier: r.invoice.targetTier, actor: `invoice:${r.invoice.number}` });
        }
        if (r.transitioned) await ctx.emit('invoice.paid', { tenantId, invoiceId, number: r.invoice.number, total: r.invoice.total, currency: r.invoice.currency });
        return r;
      },
    },
  },
  methods: {
    async invoicePeriod(ctx: Ctx<unknown>, tenantId: string, at: number) {
      const period = periodOf(at);
      const { subscription: s, usage } = await ctx.call<{ subscription: Subscription; usage: Usage }, object>('subscription.periodUsage', { tenantId, at });
      const tier: Tier = s.tier;
      const lines: InvoiceLine[] = [subscriptionLine(tier, s.currency), ...usageLines(priceUsage(tier, usage, s.currency))];
      const gross = lines.reduce((a, l) => a + l.amount, 0);
      const existing = await B.listInvoices(this.db, tenantId, 1_000);
      const twin = existing.items.find((i) => i.kind === 'period' && i.periodStart === period.start);
      if (twin) return { invoice: twin, created: false };
      if (s.credit > 0 && gross > 0) {
        const { taken } = await ctx.call<{ taken: number }, object>('subscription.takeCredit', { tenantId, max: gross });
        if (taken > 0) lines.push({ kind: 'credit', description: 'Credit from an earlier plan change', quantity: 1, unitPrice: -taken, amount: -taken });
      }
      return B.insertInvoice(this.db, { tenantId, kind: 'period', draft: buildInvoice(s.currency, period, lines) });
    },
  },
};

export default BillingService;
