/**
 * Test peers for trading and risk: an in-test `market-data` (latest quote + symbol spec),
 * an in-test `mt5-gateway` with scripted replies, an event recorder, and tenant rows.
 * They are registered on the real broker next to the real services under test.
 */
import type { ServiceBroker } from 'moleculer';
import { Errors } from 'moleculer';
import { Client } from 'pg';
import { STANDARD_SYMBOLS } from '../../lib/trading/price-source';
import type { Quote, SymbolSpec } from '../../types/trading';

export class MarketDataPeer {
  readonly quotes = new Map<string, Quote>();
  readonly specs: Record<string, SymbolSpec> = { ...STANDARD_SYMBOLS };
  /** Milliseconds `latest` takes for a symbol (a slow feed), if set. */
  readonly delays = new Map<string, number>();
  calls = 0;

  constructor(private readonly broker: ServiceBroker) {
    broker.createService({
      name: 'market-data',
      actions: {
        latest: {
          params: { symbol: 'string' },
          handler: async (ctx: { params: { symbol: string } }) => {
            this.calls++;
            const delay = this.delays.get(ctx.params.symbol);
            if (delay) await new Promise((r) => setTimeout(r, delay));
            const q = this.quotes.get(ctx.params.symbol);
            if (!q) throw new Errors.MoleculerClientError(`no quote for ${ctx.params.symbol}`, 404, 'NOT_FOUND');
            return q;
          },
        },
        symbol: {
          params: { symbol: 'string' },
          handler: (ctx: { params: { symbol: string } }) => {
            const s = this.specs[ctx.params.symbol];
            if (!s) throw new Errors.MoleculerClientError(`unknown symbol ${ctx.params.symbol}`, 404, 'NOT_FOUND');
            return s;
          },
        },
      },
    });
  }

  /** Set the quote and publish it as `ticks.received` (what market-data does). */
  async tick(symbol: string, bid: number, ask: number, time_msc = Date.now()): Promise<Quote> {
    const q = { symbol, bid, ask, time_msc };
    this.quotes.set(symbol, q);
    await this.broker.emit('ticks.received', { symbol, ticks: [q] });
    return q;
  }
}

export interface RecordedEvent {
  name: string;
  payload: Record<string, unknown>;
}

export class EventRecorder {
  readonly events: RecordedEvent[] = [];
  private waiters: { pred: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }[] = [];

  constructor(broker: ServiceBroker, names: string[], serviceName = 'recorder') {
    const events: Record<string, (ctx: { params: Record<string, unknown> }) => void> = {};
    for (const n of names) {
      events[n] = (ctx) => {
        const e = { name: n, payload: ctx.params };
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(e)) return true;
          w.resolve(e);
          return false;
        });
      };
    }
    broker.createService({ name: serviceName, events });
  }

  of(name: string): Record<string, unknown>[] {
    return this.events.filter((e) => e.name === name).map((e) => e.payload);
  }

  /** Resolves with the first recorded (past or future) event matching. */
  wait(name: string, pred: (p: Record<string, unknown>) => boolean = () => true, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const hit = this.events.find((e) => e.name === name && pred(e.payload));
    if (hit) return Promise.resolve(hit.payload);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${name}`)), timeoutMs);
      this.waiters.push({
        pred: (e) => e.name === name && pred(e.payload),
        resolve: (e) => {
          clearTimeout(t);
          resolve(e.payload);
        },
      });
    });
  }
}

/** Insert tenant rows (the FK target of every tenant-owned table). */
export async function createTenants(url: string, ids: string[]): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    for (const id of ids) await c.query(`INSERT INTO tenants (id, name, tier) VALUES ($1, $1, 'pro') ON CONFLICT DO NOTHING`, [id]);
  } finally {
    await c.end();
  }
}

/** One-off SQL against the test database. */
export async function sql<R = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as R[];
  } finally {
    await c.end();
  }
}

/** Poll until `fn` returns a truthy value. */
export async function until<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 5000, stepMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
