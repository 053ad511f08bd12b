/**
 * The one port through which risk and trading read prices and symbol specifications.
 *
 * `BrokerPriceSource` asks the `market-data` service (`market-data.latest({symbol})`
 * → `{symbol, bid, ask, time_msc}`, `market-data.symbol({symbol})` → SymbolSpec) through an
 * injected `call` function, so this file imports no framework. Specs fall back to a
 * small built-in catalogue of standard retail FX/metal contracts when market-data does
 * not know the symbol (or has no spec action), and are cached briefly; quotes are cached
 * from the tick stream (`observe`) and otherwise fetched on each read.
 */
import { UnavailableError } from '../errors';
import type { Quote, SymbolSpec } from '../../types/trading';

export interface PriceSource {
  /** Latest quote, or null when the symbol has none. */
  latest(symbol: string): Promise<Quote | null>;
  /** Specification, or null for an unknown symbol. */
  spec(symbol: string): Promise<SymbolSpec | null>;
}

function fx(name: string, digits: number, base: string, profit: string): SymbolSpec {
  return {
    name, digits, point: Math.pow(10, -digits), trade_contract_size: 100_000, volume_min: 0.01, volume_max: 100, volume_step: 0.01, trade_stops_level: 0,
    currency_base: base, currency_profit: profit,
  };
}

/** Standard contract specs used when market-data has none (5-digit FX, 100 oz gold, 5,000 oz silver). */
export const STANDARD_SYMBOLS: Record<string, SymbolSpec> = {
  EURUSD: fx('EURUSD', 5, 'EUR', 'USD'),
  GBPUSD: fx('GBPUSD', 5, 'GBP', 'USD'),
  AUDUSD: fx('AUDUSD', 5, 'AUD', 'USD'),
  NZDUSD: fx('NZDUSD', 5, 'NZD', 'USD'),
  USDCHF: fx('USDCHF', 5, 'USD', 'CHF'),
  USDCAD: fx('USDCAD', 5, 'USD', 'CAD'),
  EURGBP: fx('EURGBP', 5, 'EUR', 'GBP'),
  USDJPY: fx('USDJPY', 3, 'USD', 'JPY'),
  XAUUSD: { name: 'XAUUSD', digits: 2, point: 0.01, trade_contract_size: 100, volume_min: 0.01, volume_max: 50, volume_step: 0.01, trade_stops_level: 0, currency_base: 'XAU', currency_profit: 'USD' },
  XAGUSD: { name: 'XAGUSD', digits: 3, point: 0.001, trade_contract_size: 5000, volume_min: 0.01, volume_max: 50, volume_step: 0.01, trade_stops_level: 0, currency_base: 'XAG', currency_profit: 'USD' },
};

export type CallFn = (action: string, params: Record<string, unknown>) => Promise<unknown>;

function isQuote(x: unknown): x is Quote {
  const q = x as Quote | null;
  return !!q && typeof q.bid === 'number' && typeof q.ask === 'number' && typeof q.time_msc === 'number';
}

function isSpec(x: unknown): x is SymbolSpec {
  const s = x as SymbolSpec | null;
  return !!s && typeof s.name === 'string' && typeof s.point === 'number' && typeof s.volume_min === 'number' && typeof s.volume_step === 'number';
}

/** True for "no such action/service" errors, which mean the feature is absent rather than broken. */
function isMissingAction(e: unknown): boolean {
  const t = (e as { type?: string; name?: string }).type ?? (e as { name?: string }).name;
  return t === 'SERVICE_NOT_FOUND' || t === 'SERVICE_NOT_AVAILABLE' || t === 'ServiceNotFoundError';
}

export interface BrokerPriceSourceOptions {
  /** How long a spec stays cached (ms). */
  specTtlMs?: number;
  /** Extra or overriding specs (tests, configuration). */
  symbols?: Record<string, SymbolSpec>;
  now?: () => number;
}

export class BrokerPriceSource implements PriceSource {
  private readonly specs = new Map<string, { spec: SymbolSpec | null; at: number }>();
  private readonly quotes = new Map<string, Quote>();
  /** When market-data last said it has no spec action (retried after the TTL: it may start later). */
  private specActionMissingAt = -Infinity;
  private readonly ttl: number;
  private readonly fallback: Record<string, SymbolSpec>;
  private readonly now: () => number;

  constructor(private readonly call: CallFn, opts: BrokerPriceSourceOptions = {}) {
    this.ttl = opts.specTtlMs ?? 60_000;
    this.fallback = { ...STANDARD_SYMBOLS, ...(opts.symbols ?? {}) };
    this.now = opts.now ?? Date.now;
  }

  /** Feed the latest tick of a symbol (from `ticks.received`); `latest` then answers without a call. */
  observe(q: Quote): void {
    const prev = this.quotes.get(q.symbol);
    if (!prev || q.time_msc >= prev.time_msc) this.quotes.set(q.symbol, q);
  }

  /** The last observed quote without asking market-data. */
  cached(symbol: string): Quote | null {
    return this.quotes.get(symbol) ?? null;
  }

  async latest(symbol: string): Promise<Quote | null> {
    const seen = this.quotes.get(symbol);
    if (seen) return seen;
    try {
      const q = await this.call('market-data.latest', { symbol });
      return isQuote(q) ? { symbol, bid: q.bid, ask: q.ask, time_msc: q.time_msc } : null;
    } catch (e) {
      // market-data answering "no quote" is null; market-data being absent is an outage.
      if (isMissingAction(e)) throw new UnavailableError('market-data', (e as Error).message, e);
      if ((e as { code?: number }).code === 404) return null;
      throw e;
    }
  }

  async spec(symbol: string): Promise<SymbolSpec | null> {
    const hit = this.specs.get(symbol);
    if (hit && this.now() - hit.at < this.ttl) return hit.spec;
    let spec: SymbolSpec | null = null;
    if (this.now() - this.specActionMissingAt >= this.ttl) {
      try {
        const s = await this.call('market-data.symbol', { symbol });
        if (isSpec(s)) spec = s;
      } catch (e) {
        if (isMissingAction(e)) this.specActionMissingAt = this.now();
        else if ((e as { code?: number }).code !== 404) throw e;
      }
    }
    spec ??= this.fallback[symbol] ?? null;
    this.specs.set(symbol, { spec, at: this.now() });
    return spec;
  }
}
