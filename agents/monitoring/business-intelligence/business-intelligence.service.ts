/**
 * `agent.business-intelligence`: usage per tenant against its plan, and the
 * business across tenants; advisory only (see business-intelligence.agent.ts).
 * The tenant register is read from `tenants` at start and every minute.
 * REST: `GET /business/usage` (the caller's tenant), `GET /business/metrics` (operators).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { DomainError } from '../../../lib/errors';
import { requireTenant } from '../../../lib/tenant';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import { createDbMixin, DbThis } from '../../../mixins/db.mixin';
import type { TenantMeta } from '../../../types/meta';
import { listTenants } from '../../../services/users/tenants';
import { BusinessIntelligenceAgent, BusinessReport, TenantUsageView } from './business-intelligence.agent';

const REGISTER_EVERY_MS = 60_000;

type This = AgentThis & DbThis & { timer: NodeJS.Timeout | null; loading: Promise<void> | null };

async function loadRegister(self: This): Promise<void> {
  const list = await listTenants(self.db);
  agentOf<BusinessIntelligenceAgent>(self).setTenants(list);
}

/** Re-read the register in the background (one read at a time). */
function refresh(self: This): void {
  self.loading ??= loadRegister(self)
    .catch((e: unknown) => self.logger.warn(`business-intelligence: tenant register not refreshed: ${(e as Error).message}`))
    .finally(() => {
      self.loading = null;
    });
}

const BusinessIntelligenceService: ServiceSchema<ServiceSettingSchema, object, This> = {
  name: 'agent.business-intelligence',
  mixins: [createDbMixin(), createAgentMixin(() => new BusinessIntelligenceAgent(), { warmupBars: 0 })],
  settings: { rest: '/' },
  actions: {
    usage: {
      rest: 'GET /business/usage',
      params: {},
      async handler(this: This, ctx: Context<object, Partial<TenantMeta>>): Promise<TenantUsageView> {
        const t = requireTenant(ctx.meta);
        if (!agentOf<BusinessIntelligenceAgent>(this).knows(t)) await loadRegister(this);
        return agentOf<BusinessIntelligenceAgent>(this).usageOf(t);
      },
    },
    metrics: {
      rest: 'GET /business/metrics',
      params: {},
      async handler(this: This, ctx: Context<object, Partial<TenantMeta>>): Promise<BusinessReport> {
        requireTenant(ctx.meta);
        if (ctx.meta.role !== 'admin') throw new DomainError('FORBIDDEN', 'business metrics are for operators', 403);
        await loadRegister(this);
        return agentOf<BusinessIntelligenceAgent>(this).report();
      },
    },
  },
  events: {
    /** A tenant created, re-tiered or disabled elsewhere. */
    'tenants.changed'(this: This) {
      return loadRegister(this);
    },
    /** A decision of a tenant not in the register yet: it was created since the last read. */
    'decision.made'(this: This, ctx: Context<{ tenantId?: string }>) {
      const t = ctx.params?.tenantId;
      if (typeof t === 'string' && !agentOf<BusinessIntelligenceAgent>(this).knows(t)) refresh(this);
    },
  },
  created(this: This) {
    this.timer = null;
    this.loading = null;
  },
  async started(this: This) {
    await loadRegister(this);
    this.timer = setInterval(() => refresh(this), REGISTER_EVERY_MS);
    this.timer.unref();
  },
  async stopped(this: This) {
    if (this.timer) clearInterval(this.timer);
    await this.loading;
  },
};

export default BusinessIntelligenceService;
