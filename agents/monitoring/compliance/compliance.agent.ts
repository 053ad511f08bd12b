/**
 * compliance (monitoring, tenant-scoped, advisory + veto): does trading this
 * symbol now break one of the tenant's own rules (lib/compliance/rules.ts)?
 * Restricted symbols, trading hours, daily loss, position size, symbol and
 * total exposure, leverage, orders per minute. A rule at or beyond its limit
 * vetoes with the rule's name; an active override (time-boxed, given with a
 * reason, audited by the service) turns the veto into a warning; a rule at
 * 80 % of its limit is flagged.
 *
 * Fed the tenant's book (`positions.updated` snapshots), its orders
 * (`order.accepted`, `order.filled`: orders per minute by their creation time)
 * and, by its service, the tenant's rules and overrides. Trading hours are
 * judged at the decision's time (`asOf`); orders per minute in the minute up
 * to the later of `asOf` and the newest order.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { advisoryDraft } from '../../../lib/agents/opinion';
import { ComplianceBook, ComplianceRules, evaluateRules, NO_RULES, Override, RuleCheck } from '../../../lib/compliance/rules';
import type { AdvisoryNote, OpinionQuery } from '../../../types/agents';
import type { PortfolioSnapshot } from '../../../types/events';

interface TenantState {
  rules: ComplianceRules;
  overrides: Override[];
  book: (ComplianceBook & { time: number }) | null;
  /** Order id → creation time (ms), the last few minutes. */
  orders: Map<string, number>;
  lastOrderAt: number;
}

export interface ComplianceView {
  rules: ComplianceRules;
  overrides: Override[];
  checks: RuleCheck[];
}

export class ComplianceAgent implements Agent {
  readonly id = 'compliance';
  readonly group = 'monitoring' as const;
  readonly scope = 'tenant' as const;
  readonly events = ['positions.updated', 'order.accepted', 'order.filled'] as const;
  private readonly tenants = new Map<string, TenantState>();

  private state(tenantId: string): TenantState {
    let s = this.tenants.get(tenantId);
    if (!s) this.tenants.set(tenantId, (s = { rules: NO_RULES, overrides: [], book: null, orders: new Map(), lastOrderAt: 0 }));
    return s;
  }

  update(e: AgentEvent): void {
    if (e.type === 'positions.updated') this.takeBook(e.snapshot);
    else if (e.type === 'order.accepted' || e.type === 'order.filled') {
      const o = e.order;
      const s = this.state(o.tenantId);
      if (!s.orders.has(o.id)) s.orders.set(o.id, o.createdAt);
      if (o.createdAt > s.lastOrderAt) s.lastOrderAt = o.createdAt;
      for (const [id, t] of s.orders) if (t < s.lastOrderAt - 300_000) s.orders.delete(id);
    }
  }

  private takeBook(snap: PortfolioSnapshot): void {
    const s = this.state(snap.tenantId);
    if (s.book && s.book.time > snap.time) return; // an older snapshot arriving late
    const positions = new Map<string, { lots: number; notional: number }>();
    for (const p of snap.positions) {
      const cur = positions.get(p.symbol) ?? { lots: 0, notional: 0 };
      cur.lots += p.volume ?? 0;
      cur.notional += p.notional;
      positions.set(p.symbol, cur);
    }
    s.book = { equity: snap.equity, dayStartEquity: snap.dayStartEquity ?? null, positions, time: snap.time };
  }

  /** The tenant's rules (from its service, which stores them). */
  setRules(tenantId: string, rules: ComplianceRules): void {
    this.state(tenantId).rules = rules;
  }

  /** The tenant's overrides (active and recently expired; expired ones are ignored by time). */
  setOverrides(tenantId: string, overrides: Override[]): void {
    this.state(tenantId).overrides = [...overrides];
  }

  rulesOf(tenantId: string): ComplianceRules {
    return this.tenants.get(tenantId)?.rules ?? NO_RULES;
  }

  /** Tenants with a rule that needs their book (position, exposure, leverage, daily loss). */
  tenantsNeedingBooks(): string[] {
    return [...this.tenants]
      .filter(([, s]) => s.rules.maxDailyLoss !== null || s.rules.maxPositionLots !== null || s.rules.maxSymbolExposure !== null || s.rules.maxTotalExposure !== null || s.rules.maxLeverage !== null)
      .map(([t]) => t);
  }

  /** Every configured rule of a tenant for one symbol at one time. */
  evaluate(tenantId: string, symbol: string, at?: number): ComplianceView {
    const s = this.state(tenantId);
    const t = at ?? Math.max(s.lastOrderAt, s.book?.time ?? 0);
    const ref = Math.max(t, s.lastOrderAt);
    let orders = 0;
    for (const c of s.orders.values()) if (c > ref - 60_000 && c <= ref) orders++;
    return { rules: s.rules, overrides: s.overrides.filter((o) => o.until > t), checks: evaluateRules({ rules: s.rules, symbol, at: t, book: s.book, ordersLastMinute: orders, overrides: s.overrides }) };
  }

  opine(q: OpinionQuery): OpinionDraft {
    const tenantId = q.tenantId ?? '';
    const v = this.evaluate(tenantId, q.symbol, q.asOf);
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? 0 };
    if (v.checks.length === 0) return advisoryDraft(head, [], `No compliance rule of this tenant applies to ${q.symbol}${this.state(tenantId).book ? '' : ' (no account snapshot yet)'}.`);
    const notes: AdvisoryNote[] = [];
    const features: Record<string, number> = { rules: v.checks.length };
    for (const c of v.checks) {
      if (typeof c.value === 'number') features[c.rule] = c.value;
      if (c.status === 'veto') notes.push({ code: c.rule, level: 'critical', message: c.detail });
      else if (c.status === 'overridden') notes.push({ code: 'override_applied', level: 'warn', message: `${c.rule} (override ${c.override!.id}): ${c.detail}` });
      else if (c.status === 'near') notes.push({ code: 'near_limit', level: 'warn', message: `${c.rule}: ${c.detail}` });
    }
    const vetoes = v.checks.filter((c) => c.status === 'veto');
    const summary = v.checks.map((c) => `${c.rule} ${c.status}`).join(', ');
    if (vetoes.length > 0) {
      const reason = vetoes.map((c) => `compliance rule ${c.rule}: ${c.detail}`).join('; ');
      return advisoryDraft(head, notes, `Compliance for ${q.symbol} (${summary}): ${reason}.`, { veto: { reason }, features });
    }
    return advisoryDraft(head, notes, `Compliance for ${q.symbol}: ${summary}; ${v.checks.map((c) => c.detail).join('; ')}.`, { features });
  }

  snapshot(): Record<string, unknown> {
    return { tenants: this.tenants.size, withBooks: [...this.tenants.values()].filter((s) => s.book).length };
  }
}
