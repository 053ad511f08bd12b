/**
 * The JSON shape of a backtest (CLI `--json`, later the REST job): statistics,
 * trades and the equity curve. Percentages are in percent, times in ms since
 * epoch UTC (ISO strings beside the run's start and end), bars 0-based, sizes
 * signed, NaN → null.
 */
import type { BacktestStats } from './stats';
import type { BacktestResult, BarSeries, ClosedTrade, IndicatorRecord } from './types';

export interface TradeJson {
  size: number;
  entryBar: number;
  exitBar: number;
  entryTime: number;
  exitTime: number;
  entryPrice: number;
  exitPrice: number;
  pnl: number;
  /** Percent, after commissions. */
  returnPct: number;
  commission: number;
  sl: number | null;
  tp: number | null;
  durationMs: number;
  tag?: string | number;
  /** Registered indicators' values at the entry and exit bars (null during warm-up). */
  indicators?: Record<string, { entry: number | null; exit: number | null }>;
}

export type StatsJson = { [K in keyof BacktestStats]: number | null } & { startIso: string; endIso: string };

export interface BacktestJson {
  strategy: { name: string; params: Record<string, number | string> };
  settings: Record<string, unknown>;
  stats: StatsJson;
  trades: TradeJson[];
  openTrades: TradeJson[];
  equity: number[];
  warnings: string[];
}

/** NaN and ±Infinity become null (JSON has neither). */
export function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function tradeJson(t: ClosedTrade, indicators: readonly IndicatorRecord[] = []): TradeJson {
  const out: TradeJson = {
    size: t.size,
    entryBar: t.entryBar,
    exitBar: t.exitBar,
    entryTime: t.entryTime,
    exitTime: t.exitTime,
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    pnl: t.pnl,
    returnPct: t.ret * 100,
    commission: t.commission,
    sl: num(t.sl),
    tp: num(t.tp),
    durationMs: t.exitTime - t.entryTime,
  };
  if (t.tag !== undefined) out.tag = t.tag;
  if (indicators.length) {
    out.indicators = {};
    for (const ind of indicators) out.indicators[ind.name] = { entry: num(ind.values[t.entryBar]), exit: num(ind.values[t.exitBar]) };
  }
  return out;
}

export function statsJson(s: BacktestStats): StatsJson {
  const out = {} as Record<string, number | null | string>;
  for (const [k, v] of Object.entries(s)) out[k] = num(v as number);
  out.startIso = new Date(s.start).toISOString();
  out.endIso = new Date(s.end).toISOString();
  return out as StatsJson;
}

export function backtestJson(args: {
  bars: BarSeries;
  result: BacktestResult;
  stats: BacktestStats;
  strategy: string;
  params: Record<string, number | string>;
  settings: Record<string, unknown>;
}): BacktestJson {
  return {
    strategy: { name: args.strategy, params: args.params },
    settings: args.settings,
    stats: statsJson(args.stats),
    trades: args.result.trades.map((t) => tradeJson(t, args.result.indicators)),
    openTrades: args.result.openTrades.map((t) => tradeJson(t, args.result.indicators)),
    equity: Array.from(args.result.equity, (x) => num(x) ?? 0),
    warnings: args.result.warnings,
  };
}
