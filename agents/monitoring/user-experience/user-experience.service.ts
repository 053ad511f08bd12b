/**
 * `agent.user-experience`: per-tenant API latency and error rates from tracing
 * spans, notification and decision volume; advisory only (see
 * user-experience.agent.ts). REST `GET /experience` (the caller's tenant;
 * operators may name one).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { DomainError } from '../../../lib/errors';
import { requireTenant } from '../../../lib/tenant';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import type { TenantMeta } from '../../../types/meta';
import { UserExperienceAgent, UxReport } from './user-experience.agent';

const UserExperienceService: ServiceSchema<ServiceSettingSchema, object, AgentThis> = {
  name: 'agent.user-experience',
  mixins: [createAgentMixin(() => new UserExperienceAgent(), { warmupBars: 0 })],
  settings: { rest: '/' },
  actions: {
    experience: {
      rest: 'GET /experience',
      params: { tenantId: { type: 'string', min: 1, max: 64, optional: true } },
      handler(this: AgentThis, ctx: Context<{ tenantId?: string }, Partial<TenantMeta>>): UxReport {
        const own = requireTenant(ctx.meta);
        const t = ctx.params.tenantId ?? own;
        if (t !== own && ctx.meta.role !== 'admin') throw new DomainError('FORBIDDEN', 'a tenant sees its own experience figures only', 403);
        return agentOf<UserExperienceAgent>(this).report(t);
      },
    },
  },
};

export default UserExperienceService;
