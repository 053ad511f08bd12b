/**
 * Collecting opinions under a deadline.
 *
 * Every agent is asked in parallel; whatever has not answered when the
 * deadline fires is recorded as abstained ("no answer within 10 ms") and is
 * never awaited: its promise stays attached to a handler and to the market
 * cache, so a late answer still serves later tenants of the same candle.
 *
 * Market-scoped opinions are shared: one call per (agent, symbol, tf, candle
 * time), reused by every tenant deciding on that candle. Tenant-scoped agents
 * are asked per tenant.
 */
import type { Opinion } from '../../types/agents';
import type { Timeframe } from '../../types/market';

export interface AgentRef {
  id: string;
  scope: 'market' | 'tenant';
}

export interface Gathered {
  opinions: Opinion[];
  abstained: { agent: string; reason: string }[];
}

/** Shared opinions of market-scoped agents, per (symbol, tf), for the latest candle time only. */
export class MarketOpinionCache {
  private readonly bySeries = new Map<string, { t: number; calls: Map<string, Promise<Opinion>> }>();
  hits = 0;
  misses = 0;

  /** Forget the shared opinions of these agents (a fact they read, such as news, arrived after the candle). */
  invalidate(agents: readonly string[]): void {
    for (const s of this.bySeries.values()) for (const a of agents) s.calls.delete(a);
  }

  /** The shared call for (agent, symbol, tf, t), made with `make` on first use. */
  get(agent: string, symbol: string, tf: Timeframe, t: number, make: () => Promise<Opinion>): Promise<Opinion> {
    const k = symbol + '|' + tf;
    let s = this.bySeries.get(k);
    if (!s || s.t < t) this.bySeries.set(k, (s = { t, calls: new Map() }));
    else if (s.t > t) return make(); // an older candle than the cached one: not shared
    let p = s.calls.get(agent);
    if (p) {
      this.hits++;
      return p;
    }
    this.misses++;
    p = make();
    // A late or failed shared call must never surface as an unhandled rejection.
    p.catch(() => undefined);
    s.calls.set(agent, p);
    return p;
  }
}

export interface GatherOptions {
  agents: readonly AgentRef[];
  deadlineMs: number;
  /** Ask one agent. */
  call: (agent: AgentRef) => Promise<Opinion>;
  /** Candle time for market-scoped sharing; null = no sharing (decide-now without a known candle). */
  candleT: number | null;
  symbol: string;
  tf: Timeframe;
  cache: MarketOpinionCache;
}

function reasonOf(e: unknown): string {
  const err = e as { type?: string; code?: number; message?: string };
  return `${err?.type ?? 'ERROR'}: ${err?.message ?? String(e)}`;
}

/** Ask every agent, stop at the deadline, return opinions (agent order kept) and abstentions. */
export function gather(o: GatherOptions): Promise<Gathered> {
  const n = o.agents.length;
  if (n === 0) return Promise.resolve({ opinions: [], abstained: [] });
  return new Promise<Gathered>((resolve) => {
    const results: (Opinion | { error: string } | undefined)[] = new Array(n);
    let pending = n;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const opinions: Opinion[] = [];
      const abstained: Gathered['abstained'] = [];
      o.agents.forEach((a, i) => {
        const r = results[i];
        if (r === undefined) abstained.push({ agent: a.id, reason: `no answer within ${o.deadlineMs} ms` });
        else if ('error' in r) abstained.push({ agent: a.id, reason: r.error });
        else opinions.push(r);
      });
      resolve({ opinions, abstained });
    };
    const timer = setTimeout(finish, o.deadlineMs);
    o.agents.forEach((a, i) => {
      let p: Promise<Opinion>;
      try {
        p = a.scope === 'market' && o.candleT !== null ? o.cache.get(a.id, o.symbol, o.tf, o.candleT, () => o.call(a)) : o.call(a);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (op) => {
          if (done) return;
          results[i] = op;
          if (--pending === 0) finish();
        },
        (e: unknown) => {
          if (done) return;
          results[i] = { error: reasonOf(e) };
          if (--pending === 0) finish();
        },
      );
    });
  });
}
