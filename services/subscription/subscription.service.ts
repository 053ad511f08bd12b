/**
 * `subscription`: each tenant's plan (tier, period, status), exact usage
 * counters per billing period, entitlement checks and tier changes with
 * day-based proration. Domain in lib/billing; persistence in ./store.ts.
 *
 * Metering: `decision.made` counts one decision per decision id, `order.filled`
 * one order per order id (partial fills of one order count once), `api.calls`
 * (batched by the api gateway) adds API calls.
 *
 * REST: GET /subscription, GET /usage, POST /subscription/change
 * ({tier, confirm?}: without confirm a preview; with it a downgrade applies now
 * and leaves a credit, an upgrade that costs something opens an invoice in
 * `billing` that, once paid through `payments`, applies the tier), GET
 * /subscription/metrics (operators: MRR, ARPU, churn, LTV).
 * Internal: `subscription.check({feature?, meter?})` → 403 TIER_LIMIT naming the
 * tier that unlocks it; `subscription.applyTier`; `subscription.takeCredit`.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { Errors } from 'moleculer';
import { arpu, cacPaybackMonths, churnRate, ltv, mrr } from '../../lib/billing/metrics';
import { Currency, CURRENCIES } from '../../lib/billing/money';
import { periodOf } from '../../lib/billing/period';
import { prorate, Proration } from '../../lib/billing/proration';
import { Feature, hasFeature, TIER_CATALOGUE, TIERS, Tier } from '../../lib/billing/tiers';
import { Meter, METERS, priceUsage, USAGE_PLANS, withinAllowance } from '../../lib/billing/usage';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { requireAdmin, tenantOf } from '../../mixins/tenant';
import type { Decision } from '../../types/agents';
import type { ApiMeta } from '../../types/meta';
import type { OrderEvent } from '../../types/trading';
import * as S from './store';

type Ctx<P = Record<string, never>> = Context<P, ApiMeta>;

const FEATURES: Feature[] = ['paper_trading', 'live_trading', 'backtests', 'optimization', 'neural_ensemble', 'flowchain', 'telegram', 'api_access', 'custom_agents_config'];

/** The lowest tier above `from` with the feature (or an allowance above `used`), or null. */
export function tierUnlocking(from: Tier, ok: (t: Tier) => boolean): Tier | null {
  return TIERS.slice(TIERS.indexOf(from) + 1).find(ok) ?? null;
}

interface Vars {
  now(): number;
  changeTier(ctx: Ctx<unknown>, tenantId: string, to: Tier, actor: string, credit: number): Promise<void>;
}

const SubscriptionService: ServiceSchema<ServiceSettingSchema, object, DbThis & Vars> = {
  name: 'subscription',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    get: {
      rest: 'GET /subscription',
      params: {},
      async handler(ctx: Ctx) {
        const s = await S.getSubscription(this.db, tenantOf(ctx), this.now());
        return { ...s, plan: TIER_CATALOGUE[s.tier], usagePlan: USAGE_PLANS[s.tier] };
      },
    },
    usage: {
      rest: 'GET /usage',
      params: { at: { type: 'number', integer: true, convert: true, optional: true } },
      async handler(ctx: Ctx<{ at?: number }>) {
        const tenantId = tenantOf(ctx);
        const s = await S.getSubscription(this.db, tenantId, this.now());
        const period = periodOf(ctx.params.at ?? this.now());
        const usage = await S.getUsage(this.db, tenantId, period);
        const meters = METERS.map((m) => ({ meter: m, used: usage[m], included: USAGE_PLANS[s.tier][m].included, hardCap: !USAGE_PLANS[s.tier][m].overage }));
        const overage = priceUsage(s.tier, usage, s.currency);
        return { tenantId, tier: s.tier, currency: s.currency, periodStart: period.start, periodEnd: period.end, usage, meters, overage, overageTotal: overage.reduce((a, c) => a + c.amount, 0) };
      },
    },
    change: {
      rest: 'POST /subscription/change',
      params: { tier: { type: 'enum', values: [...TIERS] }, confirm: { type: 'boolean', optional: true, convert: true }, currency: { type: 'enum', values: [...CURRENCIES], optional: true } },
      async handler(ctx: Ctx<{ tier: Tier; confirm?: boolean; currency?: Currency }>) {
        const tenantId = tenantOf(ctx);
        const now = this.now();
        const s = await S.getSubscription(this.db, tenantId, now);
        if (s.tier === ctx.params.tier) throw new Errors.MoleculerClientError(`Already on the ${s.tier} tier`, 422, 'SAME_TIER', { tier: s.tier });
        const p: Proration = prorate(s.tier, ctx.params.tier, { start: s.periodStart, end: s.periodEnd }, now, ctx.params.currency ?? s.currency);
        if (!ctx.params.confirm) return { status: 'preview', proration: p };
        const actor = `key:${ctx.meta.keyId ?? '?'}`;
        if (p.net <= 0) {
          // Downgrades (and upgrades fully covered) apply now; what is owed back is a credit on the next invoice.
          await this.changeTier(ctx, tenantId, p.to, actor, -p.net);
          return { status: 'applied', proration: p, subscription: await S.getSubscription(this.db, tenantId, now) };
        }
        const invoice = await ctx.call<{ id: string; number: string; total: number }, object>('billing.createChangeInvoice', { tenantId, proration: p }, { meta: ctx.meta });
        ctx.meta.$statusCode = 202;
        return { status: 'payment_required', proration: p, invoice };
      },
    },
    /** Throws 403 TIER_LIMIT unless the tenant's tier has `feature` and `meter` is within its allowance. */
    check: {
      visibility: 'public',
      params: { feature: { type: 'enum', values: FEATURES, optional: true }, meter: { type: 'enum', values: [...METERS], optional: true }, tenantId: { type: 'string', optional: true } },
      async handler(ctx: Ctx<{ feature?: Feature; meter?: Meter; tenantId?: string }>) {
        const tenantId = ctx.params.tenantId ?? tenantOf(ctx);
        const s = await S.getSubscription(this.db, tenantId, this.now());
        const tier: Tier = s.status === 'cancelled' ? 'free' : s.tier;
        const f = ctx.params.feature;
        if (f && !hasFeature(tier, f)) {
          const requiredTier = tierUnlocking(tier, (t) => hasFeature(t, f));
          throw new Errors.MoleculerClientError(`The ${tier} tier does not include ${f}${requiredTier ? `; ${requiredTier} does` : ''}`, 403, 'TIER_LIMIT', { feature: f, tier, requiredTier });
        }
        const m = ctx.params.meter;
        if (m) {
          const used = (await S.getUsage(this.db, tenantId, periodOf(this.now())))[m];
          if (!withinAllowance(tier, m, used)) {
            const requiredTier = tierUnlocking(tier, (t) => withinAllowance(t, m, used));
            throw new Errors.MoleculerClientError(`The ${tier} tier includes ${USAGE_PLANS[tier][m].included} ${m} per month, all used`, 403, 'TIER_LIMIT', { meter: m, used, included: USAGE_PLANS[tier][m].included, tier, requiredTier });
          }
        }
        return { ok: true, tier };
      },
    },
    /** Apply a tier (internal: billing after a paid upgrade invoice). */
    applyTier: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1 }, tier: { type: 'enum', values: [...TIERS] }, actor: { type: 'string', min: 1 } },
      async handler(ctx: Ctx<{ tenantId: string; tier: Tier; actor: string }>) {
        await S.getSubscription(this.db, ctx.params.tenantId, this.now());
        await this.changeTier(ctx, ctx.params.tenantId, ctx.params.tier, ctx.params.actor, 0);
        return S.getSubscription(this.db, ctx.params.tenantId, this.now());
      },
    },
    /** Take up to `max` minor units of the tenant's credit (internal: billing, when invoicing). */
    takeCredit: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1 }, max: { type: 'number', integer: true, min: 0 } },
      async handler(ctx: Ctx<{ tenantId: string; max: number }>) {
        return { taken: await S.takeCredit(this.db, ctx.params.tenantId, ctx.params.max) };
      },
    },
    /** Subscription and usage counters of one period for a tenant (internal: billing). */
    periodUsage: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1 }, at: { type: 'number', integer: true } },
      async handler(ctx: Ctx<{ tenantId: string; at: number }>) {
        const s = await S.getSubscription(this.db, ctx.params.tenantId, this.now());
        return { subscription: s, usage: await S.getUsage(this.db, ctx.params.tenantId, periodOf(ctx.params.at)) };
      },
    },
    metrics: {
      rest: 'GET /subscription/metrics',
      params: { currency: { type: 'enum', values: [...CURRENCIES], optional: true }, cac: { type: 'number', integer: true, min: 0, convert: true, optional: true }, grossMargin: { type: 'number', min: 0, max: 1, convert: true, optional: true } },
      async handler(ctx: Ctx<{ currency?: Currency; cac?: number; grossMargin?: number }>) {
        requireAdmin(ctx);
        const cur = ctx.params.currency ?? 'IDR';
        const now = this.now();
        const subs = (await S.listSubscriptions(this.db)).map((s) => ({ tier: s.tier, startedAt: s.startedAt, cancelledAt: s.cancelledAt }));
        const p = periodOf(now);
        const a = arpu(subs, now, cur);
        const churn = churnRate(subs, periodOf(p.start - 1).start, p.start);
        return {
          currency: cur, at: now, accounts: subs.filter((s) => s.cancelledAt === null).length,
          mrr: mrr(subs, now, cur), arpu: a, churnRate: churn, ltv: ltv(a, churn),
          cacPaybackMonths: ctx.params.cac !== undefined ? cacPaybackMonths(ctx.params.cac, a, ctx.params.grossMargin ?? 1) : null,
        };
      },
    },
  },
  events: {
    'decision.made': {
      async handler(ctx: Context<Decision>) {
        const d = ctx.params;
        if (d?.tenantId && d.id) await S.countOnce(this.db, d.tenantId, 'decisions', d.id, d.madeAt ?? this.now());
      },
    },
    'order.filled': {
      async handler(ctx: Context<OrderEvent>) {
        const e = ctx.params;
        if (e?.tenantId && e.order?.id) await S.countOnce(this.db, e.tenantId, 'orders', e.order.id, this.now());
      },
    },
    'api.calls': {
      async handler(ctx: Context<{ counts: Record<string, number>; at: number }>) {
        for (const [tenantId, n] of Object.entries(ctx.params.counts ?? {})) {
          if (Number.isSafeInteger(n) && n > 0) await S.addUsage(this.db, tenantId, 'apiCalls', n, ctx.params.at ?? this.now());
        }
      },
    },
  },
  methods: {
    now() {
      return Date.now();
    },
    async changeTier(ctx: Ctx<unknown>, tenantId: string, to: Tier, actor: string, credit: number) {
      await ctx.call('users.setTier', { tenantId, tier: to, actor });
      await S.setSubscriptionTier(this.db, tenantId, to, credit);
    },
  },
};

export default SubscriptionService;
