/**
 * `agent.compliance`: the tenant's own trading rules, enforced as vetoes in the
 * decision record (see compliance.agent.ts and lib/compliance/rules.ts).
 *
 * - Rules live in `compliance_rules`, overrides in `compliance_overrides`; every
 *   change, every override and every veto or applied override of a decision goes
 *   to `audit_log` (actions `compliance.rules_changed`, `compliance.override`,
 *   `compliance.override_revoked`, `compliance.veto`, `compliance.override_applied`).
 * - The agent gets each tenant's book from `trading.book` after a fill and every
 *   10 s for tenants with a book-based rule.
 * - REST: `GET|PUT /compliance/rules`, `GET|POST /compliance/overrides`,
 *   `DELETE /compliance/overrides/:id`.
 */
import { randomUUID } from 'node:crypto';
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { ComplianceRules, mergeRules, NO_RULES, Override, RULE_NAMES, RuleName } from '../../../lib/compliance/rules';
import { NotFoundError } from '../../../lib/errors';
import type { ExposureLine } from '../../../lib/risk/checks';
import type { Queryable } from '../../../lib/storage/db';
import { requireTenant } from '../../../lib/tenant';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import type { Decision } from '../../../types/agents';
import type { TenantMeta } from '../../../types/meta';
import type { Book, OrderEvent } from '../../../types/trading';
import { audit } from '../../../services/users/tenants';
import { ComplianceAgent } from './compliance.agent';

const BOOK_EVERY_MS = 10_000;
const ACTOR = 'agent.compliance';

interface Vars {
  timer: NodeJS.Timeout | null;
  refreshing: Map<string, Promise<void>>;
  loading: Promise<void> | null;
}

type This = AgentThis & DbThis & Vars;
type Ctx<P = Record<string, never>> = Context<P, Partial<TenantMeta>>;

const actorOf = (meta: Partial<TenantMeta>) => meta.userId ?? (meta.keyId ? `key:${meta.keyId}` : 'tenant');

async function loadRules(db: Queryable, tenantId?: string): Promise<{ tenantId: string; rules: ComplianceRules }[]> {
  const rows = await db.query<{ tenant_id: string; rules: Partial<ComplianceRules> }>('SELECT tenant_id, rules FROM compliance_rules' + (tenantId ? ' WHERE tenant_id = $1' : ''), tenantId ? [tenantId] : []);
  return rows.map((r) => ({ tenantId: r.tenant_id, rules: { ...NO_RULES, ...r.rules } }));
}

async function loadOverrides(db: Queryable, now: number, tenantId?: string): Promise<Map<string, Override[]>> {
  const rows = await db.query<{ id: string; tenant_id: string; rule: RuleName; symbol: string | null; reason: string; until_ms: number; created_by: string }>(
    'SELECT id, tenant_id, rule, symbol, reason, until_ms, created_by FROM compliance_overrides WHERE revoked_at IS NULL AND until_ms > $1' + (tenantId ? ' AND tenant_id = $2' : '') + ' ORDER BY until_ms',
    tenantId ? [now, tenantId] : [now],
  );
  const m = new Map<string, Override[]>();
  for (const r of rows) {
    const l = m.get(r.tenant_id) ?? [];
    l.push({ id: r.id, rule: r.rule, symbol: r.symbol, until: r.until_ms, reason: r.reason, by: r.created_by });
    m.set(r.tenant_id, l);
  }
  return m;
}

async function reload(self: This, tenantId?: string): Promise<void> {
  const agent = agentOf<ComplianceAgent>(self);
  const rules = await loadRules(self.db, tenantId);
  if (tenantId && rules.length === 0) agent.setRules(tenantId, NO_RULES);
  for (const r of rules) agent.setRules(r.tenantId, r.rules);
  const ov = await loadOverrides(self.db, Date.now(), tenantId);
  if (tenantId) agent.setOverrides(tenantId, ov.get(tenantId) ?? []);
  else for (const [t, l] of ov) agent.setOverrides(t, l);
}

/** The tenant's paper book from trading, as a `positions.updated` snapshot for the agent. */
function refreshBook(self: This, tenantId: string): Promise<void> {
  const running = self.refreshing.get(tenantId);
  if (running) return running;
  const p = (async () => {
    if (!self.broker.registry.actions.isAvailable('trading.book')) return;
    const b = await self.broker.call<Book & { exposure?: ExposureLine[] }, object>('trading.book', { tenantId }, { timeout: 2000 });
    const positions = (b.exposure ?? []).map((e) => ({ symbol: e.symbol, notional: Math.sign(e.netLots) * e.notional, volume: e.netLots }));
    self.runtime.feed({ type: 'positions.updated', snapshot: { tenantId, equity: b.equity, dayStartEquity: b.account.dayStartEquity, positions, time: Date.now() } });
  })()
    .catch((e: unknown) => self.logger.debug(`compliance: book of ${tenantId} unavailable: ${(e as Error).message}`))
    .finally(() => self.refreshing.delete(tenantId));
  self.refreshing.set(tenantId, p);
  return p;
}

const ComplianceService: ServiceSchema<ServiceSettingSchema, object, This> = {
  name: 'agent.compliance',
  mixins: [createDbMixin(), createAgentMixin(() => new ComplianceAgent(), { warmupBars: 0 })],
  settings: { rest: '/' },
  actions: {
    getRules: {
      rest: 'GET /compliance/rules',
      params: { symbol: { type: 'string', min: 1, max: 32, optional: true } },
      handler(this: This, ctx: Ctx<{ symbol?: string }>) {
        const tenantId = requireTenant(ctx.meta);
        const v = agentOf<ComplianceAgent>(this).evaluate(tenantId, ctx.params.symbol ?? '', Date.now());
        return { rules: v.rules, overrides: v.overrides, checks: ctx.params.symbol ? v.checks : undefined, ruleNames: RULE_NAMES };
      },
    },
    putRules: {
      rest: 'PUT /compliance/rules',
      params: { $$root: true, type: 'object' },
      async handler(this: This, ctx: Ctx<Record<string, unknown>>) {
        const tenantId = requireTenant(ctx.meta);
        const agent = agentOf<ComplianceAgent>(this);
        const before = agent.rulesOf(tenantId);
        const after = mergeRules(before, ctx.params ?? {});
        const by = actorOf(ctx.meta);
        await this.db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO compliance_rules (tenant_id, rules, updated_by) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id) DO UPDATE SET rules = EXCLUDED.rules, updated_by = EXCLUDED.updated_by, updated_at = now()`,
            [tenantId, JSON.stringify(after), by],
          );
          await audit(tx, tenantId, by, 'compliance.rules_changed', { before, after });
        });
        agent.setRules(tenantId, after);
        await this.broker.broadcast('compliance.changed', { tenantId, origin: this.broker.nodeID });
        if (agent.tenantsNeedingBooks().includes(tenantId)) await refreshBook(this, tenantId);
        return { rules: after };
      },
    },
    listOverrides: {
      rest: 'GET /compliance/overrides',
      params: {},
      async handler(this: This, ctx: Ctx) {
        const tenantId = requireTenant(ctx.meta);
        const rows = await this.db.query<{ id: string; rule: string; symbol: string | null; reason: string; until_ms: number; created_by: string; created_at: Date; revoked_at: Date | null }>(
          'SELECT id, rule, symbol, reason, until_ms, created_by, created_at, revoked_at FROM compliance_overrides WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 100',
          [tenantId],
        );
        const now = Date.now();
        return {
          items: rows.map((r) => ({ id: r.id, rule: r.rule, symbol: r.symbol, reason: r.reason, until: r.until_ms, by: r.created_by, createdAt: new Date(r.created_at).getTime(), revokedAt: r.revoked_at ? new Date(r.revoked_at).getTime() : null, active: !r.revoked_at && r.until_ms > now })),
          nextCursor: null,
        };
      },
    },
    /** Suspend one rule's veto (for one symbol or all) for a while, with a reason; audited. */
    createOverride: {
      rest: 'POST /compliance/overrides',
      params: {
        rule: { type: 'enum', values: [...RULE_NAMES] },
        symbol: { type: 'string', min: 1, max: 32, optional: true },
        minutes: { type: 'number', integer: true, min: 1, max: 1440, convert: true },
        reason: { type: 'string', min: 3, max: 500 },
      },
      async handler(this: This, ctx: Ctx<{ rule: RuleName; symbol?: string; minutes: number; reason: string }>) {
        const tenantId = requireTenant(ctx.meta);
        const by = actorOf(ctx.meta);
        const o: Override = { id: 'ov_' + randomUUID().replace(/-/g, '').slice(0, 16), rule: ctx.params.rule, symbol: ctx.params.symbol ?? null, until: Date.now() + ctx.params.minutes * 60_000, reason: ctx.params.reason, by };
        await this.db.transaction(async (tx) => {
          await tx.query('INSERT INTO compliance_overrides (id, tenant_id, rule, symbol, reason, until_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)', [o.id, tenantId, o.rule, o.symbol, o.reason, o.until, by]);
          await audit(tx, tenantId, by, 'compliance.override', { id: o.id, rule: o.rule, symbol: o.symbol, until: o.until, reason: o.reason });
        });
        await reload(this, tenantId);
        await this.broker.broadcast('compliance.changed', { tenantId, origin: this.broker.nodeID });
        return o;
      },
    },
    revokeOverride: {
      rest: 'DELETE /compliance/overrides/:id',
      params: { id: { type: 'string', min: 1, max: 64 } },
      async handler(this: This, ctx: Ctx<{ id: string }>) {
        const tenantId = requireTenant(ctx.meta);
        const by = actorOf(ctx.meta);
        await this.db.transaction(async (tx) => {
          const rows = await tx.query('UPDATE compliance_overrides SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, ctx.params.id]);
          if (rows.length === 0) throw new NotFoundError('override', ctx.params.id);
          await audit(tx, tenantId, by, 'compliance.override_revoked', { id: ctx.params.id });
        });
        await reload(this, tenantId);
        await this.broker.broadcast('compliance.changed', { tenantId, origin: this.broker.nodeID });
        return { id: ctx.params.id, revoked: true };
      },
    },
  },
  events: {
    'compliance.changed': {
      async handler(this: This, ctx: Context<{ tenantId: string; origin: string }>) {
        if (ctx.params.origin === this.broker.nodeID || typeof ctx.params.tenantId !== 'string') return;
        await reload(this, ctx.params.tenantId);
      },
    },
    /** Every compliance veto and every applied override of a decision goes to the audit log (once per decision). */
    'decision.made': {
      async handler(this: This, ctx: Context<Decision>) {
        const d = ctx.params;
        const o = d?.opinions?.find((x) => x.agent === 'compliance');
        if (!o) return;
        const applied = (o.advisory ?? []).filter((n) => n.code === 'override_applied');
        if (!o.veto && applied.length === 0) return;
        try {
          if (o.veto) await audit(this.db, d.tenantId, ACTOR, 'compliance.veto', { decisionId: d.id, symbol: d.symbol, tf: d.tf, asOf: d.asOf, reason: o.veto.reason });
          for (const n of applied) await audit(this.db, d.tenantId, ACTOR, 'compliance.override_applied', { decisionId: d.id, symbol: d.symbol, asOf: d.asOf, message: n.message });
        } catch (e) {
          this.logger.error(`compliance: audit of decision ${d.id} failed: ${(e as Error).message}`);
        }
      },
    },
    /** A fill changes the tenant's book. */
    'order.filled'(this: This, ctx: Context<OrderEvent>) {
      const t = ctx.params?.tenantId;
      if (typeof t === 'string' && agentOf<ComplianceAgent>(this).tenantsNeedingBooks().includes(t)) void refreshBook(this, t);
    },
  },
  created(this: This) {
    this.timer = null;
    this.refreshing = new Map();
    this.loading = null;
  },
  async started(this: This) {
    await reload(this);
    this.timer = setInterval(() => {
      for (const t of agentOf<ComplianceAgent>(this).tenantsNeedingBooks()) void refreshBook(this, t);
    }, BOOK_EVERY_MS);
    this.timer.unref();
  },
  async stopped(this: This) {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.refreshing.values()]);
  },
};

export default ComplianceService;
