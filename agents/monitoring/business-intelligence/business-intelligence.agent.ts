/**
 * business-intelligence (monitoring, market-scoped, advisory only): who uses
 * the platform and how much. From decisions, orders and API requests: active
 * tenants over the last 24 hours, and for each tenant today's (UTC) decisions,
 * orders and requests; orders per day are set against the tier catalogue's
 * allowances to name the smallest plan that covers each tenant's usage. No
 * direction, no veto (confidence 0); revenue figures come when billing exists.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { neutralDraft } from '../../../lib/agents/opinion';
import { TIER_CATALOGUE, TIERS, Tier } from '../../../lib/billing/tiers';
import type { OpinionQuery } from '../../../types/agents';

interface Usage {
  day: number;
  decisions: number;
  orders: number;
  requests: number;
  lastSeen: number;
}

export interface TenantUsage {
  tenantId: string;
  decisions: number;
  orders: number;
  requests: number;
  /** Smallest tier whose daily order allowance covers today's orders. */
  smallestTier: Tier | null;
}

export class BusinessIntelligenceAgent implements Agent {
  readonly id = 'business-intelligence';
  readonly group = 'monitoring' as const;
  readonly scope = 'market' as const;
  readonly events = ['decision.made', 'order.updated', 'requests.observed'] as const;
  private readonly usage = new Map<string, Usage>();
  private now = 0;

  private touch(tenantId: string, time: number): Usage {
    const day = Math.floor(time / 86_400_000);
    let u = this.usage.get(tenantId);
    if (!u || u.day < day) this.usage.set(tenantId, (u = { day, decisions: 0, orders: 0, requests: 0, lastSeen: u?.lastSeen ?? 0 }));
    u.lastSeen = Math.max(u.lastSeen, time);
    if (time > this.now) this.now = time;
    return u;
  }

  update(e: AgentEvent): void {
    if (e.type === 'decision.made') this.touch(e.decision.tenantId, e.decision.asOf).decisions++;
    else if (e.type === 'order.updated' && e.order.status === 'accepted') this.touch(e.order.tenantId, e.order.time).orders++;
    else if (e.type === 'requests.observed') for (const r of e.requests) this.touch(r.tenantId, r.time).requests++;
  }

  /** Usage of tenants active in the 24 hours before `asOf`. */
  report(asOf = this.now): TenantUsage[] {
    const day = Math.floor(asOf / 86_400_000);
    return [...this.usage]
      .filter(([, u]) => u.lastSeen > asOf - 86_400_000 && u.lastSeen <= asOf)
      .map(([tenantId, u]) => {
        const today = u.day === day ? u : { decisions: 0, orders: 0, requests: 0 };
        const smallestTier = TIERS.find((t) => TIER_CATALOGUE[t].maxOrdersPerDay >= today.orders) ?? null;
        return { tenantId, decisions: today.decisions, orders: today.orders, requests: today.requests, smallestTier };
      })
      .sort((a, b) => b.decisions + b.orders - (a.decisions + a.orders) || a.tenantId.localeCompare(b.tenantId));
  }

  opine(q: OpinionQuery): OpinionDraft {
    const asOf = q.asOf ?? this.now;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const r = this.report(Math.max(asOf, this.now));
    if (r.length === 0) return neutralDraft(head, 'Advisory: no tenant active in the last 24 hours.');
    const totals = r.reduce((a, u) => ({ d: a.d + u.decisions, o: a.o + u.orders, q: a.q + u.requests }), { d: 0, o: 0, q: 0 });
    const top = r
      .slice(0, 3)
      .map((u) => `${u.tenantId} ${u.decisions} decisions, ${u.orders} orders${u.smallestTier ? ` (fits ${u.smallestTier})` : ' (beyond every plan)'}`)
      .join('; ');
    return { ...neutralDraft(head, `Advisory: ${r.length} active tenant(s) in the last 24 h; today ${totals.d} decisions, ${totals.o} orders, ${totals.q} API requests. Most active: ${top}.`), features: { activeTenants: r.length, decisionsToday: totals.d, ordersToday: totals.o, requestsToday: totals.q } };
  }

  snapshot(): Record<string, unknown> {
    return { tenants: this.usage.size };
  }
}
