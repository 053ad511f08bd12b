/**
 * business-intelligence (monitoring, tenant-scoped, advisory only): how each
 * tenant uses the platform against its plan (lib/billing/tiers.ts), and the
 * business across tenants.
 *
 * Counted per tenant and UTC day of the event's own wall-clock time: decisions
 * (`decision.made`, by `madeAt`), orders (`order.accepted`/`order.filled`, by id, on the day
 * they were created), symbols decided on, API requests (tracing spans) and the
 * busiest minute of requests. "Today" is the day of the newest event seen.
 *
 * Advice per tenant: `order_allowance` (warn at 80 % of the plan's orders per
 * day, critical at 100 %), `symbol_allowance` (more symbols than the plan
 * allows), `rate_allowance` (busiest minute at 80 % of the plan's requests per
 * minute), `upgrade` (a free tenant using 80 % of any allowance).
 *
 * Business view (`report`): tenants and active tenants (activity in the last
 * 24 h) per tier, decisions and orders per tier today, and monthly recurring
 * revenue at list price (tier price × tenants on it) until billing records
 * actual payments.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { advisoryDraft, fmt } from '../../../lib/agents/opinion';
import { isTier, Tier, TIER_CATALOGUE, TIERS } from '../../../lib/billing/tiers';
import { RequestAttributor } from '../../../lib/monitoring/requests';
import type { AdvisoryNote, OpinionQuery } from '../../../types/agents';

const DAY = 86_400_000;
const NEAR = 0.8;

export interface TenantInfo {
  id: string;
  name: string;
  tier: Tier;
  createdAt: number;
}

interface DayUsage {
  decisions: number;
  orders: Set<string>;
  symbols: Set<string>;
  requests: number;
  /** Requests per minute (minute index → count), for the busiest minute. */
  perMinute: Map<number, number>;
}

interface TenantUsage {
  days: Map<number, DayUsage>;
  lastActivity: number;
}

export interface TenantUsageView {
  tenantId: string;
  name: string | null;
  tier: Tier;
  day: string | null;
  decisions: number;
  orders: number;
  ordersAllowed: number;
  symbols: string[];
  symbolsAllowed: number;
  requests: number;
  peakRequestsPerMinute: number;
  requestsPerMinuteAllowed: number;
  lastActivity: number | null;
  advice: AdvisoryNote[];
}

export interface BusinessReport {
  day: string | null;
  tenants: number;
  activeTenants: number;
  byTier: Record<Tier, { tenants: number; active: number; decisionsToday: number; ordersToday: number; mrrUsd: number; mrrIdr: number }>;
  mrr: { usd: number; idr: number; basis: 'list price' };
  usage: TenantUsageView[];
}

export class BusinessIntelligenceAgent implements Agent {
  readonly id = 'business-intelligence';
  readonly group = 'monitoring' as const;
  readonly scope = 'tenant' as const;
  readonly events = ['decision.made', 'order.accepted', 'order.filled', 'flowchain.spans'] as const;
  private readonly tenants = new Map<string, TenantInfo>();
  private readonly usage = new Map<string, TenantUsage>();
  private readonly attributor = new RequestAttributor();
  private latest = 0;

  knows(tenantId: string): boolean {
    return this.tenants.has(tenantId);
  }

  /** The tenant register (from the service: the `tenants` table). */
  setTenants(list: readonly TenantInfo[]): void {
    this.tenants.clear();
    for (const t of list) this.tenants.set(t.id, t);
  }

  private day(tenantId: string, t: number): DayUsage {
    let u = this.usage.get(tenantId);
    if (!u) this.usage.set(tenantId, (u = { days: new Map(), lastActivity: 0 }));
    if (t > u.lastActivity) u.lastActivity = t;
    if (t > this.latest) this.latest = t;
    const d = Math.floor(t / DAY);
    let du = u.days.get(d);
    if (!du) {
      u.days.set(d, (du = { decisions: 0, orders: new Set(), symbols: new Set(), requests: 0, perMinute: new Map() }));
      for (const k of u.days.keys()) if (k < d - 7) u.days.delete(k);
    }
    return du;
  }

  update(e: AgentEvent): void {
    if (e.type === 'decision.made') {
      const du = this.day(e.decision.tenantId, e.decision.madeAt ?? e.decision.asOf);
      du.decisions++;
      du.symbols.add(e.decision.symbol);
    } else if (e.type === 'order.accepted' || e.type === 'order.filled') {
      this.day(e.order.tenantId, e.order.createdAt).orders.add(e.order.id);
    } else if (e.type === 'flowchain.spans') {
      for (const r of this.attributor.take(e.batch)) {
        const du = this.day(r.tenantId, r.start);
        du.requests++;
        const m = Math.floor(r.start / 60_000);
        du.perMinute.set(m, (du.perMinute.get(m) ?? 0) + 1);
        if (du.perMinute.size > 1500) du.perMinute.delete(du.perMinute.keys().next().value as number);
      }
    }
  }

  private tierOf(tenantId: string): Tier {
    const t = this.tenants.get(tenantId)?.tier;
    return t && isTier(t) ? t : 'free';
  }

  /** A tenant's usage today against its plan, with advice. */
  usageOf(tenantId: string): TenantUsageView {
    const tier = this.tierOf(tenantId);
    const spec = TIER_CATALOGUE[tier];
    const today = this.latest > 0 ? Math.floor(this.latest / DAY) : null;
    const du = today !== null ? this.usage.get(tenantId)?.days.get(today) : undefined;
    const v: TenantUsageView = {
      tenantId,
      name: this.tenants.get(tenantId)?.name ?? null,
      tier,
      day: today !== null ? new Date(today * DAY).toISOString().slice(0, 10) : null,
      decisions: du?.decisions ?? 0,
      orders: du?.orders.size ?? 0,
      ordersAllowed: spec.maxOrdersPerDay,
      symbols: du ? [...du.symbols].sort() : [],
      symbolsAllowed: spec.maxSymbols,
      requests: du?.requests ?? 0,
      peakRequestsPerMinute: du ? Math.max(0, ...du.perMinute.values()) : 0,
      requestsPerMinuteAllowed: spec.requestsPerMinute,
      lastActivity: this.usage.get(tenantId)?.lastActivity || null,
      advice: [],
    };
    const next = TIERS[TIERS.indexOf(tier) + 1] as Tier | undefined;
    const upgrade = next ? ` (the ${TIER_CATALOGUE[next].title} plan allows more)` : '';
    const oShare = v.orders / v.ordersAllowed;
    if (oShare >= NEAR) v.advice.push({ code: 'order_allowance', level: oShare >= 1 ? 'critical' : 'warn', message: `${v.orders} of ${v.ordersAllowed} orders allowed per day on the ${spec.title} plan used today${upgrade}` });
    if (v.symbols.length > v.symbolsAllowed) v.advice.push({ code: 'symbol_allowance', level: 'warn', message: `decisions on ${v.symbols.length} symbols today; the ${spec.title} plan allows ${v.symbolsAllowed}${upgrade}` });
    const rShare = v.peakRequestsPerMinute / v.requestsPerMinuteAllowed;
    if (rShare >= NEAR) v.advice.push({ code: 'rate_allowance', level: 'warn', message: `busiest minute ${v.peakRequestsPerMinute} requests, ${fmt(rShare * 100, 3)}% of the ${spec.title} plan's ${v.requestsPerMinuteAllowed} per minute${upgrade}` });
    if (tier === 'free' && (oShare >= NEAR || rShare >= NEAR || v.symbols.length >= v.symbolsAllowed)) v.advice.push({ code: 'upgrade', level: 'info', message: `this free tenant uses its plan to the full: a candidate for ${TIER_CATALOGUE.pro.title} ($${TIER_CATALOGUE.pro.priceUsdMonthly}/month)` });
    return v;
  }

  /** The business across tenants (operators). */
  report(): BusinessReport {
    const today = this.latest > 0 ? Math.floor(this.latest / DAY) : null;
    const byTier = Object.fromEntries(TIERS.map((t) => [t, { tenants: 0, active: 0, decisionsToday: 0, ordersToday: 0, mrrUsd: 0, mrrIdr: 0 }])) as BusinessReport['byTier'];
    const ids = new Set([...this.tenants.keys(), ...this.usage.keys()]);
    let active = 0;
    const usage: TenantUsageView[] = [];
    for (const id of [...ids].sort()) {
      const tier = this.tierOf(id);
      const row = byTier[tier];
      const u = this.usage.get(id);
      const isActive = !!u && u.lastActivity > this.latest - DAY;
      row.tenants++;
      row.mrrUsd += TIER_CATALOGUE[tier].priceUsdMonthly;
      row.mrrIdr += TIER_CATALOGUE[tier].priceIdrMonthly;
      if (isActive) {
        row.active++;
        active++;
      }
      const du = today !== null ? u?.days.get(today) : undefined;
      row.decisionsToday += du?.decisions ?? 0;
      row.ordersToday += du?.orders.size ?? 0;
      usage.push(this.usageOf(id));
    }
    const mrrUsd = TIERS.reduce((a, t) => a + byTier[t].mrrUsd, 0);
    const mrrIdr = TIERS.reduce((a, t) => a + byTier[t].mrrIdr, 0);
    return { day: today !== null ? new Date(today * DAY).toISOString().slice(0, 10) : null, tenants: ids.size, activeTenants: active, byTier, mrr: { usd: mrrUsd, idr: mrrIdr, basis: 'list price' }, usage };
  }

  opine(q: OpinionQuery): OpinionDraft {
    const v = this.usageOf(q.tenantId ?? '');
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? this.latest };
    const features = { decisions: v.decisions, orders: v.orders, ordersAllowed: v.ordersAllowed, symbols: v.symbols.length, symbolsAllowed: v.symbolsAllowed, peakRequestsPerMinute: v.peakRequestsPerMinute };
    return advisoryDraft(
      head,
      v.advice,
      `Plan ${TIER_CATALOGUE[v.tier].title}, ${v.day ?? 'no activity yet'}: ${v.decisions} decisions, ${v.orders} of ${v.ordersAllowed} orders, ${v.symbols.length} of ${v.symbolsAllowed} symbols, busiest minute ${v.peakRequestsPerMinute} of ${v.requestsPerMinuteAllowed} requests.` +
        (v.advice.length > 0 ? ` ${v.advice.map((a) => a.message).join('; ')}.` : ''),
      { features },
    );
  }

  snapshot(): Record<string, unknown> {
    return { tenants: this.tenants.size, withUsage: this.usage.size };
  }
}
