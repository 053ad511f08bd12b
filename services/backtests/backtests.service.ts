/**
 * `backtests`: backtest jobs over REST. `POST /backtests` validates and queues a job
 * (tenant-owned), runs it off the request with the same engine and strategies as
 * `plan2 backtest`, reports progress as `backtest.progress` events (the stream's
 * `backtests:<id>` topic), and keeps the result (stats, trades, equity) for
 * `GET /backtests/:id`. Bars come from market-data's stored candles or an inline CSV.
 * Jobs run one at a time per node, in arrival order; a restart fails the jobs it had
 * not finished (they are never half-reported as done).
 */
import { randomUUID } from 'node:crypto';
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { parseBarsCsv } from '../../lib/backtest/csv-bars';
import { runBacktest } from '../../lib/backtest/engine';
import { backtestJson } from '../../lib/backtest/result-json';
import { computeStats } from '../../lib/backtest/stats';
import { barSeries, type BacktestOptions, type BarSeries } from '../../lib/backtest/types';
import { DomainError, NotFoundError } from '../../lib/errors';
import { maybeOne } from '../../lib/storage/db';
import { createStrategy, displayParams, listStrategies, parseParamString } from '../../lib/strategies/registry';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { tenantOf } from '../../mixins/tenant';
import { TIMEFRAMES, type Candle, type Timeframe } from '../../types/market';
import type { ApiMeta } from '../../types/meta';

interface BacktestRequest {
  strategy: string;
  params?: string;
  symbol?: string;
  tf?: Timeframe;
  from?: number;
  to?: number;
  limit?: number;
  csv?: string;
  cash?: number;
  commission?: number;
  spread?: number;
  exclusiveOrders?: boolean;
  finalizeTrades?: boolean;
  tradeOnClose?: boolean;
}

interface Job {
  id: string;
  tenantId: string;
  req: BacktestRequest;
}

interface Vars {
  queue: Job[];
  running: Promise<void> | null;
  stopping: boolean;
}

type Ctx<P = Record<string, unknown>> = Context<P, ApiMeta>;

const MAX_CSV = 5 * 1024 * 1024;

function rowToJob(r: { id: string; tenant_id: string; status: string; request: BacktestRequest; progress: number; result: unknown; error: string | null; created_at: Date; finished_at: Date | null }, withResult: boolean) {
  return {
    id: r.id,
    status: r.status,
    progress: r.progress,
    request: { ...r.request, csv: r.request.csv ? `(${r.request.csv.length} characters)` : undefined },
    error: r.error,
    createdAt: new Date(r.created_at).getTime(),
    finishedAt: r.finished_at ? new Date(r.finished_at).getTime() : null,
    ...(withResult ? { result: r.result } : {}),
  };
}

interface Methods {
  drain(): Promise<void>;
}

const BacktestsService: ServiceSchema<ServiceSettingSchema, Methods, DbThis & Vars> = {
  name: 'backtests',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    create: {
      rest: 'POST /backtests',
      params: {
        strategy: { type: 'enum', values: listStrategies().map((d) => d.name) },
        params: { type: 'string', max: 1000, optional: true },
        symbol: { type: 'string', pattern: /^[A-Za-z0-9._-]{1,32}$/, optional: true },
        tf: { type: 'enum', values: [...TIMEFRAMES], optional: true },
        from: { type: 'number', integer: true, convert: true, optional: true },
        to: { type: 'number', integer: true, convert: true, optional: true },
        limit: { type: 'number', integer: true, min: 2, max: 10_000, convert: true, optional: true },
        csv: { type: 'string', max: MAX_CSV, optional: true },
        cash: { type: 'number', positive: true, optional: true },
        commission: { type: 'number', min: 0, max: 0.0999999, optional: true },
        spread: { type: 'number', min: 0, max: 0.0999999, optional: true },
        exclusiveOrders: { type: 'boolean', optional: true },
        finalizeTrades: { type: 'boolean', optional: true },
        tradeOnClose: { type: 'boolean', optional: true },
      },
      async handler(ctx: Ctx<BacktestRequest>) {
        const tenantId = tenantOf(ctx);
        const req = ctx.params;
        if (!req.csv && !req.symbol) throw new DomainError('VALIDATION_ERROR', 'give either csv (OHLCV text) or symbol (stored candles)', 422);
        // Strategy and parameters are checked now, so a bad request never becomes a job.
        try {
          createStrategy(req.strategy, parseParamString(req.params ?? ''));
        } catch (e) {
          throw new DomainError('BAD_STRATEGY_PARAMS', (e as Error).message, 422);
        }
        if (req.csv) {
          try {
            parseBarsCsv(req.csv, { source: 'csv' });
          } catch (e) {
            throw new DomainError('BAD_CSV', (e as Error).message, 422);
          }
        }
        const id = 'bt_' + randomUUID().replace(/-/g, '').slice(0, 20);
        await this.db.query('INSERT INTO backtests (id, tenant_id, status, request) VALUES ($1, $2, $3, $4)', [id, tenantId, 'queued', JSON.stringify(req)]);
        this.queue.push({ id, tenantId, req });
        this.running ??= this.drain();
        ctx.meta.$statusCode = 202;
        ctx.meta.$responseHeaders = { ...(ctx.meta.$responseHeaders ?? {}), Location: `/api/v1/backtests/${id}` };
        return { id, status: 'queued', topic: `backtests:${id}` };
      },
    },
    get: {
      rest: 'GET /backtests/:id',
      params: { id: { type: 'string', min: 1, max: 64 } },
      async handler(ctx: Ctx<{ id: string }>) {
        const r = await maybeOne<Parameters<typeof rowToJob>[0]>(this.db, 'SELECT * FROM backtests WHERE tenant_id = $1 AND id = $2', [tenantOf(ctx), ctx.params.id]);
        if (!r) throw new NotFoundError('backtest', ctx.params.id);
        return rowToJob(r, true);
      },
    },
    list: {
      rest: 'GET /backtests',
      params: { limit: { type: 'number', integer: true, min: 1, max: 1000, convert: true, optional: true } },
      async handler(ctx: Ctx<{ limit?: number }>) {
        const rows = await this.db.query<Parameters<typeof rowToJob>[0]>(
          'SELECT id, tenant_id, status, request, progress, NULL AS result, error, created_at, finished_at FROM backtests WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2',
          [tenantOf(ctx), ctx.params.limit ?? 100],
        );
        return { items: rows.map((r) => rowToJob(r, false)), nextCursor: null };
      },
    },
  },
  methods: {
    /** Run queued jobs one after another until the queue is empty. */
    async drain(this: DbThis & Vars & { runJob(j: Job): Promise<void> }): Promise<void> {
      while (this.queue.length > 0 && !this.stopping) await this.runJob(this.queue.shift()!);
      this.running = null;
    },
    async runJob(this: DbThis & Vars & { broker: import('moleculer').ServiceBroker; loadBars(j: Job): Promise<BarSeries> }, job: Job): Promise<void> {
      const emit = (event: string, data: Record<string, unknown>) => this.broker.emit(event, { id: job.id, tenantId: job.tenantId, ...data }, { meta: { tenantId: job.tenantId } });
      try {
        await this.db.query("UPDATE backtests SET status = 'running' WHERE id = $1", [job.id]);
        await emit('backtest.started', {});
        const bars = await this.loadBars(job);
        if (bars.length < 2) throw new DomainError('NOT_ENOUGH_BARS', `need at least 2 bars, got ${bars.length}`, 422);
        const created = createStrategy(job.req.strategy, parseParamString(job.req.params ?? ''));
        const opts: BacktestOptions = {
          cash: job.req.cash ?? 10_000,
          commission: job.req.commission ?? 0,
          spread: job.req.spread ?? 0,
          exclusiveOrders: job.req.exclusiveOrders ?? false,
          finalizeTrades: job.req.finalizeTrades ?? false,
          tradeOnClose: job.req.tradeOnClose ?? false,
        };
        const progress: Promise<unknown>[] = [];
        const every = Math.max(1, Math.floor(bars.length / 10));
        const result = runBacktest(bars, created.strategy, { ...opts, progressEvery: every, onProgress: (done, total) => progress.push(emit('backtest.progress', { done, total, pct: Math.round((done / total) * 1000) / 10 })) });
        await Promise.all(progress);
        const stats = computeStats({ t: bars.t, close: bars.c, equity: result.equity, trades: result.trades, warmupBars: result.warmupBars });
        const json = backtestJson({ bars, result, stats, strategy: job.req.strategy, params: displayParams(created.def, created.params), settings: { ...opts } });
        await this.db.query("UPDATE backtests SET status = 'done', progress = 1, result = $2, finished_at = now() WHERE id = $1", [job.id, JSON.stringify(json)]);
        await emit('backtest.done', { stats: json.stats });
      } catch (e) {
        await this.db.query("UPDATE backtests SET status = 'failed', error = $2, finished_at = now() WHERE id = $1", [job.id, (e as Error).message]).catch(() => undefined);
        await emit('backtest.failed', { error: (e as Error).message }).catch(() => undefined);
      }
    },
    /** Bars of a job: its inline CSV, or stored candles from market-data. */
    async loadBars(this: { broker: import('moleculer').ServiceBroker }, job: Job): Promise<BarSeries> {
      const r = job.req;
      if (r.csv) return parseBarsCsv(r.csv, { source: 'csv', symbol: r.symbol });
      const page = await this.broker.call<{ items: Candle[] }, object>('market-data.candles', { symbol: r.symbol, tf: r.tf ?? 'M1', from: r.from, to: r.to, limit: r.limit ?? 10_000 });
      const cs = page.items.filter((c) => (c as Candle & { closed?: boolean }).closed !== false);
      return barSeries({ t: cs.map((c) => c.t), o: cs.map((c) => c.o), h: cs.map((c) => c.h), l: cs.map((c) => c.l), c: cs.map((c) => c.c), v: cs.map((c) => c.v), symbol: r.symbol });
    },
  },
  created() {
    this.queue = [];
    this.running = null;
    this.stopping = false;
  },
  async started() {
    // Jobs another run of this node left unfinished cannot be resumed honestly: fail them.
    await this.db.query("UPDATE backtests SET status = 'failed', error = 'interrupted by a restart', finished_at = now() WHERE status IN ('queued', 'running')");
  },
  async stopped() {
    this.stopping = true;
    await this.running;
  },
};

export default BacktestsService as unknown as ServiceSchema;
