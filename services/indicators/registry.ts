/**
 * Live indicators keyed by (symbol, timeframe, indicator id), without the broker.
 *
 * - The first request for a key creates its instance and warms it up from
 *   history: the newest `lookback + keep` closed bars (`keep` ≥ the requested
 *   limit, at least DEFAULT_LIMIT), so the values served are those of the
 *   indicator started at that bar (TA-Lib conventions; EMA-type indicators
 *   converge from there). A later request for more bars than an instance keeps
 *   warms a new instance over the longer window.
 * - Every closed candle of that (symbol, tf) then updates it (`onCandle`);
 *   candles arriving while it warms up are held and applied after the history,
 *   skipping bars the history already had (by open time), so none is lost or
 *   applied twice.
 * - Instances not requested for `idleMs` are dropped, and at most `maxEntries`
 *   are kept (least recently requested go first).
 * - An instance whose update throws (bad input) is dropped and the error kept
 *   for `errors`; the next request warms it up again.
 *
 * Also here: `parseSet` (a request's spec list → indicators, 422 naming a bad
 * spec) and `newestClosedBars` (history paged backwards from market-data).
 */
import { DomainError } from '../../lib/errors';
import { cloneIndicator } from '../../lib/indicators/clone';
import { createIndicator } from '../../lib/indicators/spec';
import type { AnyIndicator, Bar, Output } from '../../lib/indicators/types';
import type { Timeframe } from '../../types/market';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;
/** Largest number of indicators in one request's set. */
export const MAX_SET = 20;

/** A closed bar as history and `candle.closed` give it (`t` = open time, ms UTC). */
export interface LiveBar extends Bar {
  t: number;
}

/** Closed bars of (symbol, tf), oldest first, the newest `bars` of them. */
export type FetchBars = (symbol: string, tf: Timeframe, bars: number) => Promise<LiveBar[]>;

export interface RegistryOptions {
  fetchBars: FetchBars;
  /** Most instances kept (≥ MAX_SET). */
  maxEntries?: number;
  /** An instance not requested for this long is dropped (ms). */
  idleMs?: number;
  now?: () => number;
  onError?: (key: string, message: string) => void;
}

/** One live indicator instance and the (time, value) of its last `keep` bars or more. */
export class LiveIndicator {
  /** Bar open times, ascending. */
  readonly ts: number[] = [];
  readonly vs: (Output | null)[] = [];
  lastT = -Infinity;
  lastUsed: number;
  /** Set while warming up; resolves (or rejects) when history has been applied. */
  ready: Promise<void> | null = null;
  /** Candles that arrived during warm-up. */
  pending: LiveBar[] | null = [];
  /** Candles skipped because they were not newer than the last one applied. */
  skipped = 0;

  constructor(
    readonly key: string,
    readonly symbol: string,
    readonly tf: Timeframe,
    readonly indicator: AnyIndicator,
    readonly keep: number,
    now: number,
  ) {
    this.lastUsed = now;
  }

  get id(): string {
    return this.indicator.id;
  }

  /** Applies one closed bar (ignored unless newer than the last); throws what the indicator throws. */
  apply(b: LiveBar): void {
    if (!(b.t > this.lastT)) {
      this.skipped++;
      return;
    }
    const ind = this.indicator;
    const v = ind.input === 'scalar' ? ind.update(b.c) : ind.update(b);
    this.lastT = b.t;
    this.ts.push(b.t);
    this.vs.push(v);
    // Trim in chunks so a push stays O(1) amortized.
    if (this.ts.length >= 2 * this.keep) {
      const drop = this.ts.length - this.keep;
      this.ts.splice(0, drop);
      this.vs.splice(0, drop);
    }
  }

  /** The value at bar time `t`, `null` when warming up there or the bar is not held. */
  valueAt(t: number): Output | null {
    let lo = 0;
    let hi = this.ts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const x = this.ts[mid];
      if (x === t) return this.vs[mid];
      if (x < t) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** What the value would be if `forming` closed now, computed on a copy (the live state is untouched). */
  tryForming(forming: LiveBar): Output | null {
    if (!(forming.t > this.lastT)) return null;
    const copy = cloneIndicator(this.indicator);
    return copy.input === 'scalar' ? copy.update(forming.c) : copy.update(forming);
  }
}

/** One row of a response: a bar's open time and each indicator's value there. */
export interface IndicatorRow {
  t: number;
  iso: string;
  values: Record<string, Output | null>;
  /** Present (true) only on the still-forming bar. */
  forming?: true;
}

/**
 * Indicators of a comma-separated set, one per distinct id, in order. A bad
 * spec (unknown name, period ≤ 0, malformed) is a 422 naming it.
 */
export function parseSet(list: string): AnyIndicator[] {
  const specs = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (specs.length === 0) throw new DomainError('BAD_SET', 'set lists no indicator (e.g. set=rsi:14,macd:12:26:9)', 422, { set: list });
  if (specs.length > MAX_SET) throw new DomainError('BAD_SET', `set lists ${specs.length} indicators; at most ${MAX_SET} per request`, 422, { set: list });
  const out: AnyIndicator[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    let ind: AnyIndicator;
    try {
      ind = createIndicator(spec);
    } catch (e) {
      if (e instanceof DomainError) throw new DomainError(e.code, e.message, 422, { ...(e.data as object), spec });
      throw e;
    }
    if (!seen.has(ind.id)) {
      seen.add(ind.id);
      out.push(ind);
    }
  }
  return out;
}

/** A bar as market-data's candle list gives it. */
export interface PagedBar extends LiveBar {
  v: number;
  closed: boolean;
}

/**
 * The newest `bars` closed bars, oldest first, from a source answering the
 * newest `limit` bars before `to` (exclusive; none = up to now), oldest first,
 * the forming bar included (market-data.candles). Pages backwards in pages of
 * at most `pageSize` until it has enough or the history ends.
 */
export async function newestClosedBars(page: (limit: number, to?: number) => Promise<PagedBar[]>, bars: number, pageSize: number): Promise<LiveBar[]> {
  const pages: LiveBar[][] = [];
  let have = 0;
  let to: number | undefined;
  while (have < bars) {
    // +1: the newest page may end with the forming bar.
    const limit = Math.min(pageSize, bars - have + 1);
    const items = await page(limit, to);
    const closed = items.filter((c) => c.closed).map((c): LiveBar => ({ t: c.t, o: c.o, h: c.h, l: c.l, c: c.c, v: c.v }));
    pages.unshift(closed);
    have += closed.length;
    if (items.length < limit) break;
    to = items[0].t;
  }
  const all = pages.flat();
  return all.slice(Math.max(0, all.length - bars));
}

const groupKey = (symbol: string, tf: Timeframe) => `${symbol}|${tf}`;

export class IndicatorRegistry {
  /** All instances, least recently requested first (a request re-inserts). */
  private readonly entries = new Map<string, LiveIndicator>();
  /** (symbol|tf) → instances fed by its candles. */
  private readonly groups = new Map<string, Set<LiveIndicator>>();
  readonly maxEntries: number;
  readonly idleMs: number;
  private readonly now: () => number;
  private readonly fetchBars: FetchBars;
  private readonly onError: (key: string, message: string) => void;
  evicted = 0;
  /** The last update error of each dropped instance key. */
  readonly errors = new Map<string, string>();

  constructor(opts: RegistryOptions) {
    this.fetchBars = opts.fetchBars;
    this.maxEntries = opts.maxEntries ?? 2000;
    if (!(this.maxEntries >= MAX_SET)) throw new RangeError(`maxEntries must be ≥ ${MAX_SET}`);
    this.idleMs = opts.idleMs ?? 6 * 3_600_000;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => undefined);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Instances, least recently requested first (for status and tests). */
  list(): LiveIndicator[] {
    return [...this.entries.values()];
  }

  /**
   * The live instances for these indicators (fresh, unfed instances used as
   * templates; ids must be distinct) on (symbol, tf), each holding at least
   * `limit` bars of history once the returned promise resolves. Warm-up
   * failures (unknown symbol, market-data down) reject and leave nothing behind.
   */
  async acquire(symbol: string, tf: Timeframe, templates: readonly AnyIndicator[], limit: number): Promise<LiveIndicator[]> {
    const now = this.now();
    this.evictIdle(now);
    const out = templates.map((tpl) => {
      const key = `${symbol}|${tf}|${tpl.id}`;
      let e = this.entries.get(key);
      if (e && e.keep < limit) {
        this.remove(e);
        e = undefined;
      }
      if (e) {
        this.entries.delete(key);
        this.entries.set(key, e);
        e.lastUsed = now;
      } else {
        e = this.create(key, symbol, tf, tpl, Math.max(limit, DEFAULT_LIMIT), now);
      }
      return e;
    });
    this.evictOverflow();
    await Promise.all(out.map((e) => e.ready));
    return out;
  }

  private create(key: string, symbol: string, tf: Timeframe, ind: AnyIndicator, keep: number, now: number): LiveIndicator {
    const e = new LiveIndicator(key, symbol, tf, ind, keep, now);
    this.entries.set(key, e);
    const g = groupKey(symbol, tf);
    let set = this.groups.get(g);
    if (!set) this.groups.set(g, (set = new Set()));
    set.add(e);
    e.ready = this.warm(e).then(
      () => {
        e.ready = null;
      },
      (err: unknown) => {
        this.remove(e);
        throw err;
      },
    );
    return e;
  }

  private async warm(e: LiveIndicator): Promise<void> {
    const history = await this.fetchBars(e.symbol, e.tf, e.indicator.lookback + e.keep);
    for (const b of history) e.apply(b);
    const held = e.pending ?? [];
    e.pending = null;
    for (const b of held) e.apply(b);
  }

  /** A closed candle: update every instance of its (symbol, tf); those warming up hold it. */
  onCandle(symbol: string, tf: Timeframe, bar: LiveBar): void {
    const set = this.groups.get(groupKey(symbol, tf));
    if (!set) return;
    for (const e of set) {
      if (e.pending) {
        e.pending.push(bar);
        continue;
      }
      try {
        e.apply(bar);
      } catch (err) {
        const message = (err as Error).message;
        this.errors.set(e.key, message);
        this.remove(e);
        this.onError(e.key, message);
      }
    }
  }

  /**
   * Rows for the last `limit` bars held by these instances (all of one symbol
   * and tf), oldest first; with `forming`, the still-forming bar is the last row
   * (values computed on copies).
   */
  rows(instances: readonly LiveIndicator[], limit: number, forming?: LiveBar): IndicatorRow[] {
    const withForming = forming !== undefined && instances.every((e) => forming.t > e.lastT);
    const closedLimit = withForming ? limit - 1 : limit;
    const times = new Set<number>();
    for (const e of instances) for (let i = Math.max(0, e.ts.length - closedLimit); i < e.ts.length; i++) times.add(e.ts[i]);
    const all = [...times].sort((a, b) => a - b);
    const sorted = all.slice(Math.max(0, all.length - closedLimit));
    const out: IndicatorRow[] = sorted.map((t) => {
      const values: Record<string, Output | null> = {};
      for (const e of instances) values[e.id] = e.valueAt(t);
      return { t, iso: new Date(t).toISOString(), values };
    });
    if (withForming) {
      const values: Record<string, Output | null> = {};
      for (const e of instances) values[e.id] = e.tryForming(forming);
      out.push({ t: forming.t, iso: new Date(forming.t).toISOString(), values, forming: true });
    }
    return out;
  }

  /** Drops instances not requested for `idleMs`. */
  evictIdle(now = this.now()): void {
    for (const e of this.entries.values()) {
      if (now - e.lastUsed <= this.idleMs) break; // ordered by last request
      this.remove(e);
      this.evicted++;
    }
  }

  private evictOverflow(): void {
    for (const e of this.entries.values()) {
      if (this.entries.size <= this.maxEntries) break;
      this.remove(e);
      this.evicted++;
    }
  }

  private remove(e: LiveIndicator): void {
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    const g = groupKey(e.symbol, e.tf);
    const set = this.groups.get(g);
    if (set?.delete(e) && set.size === 0) this.groups.delete(g);
  }
}
