/**
 * compliance (monitoring, tenant-scoped): each tenant's own rules, checked
 * before anything trades. No market view (signal 0); a broken rule vetoes
 * with the rule's name:
 *
 * - `restrictedSymbols`: symbols this tenant may not trade;
 * - `tradingHours`: UTC windows "HH:MM-HH:MM" (a window may wrap midnight);
 *   outside all of them → veto;
 * - `maxPositionPct`: |exposure in the symbol| / equity;
 * - `maxExposurePct`: gross exposure / equity (the leverage actually used);
 * - `maxDailyLossPct`: loss since the first equity of the UTC day;
 * - `maxOrdersPerMinute`: the tenant's orders in the minute before asOf.
 * Limits set to 0 are off. The service writes every veto to the audit log.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { fmt, neutralDraft } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { DomainError } from '../../../lib/errors';
import type { OpinionQuery } from '../../../types/agents';
import type { PortfolioSnapshot } from '../../../types/events';

export interface ComplianceRules {
  restrictedSymbols: string[];
  tradingHours: string[];
  maxPositionPct: number;
  maxExposurePct: number;
  maxDailyLossPct: number;
  maxOrdersPerMinute: number;
}

export const COMPLIANCE_PARAMS: ParamSchema<ComplianceRules> = {
  restrictedSymbols: { type: 'strings', doc: 'symbols the tenant may not trade' },
  tradingHours: { type: 'strings', doc: 'UTC windows HH:MM-HH:MM; empty = always' },
  maxPositionPct: { type: 'number', min: 0, max: 1000, doc: 'largest |exposure| in one symbol as a multiple of equity (0 = off)' },
  maxExposurePct: { type: 'number', min: 0, max: 1000, doc: 'largest gross exposure as a multiple of equity (0 = off)' },
  maxDailyLossPct: { type: 'number', min: 0, max: 1, doc: 'largest loss since the start of the UTC day as a fraction of equity (0 = off)' },
  maxOrdersPerMinute: { type: 'number', min: 0, max: 100_000, integer: true, doc: 'orders in any minute (0 = off)' },
};

const NONE: ComplianceRules = { restrictedSymbols: [], tradingHours: [], maxPositionPct: 0, maxExposurePct: 0, maxDailyLossPct: 0, maxOrdersPerMinute: 0 };

/** Minutes after midnight of "HH:MM"; throws on a malformed time. */
function minutes(s: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m || +m[1] > 24 || +m[2] > 59) throw new DomainError('BAD_CONFIG', `"${s}" is not HH:MM`, 422);
  return +m[1] * 60 + +m[2];
}

/** True when minute-of-day `t` falls in "HH:MM-HH:MM" (wrapping midnight when the end is earlier). */
export function inWindow(window: string, t: number): boolean {
  const [a, b] = window.split('-');
  if (b === undefined) throw new DomainError('BAD_CONFIG', `trading hours "${window}" must be HH:MM-HH:MM`, 422);
  const from = minutes(a);
  const to = minutes(b);
  return from <= to ? t >= from && t < to : t >= from || t < to;
}

interface Book {
  snapshot: PortfolioSnapshot;
  day: number;
  dayStart: number;
}

export class ComplianceAgent implements Agent {
  readonly id = 'compliance';
  readonly group = 'monitoring' as const;
  readonly scope = 'tenant' as const;
  readonly events = ['positions.updated', 'order.updated'] as const;
  private readonly rules = new Map<string, ComplianceRules>();
  private readonly books = new Map<string, Book>();
  private readonly orders = new Map<string, number[]>();

  update(e: AgentEvent): void {
    if (e.type === 'positions.updated') {
      const s = e.snapshot;
      const day = Math.floor(s.time / 86_400_000);
      const prev = this.books.get(s.tenantId);
      this.books.set(s.tenantId, { snapshot: s, day, dayStart: prev && prev.day === day ? prev.dayStart : s.equity });
    } else if (e.type === 'order.updated' && e.order.status !== 'rejected') {
      let l = this.orders.get(e.order.tenantId);
      if (!l) this.orders.set(e.order.tenantId, (l = []));
      if (!l.includes(e.order.time)) l.push(e.order.time);
      if (l.length > 10_000) l.splice(0, l.length - 5_000);
    }
  }

  /** The broken rules for a tenant and symbol at `asOf`, each as "rule: why". */
  check(tenantId: string, symbol: string, asOf: number): string[] {
    const r = this.rules.get(tenantId) ?? NONE;
    const out: string[] = [];
    if (r.restrictedSymbols.map((s) => s.toUpperCase()).includes(symbol.toUpperCase())) out.push(`restrictedSymbols: ${symbol} is restricted for this tenant`);
    if (r.tradingHours.length > 0) {
      const d = new Date(asOf);
      const t = d.getUTCHours() * 60 + d.getUTCMinutes();
      if (!r.tradingHours.some((w) => inWindow(w, t))) out.push(`tradingHours: ${d.toISOString().slice(11, 16)} UTC is outside ${r.tradingHours.join(', ')}`);
    }
    const b = this.books.get(tenantId);
    if (b && b.snapshot.equity > 0) {
      const eq = b.snapshot.equity;
      const pos = b.snapshot.positions.filter((p) => p.symbol === symbol).reduce((a, p) => a + p.notional, 0);
      const gross = b.snapshot.positions.reduce((a, p) => a + Math.abs(p.notional), 0);
      if (r.maxPositionPct > 0 && Math.abs(pos) / eq > r.maxPositionPct) out.push(`maxPositionPct: ${symbol} exposure is ${fmt(Math.abs(pos) / eq, 3)}× equity, limit ${r.maxPositionPct}×`);
      if (r.maxExposurePct > 0 && gross / eq > r.maxExposurePct) out.push(`maxExposurePct: gross exposure is ${fmt(gross / eq, 3)}× equity, limit ${r.maxExposurePct}×`);
      const loss = b.dayStart > 0 ? 1 - eq / b.dayStart : 0;
      if (r.maxDailyLossPct > 0 && loss > r.maxDailyLossPct) out.push(`maxDailyLossPct: down ${fmt(loss * 100, 3)}% today, limit ${fmt(r.maxDailyLossPct * 100, 3)}%`);
    }
    if (r.maxOrdersPerMinute > 0) {
      const n = (this.orders.get(tenantId) ?? []).filter((t) => t > asOf - 60_000 && t <= asOf).length;
      if (n >= r.maxOrdersPerMinute) out.push(`maxOrdersPerMinute: ${n} orders in the last minute, limit ${r.maxOrdersPerMinute}`);
    }
    return out;
  }

  opine(q: OpinionQuery): OpinionDraft {
    const asOf = q.asOf ?? 0;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    if (!q.tenantId) return neutralDraft(head, 'No tenant: no rules to check.');
    const broken = this.check(q.tenantId, q.symbol, asOf);
    const n = Object.values(this.rules.get(q.tenantId) ?? NONE).filter((v) => (Array.isArray(v) ? v.length > 0 : v > 0)).length;
    if (broken.length === 0) return { ...neutralDraft(head, n > 0 ? `All ${n} of this tenant's rules pass for ${q.symbol}.` : 'This tenant has set no compliance rules.'), features: { rules: n } };
    return { ...neutralDraft(head, `Blocked by compliance: ${broken.join('; ')}.`, 1, 1), features: { rules: n, broken: broken.length }, veto: { reason: broken.join('; ') } };
  }

  configure(patch: Record<string, unknown>, tenantId?: string): Record<string, unknown> {
    if (!tenantId) throw new DomainError('TENANT_REQUIRED', 'compliance rules belong to a tenant', 422);
    const next = applyParams(COMPLIANCE_PARAMS, this.rules.get(tenantId) ?? NONE, patch);
    for (const w of next.tradingHours) inWindow(w, 0); // validate
    this.rules.set(tenantId, next);
    return { ...next };
  }

  config(tenantId?: string): Record<string, unknown> {
    return { ...((tenantId && this.rules.get(tenantId)) || NONE) };
  }

  snapshot(): Record<string, unknown> {
    return { tenantsWithRules: this.rules.size, books: this.books.size };
  }
}
