/**
 * `mt5-gateway`: the edge where MT5 terminals (and the replay feed) connect.
 * A thin actor around `Mt5Gateway` (gateway.ts): it wires the gateway's ports to
 * the broker (`market-data.ingest`, `market-data.symbols`, events) and exposes
 * `info`, `status`, `sessions` (REST `GET /api/v1/feed/sessions`) and `send`.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../config';
import { DomainError } from '../lib/errors';
import { createDbMixin, DbThis } from '../mixins/db.mixin';
import type { SymbolSpecParams, Tick } from '../types/market';
import type { TenantMeta } from '../types/meta';
import { GatewayOptions, GatewayStatus, IngestResult, Mt5Gateway, SendResult, SessionStatus } from './gateway';
import { ParseFailure, validateCommand } from './protocol';

export interface Mt5GatewaySettings extends ServiceSettingSchema {
  rest: string;
  /** Overrides of the gateway's defaults (tests shorten heartbeats and timeouts). */
  gateway: Partial<GatewayOptions>;
  /** market-data.ingest timeout (ms). */
  ingestTimeoutMs: number;
}

interface Vars extends DbThis {
  gateway: Mt5Gateway;
}

interface Methods {
  ingest(source: string, ticks: Tick[]): Promise<IngestResult>;
  lastStoredTimes(symbols: string[]): Promise<Map<string, number>>;
  registerSymbol(spec: SymbolSpecParams): Promise<void>;
  tenantScope(meta: Partial<TenantMeta> | undefined): string | undefined;
}

export interface SendParams {
  /** `<tenantId>:<login>@<server>` */
  account: string;
  message: Record<string, unknown>;
  timeoutMs?: number;
}

type Meta = Partial<TenantMeta>;

const Mt5GatewayService: ServiceSchema<Mt5GatewaySettings, Methods, Vars> = {
  name: 'mt5-gateway',
  mixins: [createDbMixin()],
  settings: {
    rest: '/',
    gateway: {},
    ingestTimeoutMs: 30_000,
  },

  actions: {
    /** Where the gateway listens (port 0 in config = ephemeral; this tells the bound one). */
    info: {
      params: {},
      handler(): { host: string; port: number } {
        const a = this.gateway.address();
        if (!a) throw new DomainError('NOT_LISTENING', 'the MT5 gateway is not listening', 503);
        return a;
      },
    },

    /** Totals, rates, error counts by code, ingest latency. */
    status: {
      params: {},
      handler(): GatewayStatus {
        return this.gateway.status();
      },
    },

    /** Live sessions with seq gaps, held and malformed counts (a tenant sees its own). */
    sessions: {
      params: {},
      rest: 'GET /feed/sessions',
      handler(ctx: Context<object, Meta>): { items: SessionStatus[]; nextCursor: null } {
        return { items: this.gateway.sessionList(this.tenantScope(ctx.meta)), nextCursor: null };
      },
    },

    /**
     * Send order/modify/close/close_partial/cancel to a connected account and
     * wait for the correlated order_result. `outcome: 'unknown'` on timeout is
     * never retried; the same id returns the same order.
     */
    send: {
      params: {
        account: { type: 'string', min: 3, max: 300 },
        message: { type: 'object' },
        timeoutMs: { type: 'number', integer: true, min: 50, max: 120_000, optional: true },
      },
      async handler(ctx: Context<SendParams, Meta>): Promise<SendResult> {
        const cmd = validateCommand({ ...ctx.params.message });
        if (cmd instanceof ParseFailure) throw new DomainError('BAD_COMMAND', cmd.message, 422, { code: cmd.code, field: cmd.field, fields: cmd.fields });
        return this.gateway.send(ctx.params.account, cmd, { timeoutMs: ctx.params.timeoutMs, tenantId: this.tenantScope(ctx.meta) });
      },
    },
  },

  methods: {
    async ingest(source: string, ticks: Tick[]): Promise<IngestResult> {
      return this.broker.call<IngestResult, { source: string; ticks: Tick[] }>('market-data.ingest', { source, ticks }, { timeout: this.settings.ingestTimeoutMs });
    },

    /** Last stored tick per canonical symbol, from market-data (empty while it has no such action). */
    async lastStoredTimes(symbols: string[]): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      if (symbols.length === 0 || !this.broker.registry.getActionEndpoints('market-data.symbols')?.hasAvailable()) return out;
      const res = await this.broker.call<unknown, Record<string, unknown>>('market-data.symbols', {});
      const items = Array.isArray(res) ? res : ((res as { items?: unknown[] } | null)?.items ?? []);
      const want = new Set(symbols);
      for (const it of items as { symbol?: unknown; lastTime?: unknown }[]) {
        if (typeof it?.symbol === 'string' && typeof it.lastTime === 'number' && want.has(it.symbol)) out.set(it.symbol, it.lastTime);
      }
      return out;
    },

    /** Register a canonical symbol's spec with market-data (skipped while it has no such action). */
    async registerSymbol(spec: SymbolSpecParams): Promise<void> {
      if (!this.broker.registry.getActionEndpoints('market-data.registerSymbol')?.hasAvailable()) return;
      await this.broker.call('market-data.registerSymbol', spec);
    },

    /** The tenant a caller is limited to; undefined for admins and internal calls. */
    tenantScope(meta: Meta | undefined): string | undefined {
      if (!meta?.tenantId || meta.role === 'admin') return undefined;
      return meta.tenantId;
    },
  },

  async started() {
    const cfg = config();
    this.gateway = new Mt5Gateway(
      {
        db: this.db,
        ingest: (source, ticks) => this.ingest(source, ticks),
        lastStoredTimes: (symbols) => this.lastStoredTimes(symbols),
        registerSymbol: (spec) => this.registerSymbol(spec),
        emit: (event, payload, tenantId) => {
          this.broker.emit(event, payload, { meta: { tenantId } }).catch((e: unknown) => this.logger.error(`emit ${event} failed`, e));
        },
        log: this.logger,
      },
      { host: cfg.host, port: cfg.mt5Port, symbolMap: cfg.mt5SymbolMap, ...this.settings.gateway },
    );
    await this.gateway.listen();
  },

  async stopped() {
    await this.gateway?.close();
  },
};

export default Mt5GatewayService;
