/**
 * `indicators`: technical indicators kept live per (symbol, timeframe) from
 * `candle.closed`, for any set of specs (`rsi:14,macd:12:26:9,bbands:20:2`).
 *
 * - `GET /indicators?symbol&tf&set[&limit][&includeForming]` (`indicators.values`):
 *   the last `limit` closed bars (default 100, max 10,000), each
 *   `{t, iso, values: {RSI_14: 55.2, MACD_12_26_9: {macd, signal, hist}, …}}`
 *   with `null` during warm-up, ids named as in `plan2 indicators --json`.
 *   With `includeForming=true` the still-forming bar is the last row
 *   (`forming: true`), computed on copies of the live instances.
 * - `GET /indicators/latest` (`indicators.latest`): the newest row alone, for agents and the dashboard.
 * - `indicators.status`: live instances, evictions, update errors.
 *
 * A new (symbol, tf, spec) warms up from `market-data.candles`, then streams
 * (registry.ts has the rules). Every node running this service keeps its own
 * instances, so each one receives every `candle.closed` (its own event group).
 * Bad input: unknown symbol → 404 naming the known ones; bad tf, limit or
 * spec → 422.
 */
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { DomainError } from '../../lib/errors';
import { SYMBOL_RE } from '../../lib/market/validate';
import { untraced } from '../../mixins/untraced';
import type { CandleItem, Page } from '../market-data/market-data';
import { TIMEFRAMES, type Candle, type Timeframe } from '../../types/market';
import { DEFAULT_LIMIT, IndicatorRegistry, IndicatorRow, LiveBar, MAX_LIMIT, newestClosedBars, parseSet } from './registry';

export interface IndicatorsSettings extends ServiceSettingSchema {
  rest: string;
  /** Most live instances kept on this node. */
  maxEntries: number;
  /** Instances not requested for this long are dropped (ms). */
  idleMs: number;
  /** Period of the idle sweep (ms). */
  sweepMs: number;
}

interface Vars {
  registry: IndicatorRegistry;
  sweep: NodeJS.Timeout | null;
}

interface Methods {
  closedBars(symbol: string, tf: Timeframe, bars: number): Promise<LiveBar[]>;
  formingBar(symbol: string, tf: Timeframe): Promise<LiveBar | undefined>;
}

type This = Service<IndicatorsSettings> & Vars & Methods;

/** Moleculer calls `merged(schema)` once mixins are merged (not in its typings). */
interface MergedHook {
  merged(this: This, schema: ServiceSchema): void;
}

export interface ValuesParams {
  symbol: string;
  tf?: Timeframe;
  set: string;
  limit?: number;
  includeForming?: boolean;
}

export interface ValuesResponse {
  symbol: string;
  tf: Timeframe;
  /** Canonical ids of the set, in request order (duplicates once). */
  set: string[];
  items: IndicatorRow[];
  nextCursor: null;
}

export interface LatestResponse {
  symbol: string;
  tf: Timeframe;
  set: string[];
  t: number | null;
  iso: string | null;
  values: IndicatorRow['values'];
  forming?: true;
}

/** Market-data's page size limit (its MAX_LIMIT). */
const MD_PAGE = 10_000;

interface ClientErrorLike {
  code?: unknown;
  data?: unknown;
}

/** market-data's 404 for an unknown symbol (it lists the known ones in `data.known`) → ours, naming them. */
function unknownSymbol(symbol: string, e: unknown): unknown {
  const err = e as ClientErrorLike;
  if (err?.code !== 404) return e;
  const data = err.data as { known?: unknown } | undefined;
  const known = Array.isArray(data?.known) ? (data.known as unknown[]).map(String) : [];
  return new DomainError('UNKNOWN_SYMBOL', `unknown symbol ${symbol}; known: ${known.length > 0 ? known.join(', ') : 'none yet'}`, 404, { symbol, known });
}

const toBar = (c: { t: number; o: number; h: number; l: number; c: number; v: number }): LiveBar => ({ t: c.t, o: c.o, h: c.h, l: c.l, c: c.c, v: c.v });

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function isCandle(x: unknown): x is Candle {
  const c = x as Partial<Candle> | null;
  return (
    typeof c === 'object' && c !== null && typeof c.symbol === 'string' && typeof c.tf === 'string' && (TIMEFRAMES as readonly string[]).includes(c.tf) && isNum(c.t) && isNum(c.h) && isNum(c.l) && isNum(c.c)
  );
}

const symbolParam = { type: 'string', pattern: SYMBOL_RE, messages: { stringPattern: 'symbol must be a canonical name like EURUSD' } } as const;
const queryParams = {
  symbol: symbolParam,
  tf: { type: 'enum', values: [...TIMEFRAMES], optional: true },
  set: { type: 'string', min: 1, max: 1000 },
  includeForming: { type: 'boolean', convert: true, optional: true },
} as const;

const IndicatorsService: ServiceSchema<IndicatorsSettings, Methods, Vars> & MergedHook = {
  name: 'indicators',
  settings: { rest: '/', maxEntries: 2000, idleMs: 6 * 3_600_000, sweepMs: 60_000 },

  /** Each node's instance has its own event group, so every node sees every candle. */
  merged(this: This, schema: ServiceSchema) {
    const ev = schema.events?.['candle.closed'];
    if (ev && typeof ev === 'object') (ev as { group?: string }).group = `indicators@${this.broker.nodeID}`;
  },

  actions: {
    values: {
      rest: 'GET /indicators',
      params: { ...queryParams, limit: { type: 'number', integer: true, min: 1, max: MAX_LIMIT, convert: true, optional: true } },
      async handler(this: This, ctx: Context<ValuesParams>): Promise<ValuesResponse> {
        const { symbol, set, includeForming } = ctx.params;
        const tf = ctx.params.tf ?? 'M1';
        const limit = ctx.params.limit ?? DEFAULT_LIMIT;
        const templates = parseSet(set);
        const live = await this.registry.acquire(symbol, tf, templates, limit);
        const forming = includeForming ? await this.formingBar(symbol, tf) : undefined;
        return { symbol, tf, set: templates.map((t) => t.id), items: this.registry.rows(live, limit, forming), nextCursor: null };
      },
    },

    latest: {
      rest: 'GET /indicators/latest',
      params: queryParams,
      async handler(this: This, ctx: Context<Omit<ValuesParams, 'limit'>>): Promise<LatestResponse> {
        const { symbol, set, includeForming } = ctx.params;
        const tf = ctx.params.tf ?? 'M1';
        const templates = parseSet(set);
        const live = await this.registry.acquire(symbol, tf, templates, 1);
        const forming = includeForming ? await this.formingBar(symbol, tf) : undefined;
        const ids = templates.map((t) => t.id);
        const row = this.registry.rows(live, 1, forming)[0];
        if (!row) return { symbol, tf, set: ids, t: null, iso: null, values: Object.fromEntries(ids.map((id) => [id, null])) };
        return { symbol, tf, set: ids, ...row };
      },
    },

    status: {
      params: {},
      handler(this: This) {
        const r = this.registry;
        return {
          instances: r.size,
          maxEntries: r.maxEntries,
          idleMs: r.idleMs,
          evicted: r.evicted,
          items: r.list().map((e) => ({ key: e.key, symbol: e.symbol, tf: e.tf, id: e.id, bars: e.indicator.count, keep: e.keep, lastT: Number.isFinite(e.lastT) ? e.lastT : null, lastUsed: e.lastUsed, skipped: e.skipped, warming: e.ready !== null })),
          errors: Object.fromEntries(r.errors),
        };
      },
    },
  },

  events: {
    // Indicator state updates: no step of any chain, no span.
    'candle.closed': untraced({
      handler(this: This, ctx: Context<unknown>) {
        const c = ctx.params;
        if (!isCandle(c)) {
          this.logger.warn('indicators: ignored a malformed candle.closed payload');
          return;
        }
        this.registry.onCandle(c.symbol, c.tf, toBar(c));
      },
    }),
  },

  methods: {
    /** The newest `bars` closed bars of (symbol, tf) from market-data, oldest first. */
    async closedBars(this: This, symbol: string, tf: Timeframe, bars: number): Promise<LiveBar[]> {
      const page = async (limit: number, to?: number): Promise<CandleItem[]> => {
        try {
          const r = await this.broker.call<Page<CandleItem>, object>('market-data.candles', { symbol, tf, limit, ...(to !== undefined ? { to } : {}) });
          return r.items;
        } catch (e) {
          throw unknownSymbol(symbol, e);
        }
      };
      return newestClosedBars(page, bars, MD_PAGE);
    },

    /** The still-forming bar of (symbol, tf), if market-data has one. */
    async formingBar(this: This, symbol: string, tf: Timeframe): Promise<LiveBar | undefined> {
      const page = await this.broker.call<Page<CandleItem>, object>('market-data.candles', { symbol, tf, limit: 1 });
      const last = page.items[page.items.length - 1];
      return last && !last.closed ? toBar(last) : undefined;
    },
  },

  created(this: This) {
    this.sweep = null;
    this.registry = new IndicatorRegistry({
      fetchBars: (symbol, tf, bars) => this.closedBars(symbol, tf, bars),
      maxEntries: this.settings.maxEntries,
      idleMs: this.settings.idleMs,
      onError: (key, message) => this.logger.warn(`indicators: dropped ${key} after a failed update: ${message}`),
    });
  },

  started(this: This) {
    this.sweep = setInterval(() => this.registry.evictIdle(), this.settings.sweepMs);
    this.sweep.unref();
  },

  stopped(this: This) {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
  },
};

export default IndicatorsService;
