/** What every page gets from the app shell. */
import type { Api } from './api';
import type { Stream } from './stream';
import type { CandleItem, Page, SymbolItem, TenantInfo, Timeframe } from './types';

export const TIMEFRAMES: Timeframe[] = ['M1', 'M5', 'M15', 'H1', 'D1'];
export const TF_MS: Record<Timeframe, number> = { M1: 60_000, M5: 300_000, M15: 900_000, H1: 3_600_000, D1: 86_400_000 };

export type IndicatorName = 'bb' | 'ema' | 'rsi' | 'macd';

export interface Prefs {
  symbol: string | null;
  tf: Timeframe;
  indicators: Record<IndicatorName, boolean>;
}

/** Market data fetched while the bundle was still starting (first paint of the chart). */
export interface Preload {
  symbols: Promise<Page<SymbolItem>>;
  candles: Promise<{ symbol: string; tf: Timeframe; items: CandleItem[] } | null>;
}

export interface AppContext {
  api: Api;
  stream: Stream;
  tenant: TenantInfo | null;
  prefs: Prefs;
  savePrefs(): void;
  preload: Preload | null;
}

/** A mounted page; `dispose` stops its subscriptions and timers. */
export interface PageView {
  dispose(): void;
}

export type PageFactory = (root: HTMLElement, ctx: AppContext) => PageView;

const PREFS_KEY = 'plan2.prefs';

export function loadPrefs(): Prefs {
  const d: Prefs = { symbol: null, tf: 'M1', indicators: { bb: true, ema: true, rsi: true, macd: true } };
  try {
    const p = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>;
    return {
      symbol: typeof p.symbol === 'string' ? p.symbol : d.symbol,
      tf: TIMEFRAMES.includes(p.tf as Timeframe) ? (p.tf as Timeframe) : d.tf,
      indicators: { ...d.indicators, ...(p.indicators ?? {}) },
    };
  } catch {
    return d;
  }
}

export function savePrefs(p: Prefs): void {
  localStorage.setItem(PREFS_KEY, JSON.stringify(p));
}
