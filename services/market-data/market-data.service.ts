/**
 * `market-data`: ticks in (from `mt5-gateway` via `ingest`), candles M1…D1 out
 * (`candle.closed`), batched `ticks.received`, persistence through the
 * TimeSeriesStore (Postgres by default, ClickHouse with CLICKHOUSE_URL), and the
 * REST reads `/symbols`, `/ticks`, `/candles`, `/feed/status`, `/quotes/:symbol`.
 *
 * Handlers validate params, call MarketData (./market-data.ts), return.
 */
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../config';
import { NotFoundError } from '../../lib/errors';
import { SYMBOL_RE, SymbolSpec } from '../../lib/market/validate';
import { createTimeSeriesStore } from '../../lib/storage/connect-timeseries';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { TIMEFRAMES, type IngestParams, type Timeframe } from '../../types/market';
import { candlesCsv, MarketData, MAX_LIMIT, RangeQuery } from './market-data';

export interface MarketDataSettings extends ServiceSettingSchema {
  rest: string;
  /** Period (ms) of the timer closing overdue bars and upserting forming ones. */
  timerMs: number;
}

interface Vars extends DbThis {
  market: MarketData;
}

type This = Service<MarketDataSettings> & Vars;

interface CandleParams extends RangeQuery {
  tf?: Timeframe;
  format?: 'json' | 'csv';
}

interface ResponseMeta {
  $responseType?: string;
}

const symbolParam = { type: 'string', pattern: SYMBOL_RE, messages: { stringPattern: 'symbol must be a canonical name like EURUSD' } } as const;
const timeParam = { type: 'number', integer: true, convert: true, optional: true } as const;
const rangeParams = {
  symbol: symbolParam,
  from: timeParam,
  to: timeParam,
  limit: { type: 'number', integer: true, min: 1, max: MAX_LIMIT, convert: true, optional: true },
  cursor: { type: 'string', max: 40, optional: true },
} as const;

const MarketDataService: ServiceSchema<MarketDataSettings, object, Vars> = {
  name: 'market-data',
  mixins: [createDbMixin()],
  settings: { rest: '/', timerMs: 1000 },
  actions: {
    /** Called by the gateway with batches of up to ~5,000 ticks; the reply is its backpressure. */
    ingest: {
      params: {
        source: { type: 'string', min: 1, max: 200 },
        ticks: { type: 'array', max: 100_000 },
      },
      async handler(this: This, ctx: Context<IngestParams>) {
        if (!ctx.tracing) return this.market.ingest(ctx.params.source, ctx.params.ticks);
        // Traced (sampled) ingests show their passes as spans: FlowChain's MT5_To_Database steps.
        return this.market.ingest(ctx.params.source, ctx.params.ticks, {
          phase: (name, fn) => {
            const span = ctx.startSpan(`market-data.${name}`, { tags: { ticks: ctx.params.ticks.length } });
            try {
              return fn();
            } finally {
              ctx.finishSpan(span);
            }
          },
        });
      },
    },
    /** Symbol specs from the gateway: price digits, and whether crossed quotes are legitimate. */
    registerSymbol: {
      params: {
        symbol: symbolParam,
        digits: { type: 'number', integer: true, min: 0, max: 10 },
        point: { type: 'number', positive: true },
        allowCrossed: { type: 'boolean', optional: true },
        trade_contract_size: { type: 'number', positive: true, optional: true },
        volume_min: { type: 'number', positive: true, optional: true },
        volume_max: { type: 'number', positive: true, optional: true },
        volume_step: { type: 'number', positive: true, optional: true },
        trade_stops_level: { type: 'number', min: 0, optional: true },
        currency_base: { type: 'string', max: 16, optional: true },
        currency_profit: { type: 'string', max: 16, optional: true },
        $$strict: false,
      },
      async handler(this: This, ctx: Context<SymbolSpec>) {
        const { $$strict: _s, ...spec } = ctx.params as SymbolSpec & { $$strict?: unknown };
        this.market.registerSymbol(spec);
        return { symbol: spec.symbol, registered: true };
      },
    },
    /** One symbol's spec in MQL5 names (`name`, digits, point, contract size, volume limits) for the trading engine. */
    symbol: {
      rest: 'GET /symbols/:symbol',
      params: { symbol: symbolParam },
      handler(this: This, ctx: Context<{ symbol: string }>) {
        const s = this.market.spec(ctx.params.symbol);
        if (!s) throw new NotFoundError('symbol spec', ctx.params.symbol);
        const { symbol, allowCrossed: _a, ...rest } = s;
        return { name: symbol, ...rest };
      },
    },
    /** Known symbols with first/last tick times and counts. */
    symbols: {
      rest: 'GET /symbols',
      params: {},
      async handler(this: This) {
        return this.market.symbols();
      },
    },
    ticks: {
      rest: 'GET /ticks',
      params: rangeParams,
      async handler(this: This, ctx: Context<RangeQuery>) {
        const { symbol, from, to, limit, cursor } = ctx.params;
        return { symbol, ...(await this.market.ticks({ symbol, from, to, limit, cursor })) };
      },
    },
    candles: {
      rest: 'GET /candles',
      params: {
        ...rangeParams,
        tf: { type: 'enum', values: [...TIMEFRAMES], optional: true },
        format: { type: 'enum', values: ['json', 'csv'], optional: true },
      },
      async handler(this: This, ctx: Context<CandleParams, ResponseMeta>) {
        const { symbol, from, to, limit, cursor, format } = ctx.params;
        const tf = ctx.params.tf ?? 'M1';
        const page = await this.market.candles({ symbol, tf, from, to, limit, cursor });
        if (format === 'csv') {
          ctx.meta.$responseType = 'text/csv';
          return candlesCsv(page.items);
        }
        return { symbol, tf, ...page };
      },
    },
    /** Feed health: per source and symbol ticks/s (10 s), totals, drops by reason, last tick time. */
    status: {
      rest: 'GET /feed/status',
      params: {},
      handler(this: This) {
        return this.market.status();
      },
    },
    /** The newest bid/ask of a symbol (the paper broker prices with it). */
    latest: {
      rest: 'GET /quotes/:symbol',
      params: { symbol: symbolParam },
      async handler(this: This, ctx: Context<{ symbol: string }>) {
        return this.market.latest(ctx.params.symbol);
      },
    },
  },
  async started(this: This) {
    // The db mixin's `started` ran first (mixins' hooks run before the service's own).
    const cfg = config();
    this.market = new MarketData(
      createTimeSeriesStore(cfg, this.db),
      { backwardsToleranceMs: cfg.tickToleranceMs, timerMs: this.settings.timerMs },
      (event, payload) => this.broker.emit(event, payload),
      this.logger,
    );
    await this.market.start();
  },
  async stopped(this: This) {
    await this.market?.stop();
  },
};

export default MarketDataService;
