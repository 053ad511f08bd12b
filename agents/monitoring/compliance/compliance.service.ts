/**
 * `agent.compliance` (tenant-scoped): per-tenant rules (restricted symbols, trading
 * hours, position and exposure limits, daily loss, order rate); vetoes name the
 * rule. Every new veto (per tenant and symbol) and every rule change is written
 * to the audit log, off the decision path.
 */
import type { Context } from 'moleculer';
import { AgentRuntime, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import type { Opinion } from '../../../types/agents';
import { ComplianceAgent } from './compliance.agent';

type This = DbThis & { runtime: AgentRuntime; lastVeto: Map<string, string>; logger: { warn(m: string): void } };

function audit(self: This, tenantId: string, action: string, data: Record<string, unknown>): void {
  self.db
    .query('INSERT INTO audit_log (tenant_id, actor, action, data) VALUES ($1, $2, $3, $4)', [tenantId, 'agent.compliance', action, JSON.stringify(data)])
    .catch((e: unknown) => self.logger.warn(`compliance: audit write failed: ${(e as Error).message}`));
}

export default {
  name: 'agent.compliance',
  mixins: [createAgentMixin(() => new ComplianceAgent(), { portfolio: true }), createDbMixin()],
  created(this: This) {
    this.lastVeto = new Map();
  },
  hooks: {
    after: {
      opine(this: This, ctx: Context<{ tenantId?: string; symbol: string }, { tenantId?: string }>, res: Opinion) {
        const tenantId = ctx.params.tenantId ?? ctx.meta?.tenantId;
        if (!tenantId || !this.db) return res;
        const key = `${tenantId}|${res.symbol}`;
        const reason = res.veto?.reason ?? '';
        if (reason !== (this.lastVeto.get(key) ?? '')) {
          this.lastVeto.set(key, reason);
          if (reason) audit(this, tenantId, 'compliance.veto', { symbol: res.symbol, reason, asOf: res.asOf });
          else audit(this, tenantId, 'compliance.cleared', { symbol: res.symbol, asOf: res.asOf });
        }
        return res;
      },
      configure(this: This, ctx: Context<{ params: Record<string, unknown>; tenantId?: string }, { tenantId?: string }>, res: Record<string, unknown>) {
        const tenantId = ctx.params.tenantId ?? ctx.meta?.tenantId;
        if (tenantId && this.db) audit(this, tenantId, 'compliance.rules', { changed: ctx.params.params, effective: res });
        return res;
      },
    },
  },
};
