/** `users`: tenants, API keys, authentication. Logic lives in ./tenants.ts; handlers validate, call, return. */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { TIER_CATALOGUE, TIERS, Tier } from '../../lib/billing/tiers';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { requireAdmin, tenantOf } from '../../mixins/tenant';
import type { ApiMeta } from '../../types/meta';
import * as T from './tenants';

type Ctx<P = Record<string, never>> = Context<P, ApiMeta>;

const UsersService: ServiceSchema<ServiceSettingSchema, object, DbThis> = {
  name: 'users',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    /** Verify an API key (internal; the api gateway calls it). */
    authenticate: {
      visibility: 'public',
      params: { key: { type: 'string', min: 1, max: 200 } },
      async handler(ctx: Ctx<{ key: string }>): Promise<T.AuthResult | null> {
        const r = await T.verifyApiKey(this.db, ctx.params.key);
        if (r) await T.touchApiKey(this.db, r.keyId);
        return r;
      },
    },
    /** Change a tenant's tier (internal: subscription and billing call it after a paid upgrade or a downgrade). */
    setTier: {
      visibility: 'public',
      params: { tenantId: { type: 'string', min: 1, max: 64 }, tier: { type: 'enum', values: [...TIERS] }, actor: { type: 'string', min: 1, max: 200 } },
      async handler(ctx: Context<{ tenantId: string; tier: Tier; actor: string }>) {
        const t = await T.setTenantTier(this.db, ctx.params.tenantId, ctx.params.tier, ctx.params.actor);
        // api nodes cache the tier with the key for a few seconds; drop it now.
        await ctx.broadcast('tenant.tier_changed', { tenantId: t.id, tier: t.tier });
        return t;
      },
    },
    /** The calling tenant with its tier's limits and features. */
    me: {
      rest: 'GET /tenant',
      params: {},
      async handler(ctx: Ctx) {
        const t = await T.getTenant(this.db, tenantOf(ctx));
        return { ...t, plan: TIER_CATALOGUE[t.tier], tiers: TIERS.map((x) => TIER_CATALOGUE[x]) };
      },
    },
    createTenant: {
      rest: 'POST /tenants',
      params: { name: { type: 'string', min: 1, max: 200, trim: true }, tier: { type: 'enum', values: [...TIERS], optional: true } },
      async handler(ctx: Ctx<{ name: string; tier?: Tier }>) {
        requireAdmin(ctx);
        return T.createTenant(this.db, ctx.params.name, ctx.params.tier ?? 'free', `key:${ctx.meta.keyId}`);
      },
    },
    listTenants: {
      rest: 'GET /tenants',
      params: {},
      async handler(ctx: Ctx) {
        requireAdmin(ctx);
        const items = await T.listTenants(this.db);
        return { items, nextCursor: null };
      },
    },
    createKey: {
      rest: 'POST /keys',
      params: { name: { type: 'string', min: 1, max: 100, optional: true } },
      async handler(ctx: Ctx<{ name?: string }>) {
        const { key, info } = await T.createApiKey(this.db, tenantOf(ctx), ctx.params.name ?? 'default', 'tenant', `key:${ctx.meta.keyId}`);
        ctx.meta.$statusCode = 201;
        ctx.meta.$location = `/api/v1/keys/${info.id}`;
        return { key, ...info };
      },
    },
    listKeys: {
      rest: 'GET /keys',
      params: {},
      async handler(ctx: Ctx) {
        return { items: await T.listApiKeys(this.db, tenantOf(ctx)), nextCursor: null };
      },
    },
    getKey: {
      rest: 'GET /keys/:id',
      params: { id: { type: 'string', min: 1, max: 64 } },
      async handler(ctx: Ctx<{ id: string }>) {
        return T.getApiKey(this.db, tenantOf(ctx), ctx.params.id);
      },
    },
    revokeKey: {
      rest: 'DELETE /keys/:id',
      params: { id: { type: 'string', min: 1, max: 64 } },
      async handler(ctx: Ctx<{ id: string }>) {
        const info = await T.revokeApiKey(this.db, tenantOf(ctx), ctx.params.id, `key:${ctx.meta.keyId}`);
        // Every api node drops its auth cache entry for this key now, not after the TTL.
        await ctx.broadcast('keys.revoked', { keyId: info.id });
        return info;
      },
    },
  },
};

export default UsersService;
