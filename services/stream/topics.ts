/**
 * Topic grammar of the `/ws` stream (types/stream.ts lists what each carries).
 * Pure: parsing and validation only.
 */
import { SYMBOL_RE } from '../../lib/market/validate';
import { TIMEFRAMES, type Timeframe } from '../../types/market';

export type TopicKind = 'ticks' | 'candles' | 'decisions' | 'orders' | 'positions' | 'flowchain' | 'backtests';

export interface Topic {
  kind: TopicKind;
  /** The topic string in canonical form (what events are published under). */
  name: string;
  /** Only events of the subscriber's own tenant are delivered. */
  tenantOwned: boolean;
}

const CHAIN_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

const TENANT_OWNED: Record<TopicKind, boolean> = {
  ticks: false,
  candles: false,
  decisions: true,
  orders: true,
  positions: true,
  flowchain: true,
  backtests: true,
};

/** The topic, or an error message saying what is wrong with it. */
export function parseTopic(raw: unknown): Topic | { error: string } {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 120) return { error: 'a topic is a string of 1 to 120 characters' };
  const parts = raw.split(':');
  const kind = parts[0] as TopicKind;
  const ok = (): Topic => ({ kind, name: raw, tenantOwned: TENANT_OWNED[kind] });
  switch (kind) {
    case 'ticks':
    case 'decisions':
      if (parts.length !== 2 || !SYMBOL_RE.test(parts[1])) return { error: `${kind}:<symbol> with a canonical symbol such as EURUSD` };
      return ok();
    case 'candles':
      if (parts.length !== 3 || !SYMBOL_RE.test(parts[1])) return { error: 'candles:<symbol>:<tf> with a canonical symbol such as EURUSD' };
      if (!(TIMEFRAMES as readonly string[]).includes(parts[2])) return { error: `candles:<symbol>:<tf> with tf one of ${TIMEFRAMES.join(' ')}` };
      return ok();
    case 'orders':
    case 'positions':
      if (parts.length !== 1) return { error: `${kind} takes no qualifier` };
      return ok();
    case 'flowchain':
      if (parts.length !== 2 || !CHAIN_RE.test(parts[1])) return { error: 'flowchain:<chain> with a chain name such as AI_Decision' };
      return ok();
    case 'backtests':
      if (parts.length !== 2 || !ID_RE.test(parts[1])) return { error: 'backtests:<id> with an id of letters, digits, _ and -' };
      return ok();
    default:
      return { error: `unknown topic kind "${String(parts[0]).slice(0, 20)}"; one of ticks candles decisions orders positions flowchain backtests` };
  }
}

/** Topic names events publish under. */
export const topicOf = {
  ticks: (symbol: string) => `ticks:${symbol}`,
  candles: (symbol: string, tf: Timeframe) => `candles:${symbol}:${tf}`,
  decisions: (symbol: string) => `decisions:${symbol}`,
  orders: () => 'orders',
  positions: () => 'positions',
  flowchain: (chain: string) => `flowchain:${chain}`,
  backtests: (id: string) => `backtests:${id}`,
};
