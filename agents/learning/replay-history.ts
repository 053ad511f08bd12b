/**
 * Start-up memory of the learning agents: the newest stored decisions (from
 * `consensus.history`) and the bars that judge them (from `market-data.candles`),
 * fed into the agent as the live subscriptions would, decisions first.
 * Missing services mean a cold start, never a failure.
 */
import type { ServiceBroker } from 'moleculer';
import type { AgentEvent } from '../../lib/agents/agent';
import { toAgentEvent } from '../../mixins/agent.mixin';
import type { Decision } from '../../types/agents';
import { TF_MS, Timeframe } from '../../types/market';

export interface ReplayOptions {
  /** Newest decisions to load. */
  decisions: number;
  /** Bars before the oldest decision to fetch (volatility and feature windows). */
  barsBefore: number;
  /** How long to wait for `consensus` to appear (ms). */
  waitMs?: number;
}

export interface ReplayResult {
  decisions: number;
  bars: number;
}

type Logger = { warn(...a: unknown[]): void; info(...a: unknown[]): void };

export async function replayHistory(broker: ServiceBroker, feed: (ev: AgentEvent) => void, logger: Logger, o: ReplayOptions): Promise<ReplayResult> {
  try {
    await broker.waitForServices(['consensus'], o.waitMs ?? 5000);
  } catch {
    return { decisions: 0, bars: 0 };
  }
  let decisions: Decision[] = [];
  try {
    const r = await broker.call<{ items: Decision[] }, object>('consensus.history', { newest: true, limit: Math.min(10_000, o.decisions) });
    decisions = r.items;
  } catch (e) {
    logger.warn(`history: consensus.history failed: ${(e as Error).message}`);
    return { decisions: 0, bars: 0 };
  }
  for (const d of decisions) feed({ type: 'decision.made', decision: d });
  const series = new Map<string, { symbol: string; tf: Timeframe; from: number }>();
  for (const d of decisions) {
    const k = d.symbol + '|' + d.tf;
    const cur = series.get(k);
    if (!cur || d.asOf < cur.from) series.set(k, { symbol: d.symbol, tf: d.tf, from: d.asOf });
  }
  let bars = 0;
  if (series.size > 0 && broker.registry.actions.isAvailable('market-data.candles')) {
    for (const s of series.values()) {
      try {
        const r = await broker.call<{ items: unknown[] }, object>('market-data.candles', { symbol: s.symbol, tf: s.tf, from: s.from - o.barsBefore * TF_MS[s.tf], limit: 10_000 });
        for (const it of r.items) {
          if ((it as { closed?: boolean }).closed === false) continue;
          const ev = toAgentEvent('candle.closed', { symbol: s.symbol, tf: s.tf, ...(it as object) });
          if (ev) {
            feed(ev);
            bars++;
          }
        }
      } catch (e) {
        logger.warn(`history: candles of ${s.symbol} ${s.tf} unavailable: ${(e as Error).message}`);
      }
    }
  }
  if (decisions.length > 0) logger.info(`history: ${decisions.length} decisions and ${bars} bars replayed`);
  return { decisions: decisions.length, bars };
}
